// Elementwise comparisons give bool tensors (constants for differentiation); the `Bool`-valued
// operators read a one-element tensor so that `if`/`while` on a 0-d value read naturally.

enum LessF: ComparisonFunction { static func apply<T: Comparable>(_ x: T, _ y: T) -> Bool { x < y } }
enum LessEqualF: ComparisonFunction { static func apply<T: Comparable>(_ x: T, _ y: T) -> Bool { x <= y } }
enum GreaterF: ComparisonFunction { static func apply<T: Comparable>(_ x: T, _ y: T) -> Bool { x > y } }
enum GreaterEqualF: ComparisonFunction { static func apply<T: Comparable>(_ x: T, _ y: T) -> Bool { x >= y } }
enum EqualF: ComparisonFunction { static func apply<T: Comparable>(_ x: T, _ y: T) -> Bool { x == y } }
enum NotEqualF: ComparisonFunction { static func apply<T: Comparable>(_ x: T, _ y: T) -> Bool { x != y } }

// The operators `.==`, `.<`, `.&`, `.!` … are the standard library's (declared for SIMD masks).

extension Tensor {
    /// Elementwise `x < y` as a bool tensor (broadcasting).
    public static func .< (x: Tensor, y: Tensor) -> Tensor { compared(LessF.self, x, y, op: ".<") }
    /// Elementwise `x <= y` as a bool tensor (broadcasting).
    public static func .<= (x: Tensor, y: Tensor) -> Tensor { compared(LessEqualF.self, x, y, op: ".<=") }
    /// Elementwise `x > y` as a bool tensor (broadcasting).
    public static func .> (x: Tensor, y: Tensor) -> Tensor { compared(GreaterF.self, x, y, op: ".>") }
    /// Elementwise `x >= y` as a bool tensor (broadcasting).
    public static func .>= (x: Tensor, y: Tensor) -> Tensor { compared(GreaterEqualF.self, x, y, op: ".>=") }
    /// Elementwise `x == y` as a bool tensor (broadcasting).
    public static func .== (x: Tensor, y: Tensor) -> Tensor { compared(EqualF.self, x, y, op: ".==") }
    /// Elementwise `x != y` as a bool tensor (broadcasting).
    public static func .!= (x: Tensor, y: Tensor) -> Tensor { compared(NotEqualF.self, x, y, op: ".!=") }


    /// Elementwise `.<` against a Swift number, as a bool tensor.
    public static func .< (x: Tensor, y: Double) -> Tensor { x .< x.scalarLike(y) }
    /// Elementwise `.<=` against a Swift number, as a bool tensor.
    public static func .<= (x: Tensor, y: Double) -> Tensor { x .<= x.scalarLike(y) }
    /// Elementwise `.>` against a Swift number, as a bool tensor.
    public static func .> (x: Tensor, y: Double) -> Tensor { x .> x.scalarLike(y) }
    /// Elementwise `.>=` against a Swift number, as a bool tensor.
    public static func .>= (x: Tensor, y: Double) -> Tensor { x .>= x.scalarLike(y) }
    /// Elementwise `.==` against a Swift number, as a bool tensor.
    public static func .== (x: Tensor, y: Double) -> Tensor { x .== x.scalarLike(y) }
    /// Elementwise `.!=` against a Swift number, as a bool tensor.
    public static func .!= (x: Tensor, y: Double) -> Tensor { x .!= x.scalarLike(y) }

