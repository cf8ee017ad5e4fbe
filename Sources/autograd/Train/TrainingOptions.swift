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
    @Option(help: "Dataset: mnist (shipped in Data/mnist) or fashion-mnist (Debian's dataset-fashion-mnist package). Default: the checkpoint's when resuming or evaluating, else mnist.")
    var dataset: DatasetKind?

    @Option(name: .customLong("data-dir"), help: "A directory of the four IDX files (gzipped or not), instead of the default location.")
    var dataDirectory: String?

    /// The directory to read `dataset` from: `--data-dir`, or the dataset's default location.
    func directory(for dataset: DatasetKind) throws -> String {
        if let dataDirectory { return dataDirectory }
        do {
            return try MNIST.defaultDirectory(for: dataset.mnistDataset)
        } catch let .dataDirectoryNotFound(name, searched) {
            let install = dataset == .fashionMNIST ? "install it with `apt-get install dataset-fashion-mnist`, or " : ""
            throw TrainingError("\(name) data not found (looked in \(searched.joined(separator: ", "))); "
                                + "\(install)pass --data-dir DIR, a directory of the four IDX files")
        }
    }

    /// Loads both splits of `dataset` and checks that every label names one of the classifier's
    /// classes.
    func load(_ dataset: DatasetKind) throws -> MNIST {
        let data = try MNIST(directory: directory(for: dataset))
        try checkLabels(data.train, "training", in: data.directory)
        try checkLabels(data.test, "test", in: data.directory)
        return data
    }

    /// Loads the test split of `dataset` alone (evaluation needs no training files).
    func loadTest(_ dataset: DatasetKind) throws -> MNIST.Split {
        let directory = try directory(for: dataset)
        let test = try MNIST.Split(reading: .test, from: directory)
        try checkLabels(test, "test", in: directory)
        return test
    }

    private func checkLabels(_ split: MNIST.Split, _ name: String, in directory: String) throws {
        let labels = split.labels.scalars(as: Int.self)
        if let i = labels.firstIndex(where: { !(0..<TrainCommand.classes).contains($0) }) {
            throw TrainingError("\(directory): \(name) label \(labels[i]) (example \(i)) is outside 0…\(TrainCommand.classes - 1); "
                                + "the classifiers of `autograd train` have \(TrainCommand.classes) classes")
        }
    }
}

/// Pixel normalisation used for training and evaluation alike: `(x − 0.1307) / 0.3081`.
func normalizedImages(_ images: Tensor) -> Tensor { (images - 0.1307) / 0.3081 }
