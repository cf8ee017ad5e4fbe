import Autograd

// Seed: the HIPS autograd README's logistic regression, trained by 100 steps of gradient descent:
//
//     def sigmoid(x): return 0.5 * (np.tanh(x / 2.) + 1)
//     def logistic_predictions(weights, inputs): return sigmoid(np.dot(inputs, weights))
//     def training_loss(weights):
//         preds = logistic_predictions(weights, inputs)
//         label_probabilities = preds * targets + (1 - preds) * (1 - targets)
//         return -np.sum(np.log(label_probabilities))
//     training_gradient_fun = grad(training_loss)
//     weights = np.array([0.0, 0.0, 0.0])
//     for i in range(100): weights -= training_gradient_fun(weights) * 0.01
//
// Final loss 1.0672706757870163 (benchmark workload W2).

/// The README's four examples with three features.
public let logisticInputs: Tensor = [[0.52, 1.12, 0.77],
                                     [0.88, -1.08, 0.15],
                                     [0.52, 0.06, -1.30],
                                     [0.74, -2.49, 1.39]]
/// The README's labels.
public let logisticTargets: Tensor = [1, 1, 0, 1]

/// The README's sigmoid, written with `tanh`.
func tanhSigmoid(_ x: Tensor) -> Tensor { 0.5 * (tanh(x / 2) + 1) }

/// The negative log-likelihood of the labels under weights `w`.
public func logisticLoss(_ w: Tensor) -> Tensor {
    let preds = tanhSigmoid(matmul(logisticInputs, w))
    let labelProbabilities = preds * logisticTargets + (1 - preds) * (1 - logisticTargets)
    return -log(labelProbabilities).sum()
}

/// Trains from zero weights by `steps` steps of `w -= learningRate · ∇loss(w)`; returns the
/// weights.
public func trainLogisticRegression(steps: Int = 100, learningRate: Double = 0.01) -> Tensor {
    let gradient = grad(logisticLoss)
    var w = Tensor.zeros([3])
    for _ in 0..<steps {
        w = w - learningRate * gradient(w)
    }
    return w
}

/// The loss before training (4·log 2) and after 100 steps.
public func logisticRegressionExample() -> ExampleResult {
    let initial = logisticLoss(Tensor.zeros([3])).scalar
    let w = trainLogisticRegression()
    let final = logisticLoss(w).scalar
    let wd = w.doubles
    return ExampleResult(name: "logistic regression, 100 steps (HIPS README)",
                         values: [("initial loss", initial), ("final loss", final),
                                  ("w[0]", wd[0]), ("w[1]", wd[1]), ("w[2]", wd[2])])
}
