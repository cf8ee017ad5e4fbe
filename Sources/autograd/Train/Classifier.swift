import ArgumentParser
import Autograd

/// The image classifiers the trainer knows: each is a plain function of a parameter dictionary
/// and a batch of flattened images, differentiated with `valueAndGrad` like any user model.
enum ClassifierKind: String, CaseIterable, ExpressibleByArgument, Sendable {
    case logreg, mlp, cnn, lstm

    /// A one-line description for `--help` and the run header.
    var summary: String {
        switch self {
        case .logreg: return "multinomial logistic regression (784 → 10)"
        case .mlp: return "MLP 784 → 512 → 256 → 10, ReLU, dropout 0.2"
        case .cnn: return "CNN conv5×5(32)-pool-conv5×5(64)-pool-fc(1024→128)-fc(10), ReLU, dropout 0.25"
        case .lstm: return "LSTM over the 28 image rows (hidden 128) → fc 10"
        }
    }

    /// The default learning rate for `optimizer`: the settings that reach the accuracy targets
    /// in the default number of epochs.
    func defaultLearningRate(_ optimizer: OptimizerKind) -> Double {
        switch optimizer {
        case .sgd, .momentum, .nesterov: return self == .logreg ? 0.1 : 0.05
        case .adam, .adamw, .rmsprop, .adagrad: return 1e-3
        }
    }

    /// The default number of epochs.
    var defaultEpochs: Int { switch self { case .logreg: 10; case .mlp: 8; case .cnn: 5; case .lstm: 4 } }

    /// The default optimizer: SGD for logistic regression, Adam for the networks.
    var defaultOptimizer: OptimizerKind { self == .logreg ? .sgd : .adam }
}

/// A classifier's parameters and forward function.
struct Classifier: Sendable {
    let kind: ClassifierKind
    /// Image height and width.
    let imageShape: [Int]

    /// Freshly initialised parameters (float32, He/Glorot scaled normals, zero biases; seeded).
    func initialParameters(classes: Int, seed: UInt64) -> [String: Tensor] {
        let pixels = imageShape.reduce(1, *)
        func normal(_ shape: [Int], fanIn: Int, gain: Double, _ k: UInt64) -> Tensor {
            Tensor.randn(shape, seed: seed &+ k, scale: gain / Double(fanIn).squareRoot(), dtype: .float32)
        }
        func zeros(_ n: Int) -> Tensor { Tensor.zeros([n], dtype: .float32) }
        let relu = 2.0.squareRoot()
        switch kind {
        case .logreg:
            return ["fc.weight": Tensor.zeros([pixels, classes], dtype: .float32), "fc.bias": zeros(classes)]
        case .mlp:
            return ["fc1.weight": normal([pixels, 512], fanIn: pixels, gain: relu, 1), "fc1.bias": zeros(512),
                    "fc2.weight": normal([512, 256], fanIn: 512, gain: relu, 2), "fc2.bias": zeros(256),
                    "fc3.weight": normal([256, classes], fanIn: 256, gain: 1, 3), "fc3.bias": zeros(classes)]
        case .cnn:
            let side = ((imageShape[0] - 4) / 2 - 4) / 2, sideW = ((imageShape[1] - 4) / 2 - 4) / 2
            let flat = 64 * side * sideW
            return ["conv1.weight": normal([32, 1, 5, 5], fanIn: 25, gain: relu, 1), "conv1.bias": zeros(32),
                    "conv2.weight": normal([64, 32, 5, 5], fanIn: 800, gain: relu, 2), "conv2.bias": zeros(64),
                    "fc1.weight": normal([flat, 128], fanIn: flat, gain: relu, 3), "fc1.bias": zeros(128),
                    "fc2.weight": normal([128, classes], fanIn: 128, gain: 1, 4), "fc2.bias": zeros(classes)]
        case .lstm:
            let input = imageShape[1], hidden = 128
            var bias = [Float](repeating: 0, count: 4 * hidden)
            for j in hidden..<(2 * hidden) { bias[j] = 1 }  // forget-gate bias 1 (gate blocks i, f, o, g)
            return ["lstm.weight": normal([input + hidden, 4 * hidden], fanIn: input + hidden, gain: 1, 1),
                    "lstm.bias": Tensor(bias, shape: [4 * hidden]),
                    "fc.weight": normal([hidden, classes], fanIn: hidden, gain: 1, 2), "fc.bias": zeros(classes)]
        }
    }

    /// The logits `[B, classes]` of a batch of flattened images `[B, pixels]`. `dropoutSeed` makes
    /// each training step's dropout mask reproducible; `training: false` turns dropout off.
    func logits(_ p: [String: Tensor], _ images: Tensor, training: Bool, dropoutSeed: UInt64) -> Tensor {
        let batch = images.shape[0]
        switch kind {
        case .logreg:
            return linear(images, weight: p["fc.weight"]!, bias: p["fc.bias"]!)
        case .mlp:
            var h = relu(linear(images, weight: p["fc1.weight"]!, bias: p["fc1.bias"]!))
            h = dropout(h, probability: 0.2, seed: dropoutSeed, training: training)
            h = relu(linear(h, weight: p["fc2.weight"]!, bias: p["fc2.bias"]!))
            h = dropout(h, probability: 0.2, seed: dropoutSeed &+ 1, training: training)
            return linear(h, weight: p["fc3.weight"]!, bias: p["fc3.bias"]!)
        case .cnn:
            var h = images.reshape([batch, 1] + imageShape)
            h = maxPool2d(relu(conv2d(h, weight: p["conv1.weight"]!, bias: p["conv1.bias"]!)), kernelSize: 2)
            h = maxPool2d(relu(conv2d(h, weight: p["conv2.weight"]!, bias: p["conv2.bias"]!)), kernelSize: 2)
            h = h.reshape([batch, -1])
            h = relu(linear(h, weight: p["fc1.weight"]!, bias: p["fc1.bias"]!))
            h = dropout(h, probability: 0.25, seed: dropoutSeed, training: training)
            return linear(h, weight: p["fc2.weight"]!, bias: p["fc2.bias"]!)
        case .lstm:
            let rows = imageShape[0], cols = imageShape[1]
            let xs = images.reshape([batch, rows, cols]).permute([1, 0, 2])  // time-major (T, B, I)
            let hidden = p["fc.weight"]!.shape[0]
            let h0 = Tensor.zeros([batch, hidden], dtype: images.dtype)
            let last = lstm(xs, h0: h0, c0: h0, weight: p["lstm.weight"]!, bias: p["lstm.bias"]!).hidden
            return linear(last, weight: p["fc.weight"]!, bias: p["fc.bias"]!)
        }
    }
}
