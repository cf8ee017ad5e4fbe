import Foundation

/// Adam (Kingma & Ba, 2015) with optional L2 weight decay and the AMSGrad variant — the update
/// rule and defaults of `torch.optim.Adam`:
///
///     t ← t + 1;  g ← g + λ·θ
///     m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²
///     m̂ ← m / (1 − β₁ᵗ);       v̂ ← v / (1 − β₂ᵗ)   (AMSGrad: v̂ ← max(v̂max, v) / (1 − β₂ᵗ))
///     θ ← θ − lr · m̂ / (√v̂ + ε)
///
/// State: `"step.<leaf>"`, `"m.<leaf>"`, `"v.<leaf>"` (and `"vmax.<leaf>"` with AMSGrad).
///
/// Untraced contiguous leaves are updated in one pass over memory (moments in place), with
/// results bit-identical to the tensor-op form used for traced or strided ones.
public struct Adam: Optimizer {
    /// The learning rate (default 1e-3).
    public var learningRate: Double
    /// β₁, the first moment's decay (default 0.9).
    public var beta1: Double
    /// β₂, the second moment's decay (default 0.999).
    public var beta2: Double
    /// ε added to the denominator (default 1e-8).
    public var epsilon: Double
    /// L2 penalty λ added to the gradient (coupled; see ``AdamW`` for decoupled decay).
    public var weightDecay: Double
    /// Use the running maximum of the second moment (AMSGrad).
    public var amsgrad: Bool
    /// See ``Optimizer/state``.
    public var state: [String: Tensor] = [:]
    /// Decoupled (AdamW) decay instead of the L2 term; set by ``AdamW``.
    var decoupled = false

    /// An Adam optimizer; the defaults are PyTorch's.
    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0, amsgrad: Bool = false) {
        requireNonNegative("Adam", ["learningRate": learningRate, "epsilon": epsilon, "weightDecay": weightDecay])
        require(learningRate >= 0 && epsilon >= 0, "Adam: invalid learning rate \(learningRate) or epsilon \(epsilon)")
        require((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam: betas must be in [0, 1), got (\(beta1), \(beta2))")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
    }

    /// `["m", "v"]`, plus `"vmax"` with AMSGrad.
    public var slotNames: [String] { amsgrad ? ["m", "v", "vmax"] : ["m", "v"] }
    /// None.
    public var scalarStateNames: [String] { [] }
    /// `["step"]`: each leaf's step count t.
    public var leafScalarNames: [String] { ["step"] }

    /// One Adam step.
    public mutating func update<P: ParameterTree>(_ params: inout P, along gradient: P) {
        updateLeaves(&params, along: gradient, op: decoupled ? "AdamW" : "Adam") { leaf, p0, g0 in
            let t = state.incrementCounter("step", leaf)
            let c1 = 1 - pow(beta1, t), c2 = 1 - pow(beta2, t)
            if let p = fusedStep(leaf, p0, g0, c1: c1, c2: c2) { return p }
            var p = p0, g = g0
            if weightDecay != 0 {
                if decoupled { p = p * (1 - learningRate * weightDecay) } else { g = g + weightDecay * p }
            }
            let m = beta1 * state.slot("m", leaf, like: p) + (1 - beta1) * g
            var v = beta2 * state.slot("v", leaf, like: p) + (1 - beta2) * square(g)
            state[stateKey("m", leaf)] = m
            state[stateKey("v", leaf)] = v
            if amsgrad {
                v = maximum(state.slot("vmax", leaf, like: p), v)
                state[stateKey("vmax", leaf)] = v
            }
            return p - (learningRate / c1) * m / (sqrt(v / c2) + epsilon)
        }
    }

    /// The step of one leaf in a single pass (``Kernels/adamStep(_:_:m:v:vmax:_:)``, bit-identical
    /// to the composed form above) when nothing is traced and every tensor is contiguous and of the
    /// parameter's dtype and shape; nil otherwise. The moments are updated in place (copied first
    /// if shared, e.g. with a state map the caller kept).
    private mutating func fusedStep(_ leaf: String, _ p: Tensor, _ g: Tensor, c1: Double, c2: Double) -> Tensor? {
        let names = amsgrad ? ["m", "v", "vmax"] : ["m", "v"]
        func fits(_ t: Tensor) -> Bool { t.node == nil && t.isContiguous && t.dtype == p.dtype && t.shape == p.shape }
        guard p.dtype.isFloatingPoint, fits(p), fits(g),
              names.allSatisfy({ state[stateKey($0, leaf)].map(fits) ?? true }) else { return nil }
        let moments = names.map { name -> Tensor in
            var t = state.removeValue(forKey: stateKey(name, leaf)) ?? Tensor.zeros(like: p)
            if !t.ownsUniqueMemory { t = Kernels.copyToContiguous(t) }
            return t
        }
        let constants = AdamStepConstants(
            beta1: beta1, beta2: beta2, epsilon: epsilon, stepSize: learningRate / c1, correction2: c2,
            l2: decoupled ? 0 : weightDecay, decay: decoupled ? 1 - learningRate * weightDecay : 1)
        let updated = Kernels.adamStep(p, g, m: moments[0], v: moments[1], vmax: amsgrad ? moments[2] : nil, constants)
        for (name, t) in zip(names, moments) { state[stateKey(name, leaf)] = t }
        return updated
    }
}

/// AdamW (Loshchilov & Hutter, 2019): Adam with weight decay decoupled from the gradient — the
/// update rule and defaults of `torch.optim.AdamW` (note the default `weightDecay` of 1e-2):
///
///     θ ← θ·(1 − lr·λ), then the ``Adam`` step without the L2 term.
///
/// State: as ``Adam``.
public struct AdamW: Optimizer {
    private var adam: Adam

    /// An AdamW optimizer; the defaults are PyTorch's.
    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 1e-2, amsgrad: Bool = false) {
        adam = Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                    weightDecay: weightDecay, amsgrad: amsgrad)
        adam.decoupled = true
    }

    /// The learning rate (default 1e-3).
    public var learningRate: Double {
        get { adam.learningRate }
        set { adam.learningRate = newValue }
    }
    /// The decoupled weight decay λ (default 1e-2).
    public var weightDecay: Double {
        get { adam.weightDecay }
        set { adam.weightDecay = newValue }
    }
    /// β₁ (default 0.9).
    public var beta1: Double {
        get { adam.beta1 }
        set { adam.beta1 = newValue }
    }
    /// β₂ (default 0.999).
    public var beta2: Double {
        get { adam.beta2 }
        set { adam.beta2 = newValue }
    }
    /// ε (default 1e-8).
    public var epsilon: Double {
        get { adam.epsilon }
        set { adam.epsilon = newValue }
    }
    /// Use the running maximum of the second moment (AMSGrad).
    public var amsgrad: Bool {
        get { adam.amsgrad }
        set { adam.amsgrad = newValue }
    }
    /// See ``Optimizer/state``.
    public var state: [String: Tensor] {
        get { adam.state }
        set { adam.state = newValue }
    }
    /// As ``Adam/slotNames``.
    public var slotNames: [String] { adam.slotNames }
    /// As ``Adam/scalarStateNames``.
    public var scalarStateNames: [String] { adam.scalarStateNames }
    /// As ``Adam/leafScalarNames``.
    public var leafScalarNames: [String] { adam.leafScalarNames }

    /// One AdamW step.
    public mutating func update<P: ParameterTree>(_ params: inout P, along gradient: P) {
        adam.update(&params, along: gradient)
    }
}

