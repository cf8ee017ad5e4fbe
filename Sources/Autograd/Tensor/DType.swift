import RealModule

/// The element type of a ``Tensor``.
///
/// `float32` and `float64` are differentiable; `int64` holds indices (for gathers, labels and
/// `argmax`), and `bool` holds masks (the result of elementwise comparisons).
public enum DType: UInt8, Sendable, CustomStringConvertible, CaseIterable {
    /// IEEE 754 binary32 (`Float`).
    case float32
    /// IEEE 754 binary64 (`Double`).
    case float64
    /// 64-bit signed integers (`Int`), used for indices.
    case int64
    /// Booleans (`Bool`, one byte each), used for masks.
    case bool

    /// Size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .float32: return 4
        case .float64, .int64: return 8
        case .bool: return 1
        }
    }

    /// Whether values of this type are floating point (and so can be differentiated).
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// The dtype's name (`float32`, `float64`, `int64`, `bool`).
    public var description: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .int64: return "int64"
        case .bool: return "bool"
        }
    }
}

/// A Swift type that can be the element of a ``Tensor``: `Float`, `Double`, `Int` or `Bool`.
public protocol TensorScalar: Sendable {
    /// The tensor element type that stores values of `Self`.
    static var dtype: DType { get }
    /// Converts a `Double` to `Self` (rounding for `Float`, truncating toward zero for `Int`,
    /// `!= 0` for `Bool`).
    init(fromDouble value: Double)
    /// This value as a `Double`.
    var doubleValue: Double { get }
}

extension Float: TensorScalar {
    /// The tensor element type for this Swift type.
    public static var dtype: DType { .float32 }
    /// Converts a `Double` to this type.
    public init(fromDouble value: Double) { self = Float(value) }
    /// This value as a `Double`.
    public var doubleValue: Double { Double(self) }
}
extension Double: TensorScalar {
    /// The tensor element type for this Swift type.
    public static var dtype: DType { .float64 }
    /// Converts a `Double` to this type.
    public init(fromDouble value: Double) { self = value }
    /// This value as a `Double`.
    public var doubleValue: Double { self }
}
extension Int: TensorScalar {
    /// The tensor element type for this Swift type.
    public static var dtype: DType { .int64 }
    /// Converts a `Double` to this type.
    public init(fromDouble value: Double) { self = Int(value) }
    /// This value as a `Double`.
    public var doubleValue: Double { Double(self) }
}
extension Bool: TensorScalar {
    /// The tensor element type for this Swift type.
    public static var dtype: DType { .bool }
    /// Converts a `Double` to this type.
    public init(fromDouble value: Double) { self = value != 0 }
    /// This value as a `Double`.
    public var doubleValue: Double { self ? 1 : 0 }
}

/// A floating-point element type with the kernels the differentiable ops need.
public protocol TensorFloat: TensorScalar, BinaryFloatingPoint, Real {}
extension Float: TensorFloat {}
extension Double: TensorFloat {}
