/// RMSprop (Hinton's lecture 6e) with optional momentum and the centered variant — the update rule
/// and defaults of `torch.optim.RMSprop`:
///
///     g ← g + λ·θ;   v ← α·v + (1 − α)·g²
///     centered: ḡ ← α·ḡ + (1 − α)·g;  ṽ ← v − ḡ²   (else ṽ ← v)
///     momentum μ > 0: b ← μ·b + g / (√ṽ + ε);  θ ← θ − lr·b
///     otherwise:      θ ← θ − lr · g / (√ṽ + ε)
///
/// State: `"v.<leaf>"`, plus `"gavg.<leaf>"` when centered and `"momentum.<leaf>"` with momentum.
public struct RMSprop: Optimizer {
    /// The learning rate (default 1e-2).
    public var learningRate: Double
    /// The smoothing constant α (default 0.99).
    public var alpha: Double
    /// ε added to the denominator (default 1e-8).
    public var epsilon: Double
    /// L2 penalty λ added to the gradient.
    public var weightDecay: Double
    /// The momentum factor μ (default 0).
    public var momentum: Double
    /// Normalise by the estimated variance instead of the raw second moment.
    public var centered: Bool
    /// See ``Optimizer/state``.
    public var state: [String: Tensor] = [:]

    /// An RMSprop optimizer; the defaults are PyTorch's.
    public init(learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8, weightDecay: Double = 0,
                momentum: Double = 0, centered: Bool = false) {
        requireNonNegative("RMSprop", ["learningRate": learningRate, "epsilon": epsilon, "weightDecay": weightDecay])
        require(learningRate >= 0 && alpha >= 0 && momentum >= 0, "RMSprop: invalid learning rate \(learningRate), alpha \(alpha) or momentum \(momentum)")
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
    }

    /// `["v"]`, plus `"gavg"` when centered and `"momentum"` with momentum.
    public var slotNames: [String] { ["v"] + (centered ? ["gavg"] : []) + (momentum > 0 ? ["momentum"] : []) }
    /// None.
    public var scalarStateNames: [String] { [] }

    /// One RMSprop step.
    public mutating func update<P: ParameterTree>(_ params: inout P, along gradient: P) {
        updateLeaves(&params, along: gradient, op: "RMSprop") { leaf, p, g0 in
            var g = g0
            if weightDecay != 0 { g = g + weightDecay * p }
            let v = alpha * state.slot("v", leaf, like: p) + (1 - alpha) * square(g)
            state[stateKey("v", leaf)] = v
            var denominator: Tensor
            if centered {
                let gavg = alpha * state.slot("gavg", leaf, like: p) + (1 - alpha) * g
                state[stateKey("gavg", leaf)] = gavg
                denominator = sqrt(v - square(gavg)) + epsilon
            } else {
                denominator = sqrt(v) + epsilon
            }
            if momentum > 0 {
                let b = momentum * state.slot("momentum", leaf, like: p) + g / denominator
                state[stateKey("momentum", leaf)] = b
                return p - learningRate * b
            }
            return p - learningRate * g / denominator
        }
    }
}
