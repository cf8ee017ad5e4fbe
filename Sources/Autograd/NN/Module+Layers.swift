import Synchronization

// Layer modules: thin value types over the functional layers of NN/, holding their parameters and
// hyper-parameters. Default initialisations are PyTorch's; every random draw has an explicit seed.

/// PyTorch's default bias: U(−1/√fanIn, 1/√fanIn).
private func defaultBias(_ n: Int, fanIn: Int, seed: UInt64, dtype: DType) -> Tensor {
    let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
    return Initializer.uniform(low: -bound, high: bound)([n], seed: seed, dtype: dtype)
}

// MARK: - Linear and convolutions

/// A fully connected layer, `x·weight + bias` (``linear(_:weight:bias:)``), with `weight` of shape
/// (in, out) and `bias` of shape (out).
///
/// ```swift
/// let layer = Linear(inputSize: 784, outputSize: 128, seed: 1, dtype: .float32)
/// let h = layer(x)   // x: (batch, 784) → (batch, 128)
/// ```
public struct Linear: Module {
    /// The (in, out) weight.
    public var weight: Tensor
    /// The (out) bias, if any.
    public var bias: Tensor?

    /// A layer with the given parameters.
    public init(weight: Tensor, bias: Tensor? = nil) {
        require(weight.rank == 2, "Linear: weight must be 2-d (in, out), got shape \(weight.shape)")
        self.weight = weight
        self.bias = bias
    }

    /// A layer initialised with `weightInitializer` (PyTorch's default U(±1/√in)) and, by default,
    /// PyTorch's bias U(±1/√in), drawn with seeds derived from `seed`.
    public init(inputSize: Int, outputSize: Int, bias: Bool = true, seed: UInt64 = 0, dtype: DType = .float64,
                weightInitializer: Initializer = .torchDefault, biasInitializer: Initializer? = nil) {
        require(inputSize > 0 && outputSize > 0, "Linear: sizes must be positive, got \(inputSize) → \(outputSize)")
        weight = weightInitializer([inputSize, outputSize], seed: derivedSeed(seed, 0), dtype: dtype)
        if bias {
            self.bias = biasInitializer.map { $0([outputSize], seed: derivedSeed(seed, 1), dtype: dtype) }
                ?? defaultBias(outputSize, fanIn: inputSize, seed: derivedSeed(seed, 1), dtype: dtype)
        }
    }

    /// `x·weight + bias`.
    public func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight: weight, bias: bias) }
}

/// A 2-d convolution (``conv2d(_:weight:bias:stride:padding:dilation:groups:)``) of N×C×H×W inputs,
/// weight (out, in/groups, k, k) and bias (out).
public struct Conv2d: Module {
    /// The (out, in/groups, kH, kW) weight.
    public var weight: Tensor
    /// The (out) bias, if any.
    public var bias: Tensor?
    /// The stride.
    public var stride: Int
    /// The zero padding on each side.
    public var padding: Int
    /// The dilation.
    public var dilation: Int
    /// The number of groups.
    public var groups: Int

