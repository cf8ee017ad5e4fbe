import ArgumentParser
import Autograd
import Foundation

/// `autograd bench`: times workloads of `shared/bench/README.md` on the same data, shapes and
/// timing method as the peer systems, and checks every result against the README's values.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the peer-benchmark workloads (W1–W9, DISPATCH).",
        discussion: """
            Only a release build gives meaningful numbers:
              swift build -c release && .build/release/autograd bench W1 --threads 1
            The peers' 1-thread rows were pinned to one core: prefix `taskset -c 0` to compare.
            Exits with status 1 when a check fails.
            """)

    @Argument(help: "Workloads to run (default: all).")
    var workloads: [Workload] = []

    @Option(help: "Threads for every kernel, matrix products included (sets Threading.count).")
    var threads: Int = 1

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    @Flag(help: "Smoke run: few repetitions, numbers meaningless.")
    var quick = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        #if DEBUG
        printError("warning: debug build — timings are meaningless; use `swift build -c release`.")
        #endif
        Threading.count = threads
        var selected: [Workload] = []
        for w in workloads.isEmpty ? Workload.allCases : workloads where !selected.contains(w) { selected.append(w) }
        print("autograd bench: \(selected.map(\.rawValue).joined(separator: " ")), threads \(Threading.count), "
              + "CPUs \(allowedCPUs()), idle speed probe \(String(format: "%.4f", speedProbe())) ms"
              + (quick ? ", QUICK (numbers meaningless)" : ""))
        let data = checkDeterministicData()
        print("deterministic data: \(data)")

        var rows: [BenchRow] = []
        for w in selected {
            for row in w.run(quick: quick) {
                printProgress(row)
                rows.append(row)
            }
        }
        print()
        printTable(rows)
        print("\nmedian speed probe: \(String(format: "%.4f", rows.flatMap(\.stats.probes).median)) ms "
              + "(20,000 × `s += i*i`; compare runs within the same VM phase)")
        if let path = json {
            try writeJSON(rows, threads: threads, to: path)
            print("wrote \(path)")
        }
        let failures = rows.filter { $0.check != "ok" }.map(\.key) + (data == "ok" ? [] : ["deterministic data"])
        if !failures.isEmpty {
            printError("check failures: \(failures.joined(separator: ", "))")
            throw ExitCode.failure
        }
    }
}

/// Writes `message` to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// The CPUs this process may run on (`Cpus_allowed_list` of `/proc/self/status`, e.g. "0-1").
private func allowedCPUs() -> String {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
    return line.map { $0.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces) } ?? "?"
}
