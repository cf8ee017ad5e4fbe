/// Nonlinear conjugate gradients (Polak–Ribière+, Nocedal & Wright §5.2) with a strong Wolfe line
/// search, for full-batch objectives:
///
///     β ← max(0, ⟨g₊, g₊ − g⟩ / ⟨g, g⟩);   d ← −g₊ + β·d
///
/// restarting with steepest descent when `d` is not a descent direction (and every
/// `restartInterval` iterations if set). The first trial step is `min(1, 1/‖g‖₁)` (as L-BFGS), later
/// ones `t·⟨g, d⟩/⟨g₊, d₊⟩` (N&W (3.60)); the line search uses `c2 = 0.1`, as N&W recommend for CG.
public struct ConjugateGradient {
    /// The iteration budget (default 1000).
    public var maxIterations: Int
    /// Stop when max |∇f| ≤ this (default 1e-7).
    public var gradientTolerance: Double
    /// Stop when a step's largest component or the change of the objective is below this (default 1e-9).
    public var changeTolerance: Double
    /// The sufficient-decrease constant of the line search (default 1e-4).
    public var c1: Double
    /// The curvature constant of the line search (default 0.1).
    public var c2: Double
    /// Restart with steepest descent every this many iterations (default nil: only when needed).
    public var restartInterval: Int?

    /// A conjugate-gradient minimiser.
    public init(maxIterations: Int = 1000, gradientTolerance: Double = 1e-7, changeTolerance: Double = 1e-9,
                c1: Double = 1e-4, c2: Double = 0.1, restartInterval: Int? = nil) {
        require(0 < c1 && c1 < c2 && c2 < 1, "ConjugateGradient: need 0 < c1 < c2 < 1, got c1 \(c1), c2 \(c2)")
        self.maxIterations = maxIterations
        self.gradientTolerance = gradientTolerance
        self.changeTolerance = changeTolerance
        self.c1 = c1
        self.c2 = c2
        self.restartInterval = restartInterval
    }

    /// Minimises `f` (returning a single value) starting from `x0`.
    public func minimize<P: ParameterTree>(_ f: @escaping (P) -> Tensor, from x0: P,
                                           onIteration: ((Int, P, Double) -> Void)? = nil) -> MinimizationResult<P> {
        let layout = FlatLayout(x0, op: "ConjugateGradient")
        let objective = FlatObjective(f, layout: layout)
        var x = layout.flatten(x0)
        var (loss, g) = objective.evaluate(x)
        var evaluations = 1
        var values: [Double] = []
        func result(_ k: Int, _ reason: StopReason) -> MinimizationResult<P> {
            MinimizationResult(x: layout.unflatten(x), value: loss, iterations: k, evaluations: evaluations,
                               stopReason: reason, values: values)
        }
        if maxAbs(g) <= gradientTolerance { return result(0, .gradientTolerance) }
        var d = -g
        var gtd = dotProduct(g, d)
        var t = Swift.min(1, 1 / abs(g).sum().scalar)
        for k in 1...maxIterations {
            let ls = strongWolfeLineSearch(objective.evaluate, x: x, step: t, direction: d, value: loss, gradient: g,
                                           slope: gtd, c1: c1, c2: c2, toleranceChange: changeTolerance)
            evaluations += ls.evaluations
            x = x + ls.step * d
            let previousLoss = loss
            let gNew = ls.gradient
            loss = ls.value
            values.append(loss)
            onIteration?(k, layout.unflatten(x), loss)
            if maxAbs(gNew) <= gradientTolerance { return result(k, .gradientTolerance) }
            if maxAbs(d * ls.step) <= changeTolerance || abs(loss - previousLoss) < changeTolerance {
                return result(k, .changeTolerance)
            }
            // Polak–Ribière+ direction, restarting when it is not a descent direction.
            var beta = Swift.max(0, dotProduct(gNew, gNew - g) / dotProduct(g, g))
            if let n = restartInterval, k % n == 0 { beta = 0 }
            var dNew = -gNew + beta * d
            var gtdNew = dotProduct(gNew, dNew)
            if gtdNew >= 0 {
                dNew = -gNew
                gtdNew = dotProduct(gNew, dNew)
            }
            t = ls.step * gtd / gtdNew
            if !(t.isFinite && t > 0) { t = 1 }
            (g, d, gtd) = (gNew, dNew, gtdNew)
        }
        return result(maxIterations, .maxIterations)
    }
}