    /// A layer with the given parameters.
    public init(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        require(weight.rank == 4, "Conv2d: weight must be 4-d (out, in/groups, kH, kW), got shape \(weight.shape)")
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    /// A layer initialised as PyTorch's `nn.Conv2d` (weight and bias U(±1/√fanIn), fanIn =
    /// in/groups·k²) unless `weightInitializer`/`biasInitializer` are given.
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, seed: UInt64 = 0, dtype: DType = .float64,
                weightInitializer: Initializer = .torchDefault, biasInitializer: Initializer? = nil) {
        let (w, b) = convolutionParameters("Conv2d", inChannels: inChannels, outChannels: outChannels,
                                           kernel: [kernelSize, kernelSize], groups: groups, bias: bias, seed: seed, dtype: dtype,
                                           weightInitializer: weightInitializer, biasInitializer: biasInitializer)
        self.init(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    /// The convolution of `x`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// A 1-d convolution (``conv1d(_:weight:bias:stride:padding:dilation:groups:)``) of N×C×L inputs,
/// weight (out, in/groups, k) and bias (out).
public struct Conv1d: Module {
    /// The (out, in/groups, k) weight.
    public var weight: Tensor
    /// The (out) bias, if any.
    public var bias: Tensor?
    /// The stride.
    public var stride: Int
    /// The zero padding on each side.
    public var padding: Int
    /// The dilation.
    public var dilation: Int
    /// The number of groups.
    public var groups: Int

    /// A layer with the given parameters.
    public init(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        require(weight.rank == 3, "Conv1d: weight must be 3-d (out, in/groups, k), got shape \(weight.shape)")
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    /// A layer initialised as PyTorch's `nn.Conv1d` (weight and bias U(±1/√fanIn), fanIn = in/groups·k).
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, seed: UInt64 = 0, dtype: DType = .float64,
                weightInitializer: Initializer = .torchDefault, biasInitializer: Initializer? = nil) {
        let (w, b) = convolutionParameters("Conv1d", inChannels: inChannels, outChannels: outChannels,
                                           kernel: [kernelSize], groups: groups, bias: bias, seed: seed, dtype: dtype,
                                           weightInitializer: weightInitializer, biasInitializer: biasInitializer)
        self.init(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    /// The convolution of `x`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv1d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

// MARK: - Pooling and reshaping

/// 2-d max pooling (``maxPool2d(_:kernelSize:stride:padding:)``); no parameters.
public struct MaxPool2d: Module {
    /// The window size.
    public var kernelSize: Int
    /// The step between windows (the window size by default).
    public var stride: Int?
    /// The padding on each side.
    public var padding: Int

    /// A max-pooling layer.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
    }

    /// The pooled `x`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        maxPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding)
    }
}

/// 2-d average pooling (``avgPool2d(_:kernelSize:stride:padding:countIncludePad:)``); no parameters.
public struct AvgPool2d: Module {
    /// The window size.
    public var kernelSize: Int
    /// The step between windows (the window size by default).
    public var stride: Int?
    /// The padding on each side.
    public var padding: Int
    /// Whether padded zeros count in each window's divisor (PyTorch's default).
    public var countIncludePad: Bool

    /// An average-pooling layer.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) {
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.countIncludePad = countIncludePad
    }

    /// The pooled `x`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        avgPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad)
    }
}

/// Merges the dimensions from `startAxis` on into one: (N, C, H, W) → (N, C·H·W) by default.
public struct Flatten: Module {
    /// The first dimension merged (1: keep the batch dimension).
    public var startAxis: Int

    /// A flattening layer.
    public init(startAxis: Int = 1) { self.startAxis = startAxis }

    /// `x` with dimensions `startAxis…` merged.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        require(startAxis >= 0 && startAxis <= x.rank, "Flatten: start axis \(startAxis) is out of range for input \(x.shape)")
        return x.reshape(Array(x.shape[..<startAxis]) + [x.shape[startAxis...].reduce(1, *)])
    }
}

// MARK: - Dropout

/// The number of forward passes of a ``Dropout`` module (shared by its copies).
final class CallCounter: Sendable {
    private let count = Atomic<UInt64>(0)
    /// The index of this call (0, 1, 2, …); replayed inside a recomputed ``checkpoint(_:)`` segment.
    func next() -> UInt64 { DrawLog.draw { count.wrappingAdd(1, ordering: .relaxed).oldValue } }
}

/// Dropout (``dropout(_:probability:seed:training:)``) in training mode, the identity in
/// evaluation mode.
///
/// Each forward pass draws a fresh mask: call `k` of a module uses the seed `derivedSeed(seed, k)`,
/// so a run is reproducible from the seed. The call counter is shared by a module's copies (the one
/// reference inside this value type: copying a network does not restart its masks) — the tape of a
/// gradient keeps the mask of its forward pass, and a ``checkpoint(_:)`` segment recomputed in the
/// backward pass replays its masks, so gradients are exact. Set ``seed`` to restart.
public struct Dropout: Module {
    /// The probability of zeroing an element.
    public var probability: Double
    /// The seed of the mask sequence; setting it restarts the sequence.
    public var seed: UInt64 {
        didSet { calls = CallCounter() }
    }
    /// Whether dropout is applied (training) or not (evaluation).
    public var training: Bool
    private var calls = CallCounter()

