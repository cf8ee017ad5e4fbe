import Foundation

/// Prints one row as soon as its workload finishes (like the Python harness's log lines).
func printProgress(_ row: BenchRow) {
    let s = row.stats
    var line = "[autograd-swift] \(row.workload.padded(9)) \(row.variant.padded(24)) median \(compact(s.median)) \(row.unit == "us" ? "µs" : row.unit)"
        + " (min \(compact(s.min)), max \(compact(s.max)), reps \(s.reps)x\(s.inner),"
        + " cpu \(String(format: "%.2f", s.cpuUtil.median)), probe \(String(format: "%.4f", s.probes.median)) ms)"
    if let g = row.gflops { line += String(format: "  %.1f GFLOP/s (best %.1f)", g.median, g.best) }
    print(line + "  check: \(row.check)")
}

/// The results table: workload, variant, median, min, max, unit, check (and GFLOP/s for GEMM).
func printTable(_ rows: [BenchRow]) {
    let header = ["workload", "variant", "median", "min", "max", "unit", "check", "GFLOP/s (med/best)"]
    let cells = rows.map { r -> [String] in
        [r.workload, r.variant, compact(r.stats.median), compact(r.stats.min), compact(r.stats.max),
         r.unit == "us" ? "µs" : r.unit, r.check,
         r.gflops.map { String(format: "%.1f / %.1f", $0.median, $0.best) } ?? ""]
    }
    let widths = header.indices.map { c in ([header] + cells).map { $0[c].count }.max()! }
    let numeric: Set<Int> = [2, 3, 4]
    for line in [header] + cells {
        print(line.indices.map { line[$0].padded(widths[$0], left: numeric.contains($0)) }
            .joined(separator: "  "))
    }
}

/// One entry of the JSON output; times are per call (or per step / per op) in `unit`.
struct JSONRow: Encodable {
    var median, min, max: Double
    var unit, check: String
    var reps, inner, warmup, threads: Int
    /// The very first call, in `unit`.
    var first_call: Double
    /// Median of the per-repetition process CPU time / wall time.
    var cpu_util: Double
    /// Median speed probe (ms) and the probe after each repetition, to split results by VM phase.
    var probe_ms: Double
    var all, probe_all: [Double]
    var gflops: [String: Double]?

    init(_ r: BenchRow, threads: Int) {
        let s = r.stats
        (median, min, max, unit, check) = (s.median, s.min, s.max, r.unit, r.check)
        (reps, inner, warmup, self.threads) = (s.reps, s.inner, s.warmup, threads)
        (first_call, cpu_util, probe_ms, all, probe_all) = (s.firstCall, s.cpuUtil.median, s.probes.median, s.all, s.probes)
        gflops = r.gflops.map { ["median": $0.median, "best": $0.best, "worst": $0.worst] }
    }
}

/// Writes `{"<workload id[ variant]>": {"median", "min", "max", "unit", "check", …}, …}` to `path`.
func writeJSON(_ rows: [BenchRow], threads: Int, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let object = Dictionary(rows.map { ($0.key, JSONRow($0, threads: threads)) }, uniquingKeysWith: { $1 })
    try encoder.encode(object).write(to: URL(fileURLWithPath: path))
}
