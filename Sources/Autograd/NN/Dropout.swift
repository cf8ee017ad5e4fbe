// Dropout with an explicit seed: the same seed always drops the same elements, on every platform
// and thread count (the mask comes from `Tensor.bernoulli`, SplitMix64).

/// Dropout (PyTorch `F.dropout`): in training, each element is zeroed with `probability` and the
/// survivors are scaled by `1 / (1 − probability)` (inverted dropout, so evaluation needs no
/// rescaling); in evaluation (`training: false`) it is the identity.
///
/// The mask is drawn from ``SplitMix64`` with `seed` (element `i` uses draw `i`, kept when below
/// `1 − probability` as a uniform in [0, 1) — the elements `Tensor.bernoulli` with that seed keeps),
/// so a step is reproducible; pass a different seed each step. The mask is made in one pass and is
/// a constant for differentiation.
public func dropout(_ x: Tensor, probability: Double, seed: UInt64, training: Bool = true) -> Tensor {
    require((0...1).contains(probability), "dropout: probability \(probability) is outside [0, 1]")
    require(x.dtype.isFloatingPoint, "dropout: expected a floating-point tensor, got \(x.dtype) of shape \(x.shape)")
    if !training || probability == 0 { return x }
    if probability == 1 { return x * 0.0 }
    return x * Kernels.dropoutMask(shape: x.shape, keep: 1 - probability, seed: seed, dtype: x.dtype)
}
