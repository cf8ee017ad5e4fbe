import Synchronization

/// The reference-counted memory behind one or more ``Tensor`` views.
///
/// Small buffers live in the object's own tail allocation (one `malloc` per tensor); large ones come
/// from ``BufferPool``, which keeps recently freed large buffers for reuse so that a steady-state
/// training step neither calls `mmap` nor page-faults fresh memory on every op.

final class Storage: ManagedBuffer<Storage.Header, SIMD4<Double>> {
    
    struct Header {
        var base: UnsafeMutableRawPointer
        var byteCount: Int
        var pooled: Bool
    }

    /// Bytes at or above which buffers come from the pool instead of the tail allocation.
    static let poolThreshold = 1 << 15

    /// Allocates uninitialised storage of `byteCount` bytes (32-byte aligned).
    static func allocate(byteCount: Int) -> Storage {
        if byteCount >= poolThreshold {
            let buffer = BufferPool.shared.take(byteCount: byteCount)
            let object = Storage.create(minimumCapacity: 0) { _ in
                Header(base: buffer, byteCount: byteCount, pooled: true)
            }
            return unsafeDowncast(object, to: Storage.self)
        }
        let vectors = (byteCount + 31) / 32
        let object = Storage.create(minimumCapacity: Swift.max(vectors, 1)) { _ in
            Header(base: UnsafeMutableRawPointer(bitPattern: 1)!, byteCount: byteCount, pooled: false)
        }
        let storage = unsafeDowncast(object, to: Storage.self)
        storage.header.base = storage.withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0) }
        return storage
    }

    var base: UnsafeMutableRawPointer { header.base }
    var byteCount: Int { header.byteCount }

    deinit {
        if header.pooled { BufferPool.shared.give(header.base, byteCount: header.byteCount) }
    }
}

/// A cache of large, recently freed buffers, keyed by exact size.
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
