// Loss functions with PyTorch's functional semantics and a `reduction` argument. Cross-entropy from
// integer labels is one fused primitive (log-softmax and the negative log-likelihood in one pass).

/// How a loss combines its per-element (or per-sample) values.
public enum Reduction: Sendable {
    /// The mean over all per-element values (PyTorch's default).
    case mean
    /// The sum of the per-element values.
    case sum
    /// No reduction: the per-element (or per-sample) values themselves.
    case none
}

extension Tensor {
    /// This tensor reduced as `reduction` says.
    func reduced(_ reduction: Reduction) -> Tensor {
        switch reduction {
        case .mean: return mean()
        case .sum: return sum()
        case .none: return self
        }
    }
}

/// Validated int64 labels for an (n, classes) score matrix, as a Swift array.
private func checkedLabels(_ labels: Tensor, rows n: Int, classes c: Int, op: String, scoresShape: [Int]) -> [Int] {
    require(labels.dtype == .int64, "\(op): labels must be int64 class indices, got \(labels.dtype) of shape \(labels.shape)")
    require(labels.shape == [n], "\(op): labels of shape \(labels.shape) do not match scores of shape \(scoresShape) (expected [\(n)])")
    let values = labels.scalars(as: Int.self)
    for v in values {
        require(v >= 0 && v < c, "\(op): label \(v) is out of range for \(c) classes (scores of shape \(scoresShape))")
    }
    return values
}

/// A one-hot (n, classes) matrix of `dtype` for int64 `labels` (a constant; no gradient).
///
/// - Precondition: every label is in `0..<classes`.
public func oneHot(_ labels: Tensor, classes: Int, dtype: DType = .float64) -> Tensor {
    require(labels.rank == 1, "oneHot: labels must be 1-d, got shape \(labels.shape)")
    let values = checkedLabels(labels, rows: labels.shape[0], classes: classes, op: "oneHot", scoresShape: [labels.shape[0], classes])
    return Kernels.oneHot(values, classes: classes, dtype: dtype)
}

extension Primitives {
    /// Per-row cross-entropy `logsumexp(z) − z[label]` of logits (n×c) and labels (int64, n), one
    /// value per row. VJP: `g · (softmax(z) − onehot)`, in differentiable ops.
    static let crossEntropyRows = NaryPrimitive("crossEntropy",
        forward: { a in Kernels.crossEntropyRows(a[0], labels: a[1].scalars(as: Int.self)) },
        vjp: { g, _, a, i in
            guard i == 0 else { return nil }
            let z = a[0]
            let y = Kernels.oneHot(a[1].scalars(as: Int.self), classes: z.shape[1], dtype: z.dtype)
            return (softmax(z, axis: 1) - y) * g.expandDims(1)
        },
        jvp: { t, _, a in
            let z = a[0], dz = t[0]!
            let y = Kernels.oneHot(a[1].scalars(as: Int.self), classes: z.shape[1], dtype: z.dtype)
            return ((softmax(z, axis: 1) - y) * dz).sum(axis: 1)
        })
}

/// Cross-entropy from unnormalised logits and int64 class labels (PyTorch `F.cross_entropy`):
/// `logsumexp(logits[b]) − logits[b, label_b]` per sample, then reduced.
///
/// One fused primitive (log-softmax and NLL in one pass per row; the gradient is
/// `softmax − onehot`), differentiable to any order. Shapes as in PyTorch: `logits` (n, classes)
/// with `labels` (n); (n, classes, d₁, …) with labels (n, d₁, …), the class axis being 1 (one
/// value per position; `.none` keeps the shape (n, d₁, …)); or one unbatched sample, (classes)
/// with a 0-d label.
public func crossEntropy(logits: Tensor, labels: Tensor, reduction: Reduction = .mean) -> Tensor {
    require(logits.rank >= 1, "crossEntropy: logits must be (classes), (batch, classes) or (batch, classes, d₁, …), got shape \(logits.shape)")
    require(logits.dtype.isFloatingPoint, "crossEntropy: logits must be floating point, got \(logits.dtype) of shape \(logits.shape)")
    switch logits.rank {
    case 2:
        _ = checkedLabels(labels, rows: logits.shape[0], classes: logits.shape[1], op: "crossEntropy", scoresShape: logits.shape)
        return Primitives.crossEntropyRows([logits, labels]).reduced(reduction)
    case 1:
        require(labels.rank == 0, "crossEntropy: an unbatched sample of logits \(logits.shape) needs a 0-d label, got shape \(labels.shape)")
        _ = checkedLabels(labels.reshape([1]), rows: 1, classes: logits.shape[0], op: "crossEntropy", scoresShape: logits.shape)
        return Primitives.crossEntropyRows([logits.reshape([1, logits.shape[0]]), labels.reshape([1])]).reshape([])
    default:
        let n = logits.shape[0], c = logits.shape[1], positions = Array(logits.shape.dropFirst(2))
        require(labels.shape == [n] + positions,
                "crossEntropy: labels of shape \(labels.shape) do not match logits of shape \(logits.shape) (expected \([n] + positions))")
        let rows = labels.count
        let flat = logits.permute([0] + Array(2..<logits.rank) + [1]).reshape([rows, c])
        _ = checkedLabels(labels.reshape([rows]), rows: rows, classes: c, op: "crossEntropy", scoresShape: logits.shape)
        let losses = Primitives.crossEntropyRows([flat, labels.reshape([rows])])
        return reduction == .none ? losses.reshape([n] + positions) : losses.reduced(reduction)
    }
}

