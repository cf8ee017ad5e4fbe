// Differential operators built from `grad`, `vjp` and `jvp`. Each is a few lines because the
// engine composes: any operator may be applied to the result of any other, at any depth.

/// How ``jacobian(_:mode:)`` computes a Jacobian.
public enum JacobianMode: Sendable {
    /// Forward mode when the input has no more elements than the output, reverse mode otherwise
    /// (the cheaper of the two: one pass per column or per row).
    case automatic
    /// One forward-mode pass (JVP) per input element: cheap for few inputs.
    case forward
    /// One reverse-mode pass (VJP) per output element: cheap for few outputs.
    case reverse
}

/// The Jacobian of `f` at `x`, of shape `f(x).shape + x.shape`: entry `[i…, j…]` is
/// `∂f(x)[i…] / ∂x[j…]` (the JAX / HIPS `jacobian` layout).
///
/// ```swift
/// let J = jacobian { (x: Tensor) in x * x }(Tensor([1.0, 2.0]))   // [[2, 0], [0, 4]]
/// ```
///
/// The result is differentiable (so `jacobian(jacobian(f))` works), and both modes give the same
/// matrix; `mode` only changes the cost.
public func jacobian(_ f: @escaping (Tensor) -> Tensor, mode: JacobianMode = .automatic) -> (Tensor) -> Tensor {
    { x in
        let n = x.count
        let basis = { (k: Int, t: Tensor) -> Tensor in
            var e = [Double](repeating: 0, count: t.count)
            e[k] = 1
            return Tensor(e, shape: t.shape).cast(to: t.dtype)
        }
        var useForward: Bool
        switch mode {
        case .forward: useForward = true
        case .reverse: useForward = false
        case .automatic: useForward = false
        }
        if mode == .automatic {
            // The output's size decides; evaluating once in forward mode costs about one call.
            let probe = forwardDifferentiate(x, Tensor.zeros(like: x.primalData), f, op: "jacobian").value
            useForward = n <= probe.count
        }
        if useForward {
            var columns: [Tensor] = []
            var outShape: [Int] = []
            for j in 0..<n {
                let r = forwardDifferentiate(x, basis(j, x.primalData), f, op: "jacobian")
                outShape = r.value.shape
                columns.append(r.tangent)
            }
            if n == 0 { return Tensor.zeros(f(x).shape + x.shape, dtype: x.dtype) }
            return stack(columns, axis: outShape.count).reshape(outShape + x.shape)
        }
        let (value, pullback) = vjp(f)(x)
        let m = value.count
        if m == 0 { return Tensor.zeros(value.shape + x.shape, dtype: x.dtype) }
        let rows = (0..<m).map { i in pullback(basis(i, value)) }
        return stack(rows, axis: 0).reshape(value.shape + x.shape)
    }
}

/// The Hessian of a scalar function `f` at `x`, of shape `x.shape + x.shape`: the forward-mode
/// Jacobian of its gradient (forward-over-reverse, one Hessian–vector product per input element).
///
/// ```swift
/// let H = hessian { (x: Tensor) in (x * x * x).sum() }(Tensor([1.0, 2.0]))   // [[6, 0], [0, 12]]
/// ```
public func hessian(_ f: @escaping (Tensor) -> Tensor) -> (Tensor) -> Tensor {
    jacobian(grad(f), mode: .forward)
}

/// The Hessian–vector product `H(x)·v` of a scalar function, forward-over-reverse: the JVP of the
/// gradient. One reverse pass carrying tangents, about the cost of two gradients, with no
/// second tape. `x` and `v` may be any parameter tree of the same structure (HIPS `make_hvp`).
///
/// ```swift
/// let Hv = hvp { (x: Tensor) in (x * x * x).sum() }(Tensor([1.0, 2.0]), Tensor([1.0, 0.0]))   // [6, 0]
/// ```
public func hvp<P: ParameterTree>(_ f: @escaping (P) -> Tensor) -> (P, P) -> P {
    { x, v in forwardDifferentiate(x, v, grad(f), op: "hvp").tangent }
}

/// The Hessian–vector product `H(x)·v`, reverse-over-reverse: the gradient of `⟨∇f(x), v⟩`
/// (HIPS `hessian_tensor_product`, PyTorch's double backward). Gives the same result as
/// ``hvp(_:)``.
public func hessianVectorProduct<P: ParameterTree>(_ f: @escaping (P) -> Tensor) -> (P, P) -> P {
    { x, v in
        grad { (y: P) -> Tensor in innerProduct(grad(f)(y), v) }(x)
    }
}

/// The generalised Gauss–Newton–vector product `Jᵀ H_g J · v` for the composition `g(f(x))`,
/// where `J` is the Jacobian of `f` at `x` and `H_g` the Hessian of the scalar loss `g` at `f(x)`
/// (HIPS `make_ggnvp`). The default `g` is `½‖y‖²`, for which this is `JᵀJ v`.
///
/// It is the curvature used by Gauss–Newton and natural-gradient methods: positive semi-definite
/// whenever `g` is convex, unlike the full Hessian.
public func ggnvp<P: ParameterTree>(
    _ f: @escaping (P) -> Tensor, loss g: @escaping (Tensor) -> Tensor = { y in 0.5 * (y * y).sum() }
) -> (P, P) -> P {
    { x, v in
        let (y, Jv) = forwardDifferentiate(x, v, f, op: "ggnvp")
        let HJv = hvp(g)(y, Jv)
        return vjp(f)(x).pullback(HJv)
    }
}

/// The derivative of an elementwise function, by reverse mode: the gradient of `sum(f(x))`, which
/// equals `f′(x)` elementwise when each output depends only on the matching input (HIPS
/// `elementwise_grad`).
///
/// ```swift
/// elementwiseGrad(tanh)(Tensor([0.0, 1.0]))   // [1, 1 − tanh²(1)]
/// ```
public func elementwiseGrad(_ f: @escaping (Tensor) -> Tensor) -> (Tensor) -> Tensor {
    { x in
        let (value, pullback) = vjp(f)(x)
        return pullback(Tensor.ones(like: value))
    }
}

/// `Σ sum(aᵢ · bᵢ)` over the leaves of two trees of the same structure (a differentiable 0-d tensor).
public func innerProduct<P: ParameterTree>(_ a: P, _ b: P) -> Tensor {
    let la = a.tensors, lb = b.tensors
    require(la.count == lb.count, "innerProduct: the trees have \(la.count) and \(lb.count) tensors")
    var total: Tensor?
    for (x, y) in zip(la, lb) {
        require(x.shape == y.shape, "innerProduct: leaf shapes \(x.shape) and \(y.shape) differ")
        let term = (x * y).sum()
        total = total.map { $0 + term } ?? term
    }
    return total ?? Tensor(0.0)
}
