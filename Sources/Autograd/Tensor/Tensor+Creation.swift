import Foundation

extension Tensor {
    /// A tensor holding `values` in row-major order with the given shape (default: a vector).
    ///
    /// - Precondition: `shape` has as many elements as `values`.
    public init<T: TensorScalar>(_ values: [T], shape: [Int]? = nil) {
        let shape = shape ?? [values.count]
        var n = 1
        for s in shape {
            require(s >= 0, "Tensor(_:shape:): negative dimension in shape \(shape)")
            n *= s
        }
        require(n == values.count, "Tensor(_:shape:): \(values.count) values do not fill shape \(shape)")
        self = Tensor.uninitialized(shape: shape, dtype: T.dtype)
        let p = pointer(T.self)
        values.withUnsafeBufferPointer { p.initialize(from: $0.baseAddress!, count: n) }
    }

    /// The same tensor; lets nested literals be written as `Tensor([[1, 2], [3, 4]])`.
    public init(_ other: Tensor) { self = other }

    /// A 0-d tensor holding `value`.
    public init<T: TensorScalar>(_ value: T) {
        self = Tensor.uninitialized(shape: [], dtype: T.dtype)
        pointer(T.self).initialize(to: value)
    }

    /// A 0-d float64 tensor.
    public init(_ value: Double) {
        self = Tensor.uninitialized(shape: [], dtype: .float64)
        pointer(Double.self).initialize(to: value)
    }

    /// A 0-d tensor holding `value` converted to `dtype`.
    public init(_ value: Double, dtype: DType) {
        self = Tensor.uninitialized(shape: [], dtype: dtype)
        switch dtype {
        case .float32: pointer(Float.self).initialize(to: Float(value))
        case .float64: pointer(Double.self).initialize(to: value)
        case .int64: pointer(Int.self).initialize(to: Int(value))
        case .bool: pointer(Bool.self).initialize(to: value != 0)
        }
    }

    /// A tensor of the given shape and dtype with every element equal to `value`.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float64) -> Tensor {
        let t = Tensor.uninitialized(shape: shape, dtype: dtype)
        switch dtype {
        case .float32: Kernels.fill(t, with: Float(value))
        case .float64: Kernels.fill(t, with: value)
        case .int64: Kernels.fill(t, with: Int(value))
        case .bool: Kernels.fill(t, with: value != 0)
        }
        return t
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], dtype: DType = .float64) -> Tensor { full(shape, 0, dtype: dtype) }
    /// A tensor of ones.
    public static func ones(_ shape: [Int], dtype: DType = .float64) -> Tensor { full(shape, 1, dtype: dtype) }
    /// Zeros with the shape and dtype of `other` (untraced).
    public static func zeros(like other: Tensor) -> Tensor { full(other.shape, 0, dtype: other.dtype) }
    /// Ones with the shape and dtype of `other` (untraced).
    public static func ones(like other: Tensor) -> Tensor { full(other.shape, 1, dtype: other.dtype) }

    /// Evenly spaced values in `[start, end)` with spacing `step` (NumPy `arange`).
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float64) -> Tensor {
        require(step != 0, "arange: step must not be zero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<n).map { start + Double($0) * step }, shape: [n]).cast(to: dtype)
    }

    /// `0, 1, …, end - 1` (NumPy `arange(end)`).
    public static func arange(_ end: Int, dtype: DType = .int64) -> Tensor {
        Tensor(Array(0..<Swift.max(end, 0)), shape: [Swift.max(end, 0)]).cast(to: dtype)
    }

    /// `count` evenly spaced values from `start` to `end` inclusive (NumPy `linspace`).
    public static func linspace(_ start: Double, _ end: Double, count: Int, dtype: DType = .float64) -> Tensor {
        require(count >= 0, "linspace: count must be non-negative, got \(count)")
        if count == 1 { return Tensor([start], shape: [1]).cast(to: dtype) }
        let step = (end - start) / Double(count - 1)
        let values = (0..<count).map { i in i == count - 1 ? end : start + Double(i) * step }
        return Tensor(values, shape: [count]).cast(to: dtype)
    }

    /// The `n`×`m` matrix with ones on the diagonal (`m` defaults to `n`).
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float64) -> Tensor {
        let m = m ?? n
        var values = [Double](repeating: 0, count: n * m)
        for i in 0..<Swift.min(n, m) { values[i * m + i] = 1 }
        return Tensor(values, shape: [n, m]).cast(to: dtype)
    }

    /// A copy of this tensor converted to `dtype` (untraced unless the dtype is unchanged; use
    /// ``cast(to:)`` on float tensors under differentiation, which is differentiable).
    func convertedData(to target: DType) -> Tensor {
        let x = primalData
        if x.dtype == target { return x }
        func go<S: TensorScalar>(_: S.Type) -> Tensor {
            switch target {
            case .float32: return Kernels.map(x, to: .float32, Convert<S, Float>.self)
            case .float64: return Kernels.map(x, to: .float64, Convert<S, Double>.self)
            case .int64: return Kernels.map(x, to: .int64, Convert<S, Int>.self)
            case .bool: return Kernels.map(x, to: .bool, Convert<S, Bool>.self)
            }
        }
        switch x.dtype {
        case .float32: return go(Float.self)
        case .float64: return go(Double.self)
        case .int64: return go(Int.self)
        case .bool: return go(Bool.self)
        }
    }
}

/// One entry of a tensor literal: a number or a nested list. `[[1, 2], [3, 4]] as Tensor` builds a
/// 2×2 float64 matrix from these.
///
/// Tensors are deliberately *not* expressible by a bare number literal: that way an expression made
/// only of Swift numbers, such as `(2 * i + 3) * (2 * i + 2)`, always stays a `Double` computation
/// and never turns into tensor ops. Write `Tensor(2.5)` for a 0-d tensor.
public enum TensorLiteral: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, Sendable {
    /// A number.
    case number(Double)
    /// A nested list of entries.
    case list([TensorLiteral])

    /// A number entry from an integer literal.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A number entry from a float literal.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// A nested list entry from an array literal.
    public init(arrayLiteral elements: TensorLiteral...) { self = .list(elements) }

    /// The shape of this entry (`[]` for a number), or a trap for ragged nesting.
    var shape: [Int] {
        switch self {
        case .number: return []
        case .list(let items):
            guard let first = items.first else { return [0] }
            let inner = first.shape
            for item in items {
                require(item.shape == inner, "tensor literal: ragged nesting, element shapes \(inner) and \(item.shape)")
            }
            return [items.count] + inner
        }
    }

    func flatten(into values: inout [Double]) {
        switch self {
        case .number(let v): values.append(v)
        case .list(let items): for item in items { item.flatten(into: &values) }
        }
    }
}

extension Tensor: ExpressibleByArrayLiteral {
    /// A float64 tensor from a (nested) array literal: `[[1, 2], [3, 4]]` is a 2×2 matrix.
    public init(arrayLiteral elements: TensorLiteral...) {
        let literal = TensorLiteral.list(elements)
        var values: [Double] = []
        literal.flatten(into: &values)
        self.init(values, shape: literal.shape)
    }
}
