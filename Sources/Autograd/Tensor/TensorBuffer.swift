import CKernels
import Synchronization

/// The immutable description and memory of one tensor value: its layout (shape, strides, offset,
/// dtype) and, for a freshly computed tensor, its elements.
///
/// A tensor is a single reference to one of these, so copying a ``Tensor`` costs one retain, and a
/// small result (a scalar, a short vector) costs one allocation: the elements live in the object's
/// tail. Large element buffers come from ``BufferPool`` instead, which recycles them so that a
/// steady-state training step neither maps nor page-faults fresh memory. A view (slice, transpose,
/// broadcast) is a new, element-less `TensorBuffer` that keeps the buffer owning the memory alive.
final class TensorBuffer: ManagedBuffer<TensorBuffer.Header, Double> {
    struct Header {
        /// Start of the memory (element 0 of the storage, before `offset`).
        var base: UnsafeMutableRawPointer
        var shape: [Int]
        var strides: [Int]
        /// Position of the first element within the memory, in elements.
        var offset: Int
        var count: Int
        var dtype: DType
        var isContiguous: Bool
        /// Whether `base` came from the pool (and must go back to it).
        var pooled: Bool
        var byteCount: Int
        /// The buffer that owns the memory, for views.
        var owner: TensorBuffer?
    }

    /// The header, read in place (no copy of the whole header per access).
    var layout: UnsafeMutablePointer<Header> { withUnsafeMutablePointerToHeader { $0 } }

    /// Bytes at or above which element memory comes from the pool instead of the tail allocation.
    static let poolThreshold = 1 << 15

    /// A new contiguous buffer with uninitialised elements.
    ///
    /// Always inlined into its four call sites (the two `Tensor.uninitialized`): the common cases
    /// in scalar-heavy code — a recycled one-element buffer, or a small tail allocation — are then
    /// specialised for each (a 0-d shape is a constant there); pooled memory, for large tensors, is
    /// ``allocatePooled(shape:strides:count:dtype:byteCount:)``.
    @inline(__always)
    static func allocate(shape: [Int], strides: [Int], count: Int, dtype: DType) -> TensorBuffer {
        let byteCount = count * dtype.byteSize
        if byteCount >= poolThreshold {
            return allocatePooled(shape: shape, strides: strides, count: count, dtype: dtype, byteCount: byteCount)
        }
        if byteCount <= 8, let buffer = ObjectCache.take(ObjectCache.scalarBuffer, as: TensorBuffer.self) {
            // A recycled one-element buffer: its memory is its own tail, only the layout changes.
            buffer.withUnsafeMutablePointerToHeader { h in
                // (Skipping the common 0-d case saves reference counting on the empty arrays.)
                if !(shape.isEmpty && h.pointee.shape.isEmpty) {
                    h.pointee.shape = shape
                    h.pointee.strides = strides
                }
                h.pointee.count = count
                h.pointee.dtype = dtype
                h.pointee.byteCount = byteCount
            }
            return buffer
        }
        let object = TensorBuffer.create(minimumCapacity: Swift.max((byteCount + 7) / 8, 1)) { _ in
            Header(base: UnsafeMutableRawPointer(bitPattern: 32)!, shape: shape, strides: strides, offset: 0,
                   count: count, dtype: dtype, isContiguous: true, pooled: false, byteCount: byteCount, owner: nil)
        }
        let buffer = unsafeDowncast(object, to: TensorBuffer.self)
        // Through the pointers: `header` is a class property, and setting it would pay a dynamic
        // exclusivity check on every allocation.
        buffer.withUnsafeMutablePointers { h, e in h.pointee.base = UnsafeMutableRawPointer(e) }
        return buffer
    }

    /// A buffer whose elements come from the pool (32 KiB and more).
    @inline(never)
    static func allocatePooled(shape: [Int], strides: [Int], count: Int, dtype: DType, byteCount: Int) -> TensorBuffer {
        let memory = BufferPool.shared.take(byteCount: byteCount)
        TensorMemory.allocated(byteCount)
        let object = TensorBuffer.create(minimumCapacity: 0) { _ in
            Header(base: memory, shape: shape, strides: strides, offset: 0, count: count, dtype: dtype,
                   isContiguous: true, pooled: true, byteCount: byteCount, owner: nil)
        }
        return unsafeDowncast(object, to: TensorBuffer.self)
    }

