// Matrix products on BLAS.

extension Primitives {
    /// NumPy `matmul` for operands of rank ≥ 1: 1-d operands act as a row (left) or column (right)
    /// vector whose dimension is then dropped; leading dimensions broadcast as batches.
    static let matmul = BinaryPrimitive("matmul",
        forward: { Kernels.matmulAnyRank($0, $1) },
        vjpLhs: { g, _, x, y in
            switch (x.rank, y.rank) {
            case (1, 1): return g * y
            case (1, 2): return Autograd.matmul(y, g)
            case (1, _): return Autograd.matmul(y, g.expandDims(-1)).squeeze(axes: [-1])
            case (_, 1): return g.expandDims(-1) * y
            default: return Autograd.matmul(g, y.transposed(-1, -2))
            }
        },
        vjpRhs: { g, _, x, y in
            switch (x.rank, y.rank) {
            case (1, 1): return g * x
            case (1, _): return x.expandDims(-1) * g.expandDims(-2)
            case (2, 1): return Autograd.matmul(g, x)
            case (_, 1): return Autograd.matmul(x.transposed(-1, -2), g.expandDims(-1)).squeeze(axes: [-1])
            default: return Autograd.matmul(x.transposed(-1, -2), g)
            }
        },
        jvp: { dx, dy, _, x, y in
            sumTangents(dx.map { Autograd.matmul($0, y) }, dy.map { Autograd.matmul(x, $0) })
        },
        // Matrix operands: the VJP added into an existing tensor by one GEMM (β = 1), e.g. the
        // weight step `W ← W − lr·xᵀg` of addGradient / SGD.step.
        addScaledLhs: { into, scale, g, _, x, y in
            x.rank == 2 && y.rank == 2 && Kernels.addMatrixProduct(into: into, scale, g, y.transposed())
        },
        addScaledRhs: { into, scale, g, _, x, y in
            x.rank == 2 && y.rank == 2 && Kernels.addMatrixProduct(into: into, scale, x.transposed(), g)
        })
}

extension Kernels {
    /// `matmul` with NumPy's treatment of 1-d operands, on BLAS.
    static func matmulAnyRank(_ x: Tensor, _ y: Tensor) -> Tensor {
        if x.rank >= 2 && y.rank >= 2 { return matmul(x, y) }
        if x.rank == 2 && y.rank == 1 { return gemv(x, y, transposed: false) }
        if x.rank == 1 && y.rank == 2 { return gemv(y, x, transposed: true) }
        let x2 = x.rank == 1 ? x.view(shape: [1, x.shape[0]], strides: [x.shape[0] * x.strides[0], x.strides[0]], offset: x.offset) : x
        let y2 = y.rank == 1 ? y.view(shape: [y.shape[0], 1], strides: [y.strides[0], 1], offset: y.offset) : y
        let r = matmul(x2, y2)
        var shape = r.shape
        if y.rank == 1 { shape.removeLast() }
        if x.rank == 1 { shape.remove(at: shape.count - (y.rank == 1 ? 1 : 2)) }
        return r.reshapedData(shape)
    }
}

/// The matrix product, with NumPy `matmul` semantics: 1-d operands are treated as a row (left) or
/// column (right) vector and that dimension is removed from the result; leading dimensions of
/// higher-rank operands are batch dimensions and broadcast. Runs on BLAS (`sgemm`/`dgemm`), reading
/// transposed views without copying.
public func matmul(_ x: Tensor, _ y: Tensor) -> Tensor {
    require(x.rank >= 1 && y.rank >= 1, "matmul: operands must have rank ≥ 1, got shapes \(x.shape) and \(y.shape)")
    let xk = x.shape[x.rank - 1], yk = y.rank == 1 ? y.shape[0] : y.shape[y.rank - 2]
    require(xk == yk, "matmul: inner dimensions differ, shapes \(x.shape) and \(y.shape)")
    return Primitives.matmul(x, y)
}

/// The inner product of two vectors (or `matmul` for higher ranks).
public func dot(_ x: Tensor, _ y: Tensor) -> Tensor { matmul(x, y) }

/// The outer product of two vectors: `out[i, j] = x[i]·y[j]`.
public func outer(_ x: Tensor, _ y: Tensor) -> Tensor {
    x.reshape([x.count, 1]) * y.reshape([1, y.count])
}
