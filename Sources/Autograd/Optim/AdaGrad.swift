/// AdaGrad (Duchi, Hazan & Singer, 2011) — the update rule and defaults of `torch.optim.Adagrad`:
///
///     t ← t + 1;  η ← lr / (1 + (t − 1)·lrDecay);  g ← g + λ·θ
///     s ← s + g²;   θ ← θ − η · g / (√s + ε)
///
/// State: `"step.<leaf>"`, `"sum.<leaf>"` (starting at `initialAccumulatorValue`).
public struct AdaGrad: Optimizer {
    /// The learning rate (default 1e-2).
    public var learningRate: Double
    /// The learning-rate decay (default 0).
    public var learningRateDecay: Double
    /// L2 penalty λ added to the gradient.
    public var weightDecay: Double
    /// The initial value of the sum of squares (default 0).
    public var initialAccumulatorValue: Double
    /// ε added to the denominator (default 1e-10).
    public var epsilon: Double
    /// See ``Optimizer/state``.
    public var state: [String: Tensor] = [:]

    /// An AdaGrad optimizer; the defaults are PyTorch's.
    public init(learningRate: Double = 1e-2, learningRateDecay: Double = 0, weightDecay: Double = 0,
                initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10) {
        requireNonNegative("AdaGrad", ["learningRate": learningRate, "epsilon": epsilon, "weightDecay": weightDecay])
        require(learningRate >= 0 && learningRateDecay >= 0 && initialAccumulatorValue >= 0,
                "AdaGrad: invalid learning rate \(learningRate), decay \(learningRateDecay) or initial accumulator \(initialAccumulatorValue)")
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
    }

    /// `["sum"]`.
    public var slotNames: [String] { ["sum"] }
    /// None.
    public var scalarStateNames: [String] { [] }
    /// `["step"]`: each leaf's step count t.
    public var leafScalarNames: [String] { ["step"] }

    /// One AdaGrad step.
    public mutating func update<P: ParameterTree>(_ params: inout P, along gradient: P) {
        updateLeaves(&params, along: gradient, op: "AdaGrad") { leaf, p, g0 in
            let eta = learningRate / (1 + (state.incrementCounter("step", leaf) - 1) * learningRateDecay)
            var g = g0
            if weightDecay != 0 { g = g + weightDecay * p }
            let s = state.slot("sum", leaf, like: p, initial: initialAccumulatorValue) + square(g)
            state[stateKey("sum", leaf)] = s
            return p - eta * g / (sqrt(s) + epsilon)
        }
    }
}
