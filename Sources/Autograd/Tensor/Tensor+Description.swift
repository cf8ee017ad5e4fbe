import Foundation

extension Tensor: CustomStringConvertible, CustomDebugStringConvertible {
    /// NumPy-style printing with the shape and dtype:
    ///
    /// ```
    /// [[1, 2, 3],
    ///  [4, 5, 6]] (shape [2, 3], float64)
    /// ```
    ///
    /// Floats print with up to 8 significant digits (NumPy's default precision), columns aligned; tensors with more than 1000
    /// elements show the first and last 3 entries of each dimension around `...`.
    public var description: String {
        let summarize = count > 1000
        let values = doubles
        let strings = values.map { Tensor.format($0, dtype: dtype) }
        let width = strings.map(\.count).max() ?? 0
        let body = Tensor.render(shape: shape, strides: Tensor.contiguousStrides(shape), offset: 0,
                                 strings: strings, width: width, depth: 0, summarize: summarize)
        return "\(body) (shape \(shape), \(dtype))"
    }

    /// The description plus whether the value is being traced.
    public var debugDescription: String {
        isTraced ? "\(description) [traced]" : description
    }

    static func format(_ v: Double, dtype: DType) -> String {
        switch dtype {
        case .bool: return v != 0 ? "true" : "false"
        case .int64: return String(Int(v))
        default:
            if v.isNaN { return "nan" }
            if v.isInfinite { return v > 0 ? "inf" : "-inf" }
            if v == v.rounded() && Swift.abs(v) < 1e15 { return String(format: "%.0f", v) + "." }
            return String(format: "%.8g", v)
        }
    }

    static func render(shape: [Int], strides: [Int], offset: Int, strings: [String], width: Int,
                       depth: Int, summarize: Bool) -> String {
        if shape.isEmpty { return strings.isEmpty ? "" : strings[offset] }
        let n = shape[0]
        let edge = 3
        var items: [String] = []
        let indices: [Int?] = summarize && n > 2 * edge
            ? Array(0..<edge).map { $0 } + [nil] + Array((n - edge)..<n).map { $0 }
            : Array(0..<n).map { $0 }
        for i in indices {
            guard let i else { items.append("..."); continue }
            if shape.count == 1 {
                let s = strings[offset + i * strides[0]]
                items.append(String(repeating: " ", count: width - s.count) + s)
            } else {
                items.append(render(shape: Array(shape.dropFirst()), strides: Array(strides.dropFirst()),
                                    offset: offset + i * strides[0], strings: strings, width: width,
                                    depth: depth + 1, summarize: summarize))
            }
        }
        if shape.count == 1 { return "[" + items.joined(separator: ", ") + "]" }
        let separator = "," + String(repeating: "\n", count: shape.count - 1) + String(repeating: " ", count: depth + 1)
        return "[" + items.joined(separator: separator) + "]"
    }
}
