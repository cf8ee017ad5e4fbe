import CKernels

/// Per-thread caches of small objects that a traced computation frees and allocates by the dozen
/// (one-element tensor buffers, trace nodes), so that a scalar-heavy gradient does not pay
/// `malloc` and `free` for each of them.
///
/// An object is only ever cached by code that holds its last reference (checked with
/// `isKnownUniquelyReferenced`), after everything it refers to has been released, so a cached
/// object keeps no memory alive but its own. Each thread keeps at most 64 objects of each kind; they
/// are released when the thread exits. The stacks live in C thread-local storage
/// (`ag_object_cache.h`): Swift has no thread-local variables of its own.
enum ObjectCache {
    /// One-element, tail-allocated ``TensorBuffer``s.
    static let scalarBuffer: Int32 = 0
    /// ``UnaryNode``s.
    static let unaryNode: Int32 = 1
    /// ``BinaryNode``s.
    static let binaryNode: Int32 = 2

    /// An object of `kind`, if the calling thread has one.
    @inline(__always)
    static func take<T: AnyObject>(_ kind: Int32, as type: T.Type) -> T? {
        guard let p = ag_object_cache_take(kind) else { return nil }
        return Unmanaged<T>.fromOpaque(p).takeRetainedValue()
    }

    /// Keeps `object` (which the caller must hold the only reference to) for reuse.
    @inline(__always)
    static func give<T: AnyObject>(_ kind: Int32, _ object: T) {
        let p = Unmanaged.passRetained(object).toOpaque()
        if ag_object_cache_give(kind, p) == 0 { Unmanaged<T>.fromOpaque(p).release() }
    }

    /// Keeps the object `reference` stands for, handing over the +1 reference the caller holds.
    @inline(__always)
    static func give<T: AnyObject>(_ kind: Int32, retained reference: Unmanaged<T>) {
        if ag_object_cache_give(kind, reference.toOpaque()) == 0 { reference.release() }
    }

    /// The number of objects of `kind` the calling thread holds.
    static func count(_ kind: Int32) -> Int { ag_object_cache_count(kind) }

    /// Releases every object the calling thread holds.
    static func drain() { ag_object_cache_drain() }
}
