// Model builders (torch-autograd's `autograd.model`): a network described by a few options, given
// back as a function `f(params, input)` and its initialised (seeded) parameters, ready for grad(f).
// The parameters are a Sequential of layer modules, so they are named ("0.weight", …), saved by
// Checkpoint, and updated by any optimizer.

/// The activation a model builder puts after each layer.
public enum Activation: Sendable, Equatable {
    /// ``relu(_:)``.
    case relu
    /// ``tanh(_:)``.
    case tanh
    /// ``sigmoid(_:)``.
    case sigmoid
    /// ``leakyRelu(_:negativeSlope:)``.
    case leakyRelu(negativeSlope: Double)
    /// ``elu(_:alpha:)`` with α = 1.
    case elu
    /// ``selu(_:)``.
    case selu
    /// ``gelu(_:approximation:)`` (exact).
    case gelu
    /// ``softplus(_:)``.
    case softplus
    /// No activation.
    case identity

    /// The activation as a module.
    public var module: any Module {
        switch self {
        case .relu: return ReLU()
        case .tanh: return Tanh()
        case .sigmoid: return Sigmoid()
        case .leakyRelu(let s): return LeakyReLU(negativeSlope: s)
        case .elu: return ELU()
        case .selu: return SELU()
        case .gelu: return GELU()
        case .softplus: return Softplus()
        case .identity: return Identity()
        }
    }

    /// The activation applied to `x`.
    public func callAsFunction(_ x: Tensor) -> Tensor { module(x) }
}

/// The function every model builder returns: the parameters applied to the input.
public typealias ModelFunction = (_ parameters: Sequential, _ input: Tensor) -> Tensor

private func applyParameters(_ parameters: Sequential, _ input: Tensor) -> Tensor { parameters(input) }

/// A probability per layer from a list that may be shorter than the layers (missing: 0).
private func probability(_ list: [Double], _ i: Int, _ op: String) -> Double {
    let p = i < list.count ? list[i] : 0
    require((0..<1).contains(p), "\(op): dropout probability \(p) of layer \(i) is outside [0, 1)")
    return p
}

/// A multilayer perceptron (torch-autograd's `model.NeuralNetwork`): for each entry of
/// `hiddenFeatures`, [dropout] → linear → [batch norm] → activation; with `classifier`, the last
/// layer has no batch norm nor activation and is followed by log-softmax, so the output is
/// log-probabilities (use ``nllLoss(logProbabilities:labels:reduction:)``).
///
/// ```swift
/// let model = NeuralNetwork(inputFeatures: 784, hiddenFeatures: [128, 10], classifier: true, seed: 1)
/// let f = model.function
/// var params = model.parameters
/// let df = grad { (p: Sequential) in nllLoss(logProbabilities: f(p, x), labels: y) }
/// var opt = SGD(learningRate: 0.1)
/// for _ in 0..<100 { opt.update(&params, along: df(params)) }
/// ```
///
/// Dropout layers draw a new seeded mask on every call; switch them off for evaluation with
/// `params.setTraining(false)` (which also puts batch norms in evaluation mode). Batch norms'
/// running statistics are updated with ``ParameterTree/updatingRunningStatistics(_:)``.
public struct NeuralNetwork {
    /// `f(params, input)`: input (batch, inputFeatures) → (batch, hiddenFeatures.last).
    public let function: ModelFunction
    /// The initialised parameters (a ``Sequential``: layers named by position, so the first
    /// linear layer's weight is `"0.weight"`, or `"1.weight"` after a dropout layer).
    public var parameters: Sequential

    /// Builds the network; parameters are drawn with seeds derived from `seed`.
    ///
    /// - Parameters:
    ///   - dropoutProbabilities: the dropout before each linear layer (missing entries: none).
    ///   - batchNormalization: a ``BatchNorm`` after each linear layer but a classifier's last.
    public init(inputFeatures: Int, hiddenFeatures: [Int], activations: Activation = .relu,
                classifier: Bool = false, dropoutProbabilities: [Double] = [], batchNormalization: Bool = false,
                seed: UInt64 = 0, dtype: DType = .float64) {
        require(inputFeatures > 0 && !hiddenFeatures.isEmpty && hiddenFeatures.allSatisfy { $0 > 0 },
                "NeuralNetwork: needs a positive input size and at least one positive layer size, got \(inputFeatures) → \(hiddenFeatures)")
        require(dropoutProbabilities.count <= hiddenFeatures.count,
                "NeuralNetwork: \(dropoutProbabilities.count) dropout probabilities for \(hiddenFeatures.count) layers")
        var layers: [any Module] = []
        var inputs = inputFeatures
        for (i, outputs) in hiddenFeatures.enumerated() {
            let last = i == hiddenFeatures.count - 1
            let p = probability(dropoutProbabilities, i, "NeuralNetwork")
            if p > 0 { layers.append(Dropout(probability: p, seed: derivedSeed(seed, 2 * i + 1))) }
            layers.append(Linear(inputSize: inputs, outputSize: outputs, seed: derivedSeed(seed, 2 * i), dtype: dtype))
            if !(classifier && last) {
                if batchNormalization { layers.append(BatchNorm(features: outputs, dtype: dtype)) }
                layers.append(activations.module)
            }
            inputs = outputs
        }
        if classifier { layers.append(LogSoftmax()) }
        parameters = Sequential(layers: layers)
        function = applyParameters
    }

