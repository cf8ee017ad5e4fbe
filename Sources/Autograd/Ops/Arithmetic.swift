import RealModule

// Arithmetic primitives: forward kernel, VJP per argument and JVP, side by side.
// VJPs may return cotangents at the broadcast shape; the engine sums them back.

enum AddF: BinaryNumericFunction {
    static func apply<T: TensorFloat>(_ x: T, _ y: T) -> T { x + y }
    static func applyInt(_ x: Int, _ y: Int) -> Int? { x &+ y }
}
enum SubF: BinaryNumericFunction {
    static func apply<T: TensorFloat>(_ x: T, _ y: T) -> T { x - y }
    static func applyInt(_ x: Int, _ y: Int) -> Int? { x &- y }
}
enum MulF: BinaryNumericFunction {
    static func apply<T: TensorFloat>(_ x: T, _ y: T) -> T { x * y }
    static func applyInt(_ x: Int, _ y: Int) -> Int? { x &* y }
}
enum DivF: BinaryNumericFunction {
    static func apply<T: TensorFloat>(_ x: T, _ y: T) -> T { x / y }
}
enum PowF: BinaryNumericFunction {
    static func apply<T: TensorFloat>(_ x: T, _ y: T) -> T {
        if y == 2 { return x * x }
        // Integral exponents work for negative bases too (and 0⁰ = 1), as in NumPy.
        if let n = Int(exactly: y) { return T.pow(x, n) }
        return T.pow(x, y)
    }
}
enum MaxF: BinaryNumericFunction {
    static func apply<T: TensorFloat>(_ x: T, _ y: T) -> T { x.isNaN || x >= y ? x : y }
    static func applyInt(_ x: Int, _ y: Int) -> Int? { Swift.max(x, y) }
}
enum MinF: BinaryNumericFunction {
    static func apply<T: TensorFloat>(_ x: T, _ y: T) -> T { x.isNaN || x <= y ? x : y }
    static func applyInt(_ x: Int, _ y: Int) -> Int? { Swift.min(x, y) }
}
enum Atan2F: BinaryNumericFunction {
    static func apply<T: TensorFloat>(_ y: T, _ x: T) -> T { T.atan2(y: y, x: x) }
}
enum NegF: UnaryFloatFunction {
    static func apply<T: TensorFloat>(_ x: T) -> T { -x }
}
/// `-x`, ignoring `y` (a cotangent subtracted in place: ``Kernels/accumulate(into:_:_:_:)``).
enum NegFirstF: BinaryNumericFunction {
    static func apply<T: TensorFloat>(_ x: T, _ y: T) -> T { -x }
    static func applyInt(_ x: Int, _ y: Int) -> Int? { nil }
}

extension Primitives {
    static let add = BinaryPrimitive("add",
        forward: { Kernels.binary(AddF.self, $0, $1, op: "add") },
        vjpLhs: { g, _, _, _ in g },
        vjpRhs: { g, _, _, _ in g },
        jvp: { dx, dy, _, _, _ in sumTangents(dx, dy) })

    static let subtract = BinaryPrimitive("subtract",
        forward: { Kernels.binary(SubF.self, $0, $1, op: "subtract") },
        vjpLhs: { g, _, _, _ in g },
        vjpRhs: { g, _, _, _ in -g },
        jvp: { dx, dy, _, _, _ in sumTangents(dx, dy.map { -$0 }) },
        accumulateLhs: nil,
        accumulateRhs: { into, g, _, _, _ in Kernels.accumulate(into: into, g, g, NegFirstF.self) })

    static let multiply = BinaryPrimitive("multiply",
        forward: { Kernels.binary(MulF.self, $0, $1, op: "multiply") },
        vjpLhs: { g, _, _, y in g * y },
        vjpRhs: { g, _, x, _ in g * x },
        jvp: { dx, dy, _, x, y in sumTangents(dx.map { $0 * y }, dy.map { x * $0 }) },
        accumulateLhs: { into, g, _, _, y in Kernels.accumulate(into: into, g, y, MulF.self) },
        accumulateRhs: { into, g, _, x, _ in Kernels.accumulate(into: into, g, x, MulF.self) })

    static let divide = BinaryPrimitive("divide",
        forward: { Kernels.binary(DivF.self, $0, $1, op: "divide") },
        vjpLhs: { g, _, _, y in g / y },
        vjpRhs: { g, ans, _, y in -g * ans / y },
        jvp: { dx, dy, ans, _, y in sumTangents(dx.map { $0 / y }, dy.map { -$0 * ans / y }) })

    static let negate = UnaryPrimitive("negate",
        forward: { x in
            x.dtype == .int64 ? Kernels.map(x, to: .int64, IntNegate.self) : Kernels.unary(NegF.self, x, op: "negate")
        },
        vjp: { g, _, _ in -g },
        jvp: { dx, _, _ in -dx },
        accumulate: { into, g, _, _ in Kernels.accumulate(into: into, g, g, NegFirstF.self) })

