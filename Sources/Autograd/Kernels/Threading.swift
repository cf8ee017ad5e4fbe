import COpenBLAS
import Dispatch
import Synchronization

/// The number of threads used by kernels, ours and OpenBLAS's alike.
///
/// One setting governs both so the two never oversubscribe the machine. The default is the number
/// of active processors, or `AUTOGRAD_NUM_THREADS` when set. Kernels only split work across threads
/// above a size threshold (about 64k elements for cheap elementwise loops), where the gain
/// outweighs the cost of waking a thread.
public enum Threading {
    private static let current = Atomic<Int>(Threading.initialCount())

    private static func initialCount() -> Int {
        let n: Int
        if let s = getenvString("AUTOGRAD_NUM_THREADS"), let v = Int(s), v > 0 {
            n = v
        } else {
            n = ProcessInfoShim.activeProcessorCount
        }
        openblas_set_num_threads(Int32(n))
        return n
    }

    /// The number of threads kernels may use (at least 1).
    public static var count: Int {
        get { current.load(ordering: .relaxed) }
        set {
            let n = Swift.max(1, newValue)
            current.store(n, ordering: .relaxed)
            openblas_set_num_threads(Int32(n))
        }
    }

    /// Runs `body` over `0..<n` split into at most ``count`` contiguous chunks, in parallel when
    /// `n >= minimumParallel`; otherwise runs `body(0..<n)` on the calling thread.
    public static func forEachChunk(_ n: Int, minimumParallel: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
        let threads = count
        if threads <= 1 || n < minimumParallel {
            body(0..<n)
            return
        }
        let half = Swift.max(1, minimumParallel / 2)
        let chunks = Swift.min(threads, (n + half - 1) / half)
        let per = (n + chunks - 1) / chunks
        withoutActuallyEscaping(body) { body in
            let task = ChunkTask(body: body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = c * per, hi = Swift.min(n, lo + per)
                if lo < hi { task.body(lo..<hi) }
            }
        }
    }
}

/// A chunk body shared by the worker threads; each call touches a disjoint range.
struct ChunkTask: @unchecked Sendable {
    let body: (Range<Int>) -> Void
    init(body: @escaping (Range<Int>) -> Void) { self.body = body }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func getenvString(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}

enum ProcessInfoShim {
    static var activeProcessorCount: Int {
        #if canImport(Glibc)
        return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return Swift.max(1, Int(sysconf(_SC_NPROCESSORS_ONLN)))
        #endif
    }
}
