#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds on the monotonic clock (`CLOCK_MONOTONIC`).
func monotonicSeconds() -> Double { clockSeconds(CLOCK_MONOTONIC) }

/// CPU time used by the whole process, all threads (`CLOCK_PROCESS_CPUTIME_ID`), in seconds.
func processCPUSeconds() -> Double { clockSeconds(CLOCK_PROCESS_CPUTIME_ID) }

private func clockSeconds(_ clock: clockid_t) -> Double {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Returns its argument through a call the optimiser cannot see into, so values passed through it
/// must really be computed.
@inline(never) @_optimize(none)
func opaque<T>(_ x: T) -> T { x }

/// The speed probe of `common.speed_probe()`: milliseconds for a fixed 20,000-iteration loop of
/// `s += i*i`. The sum goes through ``opaque(_:)`` every iteration, so the loop can be neither
/// folded to a closed form nor vectorised. Absolute values differ from the Python probe; what
/// matters is the ratio between the VM's fast and slow phases.
func speedProbe() -> Double {
    let n = opaque(20_000)
    let t0 = monotonicSeconds()
    var s = 0
    for i in 0..<n { s = opaque(s &+ i &* i) }
    let t1 = monotonicSeconds()
    _ = opaque(s)
    return (t1 - t0) * 1e3
}

/// How a workload is timed: the parameters of `common.bench`.
struct BenchSettings {
    /// Untimed calls in total, the first (timed separately as `firstCall`) included.
    var warmup = 3
    /// Timed repetitions, unless that would take more than `maxTotal` seconds.
    var minReps = 10
    /// Each repetition runs `inner` back-to-back calls, enough to take at least this many seconds.
    var targetRep = 0.05
    /// Budget in seconds for all repetitions; above it the repetitions drop (never below 3).
    var maxTotal = 20.0
    /// A fixed number of calls per repetition instead of `targetRep`.
    var inner: Int? = nil

    /// The smoke-test settings of `common.bench(quick=True)` (the fixed `inner` kept).
    var quick: BenchSettings {
        BenchSettings(warmup: 1, minReps: 3, targetRep: 0.01, maxTotal: 3, inner: inner)
    }
}

/// Per-call timings of one workload, in seconds until ``scaled(by:)``.
struct BenchStats {
    /// Per-call time of each repetition (elapsed / inner).
    var all: [Double]
    /// Speed probe (ms) run after each repetition.
    var probes: [Double]
    /// Process CPU time / wall time of each repetition (≈ the number of busy cores).
    var cpuUtil: [Double]
    /// Duration of the very first call.
    var firstCall: Double
    var reps: Int, inner: Int, warmup: Int

    var median: Double { all.median }
    var min: Double { all.min() ?? .nan }
    var max: Double { all.max() ?? .nan }

    /// Times multiplied by `factor` (a unit change, or a division by operations per call).
    func scaled(by factor: Double) -> BenchStats {
        var s = self
        s.all = all.map { $0 * factor }
        s.firstCall = firstCall * factor
        return s
    }
}

extension Array where Element == Double {
    /// The median (the mean of the two middle values for an even count), NaN when empty.
    var median: Double {
        guard !isEmpty else { return .nan }
        let s = sorted(), m = count / 2
        return count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
    }
}

/// Times `fn` exactly as `common.bench` does: one first call, the other warm-up calls, one
/// calibration call that fixes `inner = ceil(targetRep / calibration)`, then at least `minReps`
/// repetitions of `inner` back-to-back calls, a speed probe after each.
func bench(_ settings: BenchSettings, quick: Bool = false, _ fn: () -> Void) -> BenchStats {
    let p = quick ? settings.quick : settings
    var t0 = monotonicSeconds()
    fn()
    let first = monotonicSeconds() - t0
    for _ in 0..<Swift.max(0, p.warmup - 1) { fn() }
    t0 = monotonicSeconds()
    fn()
    let single = Swift.max(monotonicSeconds() - t0, 1e-9)
    let inner = p.inner ?? Swift.max(1, Int((p.targetRep / single).rounded(.up)))
    var reps = p.minReps
    if single * Double(inner * reps) > p.maxTotal {
        reps = Swift.max(3, Int(p.maxTotal / (single * Double(inner))))
    }
    var stats = BenchStats(all: [], probes: [], cpuUtil: [], firstCall: first,
                           reps: reps, inner: inner, warmup: p.warmup)
    for _ in 0..<reps {
        let c0 = processCPUSeconds(), w0 = monotonicSeconds()
        for _ in 0..<inner { fn() }
        let w1 = monotonicSeconds(), c1 = processCPUSeconds()
        stats.all.append((w1 - w0) / Double(inner))
        stats.cpuUtil.append((c1 - c0) / Swift.max(w1 - w0, 1e-12))
        stats.probes.append(speedProbe())
    }
    return stats
}
