import Autograd

// Seed 003: a tied-weights autoencoder trained with an L2 weight penalty (torch-autograd's
// `train-mnist-autoencoder` pattern, on deterministic synthetic data). The parameters are a user
// struct: declaring `ParameterTree` is all it takes, and the gradient is an `Autoencoder` too.
//
//     h    = sigmoid(x @ W + bEnc)
//     xHat = sigmoid(h @ Wᵀ + bDec)            -- the decoder reuses the encoder's weights
//     loss = mean((xHat - x)²) + λ · sum(W²)   -- λ = 1e-3

/// The autoencoder's parameters: one weight matrix shared by encoder and decoder, two biases.
public struct Autoencoder: ParameterTree, Sendable {
    /// Encoder weights (inputs × hidden); the decoder uses their transpose.
    public var W: Tensor
    /// Encoder bias (hidden).
    public var bEnc: Tensor
    /// Decoder bias (inputs).
    public var bDec: Tensor

    /// An autoencoder with the given parameters.
    public init(W: Tensor, bEnc: Tensor, bDec: Tensor) {
        self.W = W
        self.bEnc = bEnc
        self.bDec = bDec
    }

    /// Small random weights (randn(702) · 0.1) and zero biases for `inputs` → `hidden`.
    public static func initial(inputs: Int = 16, hidden: Int = 8) -> Autoencoder {
        Autoencoder(W: Tensor.randn([inputs, hidden], seed: 702, scale: 0.1),
                    bEnc: Tensor.zeros([hidden]), bDec: Tensor.zeros([inputs]))
    }

    /// The reconstruction of `x`.
    public func reconstruct(_ x: Tensor) -> Tensor {
        let h = sigmoid(matmul(x, W) + bEnc)
        return sigmoid(matmul(h, W.T) + bDec)
    }
}

/// The weight of the L2 penalty.
public let autoencoderPenalty = 1e-3

/// The training data: 32 samples of 16 features in (0, 1) with a 4-dimensional structure to
/// discover, `sigmoid(Z @ A)` with `Z` = randn(701, 32×4) and `A` = randn(703, 4×16).
public func autoencoderData() -> Tensor {
    sigmoid(matmul(Tensor.randn([32, 4], seed: 701), Tensor.randn([4, 16], seed: 703)))
}

/// Mean squared reconstruction error plus `λ · sum(W²)`.
public func autoencoderLoss(_ model: Autoencoder, _ x: Tensor) -> Tensor {
    let error = model.reconstruct(x) - x
    return (error * error).mean() + autoencoderPenalty * (model.W * model.W).sum()
}

/// Trains by `steps` steps of gradient descent; returns the model and the loss before each step
/// and after the last (`steps + 1` values).
public func trainAutoencoder(steps: Int = 50, learningRate: Double = 10) -> (model: Autoencoder, losses: [Double]) {
    let x = autoencoderData()
    var model = Autoencoder.initial()
    var losses: [Double] = []
    let step = valueAndGrad(autoencoderLoss)
    for _ in 0..<steps {
        let (loss, gradient) = step(model, x)
        losses.append(loss.scalar)
        sgdStep(&model, gradient, learningRate: learningRate)
    }
    losses.append(autoencoderLoss(model, x).scalar)
    return (model, losses)
}

/// The losses every 10 steps of training.
public func autoencoderExample() -> ExampleResult {
    let (_, losses) = trainAutoencoder()
    let values = stride(from: 0, to: losses.count, by: 10).map { (label: "loss after \($0) steps", value: losses[$0]) }
    return ExampleResult(name: "tied-weights autoencoder with L2 penalty, struct parameters (seed 003)",
                         values: values)
}
