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

    @Option(help: "Threads for every kernel, matrix products included (default: the CPUs this process may run on).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        if let threads { Threading.count = threads }
        let loaded = try Checkpoint(contentsOf: checkpoint)
        guard let kind = loaded.metadata["model"].flatMap(ClassifierKind.init(rawValue:)) else {
            throw ValidationError("\(checkpoint) is not a checkpoint written by `autograd train` (no model in its metadata)")
        }
        let mnist = try data.load()
        let classifier = Classifier(kind: kind, imageShape: mnist.test.imageShape)
        let parameters = try loaded.restore(classifier.initialParameters(classes: 10, seed: 0), prefix: "model")
        let started = Date()
        let r = evaluate(classifier, parameters, normalizedImages(mnist.test.images), mnist.test.labels)
        print(String(format: "%@ on %@ test: accuracy %.2f%% (%d/%d), epoch %@, %.2f s", kind.rawValue, data.dataset.rawValue,
                     100 * r.accuracy, r.correct, r.count, loaded.metadata["epoch"] ?? "?", Date().timeIntervalSince(started)))
    }
}