    /// A dropout layer, in training mode by default.
    public init(probability: Double, seed: UInt64 = 0, training: Bool = true) {
        require((0...1).contains(probability), "Dropout: probability \(probability) is outside [0, 1]")
        self.probability = probability
        self.seed = seed
        self.training = training
    }

    /// `x` with elements dropped (training) or `x` (evaluation).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if !training || probability == 0 { return x }
        return dropout(x, probability: probability, seed: derivedSeed(seed, Int(truncatingIfNeeded: calls.next())),
                       training: true)
    }

    /// Sets ``training``.
    public mutating func setTraining(_ training: Bool) { self.training = training }
}

// MARK: - Normalisation

/// Batch normalisation over channel axis 1 (``batchNorm(_:runningMean:runningVariance:weight:bias:training:momentum:epsilon:)``)
/// with learnable `weight` (γ, ones) and `bias` (β, zeros) and running statistics.
///
/// **Running statistics.** `runningMean` (zeros) and `runningVariance` (ones) are state, not
/// parameters: they are leaves named `"runningMean"`, `"runningVariance"` for checkpoints (as
/// PyTorch's buffers) and gradients (their exact derivative: zero in training, where the output
/// does not depend on them), but optimizers skip them (like ``Frozen``). In evaluation mode they
/// normalise the input. In training mode the batch statistics normalise the input; the forward
/// pass cannot change the module (a value), so the updated statistics
/// `(1 − momentum)·running + momentum·batch` are stored by
/// ``ParameterTree/updatingRunningStatistics(_:)`` around the training step — the value-type
/// counterpart of PyTorch's in-place buffer update:
///
/// ```swift
/// let (loss, g) = net.updatingRunningStatistics { net in valueAndGrad(lossOfNet)(net) }
/// opt.update(&net, along: g)
/// net.setTraining(false)   // evaluation: running statistics
/// ```
public struct BatchNorm: Module {
    /// γ (C), or nil without affine parameters.
    public var weight: Tensor?
    /// β (C), or nil without affine parameters.
    public var bias: Tensor?
    /// The running mean (C).
    public var runningMean: Tensor
    /// The running (unbiased) variance (C).
    public var runningVariance: Tensor
    /// The weight of the batch statistics in the running statistics' update.
    public var momentum: Double
    /// Added to the variance before the square root.
    public var epsilon: Double
    /// Batch statistics (training) or running statistics (evaluation).
    public var training: Bool
    /// Identifies the module and its copies to ``ParameterTree/updatingRunningStatistics(_:)``
    /// (which first gives each position in the tree an identity of its own).
    var identity: Int

    /// A batch norm over `features` channels, in training mode by default.
    public init(features: Int, momentum: Double = 0.1, epsilon: Double = 1e-5, affine: Bool = true,
                training: Bool = true, dtype: DType = .float64) {
        require(features > 0, "BatchNorm: features must be positive, got \(features)")
        weight = affine ? Tensor.ones([features], dtype: dtype) : nil
        bias = affine ? Tensor.zeros([features], dtype: dtype) : nil
        runningMean = Tensor.zeros([features], dtype: dtype)
        runningVariance = Tensor.ones([features], dtype: dtype)
        self.momentum = momentum
        self.epsilon = epsilon
        self.training = training
        identity = RunningStatistics.newIdentity()
    }

