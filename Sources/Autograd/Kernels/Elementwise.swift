/// Elementwise kernels: contiguous loops the compiler vectorises, a scalar-broadcast path, and a
/// general strided path for broadcasting and non-contiguous views. No autodiff here.
///
/// Each kernel is generic over an element-function *type* (``ElementFunction1``,
/// ``ElementFunction2``), not a closure value, so that every loop — including the ones handed to
/// worker threads — is specialised for its function and dtype (no per-element dynamic dispatch).
enum Kernels {}

/// A function of one element, as a type so that kernels specialise on it.
protocol ElementFunction1 {
    associatedtype Input
    associatedtype Output
    static func apply(_ x: Input) -> Output
}

/// A function of two elements of the same type, as a type so that kernels specialise on it.
protocol ElementFunction2 {
    associatedtype Input
    associatedtype Output
    static func apply(_ x: Input, _ y: Input) -> Output
}

extension Kernels {
    /// `out[i] = f(x[i])` for contiguous `x`, in parallel chunks for large inputs.
    @inline(__always)
    static func map<E: ElementFunction1>(_ x: Tensor, to dtype: DType, minimumParallel: Int = 1 << 16,
                                         _: E.Type) -> Tensor {
        let x = x.contiguous()
        let out = Tensor.uninitialized(like: x, dtype: dtype)
        let src = x.pointer(E.Input.self), dst = out.pointer(E.Output.self)
        withExtendedLifetime(x) {
            Threading.forEachChunk(x.count, minimumParallel: minimumParallel) { r in
                for i in r { dst[i] = E.apply(src[i]) }
            }
        }
        return out
    }

    /// Applies a contiguous-array kernel `f(src, dst, n)` (for example a vectorised C function).
    @inline(__always)
    static func mapBuffer<T>(_ x: Tensor, minimumParallel: Int = 1 << 15,
                             _ f: (UnsafePointer<T>, UnsafeMutablePointer<T>, Int) -> Void) -> Tensor {
        let x = x.contiguous()
        let out = Tensor.uninitialized(like: x)
        let src = x.pointer(T.self), dst = out.pointer(T.self)
        withExtendedLifetime(x) {
            Threading.forEachChunk(x.count, minimumParallel: minimumParallel) { r in
                f(src + r.lowerBound, dst + r.lowerBound, r.count)
            }
        }
        return out
    }

    /// `out = f(x, y)` elementwise with NumPy broadcasting.
    @inline(__always)
    static func zip<E: ElementFunction2>(_ x: Tensor, _ y: Tensor, to dtype: DType, op: String,
                                         _: E.Type) -> Tensor {
        typealias T = E.Input
        typealias R = E.Output
        @inline(__always) func f(_ a: T, _ b: T) -> R { E.apply(a, b) }
        if x.rank == 0 && y.rank == 0 {
            let out = Tensor.uninitialized(like: x, dtype: dtype)
            out.pointer(R.self).initialize(to: f(x.pointer(T.self).pointee, y.pointer(T.self).pointee))
            return out
        }
        if x.shape == y.shape && x.isContiguous && y.isContiguous {
            let out = Tensor.uninitialized(like: x, dtype: dtype)
            let a = x.pointer(T.self), b = y.pointer(T.self), c = out.pointer(R.self)
            withLifetimes(x, y) {
                Threading.forEachChunk(x.count) { r in
                    for i in r { c[i] = f(a[i], b[i]) }
                }
            }
            return out
        }
        if y.isBroadcastScalar && x.isContiguous && y.rank <= x.rank && (y.count == 1 || y.shape == x.shape) {
            let out = Tensor.uninitialized(like: x, dtype: dtype)
            let a = x.pointer(T.self), c = out.pointer(R.self)
            let s = y.pointer(T.self).pointee
            withLifetimes(x, y) {
                Threading.forEachChunk(x.count) { r in
                    for i in r { c[i] = f(a[i], s) }
                }
            }
            return out
        }
        if x.isBroadcastScalar && y.isContiguous && x.rank <= y.rank && (x.count == 1 || x.shape == y.shape) {
            let out = Tensor.uninitialized(like: y, dtype: dtype)
            let b = y.pointer(T.self), c = out.pointer(R.self)
            let s = x.pointer(T.self).pointee
            withLifetimes(x, y) {
                Threading.forEachChunk(y.count) { r in
                    for i in r { c[i] = f(s, b[i]) }
                }
            }
            return out
        }
        let shape = broadcastShapes(x.shape, y.shape, op: op)
        let out = Tensor.uninitialized(shape: shape, dtype: dtype)
        let sx = x.broadcastStrides(to: shape), sy = y.broadcastStrides(to: shape)
        let a = x.pointer(T.self), b = y.pointer(T.self), c = out.pointer(R.self)
        withLifetimes(x, y) {
            forEachRow(shape: shape, strides: (sx, sy)) { offA, offB, offC, n, ia, ib in
                let pa = a + offA, pb = b + offB, pc = c + offC
                if ia == 1 && ib == 1 {
                    for j in 0..<n { pc[j] = f(pa[j], pb[j]) }
                } else if ia == 1 && ib == 0 {
                    let s = pb.pointee
                    for j in 0..<n { pc[j] = f(pa[j], s) }
                } else if ia == 0 && ib == 1 {
                    let s = pa.pointee
                    for j in 0..<n { pc[j] = f(s, pb[j]) }
                } else {
                    for j in 0..<n { pc[j] = f(pa[j &* ia], pb[j &* ib]) }
                }
            }
        }
        return out
    }

