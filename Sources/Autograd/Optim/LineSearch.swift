import Foundation

/// The minimiser of the cubic interpolating `(x1, f1, g1)` and `(x2, f2, g2)`, clamped to `bounds`
/// (default: the interval between the points); the midpoint when the cubic has no minimum.
/// The formula of Nocedal & Wright (3.59), as in PyTorch's `_cubic_interpolate`.
func cubicInterpolate(_ x1: Double, _ f1: Double, _ g1: Double, _ x2: Double, _ f2: Double, _ g2: Double,
                      bounds: (Double, Double)? = nil) -> Double {
    let (lo, hi) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
    let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    let d2Square = d1 * d1 - g1 * g2
    if d2Square >= 0 {
        let d2 = d2Square.squareRoot()
        let minPos = x1 <= x2
            ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return Swift.min(Swift.max(minPos, lo), hi)
    }
    return (lo + hi) / 2
}

/// The result of a line search along `d` from `x`: the accepted step `t`, the objective and
/// gradient at `x + t·d`, and the evaluations used.
struct LineSearchResult {
    var value: Double
    var gradient: Tensor
    var step: Double
    var evaluations: Int
}

/// A line search for a step satisfying the strong Wolfe conditions
/// `f(x + t·d) ≤ f + c1·t·⟨g, d⟩` and `|⟨∇f(x + t·d), d⟩| ≤ c2·|⟨g, d⟩|` — bracketing then zooming
/// with safeguarded cubic interpolation (Nocedal & Wright, Algorithms 3.5 and 3.6), step for step
/// the algorithm of PyTorch's `_strong_wolfe` (used by `LBFGS(line_search_fn="strong_wolfe")`).
func strongWolfeLineSearch(_ evaluate: (Tensor) -> (Double, Tensor), x: Tensor, step t0: Double, direction d: Tensor,
                           value f: Double, gradient g: Tensor, slope gtd: Double,
                           c1: Double = 1e-4, c2: Double = 0.9, toleranceChange: Double = 1e-9,
                           maxEvaluations: Int = 25) -> LineSearchResult {
    let dNorm = maxAbs(d)
    var t = t0
    var (fNew, gNew) = evaluate(x + t * d)
    var evaluations = 1
    var gtdNew = dotProduct(gNew, d)
    var (tPrev, fPrev, gPrev, gtdPrev) = (0.0, f, g, gtd)
    var done = false
    var iteration = 0
    var bracket: [Double] = [], bracketF: [Double] = [], bracketG: [Tensor] = [], bracketGtd: [Double] = []

    // Bracketing phase.
    while iteration < maxEvaluations {
        if fNew > f + c1 * t * gtd || (iteration > 1 && fNew >= fPrev) {
            (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew])
            break
        }
        if abs(gtdNew) <= -c2 * gtd {
            (bracket, bracketF, bracketG, bracketGtd) = ([t], [fNew], [gNew], [gtdNew])
            done = true
            break
        }
        if gtdNew >= 0 {
            (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew])
            break
        }
        // Extrapolate.
        let minStep = t + 0.01 * (t - tPrev)
        let maxStep = t * 10
        let previous = t
        t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, bounds: (minStep, maxStep))
        (tPrev, fPrev, gPrev, gtdPrev) = (previous, fNew, gNew, gtdNew)
        (fNew, gNew) = evaluate(x + t * d)
        evaluations += 1
        gtdNew = dotProduct(gNew, d)
        iteration += 1
    }
    if iteration == maxEvaluations {
        (bracket, bracketF, bracketG, bracketGtd) = ([0, t], [f, fNew], [g, gNew], [gtd, gtdNew])
    }

    // Zoom phase: shrink the bracket until a point satisfies the strong Wolfe conditions.
    var insufficientProgress = false
    var (low, high) = bracketF[0] <= bracketF[bracketF.count - 1] ? (0, 1) : (1, 0)
    while !done && iteration < maxEvaluations {
        if abs(bracket[1] - bracket[0]) * dNorm < toleranceChange { break }
        t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1])
        // Keep away from the bracket's ends unless the last step made too little progress.
        let (bMin, bMax) = (Swift.min(bracket[0], bracket[1]), Swift.max(bracket[0], bracket[1]))
        let eps = 0.1 * (bMax - bMin)
        if Swift.min(bMax - t, t - bMin) < eps {
            if insufficientProgress || t >= bMax || t <= bMin {
                t = abs(t - bMax) < abs(t - bMin) ? bMax - eps : bMin + eps
                insufficientProgress = false
            } else {
                insufficientProgress = true
            }
        } else {
            insufficientProgress = false
        }
        (fNew, gNew) = evaluate(x + t * d)
        evaluations += 1
        gtdNew = dotProduct(gNew, d)
        iteration += 1
        if fNew > f + c1 * t * gtd || fNew >= bracketF[low] {
            (bracket[high], bracketF[high], bracketG[high], bracketGtd[high]) = (t, fNew, gNew, gtdNew)
            (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0)
        } else {
            if abs(gtdNew) <= -c2 * gtd {
                done = true
            } else if gtdNew * (bracket[high] - bracket[low]) >= 0 {
                (bracket[high], bracketF[high], bracketG[high], bracketGtd[high]) =
                    (bracket[low], bracketF[low], bracketG[low], bracketGtd[low])
            }
            (bracket[low], bracketF[low], bracketG[low], bracketGtd[low]) = (t, fNew, gNew, gtdNew)
        }
    }
    return LineSearchResult(value: bracketF[low], gradient: bracketG[low], step: bracket[low], evaluations: evaluations)
}
