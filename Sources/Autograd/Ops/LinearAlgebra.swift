// Matrix products on BLAS.

extension Primitives {
    /// Matrix product of tensors of rank ≥ 2 with batch broadcasting.
    static let matmul = BinaryPrimitive("matmul",
        forward: { Kernels.matmul($0, $1) },
        vjpLhs: { g, _, _, y in Autograd.matmul(g, y.transposed(-1, -2)) },
        vjpRhs: { g, _, x, _ in Autograd.matmul(x.transposed(-1, -2), g) },
        jvp: { dx, dy, _, x, y in
            sumTangents(dx.map { Autograd.matmul($0, y) }, dy.map { Autograd.matmul(x, $0) })
        })
}

/// The matrix product, with NumPy `matmul` semantics: 1-d operands are treated as a row (left) or
/// column (right) vector and that dimension is removed from the result; leading dimensions of
/// higher-rank operands are batch dimensions and broadcast. Runs on BLAS (`sgemm`/`dgemm`), reading
/// transposed views without copying.
public func matmul(_ x: Tensor, _ y: Tensor) -> Tensor {
    require(x.rank >= 1 && y.rank >= 1, "matmul: operands must have rank ≥ 1, got shapes \(x.shape) and \(y.shape)")
    let xk = x.shape[x.rank - 1], yk = y.rank == 1 ? y.shape[0] : y.shape[y.rank - 2]
    require(xk == yk, "matmul: inner dimensions differ, shapes \(x.shape) and \(y.shape)")
    if x.rank >= 2 && y.rank >= 2 { return Primitives.matmul(x, y) }
    let x2 = x.rank == 1 ? x.reshape([1, x.shape[0]]) : x
    let y2 = y.rank == 1 ? y.reshape([y.shape[0], 1]) : y
    let r = Primitives.matmul(x2, y2)
    var shape = r.shape
    if y.rank == 1 { shape.removeLast() }
    if x.rank == 1 { shape.remove(at: shape.count - (y.rank == 1 ? 1 : 2)) }
    return r.reshape(shape)
}

/// The inner product of two vectors (or `matmul` for higher ranks).
public func dot(_ x: Tensor, _ y: Tensor) -> Tensor { matmul(x, y) }

/// The outer product of two vectors: `out[i, j] = x[i]·y[j]`.
public func outer(_ x: Tensor, _ y: Tensor) -> Tensor {
    x.reshape([x.count, 1]) * y.reshape([1, y.count])
}
