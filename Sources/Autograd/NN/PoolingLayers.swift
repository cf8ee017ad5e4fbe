// Pooling layers as differentiable functions (PyTorch semantics, floor mode).
//
// Max pooling is, for fixed positions of the maxima, a linear gather: its derivative is a
// scatter-add of the cotangent to those positions, whose own derivative is the gather again. The
// positions come from the forward kernel (a piecewise-constant function of the input, so no
// gradient flows through them) and both linear maps are primitives: max pooling differentiates to
// any order. Average pooling is linear; its adjoint spreads each cotangent over its window.

extension Primitives {
    /// `x[plane, indices[plane, j]]`: max pooling at fixed positions of the maxima.
    /// `known` may hold an input and its already gathered values, returned for that same memory.
    static func poolGather(indices: Tensor, inputShape: [Int], known: (input: Tensor, values: Tensor)? = nil) -> UnaryPrimitive {
        UnaryPrimitive("maxPool",
            forward: { x in
                if let known, known.input.buffer === x.buffer { return known.values }
                return Kernels.poolGather(x, indices: indices)
            },
            vjp: { g, _, _ in Primitives.poolScatter(indices: indices, inputShape: inputShape)(g) },
            jvp: { dx, _, _ in Primitives.poolGather(indices: indices, inputShape: inputShape)(dx) })
    }

    /// The adjoint of ``poolGather(indices:inputShape:)``: scatter-add into zeros of `inputShape`.
    static func poolScatter(indices: Tensor, inputShape: [Int]) -> UnaryPrimitive {
        UnaryPrimitive("maxPoolAdjoint",
            forward: { g in Kernels.poolScatter(g, indices: indices, inputShape: inputShape) },
            vjp: { h, _, _ in Primitives.poolGather(indices: indices, inputShape: inputShape)(h) },
            jvp: { dg, _, _ in Primitives.poolScatter(indices: indices, inputShape: inputShape)(dg) })
    }

    /// Average pooling.
    static func avgPool2d(_ geo: PoolGeometry, countIncludePad: Bool) -> UnaryPrimitive {
        UnaryPrimitive("avgPool",
            forward: { x in Kernels.avgPool2d(x, geo, countIncludePad: countIncludePad) },
            vjp: { g, _, x in
                Primitives.avgPool2dAdjoint(geo, countIncludePad: countIncludePad, inputSize: (x.shape[2], x.shape[3]))(g)
            },
            jvp: { dx, _, _ in Primitives.avgPool2d(geo, countIncludePad: countIncludePad)(dx) })
    }

    /// The adjoint of average pooling.
    static func avgPool2dAdjoint(_ geo: PoolGeometry, countIncludePad: Bool, inputSize: (Int, Int)) -> UnaryPrimitive {
        UnaryPrimitive("avgPoolAdjoint",
            forward: { g in Kernels.avgPool2dAdjoint(g, geo, countIncludePad: countIncludePad, inputSize: inputSize) },
            vjp: { h, _, _ in Primitives.avgPool2d(geo, countIncludePad: countIncludePad)(h) },
            jvp: { dg, _, _ in
                Primitives.avgPool2dAdjoint(geo, countIncludePad: countIncludePad, inputSize: inputSize)(dg)
            })
    }
}

/// Checks pooling arguments and returns the geometry.
private func poolGeometry(_ op: String, _ x: Tensor, rank: Int, kernel: (Int, Int), stride: (Int, Int)?,
                          padding: (Int, Int)) -> PoolGeometry {
    let what = rank == 3 ? "N×C×L" : "N×C×H×W"
    require(x.rank == rank, "\(op): input must have rank \(rank) (\(what)), got shape \(x.shape)")
    require(x.dtype.isFloatingPoint, "\(op): expected a floating-point tensor, got \(x.dtype) tensor of shape \(x.shape)")
    let s = stride ?? kernel
    require(kernel.0 >= 1 && kernel.1 >= 1, "\(op): kernel size must be at least 1, got (\(kernel.0), \(kernel.1))")
    require(s.0 >= 1 && s.1 >= 1, "\(op): stride must be at least 1, got (\(s.0), \(s.1))")
    require(padding.0 >= 0 && padding.1 >= 0 && 2 * padding.0 <= kernel.0 && 2 * padding.1 <= kernel.1,
            "\(op): padding (\(padding.0), \(padding.1)) must be between 0 and half the kernel size (\(kernel.0), \(kernel.1))")
    let h = rank == 3 ? 1 : x.shape[2], w = x.shape[rank - 1]
    let (ph, pw) = (h + 2 * padding.0, w + 2 * padding.1)
    require(kernel.0 <= ph && kernel.1 <= pw,
            "\(op): kernel \(rank == 3 ? "\(kernel.1)" : "\(kernel.0)×\(kernel.1)") is larger than the padded input \(rank == 3 ? "\(pw)" : "\(ph)×\(pw)") (input \(x.shape))")
    return PoolGeometry(kernelH: kernel.0, kernelW: kernel.1, strideH: s.0, strideW: s.1,
                        padH: padding.0, padW: padding.1)
}