    /// The normalised `x` (N, C) or (N, C, …).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let out = batchNorm(x, runningMean: runningMean, runningVariance: runningVariance, weight: weight, bias: bias,
                            training: training, momentum: momentum, epsilon: epsilon)
        if training, let recorder = RunningStatistics.recorder,
           let mean = out.runningMean, let variance = out.runningVariance {
            recorder.record(identity, [mean, variance])
        }
        return out.output
    }

    /// Sets ``training``.
    public mutating func setTraining(_ training: Bool) { self.training = training }

    /// `weight`, `bias`, then (except for optimizers) `runningMean`, `runningVariance` — after
    /// storing recorded statistics when called by ``ParameterTree/updatingRunningStatistics(_:)``.
    public mutating func updateTensors(_ body: (inout Tensor) -> Void) {
        if RunningStatistics.renumbering { identity = RunningStatistics.newIdentity() }
        if let pending = RunningStatistics.pending, let update = pending.update(for: identity) {
            runningMean = update[0]
            runningVariance = update[1]
        }
        weight?.updateTensors(body)
        bias?.updateTensors(body)
        ParameterTraversal.visitingFrozen {
            body(&runningMean)
            body(&runningVariance)
        }
    }

    /// Names `weight`, `bias`, `runningMean`, `runningVariance` (the statistics hidden from optimizers).
    public func forEachNamedTensor(prefix: String, _ body: (String, Tensor) -> Void) {
        func name(_ n: String) -> String { prefix.isEmpty ? n : prefix + "." + n }
        if let weight { body(name("weight"), weight) }
        if let bias { body(name("bias"), bias) }
        ParameterTraversal.visitingFrozen {
            body(name("runningMean"), runningMean)
            body(name("runningVariance"), runningVariance)
        }
    }
}

/// Layer normalisation over the trailing `normalizedShape` (``layerNorm(_:normalizedShape:weight:bias:epsilon:)``)
/// with learnable `weight` (ones) and `bias` (zeros).
public struct LayerNorm: Module {
    /// The normalised trailing dimensions.
    public var normalizedShape: [Int]
    /// The scale (normalizedShape), or nil.
    public var weight: Tensor?
    /// The shift (normalizedShape), or nil.
    public var bias: Tensor?
    /// Added to the variance before the square root.
    public var epsilon: Double

    /// A layer norm over trailing dimensions `normalizedShape`.
    public init(normalizedShape: [Int], epsilon: Double = 1e-5, affine: Bool = true, dtype: DType = .float64) {
        self.normalizedShape = normalizedShape
        weight = affine ? Tensor.ones(normalizedShape, dtype: dtype) : nil
        bias = affine ? Tensor.zeros(normalizedShape, dtype: dtype) : nil
        self.epsilon = epsilon
    }

    /// The normalised `x`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        layerNorm(x, normalizedShape: normalizedShape, weight: weight, bias: bias, epsilon: epsilon)
    }
}

// MARK: - Embedding

/// An embedding table (``embedding(_:weight:)``): int64 indices of any shape → their rows of
/// `weight` (vocabulary, features), initialised N(0, 1) as PyTorch.
public struct Embedding: Module {
    /// The (vocabulary, features) table.
    public var weight: Tensor

    /// A table with the given rows.
    public init(weight: Tensor) {
        require(weight.rank == 2, "Embedding: weight must be 2-d (vocabulary, features), got shape \(weight.shape)")
        self.weight = weight
    }

    /// A table of N(0, 1) rows (or `initializer`'s).
    public init(vocabularySize: Int, features: Int, seed: UInt64 = 0, dtype: DType = .float64,
                initializer: Initializer = .normal()) {
        require(vocabularySize > 0 && features > 0, "Embedding: vocabulary size and features must be positive, got \(vocabularySize) and \(features)")
        self.init(weight: initializer([vocabularySize, features], seed: derivedSeed(seed, 0), dtype: dtype))
    }

