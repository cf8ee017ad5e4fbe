import Foundation
import Testing
@testable import Autograd

// The model builders (torch-autograd's autograd.model): the layers each option produces, output
// shapes, gradient checks of f(params, input) in float64, and a small synthetic task per builder
// on which a few dozen optimizer steps cut the loss clearly.

/// Parameters of a recurrent builder plus a linear read-out.
struct BuilderSequenceRegressor: ParameterTree {
    var body: Sequential
    var head: Linear
}

/// Three Gaussian blobs in the plane, 12 points each, labels 0, 1, 2.
private func blobs() -> (x: Tensor, y: Tensor) {
    let centres: [(Double, Double)] = [(1.5, 0), (-1, 1.3), (-1, -1.3)]
    var parts: [Tensor] = [], labels: [Int] = []
    for (k, c) in centres.enumerated() {
        parts.append(Tensor.randn([12, 2], seed: UInt64(100 + k), scale: 0.4) + Tensor([c.0, c.1]))
        labels += [Int](repeating: k, count: 12)
    }
    return (concat(parts, axis: 0), Tensor(labels))
}

/// The layer types of a Sequential, for structure checks.
private func kinds(_ s: Sequential) -> [String] { s.layers.map { "\(type(of: $0))" } }

@Suite("Model builders")
struct ModelBuilderTests {
    // MARK: NeuralNetwork

    @Test func neuralNetworkLayersAndShapes() {
        let model = NeuralNetwork(inputFeatures: 4, hiddenFeatures: [5, 3], classifier: true, dropoutProbabilities: [0.2],
                                  batchNormalization: true, seed: 1)
        // torch-autograd's layer order: [dropout] → linear → [batch norm] → activation; a classifier's
        // last layer is linear → log-softmax.
        #expect(kinds(model.parameters) == ["Dropout", "Linear", "BatchNorm", "ReLU", "Linear", "LogSoftmax"])
        #expect(model.parameters.namedTensors.map(\.name)
                == ["1.weight", "1.bias", "2.weight", "2.bias", "2.runningMean", "2.runningVariance", "4.weight", "4.bias"])
        let out = model.function(model.parameters, Tensor.randn([6, 4], seed: 2))
        #expect(out.shape == [6, 3])
        // Log-probabilities: every row's exponentials sum to 1.
        for s in exp(out).sum(axis: 1).doubles { #expect(Swift.abs(s - 1) < 1e-12) }
        let regressor = NeuralNetwork(inputFeatures: 4, hiddenFeatures: [5, 2], activations: .tanh)
        #expect(kinds(regressor.parameters) == ["Linear", "Tanh", "Linear", "Tanh"])
        // Seeded: same seed, same parameters.
        let again = NeuralNetwork(inputFeatures: 4, hiddenFeatures: [5, 3], classifier: true, dropoutProbabilities: [0.2],
                                  batchNormalization: true, seed: 1)
        #expect(again.parameters.tensors.map(\.doubles) == model.parameters.tensors.map(\.doubles))
        let other = NeuralNetwork(inputFeatures: 4, hiddenFeatures: [5, 3], seed: 2)
        #expect(other.parameters.tensors[0].doubles != model.parameters.tensors[0].doubles)
        #expect(NeuralNetwork(inputFeatures: 4, hiddenFeatures: [3], dtype: .float32).parameters.tensors.allSatisfy { $0.dtype == .float32 })
    }

    @Test func neuralNetworkGradientCheck() {
        let model = NeuralNetwork(inputFeatures: 3, hiddenFeatures: [4, 3], activations: .tanh, classifier: true,
                                  batchNormalization: true, seed: 3)
        let x = Tensor.randn([5, 3], seed: 4)
        let f = model.function
        let r = checkGradients({ (p: Sequential, x: Tensor) in (f(p, x) * Tensor.randn([5, 3], seed: 5)).sum() },
                               at: model.parameters, x)
        #expect(r.passed, "\(r)")
    }

    @Test func neuralNetworkTrainsOnBlobs() {
        let (x, y) = blobs()
        let model = NeuralNetwork(inputFeatures: 2, hiddenFeatures: [16, 3], activations: .tanh, classifier: true, seed: 6)
        let f = model.function
        var params = model.parameters
        let loss = { (p: Sequential) in nllLoss(logProbabilities: f(p, x), labels: y) }
        var opt = SGD(learningRate: 0.3, momentum: 0.5)
        let first = loss(params).scalar
        for _ in 0..<30 { opt.step(&params, loss: loss) }
        let last = loss(params).scalar
        #expect(last < 0.2 * first, "loss \(first) → \(last)")
    }

