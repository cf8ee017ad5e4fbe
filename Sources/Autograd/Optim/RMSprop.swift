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

/// AdaGrad (Duchi, Hazan & Singer, 2011) — the update rule and defaults of `torch.optim.Adagrad`:
///
///     t ← t + 1;  η ← lr / (1 + (t − 1)·lrDecay);  g ← g + λ·θ
///     s ← s + g²;   θ ← θ − η · g / (√s + ε)
///
/// State: `"step"`, `"sum.<leaf>"` (starting at `initialAccumulatorValue`).
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
    /// `["step"]`.
    public var scalarStateNames: [String] { ["step"] }

    /// One AdaGrad step.
    public mutating func update<P: ParameterTree>(_ params: inout P, along gradient: P) {
        let t = state.scalarValue("step") + 1
        state["step"] = Tensor(t)
        let eta = learningRate / (1 + (t - 1) * learningRateDecay)
        updateLeaves(&params, along: gradient, op: "AdaGrad") { leaf, p, g0 in
            var g = g0
            if weightDecay != 0 { g = g + weightDecay * p }
            let s = state.slot("sum", leaf, like: p, initial: initialAccumulatorValue) + square(g)
            state[stateKey("sum", leaf)] = s
            return p - eta * g / (sqrt(s) + epsilon)
        }
    }
}

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

/// Rprop (Riedmiller & Braun, 1993), resilient backpropagation — the update rule and defaults of
/// `torch.optim.Rprop`, elementwise:
///
///     s ← g·g_prev
///     s > 0: η ← min(η·η₊, ηmax);   s < 0: η ← max(η·η₋, ηmin), g ← 0;   s = 0: η unchanged
///     θ ← θ − sign(g)·η;   g_prev ← g
///
/// Step sizes start at the learning rate. Full-batch gradients only (signs of noisy gradients flip).
/// State: `"prev.<leaf>"`, `"stepSize.<leaf>"`.
public struct Rprop: Optimizer {
    /// The initial step size (default 1e-2).
    public var learningRate: Double
    /// The decrease factor η₋ (default 0.5).
    public var etaMinus: Double
    /// The increase factor η₊ (default 1.2).
    public var etaPlus: Double
    /// The smallest step size (default 1e-6).
    public var minStepSize: Double
    /// The largest step size (default 50).
    public var maxStepSize: Double
    /// See ``Optimizer/state``.
    public var state: [String: Tensor] = [:]

    /// An Rprop optimizer; the defaults are PyTorch's.
    public init(learningRate: Double = 1e-2, etaMinus: Double = 0.5, etaPlus: Double = 1.2,
                minStepSize: Double = 1e-6, maxStepSize: Double = 50) {
        require(0 < etaMinus && etaMinus < 1 && etaPlus > 1, "Rprop: need 0 < etaMinus < 1 < etaPlus, got (\(etaMinus), \(etaPlus))")
        self.learningRate = learningRate
        self.etaMinus = etaMinus
        self.etaPlus = etaPlus
        self.minStepSize = minStepSize
        self.maxStepSize = maxStepSize
    }

    /// `["prev", "stepSize"]`.
    public var slotNames: [String] { ["prev", "stepSize"] }
    /// None.
    public var scalarStateNames: [String] { [] }

    /// One Rprop step.
    public mutating func update<P: ParameterTree>(_ params: inout P, along gradient: P) {
        updateLeaves(&params, along: gradient, op: "Rprop") { leaf, p, g0 in
            let prev = state.slot("prev", leaf, like: p)
            let eta0 = state.slot("stepSize", leaf, like: p, initial: learningRate)
            let s = g0 * prev
            let factor = `where`(s .> 0, Tensor.full([], etaPlus, dtype: p.dtype),
                                 `where`(s .< 0, Tensor.full([], etaMinus, dtype: p.dtype), 1))
            let eta = clamp(eta0 * factor, min: minStepSize, max: maxStepSize)
            let g = `where`(s .< 0, Tensor.zeros([], dtype: p.dtype), g0)
            state[stateKey("prev", leaf)] = g
            state[stateKey("stepSize", leaf)] = eta
            return p - sign(g) * eta
        }
    }
}
