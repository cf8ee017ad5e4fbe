import CKernels
import COpenBLAS
import RealModule

// Raw kernels behind the fused neural-network primitives (NN/): a linear layer with its bias folded
// into the GEMM, the log-softmax + NLL loss, a one-hot matrix, and the whole-sequence LSTM forward
// and backward passes. No autodiff here.

/// A float element type with the BLAS and vectorised-math entry points the NN kernels need.
protocol NNFloat: GEMMScalar {
    /// `y = alpha·op(A)·x + beta·y` for row-major `A` (m×n, leading dimension `lda`), contiguous
    /// `x` and `y`.
    static func gemv(transposed: Bool, _ m: Int, _ n: Int, alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int,
                     _ x: UnsafePointer<Self>, beta: Self, _ y: UnsafeMutablePointer<Self>)
    /// `y = sigmoid(x)` over `n` contiguous elements (may be in place).
    static func sigmoid(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int)
    /// `y = tanh(x)` over `n` contiguous elements (may be in place).
    static func tanh(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int)
    /// One LSTM step's backward pass for one batch row (`ag_lstm_backward_row_*`).
    static func lstmBackwardRow(_ z: UnsafePointer<Self>, _ tc: UnsafePointer<Self>, _ cp: UnsafePointer<Self>,
                                _ g: UnsafePointer<Self>, _ dh: UnsafePointer<Self>, _ dc: UnsafeMutablePointer<Self>,
                                _ dz: UnsafeMutablePointer<Self>, _ h: Int)
    /// One LSTM step's cell update `c = f·c₋₁ + i·g` for one batch row (`ag_lstm_cell_row_*`).
    static func lstmCellRow(_ z: UnsafePointer<Self>, _ cp: UnsafePointer<Self>, _ c: UnsafeMutablePointer<Self>, _ h: Int)
    /// Columns per panel of a packed right-hand matrix (`ag_panel_width_*`).
    static var panelWidth: Int { get }
    /// Packs B (k×n, element (i, j) at `b[i·rowStride + j·colStride]`) into panels (`ag_pack_panels_*`).
    static func packPanels(_ b: UnsafePointer<Self>, rowStride: Int, colStride: Int, k: Int, n: Int, _ p: UnsafeMutablePointer<Self>)
    /// `C = A·B` or `C += A·B` over the panels `panels` of a packed B (`ag_gemm_packed_*`).
    static func gemmPacked(m: Int, n: Int, k: Int, _ a: UnsafePointer<Self>, lda: Int, _ p: UnsafePointer<Self>,
                           _ c: UnsafeMutablePointer<Self>, ldc: Int, panels: Range<Int>, accumulate: Bool)
}

extension Float: NNFloat {
    static func gemv(transposed: Bool, _ m: Int, _ n: Int, alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                     _ x: UnsafePointer<Float>, beta: Float, _ y: UnsafeMutablePointer<Float>) {
        Threading.prepareBLAS()
        cblas_sgemv(CblasRowMajor, transposed ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
    static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) { ag_sigmoid_f32(x, y, n) }
    static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) { ag_tanh_f32(x, y, n) }
    static func lstmBackwardRow(_ z: UnsafePointer<Float>, _ tc: UnsafePointer<Float>, _ cp: UnsafePointer<Float>,
                                _ g: UnsafePointer<Float>, _ dh: UnsafePointer<Float>, _ dc: UnsafeMutablePointer<Float>,
                                _ dz: UnsafeMutablePointer<Float>, _ h: Int) {
        ag_lstm_backward_row_f32(z, tc, cp, g, dh, dc, dz, h)
    }
    static func lstmCellRow(_ z: UnsafePointer<Float>, _ cp: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ h: Int) {
        ag_lstm_cell_row_f32(z, cp, c, h)
    }
    static var panelWidth: Int { ag_panel_width_f32() }
    static func packPanels(_ b: UnsafePointer<Float>, rowStride: Int, colStride: Int, k: Int, n: Int, _ p: UnsafeMutablePointer<Float>) {
        ag_pack_panels_f32(b, rowStride, colStride, k, n, p)
    }
    static func gemmPacked(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, _ p: UnsafePointer<Float>,
                           _ c: UnsafeMutablePointer<Float>, ldc: Int, panels: Range<Int>, accumulate: Bool) {
        ag_gemm_packed_f32(m, n, k, a, lda, p, c, ldc, panels.lowerBound, panels.upperBound, accumulate ? 1 : 0)
    }
}

