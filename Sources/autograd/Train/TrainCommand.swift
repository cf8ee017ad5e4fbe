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

    /// The number of classes of every classifier (MNIST's digits, Fashion-MNIST's garments).
    static let classes = 10
    /// Examples per step unless `--batch-size` or a resumed checkpoint says otherwise.
    static let defaultBatchSize = 128

    @OptionGroup var data: DataOptions

    @Option(help: "The model: logreg, mlp, cnn or lstm (default: mlp, or the checkpoint's when resuming).")
    var model: ClassifierKind?

    @Option(parsing: .unconditional, help: "Epochs to train in total (default: logreg 10, mlp 8, cnn 5, lstm 4).")
    var epochs: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Examples per step (default: \(defaultBatchSize)).")
    var batchSize: Int?

    @Option(help: "Optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")) (default: sgd for logreg, adam otherwise).")
    var optimizer: OptimizerKind?

    @Option(parsing: .unconditional, help: "Base learning rate (default: 0.1 for logreg with sgd, 0.05 for other models with sgd, 1e-3 for the adaptive optimizers), annealed on a cosine schedule.")
    var lr: Double?

    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "L2 weight decay (default: 0; 0.01 with adamw).")
    var weightDecay: Double?

    @Flag(name: .customLong("constant-lr"), inversion: .prefixedNo,
          help: "Keep the learning rate constant instead of cosine annealing (default: anneal).")
    var constantLearningRate: Bool?

    @Option(parsing: .unconditional, help: "Seed of the initial weights, the shuffling and dropout: a non-negative integer (default: 0).")
    var seed: Int?

    @Option(parsing: .unconditional, help: "Threads for every kernel, matrix products included (default: the CPUs this process may run on).")
    var threads: Int?

    @Option(help: "Save a checkpoint (.safetensors or .npz) here after every epoch.")
    var save: String?

    @Option(help: "Resume from this checkpoint: model, weights, optimizer state, position and settings (options given here override its settings).")
    var resume: String?

    @Option(help: "Write the training curves to this SVG file.")
    var plot: String?

    @Option(name: .customLong("train-limit"), parsing: .unconditional, help: "Use only the first N training examples (quick runs).")
    var trainLimit: Int?

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number, got \(lr)") }
        if let weightDecay, !(weightDecay >= 0 && weightDecay.isFinite) {
            throw ValidationError("--weight-decay must be a non-negative number, got \(weightDecay)")
        }
        if let seed, seed < 0 { throw ValidationError("--seed must be a non-negative integer, got \(seed)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let trainLimit, trainLimit < 1 { throw ValidationError("--train-limit must be at least 1, got \(trainLimit)") }
        if let plot {
            guard plot.lowercased().hasSuffix(".svg") else { throw ValidationError("--plot writes SVG: give a path ending in .svg, got \(plot)") }
            try checkWritableDirectory(of: plot, option: "--plot")
        }
        if let save {
            let ext = (save as NSString).pathExtension.lowercased()
            guard ext == "safetensors" || ext == "npz" else {
                throw ValidationError("--save needs a path ending in .safetensors or .npz (a checkpoint holds several tensors), got \(save)")
            }
            try checkWritableDirectory(of: save, option: "--save")
        }
        if let resume, !FileManager.default.fileExists(atPath: resume) {
            throw ValidationError("--resume: no file at \(resume)")
        }
    }

    /// Fails now, not after an epoch, if `path`'s directory is missing or not writable.
    private func checkWritableDirectory(of path: String, option: String) throws {
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(option): the directory \(directory) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw ValidationError("\(option): the directory \(directory) is not writable")
        }
    }

    /// The run's settings when not resuming: the options, else the defaults.
    var freshSettings: TrainingSettings {
        let model = self.model ?? .mlp
        let optimizer = self.optimizer ?? model.defaultOptimizer
        return TrainingSettings(
            model: model, dataset: data.dataset ?? .mnist, epochs: epochs ?? model.defaultEpochs,
            batchSize: batchSize ?? Self.defaultBatchSize, optimizer: optimizer,
            learningRate: lr ?? model.defaultLearningRate(optimizer), weightDecay: weightDecay ?? 0,
            cosine: !(constantLearningRate ?? false), seed: UInt64(seed ?? 0), trainLimit: trainLimit)
    }

    func run() throws {
        var session = try TrainingSession(command: self)
        try session.run()
    }
}

/// Everything about one training run: the configuration, the state, the history and the loop.
struct TrainingSession {
    let classifier: Classifier
    let settings: TrainingSettings
    let dataLabel: String
    let savePath: String?
    let plotPath: String?
    let trainImages: Tensor, trainLabels: Tensor, testImages: Tensor, testLabels: Tensor
    var parameters: [String: Tensor]
    var optimizer: any Optimizer
    /// Where the run starts (after a resumed checkpoint's position).
    var start = TrainingPosition()
    var history = TrainingHistory()
    /// Called after every batch with the epoch and the batch's 1-based index (tests use it to
    /// interrupt a run at a chosen point).
    var afterBatch: ((_ epoch: Int, _ batch: Int) -> Void)?

