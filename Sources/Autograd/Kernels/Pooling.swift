// Pooling kernels (no autodiff) over the last two dimensions of N×C×H×W tensors, one plane
// (sample, channel) at a time, planes split across threads above a size threshold. 1-d pooling
// runs as 2-d pooling of height 1.
//
// Max pooling records, for every output, the flat position (`ih·W + iw`) of the maximum inside its
// plane; the differentiable op is then a gather at those positions, whose adjoint is a scatter-add
// (``Kernels/poolScatter(_:indices:inputShape:)``).

/// Kernel size, stride and padding of a 2-d pooling window.
struct PoolGeometry: Sendable, Hashable, CustomStringConvertible {
    var kernelH: Int, kernelW: Int
    var strideH: Int, strideW: Int
    var padH = 0, padW = 0

    /// The output size for an `h`×`w` input (PyTorch's floor mode).
    func outputSize(h: Int, w: Int) -> (Int, Int) {
        let oh = h + 2 * padH - kernelH, ow = w + 2 * padW - kernelW
        return (oh < 0 ? 0 : oh / strideH + 1, ow < 0 ? 0 : ow / strideW + 1)
    }

    var description: String {
        "kernel (\(kernelH), \(kernelW)), stride (\(strideH), \(strideW)), padding (\(padH), \(padW))"
    }
}

extension Kernels {
    /// Elements per thread below which pooling stays on one thread.
    static let poolParallelElements = 1 << 15

    /// Runs `body` over the planes `0..<planes` in parallel chunks when `planes · planeSize` is large.
    @inline(__always)
    static func forEachPlane(_ planes: Int, planeSize: Int, _ body: (Range<Int>) -> Void) {
        Threading.forEachChunk(planes, minimumParallel: Swift.max(2, poolParallelElements / Swift.max(planeSize, 1)), body)
    }