    /// `out = f(c, x, y)` elementwise with broadcasting over three operands (for `where`).
    @inline(__always)
    static func zip3<C, T>(_ cond: Tensor, _ x: Tensor, _ y: Tensor, to dtype: DType, op: String,
                           _ f: (C, T, T) -> T) -> Tensor {
        let shape = broadcastShapes(broadcastShapes(cond.shape, x.shape, op: op), y.shape, op: op)
        let out = Tensor.uninitialized(shape: shape, dtype: dtype)
        let sc = cond.broadcastStrides(to: shape), sx = x.broadcastStrides(to: shape),
            sy = y.broadcastStrides(to: shape)
        let pc = cond.pointer(C.self), px = x.pointer(T.self), py = y.pointer(T.self), po = out.pointer(T.self)
        withLifetimes(cond, x, y) {
            var index = [Int](repeating: 0, count: shape.count)
            for o in 0..<out.count {
                var oc = 0, ox = 0, oy = 0
                for d in 0..<shape.count { oc += index[d] * sc[d]; ox += index[d] * sx[d]; oy += index[d] * sy[d] }
                po[o] = f(pc[oc], px[ox], py[oy])
                var d = shape.count - 1
                while d >= 0 {
                    index[d] += 1
                    if index[d] < shape[d] { break }
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return out
    }

    /// Iterates over the rows (last dimension) of a broadcast iteration space of two inputs and a
    /// contiguous output, giving element offsets of the row starts and the inner strides.
    @inline(__always)
    static func forEachRow(shape: [Int], strides: ([Int], [Int]),
                           _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let rank = shape.count
        if rank == 0 { body(0, 0, 0, 1, 0, 0); return }
        let n = shape[rank - 1]
        if n == 0 { return }
        let ia = strides.0[rank - 1], ib = strides.1[rank - 1]
        var rows = 1
        for d in 0..<(rank - 1) { rows *= shape[d] }
        var index = [Int](repeating: 0, count: Swift.max(rank - 1, 1))
        var offA = 0, offB = 0
        for row in 0..<rows {
            body(offA, offB, row * n, n, ia, ib)
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                offA += strides.0[d]
                offB += strides.1[d]
                if index[d] < shape[d] { break }
                offA -= strides.0[d] * shape[d]
                offB -= strides.1[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

/// The broadcast shape of two shapes (NumPy rules), or a trap naming the op and both shapes.
func broadcastShapes(_ a: [Int], _ b: [Int], op: String) -> [Int] {
    if a == b { return a }
    let rank = Swift.max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
            fatalError("\(op): shapes \(a) and \(b) cannot be broadcast together (dimension \(i): \(da) vs \(db))")
        }
    }
    return out
}

extension Tensor {
    /// Strides that read this tensor as if broadcast to `shape` (0 along broadcast dimensions).
    func broadcastStrides(to target: [Int]) -> [Int] {
        let pad = target.count - shape.count
        var s = [Int](repeating: 0, count: target.count)
        for i in 0..<shape.count where shape[i] != 1 || target[i + pad] == 1 {
            s[i + pad] = shape[i] == 1 ? 0 : strides[i]
        }
        return s
    }

    /// Whether every stride is 0: all elements are the one value at the start (a broadcast scalar).
    var isBroadcastScalar: Bool {
        if count == 1 { return true }
        let st = buffer.layout.pointee.strides
        for v in st where v != 0 { return false }
        return true
    }

    /// Whether this is a float tensor whose every element is the single stored value 1.
    var isBroadcastOne: Bool {
        guard dtype.isFloatingPoint, isBroadcastScalar else { return false }
        return dtype == .float32 ? pointer(Float.self).pointee == 1 : pointer(Double.self).pointee == 1
    }

    /// A contiguous tensor with the same values (`self` when already contiguous).
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        return Kernels.copyToContiguous(self)
    }
}

extension Kernels {
    /// Copies any strided view into a new contiguous tensor.
    static func copyToContiguous(_ x: Tensor) -> Tensor {
        var out = Tensor.uninitialized(shape: x.shape, dtype: x.dtype)
        switch x.dtype.byteSize {
        case 8: copyStrided(x, UInt64.self, into: out)
        case 4: copyStrided(x, UInt32.self, into: out)
        default: copyStrided(x, UInt8.self, into: out)
        }
        out.node = nil
        return out
    }

    @inline(__always)
    static func copyStrided<T>(_ x: Tensor, _: T.Type, into out: Tensor) {
        let src = x.pointer(T.self), dst = out.pointer(T.self)
        let zeros = [Int](repeating: 0, count: x.rank)
        withExtendedLifetime(x) {
            forEachRow(shape: x.shape, strides: (x.strides, zeros)) { offA, _, offC, n, ia, _ in
                if ia == 1 {
                    (dst + offC).update(from: src + offA, count: n)
                } else {
                    for j in 0..<n { dst[offC + j] = src[offA + j * ia] }
                }
            }
        }
    }

    /// `acc += g` for a contiguous float tensor `acc` that the caller owns exclusively.
    static func addInPlace(_ acc: Tensor, _ g: Tensor) {
        if acc.count == 1 {
            switch acc.dtype {
            case .float32: acc.pointer(Float.self).pointee += g.pointer(Float.self).pointee
            case .float64: acc.pointer(Double.self).pointee += g.pointer(Double.self).pointee
            default: dtypeFailure("add", expected: "floating-point tensors", acc, g)
            }
            return
        }
        func run<T: TensorFloat>(_: T.Type) {
            let a = acc.pointer(T.self)
            if g.isContiguous {
                let b = g.pointer(T.self)
                Threading.forEachChunk(acc.count) { r in for i in r { a[i] += b[i] } }
            } else {
                let c = g.contiguous()
                let b = c.pointer(T.self)
                withExtendedLifetime(c) { Threading.forEachChunk(acc.count) { r in for i in r { a[i] += b[i] } } }
            }
        }
        withExtendedLifetime(g) {
            switch acc.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("add", expected: "floating-point tensors", acc, g)
            }
        }
    }

    /// `acc += scale · g` in place (`acc` contiguous and unshared, same shape and float dtype).
    static func addProductInPlace(_ acc: Tensor, _ scale: Double, _ g: Tensor) {
        func run<T: TensorFloat>(_: T.Type) {
            let a = acc.pointer(T.self)
            let c = g.isContiguous ? g : g.contiguous()
            let b = c.pointer(T.self)
            let s = T(fromDouble: scale)
            withExtendedLifetime(c) { Threading.forEachChunk(acc.count) { r in for i in r { a[i] += s * b[i] } } }
        }
        withExtendedLifetime(g) {
            switch acc.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("addProduct", expected: "floating-point tensors", acc, g)
            }
        }
    }

    /// `acc[i] += F(a[i], b[i])` in place: a cotangent sum fused with the product that feeds it (one
    /// memory pass instead of two). `acc` must be contiguous and unshared; `a` and `b` each have
    /// `acc`'s shape and are contiguous, or hold a single value (a one-element tensor, or a
    /// broadcast whose strides are all 0). Returns false, touching nothing, for any other layout or
    /// dtype.
    static func accumulate<F: BinaryNumericFunction>(into acc: Tensor, _ a: Tensor, _ b: Tensor, _: F.Type) -> Bool {
        guard acc.dtype.isFloatingPoint, a.dtype == acc.dtype, b.dtype == acc.dtype,
              let sa = unitOrZeroStride(a, like: acc), let sb = unitOrZeroStride(b, like: acc) else { return false }
        func run<T: TensorFloat>(_: T.Type) {
            let out = acc.pointer(T.self), pa = a.pointer(T.self), pb = b.pointer(T.self)
            Threading.forEachChunk(acc.count) { r in
                switch (sa, sb) {
                case (1, 1): for i in r { out[i] += F.apply(pa[i], pb[i]) }
                case (0, 1): let s = pa[0]; for i in r { out[i] += F.apply(s, pb[i]) }
                case (1, 0): let s = pb[0]; for i in r { out[i] += F.apply(pa[i], s) }
                default: let v = F.apply(pa[0], pb[0]); for i in r { out[i] += v }
                }
            }
        }
        withExtendedLifetime((a, b)) {
            if acc.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        }
        return true
    }

    /// 1 if `t` is contiguous with `acc`'s shape, 0 if it holds one value (one element, or every
    /// stride 0), nil otherwise.
    @inline(__always)
    static func unitOrZeroStride(_ t: Tensor, like acc: Tensor) -> Int? {
        if t.isContiguous, t.shape == acc.shape { return 1 }
        if t.count == 1 || t.strides.allSatisfy({ $0 == 0 }) { return 0 }
        return nil
    }

    /// Fills a contiguous tensor with one value.
    @inline(__always)
    static func fill<T>(_ out: Tensor, with value: T) {
        out.pointer(T.self).initialize(repeating: value, count: out.count)
    }
}
