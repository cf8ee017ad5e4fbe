import ArgumentParser
import Autograd
import Foundation

/// `autograd train`: trains an image classifier on MNIST (shipped with the repository) or
/// Fashion-MNIST, with a live progress bar, per-epoch test accuracy, a chart of the curves,
/// checkpoints and resumption.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a classifier on MNIST or Fashion-MNIST.",
        discussion: """
            Models: \(ClassifierKind.allCases.map { "\($0.rawValue) — \($0.summary)" }.joined(separator: "; ")).
            Ctrl-C stops after the current batch and saves a checkpoint (to --save, or
            autograd-<model>-interrupted.safetensors); --resume continues from any checkpoint.
            Example: autograd train --model cnn --epochs 3 --save cnn.safetensors --plot cnn.svg
            """)

    @OptionGroup var data: DataOptions

    @Option(help: "The model: logreg, mlp, cnn or lstm.")
    var model: ClassifierKind?

    @Option(help: "Epochs to train in total (default: logreg 10, mlp 8, cnn 4, lstm 4).")
    var epochs: Int?

    @Option(name: .customLong("batch-size"), help: "Examples per step.")
    var batchSize = 128

    @Option(help: "Optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")) (default: sgd for logreg, adam otherwise).")
    var optimizer: OptimizerKind?

    @Option(help: "Base learning rate (default: 0.1 for logreg with sgd, 0.05 for other models with sgd, 1e-3 for the adaptive optimizers), annealed on a cosine schedule.")
    var lr: Double?

    @Option(name: .customLong("weight-decay"), help: "L2 weight decay.")
    var weightDecay = 0.0

    @Flag(name: .customLong("constant-lr"), help: "Keep the learning rate constant instead of cosine annealing.")
    var constantLearningRate = false

    @Option(help: "Seed of the initial weights, the shuffling and dropout.")
    var seed: UInt64 = 0

    @Option(help: "Threads for every kernel, matrix products included (default: the CPUs this process may run on).")
    var threads: Int?

    @Option(help: "Save a checkpoint (.safetensors or .npz) here after every epoch.")
    var save: String?

    @Option(help: "Resume from this checkpoint (model, weights, optimizer state and epoch).")
    var resume: String?

    @Option(help: "Write the training curves to this SVG file.")
    var plot: String?

    @Option(name: .customLong("train-limit"), help: "Use only the first N training examples (quick runs).")
    var trainLimit: Int?

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive, got \(lr)") }
        if weightDecay < 0 { throw ValidationError("--weight-decay must not be negative, got \(weightDecay)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let trainLimit, trainLimit < 1 { throw ValidationError("--train-limit must be at least 1, got \(trainLimit)") }
        if let plot, !plot.lowercased().hasSuffix(".svg") { throw ValidationError("--plot writes SVG: give a path ending in .svg, got \(plot)") }
        if let save, CheckpointFormat(path: save) == .npy {
            throw ValidationError("--save needs a .safetensors or .npz path (a checkpoint holds several tensors), got \(save)")
        }
    }

    func run() throws {
        if let threads { Threading.count = threads }
        let mnist = try data.load()
        var session = try TrainingSession(command: self, data: mnist)
        try session.run()
    }
}

/// Everything about one training run: the configuration, the state, the history and the loop.
struct TrainingSession {
    let classifier: Classifier
    let dataset: DatasetKind
    let epochs: Int
    let batchSize: Int
    let optimizerKind: OptimizerKind
    let baseLearningRate: Double
    let weightDecay: Double
    let cosine: Bool
    let seed: UInt64
    let savePath: String?
    let plotPath: String?
    let trainImages: Tensor, trainLabels: Tensor, testImages: Tensor, testLabels: Tensor
    var parameters: [String: Tensor]
    var optimizer: any Optimizer
    var firstEpoch = 1
    var history = TrainingHistory()

