/// An n-dimensional array of numbers that records the operations applied to it when it is being
/// differentiated.
///
/// A tensor is a strided, row-major view into reference-counted memory: slicing, transposing and
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
    /// Layout and memory (one reference: copying a tensor costs one retain).
    var buffer: TensorBuffer
    /// The trace node if this tensor is a value being differentiated; `nil` for a constant.
    var node: Node?

    init(buffer: TensorBuffer, node: Node? = nil) {
        self.buffer = buffer
        self.node = node
    }

    /// A view with the given layout into `source`'s memory.
    init(viewing source: Tensor, shape: [Int], strides: [Int], offset: Int) {
        var n = 1
        for s in shape { n &*= s }
        buffer = TensorBuffer.view(of: source.buffer, shape: shape, strides: strides, offset: offset, count: n,
                                   isContiguous: Tensor.isRowMajor(shape: shape, strides: strides))
        node = nil
    }

    /// The size of each dimension; `[]` for a 0-d (scalar) tensor.
    public var shape: [Int] { buffer.layout.pointee.shape }
    /// Distance, in elements, between consecutive entries along each dimension.
    public var strides: [Int] { buffer.layout.pointee.strides }
    /// Position, in elements, of the first entry within the memory.
    var offset: Int { buffer.layout.pointee.offset }
    /// The total number of elements (the product of ``shape``).
    public var count: Int { buffer.layout.pointee.count }
    /// The element type.
    public var dtype: DType { buffer.layout.pointee.dtype }
    /// Whether the elements are laid out densely in row-major order.
    public var isContiguous: Bool { buffer.layout.pointee.isContiguous }

    /// Allocates an uninitialised contiguous tensor.
    static func uninitialized(shape: [Int], dtype: DType) -> Tensor {
        // 0-d: the empty-array literals cost no reference counting.
        if shape.isEmpty { return Tensor(buffer: .allocate(shape: [], strides: [], count: 1, dtype: dtype)) }
        var n = 1
        for s in shape { n &*= s }
        return Tensor(buffer: .allocate(shape: shape, strides: shape.isEmpty ? shape : Tensor.contiguousStrides(shape),
                                        count: n, dtype: dtype))
    }

    /// Allocates an uninitialised contiguous tensor shaped like `other` (sharing its shape and
    /// stride arrays when `other` is contiguous, so no array is allocated).
    static func uninitialized(like other: Tensor, dtype: DType? = nil) -> Tensor {
        let h = other.buffer.layout
        // A 0-d result takes the empty-array literals, which cost no reference counting (copying
        // `other`'s empty arrays would retain them).
        if h.pointee.shape.isEmpty {
            return Tensor(buffer: .allocate(shape: [], strides: [], count: 1, dtype: dtype ?? h.pointee.dtype))
        }
        return Tensor(buffer: .allocate(shape: h.pointee.shape,
                                        strides: h.pointee.isContiguous ? h.pointee.strides : Tensor.contiguousStrides(h.pointee.shape),
                                        count: h.pointee.count, dtype: dtype ?? h.pointee.dtype))
    }

    /// Row-major strides for `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        if shape.isEmpty { return [] }
        if shape.count == 1 { return unitStride }
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc &*= shape[i]
        }
        return strides
    }

    /// `[1]`, shared by every contiguous vector.
    static let unitStride = [1]

    static func isRowMajor(shape: [Int], strides: [Int]) -> Bool {
        var expected = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected &*= shape[i]
        }
        return true
    }

    /// The number of dimensions.
    public var rank: Int { buffer.layout.pointee.shape.count }

    /// Whether this tensor is being traced by an active differential operator.
    public var isTraced: Bool { node?.isLive ?? false }

    /// Typed pointer to the first element (valid while `buffer` is alive).
    func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        let h = buffer.layout
        return h.pointee.base.assumingMemoryBound(to: T.self) + h.pointee.offset
    }

    /// Raw pointer to the first element.
    var rawPointer: UnsafeMutableRawPointer {
        let h = buffer.layout
        return h.pointee.base + h.pointee.offset * h.pointee.dtype.byteSize
    }

    /// Releases this tensor, handing its buffer to the ``ObjectCache`` if it is an untraced
    /// one-element buffer nothing else holds.
    @inline(__always)
    consuming func recycle() {
        guard node == nil else { return }
        let b = buffer
        _ = consume self
        TensorBuffer.recycle(b)
    }

    /// For an object about to release this stored tensor: if its reference is the last one to an
    /// untraced one-element buffer, the buffer goes to the ``ObjectCache`` (which takes a reference
    /// of its own). The caller must release its reference before any tensor is allocated.
    @inline(__always)
    func recycleIfLastReference() {
        guard node == nil else { return }
        TensorBuffer.recycleIfLastReference(buffer)
    }

    /// The data of this tensor with every trace link removed.
    var primalData: Tensor {
        guard node != nil else { return self }
        return Tensor(buffer: buffer)
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
        require(T.dtype == dtype, "withUnsafeBufferPointer: tensor has dtype \(dtype), not \(T.dtype)")
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
        require(count == 1, "scalar: tensor of shape \(shape) has \(count) elements, not 1")
        return withExtendedLifetime(buffer) {
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
            require(count == 1, "item: tensor of shape \(shape) has \(count) elements, not 1")
            return withExtendedLifetime(buffer) { pointer(Int.self).pointee as! T }
        }
        return T(fromDouble: scalar)
    }
}