    /// `x ** y`. The exponent's gradient uses `log(x)`, taken as 0 where `x == 0` (HIPS convention).
    static let pow = BinaryPrimitive("pow",
        forward: { Kernels.binary(PowF.self, $0, $1, op: "pow") },
        vjpLhs: { g, _, x, y in
            // A constant exponent c (the common x**2): fold c - 1 and the factor c into Swift numbers.
            if y.node == nil && y.count == 1 {
                let c = y.scalar
                if c == 2 { return g * (x * 2) }
                if c == 1 { return g * Tensor.ones(like: x.primalData) }
                return g * (Autograd.pow(x, c - 1) * c)
            }
            return g * y * Autograd.pow(x, y - 1)
        },
        vjpRhs: { g, ans, x, _ in g * ans * log(Autograd.where(x .== 0, Tensor.ones(like: x.primalData), x)) },
        jvp: { dx, dy, ans, x, y in
            sumTangents(dx.map { dx in
                            if y.node == nil && y.count == 1 {
                                let c = y.scalar
                                if c == 2 { return dx * (x * 2) }
                                return dx * (Autograd.pow(x, c - 1) * c)
                            }
                            return dx * y * Autograd.pow(x, y - 1)
                        },
                        dy.map { $0 * ans * log(Autograd.where(x .== 0, Tensor.ones(like: x.primalData), x)) })
        })

    static let maximum = BinaryPrimitive("maximum",
        forward: { Kernels.binary(MaxF.self, $0, $1, op: "maximum") },
        vjpLhs: { g, ans, x, y in g * balancedEqual(x, ans, y) },
        vjpRhs: { g, ans, x, y in g * balancedEqual(y, ans, x) },
        jvp: { dx, dy, ans, x, y in
            sumTangents(dx.map { $0 * balancedEqual(x, ans, y) }, dy.map { $0 * balancedEqual(y, ans, x) })
        })

    static let minimum = BinaryPrimitive("minimum",
        forward: { Kernels.binary(MinF.self, $0, $1, op: "minimum") },
        vjpLhs: { g, ans, x, y in g * balancedEqual(x, ans, y) },
        vjpRhs: { g, ans, x, y in g * balancedEqual(y, ans, x) },
        jvp: { dx, dy, ans, x, y in
            sumTangents(dx.map { $0 * balancedEqual(x, ans, y) }, dy.map { $0 * balancedEqual(y, ans, x) })
        })

    static let atan2 = BinaryPrimitive("atan2",
        forward: { Kernels.binary(Atan2F.self, $0, $1, op: "atan2") },
        vjpLhs: { g, _, y, x in g * x / (x * x + y * y) },
        vjpRhs: { g, _, y, x in -g * y / (x * x + y * y) },
        jvp: { dy, dx, _, y, x in
            sumTangents(dy.map { $0 * x / (x * x + y * y) }, dx.map { -$0 * y / (x * x + y * y) })
        })
}

/// 1 where `x == z` and `x != y`, ½ where all three are equal (ties split the gradient), 0 else.
func balancedEqual(_ x: Tensor, _ z: Tensor, _ y: Tensor) -> Tensor {
    let xd = x.primalData, zd = z.primalData, yd = y.primalData
    let eq = (xd .== zd).cast(to: xd.dtype)
    return eq / (1 + (xd .== yd).cast(to: xd.dtype))
}

/// The sum of optional tangents (`nil` is zero).
func sumTangents(_ a: Tensor?, _ b: Tensor?) -> Tensor {
    switch (a, b) {
    case let (a?, b?): return a + b
    case let (a?, nil): return a
    case let (nil, b?): return b
    case (nil, nil): fatalError("sumTangents: no tangent")
    }
}

/// NumPy/PyTorch-style "weak" scalars: when two float tensors of different dtypes meet and one of
/// them is 0-d (a Swift number or literal made into a tensor), it takes the other's dtype. Any other
/// dtype mismatch stops with a message naming the op and both shapes.
@inline(__always)
func promoteWeakScalars(_ x: Tensor, _ y: Tensor) -> (Tensor, Tensor) {
    if x.dtype == y.dtype || !x.dtype.isFloatingPoint || !y.dtype.isFloatingPoint { return (x, y) }
    if y.rank == 0 && x.rank > 0 { return (x, y.cast(to: x.dtype)) }
    if x.rank == 0 && y.rank > 0 { return (x.cast(to: y.dtype), y) }
    return (x, y)
}

