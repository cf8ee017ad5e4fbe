import Foundation

/// The curves of a training run: running training loss through each epoch and per-epoch
/// accuracies. Stored in checkpoint metadata (as JSON) so a resumed run continues the same chart.
struct TrainingHistory: Codable {
    struct Epoch: Codable {
        var epoch: Int
        var trainLoss: Double
        var trainAccuracy: Double
        var testAccuracy: Double
        var seconds: Double
    }
    var epochs: [Epoch] = []
    /// `(epoch position, running mean loss)`, about 20 points per epoch.
    var trainLoss: [(Double, Double)] = []

    private enum CodingKeys: String, CodingKey { case epochs, lossX, lossY }

    init() {}

    init(json: String) {
        guard let data = json.data(using: .utf8), let h = try? JSONDecoder().decode(TrainingHistory.self, from: data) else { return }
        self = h
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode([Epoch].self, forKey: .epochs)
        let xs = try c.decode([Double].self, forKey: .lossX), ys = try c.decode([Double].self, forKey: .lossY)
        trainLoss = Array(zip(xs, ys))
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(trainLoss.map(\.0), forKey: .lossX)
        try c.encode(trainLoss.map(\.1), forKey: .lossY)
    }

    var json: String { (try? String(data: JSONEncoder().encode(self), encoding: .utf8)) ?? "{}" }

    /// Two charts side by side: the training loss, and train/test accuracy per epoch.
    func writeChart(to path: String, title: String) throws {
        let loss = LineChart(title: "\(title): training loss", xLabel: "epoch", yLabel: "cross-entropy",
                             series: [ChartSeries(name: "running mean within the epoch", color: "#1f77b4", points: trainLoss.map { ($0.0, $0.1) })])
        let accuracy = LineChart(title: "\(title): accuracy", xLabel: "epoch", yLabel: "accuracy (%)",
                                 series: [ChartSeries(name: "train", color: "#ff7f0e", points: epochs.map { (Double($0.epoch), 100 * $0.trainAccuracy) }),
                                          ChartSeries(name: "test", color: "#2ca02c", points: epochs.map { (Double($0.epoch), 100 * $0.testAccuracy) })])
        try writeSVG([loss, accuracy], to: path)
    }
}
