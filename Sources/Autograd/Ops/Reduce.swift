// Reductions over all or given axes. `sum`, `prod`, `max` and `min` are primitives; `mean`, `var`,
// `std` and `logsumexp` are compositions (so their derivatives of any order come for free).

/// Normalises possibly negative `axes` for a tensor of rank `rank` (sorted, unique), or traps
/// naming the op.
func normalizeAxes(_ axes: [Int]?, rank: Int, shape: [Int], op: String) -> [Int] {
    guard let axes else { return Array(0..<rank) }
    var out: [Int] = []
    for a in axes {
        let n = a < 0 ? a + rank : a
        require(n >= 0 && n < rank, "\(op): axis \(a) is out of range for a tensor of shape \(shape)")
        require(!out.contains(n), "\(op): axis \(a) is repeated in \(axes)")
        out.append(n)
    }
    return out.sorted()
}

func normalizeAxis(_ axis: Int, rank: Int, shape: [Int], op: String) -> Int {
    normalizeAxes([axis], rank: rank, shape: shape, op: op)[0]
}

extension Primitives {
    static let sumAll = UnaryPrimitive("sum",
        forward: { x in Kernels.reduce(x, axes: Array(0..<x.rank), kind: .sum, op: "sum").reshapedData([]) },
        vjp: { g, _, x in g.broadcast(to: x.shape) },
        jvp: { dx, _, _ in dx.sum() })

    static func reduce(_ x: Tensor, _ kind: ReductionKind, _ name: String, axes: [Int], keepDims: Bool) -> Tensor {
        let r = Kernels.reduce(x, axes: axes, kind: kind, op: name)
        return keepDims ? r : r.reshapedData(removing: axes)
    }

    /// Applies a reduction, building its primitive only when the argument is traced.
    static func reduce(traced x: Tensor, _ kind: ReductionKind, _ name: String, axes: [Int], keepDims: Bool) -> Tensor {
        if x.node == nil { return reduce(x, kind, name, axes: axes, keepDims: keepDims) }
        return reduction(kind, name, axes: axes, keepDims: keepDims)(x)
    }

    static func reduction(_ kind: ReductionKind, _ name: String, axes: [Int], keepDims: Bool) -> UnaryPrimitive {
        UnaryPrimitive(name,
            forward: { x in reduce(x, kind, name, axes: axes, keepDims: keepDims) },
            vjp: { g, ans, x in
                let gk = keepDims ? g : g.reshape(keptShape(x.shape, axes))
                switch kind {
                case .sum: return gk.broadcast(to: x.shape)
                case .prod:
                    let ak = keepDims ? ans : ans.reshape(keptShape(x.shape, axes))
                    return gk * ak / x
                case .max, .min:
                    let ak = (keepDims ? ans : ans.reshape(keptShape(x.shape, axes))).primalData
                    let mask = (x.primalData .== ak).cast(to: x.dtype)
                    return gk * mask / mask.sum(axes: axes, keepDims: true)
                }
            },
            jvp: sumTangent(kind, axes: axes, keepDims: keepDims))
    }
}

/// The JVP of a reduction: linear for `sum`; for `prod` the sum of `dx · ans / x`; for `max`/`min`
/// the tangent at the extremum (split evenly between ties, matching the VJP).
private func sumTangent(_ kind: ReductionKind, axes: [Int], keepDims: Bool)
    -> (@Sendable (Tensor, Tensor, Tensor) -> Tensor)? {
    { dx, ans, x in
        let ak = keepDims ? ans : ans.reshape(keptShape(x.shape, axes))
        switch kind {
        case .sum: return dx.sum(axes: axes, keepDims: keepDims)
        case .prod: return (dx * ak / x).sum(axes: axes, keepDims: keepDims)
        case .max, .min:
            let mask = (x.primalData .== ak.primalData).cast(to: x.dtype)
            return (dx * mask / mask.sum(axes: axes, keepDims: true)).sum(axes: axes, keepDims: keepDims)
        }
    }
}

/// `shape` with the dimensions in `axes` set to 1.
func keptShape(_ shape: [Int], _ axes: [Int]) -> [Int] {
    var s = shape
    for a in axes { s[a] = 1 }
    return s
}

extension Tensor {
    /// The sum of all elements, as a 0-d tensor.
    public func sum() -> Tensor { Primitives.sumAll(self) }

