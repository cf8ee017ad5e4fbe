import ArgumentParser
import Autograd

/// The optimizers `autograd train` offers (PyTorch's update rules and defaults).
enum OptimizerKind: String, CaseIterable, ExpressibleByArgument, Sendable {
    case sgd, momentum, nesterov, adam, adamw, rmsprop, adagrad

    /// The optimizer with learning rate `lr` and weight decay `wd`.
    func make(learningRate lr: Double, weightDecay wd: Double) -> any Optimizer {
        switch self {
        case .sgd: return SGD(learningRate: lr, weightDecay: wd)
        case .momentum: return SGD(learningRate: lr, momentum: 0.9, weightDecay: wd)
        case .nesterov: return SGD(learningRate: lr, momentum: 0.9, weightDecay: wd, nesterov: true)
        case .adam: return Adam(learningRate: lr, weightDecay: wd)
        case .adamw: return AdamW(learningRate: lr, weightDecay: wd == 0 ? 1e-2 : wd)
        case .rmsprop: return RMSprop(learningRate: lr, weightDecay: wd)
        case .adagrad: return AdaGrad(learningRate: lr, weightDecay: wd)
        }
    }
}

/// The datasets `autograd train` reads.
enum DatasetKind: String, CaseIterable, ExpressibleByArgument, Sendable {
    case mnist
    case fashionMNIST = "fashion-mnist"

    var mnistDataset: MNIST.Dataset { self == .mnist ? .mnist : .fashionMNIST }
}

/// Options shared by `train` and `eval`: where the data is.
struct DataOptions: ParsableArguments {
    @Option(help: "Dataset: mnist (shipped in Data/mnist) or fashion-mnist (Debian's dataset-fashion-mnist package).")
    var dataset: DatasetKind = .mnist

    @Option(name: .customLong("data-dir"), help: "A directory of the four IDX files (gzipped or not), instead of the default location.")
    var dataDirectory: String?

    /// Loads the dataset, normalising pixels to zero mean and unit variance (MNIST's statistics).
    func load() throws -> MNIST {
        let directory = try dataDirectory ?? MNIST.defaultDirectory(for: dataset.mnistDataset)
        return try MNIST(directory: directory)
    }
}

/// Pixel normalisation used for training and evaluation alike: `(x − 0.1307) / 0.3081`.
func normalizedImages(_ images: Tensor) -> Tensor { (images - 0.1307) / 0.3081 }