    init(command c: TrainCommand) throws {
        if let threads = c.threads { Threading.count = threads }
        let resumed = try c.resume.map { try TrainingCheckpoint(path: $0) }
        if let resumed, let model = c.model, model != resumed.model {
            throw TrainingError("--model \(model.rawValue) does not match the checkpoint's model \(resumed.model.rawValue)")
        }
        let settings = resumed?.settings(overriddenBy: c) ?? c.freshSettings
        self.settings = settings
        let data = try c.data.load(settings.dataset)
        dataLabel = c.data.dataDirectory.map { "data in \($0)" } ?? settings.dataset.rawValue
        classifier = Classifier(kind: settings.model, imageShape: data.train.imageShape)
        savePath = c.save
        plotPath = c.plot
        let limit = Swift.min(settings.trainLimit ?? data.train.count, data.train.count)
        trainImages = normalizedImages(data.train.images.slice(axis: 0, 0, limit))
        trainLabels = data.train.labels.slice(axis: 0, 0, limit)
        testImages = normalizedImages(data.test.images)
        testLabels = data.test.labels
        parameters = classifier.initialParameters(classes: TrainCommand.classes, seed: settings.seed)
        optimizer = settings.optimizer.make(learningRate: settings.learningRate, weightDecay: settings.weightDecay)
        guard let resumed else { return }
        parameters = try resumed.parameters(for: classifier, requireFinite: true)
        var state: [String: Tensor] = [:]
        for (k, v) in resumed.checkpoint.tensors where k.hasPrefix("optimizer.") { state[String(k.dropFirst("optimizer.".count))] = v }
        do { try optimizer.loadState(state, for: parameters) } catch {
            throw TrainingError("\(resumed.path): its optimizer state does not fit \(settings.optimizer.rawValue) "
                                + "(was it saved with another --optimizer?): \(error)")
        }
        start = resumed.position
        if start.batchesIntoEpoch > 0 {
            // Mid-epoch, the rest of the epoch's shuffled batches depend on these settings.
            let saved = resumed.settings(overriddenBy: nil)
            for (option, changed) in [("--batch-size", saved.batchSize != settings.batchSize), ("--seed", saved.seed != settings.seed),
                                      ("--train-limit", saved.trainLimit != settings.trainLimit)] where changed {
                throw TrainingError("\(resumed.path) stopped in the middle of epoch \(start.completedEpochs + 1); "
                                    + "\(option) must stay as it was to continue that epoch")
            }
            guard start.batchesIntoEpoch <= batchesPerEpoch else {
                throw TrainingError("\(resumed.path): metadata \"batch\" is \(start.batchesIntoEpoch), but an epoch has \(batchesPerEpoch) batches")
            }
        }
        history = TrainingHistory(json: resumed.metadata["history"] ?? "")
        let partial = start.batchesIntoEpoch > 0 ? " and \(start.batchesIntoEpoch) of \(batchesPerEpoch) batches of epoch \(start.completedEpochs + 1)" : ""
        print("resumed from \(resumed.path): \(settings.model.rawValue) after epoch \(start.completedEpochs)\(partial)")
    }

    var batchesPerEpoch: Int { (trainImages.shape[0] + settings.batchSize - 1) / settings.batchSize }