extension Double: NNFloat {
    static func gemv(transposed: Bool, _ m: Int, _ n: Int, alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int,
                     _ x: UnsafePointer<Double>, beta: Double, _ y: UnsafeMutablePointer<Double>) {
        Threading.prepareBLAS()
        cblas_dgemv(CblasRowMajor, transposed ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
    static func sigmoid(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) { ag_sigmoid_f64(x, y, n) }
    static func tanh(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) { ag_tanh_f64(x, y, n) }
    static func lstmBackwardRow(_ z: UnsafePointer<Double>, _ tc: UnsafePointer<Double>, _ cp: UnsafePointer<Double>,
                                _ g: UnsafePointer<Double>, _ dh: UnsafePointer<Double>, _ dc: UnsafeMutablePointer<Double>,
                                _ dz: UnsafeMutablePointer<Double>, _ h: Int) {
        ag_lstm_backward_row_f64(z, tc, cp, g, dh, dc, dz, h)
    }
    static func lstmCellRow(_ z: UnsafePointer<Double>, _ cp: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>, _ h: Int) {
        ag_lstm_cell_row_f64(z, cp, c, h)
    }
    static var panelWidth: Int { ag_panel_width_f64() }
    static func packPanels(_ b: UnsafePointer<Double>, rowStride: Int, colStride: Int, k: Int, n: Int, _ p: UnsafeMutablePointer<Double>) {
        ag_pack_panels_f64(b, rowStride, colStride, k, n, p)
    }
    static func gemmPacked(m: Int, n: Int, k: Int, _ a: UnsafePointer<Double>, lda: Int, _ p: UnsafePointer<Double>,
                           _ c: UnsafeMutablePointer<Double>, ldc: Int, panels: Range<Int>, accumulate: Bool) {
        ag_gemm_packed_f64(m, n, k, a, lda, p, c, ldc, panels.lowerBound, panels.upperBound, accumulate ? 1 : 0)
    }
}

extension Kernels {
    /// `x·W + b` for contiguous-or-strided 2-d `x` (n×in), `w` (in×out) and a bias vector (out) or
    /// `nil`: the bias is written into the result first and the GEMM accumulates onto it (β = 1), so
    /// the bias costs no extra pass over the output.
    static func linear(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> Tensor {
        let n = x.shape[0], k = x.shape[1], m = w.shape[1]
        let out = Tensor.uninitialized(shape: [n, m], dtype: x.dtype)
        guard let b else {
            gemm(x, w, into: out.rawPointer, dtype: x.dtype)
            return out
        }
        let (A, ta, lda) = blasOperand(x)
        let (B, tb, ldb) = blasOperand(w)
        let bc = b.contiguous()
        func run<T: NNFloat>(_: T.Type) {
            let o = out.pointer(T.self), bias = bc.pointer(T.self)
            for r in 0..<n { (o + r * m).update(from: bias, count: m) }
            if n == 0 || m == 0 || k == 0 { return }
            Kernels.gemm(ta, tb, n, m, k, A.pointer(T.self), lda, B.pointer(T.self), ldb, beta: 1, o, m)
        }
        withLifetimes(A, B, bc) {
            switch x.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("linear", expected: "floating-point tensors", x, w)
            }
        }
        return out
    }

    /// Per-row `logsumexp(z) − z[label]` for logits `z` (n×c) and int64 labels (n): the
    /// cross-entropy of each row, computed in one pass per row (shifted by the row maximum).
    static func crossEntropyRows(_ logits: Tensor, labels: [Int]) -> Tensor {
        let z = logits.contiguous()
        let n = z.shape[0], c = z.shape[1]
        let out = Tensor.uninitialized(shape: [n], dtype: z.dtype)
        func run<T: TensorFloat>(_: T.Type) {
            let p = z.pointer(T.self), o = out.pointer(T.self)
            for r in 0..<n {
                let row = p + r * c
                var m = -T.infinity
                for j in 0..<c where row[j] > m { m = row[j] }
                if !m.isFinite { m = 0 }
                var s: T = 0
                for j in 0..<c { s += T.exp(row[j] - m) }
                o[r] = T.log(s) + m - row[labels[r]]
            }
        }
        withExtendedLifetime(z) {
            switch z.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("crossEntropy", expected: "floating-point logits", z)
            }
        }
        return out
    }

    /// A one-hot matrix (n×classes) in `dtype` from int64 labels already checked to be in range.
    static func oneHot(_ labels: [Int], classes: Int, dtype: DType) -> Tensor {
        let out = Tensor.zeros([labels.count, classes], dtype: dtype)
        switch dtype {
        case .float32: let p = out.pointer(Float.self); for (r, l) in labels.enumerated() { p[r * classes + l] = 1 }
        case .float64: let p = out.pointer(Double.self); for (r, l) in labels.enumerated() { p[r * classes + l] = 1 }
        default: dtypeFailure("oneHot", expected: "a floating-point dtype", out)
        }
        return out
    }
}

extension Kernels {
    /// `c += scale · a·b` in place for 2-d `a` (m×k) and `b` (k×n), any strides, and contiguous `c`
    /// (m×n): one GEMM with β = 1, so the product needs no buffer of its own, no zeroing pass and no
    /// separate sum. False (nothing touched) unless all three have one floating-point dtype.
    static func addMatrixProduct(into c: Tensor, _ scale: Double, _ a: Tensor, _ b: Tensor) -> Bool {
        guard c.isContiguous, c.dtype.isFloatingPoint, a.dtype == c.dtype, b.dtype == c.dtype,
              a.rank == 2, b.rank == 2, c.shape == [a.shape[0], b.shape[1]], a.shape[1] == b.shape[0] else { return false }
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        if m == 0 || n == 0 || k == 0 { return true }
        let (A, ta, lda) = blasOperand(a)
        let (B, tb, ldb) = blasOperand(b)
        func run<T: NNFloat>(_: T.Type) {
            gemm(ta, tb, m, n, k, A.pointer(T.self), lda, B.pointer(T.self), ldb,
                 alpha: T(fromDouble: scale), beta: 1, c.pointer(T.self), n)
        }
        withLifetimes(A, B) {
            if c.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        }
        return true
    }

