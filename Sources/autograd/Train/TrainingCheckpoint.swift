import Autograd
import Foundation

/// A failure of `autograd train` or `autograd eval` at run time (bad data, an unusable checkpoint,
/// a diverged run): printed as one line, exit status 1, no usage text.
struct TrainingError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Where a run stands: epochs completed, and how far into the next one it got before an
/// interruption (0 at an epoch boundary), with that partial epoch's running statistics so a
/// resumed run continues exactly where the interrupted one stopped.
struct TrainingPosition: Equatable {
    var completedEpochs = 0
    var batchesIntoEpoch = 0
    var seen = 0
    var correct = 0
    var lossSum = 0.0
    var seconds = 0.0
}

/// The settings of a run that a checkpoint records, so `--resume` continues with the same ones
/// unless an option overrides them.
struct TrainingSettings: Equatable {
    var model: ClassifierKind
    var dataset: DatasetKind
    var epochs: Int
    var batchSize: Int
    var optimizer: OptimizerKind
    var learningRate: Double
    var weightDecay: Double
    var cosine: Bool
    var seed: UInt64
    var trainLimit: Int?
}

/// A checkpoint written by `autograd train`: parameters, optimizer state and, in its metadata,
/// the settings, the position and the history of the run. Reading it checks the metadata, so a
/// foreign or damaged file is one clear error rather than a surprise later.
struct TrainingCheckpoint {
    let path: String
    let checkpoint: Checkpoint
    let model: ClassifierKind
    let position: TrainingPosition

    var metadata: [String: String] { checkpoint.metadata }

