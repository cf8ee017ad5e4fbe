import RealModule

/// An elementwise function of one floating-point value, written once for every float dtype.
protocol UnaryFloatFunction {
    static func apply<T: TensorFloat>(_ x: T) -> T
}

/// An elementwise function of two values of the same numeric dtype.
protocol BinaryNumericFunction {
    static func apply<T: TensorFloat>(_ x: T, _ y: T) -> T
    /// The integer version; `nil` result type means the op is float-only.
    static func applyInt(_ x: Int, _ y: Int) -> Int?
}

extension BinaryNumericFunction {
    static func applyInt(_ x: Int, _ y: Int) -> Int? { nil }
}

/// A comparison of two values of the same dtype giving a `Bool`.
protocol ComparisonFunction {
    static func apply<T: Comparable>(_ x: T, _ y: T) -> Bool
}

extension Kernels {
    /// Runs a float function over a float tensor (one dtype switch, a specialised loop inside).
    @inline(__always)
    static func unary<F: UnaryFloatFunction>(_: F.Type, _ x: Tensor, op: String) -> Tensor {
        switch x.dtype {
        case .float32: return map(x, to: .float32, minimumParallel: 1 << 14, FloatMap<F, Float>.self)
        case .float64: return map(x, to: .float64, minimumParallel: 1 << 14, FloatMap<F, Double>.self)
        default: dtypeFailure(op, expected: "a floating-point tensor", x)
        }
    }

    /// Runs a binary numeric function with broadcasting; both tensors must share a dtype.
    @inline(__always)
    static func binary<F: BinaryNumericFunction>(_: F.Type, _ x: Tensor, _ y: Tensor, op: String) -> Tensor {
        checkSameDType(x, y, op: op)
        if F.self == MulF.self, x.count > 1 || y.count > 1 {
            // Multiplying by a broadcast 1 (a cotangent seeded by `sum`) is exact: skip the pass and
            // share the other operand's memory (tensors are immutable).
            if y.isBroadcastOne && y.rank <= x.rank && (y.count == 1 || y.shape == x.shape) { return x }
            if x.isBroadcastOne && x.rank <= y.rank && (x.count == 1 || x.shape == y.shape) { return y }
        }
        switch x.dtype {
        case .float32: return zip(x, y, to: .float32, op: op, FloatZip<F, Float>.self)
        case .float64: return zip(x, y, to: .float64, op: op, FloatZip<F, Double>.self)
        case .int64 where F.applyInt(1, 1) != nil: return zip(x, y, to: .int64, op: op, IntZip<F>.self)
        default: dtypeFailure(op, expected: "numeric tensors", x, y)
        }
    }

    /// Runs a comparison with broadcasting, giving a bool tensor.
    @inline(__always)
    static func compare<F: ComparisonFunction>(_: F.Type, _ x: Tensor, _ y: Tensor, op: String) -> Tensor {
        checkSameDType(x, y, op: op)
        switch x.dtype {
        case .float32: return zip(x, y, to: .bool, op: op, CompareZip<F, Float>.self)
        case .float64: return zip(x, y, to: .bool, op: op, CompareZip<F, Double>.self)
        case .int64: return zip(x, y, to: .bool, op: op, CompareZip<F, Int>.self)
        case .bool: return zip(x, y, to: .bool, op: op, CompareZip<F, UInt8>.self)
        }
    }
}

func checkSameDType(_ x: Tensor, _ y: Tensor, op: String) {
    if x.dtype != y.dtype {
        fatalError("\(op): dtype mismatch, \(x.dtype) tensor of shape \(x.shape) and \(y.dtype) tensor of shape \(y.shape) (convert one with .cast(to:))")
    }
}

func dtypeFailure(_ op: String, expected: String, _ tensors: Tensor...) -> Never {
    let described = tensors.map { "\($0.dtype) tensor of shape \($0.shape)" }.joined(separator: " and ")
    fatalError("\(op): expected \(expected), got \(described)")
}

enum FloatMap<F: UnaryFloatFunction, T: TensorFloat>: ElementFunction1 {
    @inline(__always) static func apply(_ x: T) -> T { F.apply(x) }
}
enum FloatZip<F: BinaryNumericFunction, T: TensorFloat>: ElementFunction2 {
    @inline(__always) static func apply(_ x: T, _ y: T) -> T { F.apply(x, y) }
}
enum IntZip<F: BinaryNumericFunction>: ElementFunction2 {
    @inline(__always) static func apply(_ x: Int, _ y: Int) -> Int { F.applyInt(x, y)! }
}
/// Bool tensors are compared through their bytes (`false` < `true`).
enum CompareZip<F: ComparisonFunction, T: Comparable>: ElementFunction2 {
    @inline(__always) static func apply(_ x: T, _ y: T) -> Bool { F.apply(x, y) }
}
/// Element conversion between dtypes.
enum Convert<S: TensorScalar, D: TensorScalar>: ElementFunction1 {
    @inline(__always) static func apply(_ x: S) -> D { D(fromDouble: x.doubleValue) }
}
enum LogicalAnd: ElementFunction2 { static func apply(_ x: Bool, _ y: Bool) -> Bool { x && y } }
enum LogicalOr: ElementFunction2 { static func apply(_ x: Bool, _ y: Bool) -> Bool { x || y } }
enum LogicalNot: ElementFunction1 { static func apply(_ x: Bool) -> Bool { !x } }
enum IntNegate: ElementFunction1 { static func apply(_ x: Int) -> Int { 0 &- x } }
enum IntAbs: ElementFunction1 { static func apply(_ x: Int) -> Int { Swift.abs(x) } }