    /// `c += scale · Σᵢ x[i, :]` in place for 2-d `x` (n×m) and contiguous `c` (m): one `gemv` with
    /// β = 1 (a linear layer's bias gradient added straight into its destination).
    static func addColumnSums(into c: Tensor, _ scale: Double, _ x: Tensor) -> Bool {
        guard c.isContiguous, c.dtype.isFloatingPoint, x.dtype == c.dtype, x.rank == 2, c.shape == [x.shape[1]] else { return false }
        let xc = x.contiguous()
        let n = xc.shape[0], m = xc.shape[1]
        if n == 0 || m == 0 { return true }
        func run<T: NNFloat>(_: T.Type) {
            let ones = [T](repeating: 1, count: n)
            ones.withUnsafeBufferPointer { o in
                T.gemv(transposed: true, n, m, alpha: T(fromDouble: scale), xc.pointer(T.self), m, o.baseAddress!,
                       beta: 1, c.pointer(T.self))
            }
        }
        withExtendedLifetime(xc) {
            if c.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        }
        return true
    }

    /// The column sums of a 2-d tensor (n×m → m): `onesᵀ·x` on BLAS `gemv` (the bias gradient of a
    /// linear layer), one streaming pass over `x`.
    static func columnSums(_ x: Tensor) -> Tensor {
        let xc = x.contiguous()
        let n = xc.shape[0], m = xc.shape[1]
        let out = Tensor.zeros([m], dtype: xc.dtype)
        if n == 0 || m == 0 { return out }
        func run<T: NNFloat>(_: T.Type) {
            let ones = [T](repeating: 1, count: n)
            ones.withUnsafeBufferPointer { o in
                T.gemv(transposed: true, n, m, alpha: 1, xc.pointer(T.self), m, o.baseAddress!, beta: 0, out.pointer(T.self))
            }
        }
        withExtendedLifetime(xc) {
            switch xc.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("sum", expected: "a floating-point tensor", xc)
            }
        }
        return out
    }
}