    /// Compares one-element tensors: `if b > c { … }`.
    ///
    /// - Precondition: both tensors have exactly one element (use `.>` for elementwise comparison).
    public static func > (x: Tensor, y: Tensor) -> Bool { x.scalar > y.scalar }
    /// Compares one-element tensors (see ``>(_:_:)``).
    public static func < (x: Tensor, y: Tensor) -> Bool { x.scalar < y.scalar }
    /// Compares one-element tensors (see ``>(_:_:)``).
    public static func >= (x: Tensor, y: Tensor) -> Bool { x.scalar >= y.scalar }
    /// Compares one-element tensors (see ``>(_:_:)``).
    public static func <= (x: Tensor, y: Tensor) -> Bool { x.scalar <= y.scalar }
    /// Compares a one-element tensor with a number: `while abs(term) > 0.001 { … }`.
    public static func > (x: Tensor, y: Double) -> Bool { x.scalar > y }
    /// Compares a one-element tensor with a number.
    public static func < (x: Tensor, y: Double) -> Bool { x.scalar < y }
    /// Compares a one-element tensor with a number.
    public static func >= (x: Tensor, y: Double) -> Bool { x.scalar >= y }
    /// Compares a one-element tensor with a number.
    public static func <= (x: Tensor, y: Double) -> Bool { x.scalar <= y }
    /// Compares a number with a one-element tensor.
    public static func > (x: Double, y: Tensor) -> Bool { x > y.scalar }
    /// Compares a number with a one-element tensor.
    public static func < (x: Double, y: Tensor) -> Bool { x < y.scalar }

    /// Elementwise logical and of bool tensors.
    public static func .& (x: Tensor, y: Tensor) -> Tensor {
        require(x.dtype == .bool && y.dtype == .bool, ".&: expected bool tensors, got \(x.dtype) \(x.shape) and \(y.dtype) \(y.shape)")
        return Kernels.zip(x, y, to: .bool, op: ".&", LogicalAnd.self)
    }
    /// Elementwise logical or of bool tensors.
    public static func .| (x: Tensor, y: Tensor) -> Tensor {
        require(x.dtype == .bool && y.dtype == .bool, ".|: expected bool tensors, got \(x.dtype) \(x.shape) and \(y.dtype) \(y.shape)")
        return Kernels.zip(x, y, to: .bool, op: ".|", LogicalOr.self)
    }
    /// Elementwise logical not of a bool tensor.
    public static prefix func .! (x: Tensor) -> Tensor {
        require(x.dtype == .bool, ".!: expected a bool tensor, got \(x.dtype) \(x.shape)")
        return Kernels.map(x, to: .bool, LogicalNot.self)
    }
}

/// Compares after giving a 0-d float operand the other operand's float dtype.
private func compared<F: ComparisonFunction>(_: F.Type, _ x: Tensor, _ y: Tensor, op: String) -> Tensor {
    let (a, b) = promoteWeakScalars(x.primalData, y.primalData)
    return Kernels.compare(F.self, a, b, op: op)
}

extension Tensor: Equatable {
    /// Whether two tensors have the same shape, dtype and values (like `Array`'s `==`; use `.==`
    /// for the elementwise comparison).
    public static func == (x: Tensor, y: Tensor) -> Bool {
        guard x.shape == y.shape, x.dtype == y.dtype else { return false }
        return x.doubles == y.doubles
    }
}

extension Primitives {
    /// Float-to-float casts are differentiable (the cotangent is cast back); casts to and from
    /// integer or bool types give constants.
    static func cast(to dtype: DType) -> UnaryPrimitive {
        switch dtype {
        case .float32: return castToFloat32
        case .float64: return castToFloat64
        case .int64: return castToInt64
        case .bool: return castToBool
        }
    }
    static let castToFloat32 = UnaryPrimitive("cast(float32)", forward: { $0.convertedData(to: .float32) },
        vjp: { g, _, x in g.cast(to: x.dtype) }, jvp: { dx, _, _ in dx.cast(to: .float32) })
    static let castToFloat64 = UnaryPrimitive("cast(float64)", forward: { $0.convertedData(to: .float64) },
        vjp: { g, _, x in g.cast(to: x.dtype) }, jvp: { dx, _, _ in dx.cast(to: .float64) })
    static let castToInt64 = UnaryPrimitive("cast(int64)", forward: { $0.convertedData(to: .int64) }, vjp: nil)
    static let castToBool = UnaryPrimitive("cast(bool)", forward: { $0.convertedData(to: .bool) }, vjp: nil)
}

extension Tensor {
    /// This tensor converted to `dtype` (a no-op when it already has it). Differentiable between
    /// float types.
    public func cast(to dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        if !self.dtype.isFloatingPoint || !dtype.isFloatingPoint { return convertedData(to: dtype) }
        return Primitives.cast(to: dtype)(self)
    }
}
