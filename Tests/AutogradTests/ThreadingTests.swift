import CKernels
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import Autograd

/// The worker pool and the products it splits: the same results on one thread and on several,
/// loops issued from inside loops and from several threads at once.
@Suite("Threading") struct ThreadingTests {
    /// Runs `body` with ``Threading/count`` set to `n` (restored afterwards).
    func withThreads<R>(_ n: Int, _ body: () -> R) -> R {
        let saved = Threading.count
        Threading.count = n
        defer { Threading.count = saved }
        return body()
    }

    /// Products split by columns (few rows: the recurrent-layer shapes) and by rows (tall: a weight
    /// gradient), with every transpose combination, equal the one-thread product to rounding; each
    /// element is a dot product over k in the same order, so they are in fact identical.
    @Test(arguments: [(32, 200, 800), (784, 128, 512), (128, 784, 512), (40, 3000, 60)])
    func splitProductsMatchOneThread(m: Int, k: Int, n: Int) {
        let a = Tensor.randn([m, k], seed: 11), b = Tensor.randn([k, n], seed: 12)
        let at = a.transposed().contiguous().transposed(), bt = b.transposed().contiguous().transposed()
        for (x, y) in [(a, b), (at, b), (a, bt), (at, bt)] {
            let one = withThreads(1) { matmul(x, y) }
            let two = withThreads(2) { matmul(x, y) }
            let three = withThreads(3) { matmul(x, y) }
            let worst = zip(one.doubles, two.doubles).map { Swift.abs($0 - $1) }.max() ?? 0
            let worst3 = zip(one.doubles, three.doubles).map { Swift.abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-12 * Double(k) && worst3 <= 1e-12 * Double(k), "m \(m) k \(k) n \(n): \(worst), \(worst3)")
        }
    }

    /// The default thread count follows the CPU affinity mask (what `taskset` allows), which on
    /// Linux is known and no larger than the online processors.
    @Test func affinityCountIsKnown() {
        let n = Int(ag_affinity_cpu_count())
        #expect(n >= 1)
        #expect(ProcessInfoShim.activeProcessorCount == n)
    }

    /// Every iteration runs exactly once, for loops of 1 to many iterations.
    @Test func everyIterationRunsOnce() {
        for iterations in [1, 2, 3, 7, 64, 1000] {
            let hits = Mutex([Int](repeating: 0, count: iterations))
            WorkerPool.shared.run(iterations: iterations, threads: 2) { i in hits.withLock { $0[i] += 1 } }
            #expect(hits.withLock { $0.allSatisfy { $0 == 1 } }, "\(iterations) iterations")
        }
    }

    /// A loop given 2 threads runs on at most 2, even after the pool has started more workers.
    @Test func loopsUseAtMostTheirThreads() {
        WorkerPool.shared.run(iterations: 8, threads: 4) { _ in }   // start 3 workers
        let seen = Mutex(Set<UInt>())
        WorkerPool.shared.run(iterations: 200, threads: 2) { _ in
            var spin = 0.0
            for i in 0..<50_000 { spin += Double(i).squareRoot() }
            let me = UInt(pthread_self())
            seen.withLock { _ = $0.insert(spin < 0 ? 0 : me) }   // (spin is used, so the loop stays)
        }
        #expect(seen.withLock { $0.count } <= 2)
    }

    /// A loop issued inside a loop's body runs on the calling thread, completely.
    @Test func nestedLoopsComplete() {
        let total = Atomic<Int>(0)
        WorkerPool.shared.run(iterations: 4, threads: 2) { _ in
            WorkerPool.shared.run(iterations: 10, threads: 2) { j in total.add(j, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 4 * 45)
    }

    /// Loops issued from several threads at once (one gets the pool, the others run alone) all
    /// give the right sums, many times over.
    @Test func concurrentCallersGetCorrectResults() {
        let x = Tensor.randn([200_000], seed: 21)
        let expected = withThreads(1) { (x * x).sum().scalar }
        let failures = Atomic<Int>(0)
        withThreads(2) {
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                for _ in 0..<20 where (x * x).sum().scalar != expected { failures.add(1, ordering: .relaxed) }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    /// The LSTM layer (column-split per-step products) and a convolution give the same loss and
    /// gradients on one and two threads.
    @Test func layersMatchAcrossThreadCounts() {
        let xs = Tensor.randn([5, 32, 100], seed: 31), w = Tensor.randn([300, 800], seed: 32, scale: 0.05)
        let h0 = Tensor.zeros([32, 200])
        let f = { (w: Tensor) in square(lstm(xs, h0: h0, c0: h0, weight: w).hidden).sum() }
        let (v1, g1) = withThreads(1) { valueAndGrad(f)(w) }
        let (v2, g2) = withThreads(2) { valueAndGrad(f)(w) }
        #expect(Swift.abs(v1.scalar - v2.scalar) <= 1e-12 * Swift.abs(v1.scalar))
        let worst = zip(g1.doubles, g2.doubles).map { Swift.abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-11)
    }
}
