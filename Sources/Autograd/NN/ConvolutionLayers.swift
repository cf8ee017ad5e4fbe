// Convolution layers as differentiable functions (PyTorch semantics: NCHW / OIHW, cross-correlation).
//
// Three primitives, closed under differentiation, carry every convolution:
//   conv2d(x, w)                    the convolution
//   conv2dInputGrad(g, w)           its adjoint in x — the transposed convolution
//   conv2dWeightGrad(x, g)          its adjoint in w
// Each is bilinear, so each VJP and JVP is again one of the three: derivatives of any order need no
// more code. conv1d runs as conv2d of height 1; convTranspose2d is conv2dInputGrad.

extension Primitives {
    /// `conv2d(x, w)` for a fixed geometry. With `columns`, the forward pass keeps its im2col
    /// matrices there and the weight gradient reuses them (when `x` is still the same memory).
    static func conv2d(_ geo: ConvGeometry, columns: ConvColumns? = nil) -> BinaryPrimitive {
        BinaryPrimitive("conv2d",
            forward: { x, w in Kernels.conv2d(x, w, geo, keep: columns) },
            vjpLhs: { g, _, x, w in Primitives.conv2dInputGrad(geo, inputSize: (x.shape[2], x.shape[3]))(g, w) },
            vjpRhs: { g, _, x, w in
                Primitives.conv2dWeightGrad(geo, kernelSize: (w.shape[2], w.shape[3]), columns: columns)(x, g)
            },
            jvp: { dx, dw, _, x, w in
                sumTangents(dx.map { Primitives.conv2d(geo)($0, w) }, dw.map { Primitives.conv2d(geo)(x, $0) })
            })
    }

    /// `conv2d(x, w) + b` (bias per output channel) in one pass: the fused layer. The bias's
    /// cotangent is the cotangent summed over batch and positions.
    static func conv2dBias(_ geo: ConvGeometry, columns: ConvColumns? = nil) -> NaryPrimitive {
        NaryPrimitive("conv2d",
            forward: { a in Kernels.conv2d(a[0], a[1], geo, keep: columns, bias: a[2]) },
            vjp: { g, _, a, i in
                switch i {
                case 0: return Primitives.conv2dInputGrad(geo, inputSize: (a[0].shape[2], a[0].shape[3]))(g, a[1])
                case 1: return Primitives.conv2dWeightGrad(geo, kernelSize: (a[1].shape[2], a[1].shape[3]), columns: columns)(a[0], g)
                default: return g.sum(axes: [0, 2, 3])
                }
            },
            jvp: { t, ans, a in
                var out: Tensor? = nil
                if let dx = t[0] { out = Primitives.conv2d(geo)(dx, a[1]) }
                if let dw = t[1] {
                    let y = Primitives.conv2d(geo)(a[0], dw)
                    out = out.map { $0 + y } ?? y
                }
                if let db = t[2] {
                    let y = db.reshape([1, db.count, 1, 1])
                    out = out.map { $0 + y } ?? y.broadcast(to: ans.shape)
                }
                return out ?? Tensor.zeros(like: ans.primalData)
            })
    }

    /// The transposed convolution `conv2dInputGrad(g, w)`: the adjoint of `conv2d(·, w)`, giving an
    /// input of spatial size `inputSize`. ⟨c, IG(g, w)⟩ = ⟨conv2d(c, w), g⟩.
    static func conv2dInputGrad(_ geo: ConvGeometry, inputSize: (Int, Int)) -> BinaryPrimitive {
        BinaryPrimitive("conv2dInputGrad",
            forward: { g, w in Kernels.conv2dInputGrad(g, w, geo, inputSize: inputSize) },
            vjpLhs: { c, _, _, w in Primitives.conv2d(geo)(c, w) },
            vjpRhs: { c, _, g, w in Primitives.conv2dWeightGrad(geo, kernelSize: (w.shape[2], w.shape[3]))(c, g) },
            jvp: { dg, dw, _, g, w in
                sumTangents(dg.map { Primitives.conv2dInputGrad(geo, inputSize: inputSize)($0, w) },
                            dw.map { Primitives.conv2dInputGrad(geo, inputSize: inputSize)(g, $0) })
            })
    }

    /// `conv2dWeightGrad(x, g)`: the adjoint of `conv2d(x, ·)`, a weight of spatial size
    /// `kernelSize`. ⟨c, WG(x, g)⟩ = ⟨conv2d(x, c), g⟩.
    /// `columns` may hold the im2col matrices of `x` from the forward convolution.
    static func conv2dWeightGrad(_ geo: ConvGeometry, kernelSize: (Int, Int), columns: ConvColumns? = nil) -> BinaryPrimitive {
        BinaryPrimitive("conv2dWeightGrad",
            forward: { x, g in Kernels.conv2dWeightGrad(x, g, geo, kernelSize: kernelSize, columns: columns) },
            vjpLhs: { c, _, x, g in Primitives.conv2dInputGrad(geo, inputSize: (x.shape[2], x.shape[3]))(g, c) },
            vjpRhs: { c, _, x, _ in Primitives.conv2d(geo)(x, c) },
            jvp: { dx, dg, _, x, g in
                sumTangents(dx.map { Primitives.conv2dWeightGrad(geo, kernelSize: kernelSize)($0, g) },
                            dg.map { Primitives.conv2dWeightGrad(geo, kernelSize: kernelSize)(x, $0) })
            })
    }
}