    /// Hands `buffer` to the per-thread ``ObjectCache`` if it is a one-element buffer owning its
    /// memory and the caller held its only reference; otherwise just releases it.
    @inline(__always)
    static func recycle(_ buffer: consuming TensorBuffer) {
        var b = buffer
        guard isKnownUniquelyReferenced(&b) else { return }
        let h = b.layout
        guard h.pointee.byteCount <= 8, !h.pointee.pooled, h.pointee.owner == nil else { return }
        // Hand over our reference as the cache's (the retain and the end of `b` cancel out).
        let reference = Unmanaged.passRetained(b)
        _ = consume b
        ObjectCache.give(ObjectCache.scalarBuffer, retained: reference)
    }

    /// Hands `buffer` to the ``ObjectCache`` if it is a one-element buffer owning its memory and
    /// the caller's stored reference (which it is about to release) is the only one.
    @inline(__always)
    static func recycleIfLastReference(_ buffer: TensorBuffer) {
        let h = buffer.layout
        guard h.pointee.byteCount <= 8, !h.pointee.pooled, h.pointee.owner == nil else { return }
        let p = Unmanaged.passUnretained(buffer)
        guard ag_strong_count(p.toOpaque()) == 1 else { return }
        // The cache takes a reference of its own; the caller's release then leaves it the only one.
        ObjectCache.give(ObjectCache.scalarBuffer, retained: p.retain())
    }

    /// A view of `source`'s memory with another layout.
    static func view(of source: TensorBuffer, shape: [Int], strides: [Int], offset: Int, count: Int,
                     isContiguous: Bool) -> TensorBuffer {
        let h = source.layout.pointee
        let owner = h.owner ?? source
        let object = TensorBuffer.create(minimumCapacity: 0) { _ in
            Header(base: h.base, shape: shape, strides: strides, offset: offset, count: count, dtype: h.dtype,
                   isContiguous: isContiguous, pooled: false, byteCount: 0, owner: owner)
        }
        return unsafeDowncast(object, to: TensorBuffer.self)
    }

    deinit {
        // The header itself is destroyed by ManagedBuffer; only pooled memory needs handing back.
        withUnsafeMutablePointerToHeader { h in
            if h.pointee.pooled {
                TensorMemory.freed(h.pointee.byteCount)
                BufferPool.shared.give(h.pointee.base, byteCount: h.pointee.byteCount)
            }
        }
    }
}

/// A cache of large, recently freed element buffers, keyed by exact size.
///
/// Training loops allocate the same large shapes every step; handing the same buffers back avoids
/// the kernel's page-fault and zeroing cost on every step. The cache is bounded (``limitBytes``).
final class BufferPool: Sendable {
    static let shared = BufferPool()
    private let free = Mutex<(buffers: [Int: [UInt]], bytes: Int)>(([:], 0))
    /// Upper bound on the bytes kept for reuse.
    let limitBytes = 1 << 30

    func take(byteCount: Int) -> UnsafeMutableRawPointer {
        let cached: UInt? = free.withLock { state in
            guard let p = state.buffers[byteCount]?.popLast() else { return nil }
            state.bytes -= byteCount
            return p
        }
        if let cached, let p = UnsafeMutableRawPointer(bitPattern: cached) { return p }
        return UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
    }

    func give(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let kept = free.withLock { state -> Bool in
            guard state.bytes + byteCount <= limitBytes else { return false }
            state.buffers[byteCount, default: []].append(UInt(bitPattern: pointer))
            state.bytes += byteCount
            return true
        }
        if !kept { pointer.deallocate() }
    }
}

/// Counts of the memory held by large tensors (those whose elements come from the buffer pool,
/// 32 KiB and more), for measuring what a computation keeps alive: the tape of a long chain, the
/// saving of ``checkpoint(_:)``. Small tensors are not counted (counting them would cost time on
/// every scalar op).
public enum TensorMemory {
    private static let live = Atomic<Int>(0)
    private static let peak = Atomic<Int>(0)

    /// Bytes currently held by large tensors.
    public static var liveBytes: Int { live.load(ordering: .relaxed) }

    /// The largest value of ``liveBytes`` since the last ``resetPeak()``.
    public static var peakBytes: Int { peak.load(ordering: .relaxed) }

    /// Starts a new peak measurement from the current live bytes.
    public static func resetPeak() { peak.store(live.load(ordering: .relaxed), ordering: .relaxed) }

    static func allocated(_ bytes: Int) {
        let now = live.add(bytes, ordering: .relaxed).newValue
        var seen = peak.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = peak.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    static func freed(_ bytes: Int) { live.subtract(bytes, ordering: .relaxed) }
}