    /// The rows of `indices` (int64): shape `indices.shape + [features]`.
    public func callAsFunction(_ indices: Tensor) -> Tensor { embedding(indices, weight: weight) }
}

// MARK: - Activations

/// `max(x, 0)`.
public struct ReLU: Module {
    /// The activation.
    public init() {}
    /// `relu(x)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { relu(x) }
}

/// `x` for `x > 0`, else `negativeSlope·x`.
public struct LeakyReLU: Module {
    /// The slope for negative inputs.
    public var negativeSlope: Double
    /// The activation (PyTorch's default slope 0.01).
    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }
    /// `leakyRelu(x)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { leakyRelu(x, negativeSlope: negativeSlope) }
}

/// `x` for `x > 0`, else `alpha·(eˣ − 1)`.
public struct ELU: Module {
    /// The scale of the negative part.
    public var alpha: Double
    /// The activation.
    public init(alpha: Double = 1) { self.alpha = alpha }
    /// `elu(x)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { elu(x, alpha: alpha) }
}

/// The scaled ELU of Klambauer et al.
public struct SELU: Module {
    /// The activation.
    public init() {}
    /// `selu(x)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { selu(x) }
}

/// The Gaussian error linear unit.
public struct GELU: Module {
    /// Exact or tanh-approximated.
    public var approximation: GELUApproximation
    /// The activation.
    public init(approximation: GELUApproximation = .none) { self.approximation = approximation }
    /// `gelu(x)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { gelu(x, approximation: approximation) }
}

/// `log(1 + eˣ)`.
public struct Softplus: Module {
    /// The activation.
    public init() {}
    /// `softplus(x)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { softplus(x) }
}

/// `1 / (1 + e⁻ˣ)`.
public struct Sigmoid: Module {
    /// The activation.
    public init() {}
    /// `sigmoid(x)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { sigmoid(x) }
}

/// The hyperbolic tangent.
public struct Tanh: Module {
    /// The activation.
    public init() {}
    /// `tanh(x)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { tanh(x) }
}

/// Softmax along an axis.
public struct Softmax: Module {
    /// The normalised axis.
    public var axis: Int
    /// The activation (last axis by default).
    public init(axis: Int = -1) { self.axis = axis }
    /// `softmax(x, axis:)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { softmax(x, axis: axis) }
}

/// Log-softmax along an axis (the classifier output of torch's `LogSoftMax`).
public struct LogSoftmax: Module {
    /// The normalised axis.
    public var axis: Int
    /// The activation (last axis by default).
    public init(axis: Int = -1) { self.axis = axis }
    /// `logSoftmax(x, axis:)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { logSoftmax(x, axis: axis) }
}

/// The identity.
public struct Identity: Module {
    /// The identity module.
    public init() {}
    /// `x`.
    public func callAsFunction(_ x: Tensor) -> Tensor { x }
}

// MARK: - Recurrent layers

/// PyTorch's recurrent initialisation: U(−1/√hidden, 1/√hidden).
private func recurrentInit(_ shape: [Int], hidden: Int, seed: UInt64, dtype: DType) -> Tensor {
    let k = 1 / Double(hidden).squareRoot()
    return Initializer.uniform(low: -k, high: k)(shape, seed: seed, dtype: dtype)
}

private func checkSequenceInput(_ op: String, _ xs: Tensor, inputSize: Int) {
    require(xs.rank == 3 && xs.shape[2] == inputSize,
            "\(op): input must be time-major (steps, batch, \(inputSize)), got shape \(xs.shape)")
}

