import Foundation

/// Reports training progress: a live, redrawn bar on a terminal; plain periodic lines otherwise
/// (logs, pipes, CI), so output stays readable wherever it goes.
struct ProgressReporter {
    /// Whether standard output is a terminal.
    let interactive: Bool
    /// Plain mode prints a line every this many batches.
    let linesEvery: Int
    private var lastDraw = 0.0

    init(batchesPerEpoch: Int, interactive: Bool = isatty(STDOUT_FILENO) != 0) {
        self.interactive = interactive
        linesEvery = Swift.max(1, batchesPerEpoch / 5)
    }

    /// Shows the state after `batch` of `batches` in `epoch` of `epochs`.
    mutating func update(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, accuracy: Double,
                         examplesPerSecond: Double, epochElapsed: Double) {
        let remaining = batch > 0 ? epochElapsed / Double(batch) * Double(batches - batch) : 0
        let stats = String(format: "loss %.4f  acc %5.2f%%  %@ ex/s  ETA %@", loss, 100 * accuracy,
                           groupedInteger(examplesPerSecond), clock(remaining))
        if interactive {
            let now = Date.timeIntervalSinceReferenceDate
            guard batch == batches || now - lastDraw >= 0.1 else { return }
            lastDraw = now
            let width = 28
            let filled = batches > 0 ? width * batch / batches : width
            let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "")
                + String(repeating: " ", count: Swift.max(0, width - filled - 1))
            let line = "epoch \(epoch)/\(epochs) [\(bar)] \(batch)/\(batches)  \(stats)"
            FileHandle.standardOutput.write(("\r\u{1B}[2K" + line).data(using: .utf8)!)
            if batch == batches { print() }
        } else if batch % linesEvery == 0 || batch == batches {
            print("epoch \(epoch)/\(epochs)  batch \(batch)/\(batches)  \(stats)")
            fflush(nil)
        }
    }
}

/// `1234567` → `"1,234,567"`.
func groupedInteger(_ value: Double) -> String {
    let n = Int(value.rounded())
    let digits = String(Swift.abs(n))
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return n < 0 ? "-" + out : out
}

/// Seconds as `m:ss` (or `h:mm:ss`).
func clock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}
