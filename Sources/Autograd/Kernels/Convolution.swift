import CKernels
import COpenBLAS
import Dispatch

// Convolution kernels (no autodiff): 2-d cross-correlation in NCHW / OIHW layout with stride,
// padding, dilation and groups, computed as im2col + GEMM on BLAS. Three kernels cover the forward
// pass and both gradients of convolution and of transposed convolution:
//
//   conv2d            y  = conv(x, w)                       im2col(x), then w · cols
//   conv2dInputGrad   dx = convᵀ(g, w)  (transposed conv)   wᵀ · g, then col2im (scatter-add)
//   conv2dWeightGrad  dw = Σₙ gₙ · im2col(xₙ)ᵀ               im2col(x), then g · colsᵀ
//
// 1-d convolutions run as 2-d ones of height 1. The batch is processed in chunks of samples whose
// column matrix fits a fixed budget (so it stays in cache and GEMMs are wide). With several threads
// and enough work, threads take whole chunks (BLAS single-threaded meanwhile); otherwise
// im2col / col2im split their rows or samples across threads and BLAS threads the GEMMs itself.
// When the weight is being differentiated, the forward pass keeps its column matrices (up to
// `ConvColumns.limitBytes`) for the weight gradient, which then needs no im2col of its own.

/// Stride, padding, dilation and groups of a 2-d convolution (or of its transpose).
struct ConvGeometry: Sendable, Hashable, CustomStringConvertible {
    var strideH = 1, strideW = 1
    var padH = 0, padW = 0
    var dilationH = 1, dilationW = 1
    var groups = 1

    /// The output size of a convolution of an `h`×`w` input with a `kh`×`kw` kernel (may be ≤ 0
    /// when the kernel does not fit; callers check).
    func outputSize(h: Int, w: Int, kh: Int, kw: Int) -> (Int, Int) {
        let oh = (h + 2 * padH - dilationH * (kh - 1) - 1)
        let ow = (w + 2 * padW - dilationW * (kw - 1) - 1)
        return (oh < 0 ? 0 : oh / strideH + 1, ow < 0 ? 0 : ow / strideW + 1)
    }

    var description: String {
        "stride (\(strideH), \(strideW)), padding (\(padH), \(padW)), dilation (\(dilationH), \(dilationW)), groups \(groups)"
    }
}

/// A float type the convolution kernels run on.
protocol ConvolutionScalar: GEMMScalar {
    /// `dst[r·dstStride + q] += src[r·srcStride + q]` for `rows` rows of `count` elements
    /// (`ag_add_rows_*`).
    static func addRows(_ src: UnsafePointer<Self>, srcStride: Int, _ dst: UnsafeMutablePointer<Self>, dstStride: Int,
                        rows: Int, count: Int)
}

extension Float: ConvolutionScalar {
    static func addRows(_ src: UnsafePointer<Float>, srcStride: Int, _ dst: UnsafeMutablePointer<Float>, dstStride: Int,
                        rows: Int, count: Int) {
        ag_add_rows_f32(src, srcStride, dst, dstStride, rows, count)
    }
}

extension Double: ConvolutionScalar {
    static func addRows(_ src: UnsafePointer<Double>, srcStride: Int, _ dst: UnsafeMutablePointer<Double>, dstStride: Int,
                        rows: Int, count: Int) {
        ag_add_rows_f64(src, srcStride, dst, dstStride, rows, count)
    }
}

/// Every size of one convolution: input `n×c×h×w`, weight `o×(c/groups)×kh×kw`, output
/// `n×o×oh×ow`, and the batch chunking used for the column matrix.
struct ConvLayout {
    let n, c, h, w, o, kh, kw, oh, ow: Int
    let geo: ConvGeometry
    /// Channels of one group on the input and output side.
    var cg: Int { c / geo.groups }
    var og: Int { o / geo.groups }
    /// Rows of the column matrix (one per input channel of a group and kernel position).
    var k: Int { cg * kh * kw }
    /// Output positions of one sample.
    var p: Int { oh * ow }

    init(n: Int, c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int, geo: ConvGeometry) {
        self.n = n; self.c = c; self.h = h; self.w = w; self.o = o; self.kh = kh; self.kw = kw
        self.geo = geo
        (oh, ow) = geo.outputSize(h: h, w: w, kh: kh, kw: kw)
    }

