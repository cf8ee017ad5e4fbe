import COpenBLAS

/// A float element type with a BLAS GEMM.
protocol GEMMScalar: TensorFloat {
    /// `C = alpha·op(A)·op(B) + C` on row-major storage, one BLAS call
    /// (``Kernels/gemm(_:_:_:_:_:_:_:_:_:alpha:beta:_:_:threads:)`` is the entry point kernels use).
    static func cblasGemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int,
                          _ b: UnsafePointer<Self>, _ ldb: Int, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
}

extension Float: GEMMScalar {
    @inline(__always)
    static func cblasGemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                          _ b: UnsafePointer<Float>, _ ldb: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), 1, c, Int32(ldc))
    }
}

extension Double: GEMMScalar {
    @inline(__always)
    static func cblasGemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int,
                          _ b: UnsafePointer<Double>, _ ldb: Int, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), 1, c, Int32(ldc))
    }
}


extension Kernels {
    /// A 2-d operand as BLAS sees it: a pointer, whether it is stored transposed, and its leading
    /// dimension. Views that are neither row- nor column-major are copied first.
    @inline(__always)
    static func blasOperand(_ m: Tensor) -> (Tensor, transposed: Bool, ld: Int) {
        let r = m.shape[0], c = m.shape[1]
        let s0 = m.strides[0], s1 = m.strides[1]
        if (s1 == 1 || c == 1) && s0 >= Swift.max(c, 1) { return (m, false, Swift.max(s0, 1)) }
        if (s0 == 1 || r == 1) && s1 >= Swift.max(r, 1) { return (m, true, Swift.max(s1, 1)) }
        let c2 = copyToContiguous(m)
        return (c2, false, Swift.max(c, 1))
    }

    /// `C = A·B` for 2-d `a` (m×k) and `b` (k×n), any strides, float32 or float64, writing into the
    /// contiguous m×n buffer at `out`.
    static func gemm(_ a: Tensor, _ b: Tensor, into out: UnsafeMutableRawPointer, dtype: DType) {
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        let (A, ta, lda) = blasOperand(a)
        let (B, tb, ldb) = blasOperand(b)
        if m == 0 || n == 0 { return }
        withLifetimes(A, B) {
            switch dtype {
            case .float32:
                gemm(ta, tb, m, n, k, A.pointer(Float.self), lda, B.pointer(Float.self), ldb,
                     beta: 0, out.assumingMemoryBound(to: Float.self), n)
            case .float64:
                gemm(ta, tb, m, n, k, A.pointer(Double.self), lda, B.pointer(Double.self), ldb,
                     beta: 0, out.assumingMemoryBound(to: Double.self), n)
            default:
                dtypeFailure("matmul", expected: "floating-point tensors", a, b)
            }
        }
    }

    /// Products below this many multiply–adds stay on one thread.
    static let gemmParallelWork = 1 << 21

