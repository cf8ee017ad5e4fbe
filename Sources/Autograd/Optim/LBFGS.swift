/// Limited-memory BFGS for full-batch (deterministic) objectives, with an optional strong Wolfe
/// line search — the algorithm of `torch.optim.LBFGS` (two-loop recursion, the same curvature
/// test `yᵀs > 1e-10`, the same initial step `min(1, 1/‖g‖₁)·lr`, the same stopping tests), run
/// until convergence rather than for `max_iter` iterations per `step()`.
///
/// ```swift
/// let rosenbrock = { (x: Tensor) in square(1 - x[0]) + 100 * square(x[1] - square(x[0])) }
/// let r = LBFGS().minimize(rosenbrock, from: Tensor([-1.2, 1.0]))
/// r.x          // ≈ [1, 1]
/// ```
///
/// PyTorch's `tolerance_change` of 1e-9 also bounds the directional derivative, so on Rosenbrock from
/// (−1.2, 1) the defaults stop after 34 iterations at ‖x − (1, 1)‖ ≈ 4e-5; for a float64 solution
/// accurate to 1e-8 pass `changeTolerance: 1e-12` (35 iterations).
///
/// The parameters may be any ``ParameterTree`` whose leaves share a floating-point dtype; the
/// vector algebra runs on the leaves laid end to end.
public struct LBFGS {
    /// How the step along each search direction is chosen.
    public enum LineSearch: Sendable {
        /// A step satisfying the strong Wolfe conditions (PyTorch's `"strong_wolfe"`; the default
        /// here, unlike PyTorch whose default is none).
        case strongWolfe
        /// The fixed step `learningRate` (PyTorch's default `line_search_fn=None`; unlike PyTorch the
        /// objective is also evaluated after the last iteration, so the result's value is exact).
        case none
    }

    /// The step scale (PyTorch's `lr`, default 1).
    public var learningRate: Double
    /// The iteration budget.
    public var maxIterations: Int
    /// The evaluation budget (default `maxIterations · 5/4`, as PyTorch's `max_eval`).
    public var maxEvaluations: Int
    /// Stop when max |∇f| ≤ this (PyTorch's `tolerance_grad`, default 1e-7).
    public var gradientTolerance: Double
    /// Stop when a step's largest component or the change of the objective is below this
    /// (PyTorch's `tolerance_change`, default 1e-9).
    public var changeTolerance: Double
    /// The number of correction pairs kept (PyTorch's `history_size`, default 100).
    public var historySize: Int
    /// The line search (default strong Wolfe).
    public var lineSearch: LineSearch

    /// An L-BFGS minimiser; the defaults are PyTorch's except the line search and the iteration
    /// budget (PyTorch's `max_iter` of 20 is per `step()` call).
    public init(learningRate: Double = 1, maxIterations: Int = 100, maxEvaluations: Int? = nil,
                gradientTolerance: Double = 1e-7, changeTolerance: Double = 1e-9, historySize: Int = 100,
                lineSearch: LineSearch = .strongWolfe) {
        require(maxIterations > 0 && historySize > 0, "LBFGS: maxIterations (\(maxIterations)) and historySize (\(historySize)) must be positive")
        self.learningRate = learningRate
        self.maxIterations = maxIterations
        self.maxEvaluations = maxEvaluations ?? maxIterations * 5 / 4
        self.gradientTolerance = gradientTolerance
        self.changeTolerance = changeTolerance
        self.historySize = historySize
        self.lineSearch = lineSearch
    }

    /// Minimises `f` (returning a single value) starting from `x0`. `onIteration(k, x, f(x))`,
    /// if given, is called after each iteration `k` (from 1).
    public func minimize<P: ParameterTree>(_ f: @escaping (P) -> Tensor, from x0: P,
                                           onIteration: ((Int, P, Double) -> Void)? = nil) -> MinimizationResult<P> {
        var run = FlatMinimization(f, from: x0, op: "LBFGS")
        if maxAbs(run.g) <= gradientTolerance { return run.result(0, .gradientTolerance) }

        var oldDirections: [Tensor] = [], oldSteps: [Tensor] = [], rho: [Double] = []
        var hDiagonal = 1.0
        var d = -run.g
        var t = 0.0
        var previousGradient = run.g
        var k = 0
        while k < maxIterations {
            k += 1
            if k > 1 {
                // Update the curvature pairs, then the two-loop recursion for d = −H·g.
                let y = run.g - previousGradient
                let s = d * t
                let ys = dotProduct(y, s)
                if ys > 1e-10 {
                    if oldDirections.count == historySize {
                        oldDirections.removeFirst()
                        oldSteps.removeFirst()
                        rho.removeFirst()
                    }
                    oldDirections.append(y)
                    oldSteps.append(s)
                    rho.append(1 / ys)
                    hDiagonal = ys / dotProduct(y, y)
                }
                var alphas = [Double](repeating: 0, count: oldDirections.count)
                var q = -run.g
                for i in stride(from: oldDirections.count - 1, through: 0, by: -1) {
                    alphas[i] = dotProduct(oldSteps[i], q) * rho[i]
                    q = q - alphas[i] * oldDirections[i]
                }
                var r = q * hDiagonal
                for i in 0..<oldDirections.count {
                    let beta = dotProduct(oldDirections[i], r) * rho[i]
                    r = r + (alphas[i] - beta) * oldSteps[i]
                }
                d = r
            }
            previousGradient = run.g
            let previousLoss = run.loss
            t = k == 1 ? Swift.min(1, 1 / abs(run.g).sum().scalar) * learningRate : learningRate
            let gtd = dotProduct(run.g, d)
            if gtd > -changeTolerance { return run.result(k - 1, .slopeTolerance) }

            var optimal = false
            switch lineSearch {
            case .strongWolfe:
                let ls = strongWolfeLineSearch(run.objective.evaluate, x: run.x, step: t, direction: d, value: run.loss,
                                               gradient: run.g, slope: gtd, toleranceChange: changeTolerance)
                t = ls.step
                run.x = run.x + t * d
                (run.loss, run.g) = (ls.value, ls.gradient)
                run.evaluations += ls.evaluations
                optimal = maxAbs(run.g) <= gradientTolerance
            case .none:
                run.x = run.x + t * d
                (run.loss, run.g) = run.objective.evaluate(run.x)
                run.evaluations += 1
                optimal = maxAbs(run.g) <= gradientTolerance
            }
            run.finishIteration(k, onIteration)

            if k == maxIterations { return run.result(k, .maxIterations) }
            if run.evaluations >= maxEvaluations { return run.result(k, .maxEvaluations) }
            if optimal { return run.result(k, .gradientTolerance) }
            if maxAbs(d * t) <= changeTolerance || abs(run.loss - previousLoss) < changeTolerance {
                return run.result(k, .changeTolerance)
            }
        }
        return run.result(k, .maxIterations)
    }
}
