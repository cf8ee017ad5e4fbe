import CKernels
import COpenBLAS
import Dispatch
import Synchronization

/// The number of threads used by kernels, BLAS products included.
///
/// One setting governs all parallel work, so nothing oversubscribes the machine: OpenBLAS itself
/// runs single-threaded, and large matrix products are cut into one block per thread, each a BLAS
/// call on the library's worker pool (the same threads as the elementwise and convolution
/// loops). The default is the number of processors the process may run on (its CPU affinity, so
/// `taskset -c 0` gives 1), or `AUTOGRAD_NUM_THREADS` when set.
/// Kernels only split work across threads above a size threshold (about 64k elements for cheap
/// elementwise loops, 2M multiply–adds for products), where the gain outweighs the hand-over.
///
/// LAPACK routines (the eigen-decomposition of ``CMAES``) run on one thread.
public enum Threading {
    private static let current = Atomic<Int>(Threading.initialCount())

    private static func initialCount() -> Int {
        let n: Int
        if let s = getenvString("AUTOGRAD_NUM_THREADS"), let v = Int(s), v > 0 {
            n = v
        } else {
            n = ProcessInfoShim.activeProcessorCount
        }
        // Parallel BLAS work goes through our threads (Kernels.gemm); OpenBLAS's own would compete
        // with them, spinning for a while after each call.
        openblas_set_num_threads(1)
        return n
    }

    /// Makes sure OpenBLAS has been configured before a BLAS or LAPACK call that does not read
    /// ``count`` otherwise.
    @inline(__always)
    static func prepareBLAS() { _ = current.load(ordering: .relaxed) }

    /// The number of threads kernels may use (at least 1).
    public static var count: Int {
        get { current.load(ordering: .relaxed) }
        set {
            current.store(Swift.max(1, newValue), ordering: .relaxed)
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
        WorkerPool.shared.run(iterations: chunks, threads: threads) { c in
            let lo = c * per, hi = Swift.min(n, lo + per)
            if lo < hi { body(lo..<hi) }
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
    /// The processors this process may run on: its CPU affinity mask on Linux (so `taskset -c 0`
    /// gives 1, as Python's `os.sched_getaffinity`), else the online processors.
    static var activeProcessorCount: Int {
        #if canImport(Glibc)
        let n = Int(ag_affinity_cpu_count())
        if n > 0 { return n }
        return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return Swift.max(1, Int(sysconf(_SC_NPROCESSORS_ONLN)))
        #endif
    }
}
