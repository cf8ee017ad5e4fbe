import CKernels
import RealModule

// Elementary functions: each primitive's forward kernel, VJP and JVP on one line each.
// exp, log, log1p, expm1, tanh and sigmoid run on the vectorised C kernels; the rest use
// swift-numerics' `Real` functions in a specialised loop.

enum SqrtF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { x.squareRoot() } }
enum SquareF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { x * x } }
enum AbsF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { Swift.abs(x) } }
enum SignF: UnaryFloatFunction {
    static func apply<T: TensorFloat>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : (x.isNaN ? x : 0)) }
}
enum SinF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { T.sin(x) } }
enum CosF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { T.cos(x) } }
enum TanF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { T.tan(x) } }
enum AsinF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { T.asin(x) } }
enum AcosF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { T.acos(x) } }
enum AtanF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { T.atan(x) } }
enum SinhF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { T.sinh(x) } }
enum CoshF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { T.cosh(x) } }
enum ReluF: UnaryFloatFunction { static func apply<T: TensorFloat>(_ x: T) -> T { x > 0 ? x : (x.isNaN ? x : 0) } }
enum SoftplusF: UnaryFloatFunction {
    // log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
    static func apply<T: TensorFloat>(_ x: T) -> T { Swift.max(x, 0) + T.log(onePlus: T.exp(-Swift.abs(x))) }
}