// MARK: - Whole-sequence LSTM

/// What the fused LSTM forward pass keeps for its backward pass: the activated gates of every step
/// (i, f, o, g column blocks), every cell state and its tanh. Owned by one application of the
/// sequence primitive.
final class LSTMWorkspace: @unchecked Sendable {
    var gates: Tensor?
    var cells: Tensor?
    var tanhCells: Tensor?
    /// The last backward pass: the cotangent it was computed for (kept alive, so that its memory
    /// cannot be reused by another cotangent while it serves as the key), and the results.
    var cotangent: Tensor?
    var dZ: Tensor?
    var dh0: Tensor?
    var dc0: Tensor?
    init() {}
}

/// A right-hand matrix B (k×n) packed once for many products `A·B` with few rows (the recurrent
/// weight, multiplied by the batch's state at every time step): `ag_gemm_packed_*` on panels of
/// columns, split across ``Threading/count`` threads for large products. Holds its scratch tensor.
struct PackedMatrix<F: NNFloat> {
    let k: Int, n: Int
    let storage: Tensor

    /// Packs B, whose element (i, j) is at `b[i·rowStride + j·colStride]` (B itself: `(n, 1)`;
    /// a row-major matrix used transposed: `(1, its row length)`).
    init(_ b: UnsafePointer<F>, rowStride: Int, colStride: Int, k: Int, n: Int) {
        self.k = k
        self.n = n
        let panels = (n + F.panelWidth - 1) / F.panelWidth
        storage = Tensor.uninitialized(shape: [Swift.max(1, panels * F.panelWidth * k)], dtype: F.dtype)
        F.packPanels(b, rowStride: rowStride, colStride: colStride, k: k, n: n, storage.pointer(F.self))
    }

    /// `C = A·B` (or `C += A·B` with `accumulate`) for A m×k (row stride `lda`), C m×n (`ldc`).
    func multiply(_ a: UnsafePointer<F>, m: Int, lda: Int, into c: UnsafeMutablePointer<F>, ldc: Int, accumulate: Bool) {
        if m == 0 || n == 0 { return }
        let p = UnsafePointer(storage.pointer(F.self))
        let panels = (n + F.panelWidth - 1) / F.panelWidth
        let threads = Threading.count
        guard threads > 1 && panels >= 2 * threads && m * n * k >= Kernels.gemmParallelWork else {
            F.gemmPacked(m: m, n: n, k: k, a, lda: lda, p, c, ldc: ldc, panels: 0..<panels, accumulate: accumulate)
            return
        }
        let per = (panels + threads - 1) / threads
        WorkerPool.shared.run(iterations: (panels + per - 1) / per, threads: threads) { t in
            let lo = t * per, hi = Swift.min(panels, lo + per)
            F.gemmPacked(m: m, n: n, k: k, a, lda: lda, p, c, ldc: ldc, panels: lo..<hi, accumulate: accumulate)
        }
    }
}

/// The batch size from which a step's gate arithmetic is split across threads: a step of at least
/// 4,096 hidden units (B·H; some 30k elementwise operations) is worth more than waking a thread.
@inline(__always)
func lstmRowsPerThread(hidden: Int) -> Int { Swift.max(2, 4096 / Swift.max(hidden, 1)) }

