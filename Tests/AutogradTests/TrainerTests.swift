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
    static func command(_ extra: [String]) throws -> TrainCommand {
        try TrainCommand.parse(["--model", "mlp", "--epochs", "2", "--train-limit", "1000", "--optimizer", "adam", "--threads", "2"] + extra)
    }

    /// Trains once straight through and once interrupted after batch 3 of epoch 2 and resumed;
    /// prints the first difference between the two final checkpoints, or "identical".
    static func compareInterruptedRun() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        let full = url.appendingPathComponent("full.safetensors").path, cut = url.appendingPathComponent("cut.safetensors").path
        let resumed = url.appendingPathComponent("resumed.safetensors").path
        var uninterrupted = try TrainingSession(command: command(["--save", full]))
        try uninterrupted.run()
        // Stop after batch 3 of epoch 2, as a Ctrl-C would.
        var first = try TrainingSession(command: command(["--save", cut]))
        first.afterBatch = { epoch, batch in if epoch == 2 && batch == 3 { Interrupt.request() } }
        do { try first.run() } catch let code as ExitCode where code == ExitCode(130) {}
        let saved = try TrainingCheckpoint(path: cut)
        guard saved.position.completedEpochs == 1, saved.position.batchesIntoEpoch == 3, saved.position.seen == 3 * 128,
              saved.metadata["interrupted"] == "true" else { return print("wrong position \(saved.position)") }
        // Resuming takes the settings from the checkpoint.
        var second = try TrainingSession(command: TrainCommand.parse(["--resume", cut, "--save", resumed]))
        guard second.settings == uninterrupted.settings else { return print("settings \(second.settings)") }
        try second.run()
        let a = try Checkpoint(contentsOf: full), b = try Checkpoint(contentsOf: resumed)
        guard a.tensors.keys.sorted() == b.tensors.keys.sorted() else { return print("keys differ") }
        for key in a.tensors.keys.sorted() where a.tensors[key]!.doubles != b.tensors[key]!.doubles {
            return print("tensor \(key) differs")
        }
        guard a.tensors["optimizer.step.fc1.weight"]?.scalar == 16, b.metadata["epoch"] == "2", b.metadata["batch"] == "0" else {
            return print("wrong step count or position")
        }
        let ha = TrainingHistory(json: a.metadata["history"]!), hb = TrainingHistory(json: b.metadata["history"]!)
        guard ha.trainLoss.map(\.0) == hb.trainLoss.map(\.0), ha.trainLoss.map(\.1) == hb.trainLoss.map(\.1),
              ha.epochs.map(\.trainLoss) == hb.epochs.map(\.trainLoss), ha.epochs.map(\.testAccuracy) == hb.epochs.map(\.testAccuracy)
        else { return print("histories differ") }
        // Mid-epoch, the batch size cannot change (the rest of the epoch's batches depend on it).
        do {
            _ = try TrainingSession(command: TrainCommand.parse(["--resume", cut, "--batch-size", "64"]))
            return print("a changed batch size was accepted mid-epoch")
        } catch is TrainingError {}
        print("identical")
    }

    @Test func anInterruptedRunResumesExactlyWhereItStopped() async {
        // In a child process: tests running beside this one change Threading.count, which would
        // regroup float32 sums between the two runs; alone, the runs must agree bit for bit —
        // weights, Adam's moments and step counts, and the history.
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            do { try TrainerTests.compareInterruptedRun() } catch { print("error: \(error)") }
        }
        let output = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        #expect(output.hasSuffix("identical\n"), "\(output.suffix(300))")
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