    @Test func neuralNetworkWithDropoutAndBatchNormTrains() {
        let (x, y) = blobs()
        let model = NeuralNetwork(inputFeatures: 2, hiddenFeatures: [16, 3], classifier: true, dropoutProbabilities: [0, 0.1],
                                  batchNormalization: true, seed: 7)
        let f = model.function
        var params = model.parameters
        let loss = { (p: Sequential) in nllLoss(logProbabilities: f(p, x), labels: y) }
        let first = loss(params.training(false)).scalar
        var opt = Adam(learningRate: 0.05)
        for _ in 0..<40 {
            let g = params.updatingRunningStatistics { grad(loss)($0) }
            opt.update(&params, along: g)
        }
        // Evaluation: no dropout, running statistics (moved away from their initial 0 and 1).
        let eval = params.training(false)
        let bn = eval.layers.compactMap { $0 as? BatchNorm }.first!
        #expect(bn.runningMean.doubles.contains { $0 != 0 })
        let last = loss(eval).scalar
        #expect(last < 0.3 * first, "loss \(first) → \(last)")
        let predicted = f(eval, x).argmax(axis: 1).scalars(as: Int.self)
        let correct = zip(predicted, y.scalars(as: Int.self)).filter { $0 == $1 }.count
        #expect(correct >= 33, "\(correct)/36 correct")
    }

    // MARK: SpatialNetwork

