// Batch and layer normalisation. The normalisation itself is one primitive each (statistics and
// normalisation in one kernel; VJP and JVP written in differentiable ops), the weight and bias plain
// broadcasting ops. Both differentiate to any order.

extension Primitives {
    /// `x̂ = (x − μ) / sqrt(σ² + ε)` per channel (axis 1) of an (N, C, …) tensor, with the batch mean
    /// and biased variance over `axes` (every axis but 1). The Jacobian is the symmetric projection
    /// `rstd · (v − mean(v) − x̂ · mean(v · x̂))`, so the VJP and the JVP have the same form; both are
    /// written in differentiable ops (`x̂` is the traced result, `rstd` recomputed from `x`).
    static func batchNormalize(axes: [Int], epsilon: Double) -> UnaryPrimitive {
        UnaryPrimitive("batchNorm",
            forward: { Kernels.batchNormalize($0, epsilon: epsilon) },
            vjp: { g, ans, x in normalizationProjection(g, ans, x, axes: axes, epsilon: epsilon) },
            jvp: { dx, ans, x in normalizationProjection(dx, ans, x, axes: axes, epsilon: epsilon) })
    }

    /// `x̂` normalised over the trailing `axes` (layer normalisation), with the same symmetric
    /// Jacobian as ``batchNormalize(axes:epsilon:)``.
    static func layerNormalize(axes: [Int], epsilon: Double) -> UnaryPrimitive {
        UnaryPrimitive("layerNorm",
            forward: { x in Kernels.layerNormalize(x, rowLength: axes.reduce(1) { $0 * x.shape[$1] }, epsilon: epsilon) },
            vjp: { g, ans, x in normalizationProjection(g, ans, x, axes: axes, epsilon: epsilon) },
            jvp: { dx, ans, x in normalizationProjection(dx, ans, x, axes: axes, epsilon: epsilon) })
    }
}

/// The Jacobian of a normalisation `x̂ = (x − mean) · rstd` over `axes` applied to `v` (it is
/// symmetric, so this is both the VJP and the JVP): `rstd · (v − mean(v) − x̂ · mean(v · x̂))`, in
/// differentiable ops.
private func normalizationProjection(_ v: Tensor, _ xhat: Tensor, _ x: Tensor, axes: [Int], epsilon: Double) -> Tensor {
    let rstd = 1.0 / sqrt(x.variance(axes: axes, keepDims: true) + epsilon)
    return rstd * (v - v.mean(axes: axes, keepDims: true) - xhat * (v * xhat).mean(axes: axes, keepDims: true))
}

/// The result of ``batchNorm(_:runningMean:runningVariance:weight:bias:training:momentum:epsilon:)``:
/// the normalised output and the running statistics to use next time.
public struct BatchNormOutput: Sendable {
    /// The normalised (and scaled, shifted) input.
    public var output: Tensor
    /// The updated running mean (training) or the one passed in (evaluation); `nil` if none was given.
    public var runningMean: Tensor?
    /// The updated running variance (training) or the one passed in (evaluation); `nil` if none was given.
    public var runningVariance: Tensor?
}

