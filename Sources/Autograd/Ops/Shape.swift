// Shape ops. Views (reshape of contiguous data, permute, broadcast, flip, slicing) share storage;
// each is a primitive whose VJP is the adjoint shape op.

extension Tensor {
    /// Resolves a `-1` entry and checks the element count.
    func resolvedShape(_ newShape: [Int], op: String) -> [Int] {
        var shape = newShape
        let unknown = shape.indices.filter { shape[$0] == -1 }
        require(unknown.count <= 1, "\(op): at most one -1 allowed in \(newShape)")
        let known = shape.filter { $0 != -1 }.reduce(1, *)
        if let u = unknown.first {
            require(known > 0 && count % known == 0, "\(op): cannot reshape tensor of shape \(self.shape) (\(count) elements) to \(newShape)")
            shape[u] = count / known
        }
        require(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == count,
                     "\(op): cannot reshape tensor of shape \(self.shape) (\(count) elements) to \(newShape)")
        return shape
    }

    /// Untraced reshape: a view when contiguous, else a copy.
    func reshapedData(_ newShape: [Int]) -> Tensor {
        let c = primalData.contiguous()
        return Tensor(viewing: c, shape: newShape, strides: Tensor.contiguousStrides(newShape), offset: c.offset)
    }

    /// Untraced removal of size-1 dimensions at `axes`.
    func reshapedData(removing axes: [Int]) -> Tensor {
        reshapedData(shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element))
    }

    /// A view with the given strides and offset into the same storage (untraced).
    func view(shape: [Int], strides: [Int], offset: Int) -> Tensor {
        Tensor(viewing: self, shape: shape, strides: strides, offset: offset)
    }
}

extension Primitives {
    static func reshape(to shape: [Int]) -> UnaryPrimitive {
        UnaryPrimitive("reshape",
            forward: { $0.reshapedData(shape) },
            vjp: { g, _, x in g.reshape(x.shape) },
            jvp: { dx, _, _ in dx.reshape(shape) })
    }

    static func permute(_ perm: [Int]) -> UnaryPrimitive {
        var inverse = perm
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return UnaryPrimitive("permute",
            forward: { $0.permutedView(perm) },
            vjp: { [inverse] g, _, _ in g.permute(inverse) },
            jvp: { dx, _, _ in dx.permute(perm) })
    }

    static func broadcast(to shape: [Int]) -> UnaryPrimitive {
        UnaryPrimitive("broadcast",
            forward: { x in broadcastView(x, shape) },
            vjp: { g, _, _ in g },  // the engine sums the cotangent back to the argument's shape
            jvp: { dx, _, _ in dx.broadcast(to: shape) })
    }

    static func broadcastView(_ x: Tensor, _ shape: [Int]) -> Tensor {
        require(x.rank <= shape.count && broadcastShapes(x.shape, shape, op: "broadcast") == shape,
                "broadcast: cannot broadcast shape \(x.shape) to \(shape)")
        return x.view(shape: shape, strides: x.broadcastStrides(to: shape), offset: x.offset)
    }

    static func flip(_ axes: [Int]) -> UnaryPrimitive {
        UnaryPrimitive("flip",
            forward: { x in
                var strides = x.strides, offset = x.offset
                for a in axes where x.shape[a] > 0 {
                    offset += (x.shape[a] - 1) * strides[a]
                    strides[a] = -strides[a]
                }
                return x.view(shape: x.shape, strides: strides, offset: offset)
            },
            vjp: { g, _, _ in g.flip(axes: axes) },
            jvp: { dx, _, _ in dx.flip(axes: axes) })
    }

    static func concat(axis: Int) -> NaryPrimitive {
        NaryPrimitive("concat",
            forward: { parts in Kernels.concat(parts, axis: axis) },
            vjp: { g, _, args, i in
                let start = args[..<i].reduce(0) { $0 + $1.shape[axis] }
                return g.slice(axis: axis, start, start + args[i].shape[axis])
            },
            jvp: { tangents, _, args in
                Autograd.concat(zip(tangents, args).map { $0 ?? Tensor.zeros(like: $1.primalData) }, axis: axis)
            })
    }
}

