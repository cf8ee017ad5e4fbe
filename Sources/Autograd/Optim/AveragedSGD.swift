import Foundation

/// Averaged stochastic gradient descent (Polyak & Juditsky, 1992) — the update rule and defaults of
/// `torch.optim.ASGD`:
///
///     t ← t + 1;  g ← g + λ·θ
///     θ ← θ·(1 − λd·η) − η·g                     (λd: `decay`, PyTorch's `lambd`)
///     ā ← ā + μ·(θ − ā)                           (ā ← θ while μ = 1)
///     η ← lr / (1 + λd·lr·t)^α;   μ ← 1 / max(1, t − t₀)
///
/// η starts at lr and μ at 1, so averaging begins after `t₀` steps. ``averaged(_:)`` returns the
/// averaged parameters ā (the ones to evaluate with). State, per leaf (as PyTorch keeps it):
/// `"step.<leaf>"`, `"eta.<leaf>"`, `"mu.<leaf>"`, `"ax.<leaf>"`.
public struct AveragedSGD: Optimizer {
    /// The learning rate (default 1e-2).
    public var learningRate: Double
    /// The decay term λd (PyTorch's `lambd`, default 1e-4).
    public var decay: Double
    /// The power α of the learning-rate decay (default 0.75).
    public var alpha: Double
    /// The step at which averaging starts (default 1e6).
    public var t0: Double
    /// L2 penalty λ added to the gradient.
    public var weightDecay: Double
    /// See ``Optimizer/state``.
    public var state: [String: Tensor] = [:]

    /// An averaged SGD optimizer; the defaults are PyTorch's.
    public init(learningRate: Double = 1e-2, decay: Double = 1e-4, alpha: Double = 0.75, t0: Double = 1e6,
                weightDecay: Double = 0) {
        requireNonNegative("AveragedSGD", ["learningRate": learningRate, "decay": decay, "alpha": alpha, "weightDecay": weightDecay])
        self.learningRate = learningRate
        self.decay = decay
        self.alpha = alpha
        self.t0 = t0
        self.weightDecay = weightDecay
    }

    /// `["ax"]`.
    public var slotNames: [String] { ["ax"] }
    /// None.
    public var scalarStateNames: [String] { [] }
    /// `["step", "eta", "mu"]`: each leaf's step count, step size η and averaging weight μ.
    public var leafScalarNames: [String] { ["step", "eta", "mu"] }

    /// One averaged-SGD step.
    public mutating func update<P: ParameterTree>(_ params: inout P, along gradient: P) {
        updateLeaves(&params, along: gradient, op: "AveragedSGD") { leaf, p0, g0 in
            let t = state.incrementCounter("step", leaf)
            let eta = state[stateKey("eta", leaf)]?.scalar ?? learningRate
            let mu = state[stateKey("mu", leaf)]?.scalar ?? 1
            var g = g0
            if weightDecay != 0 { g = g + weightDecay * p0 }
            let p = p0 * (1 - decay * eta) - eta * g
            let key = stateKey("ax", leaf)
            state[key] = mu != 1 ? state.slot("ax", leaf, like: p) + mu * (p - state.slot("ax", leaf, like: p)) : p
            state[stateKey("eta", leaf)] = Tensor(learningRate / pow(1 + decay * learningRate * t, alpha))
            state[stateKey("mu", leaf)] = Tensor(1 / Swift.max(1, t - t0))
            return p
        }
    }

    /// `params` with each leaf replaced by its running average ā (the leaf itself before the first
    /// update).
    public func averaged<P: ParameterTree>(_ params: P) -> P {
        let names = positionalLeafNames(params)
        var i = 0
        return params.mapTensors { p in
            defer { i += 1 }
            return state[stateKey("ax", names[i])] ?? p
        }
    }
}