extension Kernels {
    /// Runs a vectorised C kernel pair over a float tensor.
    @inline(__always)
    static func vectorized(_ x: Tensor, op: String,
                           _ f32: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                           _ f64: (UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void) -> Tensor {
        switch x.dtype {
        case .float32: return mapBuffer(x, f32)
        case .float64: return mapBuffer(x, f64)
        default: dtypeFailure(op, expected: "a floating-point tensor", x)
        }
    }
}

/// A mask (0 or 1, in `x`'s float dtype) that is a constant for differentiation.
@inline(__always)
func step(_ condition: Tensor, like x: Tensor) -> Tensor { condition.cast(to: x.dtype) }

extension Primitives {
    static let exp = UnaryPrimitive("exp",
        forward: { Kernels.vectorized($0, op: "exp", { ag_exp_f32($0, $1, $2) }, { ag_exp_f64($0, $1, $2) }) },
        vjp: { g, ans, _ in g * ans },
        jvp: { dx, ans, _ in dx * ans },
        accumulate: { into, g, ans, _ in Kernels.accumulate(into: into, g, ans, MulF.self) })
    static let log = UnaryPrimitive("log",
        forward: { Kernels.vectorized($0, op: "log", { ag_log_f32($0, $1, $2) }, { ag_log_f64($0, $1, $2) }) },
        vjp: { g, _, x in g / x },
        jvp: { dx, _, x in dx / x })
    static let log1p = UnaryPrimitive("log1p",
        forward: { Kernels.vectorized($0, op: "log1p", { ag_log1p_f32($0, $1, $2) }, { ag_log1p_f64($0, $1, $2) }) },
        vjp: { g, _, x in g / (x + 1) },
        jvp: { dx, _, x in dx / (x + 1) })
    static let expm1 = UnaryPrimitive("expm1",
        forward: { Kernels.vectorized($0, op: "expm1", { ag_expm1_f32($0, $1, $2) }, { ag_expm1_f64($0, $1, $2) }) },
        vjp: { g, ans, _ in g * (ans + 1) },
        jvp: { dx, ans, _ in dx * (ans + 1) })
    static let tanh = UnaryPrimitive("tanh",
        forward: { Kernels.vectorized($0, op: "tanh", { ag_tanh_f32($0, $1, $2) }, { ag_tanh_f64($0, $1, $2) }) },
        vjp: { g, ans, _ in Primitives.tanhBackward(g, ans) },
        jvp: { dx, ans, _ in Primitives.tanhBackward(dx, ans) },
        accumulate: { into, g, ans, _ in Kernels.accumulate(into: into, g, ans, TanhBackwardF.self) })
    static let sigmoid = UnaryPrimitive("sigmoid",
        forward: { Kernels.vectorized($0, op: "sigmoid", { ag_sigmoid_f32($0, $1, $2) }, { ag_sigmoid_f64($0, $1, $2) }) },
        vjp: { g, ans, _ in g * ans * (1 - ans) },
        jvp: { dx, ans, _ in dx * ans * (1 - ans) })
    static let sqrt = UnaryPrimitive("sqrt",
        forward: { Kernels.vectorized($0, op: "sqrt", { ag_sqrt_f32($0, $1, $2) }, { ag_sqrt_f64($0, $1, $2) }) },
        vjp: { g, ans, _ in g / (2 * ans) },
        jvp: { dx, ans, _ in dx / (2 * ans) })
    static let square = UnaryPrimitive("square",
        forward: { Kernels.unary(SquareF.self, $0, op: "square") },
        vjp: { g, _, x in g * 2 * x },
        jvp: { dx, _, x in dx * 2 * x })
    static let abs = UnaryPrimitive("abs",
        forward: { x in
            x.dtype == .int64 ? Kernels.map(x, to: .int64, IntAbs.self) : Kernels.unary(AbsF.self, x, op: "abs")
        },
        vjp: { g, _, x in g * Autograd.sign(x.primalData) },
        jvp: { dx, _, x in dx * Autograd.sign(x.primalData) })
    static let sign = UnaryPrimitive("sign",
        forward: { Kernels.unary(SignF.self, $0, op: "sign") },
        vjp: { g, _, _ in g * 0 },
        jvp: { dx, _, _ in dx * 0 })
    static let sin = UnaryPrimitive("sin",
        forward: { Kernels.unary(SinF.self, $0, op: "sin") },
        vjp: { g, _, x in g * Autograd.cos(x) },
        jvp: { dx, _, x in dx * Autograd.cos(x) })
    static let cos = UnaryPrimitive("cos",
        forward: { Kernels.unary(CosF.self, $0, op: "cos") },
        vjp: { g, _, x in -g * Autograd.sin(x) },
        jvp: { dx, _, x in -dx * Autograd.sin(x) })
    static let tan = UnaryPrimitive("tan",
        forward: { Kernels.unary(TanF.self, $0, op: "tan") },
        vjp: { g, ans, _ in g * (1 + ans * ans) },
        jvp: { dx, ans, _ in dx * (1 + ans * ans) })
    static let asin = UnaryPrimitive("asin",
        forward: { Kernels.unary(AsinF.self, $0, op: "asin") },
        vjp: { g, _, x in g / Autograd.sqrt(1 - x * x) },
        jvp: { dx, _, x in dx / Autograd.sqrt(1 - x * x) })
    static let acos = UnaryPrimitive("acos",
        forward: { Kernels.unary(AcosF.self, $0, op: "acos") },
        vjp: { g, _, x in -g / Autograd.sqrt(1 - x * x) },
        jvp: { dx, _, x in -dx / Autograd.sqrt(1 - x * x) })
    static let atan = UnaryPrimitive("atan",
        forward: { Kernels.unary(AtanF.self, $0, op: "atan") },
        vjp: { g, _, x in g / (1 + x * x) },
        jvp: { dx, _, x in dx / (1 + x * x) })
    static let sinh = UnaryPrimitive("sinh",
        forward: { Kernels.unary(SinhF.self, $0, op: "sinh") },
        vjp: { g, _, x in g * Autograd.cosh(x) },
        jvp: { dx, _, x in dx * Autograd.cosh(x) })
    static let cosh = UnaryPrimitive("cosh",
        forward: { Kernels.unary(CoshF.self, $0, op: "cosh") },
        vjp: { g, _, x in g * Autograd.sinh(x) },
        jvp: { dx, _, x in dx * Autograd.sinh(x) })
    static let relu = UnaryPrimitive("relu",
        forward: { Kernels.unary(ReluF.self, $0, op: "relu") },
        vjp: { g, _, x in Primitives.reluBackward(g, x.primalData) },
        jvp: { dx, _, x in Primitives.reluBackward(dx, x.primalData) })