/// An Elman RNN over time-major sequences (``rnn(_:h0:weight:bias:nonlinearity:)``) from a zero
/// initial state: (T, B, I) → all hidden states (T, B, H), or the last one (B, H) when
/// ``returnsSequence`` is false. Weight (I+H, H), initialised U(±1/√H) as PyTorch; bias (H),
/// PyTorch's `b_ih + b_hh` in one tensor, initialised as that sum of two U(±1/√H) draws.
public struct RNN: Module {
    /// The (I+H, H) weight.
    public var weight: Tensor
    /// The (H) bias, if any.
    public var bias: Tensor?
    /// The activation.
    public var nonlinearity: RNNNonlinearity
    /// Output all hidden states (true) or only the last.
    public var returnsSequence: Bool

    /// An RNN layer.
    public init(inputSize: Int, hiddenSize: Int, nonlinearity: RNNNonlinearity = .tanh, bias: Bool = true,
                returnsSequence: Bool = true, seed: UInt64 = 0, dtype: DType = .float64) {
        require(inputSize > 0 && hiddenSize > 0, "RNN: sizes must be positive, got \(inputSize) → \(hiddenSize)")
        weight = recurrentInit([inputSize + hiddenSize, hiddenSize], hidden: hiddenSize, seed: derivedSeed(seed, 0), dtype: dtype)
        // PyTorch's b_ih + b_hh: the sum of two U(±1/√H) draws (ranging over ±2/√H).
        self.bias = bias ? recurrentInit([hiddenSize], hidden: hiddenSize, seed: derivedSeed(seed, 1), dtype: dtype)
            + recurrentInit([hiddenSize], hidden: hiddenSize, seed: derivedSeed(seed, 2), dtype: dtype) : nil
        self.nonlinearity = nonlinearity
        self.returnsSequence = returnsSequence
    }

    /// The hidden size H.
    public var hiddenSize: Int { weight.shape[1] }

    /// The hidden states of `xs` (T, B, I).
    public func callAsFunction(_ xs: Tensor) -> Tensor {
        checkSequenceInput("RNN", xs, inputSize: weight.shape[0] - hiddenSize)
        let h0 = Tensor.zeros([xs.shape[1], hiddenSize], dtype: weight.dtype)
        let r = rnn(xs, h0: h0, weight: weight, bias: bias, nonlinearity: nonlinearity)
        return returnsSequence ? r.outputs : r.hidden
    }
}

/// An LSTM over time-major sequences (``lstm(_:h0:c0:weight:bias:)``, one fused primitive) from
/// zero initial states: (T, B, I) → all hidden states (T, B, H), or the last (B, H). Weight
/// (I+H, 4H) with gate blocks i, f, o, g, initialised U(±1/√H) as PyTorch; bias (4H), PyTorch's
/// `b_ih + b_hh` in one tensor, initialised as that sum of two U(±1/√H) draws.
public struct LSTM: Module {
    /// The (I+H, 4H) weight.
    public var weight: Tensor
    /// The (4H) bias, if any.
    public var bias: Tensor?
    /// Output all hidden states (true) or only the last.
    public var returnsSequence: Bool

    /// An LSTM layer.
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, returnsSequence: Bool = true,
                seed: UInt64 = 0, dtype: DType = .float64) {
        require(inputSize > 0 && hiddenSize > 0, "LSTM: sizes must be positive, got \(inputSize) → \(hiddenSize)")
        weight = recurrentInit([inputSize + hiddenSize, 4 * hiddenSize], hidden: hiddenSize, seed: derivedSeed(seed, 0), dtype: dtype)
        // PyTorch's b_ih + b_hh: the sum of two U(±1/√H) draws (ranging over ±2/√H).
        self.bias = bias ? recurrentInit([4 * hiddenSize], hidden: hiddenSize, seed: derivedSeed(seed, 1), dtype: dtype)
            + recurrentInit([4 * hiddenSize], hidden: hiddenSize, seed: derivedSeed(seed, 2), dtype: dtype) : nil
        self.returnsSequence = returnsSequence
    }

    /// The hidden size H.
    public var hiddenSize: Int { weight.shape[1] / 4 }

    /// The hidden states of `xs` (T, B, I).
    public func callAsFunction(_ xs: Tensor) -> Tensor {
        checkSequenceInput("LSTM", xs, inputSize: weight.shape[0] - hiddenSize)
        let h0 = Tensor.zeros([xs.shape[1], hiddenSize], dtype: weight.dtype)
        let r = lstm(xs, h0: h0, c0: h0, weight: weight, bias: bias)
        return returnsSequence ? r.outputs : r.hidden
    }
}