    /// Bytes of column matrix per chunk: the matrix stays in the per-core cache between im2col and
    /// the GEMM. (Measured with OpenBLAS on the W5 shapes: GEMMs on one or two samples run as fast
    /// as on wide multi-sample matrices, and one sample per chunk needs no reordering copies.)
    static let columnBudgetBytes = 256 << 10
    /// Multiply–adds below which a convolution stays on one thread.
    static let parallelWork = 1 << 20

    /// How the batch is cut into chunks of samples: enough chunks to keep each column matrix within
    /// ``columnBudgetBytes``, and with several threads a multiple of the thread count, so that each
    /// thread takes whole chunks (its own im2col, GEMM and col2im, with BLAS single-threaded).
    func plan(byteSize: Int, threads: Int) -> ConvPlan {
        let perSample = Swift.max(1, k * p * byteSize)
        let fitting = Swift.max(1, Swift.min(n, ConvLayout.columnBudgetBytes / perSample))
        var chunks = (n + fitting - 1) / fitting
        let parallel = threads > 1 && n >= 2 && n * k * p * o >= ConvLayout.parallelWork
        if parallel { chunks = Swift.min(n, (Swift.max(chunks, threads) + threads - 1) / threads * threads) }
        return ConvPlan(n: n, samplesPerChunk: (n + chunks - 1) / chunks, parallel: parallel, threads: threads)
    }
}

/// A batch cut into chunks of `samplesPerChunk` consecutive samples (the last may be shorter).
struct ConvPlan {
    let n: Int
    let samplesPerChunk: Int
    /// Whether chunks run on separate threads.
    let parallel: Bool
    /// The thread count the plan was made for. Read once: the task layout (and the weight
    /// gradient's per-task partial sums) must not change if ``Threading/count`` does meanwhile.
    let threads: Int

    var chunks: Int { (n + samplesPerChunk - 1) / samplesPerChunk }
    /// The samples of chunk `c`.
    func samples(_ c: Int) -> Range<Int> { (c * samplesPerChunk)..<Swift.min(n, (c + 1) * samplesPerChunk) }

    /// The same chunks, run in parallel or not as `other` says.
    func running(like other: ConvPlan) -> ConvPlan {
        ConvPlan(n: n, samplesPerChunk: samplesPerChunk, parallel: other.parallel, threads: other.threads)
    }

    /// How many tasks the chunks are grouped into: 1 on one thread; with several threads a few
    /// per thread, handed out dynamically so that a thread slowed down by other processes on its
    /// core takes fewer of them.
    var tasks: Int { (chunks + chunksPerTask - 1) / chunksPerTask }
    /// Consecutive chunks per task (every task gets at least one).
    var chunksPerTask: Int {
        guard parallel else { return Swift.max(1, chunks) }
        let wanted = Swift.max(1, Swift.min(chunks, 4 * threads))
        return (chunks + wanted - 1) / wanted
    }

    /// Runs `body(chunk, innerThreads, task)` for every chunk: on one thread (BLAS and im2col may
    /// then use threads inside, `innerThreads` true), or as ``tasks`` groups of consecutive chunks
    /// spread over the threads, each chunk's BLAS calls then single-threaded (`innerThreads`
    /// false). Each task runs its chunks in increasing order.
    func forEachChunk(_ body: (_ chunk: Int, _ innerThreads: Bool, _ task: Int) -> Void) {
        let tasks = self.tasks
        if tasks == 1 {
            for c in 0..<chunks { body(c, true, 0) }
            return
        }
        let per = chunksPerTask
        withoutActuallyEscaping(body) { body in
            let task = ChunkTask { range in
                for t in range {
                    for c in (t * per)..<Swift.min(chunks, (t + 1) * per) { body(c, false, t) }
                }
            }
            // One iteration per task (not `Threading.forEachChunk`'s one range per thread): idle
            // threads take the next task, which balances uneven progress.
            WorkerPool.shared.run(iterations: tasks, threads: threads) { t in task.body(t..<(t + 1)) }
        }
    }

    /// Whether `chunk` is the first one its task runs.
    func isFirstOfTask(_ chunk: Int) -> Bool { chunk % chunksPerTask == 0 }
}

