/// The Euclidean norm of all the leaves of `tree` taken together, √(Σ‖leaf‖²), as a Double.
public func globalNorm<P: ParameterTree>(_ tree: P) -> Double {
    var total = 0.0
    for t in tree.tensors where t.count > 0 { total += square(t).sum().scalar }
    return total.squareRoot()
}

/// Scales `gradient` so its global norm is at most `maxNorm` — PyTorch's `clip_grad_norm_`: every
/// leaf is multiplied by `min(1, maxNorm / (norm + 1e-6))`. Returns the norm before clipping. As
/// in PyTorch, a NaN norm (a NaN anywhere in the gradient) makes every leaf NaN, so the failure
/// cannot go unnoticed.
@discardableResult
public func clipByGlobalNorm<P: ParameterTree>(_ gradient: inout P, maxNorm: Double) -> Double {
    require(maxNorm >= 0, "clipByGlobalNorm: maxNorm must be non-negative, got \(maxNorm)")
    let norm = globalNorm(gradient)
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 || coefficient.isNaN { gradient.updateTensors { $0 = $0 * coefficient } }
    return norm
}

/// Clamps every element of `gradient` to `[−limit, limit]` — PyTorch's `clip_grad_value_`.
public func clipByValue<P: ParameterTree>(_ gradient: inout P, limit: Double) {
    require(limit >= 0, "clipByValue: limit must be non-negative, got \(limit)")
    gradient.updateTensors { $0 = clamp($0, min: -limit, max: limit) }
}
