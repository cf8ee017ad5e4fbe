import Autograd

// Seed 000: torch-autograd's README network — a two-layer tanh net with a multinomial logistic
// loss, parameters in a nested table `{W = {W1, W2}, b = {b1, b2}}`, gradients mirroring it:
//
//     neuralNet = function(params, x, y)
//        local h1 = t.tanh(x * params.W[1] + params.b[1])
//        local h2 = t.tanh(h1 * params.W[2] + params.b[2])
//        local yHat = h2 - t.log(t.sum(t.exp(h2)))
//        local loss = - t.sum(t.cmul(yHat, y))
//        return loss, yHat        -- (the prediction as an extra output)
//     end
//     dparams, loss, prediction = grad(neuralNet)(params, x, y)
//
// With the deterministic data of benchmark workload W3: loss 3.653194818054505, sum of squares of
// all gradient entries 0.58020038417235.

/// The network's parameters, `["W": [W1, W2], "b": [b1, b2]]`, drawn as in benchmark W3:
/// W1 = randn(301, 100×50), W2 = randn(302, 50×10), b1 = randn(303, 50), b2 = randn(304, 10).
public func seedNetworkParameters() -> [String: [Tensor]] {
    [
        "W": [Tensor.randn([100, 50], seed: 301), Tensor.randn([50, 10], seed: 302)],
        "b": [Tensor.randn([50], seed: 303), Tensor.randn([10], seed: 304)],
    ]
}

/// One input `x` = randn(305, 1×100) and its one-hot label `y` (class 3 of 10), as in W3.
public func seedNetworkData() -> (x: Tensor, y: Tensor) {
    var y = [Double](repeating: 0, count: 10)
    y[3] = 1
    return (Tensor.randn([1, 100], seed: 305), Tensor(y, shape: [1, 10]))
}

/// The README network: returns the loss and, as auxiliary output, the log-probabilities `yHat`.
public func neuralNet(_ params: [String: [Tensor]], _ x: Tensor, _ y: Tensor) -> (Tensor, Tensor) {
    let W = params["W"]!, b = params["b"]!
    let h1 = tanh(matmul(x, W[0]) + b[0])
    let h2 = tanh(matmul(h1, W[1]) + b[1])
    let yHat = h2 - log(sum(exp(h2)))
    let loss = -sum(yHat * y)
    return (loss, yHat)
}

/// The loss, its gradient (a `[String: [Tensor]]` shaped like the parameters) and the prediction.
public func neuralNetValueAndGradient() -> (loss: Double, gradient: [String: [Tensor]], prediction: Tensor) {
    let params = seedNetworkParameters()
    let (x, y) = seedNetworkData()
    let (loss, gradient, prediction) = valueAndGrad(withAux: neuralNet)(params, x, y)
    return (loss.scalar, gradient, prediction)
}

/// The seed network's loss, gradient size and predicted class.
public func neuralNetExample() -> ExampleResult {
    let (loss, gradient, prediction) = neuralNetValueAndGradient()
    return ExampleResult(name: "two-layer network, nested parameters (seed 000, torch-autograd README)",
                         values: [("loss", loss), ("sum of squared gradients", sumOfSquares(gradient)),
                                  ("predicted class", Double(prediction.argmax().item(as: Int.self))),
                                  ("probability of class 3", exp(prediction).doubles[3])])
}