/// The column matrices (im2col) of one convolution's input, kept from the forward pass so that the
/// weight gradient does not build them again. Written once by the forward kernel and read by the
/// weight-gradient kernel, on the thread that records the trace.
final class ConvColumns: @unchecked Sendable {
    /// The input the columns were built from (held, so its identity stays valid).
    var input: Tensor?
    /// All chunks of all groups: group `g`'s chunk at sample `n0` starts at `(g·n + n0)·k·p`.
    var columns: Tensor?
    /// The chunks the columns were built in (their layout).
    var plan: ConvPlan?
    /// Column matrices larger than this are not kept (the weight gradient rebuilds them): they
    /// are about kH·kW times the size of the input, and live until the trace ends.
    static let limitBytes = 64 << 20

    /// The kept columns if they were built from `x`'s memory.
    func columns(for x: Tensor) -> (Tensor, ConvPlan)? {
        guard let input, let columns, let plan, input.buffer === x.buffer else { return nil }
        return (columns, plan)
    }
}

extension Kernels {
    /// Cross-correlation of `x` (N×C×H×W) with `w` (O×C/groups×kH×kW): N×O×oH×oW.
    /// With `keep`, the column matrices are kept there for ``conv2dWeightGrad(_:_:_:kernelSize:columns:)``.
    /// A `bias` (shape `[O]`) is added to every output channel on the way out.
    static func conv2d(_ x: Tensor, _ w: Tensor, _ geo: ConvGeometry, keep: ConvColumns? = nil,
                       bias: Tensor? = nil) -> Tensor {
        checkSameDType(x, w, op: "conv2d")
        if let bias { checkSameDType(x, bias, op: "conv2d") }
        let l = ConvLayout(n: x.shape[0], c: x.shape[1], h: x.shape[2], w: x.shape[3],
                           o: w.shape[0], kh: w.shape[2], kw: w.shape[3], geo: geo)
        let out = Tensor.uninitialized(shape: [l.n, l.o, l.oh, l.ow], dtype: x.dtype)
        if out.count == 0 { return out }
        let xc = x.contiguous(), wc = w.contiguous()
        let plan = l.plan(byteSize: x.dtype.byteSize, threads: Threading.count)
        let columnCount = l.geo.groups * l.n * l.k * l.p
        let kept = keep != nil && columnCount * x.dtype.byteSize <= ConvColumns.limitBytes
            ? Tensor.uninitialized(shape: [columnCount], dtype: x.dtype) : nil
        if let keep, let kept {
            keep.input = x
            keep.columns = kept
            keep.plan = plan
        }
        let bc = bias?.contiguous()
        withLifetimes(xc, wc, out) {
            switch x.dtype {
            case .float32: convForward(l, plan, xc.pointer(Float.self), wc.pointer(Float.self), out.pointer(Float.self),
                                       keep: kept?.pointer(Float.self), bias: bc.map { UnsafePointer($0.pointer(Float.self)) })
            case .float64: convForward(l, plan, xc.pointer(Double.self), wc.pointer(Double.self), out.pointer(Double.self),
                                       keep: kept?.pointer(Double.self), bias: bc.map { UnsafePointer($0.pointer(Double.self)) })
            default: dtypeFailure("conv2d", expected: "floating-point tensors", x, w)
            }
        }
        return withExtendedLifetime(bc) { out }
    }

