// Embedding lookup: rows of a weight matrix picked by integer indices.

/// Embedding lookup (PyTorch `F.embedding`; torch-autograd's `lookup`): row `indices[…]` of
/// `weight` (vocabulary × features) for every index, giving shape `indices.shape + [features]`.
///
/// The gradient with respect to `weight` adds the cotangents of repeated indices into the same row
/// (a scatter-add), and is zero for rows never looked up.
public func embedding(_ indices: Tensor, weight: Tensor) -> Tensor {
    require(indices.dtype == .int64, "embedding: indices must be int64, got \(indices.dtype) of shape \(indices.shape)")
    require(weight.rank == 2, "embedding: weight must be 2-d (vocabulary, features), got shape \(weight.shape)")
    let n = weight.shape[0]
    for v in indices.scalars(as: Int.self) {
        require(v >= 0 && v < n, "embedding: index \(v) is out of range for a vocabulary of \(n) (weight of shape \(weight.shape))")
    }
    return weight.gather(indices, axis: 0)
}