/// AdaMax (Kingma & Ba, 2015, §7.1): Adam with the infinity norm — the update rule and defaults of
/// `torch.optim.Adamax`:
///
///     t ← t + 1;  g ← g + λ·θ
///     m ← β₁·m + (1 − β₁)·g;   u ← max(β₂·u, |g| + ε)
///     θ ← θ − lr / (1 − β₁ᵗ) · m / u
///
/// State: `"step.<leaf>"`, `"m.<leaf>"`, `"u.<leaf>"`.
public struct AdaMax: Optimizer {
    /// The learning rate (default 2e-3).
    public var learningRate: Double
    /// β₁ (default 0.9).
    public var beta1: Double
    /// β₂ (default 0.999).
    public var beta2: Double
    /// ε (default 1e-8).
    public var epsilon: Double
    /// L2 penalty λ added to the gradient.
    public var weightDecay: Double
    /// See ``Optimizer/state``.
    public var state: [String: Tensor] = [:]

    /// An AdaMax optimizer; the defaults are PyTorch's.
    public init(learningRate: Double = 2e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0) {
        requireNonNegative("AdaMax", ["learningRate": learningRate, "epsilon": epsilon, "weightDecay": weightDecay])
        require((0..<1).contains(beta1) && (0..<1).contains(beta2), "AdaMax: betas must be in [0, 1), got (\(beta1), \(beta2))")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// `["m", "u"]`.
    public var slotNames: [String] { ["m", "u"] }
    /// None.
    public var scalarStateNames: [String] { [] }
    /// `["step"]`: each leaf's step count t.
    public var leafScalarNames: [String] { ["step"] }

    /// One AdaMax step.
    public mutating func update<P: ParameterTree>(_ params: inout P, along gradient: P) {
        updateLeaves(&params, along: gradient, op: "AdaMax") { leaf, p, g0 in
            let c1 = 1 - pow(beta1, state.incrementCounter("step", leaf))
            var g = g0
            if weightDecay != 0 { g = g + weightDecay * p }
            let m = beta1 * state.slot("m", leaf, like: p) + (1 - beta1) * g
            let u = maximum(beta2 * state.slot("u", leaf, like: p), abs(g) + epsilon)
            state[stateKey("m", leaf)] = m
            state[stateKey("u", leaf)] = u
            return p - (learningRate / c1) * m / u
        }
    }
}