extension Kernels {
    static func concat(_ parts: [Tensor], axis: Int) -> Tensor {
        let first = parts[0]
        for p in parts {
            require(p.rank == first.rank && p.dtype == first.dtype &&
                         (0..<p.rank).allSatisfy { $0 == axis || p.shape[$0] == first.shape[$0] },
                         "concat: shapes \(parts.map(\.shape)) (dtypes \(parts.map(\.dtype))) do not match outside axis \(axis)")
        }
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let out = Tensor.uninitialized(shape: shape, dtype: first.dtype)
        var start = 0
        for p in parts {
            var strides = out.strides
            if strides.isEmpty { strides = [] }
            let target = out.view(shape: p.shape, strides: out.strides, offset: start * out.strides[axis])
            copy(p, into: target)
            start += p.shape[axis]
        }
        return out
    }

    /// Copies `src` into the (possibly strided) view `dst` of the same shape.
    static func copy(_ src: Tensor, into dst: Tensor) {
        require(src.shape == dst.shape, "copy: source shape \(src.shape) differs from destination shape \(dst.shape)")
        switch src.dtype.byteSize {
        case 8: copyStridedToStrided(src, dst, UInt64.self)
        case 4: copyStridedToStrided(src, dst, UInt32.self)
        default: copyStridedToStrided(src, dst, UInt8.self)
        }
    }

    @inline(__always)
    static func copyStridedToStrided<T>(_ src: Tensor, _ dst: Tensor, _: T.Type) {
        let a = src.pointer(T.self), c = dst.pointer(T.self)
        let rank = src.rank
        if rank == 0 { c.pointee = a.pointee; return }
        let n = src.shape[rank - 1]
        let sa = src.strides[rank - 1], sc = dst.strides[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        let rows = src.count / Swift.max(n, 1)
        if n == 0 { return }
        withLifetimes(src, dst) {
            for _ in 0..<rows {
                var oa = 0, oc = 0
                for d in 0..<(rank - 1) { oa += index[d] * src.strides[d]; oc += index[d] * dst.strides[d] }
                for j in 0..<n { c[oc + j * sc] = a[oa + j * sa] }
                var d = rank - 2
                while d >= 0 {
                    index[d] += 1
                    if index[d] < src.shape[d] { break }
                    index[d] = 0
                    d -= 1
                }
            }
        }
    }
}

extension Tensor {
    /// The same elements with a new shape (one entry may be -1). A view when the data is contiguous.
    public func reshape(_ newShape: [Int]) -> Tensor {
        let s = resolvedShape(newShape, op: "reshape")
        if s == shape { return self }
        if node == nil { return reshapedData(s) }
        return Primitives.reshape(to: s)(self)
    }

    /// The elements as a vector.
    public func flattened() -> Tensor { reshape([count]) }

    /// Dimensions reordered: dimension `i` of the result is dimension `perm[i]` of this tensor (a view).
    public func permute(_ perm: [Int]) -> Tensor {
        require(perm.sorted() == Array(0..<rank), "permute: \(perm) is not a permutation of the axes of shape \(shape)")
        if perm == Array(0..<rank) { return self }
        if node == nil { return permutedView(perm) }
        return Primitives.permute(perm)(self)
    }

    /// The transpose: dimensions in reverse order (a view).
    public func transposed() -> Tensor { permute(Array((0..<rank).reversed())) }

    /// The transpose of a matrix, `x.T` (dimensions in reverse order).
    public var T: Tensor { transposed() }

    /// Dimensions `a` and `b` swapped (a view).
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        let a = normalizeAxis(a, rank: rank, shape: shape, op: "transpose"),
            b = normalizeAxis(b, rank: rank, shape: shape, op: "transpose")
        var perm = Array(0..<rank)
        perm.swapAt(a, b)
        return permute(perm)
    }