    init(command c: TrainCommand, data: MNIST) throws {
        var kind = c.model
        var checkpoint: Checkpoint?
        if let path = c.resume {
            let loaded = try Checkpoint(contentsOf: path)
            guard let saved = loaded.metadata["model"].flatMap(ClassifierKind.init(rawValue:)) else {
                throw ValidationError("\(path) is not a checkpoint written by `autograd train` (no model in its metadata)")
            }
            if let kind, kind != saved { throw ValidationError("--model \(kind.rawValue) does not match the checkpoint's model \(saved.rawValue)") }
            kind = saved
            checkpoint = loaded
        }
        let model = kind ?? .mlp
        classifier = Classifier(kind: model, imageShape: data.train.imageShape)
        dataset = c.data.dataset
        epochs = c.epochs ?? [ClassifierKind.logreg: 10, .mlp: 8, .cnn: 4, .lstm: 4][model]!
        batchSize = c.batchSize
        optimizerKind = c.optimizer ?? checkpoint?.metadata["optimizer"].flatMap(OptimizerKind.init(rawValue:)) ?? model.defaultOptimizer
        baseLearningRate = c.lr ?? checkpoint?.metadata["lr"].flatMap(Double.init) ?? (optimizerKind == .sgd || optimizerKind == .momentum || optimizerKind == .nesterov ? (model == .logreg ? 0.1 : 0.05) : 1e-3)
        weightDecay = c.weightDecay
        cosine = !c.constantLearningRate
        seed = c.seed
        savePath = c.save
        plotPath = c.plot
        let limit = Swift.min(c.trainLimit ?? data.train.count, data.train.count)
        trainImages = normalizedImages(data.train.images.slice(axis: 0, 0, limit))
        trainLabels = data.train.labels.slice(axis: 0, 0, limit)
        testImages = normalizedImages(data.test.images)
        testLabels = data.test.labels
        parameters = classifier.initialParameters(classes: 10, seed: seed)
        optimizer = optimizerKind.make(learningRate: baseLearningRate, weightDecay: weightDecay)
        if let checkpoint {
            parameters = try checkpoint.restore(parameters, prefix: "model")
            var state: [String: Tensor] = [:]
            for (k, v) in checkpoint.tensors where k.hasPrefix("optimizer.") { state[String(k.dropFirst("optimizer.".count))] = v }
            do { try optimizer.loadState(state, for: parameters) } catch {
                throw ValidationError("\(c.resume!): \(error) (was it saved with another --optimizer?)")
            }
            firstEpoch = (checkpoint.metadata["epoch"].flatMap(Int.init) ?? 0) + 1
            history = TrainingHistory(json: checkpoint.metadata["history"] ?? "")
            print("resumed from \(c.resume!): \(model.rawValue) after epoch \(firstEpoch - 1)")
        }
    }

    var batchesPerEpoch: Int { (trainImages.shape[0] + batchSize - 1) / batchSize }

