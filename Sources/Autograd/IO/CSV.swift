import Foundation

/// A numeric table read from a CSV file: features as a matrix, and optionally a label column.
///
/// ```swift
/// let iris = try CSV.read(path: "iris.csv", label: .named("target"))
/// iris.features   // float64 [150, 4]
/// iris.labels     // int64 [150]
/// iris.columns    // ["sepal length (cm)", …, "petal width (cm)"]
/// ```
public struct CSV: Sendable {
    /// Which column, if any, holds the labels.
    public enum LabelColumn: Sendable, Equatable {
        /// The column at this 0-based position.
        case index(Int)
        /// The column with this header name (needs a header row).
        case named(String)
        /// The last column.
        case last
    }

    /// Whether the first line is a header of column names.
    public enum HeaderRow: Sendable, Equatable {
        /// A header when any field of the first line is not a number.
        case auto
        /// The first line is a header.
        case present
        /// Every line is data.
        case absent
    }

    /// The names of the feature columns (the header's, or `column0`, `column1`, … without one).
    public let columns: [String]
    /// The name of the label column, if there is one.
    public let labelColumn: String?
    /// The features, one row per data line: `[rows, columns.count]`.
    public let features: Tensor
    /// The labels, `[rows]`, or `nil` when no label column was chosen.
    public let labels: Tensor?

    /// Reads the CSV file at `path`.
    ///
    /// Fields are separated by `delimiter`, and may be quoted as in RFC 4180 (`"a,b"` is one field,
    /// `""` inside quotes is a quote); surrounding spaces are removed; empty lines and a leading
    /// byte-order mark are skipped. Every field must be a decimal number (`nan`, `inf` allowed);
    /// labels read as `int64` must be whole numbers in its range (read exactly when written as
    /// integers), as `bool` 0 or 1.
    ///
    /// - Parameters:
    ///   - header: whether the first line names the columns (default: detected).
    ///   - label: the label column, removed from the features; `nil` for none.
    ///   - featureDType: the features' dtype (`float64` by default, or `float32`).
    ///   - labelDType: the labels' dtype (`int64` by default, for class indices; or a float type).
    /// - Throws: ``DataError/badCSV(path:line:reason:)`` with the 1-based line number for a field
    ///   that is not a number, a line with the wrong number of fields, or a label that is not whole;
    ///   ``DataError/cannotRead(path:reason:)``.
    public static func read(path: String, header: HeaderRow = .auto, label: LabelColumn? = nil,
                            delimiter: Character = ",", featureDType: DType = .float64,
                            labelDType: DType = .int64) throws(DataError) -> CSV {
        let bytes: [UInt8]
        switch FileBytes.contents(of: path) {
        case .success(let b): bytes = b
        case .failure(let f): throw .cannotRead(path: path, reason: f.reason)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .badCSV(path: path, line: 1, reason: "the file is not UTF-8 text")
        }
        return try parse(text, path: path, header: header, label: label, delimiter: delimiter,
                         featureDType: featureDType, labelDType: labelDType)
    }

    /// Parses CSV text (see ``read(path:header:label:delimiter:featureDType:labelDType:)``);
    /// `path` is used in error messages only.
    public static func parse(_ text: String, path: String = "<csv>", header: HeaderRow = .auto,
                             label: LabelColumn? = nil, delimiter: Character = ",",
                             featureDType: DType = .float64, labelDType: DType = .int64) throws(DataError) -> CSV {
        require(featureDType != .bool, "CSV.parse: feature dtype must be float32, float64 or int64, not bool")
        // Split into (line number, fields), skipping blank lines.
        var lines: [(number: Int, fields: [Substring])] = []
        var number = 0
        let body = text.first == "\u{FEFF}" ? text.dropFirst() : text[...]
        // "\r\n" is one Character in Swift, so splitting at "\n", "\r\n" and "\r" handles every line
        // end (and only those: a form feed or U+2028 stays inside its line).
        for line in body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            number += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            guard let fields = splitFields(line, delimiter: delimiter) else {
                throw .badCSV(path: path, line: number, reason: "a quoted field is not closed on its line")
            }
            lines.append((number, fields))
        }
        guard let first = lines.first else { throw .badCSV(path: path, line: 1, reason: "no data lines") }

        let hasHeader: Bool
        switch header {
        case .present: hasHeader = true
        case .absent: hasHeader = false
        case .auto: hasHeader = first.fields.contains { parseNumber($0) == nil }
        }
        let width = first.fields.count
        let names = hasHeader ? first.fields.map(String.init) : (0..<width).map { "column\($0)" }
        let dataLines = hasHeader ? lines.dropFirst() : lines[...]

        var labelIndex: Int?
        switch label {
        case nil: labelIndex = nil
        case .last: labelIndex = width - 1
        case .index(let i):
            guard (0..<width).contains(i) else {
                throw .badCSV(path: path, line: first.number, reason: "label column \(i) is out of range for \(width) columns")
            }
            labelIndex = i
        case .named(let name):
            guard hasHeader else {
                throw .badCSV(path: path, line: first.number, reason: "label column \"\(name)\" named, but the file has no header row")
            }
            guard let i = names.firstIndex(of: name) else {
                throw .badCSV(path: path, line: first.number,
                              reason: "no column named \"\(name)\" (columns: \(names.joined(separator: ", ")))")
            }
            labelIndex = i
        }

