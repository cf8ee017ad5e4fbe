import Autograd

// MARK: - W5 cnn

/// W5's parameters, in the README's order: conv1 `K1` 16×3×5×5, `c1`, conv2 `K2` 32×16×5×5, `c2`,
/// fc `Wf` 800×10, `bf` (float32).
func dataW5() -> (params: [Tensor], x: Tensor, onehot: Tensor) {
    let params = [
        Tensor.randn([16, 3, 5, 5], seed: 501, scale: (1.0 / 75).squareRoot(), dtype: .float32),
        Tensor.zeros([16], dtype: .float32),
        Tensor.randn([32, 16, 5, 5], seed: 502, scale: (1.0 / 400).squareRoot(), dtype: .float32),
        Tensor.zeros([32], dtype: .float32),
        Tensor.randn([800, 10], seed: 503, scale: (1.0 / 800).squareRoot(), dtype: .float32),
        Tensor.zeros([10], dtype: .float32),
    ]
    let x = Tensor.randn([32, 3, 32, 32], seed: 504, dtype: .float32)
    // Labels b mod 10, one-hot.
    let onehot = Tensor((0..<32).flatMap { b in (0..<10).map { $0 == b % 10 ? Float(1) : 0 } }, shape: [32, 10])
    return (params, x, onehot)
}

/// W5's loss: two (valid conv → bias → tanh → 2×2 max-pool) blocks, a linear layer, mean NLL of
/// the log-softmax.
func lossW5(_ p: [Tensor], _ x: Tensor, _ onehot: Tensor) -> Tensor {
    var h = maxPool2d(tanh(conv2d(x, weight: p[0], bias: p[1])), kernelSize: 2)
    h = maxPool2d(tanh(conv2d(h, weight: p[2], bias: p[3])), kernelSize: 2)
    let logits = linear(h.reshape([h.shape[0], -1]), weight: p[4], bias: p[5])
    return -(logSoftmax(logits, axis: 1) * onehot).sum() / Double(h.shape[0])
}

/// W5: one full SGD step (value and gradient, then `p -= 0.01·grad` for the six parameters, in
/// place: `SGD.step`), ms.
func benchW5(_ quick: Bool) -> BenchRow {
    let (initial, x, onehot) = dataW5()
    var params = initial
    var sgd = SGD(learningRate: 0.01)
    var firstLoss: Double? = nil
    let stats = bench(BenchSettings(), quick: quick) {
        let loss = sgd.step(&params) { lossW5($0, x, onehot) }
        if firstLoss == nil { firstLoss = loss.scalar }
    }
    var check = Check()
    check.require(params.allSatisfy { $0.dtype == .float32 }, "parameters are not float32")
    check.expect("first-step loss", firstLoss ?? .nan, 2.5312593, rtol: 1e-6)
    return BenchRow(workload: "W5", variant: "sgd-step", unit: "ms", stats: stats.scaled(by: 1e3),
                    check: check.result, key: "W5")
}
