// The fully connected layer as one primitive: `x·W + b` with the bias folded into the GEMM.

extension Primitives {
    /// The sum over axis 0 of a 2-d tensor, on BLAS `gemv` (the bias cotangent of a linear layer).
    static let sumRows = UnaryPrimitive("sumRows",
        forward: { Kernels.columnSums($0) },
        vjp: { g, _, x in g.broadcast(to: x.shape) },
        jvp: { dx, _, _ in Autograd.sumRows(dx) })
}

/// The sum over the first axis of a 2-d tensor (n×m → m), one BLAS pass.
func sumRows(_ x: Tensor) -> Tensor { Primitives.sumRows(x) }

extension Primitives {
    /// `x·W + b` for 2-d `x` (n×in), `W` (in×out) and optional `b` (out); args `[x, W]` or
    /// `[x, W, b]`. The VJPs are the usual matrix products, written in differentiable ops; the
    /// accumulate rule adds them into an existing tensor with one GEMM (β = 1) or `gemv` — the
    /// weight update `W ← W − lr·xᵀg` of ``addGradient(of:scaledBy:to:)`` in one BLAS call.
    static let linear = NaryPrimitive("linear",
        forward: { a in Kernels.linear(a[0], a[1], a.count > 2 ? a[2] : nil) },
        vjp: { g, _, a, i in
            switch i {
            case 0: return Autograd.matmul(g, a[1].transposed())
            case 1: return Autograd.matmul(a[0].transposed(), g)
            default: return sumRows(g)
            }
        },
        jvp: { t, _, a in
            var out: Tensor?
            if let dx = t[0] { out = Autograd.matmul(dx, a[1]) }
            if let dw = t[1] { let p = Autograd.matmul(a[0], dw); out = out.map { $0 + p } ?? p }
            if t.count > 2, let db = t[2] { out = out.map { $0 + db } ?? db.broadcast(to: [a[0].shape[0], a[1].shape[1]]) }
            return out!
        },
        accumulate: NaryAccumulation(reads: [[1], [0], []]) { into, scale, g, _, a, i in
            switch i {
            case 0: return Kernels.addMatrixProduct(into: into, scale, g, a[1].transposed())
            case 1: return Kernels.addMatrixProduct(into: into, scale, a[0].transposed(), g)
            default: return Kernels.addColumnSums(into: into, scale, g)
            }
        })
}

/// A fully connected layer, `x·weight + bias`, with `weight` of shape (in, out) — the transpose of
/// PyTorch's `nn.Linear.weight` (the benchmarks' convention; it feeds BLAS without a transpose).
///
/// `x` may have any rank ≥ 1: its last dimension is `in`, the others are batch dimensions. One
/// primitive (the bias is accumulated by the GEMM itself), differentiable to any order.
///
/// ```swift
/// let h = relu(linear(x, weight: w1, bias: b1))   // x: (128, 784), w1: (784, 512), b1: (512)
/// ```
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    require(weight.rank == 2, "linear: weight must be 2-d (in, out), got shape \(weight.shape)")
    require(x.rank >= 1 && x.shape[x.rank - 1] == weight.shape[0],
            "linear: input of shape \(x.shape) does not match weight of shape \(weight.shape) (expected last dimension \(weight.shape[0]))")
    require(x.dtype == weight.dtype, "linear: dtype mismatch, input \(x.dtype) \(x.shape) and weight \(weight.dtype) \(weight.shape)")
    if let bias {
        require(bias.shape == [weight.shape[1]],
                "linear: bias of shape \(bias.shape) does not match weight of shape \(weight.shape) (expected [\(weight.shape[1])])")
        require(bias.dtype == weight.dtype, "linear: dtype mismatch, bias \(bias.dtype) \(bias.shape) and weight \(weight.dtype) \(weight.shape)")
    }
    let lead = Array(x.shape.dropLast())
    let x2 = x.rank == 2 ? x : x.reshape([-1, weight.shape[0]])
    let args = bias.map { [x2, weight, $0] } ?? [x2, weight]
    let y = Primitives.linear(args)
    return x.rank == 2 ? y : y.reshape(lead + [weight.shape[1]])
}
