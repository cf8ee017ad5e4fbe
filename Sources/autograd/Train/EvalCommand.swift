import ArgumentParser
import Autograd
import Foundation

/// `autograd eval`: the test accuracy of a checkpoint written by `autograd train`.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint written by `autograd train` on the test set.")

    @Argument(help: "The checkpoint (.safetensors or .npz).")
    var checkpoint: String

    @OptionGroup var data: DataOptions

    @Option(parsing: .unconditional, help: "Threads for every kernel, matrix products included (default: the CPUs this process may run on).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if !FileManager.default.fileExists(atPath: checkpoint) { throw ValidationError("no file at \(checkpoint)") }
    }

    func run() throws {
        if let threads { Threading.count = threads }
        let loaded = try TrainingCheckpoint(path: checkpoint)
        let dataset = data.dataset ?? loaded.dataset ?? .mnist
        let test = try data.loadTest(dataset)
        let classifier = Classifier(kind: loaded.model, imageShape: test.imageShape)
        let parameters = try loaded.parameters(for: classifier, requireFinite: false)
        let started = Date()
        let r = evaluate(classifier, parameters, normalizedImages(test.images), test.labels)
        let label = data.dataDirectory.map { "data in \($0)" } ?? dataset.rawValue
        var epoch = "epoch \(loaded.position.completedEpochs)"
        if loaded.position.batchesIntoEpoch > 0 { epoch += " and \(loaded.position.batchesIntoEpoch) batches" }
        print(String(format: "%@ on %@ test: accuracy %.2f%% (%d/%d), %@, %.2f s", loaded.model.rawValue, label,
                     100 * r.accuracy, r.correct, r.count, epoch, Date().timeIntervalSince(started)))
    }
}