/// Applies a binary primitive after the weak-scalar dtype rule (same dtypes: no extra work).
@inline(__always)
func binaryOp(_ op: BinaryPrimitive, _ x: Tensor, _ y: Tensor) -> Tensor {
    if x.dtype == y.dtype { return op(x, y) }
    let (a, b) = promoteWeakScalars(x, y)
    return op(a, b)
}

/// Shared 0-d tensors for the Swift numbers that appear most in arithmetic.
struct CommonConstants: Sendable {
    static let float64 = CommonConstants(.float64)
    static let float32 = CommonConstants(.float32)
    let zero, one, two, half, minusOne: Tensor

    init(_ dtype: DType) {
        zero = Tensor(0, dtype: dtype)
        one = Tensor(1, dtype: dtype)
        two = Tensor(2, dtype: dtype)
        half = Tensor(0.5, dtype: dtype)
        minusOne = Tensor(-1, dtype: dtype)
    }

    func tensor(for value: Double) -> Tensor? {
        switch value {
        case 1: return one
        case 0: return value.sign == .minus ? nil : zero
        case 2: return two
        case 0.5: return half
        case -1: return minusOne
        default: return nil
        }
    }
}

/// Namespace of the library's primitive declarations.
enum Primitives {}

extension Tensor {
    /// A 0-d constant of this tensor's dtype (how Swift numbers combine with tensors: they take the
    /// tensor's dtype, like NumPy scalars and PyTorch's "weak" Python numbers). The most common
    /// constants are shared, immutable tensors, so `x + 1` or `0.5 * x` allocate only the result.
    func scalarLike(_ value: Double) -> Tensor {
        switch dtype {
        case .float64: return CommonConstants.float64.tensor(for: value) ?? Tensor(value, dtype: .float64)
        case .float32: return CommonConstants.float32.tensor(for: value) ?? Tensor(value, dtype: .float32)
        case .int64: return Tensor(value, dtype: .int64)
        case .bool: return Tensor(value, dtype: .float64)
        }
    }

    /// Elementwise sum with broadcasting.
    public static func + (x: Tensor, y: Tensor) -> Tensor { binaryOp(Primitives.add, x, y) }
    /// Elementwise difference with broadcasting.
    public static func - (x: Tensor, y: Tensor) -> Tensor { binaryOp(Primitives.subtract, x, y) }
    /// Elementwise product with broadcasting (use ``matmul(_:_:)`` for the matrix product).
    public static func * (x: Tensor, y: Tensor) -> Tensor { binaryOp(Primitives.multiply, x, y) }
    /// Elementwise quotient with broadcasting.
    public static func / (x: Tensor, y: Tensor) -> Tensor { binaryOp(Primitives.divide, x, y) }
    /// Elementwise negation.
    public static prefix func - (x: Tensor) -> Tensor { Primitives.negate(x) }

        /// Elementwise `+` with a Swift number, which takes the tensor's dtype.
        public static func + (x: Tensor, y: Double) -> Tensor { Primitives.add(x, x.scalarLike(y)) }
        /// Elementwise `+` of a Swift number and a tensor (the number takes the tensor's dtype).
        public static func + (x: Double, y: Tensor) -> Tensor { Primitives.add(y.scalarLike(x), y) }
        /// Elementwise `-` with a Swift number, which takes the tensor's dtype.
        public static func - (x: Tensor, y: Double) -> Tensor { Primitives.subtract(x, x.scalarLike(y)) }
        /// Elementwise `-` of a Swift number and a tensor (the number takes the tensor's dtype).
        public static func - (x: Double, y: Tensor) -> Tensor { Primitives.subtract(y.scalarLike(x), y) }
        /// Elementwise `*` with a Swift number, which takes the tensor's dtype.
        public static func * (x: Tensor, y: Double) -> Tensor { Primitives.multiply(x, x.scalarLike(y)) }
        /// Elementwise `*` of a Swift number and a tensor (the number takes the tensor's dtype).
        public static func * (x: Double, y: Tensor) -> Tensor { Primitives.multiply(y.scalarLike(x), y) }
        /// Elementwise `/` with a Swift number, which takes the tensor's dtype.
        public static func / (x: Tensor, y: Double) -> Tensor { Primitives.divide(x, x.scalarLike(y)) }
        /// Elementwise `/` of a Swift number and a tensor (the number takes the tensor's dtype).
        public static func / (x: Double, y: Tensor) -> Tensor { Primitives.divide(y.scalarLike(x), y) }