    /// Max pooling of N×C×H×W `x`: the maxima (N×C×oH×oW) and the flat in-plane positions of the
    /// maxima (int64, same shape). The first maximum in window order wins; a NaN wins over numbers
    /// (as in PyTorch). Padding never wins.
    static func maxPool2d(_ x: Tensor, _ geo: PoolGeometry) -> (values: Tensor, indices: Tensor) {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let (oh, ow) = geo.outputSize(h: h, w: w)
        let values = Tensor.uninitialized(shape: [n, c, oh, ow], dtype: x.dtype)
        let indices = Tensor.uninitialized(shape: [n, c, oh, ow], dtype: .int64)
        if values.count == 0 { return (values, indices) }
        let xc = x.contiguous()
        func run<T: TensorFloat>(_: T.Type) {
            let src = xc.pointer(T.self), dst = values.pointer(T.self), idx = indices.pointer(Int.self)
            forEachPlane(n * c, planeSize: h * w) { planes in
                for plane in planes {
                    let xp = src + plane * h * w, vp = dst + plane * oh * ow, ip = idx + plane * oh * ow
                    if geo.kernelH == 2 && geo.kernelW == 2 && geo.strideH == 2 && geo.strideW == 2
                        && geo.padH == 0 && geo.padW == 0 {
                        // The common 2×2 / stride 2 window: no bounds checks, and selects instead of
                        // branches (the comparisons are unpredictable on real data).
                        if T.self == Float.self {
                            maxPool2x2(UnsafeRawPointer(xp).assumingMemoryBound(to: Float.self),
                                       UnsafeMutableRawPointer(vp).assumingMemoryBound(to: Float.self), ip,
                                       w: w, oh: oh, ow: ow)
                            continue
                        }
                        for r in 0..<oh {
                            let row0 = xp + 2 * r * w, row1 = row0 + w
                            let base0 = 2 * r * w, base1 = base0 + w
                            for q in 0..<ow {
                                let a = row0[2 * q], b = row0[2 * q + 1], cc = row1[2 * q], d = row1[2 * q + 1]
                                // `take` is 1 where the candidate wins (greater, or NaN), as an
                                // integer so that the compiler emits selects, not branches.
                                var best = a, at = base0 + 2 * q
                                var take = (b > best ? 1 : 0) | (b != b ? 1 : 0)
                                best = take != 0 ? b : best
                                at &+= take &* 1
                                take = (cc > best ? 1 : 0) | (cc != cc ? 1 : 0)
                                best = take != 0 ? cc : best
                                at = take != 0 ? base1 + 2 * q : at
                                take = (d > best ? 1 : 0) | (d != d ? 1 : 0)
                                best = take != 0 ? d : best
                                at = take != 0 ? base1 + 2 * q + 1 : at
                                vp[r * ow + q] = best
                                ip[r * ow + q] = at
                            }
                        }
                        continue
                    }
                    for r in 0..<oh {
                        let h0 = r * geo.strideH - geo.padH
                        let hLo = Swift.max(h0, 0), hHi = Swift.min(h0 + geo.kernelH, h)
                        for q in 0..<ow {
                            let w0 = q * geo.strideW - geo.padW
                            let wLo = Swift.max(w0, 0), wHi = Swift.min(w0 + geo.kernelW, w)
                            var best = -T.infinity, at = hLo * w + wLo
                            var found = false
                            for ih in hLo..<hHi {
                                for iw in wLo..<wHi {
                                    let v = xp[ih * w + iw]
                                    if !found || v > best || v.isNaN {
                                        best = v; at = ih * w + iw; found = true
                                    }
                                }
                            }
                            vp[r * ow + q] = best
                            ip[r * ow + q] = at
                        }
                    }
                }
            }
        }
        withLifetimes(xc, values, indices) {
            switch x.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("maxPool2d", expected: "a floating-point tensor", x)
            }
        }
        return (values, indices)
    }

    /// 2×2 / stride 2 max pooling of one float32 plane, eight (or four) outputs at a time with
    /// SIMD selects; a row whose width is not a multiple of the block ends with one overlapping
    /// block. Same results as the scalar loop: the first maximum wins, a NaN wins over numbers and
    /// over an earlier NaN.
    static func maxPool2x2(_ xp: UnsafePointer<Float>, _ vp: UnsafeMutablePointer<Float>, _ ip: UnsafeMutablePointer<Int>,
                           w: Int, oh: Int, ow: Int) {
        guard w < Int(Int32.max) - 16 else {
            for r in 0..<oh { maxPool2x2Scalar(xp, vp, ip, w: w, r: r, ow: ow, from: 0) }
            return
        }
        for r in 0..<oh {
            if ow >= 8 {
                var q = 0
                while q + 8 <= ow {
                    maxPool2x2Block8(xp, vp, ip, w: w, r: r, ow: ow, q: q)
                    q += 8
                }
                if q < ow { maxPool2x2Block8(xp, vp, ip, w: w, r: r, ow: ow, q: ow - 8) }
            } else if ow >= 4 {
                maxPool2x2Block4(xp, vp, ip, w: w, r: r, ow: ow, q: 0)
                if ow > 4 { maxPool2x2Block4(xp, vp, ip, w: w, r: r, ow: ow, q: ow - 4) }
            } else {
                maxPool2x2Scalar(xp, vp, ip, w: w, r: r, ow: ow, from: 0)
            }
        }
    }

    /// One block of 8 outputs of row `r` starting at column `q`.
    @inline(__always)
    static func maxPool2x2Block8(_ xp: UnsafePointer<Float>, _ vp: UnsafeMutablePointer<Float>,
                                _ ip: UnsafeMutablePointer<Int>, w: Int, r: Int, ow: Int, q: Int) {
        let row0 = xp + 2 * r * w, row1 = row0 + w
        let u0 = UnsafeRawPointer(row0 + 2 * q).loadUnaligned(as: SIMD16<Float>.self)
        let u1 = UnsafeRawPointer(row1 + 2 * q).loadUnaligned(as: SIMD16<Float>.self)
        let a = u0.evenHalf, b = u0.oddHalf, c = u1.evenHalf, d = u1.oddHalf
        // Best of each horizontal pair (the right one wins if greater or NaN), then the lower pair
        // wins if greater or NaN (a later NaN wins, as in the scalar loop).
        let t0 = (b .> a) .| (b .!= b)
        let m0 = a.replacing(with: b, where: t0)
        let t1 = (d .> c) .| (d .!= d)
        let m1 = c.replacing(with: d, where: t1)
        let t = (m1 .> m0) .| (m1 .!= m1)
        UnsafeMutableRawPointer(vp + r * ow + q).storeBytes(of: m0.replacing(with: m1, where: t), as: SIMD8<Float>.self)
        // Positions: 2q + lane, plus 1 for the right column, plus w for the lower row.
        let column = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14) &+ Int32(2 * q)
        let upper = column.replacing(with: column &+ 1, where: t0)
        let lower = column.replacing(with: column &+ 1, where: t1) &+ Int32(w)
        let at = upper.replacing(with: lower, where: t)
        UnsafeMutableRawPointer(ip + r * ow + q).storeBytes(
            of: SIMD8<Int>(truncatingIfNeeded: at) &+ (2 * r * w), as: SIMD8<Int>.self)
    }

    /// One block of 4 outputs of row `r` starting at column `q`.
    @inline(__always)
    static func maxPool2x2Block4(_ xp: UnsafePointer<Float>, _ vp: UnsafeMutablePointer<Float>,
                                _ ip: UnsafeMutablePointer<Int>, w: Int, r: Int, ow: Int, q: Int) {
        let row0 = xp + 2 * r * w, row1 = row0 + w
        let u0 = UnsafeRawPointer(row0 + 2 * q).loadUnaligned(as: SIMD8<Float>.self)
        let u1 = UnsafeRawPointer(row1 + 2 * q).loadUnaligned(as: SIMD8<Float>.self)
        let a = u0.evenHalf, b = u0.oddHalf, c = u1.evenHalf, d = u1.oddHalf
        // Best of each horizontal pair (the right one wins if greater or NaN), then the lower pair
        // wins if greater or NaN (a later NaN wins, as in the scalar loop).
        let t0 = (b .> a) .| (b .!= b)
        let m0 = a.replacing(with: b, where: t0)
        let t1 = (d .> c) .| (d .!= d)
        let m1 = c.replacing(with: d, where: t1)
        let t = (m1 .> m0) .| (m1 .!= m1)
        UnsafeMutableRawPointer(vp + r * ow + q).storeBytes(of: m0.replacing(with: m1, where: t), as: SIMD4<Float>.self)
        // Positions: 2q + lane, plus 1 for the right column, plus w for the lower row.
        let column = SIMD4<Int32>(0, 2, 4, 6) &+ Int32(2 * q)
        let upper = column.replacing(with: column &+ 1, where: t0)
        let lower = column.replacing(with: column &+ 1, where: t1) &+ Int32(w)
        let at = upper.replacing(with: lower, where: t)
        UnsafeMutableRawPointer(ip + r * ow + q).storeBytes(
            of: SIMD4<Int>(truncatingIfNeeded: at) &+ (2 * r * w), as: SIMD4<Int>.self)
    }

    /// Outputs `from..<ow` of row `r`, one at a time.
    static func maxPool2x2Scalar(_ xp: UnsafePointer<Float>, _ vp: UnsafeMutablePointer<Float>, _ ip: UnsafeMutablePointer<Int>,
                                 w: Int, r: Int, ow: Int, from: Int) {
        let row0 = xp + 2 * r * w, row1 = row0 + w
        let base0 = 2 * r * w, base1 = base0 + w
        for q in from..<ow {
            let a = row0[2 * q], b = row0[2 * q + 1], c = row1[2 * q], d = row1[2 * q + 1]
            let t0 = b > a || b.isNaN, t1 = d > c || d.isNaN
            let m0 = t0 ? b : a, m1 = t1 ? d : c
            let i0 = base0 + 2 * q + (t0 ? 1 : 0), i1 = base1 + 2 * q + (t1 ? 1 : 0)
            let t = m1 > m0 || m1.isNaN
            vp[r * ow + q] = t ? m1 : m0
            ip[r * ow + q] = t ? i1 : i0
        }
    }

    /// `out[plane, j] = x[plane, indices[plane, j]]` for N×C×H×W `x` and N×C×oH×oW `indices`.
    static func poolGather(_ x: Tensor, indices: Tensor) -> Tensor {
        let planes = x.shape[0] * x.shape[1], planeIn = x.shape[2] * x.shape[3]
        let planeOut = indices.shape[2] * indices.shape[3]
        let out = Tensor.uninitialized(shape: indices.shape, dtype: x.dtype)
        if out.count == 0 { return out }
        let xc = x.contiguous()
        func run<T: TensorFloat>(_: T.Type) {
            let src = xc.pointer(T.self), dst = out.pointer(T.self), idx = indices.pointer(Int.self)
            forEachPlane(planes, planeSize: planeOut) { range in
                for plane in range {
                    let xp = src + plane * planeIn, op = dst + plane * planeOut, ip = idx + plane * planeOut
                    for j in 0..<planeOut { op[j] = xp[ip[j]] }
                }
            }
        }
        withLifetimes(xc, out, indices) {
            switch x.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("maxPool2d", expected: "a floating-point tensor", x)
            }
        }
        return out
    }

    /// The adjoint of ``poolGather(_:indices:)``: zeros of `inputShape` with every `g[plane, j]`
    /// added at `indices[plane, j]` (overlapping windows accumulate).
    static func poolScatter(_ g: Tensor, indices: Tensor, inputShape: [Int]) -> Tensor {
        let planes = inputShape[0] * inputShape[1], planeIn = inputShape[2] * inputShape[3]
        let planeOut = indices.shape[2] * indices.shape[3]
        if g.count == 0 || inputShape.reduce(1, *) == 0 { return Tensor.zeros(inputShape, dtype: g.dtype) }
        // Each plane is zeroed just before its scatter (in cache), not in a pass of its own.
        let out = Tensor.uninitialized(shape: inputShape, dtype: g.dtype)
        let gc = g.contiguous()
        func run<T: TensorFloat>(_: T.Type) {
            let src = gc.pointer(T.self), dst = out.pointer(T.self), idx = indices.pointer(Int.self)
            forEachPlane(planes, planeSize: planeIn) { range in
                for plane in range {
                    let gp = src + plane * planeOut, op = dst + plane * planeIn, ip = idx + plane * planeOut
                    op.update(repeating: 0, count: planeIn)
                    for j in 0..<planeOut { op[ip[j]] += gp[j] }
                }
            }
        }
        withLifetimes(gc, out, indices) {
            switch g.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("maxPool2d", expected: "a floating-point tensor", g)
            }
        }
        return out
    }

    /// Average pooling of N×C×H×W `x`. With `countIncludePad` every window is divided by
    /// kH·kW (PyTorch's default); otherwise by the number of input elements it covers.
    static func avgPool2d(_ x: Tensor, _ geo: PoolGeometry, countIncludePad: Bool) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let (oh, ow) = geo.outputSize(h: h, w: w)
        let out = Tensor.uninitialized(shape: [n, c, oh, ow], dtype: x.dtype)
        if out.count == 0 { return out }
        let xc = x.contiguous()
        func run<T: TensorFloat>(_: T.Type) {
            let src = xc.pointer(T.self), dst = out.pointer(T.self)
            forEachPlane(n * c, planeSize: h * w) { planes in
                for plane in planes {
                    let xp = src + plane * h * w, op = dst + plane * oh * ow
                    for r in 0..<oh {
                        let h0 = r * geo.strideH - geo.padH
                        let hLo = Swift.max(h0, 0), hHi = Swift.min(h0 + geo.kernelH, h)
                        for q in 0..<ow {
                            let w0 = q * geo.strideW - geo.padW
                            let wLo = Swift.max(w0, 0), wHi = Swift.min(w0 + geo.kernelW, w)
                            var s: T = 0
                            for ih in hLo..<hHi {
                                for iw in wLo..<wHi { s += xp[ih * w + iw] }
                            }
                            let divisor = countIncludePad ? geo.kernelH * geo.kernelW : (hHi - hLo) * (wHi - wLo)
                            op[r * ow + q] = s / T(divisor)
                        }
                    }
                }
            }
        }
        withLifetimes(xc, out) {
            switch x.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("avgPool2d", expected: "a floating-point tensor", x)
            }
        }
        return out
    }

    /// The adjoint of ``avgPool2d(_:_:countIncludePad:)``: spreads each `g` entry, divided by its
    /// window's divisor, over the window, into zeros of N×C×`inputSize`.
    static func avgPool2dAdjoint(_ g: Tensor, _ geo: PoolGeometry, countIncludePad: Bool, inputSize: (Int, Int)) -> Tensor {
        let n = g.shape[0], c = g.shape[1], h = inputSize.0, w = inputSize.1
        let oh = g.shape[2], ow = g.shape[3]
        let out = Tensor.zeros([n, c, h, w], dtype: g.dtype)
        if g.count == 0 || out.count == 0 { return out }
        let gc = g.contiguous()
        func run<T: TensorFloat>(_: T.Type) {
            let src = gc.pointer(T.self), dst = out.pointer(T.self)
            forEachPlane(n * c, planeSize: h * w) { planes in
                for plane in planes {
                    let gp = src + plane * oh * ow, op = dst + plane * h * w
                    for r in 0..<oh {
                        let h0 = r * geo.strideH - geo.padH
                        let hLo = Swift.max(h0, 0), hHi = Swift.min(h0 + geo.kernelH, h)
                        for q in 0..<ow {
                            let w0 = q * geo.strideW - geo.padW
                            let wLo = Swift.max(w0, 0), wHi = Swift.min(w0 + geo.kernelW, w)
                            let divisor = countIncludePad ? geo.kernelH * geo.kernelW : (hHi - hLo) * (wHi - wLo)
                            let v = gp[r * ow + q] / T(divisor)
                            for ih in hLo..<hHi {
                                for iw in wLo..<wHi { op[ih * w + iw] += v }
                            }
                        }
                    }
                }
            }
        }
        withLifetimes(gc, out) {
            switch g.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("avgPool2d", expected: "a floating-point tensor", g)
            }
        }
        return out
    }
}