    /// `function(parameters, input)`.
    public func callAsFunction(_ parameters: Sequential, _ input: Tensor) -> Tensor { function(parameters, input) }
}

/// A convolutional feature extractor (torch-autograd's `model.SpatialNetwork`): for each entry of
/// `hiddenFeatures`, [dropout] → conv2d (`kernelSize`, `padding`) → [batch norm] → activation →
/// [max pooling by `poolings[i]`]. Input (batch, inputFeatures, H, W); output the last feature maps,
/// or, with `flatten`, them flattened to (batch, features) to feed a ``NeuralNetwork``.
///
/// ```swift
/// let convs = SpatialNetwork(inputFeatures: 1, hiddenFeatures: [8, 16], kernelSize: 5, poolings: [2, 2],
///                            flatten: true, seed: 1)
/// let head = NeuralNetwork(inputFeatures: 16 * 7 * 7, hiddenFeatures: [10], classifier: true, seed: 2)
/// let f = { (p: [Sequential], x: Tensor) in head.function(p[1], convs.function(p[0], x)) }
/// var params = [convs.parameters, head.parameters]            // ready for grad(f)
/// ```
public struct SpatialNetwork {
    /// `f(params, input)`: (batch, inputFeatures, H, W) → feature maps (or flattened features).
    public let function: ModelFunction
    /// The initialised parameters (a ``Sequential``).
    public var parameters: Sequential

    /// Builds the network; parameters are drawn with seeds derived from `seed`.
    ///
    /// - Parameters:
    ///   - padding: zero padding of each convolution; by default `(kernelSize − 1) / 2`, which keeps
    ///     the size for odd kernels.
    ///   - poolings: the max-pooling window (and stride) after each layer; missing entries or 1: none.
    public init(inputFeatures: Int, hiddenFeatures: [Int], kernelSize: Int = 5, padding: Int? = nil,
                poolings: [Int] = [], activations: Activation = .relu, dropoutProbabilities: [Double] = [],
                batchNormalization: Bool = false, flatten: Bool = false, seed: UInt64 = 0, dtype: DType = .float64) {
        require(inputFeatures > 0 && !hiddenFeatures.isEmpty && hiddenFeatures.allSatisfy { $0 > 0 } && kernelSize > 0,
                "SpatialNetwork: needs positive channel counts and kernel size, got \(inputFeatures) → \(hiddenFeatures), kernel \(kernelSize)")
        var layers: [any Module] = []
        var inputs = inputFeatures
        for (i, outputs) in hiddenFeatures.enumerated() {
            let p = probability(dropoutProbabilities, i, "SpatialNetwork")
            if p > 0 { layers.append(Dropout(probability: p, seed: derivedSeed(seed, 2 * i + 1))) }
            layers.append(Conv2d(inChannels: inputs, outChannels: outputs, kernelSize: kernelSize,
                                 padding: padding ?? (kernelSize - 1) / 2, seed: derivedSeed(seed, 2 * i), dtype: dtype))
            if batchNormalization { layers.append(BatchNorm(features: outputs, dtype: dtype)) }
            layers.append(activations.module)
            if i < poolings.count, poolings[i] > 1 { layers.append(MaxPool2d(kernelSize: poolings[i])) }
            inputs = outputs
        }
        if flatten { layers.append(Flatten()) }
        parameters = Sequential(layers: layers)
        function = applyParameters
    }

    /// `function(parameters, input)`.
    public func callAsFunction(_ parameters: Sequential, _ input: Tensor) -> Tensor { function(parameters, input) }
}

/// What a recurrent model builder outputs.
public enum RecurrentOutput: Sendable, Equatable {
    /// The last hidden state of the last layer, (batch, hidden) (torch-autograd's default).
    case last
    /// Every hidden state of the last layer, (steps, batch, hidden).
    case all
}

/// The layers of a stacked recurrent network: all but the last output whole sequences.
private func recurrentStack(_ op: String, inputFeatures: Int, hiddenFeatures: [Int], output: RecurrentOutput,
                            _ make: (_ inputs: Int, _ hidden: Int, _ sequence: Bool, _ index: Int) -> any Module) -> Sequential {
    require(inputFeatures > 0 && !hiddenFeatures.isEmpty && hiddenFeatures.allSatisfy { $0 > 0 },
            "\(op): needs a positive input size and at least one positive hidden size, got \(inputFeatures) → \(hiddenFeatures)")
    var layers: [any Module] = []
    var inputs = inputFeatures
    for (i, hidden) in hiddenFeatures.enumerated() {
        let last = i == hiddenFeatures.count - 1
        layers.append(make(inputs, hidden, !last || output == .all, i))
        inputs = hidden
    }
    return Sequential(layers: layers)
}

