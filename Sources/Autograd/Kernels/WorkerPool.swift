import CKernels
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The threads behind every parallel loop of the kernels: ``Threading/count`` − 1 persistent
/// workers plus the calling thread, handing out the iterations of one loop at a time.
///
/// Between loops a worker spins for a few tens of microseconds, then yields its core, then sleeps;
/// so a loop issued soon after the previous one (the elementwise ops and per-time-step GEMMs of a
/// training step) starts on every thread at once. Dispatch's `concurrentPerform` took about 100 µs
/// to bring in a second thread on the development VM, longer than most of those loops.
///
/// One loop runs at a time. A loop issued while another runs (from inside its body, or from
/// another thread) runs on the calling thread alone — same results, no parallelism.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// The current loop: generation (24 bits) | iteration count (20 bits) | next iteration (20 bits).
    /// Claiming an iteration is a compare-and-swap on this word, so a worker still finishing one
    /// loop can never claim an iteration of the next.
    private let word = Atomic<UInt64>(0)
    /// Iterations of the current loop that have finished.
    private let done = Atomic<Int>(0)
    /// Whether a loop is running (the pool serves one at a time).
    private let busy = Atomic<Bool>(false)
    /// The current loop's body, valid while its iterations run.
    private nonisolated(unsafe) var body: ((Int) -> Void)?
    /// Workers started so far.
    private let started = Mutex<Int>(0)
    /// How many workers take part in the current loop (the first ones; the others sit it out, so
    /// a loop never uses more threads than it was given).
    private let participants = Atomic<Int>(0)
    /// Workers asleep on `wake`.
    private let sleepers = Atomic<Int>(0)
    private let sleepLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    private static let indexBits: UInt64 = 20, countShift: UInt64 = 20, generationShift: UInt64 = 40
    private static let indexMask: UInt64 = (1 << 20) - 1
    /// The most iterations one loop may have.
    static let maximumIterations = 1 << 20 - 1

    private init() {
        pthread_mutex_init(sleepLock, nil)
        pthread_cond_init(wake, nil)
    }

    /// Runs `body(i)` for every `i` in `0..<iterations`, on up to `threads` threads (the caller
    /// included), and returns when all have finished. Iterations are handed out one at a time, so
    /// a thread slowed by another process takes fewer of them.
    func run(iterations: Int, threads: Int, _ body: (Int) -> Void) {
        precondition(iterations <= Self.maximumIterations, "WorkerPool: \(iterations) iterations in one loop")
        if iterations <= 0 { return }
        if iterations == 1 || threads <= 1 || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for i in 0..<iterations { body(i) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        ensureWorkers(threads - 1)
        withoutActuallyEscaping(body) { body in
            self.body = body
            done.store(0, ordering: .relaxed)
            participants.store(threads - 1, ordering: .relaxed)
            let generation = ((word.load(ordering: .relaxed) >> Self.generationShift) + 1) & 0xFF_FFFF
            let start = generation << Self.generationShift | UInt64(iterations) << Self.countShift
            word.store(start, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(sleepLock)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(sleepLock)
            }
            work(generation: generation)
            while done.load(ordering: .acquiring) < iterations { ag_spin_pause() }
            self.body = nil
        }
    }

    /// Claims and runs iterations of loop `generation` until none is left.
    private func work(generation: UInt64) {
        while true {
            var v = word.load(ordering: .acquiring)
            var claimed = -1
            while v >> Self.generationShift == generation {
                let index = v & Self.indexMask, count = (v >> Self.countShift) & Self.indexMask
                if index >= count { break }
                let (exchanged, original) = word.compareExchange(expected: v, desired: v + 1, ordering: .acquiringAndReleasing)
                if exchanged { claimed = Int(index); break }
                v = original
            }
            if claimed < 0 { return }
            body!(claimed)
            done.add(1, ordering: .releasing)
        }
    }

    private func ensureWorkers(_ n: Int) {
        started.withLock { count in
            while count < n {
                let context = Unmanaged.passRetained(WorkerStart(pool: self, index: count)).toOpaque()
                var thread = pthread_t()
                let status = pthread_create(&thread, nil, { context in
                    let start = Unmanaged<WorkerStart>.fromOpaque(context!).takeRetainedValue()
                    start.pool.workerLoop(index: start.index)
                }, context)
                precondition(status == 0, "WorkerPool: pthread_create failed (\(status))")
                pthread_detach(thread)
                count += 1
            }
        }
    }

    /// Waits for each new loop and works on it: spinning first (about 50 µs), then yielding the
    /// core (about 2 ms), then asleep until the next loop is issued.
    private func workerLoop(index: Int) -> Never {
        var seen = word.load(ordering: .acquiring) >> Self.generationShift
        while true {
            var spins = 0
            var generation = word.load(ordering: .acquiring) >> Self.generationShift
            while generation == seen {
                spins += 1
                if spins < 2_000 {
                    ag_spin_pause()
                } else if spins < 4_000 {
                    sched_yield()
                } else {
                    pthread_mutex_lock(sleepLock)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while word.load(ordering: .sequentiallyConsistent) >> Self.generationShift == seen {
                        pthread_cond_wait(wake, sleepLock)
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(sleepLock)
                    spins = 0
                }
                generation = word.load(ordering: .acquiring) >> Self.generationShift
            }
            seen = generation
            // `participants` was stored before the loop was published (read after it here).
            if index < participants.load(ordering: .relaxed) { work(generation: generation) }
        }
    }
}

/// What a new worker thread is handed: its pool and its index among the workers.
private final class WorkerStart {
    let pool: WorkerPool
    let index: Int
    init(pool: WorkerPool, index: Int) {
        self.pool = pool
        self.index = index
    }
}
