import CKernels

/// Per-thread caches of small objects that a traced computation frees and allocates by the dozen
/// (one-element tensor buffers), so that a scalar-heavy gradient does not pay `malloc` and `free`
/// for each of them.
///
/// An object is only ever cached by code that holds its last reference (``TensorBuffer/recycle(_:)``
/// and ``TensorBuffer/recycleIfLastReference(_:)``), so a cached object is shared with nothing.
/// Each thread keeps at most 64 objects of each kind; they are released when the thread exits. The
/// stacks live in C thread-local storage (`ag_object_cache.h`): Swift has no thread-local variables
/// of its own. (Trace nodes are not cached: see the PerformanceDesign article, "Small objects".)
enum ObjectCache {
    /// One-element, tail-allocated ``TensorBuffer``s.
    static let scalarBuffer: Int32 = 0

    /// An object of `kind`, if the calling thread has one.
    @inline(__always)
    static func take<T: AnyObject>(_ kind: Int32, as type: T.Type) -> T? {
        guard let p = ag_object_cache_take(kind) else { return nil }
        return Unmanaged<T>.fromOpaque(p).takeRetainedValue()
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