    mutating func run() throws {
        print("autograd train: \(dataset.rawValue), \(classifier.kind.rawValue) (\(classifier.kind.summary)), "
              + "\(trainImages.shape[0]) training / \(testImages.shape[0]) test images, epochs \(epochs), batch \(batchSize), "
              + "\(optimizerKind.rawValue) lr \(baseLearningRate)\(cosine ? " (cosine)" : ""), seed \(seed), threads \(Threading.count)")
        guard firstEpoch <= epochs else {
            print("nothing to do: the checkpoint already has \(firstEpoch - 1) epochs (ask for more with --epochs)")
            return
        }
        Interrupt.install()
        let classifier = self.classifier
        let step = valueAndGrad(withAux: { (p: [String: Tensor], x: Tensor, target: (labels: Tensor, seed: UInt64)) -> (Tensor, Tensor) in
            let logits = classifier.logits(p, x, training: true, dropoutSeed: target.seed)
            return (crossEntropy(logits: logits, labels: target.labels), logits)
        })
        let totalSteps = epochs * batchesPerEpoch
        let started = Date()
        var interrupted = false
        var completedEpoch = firstEpoch - 1
        epochLoop: for epoch in firstEpoch...epochs {
            let epochStart = Date()
            var progress = ProgressReporter(batchesPerEpoch: batchesPerEpoch)
            var seen = 0, correct = 0, lossSum = 0.0
            let batches = Batches(inputs: trainImages, labels: trainLabels, batchSize: batchSize, seed: seed, epoch: epoch - 1)
            for (b, (x, y)) in batches.enumerated() {
                let globalStep = (epoch - 1) * batchesPerEpoch + b
                if cosine {
                    optimizer.learningRate = baseLearningRate * 0.5 * (1 + Foundation.cos(Double.pi * Double(globalStep) / Double(totalSteps)))
                }
                let (loss, gradient, logits) = step(parameters, x, (y, SplitMix64.draw(seed: seed ^ 0xD409, index: UInt64(globalStep))))
                optimizer.update(&parameters, along: gradient)
                let n = y.count
                let lossValue = loss.item(as: Double.self)
                guard lossValue.isFinite else {
                    throw ValidationError("training diverged at epoch \(epoch), batch \(b + 1): loss is \(lossValue); try a smaller --lr")
                }
                lossSum += lossValue * Double(n)
                correct += countCorrect(logits, y)
                seen += n
                let elapsed = Date().timeIntervalSince(epochStart)
                progress.update(epoch: epoch, epochs: epochs, batch: b + 1, batches: batchesPerEpoch,
                                loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                                examplesPerSecond: Double(seen) / Swift.max(elapsed, 1e-9), epochElapsed: elapsed)
                if (b + 1) % Swift.max(1, batchesPerEpoch / 20) == 0 || b + 1 == batchesPerEpoch {
                    history.trainLoss.append((Double(epoch - 1) + Double(b + 1) / Double(batchesPerEpoch), lossSum / Double(seen)))
                }
                if Interrupt.isRequested {
                    interrupted = true
                    if progress.interactive { print() }
                    break epochLoop
                }
            }
            let seconds = Date().timeIntervalSince(epochStart)
            let test = evaluate(classifier, parameters, testImages, testLabels)
            history.epochs.append(.init(epoch: epoch, trainLoss: lossSum / Double(seen), trainAccuracy: Double(correct) / Double(seen),
                                        testAccuracy: test.accuracy, seconds: seconds))
            completedEpoch = epoch
            print(String(format: "epoch %d/%d: train loss %.4f, train acc %.2f%%, test acc %.2f%% (%d/%d), %.1f s, %@ ex/s",
                         epoch, epochs, lossSum / Double(seen), 100 * Double(correct) / Double(seen), 100 * test.accuracy,
                         test.correct, test.count, seconds, groupedInteger(Double(seen) / seconds)))
            if let savePath { try saveCheckpoint(to: savePath, epoch: epoch) }
            if let plotPath { try history.writeChart(to: plotPath, title: "\(dataset.rawValue) \(classifier.kind.rawValue)") }
        }
        let total = Date().timeIntervalSince(started)
        if interrupted {
            let path = savePath ?? "autograd-\(classifier.kind.rawValue)-interrupted.safetensors"
            try saveCheckpoint(to: path, epoch: completedEpoch, interrupted: true)
            if let plotPath { try history.writeChart(to: plotPath, title: "\(dataset.rawValue) \(classifier.kind.rawValue)") }
            print("interrupted during epoch \(completedEpoch + 1) after \(String(format: "%.1f", total)) s; saved \(path) "
                  + "(resume with --resume \(path); the interrupted epoch restarts)")
            throw ExitCode(130)
        }
        let final = history.epochs.last!
        print(String(format: "done: test accuracy %.2f%% after %d epochs, %.1f s of training", 100 * final.testAccuracy, epochs, total)
              + (savePath.map { "; checkpoint \($0)" } ?? "") + (plotPath.map { "; chart \($0)" } ?? ""))
    }

    /// Writes parameters, optimizer state and the run's metadata.
    func saveCheckpoint(to path: String, epoch: Int, interrupted: Bool = false) throws {
        var checkpoint = try Checkpoint(parameters, prefix: "model", metadata: [
            "format": "swift-autograd train v1", "model": classifier.kind.rawValue, "dataset": dataset.rawValue,
            "epoch": "\(epoch)", "optimizer": optimizerKind.rawValue, "lr": "\(baseLearningRate)",
            "batch_size": "\(batchSize)", "seed": "\(seed)", "history": history.json,
            "interrupted": interrupted ? "true" : "false",
        ])
        for (k, v) in optimizer.state { checkpoint.tensors["optimizer." + k] = v }
        try checkpoint.write(to: path)
    }
}

/// The number of rows of `logits` whose largest entry is at the row's label.
func countCorrect(_ logits: Tensor, _ labels: Tensor) -> Int {
    let predicted = logits.argmax(axis: 1).scalars(as: Int.self), truth = labels.scalars(as: Int.self)
    return zip(predicted, truth).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
}

/// Test-set accuracy, in batches of 1000 without dropout.
func evaluate(_ classifier: Classifier, _ parameters: [String: Tensor], _ images: Tensor, _ labels: Tensor)
    -> (accuracy: Double, correct: Int, count: Int) {
    let n = images.shape[0]
    var correct = 0
    var start = 0
    while start < n {
        let end = Swift.min(n, start + 1000)
        let logits = classifier.logits(parameters, images.slice(axis: 0, start, end), training: false, dropoutSeed: 0)
        correct += countCorrect(logits, labels.slice(axis: 0, start, end))
        start = end
    }
    return (n == 0 ? 0 : Double(correct) / Double(n), correct, n)
}
