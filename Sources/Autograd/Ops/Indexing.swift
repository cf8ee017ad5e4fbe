// Indexing reads: integers, ranges with steps, new axes, `...`; integer-array gathers (whose
// gradient accumulates repeated indices) and boolean masks.

/// One entry of a tensor subscript.
public enum TensorIndex: Sendable, Equatable {
    /// A single position (negative counts from the end); removes the dimension.
    case index(Int)
    /// Positions `start..<end` by `step` (`nil` bounds mean the whole extent, as in NumPy `a:b:c`).
    case range(Int?, Int?, step: Int)
    /// A new dimension of size 1 (NumPy `None`/`newaxis`).
    case newAxis
    /// As many `.all` as needed to index every dimension (NumPy `...`).
    case ellipsis
    /// The whole dimension (NumPy `:`).
    case all
}

/// A value usable in a tensor subscript: `Int`, Swift ranges, `stride(from:to:by:)`, ``TensorIndex``.
public protocol TensorIndexConvertible {
    /// This value as a ``TensorIndex``.
    var tensorIndex: TensorIndex { get }
}

extension TensorIndex: TensorIndexConvertible { public var tensorIndex: TensorIndex { self } }
extension Int: TensorIndexConvertible { public var tensorIndex: TensorIndex { .index(self) } }
extension Range: TensorIndexConvertible where Bound == Int {
    /// This range as a ``TensorIndex``.
    public var tensorIndex: TensorIndex { .range(lowerBound, upperBound, step: 1) }
}
extension ClosedRange: TensorIndexConvertible where Bound == Int {
    /// This range as a ``TensorIndex``.
    public var tensorIndex: TensorIndex { .range(lowerBound, upperBound + 1, step: 1) }
}
extension PartialRangeFrom: TensorIndexConvertible where Bound == Int {
    /// This range as a ``TensorIndex``.
    public var tensorIndex: TensorIndex { .range(lowerBound, nil, step: 1) }
}
extension PartialRangeUpTo: TensorIndexConvertible where Bound == Int {
    /// This range as a ``TensorIndex``.
    public var tensorIndex: TensorIndex { .range(nil, upperBound, step: 1) }
}
extension PartialRangeThrough: TensorIndexConvertible where Bound == Int {
    /// This range as a ``TensorIndex``.
    public var tensorIndex: TensorIndex { .range(nil, upperBound + 1, step: 1) }
}
extension StrideTo: TensorIndexConvertible where Element == Int {
    /// This range as a ``TensorIndex``.
    public var tensorIndex: TensorIndex {
        // StrideTo hides its fields; recover them from the sequence itself.
        var it = makeIterator()
        guard let first = it.next() else { return .range(0, 0, step: 1) }
        let second = it.next()
        let all = Array(self)
        let step = second.map { $0 - first } ?? 1
        let end = all.last! + (step > 0 ? 1 : -1)
        return .range(first, end < 0 ? nil : end, step: step)
    }
}

/// The layout of a basic-indexing view: result shape, strides and offset relative to the source.
struct SliceLayout: Sendable {
    var shape: [Int]
    var strides: [Int]
    var offset: Int

    init(source shape: [Int], strides: [Int], indices: [TensorIndex]) {
        let explicit = indices.filter { $0 != .newAxis && $0 != .ellipsis }.count
        require(explicit <= shape.count, "subscript: \(explicit) indices for a tensor of shape \(shape)")
        require(indices.filter { $0 == .ellipsis }.count <= 1, "subscript: more than one ellipsis")
        var expanded: [TensorIndex] = []
        for i in indices {
            if i == .ellipsis {
                expanded += Array(repeating: .all, count: shape.count - explicit)
            } else {
                expanded.append(i)
            }
        }
        while expanded.filter({ $0 != .newAxis }).count < shape.count { expanded.append(.all) }
        var outShape: [Int] = [], outStrides: [Int] = [], offset = 0, d = 0
        for i in expanded {
            switch i {
            case .newAxis:
                outShape.append(1); outStrides.append(0)
            case .index(let k):
                let n = shape[d]
                let kk = k < 0 ? k + n : k
                require(kk >= 0 && kk < n, "subscript: index \(k) is out of range for dimension \(d) of shape \(shape)")
                offset += kk * strides[d]
                d += 1
            case .all:
                outShape.append(shape[d]); outStrides.append(strides[d]); d += 1
            case let .range(lo, hi, step):
                require(step != 0, "subscript: slice step must not be zero")
                let n = shape[d]
                func clampBound(_ v: Int, _ lowest: Int, _ highest: Int) -> Int {
                    let w = v < 0 ? v + n : v
                    return Swift.min(Swift.max(w, lowest), highest)
                }
                let start = lo.map { step > 0 ? clampBound($0, 0, n) : clampBound($0, -1, n - 1) } ?? (step > 0 ? 0 : n - 1)
                let end = hi.map { step > 0 ? clampBound($0, 0, n) : clampBound($0, -1, n - 1) } ?? (step > 0 ? n : -1)
                let len = step > 0 ? Swift.max(0, (end - start + step - 1) / step) : Swift.max(0, (start - end - step - 1) / -step)
                if len > 0 { offset += start * strides[d] }
                outShape.append(len); outStrides.append(strides[d] * step); d += 1
            case .ellipsis:
                break
            }
        }
        self.shape = outShape
        self.strides = outStrides
        self.offset = offset
    }
}

