/// An n-dimensional array of numbers that records the operations applied to it when it is being
/// differentiated.
///
/// A tensor is a strided, row-major view into reference-counted ``Storage``: slicing, transposing and
/// broadcasting make new views without copying. It has value semantics — no public operation mutates
/// a tensor in place — and is `Sendable`.
///
/// ```swift
/// let x: Tensor = [[1, 2, 3], [4, 5, 6]]          // float64, shape [2, 3]
/// let y = (x * x).sum(axis: 1)                      // [14, 77]
/// let g = grad { x in (x * x).sum() }(x)            // 2x
/// ```
///
/// While a function runs under ``grad(_:)`` (or another differential operator), the tensors derived
/// from its arguments carry a link to the trace that records them; everything about them — shape,
/// dtype, values — reads as usual.
public struct Tensor: @unchecked Sendable {
    let storage: Storage
    /// The size of each dimension; `[]` for a 0-d (scalar) tensor.
    public let shape: [Int]
    /// Distance, in elements, between consecutive entries along each dimension.
    public let strides: [Int]
    /// Position, in elements, of the first entry within the storage.
    let offset: Int
    /// The total number of elements (the product of ``shape``).
    public let count: Int
    /// The element type.
    public let dtype: DType
    /// Whether the elements are laid out densely in row-major order starting at `offset`.
    public let isContiguous: Bool
    /// The trace node if this tensor is a value being differentiated; `nil` for a constant.
    var node: Node?

    /// Creates a view; `isContiguous` and `count` are derived from `shape` and `strides`.
    
    init(storage: Storage, shape: [Int], strides: [Int], offset: Int, dtype: DType) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.dtype = dtype
        var n = 1
        for s in shape { n &*= s }
        self.count = n
        self.isContiguous = Tensor.isRowMajor(shape: shape, strides: strides)
        self.node = nil
    }

    /// A contiguous view over the whole of `storage`.
    
    init(contiguous storage: Storage, shape: [Int], dtype: DType, count: Int, strides: [Int]) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = 0
        self.dtype = dtype
        self.count = count
        self.isContiguous = true
        self.node = nil
    }

    /// Allocates an uninitialised contiguous tensor.
    
    static func uninitialized(shape: [Int], dtype: DType) -> Tensor {
        var n = 1
        for s in shape { n &*= s }
        let storage = Storage.allocate(byteCount: n * dtype.byteSize)
        return Tensor(contiguous: storage, shape: shape, dtype: dtype, count: n,
                      strides: shape.isEmpty ? shape : Tensor.contiguousStrides(shape))
    }

    /// Allocates an uninitialised contiguous tensor shaped like `like` (sharing its shape and
    /// stride arrays when `like` is contiguous, so no array is allocated).
    
    static func uninitialized(like other: Tensor, dtype: DType? = nil) -> Tensor {
        let dt = dtype ?? other.dtype
        let storage = Storage.allocate(byteCount: other.count * dt.byteSize)
        return Tensor(contiguous: storage, shape: other.shape, dtype: dt, count: other.count,
                      strides: other.isContiguous ? other.strides : Tensor.contiguousStrides(other.shape))
    }

    /// Row-major strides for `shape`.
    
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        if shape.isEmpty { return [] }
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc &*= shape[i]
        }
        return strides
    }
    
    static func isRowMajor(shape: [Int], strides: [Int]) -> Bool {
        var expected = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected &*= shape[i]
        }
        return true
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// Whether this tensor is being traced by an active differential operator.
    public var isTraced: Bool { node?.isLive ?? false }

    /// Typed pointer to the first element (valid while `storage` is alive).
    
    func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        storage.base.assumingMemoryBound(to: T.self) + offset
    }

    /// The data of this tensor with every trace link removed.
    
    var primalData: Tensor {
        guard node != nil else { return self }
        var t = self
        t.node = nil
        return t
    }
}

extension Tensor {
    /// Calls `body` with a pointer to the elements of a contiguous copy of this tensor (no copy is
    /// made when the tensor is already contiguous).
    ///
    /// - Precondition: `T.dtype == dtype`.
    
    public func withUnsafeBufferPointer<T: TensorScalar, R>(
        as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) rethrows -> R {
        precondition(T.dtype == dtype, "withUnsafeBufferPointer: tensor has dtype \(dtype), not \(T.dtype)")
        let c = contiguous()
        return try withExtendedLifetime(c) {
            try body(UnsafeBufferPointer(start: c.pointer(T.self), count: c.count))
        }
    }

    /// The elements in row-major order, converted to `T`.
    ///
    /// ```swift
    /// Tensor([[1, 2], [3, 4]]).scalars(as: Double.self)   // [1, 2, 3, 4]
    /// ```
    public func scalars<T: TensorScalar>(as type: T.Type = T.self) -> [T] {
        let c = T.dtype == dtype ? contiguous() : cast(to: T.dtype).contiguous()
        return withExtendedLifetime(c) {
            Array(UnsafeBufferPointer(start: c.pointer(T.self), count: c.count))
        }
    }

    /// The elements in row-major order as `Double`s.
    public var doubles: [Double] { scalars(as: Double.self) }

    /// The value of a one-element tensor as a `Double` (cheap: no copy, no allocation).
    ///
    /// - Precondition: the tensor has exactly one element.
    
    public var scalar: Double {
        precondition(count == 1, "scalar: tensor of shape \(shape) has \(count) elements, not 1")
        return withExtendedLifetime(storage) {
            switch dtype {
            case .float32: return Double(pointer(Float.self).pointee)
            case .float64: return pointer(Double.self).pointee
            case .int64: return Double(pointer(Int.self).pointee)
            case .bool: return pointer(Bool.self).pointee ? 1 : 0
            }
        }
    }

    /// The value of a one-element tensor converted to `T`.
    
    public func item<T: TensorScalar>(as type: T.Type = Double.self) -> T {
        if T.self == Int.self, dtype == .int64 {
            precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, not 1")
            return withExtendedLifetime(storage) { pointer(Int.self).pointee as! T }
        }
        return T(fromDouble: scalar)
    }
}
