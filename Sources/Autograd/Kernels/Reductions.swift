import CKernels

/// The reductions the ops need.
enum ReductionKind {
    case sum, max, min, prod
}

extension Kernels {
    /// Reduces `x` over `axes` (sorted, unique, in range), keeping the reduced dimensions as size 1.
    static func reduce(_ x: Tensor, axes: [Int], kind: ReductionKind, op: String) -> Tensor {
        switch x.dtype {
        case .float32: return reduce(x, axes: axes, kind: kind, Float.self)
        case .float64: return reduce(x, axes: axes, kind: kind, Double.self)
        default: dtypeFailure(op, expected: "a floating-point tensor", x)
        }
    }

    @inline(__always)
    static func combine<T: TensorFloat>(_ kind: ReductionKind, _ a: T, _ b: T) -> T {
        switch kind {
        case .sum: return a + b
        case .prod: return a * b
        case .max: return a.isNaN || a >= b ? a : b
        case .min: return a.isNaN || a <= b ? a : b
        }
    }

    static func identity<T: TensorFloat>(_ kind: ReductionKind, _: T.Type) -> T {
        switch kind {
        case .sum: return 0
        case .prod: return 1
        case .max: return -T.infinity
        case .min: return T.infinity
        }
    }

    /// Sum of `n` contiguous values, accumulated in double precision with vectorised partial sums.
    @inline(__always)
    ///
    /// Long sums are cut into fixed blocks of 2^18 elements whose partial sums (computed in
    /// parallel when threads are available) are added in order, so the result is the same for
    /// every thread count.
    static func sumContiguous<T: TensorFloat>(_ p: UnsafePointer<T>, _ n: Int) -> T {
        let block = 1 << 18
        if n <= block { return T(blockSum(p, n)) }
        let blocks = (n + block - 1) / block
        var partial = [Double](repeating: 0, count: blocks)
        partial.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Threading.forEachChunk(blocks, minimumParallel: 2) { r in
                for b in r { base[b] = blockSum(p + b * block, Swift.min(block, n - b * block)) }
            }
        }
        var total = 0.0
        for v in partial { total += v }
        return T(total)
    }

    @inline(__always)
    static func blockSum<T: TensorFloat>(_ p: UnsafePointer<T>, _ n: Int) -> Double {
        if T.self == Float.self {
            return ag_sum_f32(UnsafeRawPointer(p).assumingMemoryBound(to: Float.self), n)
        }
        return ag_sum_f64(UnsafeRawPointer(p).assumingMemoryBound(to: Double.self), n)
    }

    static func reduce<T: TensorFloat>(_ x: Tensor, axes: [Int], kind: ReductionKind, _: T.Type) -> Tensor {
        var outShape = x.shape
        for a in axes { outShape[a] = 1 }
        let out = Tensor.uninitialized(shape: outShape, dtype: x.dtype)
        let dst = out.pointer(T.self)
        let rank = x.rank
        // Split into kept-leading / reduced-trailing or reduced-leading / kept-trailing blocks.
        let reducedCount = axes.reduce(1) { $0 * x.shape[$1] }
        let trailing = !axes.isEmpty && axes == Array((rank - axes.count)..<rank)
        let leading = !axes.isEmpty && axes == Array(0..<axes.count)
        /// Reduces each of `out.count` consecutive rows of `reducedCount` elements of `rowMajor`.
        func reduceRows(of rowMajor: Tensor) {
            let src = rowMajor.pointer(T.self), n = reducedCount
            withExtendedLifetime(rowMajor) {
                for r in 0..<out.count {
                    let row = src + r * n
                    if kind == .sum { dst[r] = sumContiguous(row, n); continue }
                    var acc = identity(kind, T.self)
                    for j in 0..<n { acc = combine(kind, acc, row[j]) }
                    dst[r] = acc
                }
            }
        }
        if x.isContiguous && (trailing || axes.count == rank) {
            reduceRows(of: x)
            return out
        }
        if x.isContiguous && leading {
            let inner = out.count, n = reducedCount
            let src = x.pointer(T.self)
            withExtendedLifetime(x) {
                dst.initialize(from: src, count: inner)
                for r in 1..<Swift.max(n, 1) {
                    let row = src + r * inner
                    for j in 0..<inner { dst[j] = combine(kind, dst[j], row[j]) }
                }
                if n == 0 { dst.initialize(repeating: identity(kind, T.self), count: inner) }
            }
            return out
        }
        // General case: move reduced axes last, copy contiguous, reduce rows.
        let kept = (0..<rank).filter { !axes.contains($0) }
        reduceRows(of: x.permutedView(kept + axes).contiguous())
        return out
    }

    /// Index of the largest (or smallest) element along `axis`, as int64 with that axis removed.
    static func argExtremum(_ x: Tensor, axis: Int, largest: Bool) -> Tensor {
        let rank = x.rank
        let kept = (0..<rank).filter { $0 != axis }
        let moved = x.permutedView(kept + [axis]).contiguous().convertedData(to: .float64)
        let n = x.shape[axis]
        require(n > 0, "\(largest ? "argmax" : "argmin"): axis \(axis) of shape \(x.shape) is empty")
        let outShape = kept.map { x.shape[$0] }
        let out = Tensor.uninitialized(shape: outShape, dtype: .int64)
        let src = moved.pointer(Double.self), dst = out.pointer(Int.self)
        withExtendedLifetime(moved) {
            for r in 0..<out.count {
                let row = src + r * n
                var best = 0
                for j in 1..<Swift.max(n, 1) {
                    if row[best].isNaN { break }
                    if row[j].isNaN || (largest ? row[j] > row[best] : row[j] < row[best]) { best = j }
                }
                dst[r] = best
            }
        }
        return out
    }
}

extension Tensor {
    /// A view with dimensions permuted (no copy, no tracing).
    func permutedView(_ perm: [Int]) -> Tensor {
        let s = strides
        return Tensor(viewing: self, shape: perm.map { shape[$0] }, strides: perm.map { s[$0] }, offset: offset)
    }
}