/// A GRU over time-major sequences (``gru(_:h0:weight:bias:hiddenBias:)``, PyTorch's `nn.GRU`
/// equations) from a zero initial state: (T, B, I) → all hidden states (T, B, H), or the last
/// (B, H). Weight (I+H, 3H) with blocks r, z, n, input bias and hidden bias (3H), initialised
/// U(±1/√H) as PyTorch.
public struct GRU: Module {
    /// The (I+H, 3H) weight.
    public var weight: Tensor
    /// The (3H) input-side bias (PyTorch's `b_ih`), if any.
    public var bias: Tensor?
    /// The (3H) hidden-side bias (PyTorch's `b_hh`), if any.
    public var hiddenBias: Tensor?
    /// Output all hidden states (true) or only the last.
    public var returnsSequence: Bool

    /// A GRU layer.
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, returnsSequence: Bool = true,
                seed: UInt64 = 0, dtype: DType = .float64) {
        require(inputSize > 0 && hiddenSize > 0, "GRU: sizes must be positive, got \(inputSize) → \(hiddenSize)")
        weight = recurrentInit([inputSize + hiddenSize, 3 * hiddenSize], hidden: hiddenSize, seed: derivedSeed(seed, 0), dtype: dtype)
        self.bias = bias ? recurrentInit([3 * hiddenSize], hidden: hiddenSize, seed: derivedSeed(seed, 1), dtype: dtype) : nil
        hiddenBias = bias ? recurrentInit([3 * hiddenSize], hidden: hiddenSize, seed: derivedSeed(seed, 2), dtype: dtype) : nil
        self.returnsSequence = returnsSequence
    }

    /// The hidden size H.
    public var hiddenSize: Int { weight.shape[1] / 3 }

    /// The hidden states of `xs` (T, B, I).
    public func callAsFunction(_ xs: Tensor) -> Tensor {
        checkSequenceInput("GRU", xs, inputSize: weight.shape[0] - hiddenSize)
        let h0 = Tensor.zeros([xs.shape[1], hiddenSize], dtype: weight.dtype)
        let r = gru(xs, h0: h0, weight: weight, bias: bias, hiddenBias: hiddenBias)
        return returnsSequence ? r.outputs : r.hidden
    }
}

/// Initial weight (out, in/groups, kernel…) and bias (out) of a convolution layer, checking the sizes.
private func convolutionParameters(_ op: String, inChannels: Int, outChannels: Int, kernel: [Int], groups: Int,
                                   bias: Bool, seed: UInt64, dtype: DType, weightInitializer: Initializer,
                                   biasInitializer: Initializer?) -> (Tensor, Tensor?) {
    require(inChannels > 0 && outChannels > 0 && kernel.allSatisfy { $0 > 0 } && groups > 0
            && inChannels % groups == 0 && outChannels % groups == 0,
            "\(op): invalid sizes in \(inChannels), out \(outChannels), kernel \(kernel), groups \(groups)")
    let shape = [outChannels, inChannels / groups] + kernel
    let w = weightInitializer(shape, seed: derivedSeed(seed, 0), dtype: dtype)
    guard bias else { return (w, nil) }
    let b = biasInitializer.map { $0([outChannels], seed: derivedSeed(seed, 1), dtype: dtype) }
        ?? defaultBias(outChannels, fanIn: Initializer.fans(of: shape).fanIn, seed: derivedSeed(seed, 1), dtype: dtype)
    return (w, b)
}