/// Batch normalisation over the channel axis 1 of an (N, C) or (N, C, …) input (PyTorch
/// `F.batch_norm`).
///
/// In training the batch statistics (mean and biased variance over every axis but 1) normalise the
/// input, and the running statistics, if given, are updated as
/// `running = (1 − momentum)·running + momentum·batch`, the variance with the unbiased batch
/// variance (as PyTorch). They are returned, not modified (tensors are values), and carry no
/// gradient. In evaluation the running statistics normalise the input and must be given.
/// `weight` (γ) and `bias` (β) have shape (C).
public func batchNorm(_ x: Tensor, runningMean: Tensor? = nil, runningVariance: Tensor? = nil,
                      weight: Tensor? = nil, bias: Tensor? = nil, training: Bool,
                      momentum: Double = 0.1, epsilon: Double = 1e-5) -> BatchNormOutput {
    require(x.rank >= 2, "batchNorm: input must have shape (N, C) or (N, C, …), got \(x.shape)")
    let c = x.shape[1]
    for (name, t) in [("runningMean", runningMean), ("runningVariance", runningVariance), ("weight", weight), ("bias", bias)] {
        if let t {
            require(t.shape == [c], "batchNorm: \(name) of shape \(t.shape) does not match \(c) channels of input \(x.shape)")
            require(t.dtype == x.dtype, "batchNorm: \(name) is \(t.dtype) but the input is \(x.dtype) (shape \(x.shape))")
        }
    }
    var statShape = [Int](repeating: 1, count: x.rank)
    statShape[1] = c
    let axes = [0] + Array(2..<x.rank)
    var mean = Tensor(0.0), variance = Tensor(1.0)
    var newMean = runningMean, newVariance = runningVariance
    if training {
        let n = axes.reduce(1) { $0 * x.shape[$1] }
        require(n > 1, "batchNorm: training needs more than one value per channel, got input of shape \(x.shape)")
        if runningMean != nil || runningVariance != nil {
            // The running statistics carry no gradient: computed on the untraced data.
            let data = stopGradient(x)
            let batchMean = data.mean(axes: axes), batchVariance = data.variance(axes: axes)
            if let rm = runningMean { newMean = rm * (1 - momentum) + batchMean * momentum }
            if let rv = runningVariance { newVariance = rv * (1 - momentum) + batchVariance * (momentum * Double(n) / Double(n - 1)) }
        }
    } else {
        guard let rm = runningMean, let rv = runningVariance else {
            fatalError("batchNorm: evaluation (training: false) needs runningMean and runningVariance, for input of shape \(x.shape)")
        }
        mean = rm.reshape(statShape)
        variance = rv.reshape(statShape)
    }
    var y: Tensor
    if training {
        y = Primitives.batchNormalize(axes: axes, epsilon: epsilon)(x)
        if let weight { y = y * weight.reshape(statShape) }
        if let bias { y = y + bias.reshape(statShape) }
    } else {
        // Evaluation is an affine map per channel: fold the statistics, weight and bias into one
        // scale and one shift (per-channel work), then a multiply and an add over the input.
        var scale = 1.0 / sqrt(variance + epsilon)
        if let weight { scale = scale * weight.reshape(statShape) }
        var shift = -mean * scale
        if let bias { shift = shift + bias.reshape(statShape) }
        y = x * scale + shift
    }
    return BatchNormOutput(output: y, runningMean: newMean, runningVariance: newVariance)
}

/// Layer normalisation over the trailing dimensions `normalizedShape` (PyTorch `F.layer_norm`):
/// each slice is centred and divided by `sqrt(biased variance + epsilon)` (one primitive), then
/// multiplied by `weight` and shifted by `bias` (both of shape `normalizedShape`, optional).
public func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                      epsilon: Double = 1e-5) -> Tensor {
    let k = normalizedShape.count
    require(k >= 1 && k <= x.rank && Array(x.shape.suffix(k)) == normalizedShape,
            "layerNorm: normalized shape \(normalizedShape) does not match the trailing dimensions of input \(x.shape)")
    if let weight { require(weight.shape == normalizedShape, "layerNorm: weight of shape \(weight.shape) does not match normalized shape \(normalizedShape)") }
    if let bias { require(bias.shape == normalizedShape, "layerNorm: bias of shape \(bias.shape) does not match normalized shape \(normalizedShape)") }
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let t { require(t.dtype == x.dtype, "layerNorm: \(name) is \(t.dtype) but the input is \(x.dtype) (shape \(x.shape))") }
    }
    require(x.dtype.isFloatingPoint, "layerNorm: expected a floating-point tensor, got \(x.dtype) of shape \(x.shape)")
    let axes = Array((x.rank - k)..<x.rank)
    var y = Primitives.layerNormalize(axes: axes, epsilon: epsilon)(x)
    if let weight { y = y * weight }
    if let bias { y = y + bias }
    return y
}