    @Test func spatialNetworkLayersAndShapes() {
        let model = SpatialNetwork(inputFeatures: 1, hiddenFeatures: [3, 4], kernelSize: 3, poolings: [2, 2],
                                   dropoutProbabilities: [0.1], batchNormalization: true, seed: 1)
        #expect(kinds(model.parameters) == ["Dropout", "Conv2d", "BatchNorm", "ReLU", "MaxPool2d",
                                            "Conv2d", "BatchNorm", "ReLU", "MaxPool2d"])
        // Padding (3 − 1)/2 = 1 keeps 8×8; two poolings by 2 give 2×2.
        let x = Tensor.randn([4, 1, 8, 8], seed: 2)
        #expect(model.function(model.parameters, x).shape == [4, 4, 2, 2])
        let flat = SpatialNetwork(inputFeatures: 1, hiddenFeatures: [3, 4], kernelSize: 3, poolings: [2, 2], flatten: true)
        #expect(flat(flat.parameters, x).shape == [4, 16])
        // Explicit padding 0 shrinks by kernel − 1: 8 → 6 → pool 3.
        let valid = SpatialNetwork(inputFeatures: 1, hiddenFeatures: [2], kernelSize: 3, padding: 0, poolings: [2])
        #expect(valid(valid.parameters, x).shape == [4, 2, 3, 3])
    }

    @Test func spatialNetworkGradientCheck() {
        let model = SpatialNetwork(inputFeatures: 2, hiddenFeatures: [2], kernelSize: 3, poolings: [2], activations: .tanh,
                                   flatten: true, seed: 3)
        let x = Tensor.randn([2, 2, 4, 4], seed: 4)
        let f = model.function
        let r = checkGradients({ (p: Sequential, x: Tensor) in square(f(p, x)).sum() }, at: model.parameters, x)
        #expect(r.passed, "\(r)")
    }

    @Test func spatialNetworkTrainsOnStripes() {
        // 6×6 images: class 0 is bright in the top half, class 1 in the bottom half, plus noise.
        let n = 16
        var images: [Tensor] = [], labels: [Int] = []
        for i in 0..<n {
            let cls = i % 2
            let rows = Tensor((0..<6).map { r in (r < 3) == (cls == 0) ? 1.0 : 0.0 }).reshape([6, 1])
            images.append((rows + Tensor.zeros([6, 6]) + Tensor.randn([6, 6], seed: UInt64(200 + i), scale: 0.3)).reshape([1, 6, 6]))
            labels.append(cls)
        }
        let x = stack(images), y = Tensor(labels)
        let convs = SpatialNetwork(inputFeatures: 1, hiddenFeatures: [4], kernelSize: 3, poolings: [2], flatten: true, seed: 8)
        let head = NeuralNetwork(inputFeatures: 4 * 3 * 3, hiddenFeatures: [2], classifier: true, seed: 9)
        let f = { (p: [Sequential], x: Tensor) in head.function(p[1], convs.function(p[0], x)) }
        var params = [convs.parameters, head.parameters]
        let loss = { (p: [Sequential]) in nllLoss(logProbabilities: f(p, x), labels: y) }
        var opt = SGD(learningRate: 0.1, momentum: 0.9)
        let first = loss(params).scalar
        for _ in 0..<25 { opt.step(&params, loss: loss) }
        let last = loss(params).scalar
        #expect(last < 0.2 * first, "loss \(first) → \(last)")
    }

    // MARK: Recurrent networks

    @Test func recurrentNetworksLayersAndShapes() {
        let xs = Tensor.randn([5, 3, 2], seed: 1)   // (steps, batch, features)
        let rnn = RecurrentNetwork(inputFeatures: 2, hiddenFeatures: [4, 6], seed: 1)
        #expect(kinds(rnn.parameters) == ["RNN", "RNN"])
        #expect(rnn.parameters.namedTensors.map(\.name) == ["0.weight", "0.bias", "1.weight", "1.bias"])
        #expect(rnn(rnn.parameters, xs).shape == [3, 6])
        let lstm = RecurrentLSTMNetwork(inputFeatures: 2, hiddenFeatures: [4, 6], outputType: .all, seed: 2)
        #expect(kinds(lstm.parameters) == ["LSTM", "LSTM"])
        #expect(lstm(lstm.parameters, xs).shape == [5, 3, 6])
        let gru = RecurrentGRUNetwork(inputFeatures: 2, hiddenFeatures: [4], seed: 3)
        #expect(gru.parameters.namedTensors.map(\.name) == ["0.weight", "0.bias", "0.hiddenBias"])
        #expect(gru(gru.parameters, xs).shape == [3, 4])
        // `.last` is the last row of `.all`.
        let all = RecurrentGRUNetwork(inputFeatures: 2, hiddenFeatures: [4], outputType: .all, seed: 3)
        #expect(all(all.parameters, xs)[4].doubles == gru(gru.parameters, xs).doubles)
        // Each layer but the last outputs the whole sequence.
        #expect((lstm.parameters.layers[0] as! LSTM).returnsSequence)
        #expect(!(rnn.parameters.layers[1] as! RNN).returnsSequence)
    }

    @Test func recurrentNetworksGradientChecks() {
        let xs = Tensor.randn([3, 2, 2], seed: 4)
        let models: [(String, ModelFunction, Sequential)] = [
            { let m = RecurrentNetwork(inputFeatures: 2, hiddenFeatures: [3, 2], seed: 5); return ("RNN", m.function, m.parameters) }(),
            { let m = RecurrentLSTMNetwork(inputFeatures: 2, hiddenFeatures: [2], outputType: .all, seed: 6); return ("LSTM", m.function, m.parameters) }(),
            { let m = RecurrentGRUNetwork(inputFeatures: 2, hiddenFeatures: [2, 2], seed: 7); return ("GRU", m.function, m.parameters) }(),
        ]
        for (name, f, params) in models {
            let r = checkGradients({ (p: Sequential, x: Tensor) in square(f(p, x)).sum() }, at: params, xs)
            #expect(r.passed, "\(name): \(r)")
        }
    }

    /// Regression of a sequence's mean (steps 4, batch 16) through a recurrent builder and a linear
    /// read-out: the loss after 40 Adam steps against the loss before.
    private func trainSequenceMean(_ body: Sequential, _ f: @escaping ModelFunction) -> (first: Double, last: Double) {
        let xs = Tensor.uniform([4, 16, 1], seed: 11, low: -1, high: 1)
        let target = xs.mean(axis: 0)   // (16, 1)
        var params = BuilderSequenceRegressor(body: body, head: Linear(inputSize: 8, outputSize: 1, seed: 12))
        let loss = { (p: BuilderSequenceRegressor) in mseLoss(p.head(f(p.body, xs)), target) }
        var opt = Adam(learningRate: 0.03)
        let first = loss(params).scalar
        for _ in 0..<40 { opt.step(&params, loss: loss) }
        return (first, loss(params).scalar)
    }

    @Test func recurrentNetworkTrains() {
        let m = RecurrentNetwork(inputFeatures: 1, hiddenFeatures: [8], seed: 13)
        let (first, last) = trainSequenceMean(m.parameters, m.function)
        #expect(last < 0.2 * first, "loss \(first) → \(last)")
    }

    @Test func recurrentLSTMNetworkTrains() {
        let m = RecurrentLSTMNetwork(inputFeatures: 1, hiddenFeatures: [8], seed: 14)
        let (first, last) = trainSequenceMean(m.parameters, m.function)
        #expect(last < 0.2 * first, "loss \(first) → \(last)")
    }

    @Test func recurrentGRUNetworkTrains() {
        let m = RecurrentGRUNetwork(inputFeatures: 1, hiddenFeatures: [8], seed: 15)
        let (first, last) = trainSequenceMean(m.parameters, m.function)
        #expect(last < 0.2 * first, "loss \(first) → \(last)")
    }
}