/// Max pooling of a 4-d tensor, as a gather at the maxima.
private func maxPool(_ x: Tensor, _ geo: PoolGeometry) -> Tensor {
    let data = x.primalData
    let (values, indices) = Kernels.maxPool2d(data, geo)
    if x.node == nil { return values }
    // The forward pass reaches the primitive with `x`'s memory: it returns the maxima found above.
    return Primitives.poolGather(indices: indices, inputShape: x.shape, known: (data, values))(x)
}

// MARK: - Max pooling

/// 2-d max pooling (PyTorch's `F.max_pool2d`, floor mode) of an N×C×H×W tensor over
/// `kernelSize`×`kernelSize` windows, moving by `stride` (the kernel size by default), with
/// `padding` (at most half the kernel) that never wins. Ties go to the first maximum in window
/// order; the gradient flows to that position only. Differentiable to any order.
public func maxPool2d(_ x: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
    maxPool2d(x, kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding))
}

/// 2-d max pooling with separate (height, width) kernel size, stride and padding; see
/// ``maxPool2d(_:kernelSize:stride:padding:)``.
public func maxPool2d(_ x: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil,
                      padding: (Int, Int) = (0, 0)) -> Tensor {
    maxPool(x, poolGeometry("maxPool2d", x, rank: 4, kernel: kernelSize, stride: stride, padding: padding))
}

/// 1-d max pooling (PyTorch's `F.max_pool1d`) of an N×C×L tensor; see
/// ``maxPool2d(_:kernelSize:stride:padding:)``.
public func maxPool1d(_ x: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
    let geo = poolGeometry("maxPool1d", x, rank: 3, kernel: (1, kernelSize), stride: stride.map { (1, $0) },
                           padding: (0, padding))
    let (n, c, l) = (x.shape[0], x.shape[1], x.shape[2])
    let y = maxPool(x.reshape([n, c, 1, l]), geo)
    return y.reshape([n, c, y.shape[3]])
}

// MARK: - Average pooling

/// 2-d average pooling (PyTorch's `F.avg_pool2d`, floor mode) of an N×C×H×W tensor over
/// `kernelSize`×`kernelSize` windows, moving by `stride` (the kernel size by default), with zero
/// `padding` (at most half the kernel). With `countIncludePad` (the default, as PyTorch) every
/// window is divided by the kernel area; otherwise by the number of input elements it covers.
public func avgPool2d(_ x: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0,
                      countIncludePad: Bool = true) -> Tensor {
    avgPool2d(x, kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding),
              countIncludePad: countIncludePad)
}

/// 2-d average pooling with separate (height, width) kernel size, stride and padding; see
/// ``avgPool2d(_:kernelSize:stride:padding:countIncludePad:)``.
public func avgPool2d(_ x: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                      countIncludePad: Bool = true) -> Tensor {
    let geo = poolGeometry("avgPool2d", x, rank: 4, kernel: kernelSize, stride: stride, padding: padding)
    return Primitives.avgPool2d(geo, countIncludePad: countIncludePad)(x)
}

/// 1-d average pooling (PyTorch's `F.avg_pool1d`) of an N×C×L tensor; see
/// ``avgPool2d(_:kernelSize:stride:padding:countIncludePad:)``.
public func avgPool1d(_ x: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0,
                      countIncludePad: Bool = true) -> Tensor {
    let geo = poolGeometry("avgPool1d", x, rank: 3, kernel: (1, kernelSize), stride: stride.map { (1, $0) },
                           padding: (0, padding))
    let (n, c, l) = (x.shape[0], x.shape[1], x.shape[2])
    let y = Primitives.avgPool2d(geo, countIncludePad: countIncludePad)(x.reshape([n, c, 1, l]))
    return y.reshape([n, c, y.shape[3]])
}