    /// The sum over `axes` (negative axes count from the end); reduced dimensions are dropped
    /// unless `keepDims`.
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let a = normalizeAxes(axes, rank: rank, shape: shape, op: "sum")
        return Primitives.reduce(traced: self, .sum, "sum", axes: a, keepDims: keepDims)
    }
    /// The sum over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// The mean of all elements, or over `axes`.
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let a = normalizeAxes(axes, rank: rank, shape: shape, op: "mean")
        let n = a.reduce(1) { $0 * shape[$1] }
        return (axes == nil && !keepDims ? sum() : sum(axes: a, keepDims: keepDims)) / Double(n)
    }
    /// The mean over one axis.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// The product of all elements, or over `axes`.
    public func prod(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let a = normalizeAxes(axes, rank: rank, shape: shape, op: "prod")
        return Primitives.reduce(traced: self, .prod, "prod", axes: a, keepDims: keepDims)
    }

    /// The largest element, or the largest along `axes` (ties share the gradient equally).
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let a = normalizeAxes(axes, rank: rank, shape: shape, op: "max")
        require(count > 0, "max: tensor of shape \(shape) is empty")
        return Primitives.reduce(traced: self, .max, "max", axes: a, keepDims: keepDims)
    }
    /// The largest element along one axis.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor { max(axes: [axis], keepDims: keepDims) }

    /// The smallest element, or the smallest along `axes` (ties share the gradient equally).
    public func min(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let a = normalizeAxes(axes, rank: rank, shape: shape, op: "min")
        require(count > 0, "min: tensor of shape \(shape) is empty")
        return Primitives.reduce(traced: self, .min, "min", axes: a, keepDims: keepDims)
    }
    /// The smallest element along one axis.
    public func min(axis: Int, keepDims: Bool = false) -> Tensor { min(axes: [axis], keepDims: keepDims) }

    /// The variance over all elements or `axes`, dividing by `n - ddof` (NumPy's default `ddof = 0`).
    public func variance(axes: [Int]? = nil, keepDims: Bool = false, ddof: Int = 0) -> Tensor {
        let a = normalizeAxes(axes, rank: rank, shape: shape, op: "var")
        let n = a.reduce(1) { $0 * shape[$1] }
        let centered = self - mean(axes: a, keepDims: true)
        return (centered * centered).sum(axes: a, keepDims: keepDims) / Double(n - ddof)
    }

    /// The standard deviation over all elements or `axes` (see ``variance(axes:keepDims:ddof:)``).
    public func std(axes: [Int]? = nil, keepDims: Bool = false, ddof: Int = 0) -> Tensor {
        Autograd.sqrt(variance(axes: axes, keepDims: keepDims, ddof: ddof))
    }

    /// `log(sum(exp(x)))` over all elements or `axes`, computed stably (shifted by the maximum).
    public func logsumexp(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let a = normalizeAxes(axes, rank: rank, shape: shape, op: "logsumexp")
        let m = stopGradient(max(axes: a, keepDims: true))
        let finiteM = Autograd.where(m .== m.scalarLike(Double.infinity) .| (m .== m.scalarLike(-Double.infinity)),
                                     Tensor.zeros([], dtype: dtype), m)
        let r = Autograd.log(Autograd.exp(self - finiteM).sum(axes: a, keepDims: true)) + finiteM
        return keepDims ? r : r.reshape(shape.enumerated().filter { !a.contains($0.offset) }.map(\.element))
    }

    /// The index of the largest element of the flattened tensor (int64, no gradient).
    public func argmax() -> Tensor { Kernels.argExtremum(primalData.reshapedData([count]), axis: 0, largest: true) }
    /// The indices of the largest elements along `axis` (int64, no gradient).
    public func argmax(axis: Int) -> Tensor {
        Kernels.argExtremum(primalData, axis: normalizeAxis(axis, rank: rank, shape: shape, op: "argmax"), largest: true)
    }
    /// The index of the smallest element of the flattened tensor (int64, no gradient).
    public func argmin() -> Tensor { Kernels.argExtremum(primalData.reshapedData([count]), axis: 0, largest: false) }
    /// The indices of the smallest elements along `axis` (int64, no gradient).
    public func argmin(axis: Int) -> Tensor {
        Kernels.argExtremum(primalData, axis: normalizeAxis(axis, rank: rank, shape: shape, op: "argmin"), largest: false)
    }
}

/// The sum of all elements of `x`.
public func sum(_ x: Tensor) -> Tensor { x.sum() }
/// The mean of all elements of `x`.
public func mean(_ x: Tensor) -> Tensor { x.mean() }

/// Softmax along `axis`: `exp(x) / sum(exp(x))`, shifted by the maximum for stability.
public func softmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    let axis = normalizeAxis(axis, rank: x.rank, shape: x.shape, op: "softmax")
    require(x.dtype.isFloatingPoint, "softmax: expected a floating-point tensor, got \(x.dtype) tensor of shape \(x.shape)")
    let e = exp(x - stopGradient(x.max(axis: axis, keepDims: true)))
    return e / e.sum(axis: axis, keepDims: true)
}

/// Log-softmax along `axis`: `x - logsumexp(x)`, computed stably.
public func logSoftmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    let axis = normalizeAxis(axis, rank: x.rank, shape: x.shape, op: "logSoftmax")
    require(x.dtype.isFloatingPoint, "logSoftmax: expected a floating-point tensor, got \(x.dtype) tensor of shape \(x.shape)")
    return x - x.logsumexp(axes: [axis], keepDims: true)
}
