/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay —
/// the update rule and defaults of `torch.optim.SGD`:
///
///     g ← g + λ·θ                              (weightDecay λ)
///     b ← g at the first step, else μ·b + (1 − τ)·g   (momentum μ, dampening τ)
///     g ← g + μ·b if nesterov, else b           (only when μ ≠ 0)
///     θ ← θ − lr·g
///
/// State: `"momentum.<leaf>"` (the buffer `b`, only when `momentum ≠ 0`).
public struct SGD: Optimizer {
    /// The learning rate (PyTorch's default 1e-3).
    public var learningRate: Double
    /// The momentum factor μ (0: plain SGD).
    public var momentum: Double
    /// The dampening τ of the momentum buffer's gradient term.
    public var dampening: Double
    /// L2 penalty λ added to the gradient as λ·θ.
    public var weightDecay: Double
    /// Nesterov momentum (requires momentum > 0 and dampening = 0, as in PyTorch).
    public var nesterov: Bool
    /// See ``Optimizer/state``.
    public var state: [String: Tensor] = [:]

    /// An SGD optimizer; the defaults are PyTorch's.
    public init(learningRate: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false) {
        requireNonNegative("SGD", ["learningRate": learningRate, "dampening": dampening, "weightDecay": weightDecay])
        require(learningRate >= 0, "SGD: invalid learning rate \(learningRate)")
        require(momentum >= 0, "SGD: invalid momentum \(momentum)")
        require(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum requires a momentum > 0 and zero dampening")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    /// `["momentum"]` when momentum is on, else none.
    public var slotNames: [String] { momentum != 0 ? ["momentum"] : [] }
    /// None: the first step is recognised by the missing buffer.
    public var scalarStateNames: [String] { [] }

    /// Differentiates `loss` at `params` and takes one step; returns the loss before the step.
    ///
    /// Plain SGD (no momentum, no weight decay) adds `−lr·gradient` into the parameters during the
    /// backward pass (``addGradient(of:scaledBy:to:)``): a linear layer's weight step is one GEMM
    /// with no gradient tensor. Otherwise it is `valueAndGrad` then ``update(_:along:)``.
    @discardableResult
    public mutating func step<P: ParameterTree>(_ params: inout P, loss: @escaping (P) -> Tensor) -> Tensor {
        guard momentum == 0, weightDecay == 0 else { return differentiateAndUpdate(&params, loss: loss) }
        return addScaledGradient(to: &params, scale: -learningRate, of: loss, trainableOnly: true, op: "SGD")
    }

    /// One SGD step.
    public mutating func update<P: ParameterTree>(_ params: inout P, along gradient: P) {
        updateLeaves(&params, along: gradient, op: "SGD") { leaf, p, g0 in
            // One pass over memory for untraced contiguous leaves (bit-identical to the ops below).
            let key = stateKey("momentum", leaf)
            var buffer = momentum != 0 ? state.removeValue(forKey: key) : nil
            if var b = buffer, b.node == nil, !b.ownsUniqueMemory { buffer = Kernels.copyToContiguous(b) }
            if let (updated, b) = Kernels.sgdStep(p, g0, buffer: buffer, learningRate: learningRate, momentum: momentum,
                                                  dampening: dampening, weightDecay: weightDecay, nesterov: nesterov) {
                if let b { state[key] = b }
                return updated
            }
            if let buffer { state[key] = buffer }
            var g = g0
            if weightDecay != 0 { g = g + weightDecay * p }
            if momentum != 0 {
                let key = stateKey("momentum", leaf)
                let b = state[key].map { momentum * $0 + (1 - dampening) * g } ?? g
                state[key] = b
                g = nesterov ? g + momentum * b : b
            }
            return p - learningRate * g
        }
    }
}