extension Kernels {
    /// The LSTM over a whole time-major sequence. `xs` (T×B×I), `h0`, `c0` (B×H), `w` ((I+H)×4H,
    /// column blocks i, f, o, g), `b` (4H), all contiguous and of one float dtype. Returns a
    /// (T+1)×B×H tensor: rows 0..<T are the hidden states h₁…h_T, row T the last cell state c_T.
    /// The input projection of all steps is one GEMM; each step then adds `h·W_h` (one GEMM) and
    /// runs the gate nonlinearities on the vectorised kernels.
    static func lstmForward(_ xs: Tensor, _ h0: Tensor, _ c0: Tensor, _ w: Tensor, _ b: Tensor,
                            workspace ws: LSTMWorkspace) -> Tensor {
        let T = xs.shape[0], B = xs.shape[1], I = xs.shape[2], H = h0.shape[1]
        let out = Tensor.uninitialized(shape: [T + 1, B, H], dtype: xs.dtype)
        let gates = Tensor.uninitialized(shape: [T, B, 4 * H], dtype: xs.dtype)
        let cells = Tensor.uninitialized(shape: [T, B, H], dtype: xs.dtype)
        let tanhCells = Tensor.uninitialized(shape: [T, B, H], dtype: xs.dtype)
        func run<F: NNFloat>(_: F.Type) {
            let x = xs.pointer(F.self), wp = w.pointer(F.self), bp = b.pointer(F.self)
            let z = gates.pointer(F.self), cs = cells.pointer(F.self), tc = tanhCells.pointer(F.self)
            let hs = out.pointer(F.self)
            let G = 4 * H
            let rowsPerThread = lstmRowsPerThread(hidden: H)
            Threading.forEachChunk(T * B, minimumParallel: Swift.max(2, 65_536 / Swift.max(G, 1))) { rows in
                for r in rows { (z + r * G).update(from: bp, count: G) }
            }
            if T * B > 0 && I > 0 { Kernels.gemm(false, false, T * B, G, I, x, I, wp, G, beta: 1, z, G) }
            // W_h is packed once for the T products h·W_h (BLAS would pack it again in each).
            let wh = PackedMatrix<F>(wp + I * G, rowStride: G, colStride: 1, k: H, n: G)
            for t in 0..<T {
                let zt = z + t * B * G
                let hPrev = t == 0 ? UnsafePointer(h0.pointer(F.self)) : UnsafePointer(hs + (t - 1) * B * H)
                let cPrev = t == 0 ? UnsafePointer(c0.pointer(F.self)) : UnsafePointer(cs + (t - 1) * B * H)
                if H > 0 { withExtendedLifetime(wh.storage) { wh.multiply(hPrev, m: B, lda: H, into: zt, ldc: G, accumulate: true) } }
                Threading.forEachChunk(B, minimumParallel: rowsPerThread) { rows in
                    for r in rows {
                        let zr = zt + r * G
                        F.sigmoid(zr, zr, 3 * H)
                        F.tanh(zr + 3 * H, zr + 3 * H, H)
                        let c = cs + (t * B + r) * H, cp = cPrev + r * H
                        F.lstmCellRow(zr, cp, c, H)
                        let th = tc + (t * B + r) * H
                        F.tanh(c, th, H)
                        let h = hs + (t * B + r) * H
                        for j in 0..<H { h[j] = zr[2 * H + j] * th[j] }
                    }
                }
            }
            let last = T == 0 ? UnsafePointer(c0.pointer(F.self)) : UnsafePointer(cs + (T - 1) * B * H)
            (hs + T * B * H).update(from: last, count: B * H)
        }
        withLifetimes(xs, h0, c0) {
            withLifetimes(w, b) {
                switch xs.dtype {
                case .float32: run(Float.self)
                case .float64: run(Double.self)
                default: dtypeFailure("lstm", expected: "floating-point tensors", xs)
                }
            }
        }
        ws.gates = gates
        ws.cells = cells
        ws.tanhCells = tanhCells
        return out
    }