        let rows = dataLines.count
        let featureCount = width - (labelIndex == nil ? 0 : 1)
        var values = [Double](repeating: 0, count: rows * featureCount)
        var labelValues = [Double](repeating: 0, count: labelIndex == nil ? 0 : rows)
        var integerLabels = [Int](repeating: 0, count: labelIndex != nil && labelDType == .int64 ? rows : 0)
        for (r, line) in dataLines.enumerated() {
            guard line.fields.count == width else {
                throw .badCSV(path: path, line: line.number,
                              reason: "\(line.fields.count) fields, expected \(width) as on line \(first.number)")
            }
            var c = 0
            for (j, field) in line.fields.enumerated() {
                guard let v = parseNumber(field) else {
                    throw .badCSV(path: path, line: line.number,
                                  reason: "field \(j + 1) (\(names[j])) is not a number: \"\(field)\"")
                }
                if j == labelIndex {
                    switch labelDType {
                    case .int64:
                        // Exact when written as an integer; otherwise a whole number in range.
                        if let n = Int(field) { integerLabels[r] = n } else if isWholeInt64(v) { integerLabels[r] = Int(v) } else {
                            throw .badCSV(path: path, line: line.number,
                                          reason: "label \"\(field)\" in column \(names[j]) is not a whole number in int64's range")
                        }
                    case .bool:
                        guard v == 0 || v == 1 else {
                            throw .badCSV(path: path, line: line.number, reason: "label \"\(field)\" in column \(names[j]) is not 0 or 1")
                        }
                    default: break
                    }
                    labelValues[r] = v
                } else {
                    if featureDType == .int64, !isWholeInt64(v) {
                        throw .badCSV(path: path, line: line.number,
                                      reason: "field \(j + 1) (\(names[j])) is not a whole number in int64's range: \"\(field)\"")
                    }
                    values[r * featureCount + c] = v
                    c += 1
                }
            }
        }
        let features = Tensor(values, shape: [rows, featureCount]).cast(to: featureDType)
        let labels = labelIndex.map { _ in
            labelDType == .int64 ? Tensor(integerLabels, shape: [rows]) : Tensor(labelValues, shape: [rows]).cast(to: labelDType)
        }
        var featureNames = names
        var labelName: String?
        if let i = labelIndex { labelName = featureNames.remove(at: i) }
        return CSV(columns: featureNames, labelColumn: labelName, features: features, labels: labels)
    }

    /// The fields of one line: split at `delimiter` outside double quotes, blanks around each
    /// field removed, a quoted field unquoted (`""` inside it is one `"`); nil for an unclosed quote.
    private static func splitFields(_ line: Substring, delimiter: Character) -> [Substring]? {
        guard line.contains("\"") else {
            return line.split(separator: delimiter, omittingEmptySubsequences: false).map(trimmed)
        }
        var fields: [Substring] = []
        var rest = line[...]
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            if rest.first == "\"" {
                var value = ""
                var i = rest.index(after: rest.startIndex)
                var closed = false
                while i < rest.endIndex {
                    if rest[i] == "\"" {
                        let next = rest.index(after: i)
                        if next < rest.endIndex, rest[next] == "\"" { value.append("\""); i = rest.index(after: next); continue }
                        closed = true
                        i = next
                        break
                    }
                    value.append(rest[i])
                    i = rest.index(after: i)
                }
                guard closed else { return nil }
                fields.append(Substring(value))
                rest = rest[i...].drop { $0 == " " || $0 == "\t" }
                if rest.isEmpty { return fields }
                guard rest.first == delimiter else { return nil }
                rest = rest.dropFirst()
            } else {
                let end = rest.firstIndex(of: delimiter) ?? rest.endIndex
                fields.append(trimmed(rest[..<end]))
                if end == rest.endIndex { return fields }
                rest = rest[rest.index(after: end)...]
            }
        }
    }

    /// `field` without surrounding blanks.
    private static func trimmed(_ field: Substring) -> Substring {
        var f = field.drop { $0 == " " || $0 == "\t" }
        while let l = f.last, l == " " || l == "\t" { f = f.dropLast() }
        return f
    }

    /// Whether `v` converts to `Int` exactly.
    private static func isWholeInt64(_ v: Double) -> Bool { v.rounded() == v && -0x1p63 <= v && v < 0x1p63 }

    /// A decimal number (`1`, `-2.5e3`, `nan`, `inf`), or `nil` (also for hexadecimal forms, which
    /// `Double.init` would accept but NumPy does not).
    private static func parseNumber(_ s: Substring) -> Double? {
        if s.isEmpty || s.contains(where: { $0 == "x" || $0 == "X" }) { return nil }
        return Double(s)
    }
}