    /// `C = alpha·op(A)·op(B) + beta·C` on row-major storage (`beta` 0 or 1): the one GEMM entry
    /// point of every kernel.
    ///
    /// - `beta == 0` zeroes C here and accumulates: OpenBLAS's own β = 0 pass is a scalar loop that
    ///   took 9% of an MLP training step, `memset` a third of that.
    /// - With several threads (``Threading/count``) and `threads` true, a product of at least
    ///   ``gemmParallelWork`` multiply–adds is cut into one block of C's columns (or rows, when it
    ///   has more rows) per thread, each a single-threaded BLAS call on ``WorkerPool``. OpenBLAS's
    ///   own threading split the 32-row products of a recurrent layer so poorly that 2 threads
    ///   gained 1.1×; these blocks gain 1.7×. Callers already running on several threads pass
    ///   `threads: false`.
    static func gemm<T: GEMMScalar>(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                                    _ a: UnsafePointer<T>, _ lda: Int, _ b: UnsafePointer<T>, _ ldb: Int,
                                    alpha: T = 1, beta: T, _ c: UnsafeMutablePointer<T>, _ ldc: Int, threads: Bool = true) {
        if m == 0 || n == 0 { return }
        /// Zeroes the rows × columns block of C at `block` when `beta` is 0.
        func zero(_ block: UnsafeMutablePointer<T>, rows: Int, columns: Int) {
            if beta != 0 { return }
            if ldc == columns { block.update(repeating: 0, count: rows * columns); return }
            for r in 0..<rows { (block + r * ldc).update(repeating: 0, count: columns) }
        }
        let count = Threading.count
        guard threads && count > 1 && k > 0 && m * n * k >= gemmParallelWork && Swift.max(m, n) >= 32 * count else {
            zero(c, rows: m, columns: n)
            if k > 0 { T.cblasGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc) }
            return
        }
        // Blocks of whole cache lines (multiples of 16 elements) along C's longer side.
        let byColumns = n >= m
        let side = byColumns ? n : m
        let block = ((side + count - 1) / count + 15) / 16 * 16
        let blocks = (side + block - 1) / block
        WorkerPool.shared.run(iterations: blocks, threads: count) { j in
            let j0 = j * block, width = Swift.min(side - j0, block)
            // Each thread zeroes its own block of C (in parallel, and into its own cache).
            if byColumns {
                // Column j0 of op(B) starts at b + j0 (B as stored) or at row j0 of B (B transposed).
                zero(c + j0, rows: m, columns: width)
                T.cblasGemm(transA, transB, m, width, k, alpha, a, lda, b + (transB ? j0 * ldb : j0), ldb, c + j0, ldc)
            } else {
                // Row j0 of op(A) starts at row j0 of A (as stored) or at a + j0 (A transposed).
                zero(c + j0 * ldc, rows: width, columns: n)
                T.cblasGemm(transA, transB, width, n, k, alpha, a + (transA ? j0 : j0 * lda), lda, b, ldb, c + j0 * ldc, ldc)
            }
        }
    }

    /// Matrix–vector product `a·v` (or `aᵀ·v`) on BLAS `gemv`.
    static func gemv(_ a: Tensor, _ v: Tensor, transposed: Bool) -> Tensor {
        checkSameDType(a, v, op: "matmul")
        let (A, ta, lda) = blasOperand(a)
        let vc = v.strides[0] == 0 ? copyToContiguous(v) : v
        let rows = a.shape[0], cols = a.shape[1]
        let out = Tensor.uninitialized(shape: [transposed ? cols : rows], dtype: a.dtype)
        // Row-major A (rows×cols) stored transposed is a column-major matrix: flip the BLAS flag.
        let trans = transposed != ta
        let (m, n) = ta ? (cols, rows) : (rows, cols)
        if out.count == 0 { return out }
        Threading.prepareBLAS()
        if v.count == 0 {
            return Tensor.zeros(out.shape, dtype: a.dtype)
        }
        withLifetimes(A, vc) {
            switch a.dtype {
            case .float32:
                cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), 1,
                            A.pointer(Float.self), Int32(lda), vc.pointer(Float.self), Int32(vc.strides[0]),
                            0, out.pointer(Float.self), 1)
            case .float64:
                cblas_dgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), 1,
                            A.pointer(Double.self), Int32(lda), vc.pointer(Double.self), Int32(vc.strides[0]),
                            0, out.pointer(Double.self), 1)
            default:
                dtypeFailure("matmul", expected: "floating-point tensors", a, v)
            }
        }
        return out
    }

    /// Matrix product of tensors of rank ≥ 2, broadcasting the leading (batch) dimensions.
    static func matmul(_ x: Tensor, _ y: Tensor) -> Tensor {
        checkSameDType(x, y, op: "matmul")
        let m = x.shape[x.rank - 2], k = x.shape[x.rank - 1]
        let k2 = y.shape[y.rank - 2], n = y.shape[y.rank - 1]
        require(k == k2, "matmul: inner dimensions differ, shapes \(x.shape) and \(y.shape)")
        if x.rank == 2 && y.rank == 2 && k == 1 {
            // An outer product (inner dimension 1): a broadcast multiply, no BLAS call needed.
            return binary(MulF.self, x, y, op: "matmul")
        }
        if x.rank == 2 && y.rank == 2 && (m == 1 || n == 1) {
            // A row times a matrix, or a matrix times a column: gemv has far less overhead.
            if m == 1 {
                let row = x.view(shape: [k], strides: [x.strides[1]], offset: x.offset)
                return gemv(y, row, transposed: true).reshapedData([1, n])
            }
            let column = y.view(shape: [k], strides: [y.strides[0]], offset: y.offset)
            return gemv(x, column, transposed: false).reshapedData([m, 1])
        }
        let batchX = Array(x.shape.dropLast(2)), batchY = Array(y.shape.dropLast(2))
        let batch = broadcastShapes(batchX, batchY, op: "matmul")
        let out = Tensor.uninitialized(shape: batch + [m, n], dtype: x.dtype)
        let count = batch.reduce(1, *)
        if count == 1 {
            gemm(x.matrixView(batch: []), y.matrixView(batch: []), into: out.rawPointer, dtype: x.dtype)
            return out
        }
        let xb = x.view(shape: batch + [m, k], strides: x.broadcastStrides(to: batch + [m, k]), offset: x.offset)
        let yb = y.view(shape: batch + [k, n], strides: y.broadcastStrides(to: batch + [k, n]), offset: y.offset)
        var index = [Int](repeating: 0, count: batch.count)
        for i in 0..<count {
            gemm(xb.matrixView(batch: index), yb.matrixView(batch: index),
                 into: out.rawPointer + i * m * n * x.dtype.byteSize, dtype: x.dtype)
            var d = batch.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < batch[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}

extension Tensor {
    /// The 2-d matrix at batch position `index` (a view).
    func matrixView(batch index: [Int]) -> Tensor {
        var off = offset
        for (d, i) in index.enumerated() { off += i * strides[d] }
        return view(shape: Array(shape.suffix(2)), strides: Array(strides.suffix(2)), offset: off)
    }
}