    /// Backpropagation through time for ``lstmForward(_:_:_:_:_:workspace:)``: from the cotangent
    /// `g` of its (T+1)×B×H result, fills `ws.dZ` (the cotangent of every step's pre-activation,
    /// T×B×4H), `ws.dh0` and `ws.dc0`. The weight, bias and input cotangents follow from `dZ` with one
    /// GEMM each (``lstmWeightGradient``).
    static func lstmBackward(_ g: Tensor, _ h0: Tensor, _ c0: Tensor, _ w: Tensor, inputSize I: Int,
                             workspace ws: LSTMWorkspace) {
        let gates = ws.gates!, cells = ws.cells!, tanhCells = ws.tanhCells!
        let T = gates.shape[0], B = gates.shape[1], H = h0.shape[1], G = 4 * H
        let gc = g.contiguous()
        let dZ = Tensor.uninitialized(shape: [T, B, G], dtype: g.dtype)
        let dh = Tensor.uninitialized(shape: [B, H], dtype: g.dtype)
        let dc = Tensor.uninitialized(shape: [B, H], dtype: g.dtype)
        func run<F: NNFloat>(_: F.Type) {
            let gp = gc.pointer(F.self), z = gates.pointer(F.self), cs = cells.pointer(F.self)
            let tc = tanhCells.pointer(F.self), dzp = dZ.pointer(F.self)
            let dhp = dh.pointer(F.self), dcp = dc.pointer(F.self)
            // W_hᵀ (G×H) packed once for the T products dZ_t·W_hᵀ.
            let whT = PackedMatrix<F>(w.pointer(F.self) + I * G, rowStride: 1, colStride: G, k: G, n: H)
            let rowsPerThread = lstmRowsPerThread(hidden: H)
            dhp.initialize(repeating: 0, count: B * H)
            dcp.update(from: gp + T * B * H, count: B * H)
            for t in stride(from: T - 1, through: 0, by: -1) {
                let cPrev = t == 0 ? UnsafePointer(c0.pointer(F.self)) : UnsafePointer(cs + (t - 1) * B * H)
                let gt = gp + t * B * H
                Threading.forEachChunk(B, minimumParallel: rowsPerThread) { rows in
                    for r in rows {
                        let zr = z + (t * B + r) * G, dzr = dzp + (t * B + r) * G
                        let th = tc + (t * B + r) * H, cp = cPrev + r * H
                        let dhr = dhp + r * H, dcr = dcp + r * H, gr = gt + r * H
                        F.lstmBackwardRow(zr, th, cp, gr, dhr, dcr, dzr, H)
                    }
                }
                // dh_{t-1} = dZ_t · W_hᵀ
                if H > 0 { withExtendedLifetime(whT.storage) { whT.multiply(dzp + t * B * G, m: B, lda: G, into: dhp, ldc: H, accumulate: false) } }
            }
        }
        withLifetimes(gc, h0, c0) {
            withLifetimes(w, gates, cells) {
                withExtendedLifetime(tanhCells) {
                    switch g.dtype {
                    case .float32: run(Float.self)
                    case .float64: run(Double.self)
                    default: dtypeFailure("lstm", expected: "floating-point tensors", g)
                    }
                }
            }
        }
        ws.dZ = dZ
        ws.dh0 = dh
        ws.dc0 = dc
    }

    /// The LSTM weight cotangent `[xs; h_prev]ᵀ · dZ` ((I+H)×4H) from the step cotangents `dZ`, the
    /// inputs, the initial hidden state and the forward result (whose rows 0..<T−1 are h₁…h_{T−1}).
    static func lstmWeightGradient(_ dZ: Tensor, _ xs: Tensor, _ h0: Tensor, _ out: Tensor) -> Tensor {
        let T = xs.shape[0], B = xs.shape[1], I = xs.shape[2], H = h0.shape[1], G = 4 * H
        let dw = T * B == 0 ? Tensor.zeros([I + H, G], dtype: dZ.dtype) : Tensor.uninitialized(shape: [I + H, G], dtype: dZ.dtype)
        func run<F: NNFloat>(_: F.Type) {
            let d = dZ.pointer(F.self), dwp = dw.pointer(F.self)
            if T * B == 0 { return }
            if I > 0 && G > 0 { Kernels.gemm(true, false, I, G, T * B, xs.pointer(F.self), I, d, G, beta: 0, dwp, G) }
            if H > 0 && G > 0 {
                Kernels.gemm(true, false, H, G, B, h0.pointer(F.self), H, d, G, beta: 0, dwp + I * G, G)
                if T > 1 {
                    Kernels.gemm(true, false, H, G, (T - 1) * B, out.pointer(F.self), H, d + B * G, G, beta: 1, dwp + I * G, G)
                }
            }
        }
        withLifetimes(dZ, xs, h0) {
            withExtendedLifetime(out) {
                switch dZ.dtype {
                case .float32: run(Float.self)
                case .float64: run(Double.self)
                default: dtypeFailure("lstm", expected: "floating-point tensors", dZ)
                }
            }
        }
        return dw
    }

