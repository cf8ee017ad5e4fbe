// Optimizer updates as single passes over memory. No autodiff here.

import CKernels

/// The hyper-parameters of one Adam step, as the element loop needs them.
struct AdamStepConstants {
    var beta1: Double, beta2: Double, epsilon: Double
    /// `lr / (1 − β₁ᵗ)` and `1 − β₂ᵗ`.
    var stepSize: Double, correction2: Double
    /// The coupled L2 penalty λ (added to the gradient), or 0.
    var l2: Double
    /// The decoupled decay factor `1 − lr·λ` applied to the parameter (AdamW), or 1.
    var decay: Double
}

extension Kernels {
    /// One Adam step over a parameter `p` and its gradient `g`: updates the moments `m` and `v` (and
    /// `vmax` for AMSGrad) in place and returns the new parameter. All tensors must be untraced,
    /// contiguous and of one floating-point dtype and shape, and the moments must be unshared;
    /// returns nil (touching nothing) otherwise, and the caller composes tensor ops instead.
    ///
    /// Each element goes through exactly the operations, in the same order and precision, of the
    /// composed form `p − (lr/c₁)·m / (√(v/c₂) + ε)` (with `m = β₁·m + (1−β₁)·g`,
    /// `v = β₂·v + (1−β₂)·g²`), so the result is bit-identical to it; what changes is one pass over
    /// memory instead of thirteen, and no temporaries.
    static func adamStep(_ p: Tensor, _ g: Tensor, m: Tensor, v: Tensor, vmax: Tensor?, _ c: AdamStepConstants) -> Tensor? {
        let tensors = [p, g, m, v] + (vmax.map { [$0] } ?? [])
        guard p.dtype.isFloatingPoint,
              tensors.allSatisfy({ $0.node == nil && $0.isContiguous && $0.dtype == p.dtype && $0.shape == p.shape })
        else { return nil }
        let out = Tensor.uninitialized(like: p)
        let constants = [c.beta1, 1 - c.beta1, c.beta2, 1 - c.beta2, c.epsilon, c.stepSize, c.correction2, c.l2, c.decay]
        func run<T: TensorFloat>(_: T.Type, _ step: (UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>,
                                                     UnsafeMutablePointer<T>, UnsafeMutablePointer<T>?,
                                                     UnsafeMutablePointer<T>, Int, UnsafePointer<Double>) -> Void) {
            let pp = p.pointer(T.self), gp = g.pointer(T.self), mp = m.pointer(T.self), vp = v.pointer(T.self)
            let wp = vmax?.pointer(T.self), op = out.pointer(T.self)
            constants.withUnsafeBufferPointer { k in
                Threading.forEachChunk(p.count) { r in
                    step(pp + r.lowerBound, gp + r.lowerBound, mp + r.lowerBound, vp + r.lowerBound,
                         wp.map { $0 + r.lowerBound }, op + r.lowerBound, r.count, k.baseAddress!)
                }
            }
        }
        withLifetimes(p, g) {
            if p.dtype == .float32 { run(Float.self, ag_adam_step_f32) } else { run(Double.self, ag_adam_step_f64) }
        }
        return out
    }
}

extension Kernels {
    /// One SGD step over a parameter `p` and its gradient `g` (PyTorch's rule: weight decay λ,
    /// momentum μ with dampening τ, Nesterov). With momentum, `buffer` is the momentum buffer,
    /// updated in place, or nil at the first step, when a new one is returned. Returns nil
    /// (touching nothing) unless every tensor is untraced, contiguous and of one floating-point
    /// dtype and shape; the caller composes tensor ops instead. Bit-identical to that composition.
    static func sgdStep(_ p: Tensor, _ g: Tensor, buffer: Tensor?, learningRate: Double, momentum: Double,
                        dampening: Double, weightDecay: Double, nesterov: Bool) -> (parameter: Tensor, buffer: Tensor?)? {
        let tensors = [p, g] + (buffer.map { [$0] } ?? [])
        guard p.dtype.isFloatingPoint,
              tensors.allSatisfy({ $0.node == nil && $0.isContiguous && $0.dtype == p.dtype && $0.shape == p.shape })
        else { return nil }
        let out = Tensor.uninitialized(like: p)
        let b: Tensor? = momentum == 0 ? nil : (buffer ?? Tensor.uninitialized(like: p))
        let constants = [learningRate, momentum, 1 - dampening, weightDecay]
        let flags = Int32((momentum != 0 && buffer == nil ? 1 : 0) | (nesterov ? 2 : 0))
        func run<T: TensorFloat>(_: T.Type, _ step: (UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>?,
                                                     UnsafeMutablePointer<T>, Int, UnsafePointer<Double>, Int32) -> Void) {
            let pp = p.pointer(T.self), gp = g.pointer(T.self), bp = b?.pointer(T.self), op = out.pointer(T.self)
            constants.withUnsafeBufferPointer { k in
                Threading.forEachChunk(p.count) { r in
                    step(pp + r.lowerBound, gp + r.lowerBound, bp.map { $0 + r.lowerBound }, op + r.lowerBound,
                         r.count, k.baseAddress!, flags)
                }
            }
        }
        withLifetimes(p, g) {
            if p.dtype == .float32 { run(Float.self, ag_sgd_step_f32) } else { run(Double.self, ag_sgd_step_f64) }
        }
        return (out, b)
    }
}