// MARK: - Checks

/// Stops unless `value` (named `name`) is at least `minimum`.
private func requireAtLeast(_ op: String, _ name: String, _ value: (Int, Int), _ minimum: Int) {
    require(value.0 >= minimum && value.1 >= minimum,
            "\(op): \(name) must be at least \(minimum), got (\(value.0), \(value.1))")
}

/// Checks the arguments of a (transposed) 2-d convolution and returns its geometry.
private func convGeometry(_ op: String, x: Tensor, weight: Tensor, stride: (Int, Int), padding: (Int, Int),
                          dilation: (Int, Int), groups: Int, inputRank: Int) -> ConvGeometry {
    let what = inputRank == 3 ? "N×C×L" : "N×C×H×W"
    require(x.rank == inputRank, "\(op): input must have rank \(inputRank) (\(what)), got shape \(x.shape)")
    require(weight.rank == inputRank, "\(op): weight must have rank \(inputRank), got shape \(weight.shape)")
    require(x.dtype.isFloatingPoint && x.dtype == weight.dtype,
            "\(op): input and weight must share a floating-point dtype, got \(x.dtype) \(x.shape) and \(weight.dtype) \(weight.shape)")
    requireAtLeast(op, "stride", stride, 1)
    requireAtLeast(op, "dilation", dilation, 1)
    requireAtLeast(op, "padding", padding, 0)
    require(groups >= 1, "\(op): groups must be at least 1, got \(groups)")
    return ConvGeometry(strideH: stride.0, strideW: stride.1, padH: padding.0, padW: padding.1,
                        dilationH: dilation.0, dilationW: dilation.1, groups: groups)
}

/// Checks a per-channel bias (shape `[channels]`).
private func checkBias(_ op: String, _ bias: Tensor, channels: Int, dtype: DType) {
    require(bias.shape == [channels], "\(op): bias must have shape [\(channels)], got \(bias.shape)")
    require(bias.dtype == dtype, "\(op): bias dtype \(bias.dtype) differs from the input's \(dtype)")
}

/// Adds a per-channel bias (shape `[channels]`) to an N×C×… result.
private func addBias(_ op: String, _ y: Tensor, _ bias: Tensor?, channels: Int) -> Tensor {
    guard let bias else { return y }
    checkBias(op, bias, channels: channels, dtype: y.dtype)
    return y + bias.reshape([1, channels] + [Int](repeating: 1, count: y.rank - 2))
}

/// The convolution of 4-d `x` and `w`, with the bias fused in when there is one.
private func convolve(_ op: String, _ x: Tensor, _ w: Tensor, _ bias: Tensor?, _ geo: ConvGeometry) -> Tensor {
    // Keep the forward pass's column matrices for the weight gradient when one will be taken.
    let columns = w.isTraced ? ConvColumns() : nil
    guard let bias else { return Primitives.conv2d(geo, columns: columns)(x, w) }
    checkBias(op, bias, channels: w.shape[0], dtype: x.dtype)
    return Primitives.conv2dBias(geo, columns: columns)([x, w, bias])
}

// MARK: - conv2d

/// 2-d convolution (cross-correlation, as PyTorch's `F.conv2d`) of an N×C×H×W input with an
/// O×(C/groups)×kH×kW weight, plus an optional bias of shape `[O]`.
///
/// The output is N×O×oH×oW with `oH = ⌊(H + 2·padding − dilation·(kH − 1) − 1) / stride⌋ + 1`
/// (likewise oW). Runs as im2col + BLAS GEMM; differentiable to any order in input and weight.
///
/// ```swift
/// let y = conv2d(x, weight: w, bias: b, stride: 2, padding: 1)
/// ```
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                   dilation: Int = 1, groups: Int = 1) -> Tensor {
    conv2d(x, weight: weight, bias: bias, stride: (stride, stride), padding: (padding, padding),
           dilation: (dilation, dilation), groups: groups)
}