    /// `x = x + y`.
    public static func += (x: inout Tensor, y: Tensor) { x = x + y }
    /// `x = x - y`.
    public static func -= (x: inout Tensor, y: Tensor) { x = x - y }
    /// `x = x * y`.
    public static func *= (x: inout Tensor, y: Tensor) { x = x * y }
    /// `x = x / y`.
    public static func /= (x: inout Tensor, y: Tensor) { x = x / y }
        /// `x = x + y`.
        public static func += (x: inout Tensor, y: Double) { x = x + y }
        /// `x = x - y`.
        public static func -= (x: inout Tensor, y: Double) { x = x - y }
        /// `x = x * y`.
        public static func *= (x: inout Tensor, y: Double) { x = x * y }
        /// `x = x / y`.
        public static func /= (x: inout Tensor, y: Double) { x = x / y }
}

/// `x ** y` elementwise, with broadcasting.
public func pow(_ x: Tensor, _ y: Tensor) -> Tensor { binaryOp(Primitives.pow, x, y) }
/// `x ** y` for a Swift exponent.
public func pow(_ x: Tensor, _ y: Double) -> Tensor { Primitives.pow(x, x.scalarLike(y)) }
/// `x ** n` for an integer exponent (`pow(x, 2)`).
public func pow(_ x: Tensor, _ n: Int) -> Tensor { Primitives.pow(x, x.scalarLike(Double(n))) }
/// `x ** y` for a Swift base.
public func pow(_ x: Double, _ y: Tensor) -> Tensor { Primitives.pow(y.scalarLike(x), y) }
/// The elementwise larger of `x` and `y` (ties split the gradient equally).
public func maximum(_ x: Tensor, _ y: Tensor) -> Tensor { binaryOp(Primitives.maximum, x, y) }
/// The elementwise larger of `x` and a Swift number.
public func maximum(_ x: Tensor, _ y: Double) -> Tensor { Primitives.maximum(x, x.scalarLike(y)) }
/// The elementwise larger of `x` and an integer (`maximum(x, 0)`).
public func maximum(_ x: Tensor, _ y: Int) -> Tensor { Primitives.maximum(x, x.scalarLike(Double(y))) }
/// The elementwise smaller of `x` and an integer.
public func minimum(_ x: Tensor, _ y: Int) -> Tensor { Primitives.minimum(x, x.scalarLike(Double(y))) }
/// The elementwise smaller of `x` and `y` (ties split the gradient equally).
public func minimum(_ x: Tensor, _ y: Tensor) -> Tensor { binaryOp(Primitives.minimum, x, y) }
/// The elementwise smaller of `x` and a Swift number.
public func minimum(_ x: Tensor, _ y: Double) -> Tensor { Primitives.minimum(x, x.scalarLike(y)) }
/// The angle of the point `(x, y)` elementwise, in `(-π, π]`.
public func atan2(_ y: Tensor, _ x: Tensor) -> Tensor { Primitives.atan2(y, x) }

/// `x` limited to `[low, high]` elementwise; the gradient is 1 inside the interval and 0 outside.
public func clamp(_ x: Tensor, min low: Double? = nil, max high: Double? = nil) -> Tensor {
    var r = x
    if let low { r = maximum(r, low) }
    if let high { r = minimum(r, high) }
    return r
}

enum SelectOp {
    static let primitive = NaryPrimitive("where",
        forward: { a in
            let (c, x, y) = (a[0], a[1], a[2])
            require(c.dtype == .bool, "where: condition must be a bool tensor, got \(c.dtype) of shape \(c.shape)")
            checkSameDType(x, y, op: "where")
            switch x.dtype {
            case .float32: return Kernels.zip3(c, x, y, to: .float32, op: "where") { (b: Bool, p: Float, q: Float) in b ? p : q }
            case .float64: return Kernels.zip3(c, x, y, to: .float64, op: "where") { (b: Bool, p: Double, q: Double) in b ? p : q }
            case .int64: return Kernels.zip3(c, x, y, to: .int64, op: "where") { (b: Bool, p: Int, q: Int) in b ? p : q }
            case .bool: return Kernels.zip3(c, x, y, to: .bool, op: "where") { (b: Bool, p: Bool, q: Bool) in b ? p : q }
            }
        },
        vjp: { g, _, a, i in
            switch i {
            case 1: return Autograd.where(a[0], g, Tensor.zeros([], dtype: g.dtype))
            case 2: return Autograd.where(a[0], Tensor.zeros([], dtype: g.dtype), g)
            default: return nil
            }
        },
        jvp: { t, ans, a in
            let zero = Tensor.zeros([], dtype: ans.dtype)
            return Autograd.where(a[0], t[1] ?? zero, t[2] ?? zero)
        })
}

/// Elementwise selection: `x` where `condition` is true, `y` elsewhere (with broadcasting).
public func `where`(_ condition: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor {
    SelectOp.primitive([condition, x, y])
}
/// Elementwise selection between a tensor and a Swift number.
public func `where`(_ condition: Tensor, _ x: Tensor, _ y: Double) -> Tensor {
    SelectOp.primitive([condition, x, x.scalarLike(y)])
}