    /// `dZ · W_xᵀ` reshaped to T×B×I: the cotangent of the LSTM's input sequence.
    static func lstmInputGradient(_ dZ: Tensor, _ w: Tensor, inputSize I: Int) -> Tensor {
        let T = dZ.shape[0], B = dZ.shape[1], G = dZ.shape[2]
        let dx = Tensor.uninitialized(shape: [T, B, I], dtype: dZ.dtype)
        func run<F: NNFloat>(_: F.Type) {
            if T * B * I == 0 { return }
            if G == 0 { dx.pointer(F.self).initialize(repeating: 0, count: T * B * I); return }
            Kernels.gemm(false, true, T * B, I, G, dZ.pointer(F.self), G, w.pointer(F.self), G, beta: 0, dx.pointer(F.self), I)
        }
        withLifetimes(dZ, w) {
            switch dZ.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("lstm", expected: "floating-point tensors", dZ)
            }
        }
        return dx
    }
}

// MARK: - Batch normalisation

extension Kernels {
    /// `(x − μ_c) / sqrt(σ²_c + epsilon)` for `x` of shape (N, C, …) with the mean and biased variance
    /// of each channel `c` (axis 1) over all other axes; two passes for the statistics (accumulated in
    /// float64), one for the result.
    static func batchNormalize(_ x: Tensor, epsilon: Double) -> Tensor {
        let xc = x.contiguous()
        let n = xc.shape[0], c = xc.shape[1], s = xc.count / Swift.max(n * c, 1)
        let out = Tensor.uninitialized(like: xc)
        let count = Double(n * s)
        func run<T: TensorFloat>(_: T.Type) {
            let src = xc.pointer(T.self), dst = out.pointer(T.self)
            for ch in 0..<c {
                var sum = 0.0
                for i in 0..<n {
                    let p = src + (i * c + ch) * s
                    for j in 0..<s { sum += Double(p[j]) }
                }
                let mean = sum / count
                var squares = 0.0
                for i in 0..<n {
                    let p = src + (i * c + ch) * s
                    for j in 0..<s { let d = Double(p[j]) - mean; squares += d * d }
                }
                let rstd = T(1 / (squares / count + epsilon).squareRoot()), m = T(mean)
                for i in 0..<n {
                    let p = src + (i * c + ch) * s, q = dst + (i * c + ch) * s
                    for j in 0..<s { q[j] = (p[j] - m) * rstd }
                }
            }
        }
        withExtendedLifetime(xc) {
            switch xc.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("batchNorm", expected: "a floating-point tensor", xc)
            }
        }
        return out
    }
}

// MARK: - Dropout

extension Kernels {
    /// The inverted-dropout mask: element `i` is `1 / keep` when draw `i` of ``SplitMix64`` with
    /// `seed`, as a uniform in [0, 1), is below `keep`, else 0 — the same elements
    /// `Tensor.bernoulli(shape, p: keep, seed: seed)` keeps, in one pass.
    static func dropoutMask(shape: [Int], keep: Double, seed: UInt64, dtype: DType) -> Tensor {
        let out = Tensor.uninitialized(shape: shape, dtype: dtype)
        func run<T: TensorFloat>(_: T.Type) {
            let p = out.pointer(T.self), scale = T(1 / keep)
            for i in 0..<out.count {
                let u = Double(SplitMix64.draw(seed: seed, index: UInt64(i)) >> 11) * 0x1p-53
                p[i] = u < keep ? scale : 0
            }
        }
        switch dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        default: dtypeFailure("dropout", expected: "a floating-point dtype", out)
        }
        return out
    }
}

extension Kernels {
    /// `(x − μ) / sqrt(σ² + epsilon)` over each contiguous row of `rowLength` trailing elements (layer
    /// normalisation), with the row's mean and biased variance accumulated in float64.
    static func layerNormalize(_ x: Tensor, rowLength s: Int, epsilon: Double) -> Tensor {
        let xc = x.contiguous()
        let rows = s == 0 ? 0 : xc.count / s
        let out = Tensor.uninitialized(like: xc)
        func run<T: TensorFloat>(_: T.Type) {
            let src = xc.pointer(T.self), dst = out.pointer(T.self)
            for r in 0..<rows {
                let p = src + r * s, q = dst + r * s
                var sum = 0.0
                for j in 0..<s { sum += Double(p[j]) }
                let mean = sum / Double(s)
                var squares = 0.0
                for j in 0..<s { let d = Double(p[j]) - mean; squares += d * d }
                let rstd = T(1 / (squares / Double(s) + epsilon).squareRoot()), m = T(mean)
                for j in 0..<s { q[j] = (p[j] - m) * rstd }
            }
        }
        withExtendedLifetime(xc) {
            switch xc.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("layerNorm", expected: "a floating-point tensor", xc)
            }
        }
        return out
    }
}

