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
    /// Fields are separated by `delimiter`; surrounding spaces and double quotes are removed; empty
    /// lines are skipped. Every field must be a number (`nan`, `inf` allowed); labels read as `int64`
    /// must be whole numbers.
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
        // "\r\n" is one Character in Swift, so `isNewline` splits LF, CRLF and CR line ends alike.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = line.split(separator: delimiter, omittingEmptySubsequences: false).map(clean)
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
                    if labelDType == .int64 || labelDType == .bool, v.rounded() != v || !v.isFinite {
                        throw .badCSV(path: path, line: line.number,
                                      reason: "label \"\(field)\" in column \(names[j]) is not a whole number")
                    }
                    labelValues[r] = v
                } else {
                    if featureDType == .int64, v.rounded() != v || !v.isFinite {
                        throw .badCSV(path: path, line: line.number,
                                      reason: "field \(j + 1) (\(names[j])) is not a whole number: \"\(field)\"")
                    }
                    values[r * featureCount + c] = v
                    c += 1
                }
            }
        }
        let features = Tensor(values, shape: [rows, featureCount]).cast(to: featureDType)
        let labels = labelIndex.map { _ in Tensor(labelValues, shape: [rows]).cast(to: labelDType) }
        var featureNames = names
        var labelName: String?
        if let i = labelIndex { labelName = featureNames.remove(at: i) }
        return CSV(columns: featureNames, labelColumn: labelName, features: features, labels: labels)
    }

    /// A field without surrounding blanks and double quotes.
    private static func clean(_ field: Substring) -> Substring {
        var f = field.drop { $0 == " " || $0 == "\t" }
        while let l = f.last, l == " " || l == "\t" { f = f.dropLast() }
        if f.count >= 2, f.first == "\"", f.last == "\"" { f = f.dropFirst().dropLast() }
        return f
    }

    /// A number in C syntax (`1`, `-2.5e3`, `nan`, `inf`), or `nil`.
    private static func parseNumber(_ s: Substring) -> Double? {
        if s.isEmpty { return nil }
        return Double(s)
    }
}