    /// Reads `path` and checks its metadata.
    init(path: String) throws {
        self.path = path
        checkpoint = try Checkpoint(contentsOf: path)
        let metadata = checkpoint.metadata
        guard let name = metadata["model"] else {
            throw TrainingError("\(path) is not a checkpoint written by `autograd train` (its metadata has no \"model\")")
        }
        guard let model = ClassifierKind(rawValue: name) else {
            throw TrainingError("\(path): model \"\(name)\" is not one `autograd train` knows "
                                + "(\(ClassifierKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.model = model
        func integer(_ key: String, default value: Int? = nil) throws -> Int {
            guard let text = metadata[key] else {
                if let value { return value }
                throw TrainingError("\(path): the metadata has no \"\(key)\"")
            }
            guard let n = Int(text), n >= 0 else {
                throw TrainingError("\(path): metadata \"\(key)\" is \"\(text)\", not a count")
            }
            return n
        }
        position = TrainingPosition(
            completedEpochs: try integer("epoch"), batchesIntoEpoch: try integer("batch", default: 0),
            seen: try integer("epoch_seen", default: 0), correct: try integer("epoch_correct", default: 0),
            lossSum: metadata["epoch_loss_sum"].flatMap(Double.init) ?? 0,
            seconds: metadata["epoch_seconds"].flatMap(Double.init) ?? 0)
    }

    /// The dataset the run trained on, if recorded.
    var dataset: DatasetKind? { metadata["dataset"].flatMap(DatasetKind.init(rawValue:)) }

    /// The image size `[rows, cols]` the model was trained on, if recorded.
    var imageShape: [Int]? {
        guard let text = metadata["image_shape"] else { return nil }
        let parts = text.split(separator: "x").compactMap { Int($0) }
        return parts.count == 2 ? parts : nil
    }

    /// The run's settings: each option given on the command line `c` wins, then the
    /// checkpoint's value, then the default (`c == nil`: the settings the checkpoint was saved with).
    func settings(overriddenBy c: TrainCommand?) -> TrainingSettings {
        let optimizer = c?.optimizer ?? metadata["optimizer"].flatMap(OptimizerKind.init(rawValue:)) ?? model.defaultOptimizer
        return TrainingSettings(
            model: model,
            dataset: c?.data.dataset ?? dataset ?? .mnist,
            epochs: c?.epochs ?? metadata["epochs"].flatMap(Int.init) ?? model.defaultEpochs,
            batchSize: c?.batchSize ?? metadata["batch_size"].flatMap(Int.init) ?? TrainCommand.defaultBatchSize,
            optimizer: optimizer,
            learningRate: c?.lr ?? metadata["lr"].flatMap(Double.init) ?? model.defaultLearningRate(optimizer),
            weightDecay: c?.weightDecay ?? metadata["weight_decay"].flatMap(Double.init) ?? 0,
            cosine: c?.constantLearningRate.map { !$0 } ?? metadata["schedule"].map { $0 != "constant" } ?? true,
            seed: c?.seed.map(UInt64.init) ?? metadata["seed"].flatMap(UInt64.init) ?? 0,
            trainLimit: c?.trainLimit ?? metadata["train_limit"].flatMap(Int.init))
    }

    /// The checkpoint's parameters for `classifier`: every tensor present, with the initial
    /// parameters' names, shapes and dtypes, and (when `requireFinite`) no NaN or infinity.
    func parameters(for classifier: Classifier, requireFinite: Bool) throws -> [String: Tensor] {
        if let imageShape, imageShape != classifier.imageShape {
            throw TrainingError("\(path) was trained on \(imageShape.map(String.init).joined(separator: "×")) images, "
                                + "the data has \(classifier.imageShape.map(String.init).joined(separator: "×"))")
        }
        let initial = classifier.initialParameters(classes: TrainCommand.classes, seed: 0)
        let parameters: [String: Tensor]
        do {
            parameters = try checkpoint.restore(initial, prefix: "model")
        } catch {
            throw TrainingError("\(path) does not hold a \(model.rawValue) model as `autograd train` writes it: "
                                + Self.explain(error))
        }
        for (name, tensor) in parameters.sorted(by: { $0.key < $1.key }) where !tensor.doubles.allSatisfy(\.isFinite) {
            let message = "\(path): tensor \"model.\(name)\" contains NaN or infinite values"
            if requireFinite { throw TrainingError(message + "; the run it came from had diverged") }
            printError("warning: " + message)
        }
        return parameters
    }

    /// A checkpoint error in the trainer's terms (the library's hints name library options).
    static func explain(_ error: CheckpointError) -> String {
        switch error {
        case let .missingKey(key, _): return "it has no tensor \"\(key)\""
        case let .unexpectedKey(key, _): return "it has a tensor \"\(key)\" the model does not"
        case let .shapeMismatch(key, expected, found, _):
            return "tensor \"\(key)\" has shape \(found), the model needs \(expected)"
        case let .dtypeMismatch(key, expected, found, _):
            return "tensor \"\(key)\" is \(found), the model needs \(expected)"
        default: return error.description
        }
    }

    /// Writes a checkpoint of a run: parameters, optimizer state, settings, position and history
    /// (atomically: a crash leaves any previous file in place).
    static func write(to path: String, parameters: [String: Tensor], optimizer: any Optimizer, settings s: TrainingSettings,
                      imageShape: [Int], position p: TrainingPosition, history: TrainingHistory, interrupted: Bool) throws {
        var metadata = [
            "format": "swift-autograd train v1", "model": s.model.rawValue, "dataset": s.dataset.rawValue,
            "image_shape": imageShape.map(String.init).joined(separator: "x"),
            "epochs": "\(s.epochs)", "optimizer": s.optimizer.rawValue, "lr": "\(s.learningRate)",
            "weight_decay": "\(s.weightDecay)", "schedule": s.cosine ? "cosine" : "constant",
            "batch_size": "\(s.batchSize)", "seed": "\(s.seed)",
            "epoch": "\(p.completedEpochs)", "batch": "\(p.batchesIntoEpoch)",
            "history": history.json, "interrupted": interrupted ? "true" : "false",
        ]
        if let limit = s.trainLimit { metadata["train_limit"] = "\(limit)" }
        if p.batchesIntoEpoch > 0 {
            metadata["epoch_seen"] = "\(p.seen)"
            metadata["epoch_correct"] = "\(p.correct)"
            metadata["epoch_loss_sum"] = "\(p.lossSum)"
            metadata["epoch_seconds"] = "\(p.seconds)"
        }
        var checkpoint = try Checkpoint(parameters, prefix: "model", metadata: metadata)
        for (k, v) in optimizer.state { checkpoint.tensors["optimizer." + k] = v }
        try checkpoint.write(to: path)
    }
}
