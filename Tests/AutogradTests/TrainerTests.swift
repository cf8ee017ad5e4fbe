import ArgumentParser
import Autograd
import Foundation
import Testing

@testable import autograd

/// The command-line trainer: interrupting and resuming reproduces an uninterrupted run bit for
/// bit, and unusable checkpoints or data are one clear error.
@Suite(.serialized) struct TrainerTests {
    let directory: String = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-trainer-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }()

    /// A short MLP run on 1,000 MNIST images: 8 batches per epoch.
    func command(_ extra: [String]) throws -> TrainCommand {
        try TrainCommand.parse(["--model", "mlp", "--epochs", "2", "--train-limit", "1000", "--optimizer", "adam"] + extra)
    }

    @Test func anInterruptedRunResumesExactlyWhereItStopped() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let full = "\(directory)/full.safetensors", cut = "\(directory)/cut.safetensors", resumed = "\(directory)/resumed.safetensors"
        var uninterrupted = try TrainingSession(command: command(["--save", full]))
        try uninterrupted.run()

        // Stop after batch 3 of epoch 2, as a Ctrl-C would.
        var first = try TrainingSession(command: command(["--save", cut]))
        first.afterBatch = { epoch, batch in if epoch == 2 && batch == 3 { Interrupt.request() } }
        #expect(throws: ExitCode(130)) { try first.run() }
        let saved = try TrainingCheckpoint(path: cut)
        #expect(saved.position.completedEpochs == 1 && saved.position.batchesIntoEpoch == 3)
        #expect(saved.position.seen == 3 * 128 && saved.metadata["interrupted"] == "true")

        // Resuming takes the settings from the checkpoint; the two runs end with the same
        // weights, Adam moments and step counts, and history. (Bit for bit when the thread count
        // stays put, as `autograd train` keeps it; tests running beside this one change
        // Threading.count, which regroups some float32 sums, hence the tolerance.)
        var second = try TrainingSession(command: TrainCommand.parse(["--resume", cut, "--save", resumed]))
        #expect(second.settings == uninterrupted.settings)
        try second.run()
        let a = try Checkpoint(contentsOf: full), b = try Checkpoint(contentsOf: resumed)
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        func close(_ x: [Double], _ y: [Double]) -> Bool {
            x.count == y.count && zip(x, y).allSatisfy { abs($0 - $1) <= 1e-5 * Swift.max(1, abs($0)) }
        }
        for (key, tensor) in a.tensors { #expect(close(tensor.doubles, b.tensors[key]!.doubles), "\(key)") }
        #expect(a.tensors["optimizer.step.fc1.weight"]?.scalar == 16 && b.tensors["optimizer.step.fc1.weight"]?.scalar == 16)
        #expect(b.metadata["epoch"] == "2" && b.metadata["batch"] == "0")
        let ha = TrainingHistory(json: a.metadata["history"]!), hb = TrainingHistory(json: b.metadata["history"]!)
        #expect(ha.trainLoss.map(\.0) == hb.trainLoss.map(\.0) && close(ha.trainLoss.map(\.1), hb.trainLoss.map(\.1)))
        #expect(close(ha.epochs.map(\.trainLoss), hb.epochs.map(\.trainLoss)) && hb.epochs.count == 2)

        // Mid-epoch, the batch size cannot change (the rest of the epoch's batches depend on it).
        #expect(throws: TrainingError.self) { try TrainingSession(command: TrainCommand.parse(["--resume", cut, "--batch-size", "64"])) }
    }

    @Test func unusableCheckpointsAreOneErrorNamingTheProblem() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }
        let weights = ["model.fc.weight": Tensor.zeros([784, 10], dtype: .float32), "model.fc.bias": Tensor.zeros([10], dtype: .float32)]
        func write(_ name: String, _ tensors: [String: Tensor], _ metadata: [String: String]) throws -> String {
            let path = "\(directory)/\(name).safetensors"
            try Checkpoint(tensors: tensors, metadata: metadata).write(to: path)
            return path
        }
        let foreign = try write("foreign", weights, ["model": "resnet", "epoch": "1"])
        #expect(message { _ = try TrainingCheckpoint(path: foreign) }.contains("model \"resnet\" is not one `autograd train` knows"))
        let noModel = try write("nomodel", weights, [:])
        #expect(message { _ = try TrainingCheckpoint(path: noModel) }.contains("its metadata has no \"model\""))
        let badEpoch = try write("badepoch", weights, ["model": "logreg", "epoch": "abc"])
        #expect(message { _ = try TrainingCheckpoint(path: badEpoch) }.contains("metadata \"epoch\" is \"abc\", not a count"))

        let classifier = Classifier(kind: .logreg, imageShape: [28, 28])
        let missing = try TrainingCheckpoint(path: write("missing", ["model.fc.weight": weights["model.fc.weight"]!], ["model": "logreg", "epoch": "1"]))
        #expect(message { _ = try missing.parameters(for: classifier, requireFinite: true) }
            .hasSuffix("does not hold a logreg model as `autograd train` writes it: it has no tensor \"model.fc.bias\""))
        var nan = weights
        nan["model.fc.bias"] = Tensor([0, 0, 0, .nan, 0, 0, 0, 0, 0, 0] as [Float], shape: [10])
        let diverged = try TrainingCheckpoint(path: write("nan", nan, ["model": "logreg", "epoch": "1", "image_shape": "28x28"]))
        #expect(message { _ = try diverged.parameters(for: classifier, requireFinite: true) }.contains("\"model.fc.bias\" contains NaN"))
        #expect(message { _ = try diverged.parameters(for: Classifier(kind: .logreg, imageShape: [32, 32]), requireFinite: false) }
            .hasSuffix("was trained on 28×28 images, the data has 32×32"))
    }
}
