import Foundation

/// One plotted series: points `(x, y)`, a name for the legend and a colour.
struct ChartSeries {
    var name: String
    var color: String
    var points: [(x: Double, y: Double)]
}

/// A line chart with axes, ticks and a legend, written as a standalone SVG (viewable in any browser).
struct LineChart {
    var title: String
    var xLabel: String
    var yLabel: String
    var series: [ChartSeries]
    var width = 480.0
    var height = 320.0

    /// The chart as an SVG `<g>` element placed at `(x, y)`.
    func svgGroup(at origin: (x: Double, y: Double)) -> String {
        let left = 60.0, right = 16.0, top = 34.0, bottom = 46.0
        let plotW = width - left - right, plotH = height - top - bottom
        let all = series.flatMap(\.points)
        var (x0, x1) = (all.map(\.x).min() ?? 0, all.map(\.x).max() ?? 1)
        var (y0, y1) = (all.map(\.y).min() ?? 0, all.map(\.y).max() ?? 1)
        if x1 <= x0 { x1 = x0 + 1 }
        if y1 <= y0 { (y0, y1) = (y0 - 0.5, y1 + 0.5) }
        let xt = niceTicks(x0, x1), yt = niceTicks(y0, y1)
        x0 = Swift.min(x0, xt.first!); x1 = Swift.max(x1, xt.last!)
        y0 = Swift.min(y0, yt.first!); y1 = Swift.max(y1, yt.last!)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotW }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * plotH }
        var s = "<g transform=\"translate(\(fmt(origin.x)),\(fmt(origin.y)))\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" fill=\"white\"/>\n"
        s += "<text x=\"\(fmt(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(escaped(title))</text>\n"
        for t in yt {
            s += "<line x1=\"\(fmt(left))\" x2=\"\(fmt(left + plotW))\" y1=\"\(fmt(py(t)))\" y2=\"\(fmt(py(t)))\" stroke=\"#e4e4e4\"/>\n"
            s += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(py(t) + 4))\" text-anchor=\"end\" font-size=\"11\">\(tickLabel(t))</text>\n"
        }
        for t in xt {
            s += "<line x1=\"\(fmt(px(t)))\" x2=\"\(fmt(px(t)))\" y1=\"\(fmt(top))\" y2=\"\(fmt(top + plotH))\" stroke=\"#f0f0f0\"/>\n"
            s += "<text x=\"\(fmt(px(t)))\" y=\"\(fmt(top + plotH + 16))\" text-anchor=\"middle\" font-size=\"11\">\(tickLabel(t))</text>\n"
        }
        s += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(plotW))\" height=\"\(fmt(plotH))\" fill=\"none\" stroke=\"#444\"/>\n"
        s += "<text x=\"\(fmt(left + plotW / 2))\" y=\"\(fmt(height - 8))\" text-anchor=\"middle\" font-size=\"12\">\(escaped(xLabel))</text>\n"
        s += "<text transform=\"translate(14,\(fmt(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">\(escaped(yLabel))</text>\n"
        for (k, serie) in series.enumerated() where !serie.points.isEmpty {
            let path = serie.points.map { "\(fmt(px($0.x))),\(fmt(py($0.y)))" }.joined(separator: " ")
            s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(serie.color)\" stroke-width=\"1.8\"/>\n"
            if serie.points.count <= 40 {
                for p in serie.points {
                    s += "<circle cx=\"\(fmt(px(p.x)))\" cy=\"\(fmt(py(p.y)))\" r=\"3\" fill=\"\(serie.color)\"/>\n"
                }
            }
            let ly = top + 14 + Double(k) * 16
            s += "<line x1=\"\(fmt(left + plotW - 150))\" x2=\"\(fmt(left + plotW - 130))\" y1=\"\(fmt(ly - 4))\" y2=\"\(fmt(ly - 4))\" stroke=\"\(serie.color)\" stroke-width=\"2\"/>\n"
            s += "<text x=\"\(fmt(left + plotW - 124))\" y=\"\(fmt(ly))\" font-size=\"11\">\(escaped(serie.name))</text>\n"
        }
        return s + "</g>\n"
    }
}

/// Writes charts side by side into one SVG file (atomically: temporary file, then rename).
func writeSVG(_ charts: [LineChart], to path: String) throws {
    let width = charts.reduce(0) { $0 + $1.width }, height = charts.map(\.height).max() ?? 0
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" "
        + "font-family=\"Helvetica, Arial, sans-serif\">\n"
    var x = 0.0
    for c in charts {
        svg += c.svgGroup(at: (x, 0))
        x += c.width
    }
    svg += "</svg>\n"
    let temporary = path + ".tmp"
    try svg.write(toFile: temporary, atomically: false, encoding: .utf8)
    guard rename(temporary, path) == 0 else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
    }
}

/// About five round tick values covering `[lo, hi]`.
func niceTicks(_ lo: Double, _ hi: Double) -> [Double] {
    let span = hi - lo
    let raw = span / 5
    let magnitude = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
    let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    let start = Foundation.floor(lo / step) * step
    var ticks: [Double] = []
    var t = start
    while t <= hi + step * 0.999 && ticks.count < 20 {
        ticks.append(t)
        t += step
    }
    return ticks
}

private func tickLabel(_ v: Double) -> String {
    if v == v.rounded() && Swift.abs(v) < 1e6 { return String(Int(v)) }
    return String(format: "%g", (v * 1e6).rounded() / 1e6)
}

private func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

private func escaped(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
}
