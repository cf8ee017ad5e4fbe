import Foundation
import Testing
@testable import Autograd

/// The code of the DocC article "Training models", run on a few MNIST batches: it must compile as
/// written and make the loss go down.
@Suite struct TrainingArticleTests {
    @Test func functionalAndModuleTrainingAsDocumented() throws {
        var params: [String: Tensor] = [
            "w1": Initializer.heNormal()([784, 256], seed: 1, dtype: .float32), "b1": Tensor.zeros([256], dtype: .float32),
            "w2": Initializer.glorotUniform()([256, 10], seed: 2, dtype: .float32), "b2": Tensor.zeros([10], dtype: .float32),
        ]
        func logits(_ p: [String: Tensor], _ x: Tensor) -> Tensor {
            linear(relu(linear(x, weight: p["w1"]!, bias: p["b1"]!)), weight: p["w2"]!, bias: p["b2"]!)
        }
        var optimizer = Adam(learningRate: 1e-3)
        let mnist = try MNIST(directory: MNIST.defaultDirectory())
        let images = mnist.train.images.slice(axis: 0, 0, 2048), labels = mnist.train.labels.slice(axis: 0, 0, 2048)
        var losses: [Double] = []
        for (x, y) in Batches(inputs: images, labels: labels, batchSize: 128, seed: 0) {
            let (loss, g) = valueAndGrad { (p: [String: Tensor]) in crossEntropy(logits: logits(p, x), labels: y) }(params)
            optimizer.update(&params, along: g)
            losses.append(loss.item(as: Double.self))
        }
        #expect(losses.count == 16)
        #expect(losses.last! < 0.6 * losses.first!, "\(losses)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("article-mlp-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint(params, prefix: "model").write(to: path)
        let restored = try Checkpoint(contentsOf: path).restore(params, prefix: "model")
        #expect(restored["w2"]!.scalars(as: Float.self) == params["w2"]!.scalars(as: Float.self))

        var net = Sequential(Linear(inputSize: 784, outputSize: 256, seed: 1, dtype: .float32), ReLU(),
                             Linear(inputSize: 256, outputSize: 10, seed: 2, dtype: .float32))
        let (x, y) = (images.slice(axis: 0, 0, 128), labels.slice(axis: 0, 0, 128))
        var moduleLosses: [Double] = []
        for _ in 0..<10 {
            let (loss, g) = valueAndGrad { (m: Sequential) in crossEntropy(logits: m(x), labels: y) }(net)
            optimizer = moduleLosses.isEmpty ? Adam(learningRate: 1e-3) : optimizer
            optimizer.update(&net, along: g)
            moduleLosses.append(loss.item(as: Double.self))
        }
        #expect(moduleLosses.last! < 0.7 * moduleLosses.first!, "\(moduleLosses)")
    }
}