/// 2-d convolution with separate (height, width) stride, padding and dilation; see
/// ``conv2d(_:weight:bias:stride:padding:dilation:groups:)``.
@_disfavoredOverload
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                   padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
    let op = "conv2d"
    let geo = convGeometry(op, x: x, weight: weight, stride: stride, padding: padding, dilation: dilation,
                           groups: groups, inputRank: 4)
    let (c, o) = (x.shape[1], weight.shape[0])
    require(c % groups == 0 && o % groups == 0,
            "\(op): groups \(groups) must divide the input channels \(c) and the output channels \(o) (input \(x.shape), weight \(weight.shape))")
    require(weight.shape[1] * groups == c,
            "\(op): input has \(c) channels but weight \(weight.shape) expects \(weight.shape[1] * groups) (\(weight.shape[1]) per group × \(groups) groups)")
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let (eh, ew) = (dilation.0 * (kh - 1) + 1, dilation.1 * (kw - 1) + 1)
    let (ph, pw) = (x.shape[2] + 2 * padding.0, x.shape[3] + 2 * padding.1)
    require(eh <= ph && ew <= pw,
            "\(op): kernel \(kh)×\(kw) (dilation (\(dilation.0), \(dilation.1)), extent \(eh)×\(ew)) is larger than the padded input \(ph)×\(pw) (input \(x.shape), padding (\(padding.0), \(padding.1)))")
    return convolve(op, x, weight, bias, geo)
}

// MARK: - conv1d

/// 1-d convolution (cross-correlation, as PyTorch's `F.conv1d`) of an N×C×L input with an
/// O×(C/groups)×k weight, plus an optional bias of shape `[O]`: N×O×oL with
/// `oL = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1`.
public func conv1d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                   dilation: Int = 1, groups: Int = 1) -> Tensor {
    let op = "conv1d"
    let geo = convGeometry(op, x: x, weight: weight, stride: (1, stride), padding: (0, padding),
                           dilation: (1, dilation), groups: groups, inputRank: 3)
    let (c, o) = (x.shape[1], weight.shape[0])
    require(c % groups == 0 && o % groups == 0,
            "\(op): groups \(groups) must divide the input channels \(c) and the output channels \(o) (input \(x.shape), weight \(weight.shape))")
    require(weight.shape[1] * groups == c,
            "\(op): input has \(c) channels but weight \(weight.shape) expects \(weight.shape[1] * groups) (\(weight.shape[1]) per group × \(groups) groups)")
    let k = weight.shape[2]
    let extent = dilation * (k - 1) + 1, padded = x.shape[2] + 2 * padding
    require(extent <= padded,
            "\(op): kernel \(k) (dilation \(dilation), extent \(extent)) is larger than the padded input \(padded) (input \(x.shape), padding \(padding))")
    let (n, l) = (x.shape[0], x.shape[2])
    let y = convolve(op, x.reshape([n, c, 1, l]), weight.reshape([o, weight.shape[1], 1, k]), bias, geo)
    return y.reshape([n, o, y.shape[3]])
}

// MARK: - convTranspose2d

/// 2-d transposed convolution (PyTorch's `F.conv_transpose2d`): the adjoint of `conv2d` in its
/// input, of an N×I×H×W input with an I×(O/groups)×kH×kW weight, plus an optional bias `[O]`.
///
/// The output is N×O×oH×oW with `oH = (H − 1)·stride − 2·padding + dilation·(kH − 1) +
/// outputPadding + 1` (likewise oW). `outputPadding` must be smaller than the stride (PyTorch also
/// accepts values below the dilation; those are not supported here).
public func convTranspose2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1) -> Tensor {
    convTranspose2d(x, weight: weight, bias: bias, stride: (stride, stride), padding: (padding, padding),
                    outputPadding: (outputPadding, outputPadding), dilation: (dilation, dilation), groups: groups)
}

/// 2-d transposed convolution with separate (height, width) stride, padding, output padding and
/// dilation; see ``convTranspose2d(_:weight:bias:stride:padding:outputPadding:dilation:groups:)``.
@_disfavoredOverload
public func convTranspose2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                            padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0),
                            dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
    let op = "convTranspose2d"
    let geo = convGeometry(op, x: x, weight: weight, stride: stride, padding: padding, dilation: dilation,
                           groups: groups, inputRank: 4)
    requireAtLeast(op, "outputPadding", outputPadding, 0)
    require(outputPadding.0 < stride.0 && outputPadding.1 < stride.1,
            "\(op): outputPadding (\(outputPadding.0), \(outputPadding.1)) must be smaller than stride (\(stride.0), \(stride.1))")
    let i = x.shape[1]
    require(weight.shape[0] == i,
            "\(op): input has \(i) channels but weight \(weight.shape) expects \(weight.shape[0]) (weight is in×out/groups×kH×kW)")
    require(i % groups == 0, "\(op): groups \(groups) must divide the input channels \(i) (input \(x.shape), weight \(weight.shape))")
    let o = weight.shape[1] * groups
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let oh = (x.shape[2] - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kh - 1) + outputPadding.0 + 1
    let ow = (x.shape[3] - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kw - 1) + outputPadding.1 + 1
    require(oh >= 1 && ow >= 1,
            "\(op): output size \(oh)×\(ow) is empty (input \(x.shape), weight \(weight.shape), stride (\(stride.0), \(stride.1)), padding (\(padding.0), \(padding.1)))")
    let y = Primitives.conv2dInputGrad(geo, inputSize: (oh, ow))(x, weight)
    return addBias(op, y, bias, channels: o)
}
