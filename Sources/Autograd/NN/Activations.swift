import RealModule

// Activation functions with PyTorch's functional semantics. `relu`, `sigmoid`, `tanh`, `softplus`,
// `softmax` and `logSoftmax` are the library's own ops (Ops/); this file adds the rest. Each new
// primitive declares its forward kernel, VJP and JVP side by side, the VJPs in differentiable ops.

enum ErfF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { T.erf(x) } }

/// `x > 0 ? x : alpha·(eˣ − 1)` for a runtime `alpha`, one pass.
private func eluForward(_ x: Tensor, alpha: Double) -> Tensor {
    func run<T: TensorFloat>(_: T.Type) -> Tensor {
        let xc = x.contiguous()
        let out = Tensor.uninitialized(like: xc)
        let a = T(alpha), src = xc.pointer(T.self), dst = out.pointer(T.self)
        withExtendedLifetime(xc) {
            for i in 0..<xc.count { let v = src[i]; dst[i] = v > 0 ? v : a * T.expMinusOne(v) }
        }
        return out
    }
    switch x.dtype {
    case .float32: return run(Float.self)
    case .float64: return run(Double.self)
    default: dtypeFailure("elu", expected: "a floating-point tensor", x)
    }
}

/// `x > 0 ? x : slope·x` for a runtime `slope`, one pass.
private func leakyReluForward(_ x: Tensor, slope: Double) -> Tensor {
    func run<T: TensorFloat>(_: T.Type) -> Tensor {
        let xc = x.contiguous()
        let out = Tensor.uninitialized(like: xc)
        let s = T(slope), src = xc.pointer(T.self), dst = out.pointer(T.self)
        withExtendedLifetime(xc) {
            for i in 0..<xc.count { let v = src[i]; dst[i] = v > 0 ? v : s * v }
        }
        return out
    }
    switch x.dtype {
    case .float32: return run(Float.self)
    case .float64: return run(Double.self)
    default: dtypeFailure("leakyRelu", expected: "a floating-point tensor", x)
    }
}

/// The constant slope mask of a piecewise-linear function: 1 where `x > 0`, `slope` elsewhere.
private func slopeMask(_ x: Tensor, slope: Double) -> Tensor {
    let positive = (x.primalData .> 0).cast(to: x.dtype)
    return positive * (1 - slope) + slope
}

extension Primitives {
    /// The Gauss error function.
    static let erf = UnaryPrimitive("erf",
        forward: { Kernels.unary(ErfF.self, $0, op: "erf") },
        vjp: { g, _, x in g * (Autograd.exp(-(x * x)) * (2 / Double.pi.squareRoot())) },
        jvp: { dx, _, x in dx * (Autograd.exp(-(x * x)) * (2 / Double.pi.squareRoot())) })

    static func leakyRelu(slope: Double) -> UnaryPrimitive {
        UnaryPrimitive("leakyRelu",
            forward: { leakyReluForward($0, slope: slope) },
            vjp: { g, _, x in g * slopeMask(x, slope: slope) },
            jvp: { dx, _, x in dx * slopeMask(x, slope: slope) })
    }

    /// ELU; its derivative below 0 is `ans + alpha` (differentiable through `ans`).
    static func elu(alpha: Double) -> UnaryPrimitive {
        @Sendable func derivative(_ ans: Tensor, _ x: Tensor) -> Tensor {
            Autograd.where(x.primalData .> 0, Tensor.ones([], dtype: x.dtype), ans + alpha)
        }
        return UnaryPrimitive("elu",
            forward: { eluForward($0, alpha: alpha) },
            vjp: { g, ans, x in g * derivative(ans, x) },
            jvp: { dx, ans, x in dx * derivative(ans, x) })
    }
}

/// The Gauss error function `erf(x) = 2/√π ∫₀ˣ e^(−t²) dt`, elementwise.
public func erf(_ x: Tensor) -> Tensor { Primitives.erf(x) }

/// Leaky ReLU: `x` where `x > 0`, `negativeSlope · x` elsewhere (PyTorch `F.leaky_relu`; gradient
/// `negativeSlope` at 0).
public func leakyRelu(_ x: Tensor, negativeSlope: Double = 0.01) -> Tensor {
    Primitives.leakyRelu(slope: negativeSlope)(x)
}

/// ELU: `x` where `x > 0`, `alpha · (eˣ − 1)` elsewhere (PyTorch `F.elu`).
public func elu(_ x: Tensor, alpha: Double = 1) -> Tensor { Primitives.elu(alpha: alpha)(x) }

/// SELU: `scale · elu(x, alpha)` with the self-normalising constants of Klambauer et al. (2017),
/// `alpha ≈ 1.6733`, `scale ≈ 1.0507` (PyTorch `F.selu`).
public func selu(_ x: Tensor) -> Tensor {
    let alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946
    return elu(x, alpha: alpha) * scale
}

/// How ``gelu(_:approximation:)`` evaluates the Gaussian CDF.
public enum GELUApproximation: Sendable {
    /// The exact form `x · Φ(x) = x · (1 + erf(x/√2)) / 2`.
    case none
    /// The tanh form `x · (1 + tanh(√(2/π) · (x + 0.044715 x³))) / 2` (PyTorch `approximate='tanh'`).
    case tanh
}

/// GELU, `x · Φ(x)` with `Φ` the standard normal CDF (PyTorch `F.gelu`), exact by default.
public func gelu(_ x: Tensor, approximation: GELUApproximation = .none) -> Tensor {
    require(x.dtype.isFloatingPoint, "gelu: expected a floating-point tensor, got \(x.dtype) tensor of shape \(x.shape)")
    switch approximation {
    case .none:
        return x * (erf(x * (1 / 2.0.squareRoot())) + 1) * 0.5
    case .tanh:
        let k = (2 / Double.pi).squareRoot()
        return x * (tanh((x + x * x * x * 0.044715) * k) + 1) * 0.5
    }
}

/// Softplus with PyTorch's `beta` and `threshold`: `log(1 + e^(beta·x)) / beta`, and `x` itself
/// where `beta·x > threshold` (PyTorch `F.softplus`). With the defaults it is ``softplus(_:)``
/// except above the threshold.
public func softplus(_ x: Tensor, beta: Double, threshold: Double = 20) -> Tensor {
    let bx = x * beta
    return `where`(bx.primalData .> threshold, x, softplus(bx) / beta)
}