extension Primitives {
    static func sliceView(_ x: Tensor, _ indices: [TensorIndex]) -> Tensor {
        let l = SliceLayout(source: x.shape, strides: x.strides, indices: indices)
        return x.view(shape: l.shape, strides: l.strides, offset: x.offset + l.offset)
    }

    static func slice(_ indices: [TensorIndex]) -> UnaryPrimitive {
        UnaryPrimitive("slice",
            forward: { x in sliceView(x, indices) },
            vjp: { g, _, x in Primitives.sliceAdjoint(indices, shape: x.shape)(g) },
            jvp: { dx, _, _ in Primitives.slice(indices)(dx) })
    }

    /// Places a slice's cotangent into zeros of the source shape (the adjoint of `slice`).
    static func sliceAdjoint(_ indices: [TensorIndex], shape: [Int]) -> UnaryPrimitive {
        UnaryPrimitive("sliceAdjoint",
            forward: { g in
                let out = Tensor.zeros(shape, dtype: g.dtype)
                let l = SliceLayout(source: shape, strides: out.strides, indices: indices)
                Kernels.copy(g, into: out.view(shape: l.shape, strides: l.strides, offset: l.offset))
                return out
            },
            vjp: { h, _, _ in Primitives.slice(indices)(h) },
            jvp: { dg, _, _ in Primitives.sliceAdjoint(indices, shape: shape)(dg) })
    }

    static func gather(axis: Int) -> NaryPrimitive {
        NaryPrimitive("gather",
            forward: { a in Kernels.gather(a[0], indices: a[1], axis: axis) },
            vjp: { g, _, a, i in
                i == 0 ? Primitives.scatterAdd(axis: axis, size: a[0].shape[axis])([g, a[1]]) : nil
            },
            jvp: { t, _, a in Primitives.gather(axis: axis)([t[0]!, a[1]]) })
    }

    /// Adds slices of `g` into zeros at the given indices along `axis` (the adjoint of `gather`).
    static func scatterAdd(axis: Int, size: Int) -> NaryPrimitive {
        NaryPrimitive("scatterAdd",
            forward: { a in Kernels.scatterAdd(a[0], indices: a[1], axis: axis, size: size) },
            vjp: { h, _, a, i in i == 0 ? Primitives.gather(axis: axis)([h, a[1]]) : nil },
            jvp: { t, _, a in Primitives.scatterAdd(axis: axis, size: size)([t[0]!, a[1]]) })
    }
}

extension Kernels {
    /// `out[..., j, ...] = x[..., indices[j], ...]` along `axis`; `indices` may have any shape,
    /// which replaces dimension `axis`.
    static func gather(_ x: Tensor, indices: Tensor, axis: Int) -> Tensor {
        require(indices.dtype == .int64, "gather: indices must be int64, got \(indices.dtype) of shape \(indices.shape)")
        let idx = indices.scalars(as: Int.self)
        let n = x.shape[axis]
        let xc = x.contiguous()
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        let outShape = Array(x.shape[..<axis]) + indices.shape + Array(x.shape[(axis + 1)...])
        let out = Tensor.uninitialized(shape: outShape, dtype: x.dtype)
        let es = x.dtype.byteSize
        let src = xc.rawPointer, dst = out.rawPointer
        withExtendedLifetime(xc) {
            for o in 0..<outer {
                for (j, k) in idx.enumerated() {
                    let kk = k < 0 ? k + n : k
                    require(kk >= 0 && kk < n, "gather: index \(k) is out of range for dimension \(axis) of shape \(x.shape)")
                    (dst + ((o * idx.count + j) * inner) * es).copyMemory(
                        from: src + ((o * n + kk) * inner) * es, byteCount: inner * es)
                }
            }
        }
        return out
    }

