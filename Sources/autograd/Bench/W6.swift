import Autograd

// MARK: - W6 lstm

/// W6's parameters `[W, b, Wo, bo]`, time-major inputs and labels (float32, shared/bench/README.md).
func dataW6() -> (params: [Tensor], xs: Tensor, labels: Tensor) {
    let params = [
        Tensor.randn([300, 800], seed: 601, scale: 1 / 300.0.squareRoot(), dtype: .float32), Tensor.zeros([800], dtype: .float32),
        Tensor.randn([200, 10], seed: 602, scale: 1 / 200.0.squareRoot(), dtype: .float32), Tensor.zeros([10], dtype: .float32),
    ]
    let xs = Tensor.randn([50, 32, 100], seed: 603, dtype: .float32)
    let labels = Tensor((0..<32).map { $0 % 10 }, shape: [32])
    return (params, xs, labels)
}

/// W6's loss with the fused sequence layer: an LSTM (gate blocks i, f, o, g) over 50 steps, the last
/// hidden state through a linear layer, mean cross-entropy.
func lossW6(_ p: [Tensor], _ xs: Tensor, _ labels: Tensor) -> Tensor {
    let h0 = Tensor.zeros([32, 200], dtype: .float32)
    let last = lstm(xs, h0: h0, c0: h0, weight: p[0], bias: p[1]).hidden
    return crossEntropy(logits: linear(last, weight: p[2], bias: p[3]), labels: labels)
}

/// W6 with the cell written step by step from ``lstmCell(_:_:_:weight:bias:)`` (the hand-written
/// cell rows of the peers).
func lossW6Cells(_ p: [Tensor], _ xs: Tensor, _ labels: Tensor) -> Tensor {
    var h = Tensor.zeros([32, 200], dtype: .float32), c = h
    for t in 0..<xs.shape[0] { (h, c) = lstmCell(xs[t], h, c, weight: p[0], bias: p[1]) }
    return crossEntropy(logits: linear(h, weight: p[2], bias: p[3]), labels: labels)
}

/// W6: one full SGD step through all 50 steps (lr 0.01), ms: the fused `lstm` layer, and the
/// step-by-step `lstmCell` loop.
func benchW6(_ quick: Bool) -> [BenchRow] {
    var rows: [BenchRow] = []
    for (variant, loss) in [("lstm layer", lossW6), ("lstmCell loop", lossW6Cells)] {
        var (params, xs, labels) = dataW6()
        var sgd = SGD(learningRate: 0.01)
        var losses: [Double] = []
        func step() {
            let value = sgd.step(&params) { loss($0, xs, labels) }
            if losses.count < 2 { losses.append(value.scalar) }
        }
        step()
        let stats = bench(BenchSettings(), quick: quick) { step() }
        var check = Check()
        check.expect("first-step loss", losses[0], 2.3161619, rtol: 1e-6)
        check.require(losses[1] < losses[0], "loss did not decrease after one step: \(losses)")
        rows.append(BenchRow(workload: "W6", variant: variant, unit: "ms", stats: stats.scaled(by: 1e3),
                             check: check.result, key: variant == "lstm layer" ? "W6" : "W6 " + variant))
    }
    return rows
}
