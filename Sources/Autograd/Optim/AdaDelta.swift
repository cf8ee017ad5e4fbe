/// AdaDelta (Zeiler, 2012) — the update rule and defaults of `torch.optim.Adadelta`:
///
///     g ← g + λ·θ;   v ← ρ·v + (1 − ρ)·g²
///     Δ ← √(u + ε) / √(v + ε) · g;   u ← ρ·u + (1 − ρ)·Δ²
///     θ ← θ − lr·Δ
///
/// State: `"v.<leaf>"` (square average), `"u.<leaf>"` (accumulated squared updates).
public struct AdaDelta: Optimizer {
    /// The factor applied to Δ (default 1.0).
    public var learningRate: Double
    /// The decay ρ (default 0.9).
    public var rho: Double
    /// ε inside the square roots (default 1e-6).
    public var epsilon: Double
    /// L2 penalty λ added to the gradient.
    public var weightDecay: Double
    /// See ``Optimizer/state``.
    public var state: [String: Tensor] = [:]

    /// An AdaDelta optimizer; the defaults are PyTorch's.
    public init(learningRate: Double = 1.0, rho: Double = 0.9, epsilon: Double = 1e-6, weightDecay: Double = 0) {
        requireNonNegative("AdaDelta", ["learningRate": learningRate, "epsilon": epsilon, "weightDecay": weightDecay])
        require((0...1).contains(rho), "AdaDelta: rho must be in [0, 1], got \(rho)")
        self.learningRate = learningRate
        self.rho = rho
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// `["v", "u"]`.
    public var slotNames: [String] { ["v", "u"] }
    /// None.
    public var scalarStateNames: [String] { [] }

    /// One AdaDelta step.
    public mutating func update<P: ParameterTree>(_ params: inout P, along gradient: P) {
        updateLeaves(&params, along: gradient, op: "AdaDelta") { leaf, p, g0 in
            var g = g0
            if weightDecay != 0 { g = g + weightDecay * p }
            let v = rho * state.slot("v", leaf, like: p) + (1 - rho) * square(g)
            let u0 = state.slot("u", leaf, like: p)
            let delta = sqrt(u0 + epsilon) / sqrt(v + epsilon) * g
            state[stateKey("v", leaf)] = v
            state[stateKey("u", leaf)] = rho * u0 + (1 - rho) * square(delta)
            return p - learningRate * delta
        }
    }
}