    /// `g` where `x > 0`, else 0: the relu cotangent in one pass; linear in `g` (its own VJP and
    /// JVP), and piecewise constant in `x` (zero derivative).
    static let reluBackward: BinaryPrimitive = BinaryPrimitive("reluBackward",
        forward: { g, x in Kernels.binary(ReluBackwardF.self, g, x, op: "reluBackward") },
        vjpLhs: { h, _, _, x in Primitives.reluBackward(h, x.primalData) },
        vjpRhs: { h, _, _, x in Tensor.zeros(like: x.primalData) },
        jvp: { dg, _, _, _, x in dg.map { Primitives.reluBackward($0, x.primalData) } ?? Tensor.zeros(like: x.primalData) })
    static let softplus = UnaryPrimitive("softplus",
        forward: { Kernels.unary(SoftplusF.self, $0, op: "softplus") },
        vjp: { g, _, x in g * Autograd.sigmoid(x) },
        jvp: { dx, _, x in dx * Autograd.sigmoid(x) })

    /// `g · (1 − y²)`, the tanh cotangent, fused into one pass; itself differentiable.
    static let tanhBackward = BinaryPrimitive("tanhBackward",
        forward: { g, y in Kernels.binary(TanhBackwardF.self, g, y, op: "tanhBackward") },
        vjpLhs: { h, _, _, y in h * (1 - y * y) },
        vjpRhs: { h, _, g, y in -2 * h * g * y },
        jvp: { dg, dy, _, g, y in sumTangents(dg.map { $0 * (1 - y * y) }, dy.map { -2 * $0 * g * y }) })
}

enum ReluBackwardF: BinaryNumericFunction {
    static func apply<T: TensorFloat>(_ g: T, _ x: T) -> T { x > 0 ? g : 0 }
}

enum TanhBackwardF: BinaryNumericFunction {
    static func apply<T: TensorFloat>(_ g: T, _ y: T) -> T { g * (1 - y * y) }
}

/// `eˣ` elementwise.
public func exp(_ x: Tensor) -> Tensor { Primitives.exp(x) }
/// The natural logarithm elementwise.
public func log(_ x: Tensor) -> Tensor { Primitives.log(x) }
/// `log(1 + x)` elementwise, accurate for small `x`.
public func log1p(_ x: Tensor) -> Tensor { Primitives.log1p(x) }
/// `eˣ − 1` elementwise, accurate for small `x`.
public func expm1(_ x: Tensor) -> Tensor { Primitives.expm1(x) }
/// The square root elementwise.
public func sqrt(_ x: Tensor) -> Tensor { Primitives.sqrt(x) }
/// `x²` elementwise.
public func square(_ x: Tensor) -> Tensor { Primitives.square(x) }
/// `|x|` elementwise (gradient `sign(x)`, 0 at 0).
public func abs(_ x: Tensor) -> Tensor { Primitives.abs(x) }
/// −1, 0 or 1 elementwise (gradient 0).
public func sign(_ x: Tensor) -> Tensor { Primitives.sign(x) }
/// The sine elementwise.
public func sin(_ x: Tensor) -> Tensor { Primitives.sin(x) }
/// The cosine elementwise.
public func cos(_ x: Tensor) -> Tensor { Primitives.cos(x) }
/// The tangent elementwise.
public func tan(_ x: Tensor) -> Tensor { Primitives.tan(x) }
/// The arcsine elementwise.
public func asin(_ x: Tensor) -> Tensor { Primitives.asin(x) }
/// The arccosine elementwise.
public func acos(_ x: Tensor) -> Tensor { Primitives.acos(x) }
/// The arctangent elementwise.
public func atan(_ x: Tensor) -> Tensor { Primitives.atan(x) }
/// The hyperbolic sine elementwise.
public func sinh(_ x: Tensor) -> Tensor { Primitives.sinh(x) }
/// The hyperbolic cosine elementwise.
public func cosh(_ x: Tensor) -> Tensor { Primitives.cosh(x) }
/// The hyperbolic tangent elementwise.
public func tanh(_ x: Tensor) -> Tensor { Primitives.tanh(x) }
/// The logistic function `1 / (1 + e⁻ˣ)` elementwise.
public func sigmoid(_ x: Tensor) -> Tensor { Primitives.sigmoid(x) }
/// `max(x, 0)` elementwise (gradient 0 at 0).
public func relu(_ x: Tensor) -> Tensor { Primitives.relu(x) }
/// `log(1 + eˣ)` elementwise, without overflow.
public func softplus(_ x: Tensor) -> Tensor { Primitives.softplus(x) }