    mutating func run() throws {
        let s = settings
        print("autograd train: \(dataLabel), \(classifier.kind.rawValue) (\(classifier.kind.summary)), "
              + "\(trainImages.shape[0]) training / \(testImages.shape[0]) test images, epochs \(s.epochs), batch \(s.batchSize), "
              + "\(s.optimizer.rawValue) lr \(s.learningRate)\(s.cosine ? " (cosine)" : "")"
              + "\(s.weightDecay > 0 ? ", weight decay \(s.weightDecay)" : ""), seed \(s.seed), threads \(Threading.count)")
        guard start.completedEpochs < s.epochs else {
            print("nothing to do: the checkpoint already has \(start.completedEpochs) epochs (ask for more with --epochs)")
            return
        }
        Interrupt.install()
        let classifier = self.classifier
        let step = valueAndGrad(withAux: { (p: [String: Tensor], x: Tensor, target: (labels: Tensor, seed: UInt64)) -> (Tensor, Tensor) in
            let logits = classifier.logits(p, x, training: true, dropoutSeed: target.seed)
            return (crossEntropy(logits: logits, labels: target.labels), logits)
        })
        let totalSteps = s.epochs * batchesPerEpoch
        let started = Date()
        var position = start
        var interrupted = false
        epochLoop: for epoch in (start.completedEpochs + 1)...s.epochs {
            let epochStart = Date().addingTimeInterval(-position.seconds)
            var progress = ProgressReporter(batchesPerEpoch: batchesPerEpoch)
            let batches = Batches(inputs: trainImages, labels: trainLabels, batchSize: s.batchSize, seed: s.seed, epoch: epoch - 1)
            for (b, (x, y)) in batches.enumerated().dropFirst(position.batchesIntoEpoch) {
                let globalStep = (epoch - 1) * batchesPerEpoch + b
                if s.cosine {
                    optimizer.learningRate = s.learningRate * 0.5 * (1 + Foundation.cos(Double.pi * Double(globalStep) / Double(totalSteps)))
                }
                let (loss, gradient, logits) = step(parameters, x, (y, SplitMix64.draw(seed: s.seed ^ 0xD409, index: UInt64(globalStep))))
                let lossValue = loss.item(as: Double.self)
                guard lossValue.isFinite else {
                    throw TrainingError("training diverged at epoch \(epoch), batch \(b + 1): loss is \(lossValue); try a smaller --lr")
                }
                optimizer.update(&parameters, along: gradient)
                let n = y.count
                position.lossSum += lossValue * Double(n)
                position.correct += countCorrect(logits, y)
                position.seen += n
                position.batchesIntoEpoch = b + 1
                let elapsed = Date().timeIntervalSince(epochStart)
                position.seconds = elapsed
                progress.update(epoch: epoch, epochs: s.epochs, batch: b + 1, batches: batchesPerEpoch,
                                loss: position.lossSum / Double(position.seen), accuracy: Double(position.correct) / Double(position.seen),
                                examplesPerSecond: Double(position.seen) / Swift.max(elapsed, 1e-9), epochElapsed: elapsed)
                if (b + 1) % Swift.max(1, batchesPerEpoch / 20) == 0 || b + 1 == batchesPerEpoch {
                    history.trainLoss.append((Double(epoch - 1) + Double(b + 1) / Double(batchesPerEpoch), position.lossSum / Double(position.seen)))
                }
                afterBatch?(epoch, b + 1)
                if Interrupt.isRequested {
                    interrupted = true
                    if progress.interactive { print() }
                    break epochLoop
                }
            }
            let seconds = Date().timeIntervalSince(epochStart)
            let test = evaluate(classifier, parameters, testImages, testLabels)
            let trainLoss = position.lossSum / Double(position.seen), trainAccuracy = Double(position.correct) / Double(position.seen)
            history.epochs.append(.init(epoch: epoch, trainLoss: trainLoss, trainAccuracy: trainAccuracy,
                                        testAccuracy: test.accuracy, seconds: seconds))
            position = TrainingPosition(completedEpochs: epoch)
            print(String(format: "epoch %d/%d: train loss %.4f, train acc %.2f%%, test acc %.2f%% (%d/%d), %.1f s, %@ ex/s",
                         epoch, s.epochs, trainLoss, 100 * trainAccuracy, 100 * test.accuracy,
                         test.correct, test.count, seconds, groupedInteger(Double(trainImages.shape[0]) / seconds)))
            if let savePath { try saveCheckpoint(to: savePath, position) }
            if let plotPath { try writeChart(to: plotPath) }
        }
        let total = Date().timeIntervalSince(started)
        if interrupted {
            let path = savePath ?? "autograd-\(classifier.kind.rawValue)-interrupted.safetensors"
            try saveCheckpoint(to: path, position, interrupted: true)
            if let plotPath { try writeChart(to: plotPath) }
            print("interrupted in epoch \(position.completedEpochs + 1) after batch \(position.batchesIntoEpoch) of \(batchesPerEpoch), "
                  + "\(String(format: "%.1f", total)) s; saved \(path) (--resume \(path) continues from that batch)")
            throw ExitCode(130)
        }
        let final = history.epochs.last!
        print(String(format: "done: test accuracy %.2f%% after %d epoch%@, %.1f s of training", 100 * final.testAccuracy, s.epochs,
                     s.epochs == 1 ? "" : "s", total)
              + (savePath.map { "; checkpoint \($0)" } ?? "") + (plotPath.map { "; chart \($0)" } ?? ""))
    }

    /// Writes parameters, optimizer state, settings, position and history.
    func saveCheckpoint(to path: String, _ position: TrainingPosition, interrupted: Bool = false) throws {
        try TrainingCheckpoint.write(to: path, parameters: parameters, optimizer: optimizer, settings: settings,
                                     imageShape: classifier.imageShape, position: position, history: history, interrupted: interrupted)
    }

    /// Writes the curves so far as an SVG chart.
    func writeChart(to path: String) throws {
        do {
            try history.writeChart(to: path, title: "\(dataLabel) \(classifier.kind.rawValue)")
        } catch {
            throw TrainingError("--plot \(path): cannot write the chart: \(error.localizedDescription)")
        }
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