/// Cross-entropy from logits and target probabilities (one-hot or soft labels) of the same shape
/// (PyTorch `F.cross_entropy` with probability targets): `−Σ_c targets · logSoftmax(logits)` per
/// sample along `axis`, then reduced. The class axis defaults to PyTorch's: 1, or 0 for a single
/// unbatched sample (rank 1).
public func crossEntropy(logits: Tensor, targets: Tensor, axis: Int? = nil, reduction: Reduction = .mean) -> Tensor {
    require(targets.shape == logits.shape,
            "crossEntropy: targets of shape \(targets.shape) do not match logits of shape \(logits.shape)")
    requireSameDType("crossEntropy", logits, "logits", targets, "targets")
    let axis = axis ?? (logits.rank == 1 ? 0 : 1)
    return (-(targets * logSoftmax(logits, axis: axis)).sum(axis: axis)).reduced(reduction)
}

/// The negative log-likelihood of int64 class labels under log-probabilities (n, classes)
/// (PyTorch `F.nll_loss`): `−logProbabilities[b, label_b]` per sample, then reduced. Also
/// torch-autograd's log-multinomial loss.
public func nllLoss(logProbabilities: Tensor, labels: Tensor, reduction: Reduction = .mean) -> Tensor {
    require(logProbabilities.rank == 2,
            "nllLoss: log-probabilities must be 2-d (batch, classes), got shape \(logProbabilities.shape)")
    let n = logProbabilities.shape[0], c = logProbabilities.shape[1]
    let values = checkedLabels(labels, rows: n, classes: c, op: "nllLoss", scoresShape: logProbabilities.shape)
    // Picks the label entries (not a one-hot product, where 0·(−∞) from an impossible class would
    // give NaN); the gradient scatters −g into them.
    let picked = logProbabilities.reshape([n * c]).gather(Tensor(values.enumerated().map { $0.offset * c + $0.element }, shape: [n]))
    return (-picked).reduced(reduction)
}

/// Binary cross-entropy of probabilities in [0, 1] against targets in [0, 1] of the same shape
/// (PyTorch `F.binary_cross_entropy`): `−(t·log p + (1 − t)·log(1 − p))`, each log clamped at −100
/// as PyTorch does, then reduced.
///
/// The gradient in `p` is PyTorch's `(p − t) / max(p·(1 − p), 1e-12)`: finite where a
/// probability is exactly 0 or 1 (a float32 `sigmoid(20)` is 1), where the clamped logs have an
/// infinite derivative. Prefer ``binaryCrossEntropy(logits:targets:reduction:)``, exact everywhere.
public func binaryCrossEntropy(probabilities: Tensor, targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    require(targets.shape == probabilities.shape,
            "binaryCrossEntropy: targets of shape \(targets.shape) do not match probabilities of shape \(probabilities.shape)")
    return binaryPair(Primitives.binaryCrossEntropyOfProbabilities, probabilities, targets).reduced(reduction)
}

/// Binary cross-entropy from logits (PyTorch `F.binary_cross_entropy_with_logits`), computed stably
/// as `max(x, 0) − x·t + log1p(e^(−|x|))` (no overflow or cancellation for large |x|; one
/// primitive whose gradient is `σ(x) − t`), then reduced.
public func binaryCrossEntropy(logits: Tensor, targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    require(targets.shape == logits.shape,
            "binaryCrossEntropy: targets of shape \(targets.shape) do not match logits of shape \(logits.shape)")
    return binaryPair(Primitives.binaryCrossEntropyWithLogits, logits, targets).reduced(reduction)
}

/// Stops with a message naming `op` when two operands differ in dtype.
private func requireSameDType(_ op: String, _ x: Tensor, _ xName: String, _ y: Tensor, _ yName: String) {
    require(x.dtype == y.dtype, "\(op): \(xName) are \(x.dtype) (shape \(x.shape)) but \(yName) are \(y.dtype) (shape \(y.shape))")
}