/// A stacked Elman RNN (torch-autograd's `model.RecurrentNetwork`) over time-major input
/// (steps, batch, inputFeatures), from zero initial states, tanh activations; outputs the last
/// hidden state (batch, H) or all of them (steps, batch, H) of the last layer.
///
/// ```swift
/// let model = RecurrentNetwork(inputFeatures: 3, hiddenFeatures: [16], outputType: .last, seed: 1)
/// let f = model.function
/// let g = grad { (p: Sequential) in mseLoss(f(p, xs), ys) }(model.parameters)
/// ```
public struct RecurrentNetwork {
    /// `f(params, input)`.
    public let function: ModelFunction
    /// The initialised parameters: one ``RNN`` per layer in a ``Sequential``.
    public var parameters: Sequential

    /// Builds the network; parameters are drawn with seeds derived from `seed`.
    public init(inputFeatures: Int, hiddenFeatures: [Int], outputType: RecurrentOutput = .last,
                seed: UInt64 = 0, dtype: DType = .float64) {
        parameters = recurrentStack("RecurrentNetwork", inputFeatures: inputFeatures, hiddenFeatures: hiddenFeatures,
                                    output: outputType) { i, h, seq, k in
            RNN(inputSize: i, hiddenSize: h, returnsSequence: seq, seed: derivedSeed(seed, k), dtype: dtype)
        }
        function = applyParameters
    }

    /// `function(parameters, input)`.
    public func callAsFunction(_ parameters: Sequential, _ input: Tensor) -> Tensor { function(parameters, input) }
}

/// A stacked LSTM (torch-autograd's `model.RecurrentLSTMNetwork`) over time-major input
/// (steps, batch, inputFeatures), from zero initial states; outputs the last hidden state
/// (batch, H) or all of them (steps, batch, H) of the last layer.
///
/// ```swift
/// let model = RecurrentLSTMNetwork(inputFeatures: 3, hiddenFeatures: [32, 32], outputType: .all, seed: 1)
/// let (loss, g) = valueAndGrad { (p: Sequential) in mseLoss(model(p, xs), ys) }(model.parameters)
/// ```
public struct RecurrentLSTMNetwork {
    /// `f(params, input)`.
    public let function: ModelFunction
    /// The initialised parameters: one ``LSTM`` per layer in a ``Sequential``.
    public var parameters: Sequential

    /// Builds the network; parameters are drawn with seeds derived from `seed`.
    public init(inputFeatures: Int, hiddenFeatures: [Int], outputType: RecurrentOutput = .last,
                seed: UInt64 = 0, dtype: DType = .float64) {
        parameters = recurrentStack("RecurrentLSTMNetwork", inputFeatures: inputFeatures, hiddenFeatures: hiddenFeatures,
                                    output: outputType) { i, h, seq, k in
            LSTM(inputSize: i, hiddenSize: h, returnsSequence: seq, seed: derivedSeed(seed, k), dtype: dtype)
        }
        function = applyParameters
    }

    /// `function(parameters, input)`.
    public func callAsFunction(_ parameters: Sequential, _ input: Tensor) -> Tensor { function(parameters, input) }
}

/// A stacked GRU (torch-autograd's `model.RecurrentGRUNetwork`) over time-major input
/// (steps, batch, inputFeatures), from zero initial states; outputs the last hidden state
/// (batch, H) or all of them (steps, batch, H) of the last layer.
///
/// ```swift
/// let model = RecurrentGRUNetwork(inputFeatures: 3, hiddenFeatures: [16], seed: 1)
/// let f = model.function, params = model.parameters
/// let g = grad { (p: Sequential) in mseLoss(f(p, xs), ys) }(params)
/// ```
public struct RecurrentGRUNetwork {
    /// `f(params, input)`.
    public let function: ModelFunction
    /// The initialised parameters: one ``GRU`` per layer in a ``Sequential``.
    public var parameters: Sequential

    /// Builds the network; parameters are drawn with seeds derived from `seed`.
    public init(inputFeatures: Int, hiddenFeatures: [Int], outputType: RecurrentOutput = .last,
                seed: UInt64 = 0, dtype: DType = .float64) {
        parameters = recurrentStack("RecurrentGRUNetwork", inputFeatures: inputFeatures, hiddenFeatures: hiddenFeatures,
                                    output: outputType) { i, h, seq, k in
            GRU(inputSize: i, hiddenSize: h, returnsSequence: seq, seed: derivedSeed(seed, k), dtype: dtype)
        }
        function = applyParameters
    }

    /// `function(parameters, input)`.
    public func callAsFunction(_ parameters: Sequential, _ input: Tensor) -> Tensor { function(parameters, input) }
}