    /// The transposed convolution (the adjoint of ``conv2d(_:_:_:)`` in its input): `g`
    /// (N×O×oH×oW) with `w` (O×C/groups×kH×kW) gives N×C×`inputSize`.
    static func conv2dInputGrad(_ g: Tensor, _ w: Tensor, _ geo: ConvGeometry, inputSize: (Int, Int)) -> Tensor {
        checkSameDType(g, w, op: "conv2dInputGrad")
        let l = ConvLayout(n: g.shape[0], c: w.shape[1] * geo.groups, h: inputSize.0, w: inputSize.1,
                           o: w.shape[0], kh: w.shape[2], kw: w.shape[3], geo: geo)
        require(l.oh == g.shape[2] && l.ow == g.shape[3],
                "conv2dInputGrad: cotangent of shape \(g.shape) does not match input size \(inputSize) with weight \(w.shape), \(geo)")
        if l.n * l.c * l.h * l.w == 0 || g.count == 0 { return Tensor.zeros([l.n, l.c, l.h, l.w], dtype: g.dtype) }
        // Every sample is zeroed by the chunk that adds into it (convInputGrad), in cache.
        let out = Tensor.uninitialized(shape: [l.n, l.c, l.h, l.w], dtype: g.dtype)
        let gc = g.contiguous(), wc = w.contiguous()
        let plan = l.plan(byteSize: g.dtype.byteSize, threads: Threading.count)
        withLifetimes(gc, wc, out) {
            switch g.dtype {
            case .float32: convInputGrad(l, plan, gc.pointer(Float.self), wc.pointer(Float.self), out.pointer(Float.self))
            case .float64: convInputGrad(l, plan, gc.pointer(Double.self), wc.pointer(Double.self), out.pointer(Double.self))
            default: dtypeFailure("conv2dInputGrad", expected: "floating-point tensors", g, w)
            }
        }
        return out
    }

    /// The gradient of ``conv2d(_:_:_:)`` in its weight: `x` (N×C×H×W) and output cotangent `g`
    /// (N×O×oH×oW) give O×C/groups×`kernelSize`.
    /// Uses the column matrices kept by ``conv2d(_:_:_:keep:)`` when `columns` holds them for `x`.
    static func conv2dWeightGrad(_ x: Tensor, _ g: Tensor, _ geo: ConvGeometry, kernelSize: (Int, Int),
                                 columns: ConvColumns? = nil) -> Tensor {
        checkSameDType(x, g, op: "conv2dWeightGrad")
        let l = ConvLayout(n: x.shape[0], c: x.shape[1], h: x.shape[2], w: x.shape[3],
                           o: g.shape[1], kh: kernelSize.0, kw: kernelSize.1, geo: geo)
        require(l.oh == g.shape[2] && l.ow == g.shape[3] && l.n == g.shape[0],
                "conv2dWeightGrad: cotangent of shape \(g.shape) does not match input \(x.shape) with kernel \(kernelSize), \(geo)")
        let shape = [l.o, l.cg, l.kh, l.kw]
        if l.n == 0 || l.p == 0 { return Tensor.zeros(shape, dtype: x.dtype) }
        let out = Tensor.uninitialized(shape: shape, dtype: x.dtype)
        if out.count == 0 { return out }
        let xc = x.contiguous(), gc = g.contiguous()
        var plan = l.plan(byteSize: x.dtype.byteSize, threads: Threading.count)
        let kept = columns?.columns(for: x)
        if let kept { plan = kept.1.running(like: plan) }
        withLifetimes(xc, gc, out) {
            switch x.dtype {
            case .float32: convWeightGrad(l, plan, xc.pointer(Float.self), gc.pointer(Float.self), out.pointer(Float.self),
                                          kept: kept?.0.pointer(Float.self))
            case .float64: convWeightGrad(l, plan, xc.pointer(Double.self), gc.pointer(Double.self), out.pointer(Double.self),
                                          kept: kept?.0.pointer(Double.self))
            default: dtypeFailure("conv2dWeightGrad", expected: "floating-point tensors", x, g)
            }
        }
        return withExtendedLifetime(kept?.0) { out }
    }

    // MARK: - Loops

    /// Output elements per thread below which im2col/col2im stay on one thread.
    static let convParallelElements = 1 << 15

    /// Scratch memory of `count` elements, from the buffer pool (recycled across steps).
    private static func scratch<T: ConvolutionScalar>(_ count: Int, _: T.Type) -> Tensor {
        Tensor.uninitialized(shape: [count], dtype: T.dtype)
    }