    /// A new dimension of size 1 inserted at `axis` (which may be `rank`, or negative).
    public func expandDims(_ axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        require(a >= 0 && a <= rank, "expandDims: axis \(axis) is out of range for shape \(shape)")
        var s = shape
        s.insert(1, at: a)
        return reshape(s)
    }

    /// Size-1 dimensions removed (all of them, or those in `axes`).
    public func squeeze(axes: [Int]? = nil) -> Tensor {
        if let axes {
            let a = normalizeAxes(axes, rank: rank, shape: shape, op: "squeeze")
            for i in a { require(shape[i] == 1, "squeeze: dimension \(i) of shape \(shape) has size \(shape[i]), not 1") }
            return reshape(shape.enumerated().filter { !a.contains($0.offset) }.map(\.element))
        }
        return reshape(shape.filter { $0 != 1 })
    }

    /// This tensor broadcast to `shape` (a view with zero strides; NumPy `broadcast_to`).
    public func broadcast(to newShape: [Int]) -> Tensor {
        if newShape == shape { return self }
        if node == nil { return Primitives.broadcastView(self, newShape) }
        return Primitives.broadcast(to: newShape)(self)
    }

    /// Sums this tensor down to `target`, a shape it was broadcast from (the adjoint of
    /// ``broadcast(to:)``).
    public func sumToShape(_ target: [Int]) -> Tensor {
        if target == shape { return self }
        let lead = rank - target.count
        require(lead >= 0, "sumToShape: cannot reduce shape \(shape) to \(target)")
        var axes = Array(0..<lead)
        for (i, d) in target.enumerated() where d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        for (i, d) in target.enumerated() {
            require(d == shape[lead + i] || d == 1, "sumToShape: cannot reduce shape \(shape) to \(target)")
        }
        let s = axes.isEmpty ? self : sum(axes: axes, keepDims: true)
        return s.reshape(target)
    }

    /// The elements reversed along `axes` (all axes by default; a view).
    public func flip(axes: [Int]? = nil) -> Tensor {
        let a = normalizeAxes(axes, rank: rank, shape: shape, op: "flip")
        if a.isEmpty { return self }
        return Primitives.flip(a)(self)
    }

    /// Elements `start..<end` along `axis` (a view).
    public func slice(axis: Int, _ start: Int, _ end: Int) -> Tensor {
        var idx = [TensorIndex](repeating: .all, count: rank)
        idx[axis] = .range(start, end, step: 1)
        return self[idx]
    }
}

/// Tensors joined along an existing `axis`.
public func concat(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    require(!tensors.isEmpty, "concat: needs at least one tensor")
    let a = normalizeAxis(axis, rank: tensors[0].rank, shape: tensors[0].shape, op: "concat")
    if tensors.count == 1 { return tensors[0] }
    if tensors.allSatisfy({ $0.node == nil }) { return Kernels.concat(tensors, axis: a) }
    return Primitives.concat(axis: a)(tensors)
}

/// Tensors of equal shape stacked along a new `axis`.
public func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    require(!tensors.isEmpty, "stack: needs at least one tensor")
    for t in tensors {
        require(t.shape == tensors[0].shape, "stack: shapes \(tensors.map(\.shape)) differ")
    }
    return concat(tensors.map { $0.expandDims(axis) }, axis: axis < 0 ? axis : axis)
}

extension Tensor {
    /// Splits into `parts` equal pieces along `axis`.
    public func split(_ parts: Int, axis: Int = 0) -> [Tensor] {
        let a = normalizeAxis(axis, rank: rank, shape: shape, op: "split")
        require(parts > 0 && shape[a] % parts == 0, "split: dimension \(a) of shape \(shape) does not divide into \(parts) parts")
        let n = shape[a] / parts
        return (0..<parts).map { slice(axis: a, $0 * n, ($0 + 1) * n) }
    }

    /// Splits along `axis` into pieces of the given sizes.
    public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
        let a = normalizeAxis(axis, rank: rank, shape: shape, op: "split")
        require(sizes.reduce(0, +) == shape[a], "split: sizes \(sizes) do not add up to dimension \(a) of shape \(shape)")
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return slice(axis: a, start, start + n)
        }
    }
}
