import Autograd

// MARK: - W4 mlp-mnist

/// W4's parameters `[W1, b1, W2, b2, W3, b3]`, inputs and labels (float32, shared/bench/README.md).
func dataW4() -> (params: [Tensor], x: Tensor, labels: Tensor) {
    let params = [
        Tensor.randn([784, 512], seed: 401, scale: (2.0 / 784).squareRoot(), dtype: .float32), Tensor.zeros([512], dtype: .float32),
        Tensor.randn([512, 512], seed: 402, scale: (2.0 / 512).squareRoot(), dtype: .float32), Tensor.zeros([512], dtype: .float32),
        Tensor.randn([512, 10], seed: 403, scale: (2.0 / 512).squareRoot(), dtype: .float32), Tensor.zeros([10], dtype: .float32),
    ]
    let x = Tensor.uniform([128, 784], seed: 404, dtype: .float32)
    let labels = Tensor((0..<128).map { $0 % 10 }, shape: [128])
    return (params, x, labels)
}

/// W4's loss: a 784→512→512→10 ReLU network and the mean cross-entropy of its logits.
func lossW4(_ p: [Tensor], _ x: Tensor, _ labels: Tensor) -> Tensor {
    let h1 = relu(linear(x, weight: p[0], bias: p[1]))
    let h2 = relu(linear(h1, weight: p[2], bias: p[3]))
    return crossEntropy(logits: linear(h2, weight: p[4], bias: p[5]), labels: labels)
}

/// W4: one full SGD step (forward, backward, update of the 6 parameters, lr 0.01), ms. The step is
/// the library's `SGD.step`, which adds `−lr·gradient` into the parameters in place during the
/// backward pass (each weight's step is one GEMM, as numpy's `p -= lr * g` but with no gradient
/// buffer).
func benchW4(_ quick: Bool) -> BenchRow {
    var (params, x, labels) = dataW4()
    var sgd = SGD(learningRate: 0.01)
    var losses: [Double] = []
    func step() {
        let value = sgd.step(&params) { lossW4($0, x, labels) }
        if losses.count < 2 { losses.append(value.scalar) }
    }
    step()
    let stats = bench(BenchSettings(), quick: quick) { step() }
    var check = Check()
    check.expect("first-step loss", losses[0], 2.6025939, rtol: 1e-6)
    check.require(losses[1] < losses[0], "loss did not decrease after one step: \(losses)")
    return BenchRow(workload: "W4", variant: "SGD step", unit: "ms", stats: stats.scaled(by: 1e3),
                    check: check.result, key: "W4")
}