// MARK: - LSTM cell gates

extension Kernels {
    /// The gate arithmetic of one LSTM step: from pre-activations `z` (B×4H, blocks i, f, o, g) and
    /// the cell state `c` (B×H), the packed result B×2H = [h', c'] with c' = σ(f)·c + σ(i)·tanh(g) and
    /// h' = σ(o)·tanh(c').
    static func lstmGatesForward(_ z: Tensor, _ c: Tensor) -> Tensor {
        let zc = z.contiguous(), cc = c.contiguous()
        let B = zc.shape[0], H = cc.shape[1]
        let out = Tensor.uninitialized(shape: [B, 2 * H], dtype: zc.dtype)
        func run<F: NNFloat>(_: F.Type) {
            let act = UnsafeMutablePointer<F>.allocate(capacity: Swift.max(4 * H, 1))
            defer { act.deallocate() }
            for r in 0..<B {
                let zr = zc.pointer(F.self) + r * 4 * H, cp = cc.pointer(F.self) + r * H
                let h = out.pointer(F.self) + r * 2 * H, c2 = h + H
                F.sigmoid(zr, act, 3 * H)
                F.tanh(zr + 3 * H, act + 3 * H, H)
                for j in 0..<H { c2[j] = act[H + j] * cp[j] + act[j] * act[3 * H + j] }
                F.tanh(c2, h, H)
                for j in 0..<H { h[j] *= act[2 * H + j] }
            }
        }
        withLifetimes(zc, cc) {
            switch zc.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("lstmCell", expected: "floating-point tensors", zc)
            }
        }
        return out
    }

    /// The cotangent of `z` (B×4H) or, with `cell: true`, of `c` (B×H) for ``lstmGatesForward(_:_:)``,
    /// from the cotangent `g` of its packed B×2H result `ans`.
    static func lstmGatesBackward(_ g: Tensor, _ z: Tensor, _ c: Tensor, _ ans: Tensor, cell: Bool) -> Tensor {
        let gc = g.contiguous(), zc = z.contiguous(), cc = c.contiguous(), ac = ans.contiguous()
        let B = zc.shape[0], H = cc.shape[1]
        let out = Tensor.uninitialized(shape: [B, cell ? H : 4 * H], dtype: zc.dtype)
        func run<F: NNFloat>(_: F.Type) {
            let act = UnsafeMutablePointer<F>.allocate(capacity: Swift.max(5 * H, 1))
            defer { act.deallocate() }
            let tc = act + 4 * H
            for r in 0..<B {
                let zr = zc.pointer(F.self) + r * 4 * H, cp = cc.pointer(F.self) + r * H
                let gh = gc.pointer(F.self) + r * 2 * H, gcell = gh + H, c2 = ac.pointer(F.self) + r * 2 * H + H
                F.sigmoid(zr, act, 3 * H)
                F.tanh(zr + 3 * H, act + 3 * H, H)
                F.tanh(c2, tc, H)
                let o = out.pointer(F.self) + r * (cell ? H : 4 * H)
                for j in 0..<H {
                    let i = act[j], f = act[H + j], og = act[2 * H + j], gg = act[3 * H + j], t = tc[j]
                    let dc = gcell[j] + gh[j] * og * (1 - t * t)
                    if cell {
                        o[j] = dc * f
                    } else {
                        o[j] = dc * gg * i * (1 - i)
                        o[H + j] = dc * cp[j] * f * (1 - f)
                        o[2 * H + j] = gh[j] * t * og * (1 - og)
                        o[3 * H + j] = dc * i * (1 - gg * gg)
                    }
                }
            }
        }
        withLifetimes(gc, zc, cc) {
            withExtendedLifetime(ac) {
                switch zc.dtype {
                case .float32: run(Float.self)
                case .float64: run(Double.self)
                default: dtypeFailure("lstmCell", expected: "floating-point tensors", zc)
                }
            }
        }
        return out
    }
}
