import Foundation

/// FISTA (Beck & Teboulle, 2009): accelerated proximal gradient for `F(x) = f(x) + r(x)` with `f`
/// smooth (differentiated here) and `r` given through its proximal operator, with the paper's
/// backtracking on the Lipschitz estimate `L`:
///
///     find the smallest L = L_prev·ηⁱ with f(p) ≤ f(y) + ⟨p − y, ∇f(y)⟩ + L/2‖p − y‖² (up to rounding),
///         where p = prox_{r/L}(y − ∇f(y)/L)
///     x_k ← p;  t_{k+1} ← (1 + √(1 + 4t_k²))/2;  y ← x_k + ((t_k − 1)/t_{k+1})·(x_k − x_{k−1})
///
/// `prox(v, step)` must return `argmin_z r(z) + ‖z − v‖²/(2·step)`; ``softThresholdProx(lambda:)``
/// gives the one for `r = λ‖x‖₁` (the lasso).
public struct FISTA {
    /// The initial Lipschitz estimate L₀ (default 1).
    public var initialLipschitz: Double
    /// The backtracking factor η > 1 (default 2).
    public var eta: Double
    /// The iteration budget (default 1000).
    public var maxIterations: Int
    /// Stop when max |x_k − x_{k−1}| ≤ this (default 1e-10).
    public var tolerance: Double

    /// A FISTA minimiser.
    public init(initialLipschitz: Double = 1, eta: Double = 2, maxIterations: Int = 1000, tolerance: Double = 1e-10) {
        require(initialLipschitz > 0 && eta > 1, "FISTA: need initialLipschitz > 0 and eta > 1, got \(initialLipschitz), \(eta)")
        self.initialLipschitz = initialLipschitz
        self.eta = eta
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }

    /// Minimises `f(x) + r(x)` from `x0`, where `prox` is the proximal operator of `r` and
    /// `regularizer` (optional) its value, used only to report `F` in the result.
    public func minimize<P: ParameterTree>(_ f: @escaping (P) -> Tensor, prox: (P, Double) -> P,
                                           regularizer: ((P) -> Double)? = nil, from x0: P,
                                           onIteration: ((Int, P, Double) -> Void)? = nil) -> MinimizationResult<P> {
        let layout = FlatLayout(x0, op: "FISTA")
        let objective = FlatObjective(f, layout: layout)
        func proximal(_ v: Tensor, _ step: Double) -> Tensor { layout.flatten(prox(layout.unflatten(v), step)) }
        func total(_ x: Tensor, _ smooth: Double) -> Double { smooth + (regularizer?(layout.unflatten(x)) ?? 0) }

        let roundoff = layout.dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne
        var x = layout.flatten(x0)
        var y = x
        var t = 1.0
        var lipschitz = initialLipschitz
        var evaluations = 0
        var values: [Double] = []
        var smoothAtX = objective.value(x)
        evaluations += 1
        for k in 1...maxIterations {
            let (fy, gy) = objective.evaluate(y)
            evaluations += 1
            var p: Tensor, fp: Double
            while true {
                p = proximal(y - gy / lipschitz, 1 / lipschitz)
                fp = objective.value(p)
                evaluations += 1
                let diff = p - y
                let bound = fy + dotProduct(diff, gy) + lipschitz / 2 * dotProduct(diff, diff)
                // Accept within a few ulps of rounding: once p ≈ y near the solution the exact test
                // fails on rounding alone and L would grow without bound.
                if fp <= bound + 8 * roundoff * Swift.max(abs(fy), abs(bound)) { break }
                lipschitz *= eta
            }
            let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
            let change = p - x
            y = p + ((t - 1) / tNext) * change
            x = p
            t = tNext
            smoothAtX = fp
            let value = total(x, fp)
            values.append(value)
            onIteration?(k, layout.unflatten(x), value)
            if maxAbs(change) <= tolerance {
                return MinimizationResult(x: layout.unflatten(x), value: value, iterations: k, evaluations: evaluations,
                                          stopReason: .changeTolerance, values: values)
            }
        }
        return MinimizationResult(x: layout.unflatten(x), value: total(x, smoothAtX), iterations: maxIterations,
                                  evaluations: evaluations, stopReason: .maxIterations, values: values)
    }
}

/// `sign(x)·max(|x| − threshold, 0)` elementwise: the proximal operator of `threshold·‖x‖₁`.
public func softThreshold(_ x: Tensor, _ threshold: Double) -> Tensor {
    sign(x) * relu(abs(x) - threshold)
}

/// The proximal operator of `λ‖x‖₁` over every leaf, for ``FISTA``: `(v, step) ↦ softThreshold(v, λ·step)`.
public func softThresholdProx<P: ParameterTree>(lambda: Double) -> (P, Double) -> P {
    { v, step in v.mapTensors { softThreshold($0, lambda * step) } }
}

/// `λ·Σ|xᵢ|` over every leaf: the value of the regulariser whose prox is ``softThresholdProx(lambda:)``.
public func l1Norm<P: ParameterTree>(_ x: P, lambda: Double = 1) -> Double {
    lambda * x.tensors.reduce(0) { $0 + abs($1).sum().scalar }
}