    /// The adjoint of ``gather(_:indices:axis:)``: sums slices of `g` into a zero tensor whose
    /// dimension `axis` has `size` entries; repeated indices accumulate.
    static func scatterAdd(_ g: Tensor, indices: Tensor, axis: Int, size: Int) -> Tensor {
        let idx = indices.scalars(as: Int.self)
        var outShape = Array(g.shape[..<axis])
        outShape.append(size)
        outShape += g.shape[(axis + indices.rank)...]
        let out = Tensor.zeros(outShape, dtype: g.dtype)
        let gc = g.contiguous()
        let outer = outShape[..<axis].reduce(1, *), inner = outShape[(axis + 1)...].reduce(1, *)
        func run<T: TensorFloat>(_: T.Type) {
            let src = gc.pointer(T.self), dst = out.pointer(T.self)
            for o in 0..<outer {
                for (j, k) in idx.enumerated() {
                    let kk = k < 0 ? k + size : k
                    let s = src + (o * idx.count + j) * inner, d = dst + (o * size + kk) * inner
                    for e in 0..<inner { d[e] += s[e] }
                }
            }
        }
        withExtendedLifetime(gc) {
            switch g.dtype {
            case .float32: run(Float.self)
            case .float64: run(Double.self)
            default: dtypeFailure("scatterAdd", expected: "a floating-point tensor", g)
            }
        }
        return out
    }
}

extension Tensor {
    /// Basic indexing: `x[0]`, `x[1..<3]`, `x[TensorIndex.all, 2]`, `x[stride(from: 0, to: 6, by: 2)]`,
    /// `x[.newAxis]`, `x[.ellipsis, 0]`. Returns a view (no copy); out-of-range integers trap with the
    /// shape in the message; ranges are clipped as in NumPy.
    public subscript(_ indices: any TensorIndexConvertible...) -> Tensor {
        self[indices.map(\.tensorIndex)]
    }

    /// Basic indexing with an array of ``TensorIndex`` values.
    public subscript(_ indices: [TensorIndex]) -> Tensor {
        node == nil ? Primitives.sliceView(self, indices) : Primitives.slice(indices)(self)
    }

    /// Integer-array indexing along `axis` (NumPy `take`): the result's dimension `axis` is replaced
    /// by the shape of `indices`. Repeated indices accumulate in the gradient.
    public func gather(_ indices: Tensor, axis: Int = 0) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, shape: shape, op: "gather")
        if node == nil { return Kernels.gather(self, indices: indices, axis: a) }
        return Primitives.gather(axis: a)([self, indices])
    }

    /// Integer-array indexing along the first axis: `x[indices: [2, 0, 2]]`.
    public subscript(indices indices: [Int]) -> Tensor { gather(Tensor(indices, shape: [indices.count])) }

    /// Integer-array indexing along the first axis with an int64 tensor, or boolean-mask indexing
    /// with a bool tensor of the same shape (which selects the elements where it is true, as a
    /// vector in row-major order).
    public subscript(_ selector: Tensor) -> Tensor {
        switch selector.dtype {
        case .int64: return gather(selector)
        case .bool:
            require(selector.shape == shape || selector.shape == Array(shape.prefix(selector.rank)),
                         "mask subscript: mask of shape \(selector.shape) does not match tensor of shape \(shape)")
            let lead = selector.count
            let flat = reshape([lead] + Array(shape[selector.rank...]))
            let mask = selector.scalars(as: Bool.self)
            let picked = mask.indices.filter { mask[$0] }
            return flat.gather(Tensor(picked, shape: [picked.count]))
        default:
            fatalError("subscript: a tensor index must be int64 or bool, got \(selector.dtype) of shape \(selector.shape)")
        }
    }
}
