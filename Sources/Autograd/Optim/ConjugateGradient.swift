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
        var run = FlatMinimization(f, from: x0, op: "ConjugateGradient")
        if maxAbs(run.g) <= gradientTolerance { return run.result(0, .gradientTolerance) }
        var d = -run.g
        var gtd = dotProduct(run.g, d)
        var t = Swift.min(1, 1 / abs(run.g).sum().scalar)
        for k in 1...maxIterations {
            let ls = strongWolfeLineSearch(run.objective.evaluate, x: run.x, step: t, direction: d, value: run.loss,
                                           gradient: run.g, slope: gtd, c1: c1, c2: c2, toleranceChange: changeTolerance)
            run.evaluations += ls.evaluations
            run.x = run.x + ls.step * d
            let previousLoss = run.loss
            let gNew = ls.gradient
            run.loss = ls.value
            run.finishIteration(k, onIteration)
            if maxAbs(gNew) <= gradientTolerance { return run.result(k, .gradientTolerance) }
            if maxAbs(d * ls.step) <= changeTolerance || abs(run.loss - previousLoss) < changeTolerance {
                return run.result(k, .changeTolerance)
            }
            // Polak–Ribière+ direction, restarting when it is not a descent direction.
            var beta = Swift.max(0, dotProduct(gNew, gNew - run.g) / dotProduct(run.g, run.g))
            if let n = restartInterval, k % n == 0 { beta = 0 }
            var dNew = -gNew + beta * d
            var gtdNew = dotProduct(gNew, dNew)
            if gtdNew >= 0 {
                dNew = -gNew
                gtdNew = dotProduct(gNew, dNew)
            }
            t = ls.step * gtd / gtdNew
            if !(t.isFinite && t > 0) { t = 1 }
            (run.g, d, gtd) = (gNew, dNew, gtdNew)
        }
        return run.result(maxIterations, .maxIterations)
    }
}
