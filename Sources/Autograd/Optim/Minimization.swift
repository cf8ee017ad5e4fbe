// Shared pieces of the full-batch minimisers (L-BFGS, conjugate gradients, FISTA, CMA-ES): the
// result type and the flattening of a parameter tree into one vector.

/// The outcome of a full-batch minimisation.
public struct MinimizationResult<P: ParameterTree> {
    /// The final point (for CMA-ES the best point evaluated).
    public var x: P
    /// The objective at `x`.
    public var value: Double
    /// Iterations (generations for CMA-ES) performed.
    public var iterations: Int
    /// Objective evaluations performed (each gradient evaluation counts once).
    public var evaluations: Int
    /// Why the minimiser stopped.
    public var stopReason: StopReason
    /// The objective after each iteration (`values[k]` after iteration `k + 1`; for CMA-ES the best
    /// value of each generation).
    public var values: [Double]

    /// True when a convergence test (not an iteration or evaluation budget) stopped the minimiser.
    public var converged: Bool {
        switch stopReason {
        case .gradientTolerance, .changeTolerance, .slopeTolerance, .targetReached: return true
        case .maxIterations, .maxEvaluations, .illConditioned: return false
        }
    }
}

/// Why a minimiser stopped.
public enum StopReason: String, Sendable, Equatable {
    /// The largest gradient component fell below the gradient tolerance.
    case gradientTolerance
    /// The step, or the change of the objective, fell below the change tolerance.
    case changeTolerance
    /// The objective reached the requested target (CMA-ES).
    case targetReached
    /// The iteration budget ran out.
    case maxIterations
    /// The evaluation budget ran out.
    case maxEvaluations
    /// The slope ⟨∇f, d⟩ along the new search direction rose above −changeTolerance: no further
    /// decrease is measurable (PyTorch L-BFGS's `gtd > -tolerance_change` test).
    case slopeTolerance
    /// The search distribution became too ill-conditioned (CMA-ES).
    case illConditioned
}

/// A parameter tree's leaves laid end to end as one vector, and back: the full-batch minimisers do
/// their vector algebra on this flat vector (one tensor op per step instead of one per leaf). Built
/// on ``ParameterTree/flattened()``, with the checks and messages the minimisers need.
struct FlatLayout<P: ParameterTree> {
    let dtype: DType
    let total: Int
    private let shapes: [[Int]]
    private let rebuild: (Tensor) -> P

    init(_ tree: P, op: String) {
        let leaves = tree.tensors
        require(!leaves.isEmpty, "\(op): the parameters have no tensor leaves")
        dtype = leaves[0].dtype
        require(dtype.isFloatingPoint, "\(op): parameters must be floating point, got \(dtype)")
        for t in leaves {
            require(t.dtype == dtype, "\(op): all parameter leaves must share one dtype, got \(dtype) and \(t.dtype) (shape \(t.shape))")
        }
        shapes = leaves.map(\.shape)
        let (vector, unflatten) = tree.flattened()
        total = vector.count
        rebuild = unflatten
    }

    /// The leaves of `tree` (same structure as the template) as one vector.
    func flatten(_ tree: P) -> Tensor {
        let leaves = tree.tensors
        require(leaves.map(\.shape) == shapes, "flatten: leaf shapes \(leaves.map(\.shape)) differ from \(shapes)")
        return tree.flattened().vector
    }

    /// The template's structure filled from the vector `v`.
    func unflatten(_ v: Tensor) -> P { rebuild(v) }
}

/// A flattened objective: value and gradient of `f` at a flat point, counting evaluations.
struct FlatObjective<P: ParameterTree> {
    let layout: FlatLayout<P>
    let f: (P) -> Tensor
    let valueAndGradient: (P) -> (value: Tensor, gradient: P)

    init(_ f: @escaping (P) -> Tensor, layout: FlatLayout<P>) {
        self.layout = layout
        self.f = f
        valueAndGradient = valueAndGrad(f)
    }

    /// `f(x)` and `∇f(x)` at the flat point `x`.
    func evaluate(_ x: Tensor) -> (Double, Tensor) {
        let (v, g) = valueAndGradient(layout.unflatten(x))
        return (v.scalar, layout.flatten(g))
    }

    /// `f(x)` alone.
    func value(_ x: Tensor) -> Double { f(layout.unflatten(x)).scalar }
}

/// The running state of a full-batch minimiser (L-BFGS, conjugate gradients): the flat point, its
/// value and gradient, and the counts a ``MinimizationResult`` reports.
struct FlatMinimization<P: ParameterTree> {
    let layout: FlatLayout<P>
    let objective: FlatObjective<P>
    /// The current point, its value and gradient.
    var x: Tensor
    var loss: Double
    var g: Tensor
    /// Evaluations of `f` so far (the start is one).
    var evaluations = 1
    /// The value after each iteration.
    var values: [Double] = []

    /// Starts at `x0`, evaluating `f` there once.
    init(_ f: @escaping (P) -> Tensor, from x0: P, op: String) {
        layout = FlatLayout(x0, op: op)
        objective = FlatObjective(f, layout: layout)
        x = layout.flatten(x0)
        (loss, g) = objective.evaluate(x)
    }

    /// Records the value reached by iteration `k` and reports it to `onIteration`.
    mutating func finishIteration(_ k: Int, _ onIteration: ((Int, P, Double) -> Void)?) {
        values.append(loss)
        onIteration?(k, layout.unflatten(x), loss)
    }

    /// The result after `k` iterations, stopped for `reason`.
    func result(_ k: Int, _ reason: StopReason) -> MinimizationResult<P> {
        MinimizationResult(x: layout.unflatten(x), value: loss, iterations: k, evaluations: evaluations,
                           stopReason: reason, values: values)
    }
}

/// ⟨a, b⟩ of two vectors.
@inline(__always) func dotProduct(_ a: Tensor, _ b: Tensor) -> Double { (a * b).sum().scalar }
/// max |aᵢ|.
@inline(__always) func maxAbs(_ a: Tensor) -> Double { abs(a).max().scalar }
