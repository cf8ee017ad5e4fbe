import Foundation

/// `value` in full precision: the shortest decimal that reads back as the same `Double` (as
/// Python's `repr`, so values compare directly with the seeds' printed output).
func fullPrecision(_ value: Double) -> String { "\(value)" }

/// `value` with about four significant digits, for tables of timings.
func compact(_ value: Double) -> String {
    let a = Swift.abs(value)
    let decimals = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : a >= 1 ? 3 : 4
    return String(format: "%.\(decimals)f", value)
}

extension String {
    /// This string padded with spaces on the right (`left: false`) or left to `width` characters.
    func padded(_ width: Int, left: Bool = false) -> String {
        let pad = String(repeating: " ", count: Swift.max(0, width - count))
        return left ? pad + self : self + pad
    }
}
