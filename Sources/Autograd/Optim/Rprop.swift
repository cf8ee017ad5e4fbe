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
        requireNonNegative("Rprop", ["learningRate": learningRate, "minStepSize": minStepSize, "maxStepSize": maxStepSize])
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