    static func convForward<T: ConvolutionScalar>(_ l: ConvLayout, _ plan: ConvPlan, _ x: UnsafePointer<T>,
                                                  _ w: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
                                                  keep: UnsafeMutablePointer<T>?, bias: UnsafePointer<T>?) {
        plan.forEachChunk { chunk, inner, _ in
            let samples = plan.samples(chunk)
            let n0 = samples.lowerBound, m = samples.count, ld = m * l.p
            let colsT = scratch(keep == nil ? l.k * ld : 1, T.self)
            let tmpT = m > 1 ? scratch(l.og * ld, T.self) : colsT
            withLifetimes(colsT, tmpT) {
                let tmp = tmpT.pointer(T.self)
                for g in 0..<l.geo.groups {
                    let cols = keep.map { $0 + (g * l.n + n0) * l.k * l.p } ?? colsT.pointer(T.self)
                    im2col(l, x, group: g, n0: n0, count: m, cols, threads: inner)
                    let wg = w + g * l.og * l.k
                    if m == 1 {
                        // The output starts as the bias (GEMM with beta 1 adds to it; beta 0 would
                        // cost BLAS a zeroing pass of its own).
                        let yg = y + (n0 * l.o + g * l.og) * l.p
                        if let bias {
                            for oc in 0..<l.og { (yg + oc * l.p).update(repeating: bias[g * l.og + oc], count: l.p) }
                        }
                        Kernels.gemm(false, false, l.og, l.p, l.k, wg, l.k, cols, l.p,
                               beta: bias == nil ? 0 : 1, yg, l.p, threads: inner)
                    } else {
                        Kernels.gemm(false, false, l.og, ld, l.k, wg, l.k, cols, ld,
                               beta: 0, tmp, ld, threads: inner)
                        // tmp is og × (m·p) in (channel, sample, position) order: move to (sample, channel,
                        // position), adding the bias on the way.
                        for s in 0..<m {
                            for oc in 0..<l.og {
                                let dst = y + ((n0 + s) * l.o + g * l.og + oc) * l.p, src = tmp + oc * ld + s * l.p
                                if let bias {
                                    let b = bias[g * l.og + oc]
                                    for e in 0..<l.p { dst[e] = src[e] + b }
                                } else {
                                    dst.update(from: src, count: l.p)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static func convInputGrad<T: ConvolutionScalar>(_ l: ConvLayout, _ plan: ConvPlan, _ gy: UnsafePointer<T>,
                                                    _ w: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>) {
        plan.forEachChunk { chunk, inner, _ in
            let samples = plan.samples(chunk)
            let n0 = samples.lowerBound, m = samples.count, ld = m * l.p
            let colsT = scratch(l.k * ld, T.self)
            let tmpT = m > 1 ? scratch(l.og * ld, T.self) : colsT
            withLifetimes(colsT, tmpT) {
                let cols = colsT.pointer(T.self), tmp = tmpT.pointer(T.self)
                // col2im adds into dx: this chunk's samples start from zero.
                (dx + n0 * l.c * l.h * l.w).update(repeating: 0, count: m * l.c * l.h * l.w)
                for g in 0..<l.geo.groups {
                    let wg = w + g * l.og * l.k
                    let b: UnsafePointer<T>
                    if m == 1 {
                        b = gy + (n0 * l.o + g * l.og) * l.p
                    } else {
                        gatherCotangent(l, gy, group: g, n0: n0, count: m, tmp)
                        b = UnsafePointer(tmp)
                    }
                    Kernels.gemm(true, false, l.k, ld, l.og, wg, l.k, b, ld,
                               beta: 0, cols, ld, threads: inner)
                    col2im(l, cols, group: g, n0: n0, count: m, dx, threads: inner)
                }
            }
        }
    }

    /// Each task accumulates its chunks in its own slot; the slots are summed in task order at the
    /// end (so the result depends on the thread count only through the grouping into tasks).
    static func convWeightGrad<T: ConvolutionScalar>(_ l: ConvLayout, _ plan: ConvPlan, _ x: UnsafePointer<T>,
                                                     _ gy: UnsafePointer<T>, _ dw: UnsafeMutablePointer<T>,
                                                     kept: UnsafeMutablePointer<T>?) {
        let size = l.o * l.k
        let tasks = plan.tasks
        let slotsT = scratch(tasks > 1 ? tasks * size : 1, T.self)
        withExtendedLifetime(slotsT) {
            let slots = tasks > 1 ? slotsT.pointer(T.self) : dw
            plan.forEachChunk { chunk, inner, task in
                let samples = plan.samples(chunk)
                let n0 = samples.lowerBound, m = samples.count, ld = m * l.p
                let beta: T = plan.isFirstOfTask(chunk) ? 0 : 1
                let colsT = scratch(kept == nil ? l.k * ld : 1, T.self)
                let tmpT = m > 1 ? scratch(l.og * ld, T.self) : colsT
                withLifetimes(colsT, tmpT) {
                    let tmp = tmpT.pointer(T.self)
                    for g in 0..<l.geo.groups {
                        let cols: UnsafeMutablePointer<T>
                        if let kept {
                            cols = kept + (g * l.n + n0) * l.k * l.p
                        } else {
                            cols = colsT.pointer(T.self)
                            im2col(l, x, group: g, n0: n0, count: m, cols, threads: inner)
                        }
                        let a: UnsafePointer<T>
                        if m == 1 {
                            a = gy + (n0 * l.o + g * l.og) * l.p
                        } else {
                            gatherCotangent(l, gy, group: g, n0: n0, count: m, tmp)
                            a = UnsafePointer(tmp)
                        }
                        Kernels.gemm(false, true, l.og, l.k, ld, a, ld, cols, ld,
                               beta: beta, slots + task * size + g * l.og * l.k, l.k, threads: inner)
                    }
                }
            }
            if tasks > 1 {
                dw.update(from: slots, count: size)
                for k in 1..<tasks {
                    let src = slots + k * size
                    for e in 0..<size { dw[e] += src[e] }
                }
            }
        }
    }

    /// Copies the output cotangent of samples `n0..<n0+count`, group `group`, into an
    /// og × (count·p) matrix in (channel, sample, position) order.
    @inline(__always)
    static func gatherCotangent<T>(_ l: ConvLayout, _ gy: UnsafePointer<T>, group: Int, n0: Int, count: Int,
                                   _ out: UnsafeMutablePointer<T>) {
        let ld = count * l.p
        for s in 0..<count {
            for oc in 0..<l.og {
                (out + oc * ld + s * l.p).update(from: gy + ((n0 + s) * l.o + group * l.og + oc) * l.p, count: l.p)
            }
        }
    }

    /// The output columns `lo..<hi` whose input column `ow·stride + offset` lies in `0..<width`.
    @inline(__always)
    static func validRange(offset: Int, stride: Int, width: Int, outputs: Int) -> (Int, Int) {
        let lo = offset >= 0 ? 0 : Swift.min(outputs, (-offset + stride - 1) / stride)
        let hiRaw = width - offset <= 0 ? 0 : (width - offset + stride - 1) / stride
        let hi = Swift.max(lo, Swift.min(outputs, hiRaw))
        return (lo, hi)
    }

    /// Units of work (rows or samples) per thread so that each thread gets at least
    /// ``convParallelElements`` elements; at least 2 (what `Threading.forEachChunk` expects).
    @inline(__always)
    static func minimumUnits(elementsPerUnit: Int) -> Int {
        Swift.max(2, convParallelElements / Swift.max(elementsPerUnit, 1))
    }

    /// Writes the k × (count·p) column matrix of samples `n0..<n0+count` and group `group`:
    /// row `(c·kh + i)·kw + j`, column `s·p + oh·ow + ow` holds
    /// `x[n0+s, group·cg + c, oh·sH − pH + i·dH, ow·sW − pW + j·dW]` (0 in the padding).
    /// Rows are independent, so they are split across threads.
    static func im2col<T: ConvolutionScalar>(_ l: ConvLayout, _ x: UnsafePointer<T>, group: Int, n0: Int, count: Int,
                                             _ cols: UnsafeMutablePointer<T>, threads: Bool) {
        let ld = count * l.p
        let g = l.geo
        let taps = l.kh * l.kw
        Threading.forEachChunk(l.k, minimumParallel: threads ? minimumUnits(elementsPerUnit: ld) : Int.max) { rows in
            for r in rows {
                let c = r / taps, i = (r % taps) / l.kw, j = r % l.kw
                let row = cols + r * ld
                let offW = j * g.dilationW - g.padW
                let (lo, hi) = validRange(offset: offW, stride: g.strideW, width: l.w, outputs: l.ow)
                // The whole output plane reads inside the input (no padding at this tap, stride 1
                // along rows): one call copies its OH rows of OW elements.
                let ih0 = -g.padH + i * g.dilationH, ihLast = ih0 + (l.oh - 1) * g.strideH
                let inside = g.strideW == 1 && lo == 0 && hi == l.ow && ih0 >= 0 && ihLast < l.h
                for s in 0..<count {
                    let plane = x + ((n0 + s) * l.c + group * l.cg + c) * l.h * l.w
                    if inside {
                        ag_copy_rows(plane + ih0 * l.w + offW, g.strideH * l.w * MemoryLayout<T>.size,
                                     row + s * l.p, l.oh, l.ow * MemoryLayout<T>.size)
                        continue
                    }
                    for oh in 0..<l.oh {
                        let dst = row + s * l.p + oh * l.ow
                        let ih = oh * g.strideH - g.padH + i * g.dilationH
                        if ih < 0 || ih >= l.h {
                            for q in 0..<l.ow { dst[q] = 0 }
                            continue
                        }
                        let src = plane + ih * l.w + offW
                        // Rows are short (the output width): plain loops, no memmove calls.
                        for q in 0..<lo { dst[q] = 0 }
                        if g.strideW == 1 {
                            copyShortRow(UnsafeMutableRawPointer(dst + lo), UnsafeRawPointer(src + lo),
                                         bytes: (hi - lo) * MemoryLayout<T>.size)
                        } else {
                            let sw = g.strideW
                            for q in lo..<hi { dst[q] = src[q * sw] }
                        }
                        for q in hi..<l.ow { dst[q] = 0 }
                    }
                }
            }
        }
    }

    /// Copies a short row (a few dozen bytes) in 16-byte blocks, the last one overlapping, instead
    /// of a vectorised loop whose scalar remainder dominates at these lengths.
    @inline(__always)
    static func copyShortRow(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, bytes: Int) {
        if bytes >= 16 {
            var o = 0
            while o + 16 <= bytes {
                dst.storeBytes(of: src.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self), toByteOffset: o, as: SIMD4<Float>.self)
                o += 16
            }
            if o < bytes {
                let last = bytes - 16
                dst.storeBytes(of: src.loadUnaligned(fromByteOffset: last, as: SIMD4<Float>.self), toByteOffset: last, as: SIMD4<Float>.self)
            }
        } else if bytes > 0 {
            dst.copyMemory(from: src, byteCount: bytes)
        }
    }

    /// The adjoint of ``im2col(_:_:group:n0:count:_:)``: adds every column entry back into the
    /// input position it was read from. Samples write disjoint memory, so they are split across
    /// threads.
    static func col2im<T: ConvolutionScalar>(_ l: ConvLayout, _ cols: UnsafePointer<T>, group: Int, n0: Int, count: Int,
                                             _ dx: UnsafeMutablePointer<T>, threads: Bool) {
        let ld = count * l.p
        let g = l.geo
        let taps = l.kh * l.kw
        Threading.forEachChunk(count, minimumParallel: threads ? minimumUnits(elementsPerUnit: l.k * l.p) : Int.max) { samples in
            for s in samples {
                for r in 0..<l.k {
                    let c = r / taps, i = (r % taps) / l.kw, j = r % l.kw
                    let row = cols + r * ld + s * l.p
                    let offW = j * g.dilationW - g.padW
                    let (lo, hi) = validRange(offset: offW, stride: g.strideW, width: l.w, outputs: l.ow)
                    if hi <= lo { continue }
                    let plane = dx + ((n0 + s) * l.c + group * l.cg + c) * l.h * l.w
                    // The whole output plane lies inside the input (as in im2col): one call adds
                    // its OH rows of OW elements.
                    let ih0 = -g.padH + i * g.dilationH, ihLast = ih0 + (l.oh - 1) * g.strideH
                    if g.strideW == 1 && lo == 0 && hi == l.ow && ih0 >= 0 && ihLast < l.h {
                        T.addRows(row, srcStride: l.ow, plane + ih0 * l.w + offW, dstStride: g.strideH * l.w,
                                  rows: l.oh, count: l.ow)
                        continue
                    }
                    for oh in 0..<l.oh {
                        let ih = oh * g.strideH - g.padH + i * g.dilationH
                        if ih < 0 || ih >= l.h { continue }
                        let src = row + oh * l.ow
                        let dst = plane + ih * l.w + offW
                        if g.strideW == 1 {
                            for q in lo..<hi { dst[q] += src[q] }
                        } else {
                            let sw = g.strideW
                            for q in lo..<hi { dst[q * sw] += src[q] }
                        }
                    }
                }
            }
        }
    }
}