/// Applies a binary primitive to operands of one dtype (a Swift-number-like 0-d target takes the
/// logits' dtype).
private func binaryPair(_ op: BinaryPrimitive, _ x: Tensor, _ y: Tensor) -> Tensor {
    require(x.dtype == y.dtype, "\(op.name): dtype mismatch, \(x.dtype) tensor of shape \(x.shape) and \(y.dtype) tensor of shape \(y.shape)")
    return op(x, y)
}

extension Primitives {
    /// `−(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100))` elementwise, with PyTorch's
    /// derivative in `p`, `(p − t) / max(p·(1 − p), 1e-12)`; in `t`, `max(log(1 − p), −100) − max(log p, −100)`.
    static let binaryCrossEntropyOfProbabilities = BinaryPrimitive("binaryCrossEntropy",
        forward: { p, t in -(t * clampedLog(p) + (1 - t) * clampedLog(1 - p)) },
        vjpLhs: { g, _, p, t in g * bceSlope(p, t) },
        vjpRhs: { g, _, p, _ in g * (clampedLog(1 - p) - clampedLog(p)) },
        jvp: { dp, dt, _, p, t in
            sumTangents(dp.map { $0 * bceSlope(p, t) }, dt.map { $0 * (clampedLog(1 - p) - clampedLog(p)) })
        })

    /// `max(log x, −100)`, PyTorch's clamp of the logs in binary cross-entropy.
    static func clampedLog(_ x: Tensor) -> Tensor { Autograd.maximum(log(x), -100.0) }

    /// `(p − t) / max(p·(1 − p), 1e-12)`.
    static func bceSlope(_ p: Tensor, _ t: Tensor) -> Tensor { (p - t) / Autograd.maximum(p * (1 - p), 1e-12) }

    /// `max(x, 0) − x·t + log1p(e^(−|x|))` elementwise: exact in both tails (no cancellation between
    /// a large `softplus(x)` and `x·t`). Its derivative in `x` is `σ(x) − t`, smooth at 0.
    static let binaryCrossEntropyWithLogits = BinaryPrimitive("binaryCrossEntropy",
        forward: { x, t in relu(x) - x * t + log1p(exp(-abs(x))) },
        vjpLhs: { g, _, x, t in g * (sigmoid(x) - t) },
        vjpRhs: { g, _, x, _ in -g * x },
        jvp: { dx, dt, _, x, t in sumTangents(dx.map { $0 * (sigmoid(x) - t) }, dt.map { -$0 * x }) })
}

/// The mean squared error (PyTorch `F.mse_loss`; torch-autograd's least squares):
/// `(predictions − targets)²` elementwise, then reduced.
public func mseLoss(_ predictions: Tensor, _ targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    require(targets.shape == predictions.shape,
            "mseLoss: targets of shape \(targets.shape) do not match predictions of shape \(predictions.shape)")
    requireSameDType("mseLoss", predictions, "predictions", targets, "targets")
    return square(predictions - targets).reduced(reduction)
}

/// The binary hinge (margin) loss for targets in {−1, +1}: `max(0, margin − t·scores)`
/// elementwise, then reduced (torch-autograd's `margin`; the SVM loss).
public func hingeLoss(scores: Tensor, targets: Tensor, margin: Double = 1, reduction: Reduction = .mean) -> Tensor {
    require(targets.shape == scores.shape,
            "hingeLoss: targets of shape \(targets.shape) do not match scores of shape \(scores.shape)")
    requireSameDType("hingeLoss", scores, "scores", targets, "targets")
    return relu(margin - targets * scores).reduced(reduction)
}

/// The multi-class margin loss from int64 labels (PyTorch `F.multi_margin_loss`, p = 1):
/// `Σ_{c ≠ y} max(0, margin − s[y] + s[c]) / classes` per sample, then reduced.
public func multiMarginLoss(scores: Tensor, labels: Tensor, margin: Double = 1, reduction: Reduction = .mean) -> Tensor {
    require(scores.rank == 2, "multiMarginLoss: scores must be 2-d (batch, classes), got shape \(scores.shape)")
    let n = scores.shape[0], c = scores.shape[1]
    let values = checkedLabels(labels, rows: n, classes: c, op: "multiMarginLoss", scoresShape: scores.shape)
    let y = Kernels.oneHot(values, classes: c, dtype: scores.dtype)
    let correct = (scores * y).sum(axis: 1, keepDims: true)
    let terms = relu(scores - correct + margin) * (1 - y)
    return (terms.sum(axis: 1) / Double(c)).reduced(reduction)
}
