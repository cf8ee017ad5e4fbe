import Synchronization
import Dispatch
import Testing
@testable import Autograd

// Convolution and pooling: forward values against references computed outside this library
// (References/conv_reference.py: numpy loops written from PyTorch's definitions, cross-checked
// against scipy.signal.correlate), order-2 gradient checks in float64 for every op and option,
// JVP rules against finite differences, and misuse messages.

/// The reference script's inputs: `value[i] = ((i·a + b) mod m − ⌊m/2⌋) / d`, exact binary fractions.
private func pattern(_ shape: [Int], _ a: Int, _ b: Int, _ m: Int, _ d: Double, dtype: DType = .float64) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor((0..<n).map { Double(($0 * a + b) % m - m / 2) / d }, shape: shape).cast(to: dtype)
}
private func xPattern(_ shape: [Int], dtype: DType = .float64) -> Tensor { pattern(shape, 7, 3, 11, 4, dtype: dtype) }
private func kPattern(_ shape: [Int], dtype: DType = .float64) -> Tensor { pattern(shape, 5, 1, 7, 2, dtype: dtype) }
private func bPattern(_ shape: [Int], dtype: DType = .float64) -> Tensor { pattern(shape, 3, 2, 5, 8, dtype: dtype) }

/// Checks shape and values (`rtol` relative to the largest reference magnitude).
private func expectValues(_ t: Tensor, _ shape: [Int], _ expected: [Double], rtol: Double,
                          sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(t.shape == shape, "shape \(t.shape), expected \(shape)", sourceLocation: sourceLocation)
    let got = t.doubles
    guard got.count == expected.count else {
        Issue.record("\(got.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    let scale = Swift.max(1, expected.map { Swift.abs($0) }.max() ?? 1)
    let worst = zip(got, expected).map { Swift.abs($0 - $1) }.max() ?? 0
    #expect(worst <= rtol * scale, "largest difference \(worst)", sourceLocation: sourceLocation)
}

/// One forward case: the op applied to the reference inputs in a dtype, its shape and values.
struct ConvForwardCase: Sendable, CustomTestStringConvertible {
    let name: String
    let shape: [Int]
    let expected: [Double]
    let f: @Sendable (DType) -> Tensor
    var testDescription: String { name }
}

enum ConvCases {
    static let forward: [ConvForwardCase] = [
        ConvForwardCase(name: "conv2d bias", shape: [2, 4, 4, 5], expected: ConvReference.conv2dBasic) { t in
            conv2d(xPattern([2, 3, 6, 7], dtype: t), weight: kPattern([4, 3, 3, 3], dtype: t), bias: bPattern([4], dtype: t))
        },
        ConvForwardCase(name: "conv2d stride (2, 3) padding (1, 2)", shape: [2, 4, 4, 3], expected: ConvReference.conv2dStridePad) { t in
            conv2d(xPattern([2, 3, 7, 6], dtype: t), weight: kPattern([4, 3, 3, 2], dtype: t), stride: (2, 3), padding: (1, 2))
        },
        ConvForwardCase(name: "conv2d dilation 2 padding 2", shape: [1, 3, 7, 7], expected: ConvReference.conv2dDilation) { t in
            conv2d(xPattern([1, 2, 7, 7], dtype: t), weight: kPattern([3, 2, 3, 3], dtype: t), padding: 2, dilation: 2)
        },
        ConvForwardCase(name: "conv2d groups 2", shape: [2, 6, 5, 5], expected: ConvReference.conv2dGroups) { t in
            conv2d(xPattern([2, 4, 5, 5], dtype: t), weight: kPattern([6, 2, 3, 3], dtype: t), bias: bPattern([6], dtype: t),
                   padding: 1, groups: 2)
        },
        ConvForwardCase(name: "conv2d depthwise stride 2", shape: [1, 3, 3, 3], expected: ConvReference.conv2dDepthwise) { t in
            conv2d(xPattern([1, 3, 5, 5], dtype: t), weight: kPattern([3, 1, 2, 2], dtype: t), stride: 2, padding: 1, groups: 3)
        },
        ConvForwardCase(name: "conv1d stride 2 padding 1 dilation 2", shape: [2, 4, 4], expected: ConvReference.conv1dStrideDilation) { t in
            conv1d(xPattern([2, 3, 9], dtype: t), weight: kPattern([4, 3, 3], dtype: t), bias: bPattern([4], dtype: t),
                   stride: 2, padding: 1, dilation: 2)
        },
        ConvForwardCase(name: "conv1d groups 3", shape: [1, 6, 6], expected: ConvReference.conv1dGroups) { t in
            conv1d(xPattern([1, 3, 8], dtype: t), weight: kPattern([6, 1, 3], dtype: t), groups: 3)
        },
        ConvForwardCase(name: "convTranspose2d stride 2 padding 1 outputPadding 1", shape: [2, 3, 6, 8],
                        expected: ConvReference.convTransposeStride) { t in
            convTranspose2d(xPattern([2, 4, 3, 4], dtype: t), weight: kPattern([4, 3, 3, 3], dtype: t), bias: bPattern([3], dtype: t),
                            stride: 2, padding: 1, outputPadding: 1)
        },
        ConvForwardCase(name: "convTranspose2d groups 2 dilation 2", shape: [1, 4, 5, 5],
                        expected: ConvReference.convTransposeGroupsDilation) { t in
            convTranspose2d(xPattern([1, 4, 3, 3], dtype: t), weight: kPattern([4, 2, 2, 2], dtype: t),
                            stride: (1, 2), padding: (0, 1), dilation: (2, 2), groups: 2)
        },
        ConvForwardCase(name: "maxPool2d 3×3 stride 2 padding 1", shape: [2, 2, 4, 3], expected: ConvReference.maxPool2dPadded) { t in
            maxPool2d(xPattern([2, 2, 7, 6], dtype: t), kernelSize: 3, stride: 2, padding: 1)
        },
        ConvForwardCase(name: "maxPool2d 2×2", shape: [1, 2, 2, 3], expected: ConvReference.maxPool2d2x2) { t in
            maxPool2d(xPattern([1, 2, 4, 6], dtype: t), kernelSize: 2)
        },
        ConvForwardCase(name: "maxPool1d 3 stride 2 padding 1", shape: [2, 2, 5], expected: ConvReference.maxPool1d) { t in
            maxPool1d(xPattern([2, 2, 9], dtype: t), kernelSize: 3, stride: 2, padding: 1)
        },
        ConvForwardCase(name: "avgPool2d 3×3 stride 2 padding 1", shape: [2, 2, 4, 3], expected: ConvReference.avgPool2dPadded) { t in
            avgPool2d(xPattern([2, 2, 7, 6], dtype: t), kernelSize: 3, stride: 2, padding: 1)
        },
        ConvForwardCase(name: "avgPool2d 3×2 stride (2, 1) padding 1, padding not counted", shape: [2, 2, 4, 7],
                        expected: ConvReference.avgPool2dExcludePad) { t in
            avgPool2d(xPattern([2, 2, 7, 6], dtype: t), kernelSize: (3, 2), stride: (2, 1), padding: (1, 1), countIncludePad: false)
        },
        ConvForwardCase(name: "avgPool1d 4 stride 3 padding 2", shape: [2, 2, 4], expected: ConvReference.avgPool1d) { t in
            avgPool1d(xPattern([2, 2, 9], dtype: t), kernelSize: 4, stride: 3, padding: 2)
        },
    ]

    // MARK: Gradient checks

    /// Small random inputs (float64); weights scaled so that values stay O(1).
    static func r(_ shape: [Int], _ seed: UInt64, scale: Double = 1) -> Tensor { Tensor.randn(shape, seed: seed, scale: scale) }

    static let gradients: [OpCase] = [
        OpCase("conv2d bias", [r([2, 3, 5, 6], 1), r([4, 3, 3, 3], 2, scale: 0.3), r([4], 3)]) {
            conv2d($0[0], weight: $0[1], bias: $0[2])
        },
        OpCase("conv2d stride (2, 3) padding (1, 2)", [r([2, 3, 7, 6], 4), r([4, 3, 3, 2], 5, scale: 0.3)]) {
            conv2d($0[0], weight: $0[1], stride: (2, 3), padding: (1, 2))
        },
        OpCase("conv2d stride 2 (uneven fit)", [r([1, 2, 6, 6], 6), r([3, 2, 3, 3], 7, scale: 0.3)]) {
            conv2d($0[0], weight: $0[1], stride: 2)
        },
        OpCase("conv2d dilation (2, 1) padding (2, 1)", [r([1, 2, 6, 5], 8), r([3, 2, 3, 3], 9, scale: 0.3)]) {
            conv2d($0[0], weight: $0[1], padding: (2, 1), dilation: (2, 1))
        },
        OpCase("conv2d groups 2", [r([2, 4, 4, 4], 10), r([6, 2, 3, 3], 11, scale: 0.3), r([6], 12)]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], padding: 1, groups: 2)
        },
        OpCase("conv2d depthwise", [r([1, 3, 5, 5], 13), r([3, 1, 2, 2], 14, scale: 0.5)]) {
            conv2d($0[0], weight: $0[1], stride: 2, padding: 1, groups: 3)
        },
        OpCase("conv2d batch 5 (chunked columns)", [r([5, 2, 4, 4], 15), r([3, 2, 2, 2], 16, scale: 0.5)]) {
            conv2d($0[0], weight: $0[1])
        },
        OpCase("conv1d stride 2 padding 1 dilation 2 bias", [r([2, 3, 9], 17), r([4, 3, 3], 18, scale: 0.3), r([4], 19)]) {
            conv1d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, dilation: 2)
        },
        OpCase("conv1d groups 3", [r([1, 3, 8], 20), r([6, 1, 3], 21, scale: 0.5)]) {
            conv1d($0[0], weight: $0[1], groups: 3)
        },
        OpCase("convTranspose2d stride 2 padding 1 outputPadding 1 bias",
               [r([2, 4, 3, 3], 22), r([4, 3, 3, 3], 23, scale: 0.3), r([3], 24)]) {
            convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1)
        },
        OpCase("convTranspose2d groups 2 dilation 2 stride (1, 2)", [r([1, 4, 3, 3], 25), r([4, 2, 2, 2], 26, scale: 0.5)]) {
            convTranspose2d($0[0], weight: $0[1], stride: (1, 2), padding: (0, 1), dilation: (2, 2), groups: 2)
        },
        OpCase("maxPool2d 3×3 stride 2 padding 1", [r([2, 2, 7, 6], 27)]) { maxPool2d($0[0], kernelSize: 3, stride: 2, padding: 1) },
        OpCase("maxPool2d 2×2", [r([2, 3, 4, 6], 28)]) { maxPool2d($0[0], kernelSize: 2) },
        OpCase("maxPool2d overlapping 3×2 stride 1", [r([1, 2, 5, 5], 29)]) {
            maxPool2d($0[0], kernelSize: (3, 2), stride: (1, 1))
        },
        OpCase("maxPool1d 3 stride 2 padding 1", [r([2, 2, 9], 30)]) { maxPool1d($0[0], kernelSize: 3, stride: 2, padding: 1) },
        OpCase("avgPool2d 3×3 stride 2 padding 1", [r([2, 2, 7, 6], 31)]) { avgPool2d($0[0], kernelSize: 3, stride: 2, padding: 1) },
        OpCase("avgPool2d padding not counted", [r([1, 2, 6, 5], 32)]) {
            avgPool2d($0[0], kernelSize: (3, 2), stride: (2, 1), padding: (1, 1), countIncludePad: false)
        },
        OpCase("avgPool1d 4 stride 3 padding 2", [r([2, 2, 9], 33)]) { avgPool1d($0[0], kernelSize: 4, stride: 3, padding: 2) },
        // A small network: the second derivative flows through conv, tanh and max pooling together.
        OpCase("conv → tanh → maxPool → conv", [r([2, 2, 6, 6], 34), r([3, 2, 3, 3], 35, scale: 0.4), r([2, 3, 2, 2], 36, scale: 0.4)]) {
            conv2d(maxPool2d(tanh(conv2d($0[0], weight: $0[1], padding: 1)), kernelSize: 2), weight: $0[2])
        },
    ]
}

@Suite("Convolution and pooling")
struct ConvolutionTests {
    @Test(arguments: ConvCases.forward) func forwardFloat64(_ c: ConvForwardCase) {
        let y = c.f(.float64)
        #expect(y.dtype == .float64)
        expectValues(y, c.shape, c.expected, rtol: 1e-13)
    }

    @Test(arguments: ConvCases.forward) func forwardFloat32(_ c: ConvForwardCase) {
        let y = c.f(.float32)
        #expect(y.dtype == .float32)
        expectValues(y, c.shape, c.expected, rtol: 1e-6)
    }

    @Test(arguments: ConvCases.gradients) func gradientsOrder2(_ c: OpCase) {
        let r = checkGradients(c.f, at: c.inputs, order: 2)
        #expect(r.passed, "\(c.name): \(r)")
    }

    /// A hand-derived gradient: for y = conv2d(x, w) summed, ∂/∂w[o, c, i, j] is the sum of the x
    /// entries the kernel tap (i, j) sees, and ∂/∂x counts how many output windows cover each input.
    @Test func gradientOfSumIsWindowCount() {
        let x = Tensor.ones([1, 1, 4, 4]), w = Tensor.ones([1, 1, 3, 3])
        let gx = grad { (x: Tensor) in conv2d(x, weight: w).sum() }(x)
        // Coverage counts of a 3×3 window sliding over 4×4 (outputs 2×2): 1 2 2 1 / 2 4 4 2 / …
        #expect(gx.doubles == [1, 2, 2, 1, 2, 4, 4, 2, 2, 4, 4, 2, 1, 2, 2, 1])
        let gw = grad { (w: Tensor) in conv2d(x, weight: w).sum() }(w)
        #expect(gw.doubles == [Double](repeating: 4, count: 9))   // each tap sees 4 ones
    }

    /// Max pooling's gradient goes to the first maximum of each window; overlapping windows add.
    @Test func maxPoolGradientGoesToArgmax() {
        let x: Tensor = [[[[1, 3, 2], [3, 0, 5], [4, 1, 1]]]]
        let g = grad { (x: Tensor) in maxPool2d(x, kernelSize: 2, stride: 1).sum() }(x)
        // Windows: {1,3,3,0} → max 3 first at (0,1); {3,2,0,5} → (1,2); {3,0,4,1} → (2,0); {0,5,1,1} → (1,2).
        #expect(g.doubles == [0, 1, 0, 0, 0, 2, 1, 0, 0])
    }

    /// The float32 2×2 max pool (eight outputs at a time) agrees with the float64 scalar loop on
    /// values and on the argmax (through the gradient), with ties, and NaNs (a later NaN wins).
    @Test(arguments: [22, 16, 10, 8, 6]) func maxPool2x2Float32MatchesScalarLoop(width: Int) {
        let shape = [2, 3, 6, width], n = shape.reduce(1, *)
        var values = Tensor.randn(shape, seed: 71).doubles.map { ($0 * 4).rounded() / 4 }   // many ties
        for k in [5, 30, 31, 30 + width, 2 * width + 1, 2 * width + 2] where k < n { values[k] = .nan }
        values[n / 2] = -.infinity
        let x64 = Tensor(values, shape: shape), x32 = x64.cast(to: .float32)
        let y64 = maxPool2d(x64, kernelSize: 2), y32 = maxPool2d(x32, kernelSize: 2)
        #expect(y32.shape == [2, 3, 3, width / 2])
        for (a, b) in zip(y32.doubles, y64.doubles) { #expect(a == b || (a.isNaN && b.isNaN), "\(a) vs \(b)") }
        let w = Tensor.randn(y64.shape, seed: 72)
        let g64 = grad { (x: Tensor) in (maxPool2d(x, kernelSize: 2) * w).sum() }(x64)
        let g32 = grad { (x: Tensor) in (maxPool2d(x, kernelSize: 2) * w.cast(to: .float32)).sum() }(x32)
        let worst = zip(g32.doubles, g64.doubles).map { Swift.abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-6)
    }

    /// A strided (permuted) input gives the same values and weight gradient as its contiguous copy
    /// (the kept im2col columns are built from the copy).
    @Test func nonContiguousInput() {
        let x = Tensor.randn([2, 5, 6, 3], seed: 81).permute([0, 3, 1, 2])   // [2, 3, 5, 6], strided
        #expect(!x.isContiguous)
        let w = Tensor.randn([4, 3, 2, 3], seed: 82), b = Tensor.randn([4], seed: 83)
        let xc = x.contiguous()
        #expect(conv2d(x, weight: w, bias: b, padding: 1).doubles == conv2d(xc, weight: w, bias: b, padding: 1).doubles)
        let gw = grad { (w: Tensor) in square(conv2d(x, weight: w, padding: 1)).sum() }(w)
        let gwc = grad { (w: Tensor) in square(conv2d(xc, weight: w, padding: 1)).sum() }(w)
        #expect(gw.doubles == gwc.doubles)
    }

    /// The fused bias equals adding the bias afterwards on inputs large enough for one-sample
    /// chunks (the bias written first, the GEMM adding to it); the small reference cases with a
    /// bias cover multi-sample chunks (bias added while reordering).
    @Test(arguments: [1, 3]) func fusedBiasMatchesAddedBias(batch: Int) {
        let x = Tensor.randn([batch, 8, 40, 40], seed: 91, dtype: .float32), w = Tensor.randn([5, 8, 3, 3], seed: 92, dtype: .float32)
        let b = Tensor.randn([5], seed: 93, dtype: .float32)
        let fused = conv2d(x, weight: w, bias: b, padding: 1), added = conv2d(x, weight: w, padding: 1) + b.reshape([1, 5, 1, 1])
        // Float32 sums of 72 products in a different order: compare in units of the output's
        // magnitude (BLAS kernels differ between CPUs, so an absolute bound is machine-dependent).
        let worst = zip(fused.doubles, added.doubles).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 1
        #expect(worst < 4e-6)
    }

    /// Second derivatives: d²/dw² of ½‖conv2d(x, w)‖² is constant (the loss is quadratic in w), so
    /// the Hessian-vector product along v equals the change of the gradient from w to w + v.
    @Test func hessianVectorProductOfQuadraticLoss() {
        let x = Tensor.randn([2, 2, 5, 5], seed: 41), w = Tensor.randn([3, 2, 3, 3], seed: 42), v = Tensor.randn([3, 2, 3, 3], seed: 43)
        let loss = { (w: Tensor) in (conv2d(x, weight: w, padding: 1) * conv2d(x, weight: w, padding: 1)).sum() * 0.5 }
        let g = grad(loss)
        let hv = grad { (w: Tensor) in (g(w) * v).sum() }(w)
        let difference = g(w + v) - g(w)
        let worst = zip(hv.doubles, difference.doubles).map { Swift.abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-10)
    }

    /// The JVP rules (forward mode) agree with central finite differences: they are linear in each
    /// argument, so a small step gives the directional derivative almost exactly.
    @Test func jvpRulesMatchFiniteDifferences() {
        let geo = ConvGeometry(strideH: 2, strideW: 1, padH: 1, padW: 0, dilationH: 1, dilationW: 2, groups: 2)
        let x = Tensor.randn([2, 4, 6, 7], seed: 51), w = Tensor.randn([6, 2, 3, 2], seed: 52)
        let dx = Tensor.randn([2, 4, 6, 7], seed: 53), dw = Tensor.randn([6, 2, 3, 2], seed: 54)
        let conv = Primitives.conv2d(geo)
        let y = conv(x, w)
        let gy = Tensor.randn(y.shape, seed: 55), dgy = Tensor.randn(y.shape, seed: 56)
        let inputGrad = Primitives.conv2dInputGrad(geo, inputSize: (6, 7))
        let weightGrad = Primitives.conv2dWeightGrad(geo, kernelSize: (3, 2))
        func expectJVP(_ p: BinaryPrimitive, _ a: Tensor, _ b: Tensor, _ da: Tensor, _ db: Tensor) {
            let eps = 1e-3
            let fd = (p(a + da * eps, b + db * eps) - p(a - da * eps, b - db * eps)) / (2 * eps)
            let jvp = p.jvp!(da, db, p(a, b), a, b)
            let worst = zip(jvp.doubles, fd.doubles).map { Swift.abs($0 - $1) }.max() ?? 1
            #expect(worst < 1e-8, "\(p.name): JVP differs from finite differences by \(worst)")
            let onlyA = p.jvp!(da, nil, p(a, b), a, b), onlyB = p.jvp!(nil, db, p(a, b), a, b)
            let split = zip((onlyA + onlyB).doubles, jvp.doubles).map { Swift.abs($0 - $1) }.max() ?? 1
            #expect(split < 1e-10, "\(p.name): JVP is not the sum of its partial JVPs")
        }
        expectJVP(conv, x, w, dx, dw)
        // The fused convolution + bias (three arguments).
        let b = Tensor.randn([6], seed: 64), db = Tensor.randn([6], seed: 65)
        let fused = Primitives.conv2dBias(geo)
        let fd = (fused([x + dx * 1e-3, w + dw * 1e-3, b + db * 1e-3]) - fused([x - dx * 1e-3, w - dw * 1e-3, b - db * 1e-3])) / 2e-3
        let fusedJVP = fused.jvp!([dx, dw, db], fused([x, w, b]), [x, w, b])
        let fusedWorst = zip(fusedJVP.doubles, fd.doubles).map { Swift.abs($0 - $1) }.max() ?? 1
        #expect(fusedWorst < 1e-8, "conv2d + bias: JVP differs from finite differences by \(fusedWorst)")
        let onlyBias = fused.jvp!([nil, nil, db], fused([x, w, b]), [x, w, b])
        #expect(onlyBias.shape == y.shape && onlyBias.doubles[1] == db.doubles[0])
        expectJVP(inputGrad, gy, w, dgy, dw)
        expectJVP(weightGrad, x, gy, dx, dgy)

        let pool = PoolGeometry(kernelH: 3, kernelW: 2, strideH: 2, strideW: 1, padH: 1, padW: 1)
        let avg = Primitives.avgPool2d(pool, countIncludePad: false)
        let pooled = avg(x)
        let avgAdjoint = Primitives.avgPool2dAdjoint(pool, countIncludePad: false, inputSize: (6, 7))
        let (_, indices) = Kernels.maxPool2d(x, pool)
        let gather = Primitives.poolGather(indices: indices, inputShape: x.shape)
        let scatter = Primitives.poolScatter(indices: indices, inputShape: x.shape)
        for (p, a, d) in [(avg, x, dx), (avgAdjoint, Tensor.randn(pooled.shape, seed: 57), Tensor.randn(pooled.shape, seed: 58)),
                          (gather, x, dx), (scatter, Tensor.randn(indices.shape, seed: 59), Tensor.randn(indices.shape, seed: 60))] {
            // Linear maps: the JVP is the map applied to the tangent.
            let jvp = p.jvp!(d, p(a), a)
            let worst = zip(jvp.doubles, p(d).doubles).map { Swift.abs($0 - $1) }.max() ?? 1
            #expect(worst < 1e-12, "\(p.name)")
        }
    }

    /// The adjoint identities behind the VJPs, on a larger float32 case with several column chunks
    /// and threads: ⟨conv(x, w), g⟩ = ⟨x, convᵀ(g, w)⟩ = ⟨w, WG(x, g)⟩.
    @Test func adjointIdentitiesFloat32Large() {
        let geo = ConvGeometry(strideH: 1, strideW: 2, padH: 2, padW: 1, dilationH: 2, dilationW: 1, groups: 1)
        let x = Tensor.randn([40, 5, 20, 18], seed: 61, dtype: .float32), w = Tensor.randn([7, 5, 3, 4], seed: 62, dtype: .float32)
        let y = Kernels.conv2d(x, w, geo)
        let g = Tensor.randn(y.shape, seed: 63, dtype: .float32)
        let dx = Kernels.conv2dInputGrad(g, w, geo, inputSize: (20, 18))
        let dw = Kernels.conv2dWeightGrad(x, g, geo, kernelSize: (3, 4))
        let a = (y.cast(to: .float64) * g.cast(to: .float64)).sum().scalar
        let b = (x.cast(to: .float64) * dx.cast(to: .float64)).sum().scalar
        let c = (w.cast(to: .float64) * dw.cast(to: .float64)).sum().scalar
        #expect(Swift.abs(a - b) <= 1e-4 * Swift.abs(a) && Swift.abs(a - c) <= 1e-4 * Swift.abs(a), "\(a) \(b) \(c)")
        // The same in float64 on a single-sample path agrees with the chunked float32 one.
        let y64 = Kernels.conv2d(x[0..<1].cast(to: .float64), w.cast(to: .float64), geo)
        let worst = zip(y64.doubles, y[0..<1].doubles).map { Swift.abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-4)
    }

    /// The weight gradient stays right while another thread changes ``Threading/count``: a plan
    /// reads the count once (its per-task partial sums were once laid out with one count and
    /// summed with another).
    @Test func weightGradientWhileThreadCountChanges() {
        let geo = ConvGeometry(padH: 1, padW: 1)
        let x = Tensor.randn([10, 8, 24, 24], seed: 66), w = Tensor.randn([4, 8, 3, 3], seed: 67)
        let g = Tensor.randn(Kernels.conv2d(x, w, geo).shape, seed: 68)
        let saved = Threading.count
        let expected = Kernels.conv2dWeightGrad(x, g, geo, kernelSize: (3, 3)).doubles
        let stop = Atomic<Bool>(false)
        let wrong = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 2) { role in
            if role == 0 {
                var n = 0
                while !stop.load(ordering: .relaxed) { Threading.count = 1 + n % 3; n += 1 }
            } else {
                for _ in 0..<60 {
                    let dw = Kernels.conv2dWeightGrad(x, g, geo, kernelSize: (3, 3)).doubles
                    let worst = zip(dw, expected).map { Swift.abs($0 - $1) }.max() ?? 1
                    if worst > 1e-9 { wrong.add(1, ordering: .relaxed) }
                }
                stop.store(true, ordering: .relaxed)
            }
        }
        Threading.count = saved
        #expect(wrong.load(ordering: .relaxed) == 0)
    }

    /// The same identities in float64 on a batch of 10 single-sample chunks, which several threads
    /// share unevenly (10 chunks in tasks of 2) — every weight-gradient partial must be counted once.
    @Test func adjointIdentitiesUnevenChunks() {
        let geo = ConvGeometry(padH: 1, padW: 1)
        let x = Tensor.randn([10, 8, 24, 24], seed: 66), w = Tensor.randn([4, 8, 3, 3], seed: 67)
        let y = Kernels.conv2d(x, w, geo)
        let g = Tensor.randn(y.shape, seed: 68)
        let dx = Kernels.conv2dInputGrad(g, w, geo, inputSize: (24, 24))
        let dw = Kernels.conv2dWeightGrad(x, g, geo, kernelSize: (3, 3))
        let a = (y * g).sum().scalar, b = (x * dx).sum().scalar, c = (w * dw).sum().scalar
        #expect(Swift.abs(a - b) <= 1e-10 * Swift.abs(a) && Swift.abs(a - c) <= 1e-10 * Swift.abs(a), "\(a) \(b) \(c)")
    }
}

@Suite("Convolution misuse messages")
struct ConvolutionMisuseTests {
    static func stderr(_ result: ExitTest.Result?) -> String {
        String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    }

    @Test func channelMismatch() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([1, 4, 5, 5]), weight: Tensor.zeros([8, 3, 3, 3]))
        }
        #expect(Self.stderr(r).contains("conv2d: input has 4 channels but weight [8, 3, 3, 3] expects 3"))
    }

    @Test func kernelLargerThanInput() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([1, 3, 4, 4]), weight: Tensor.zeros([2, 3, 5, 5]))
        }
        #expect(Self.stderr(r).contains("conv2d: kernel 5×5 (dilation (1, 1), extent 5×5) is larger than the padded input 4×4"))
    }

    @Test func conv1dKernelLargerThanInput() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv1d(Tensor.zeros([1, 2, 4]), weight: Tensor.zeros([2, 2, 3]), dilation: 2)
        }
        #expect(Self.stderr(r).contains("conv1d: kernel 3 (dilation 2, extent 5) is larger than the padded input 4"))
    }

    @Test func groupsMustDivideChannels() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([1, 4, 5, 5]), weight: Tensor.zeros([3, 2, 3, 3]), groups: 2)
        }
        #expect(Self.stderr(r).contains("conv2d: groups 2 must divide the input channels 4 and the output channels 3"))
    }

    @Test func wrongRank() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([3, 5, 5]), weight: Tensor.zeros([2, 3, 3, 3]))
        }
        #expect(Self.stderr(r).contains("conv2d: input must have rank 4 (N×C×H×W), got shape [3, 5, 5]"))
    }

    @Test func biasShape() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([1, 3, 5, 5]), weight: Tensor.zeros([2, 3, 3, 3]), bias: Tensor.zeros([3]))
        }
        #expect(Self.stderr(r).contains("conv2d: bias must have shape [2], got [3]"))
    }

    @Test func transposedChannelMismatch() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = convTranspose2d(Tensor.zeros([1, 3, 4, 4]), weight: Tensor.zeros([4, 2, 3, 3]))
        }
        #expect(Self.stderr(r).contains("convTranspose2d: input has 3 channels but weight [4, 2, 3, 3] expects 4"))
    }

    @Test func outputPaddingTooLarge() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = convTranspose2d(Tensor.zeros([1, 2, 4, 4]), weight: Tensor.zeros([2, 2, 3, 3]), stride: 2, outputPadding: 2)
        }
        #expect(Self.stderr(r).contains("convTranspose2d: outputPadding (2, 2) must be smaller than stride (2, 2)"))
    }

    @Test func poolKernelLargerThanInput() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool2d(Tensor.zeros([1, 1, 3, 3]), kernelSize: 4)
        }
        #expect(Self.stderr(r).contains("maxPool2d: kernel 4×4 is larger than the padded input 3×3 (input [1, 1, 3, 3])"))
    }

    @Test func poolPaddingTooLarge() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = avgPool1d(Tensor.zeros([1, 1, 8]), kernelSize: 2, padding: 2)
        }
        #expect(Self.stderr(r).contains("avgPool1d: padding (0, 2) must be between 0 and half the kernel size (1, 2)"))
    }

    @Test func dtypeMismatch() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([1, 3, 5, 5], dtype: .float32), weight: Tensor.zeros([2, 3, 3, 3]))
        }
        #expect(Self.stderr(r).contains("conv2d: input and weight must share a floating-point dtype, got float32 [1, 3, 5, 5] and float64 [2, 3, 3, 3]"))
    }
}

/// Reference outputs printed by References/conv_reference.py (numpy 2.4.6 loops following
/// PyTorch's definitions; the first one also equals scipy.signal.correlate's).
enum ConvReference {
    // conv2dBasic: shape [2, 4, 4, 5]
    static let conv2dBasic: [Double] = [
        4.375, -6.625, 0.25, 8.5, -8.0, 0.25, -6.625, 4.375, 3.0, 4.375,
        8.5, -8.0, -8.0, 8.5, 0.25, 3.0, 4.375, -6.625, 0.25, 8.5,
        -6.75, 1.125, 4.875, -3.75, -4.125, -6.625, 2.625, 3.625, 1.875, -6.75,
        -3.75, -4.125, 5.125, -0.75, -6.625, 1.875, -6.75, 1.125, 4.875, -3.75,
        7.25, 1.625, -1.25, -1.375, 1.25, -3.25, 9.0, -3.5, -9.125, 7.25,
        -1.375, 1.25, 6.625, -5.875, -3.25, -9.125, 7.25, 1.625, -1.25, -1.375,
        2.25, -3.75, -0.125, 2.125, 1.625, 5.625, -4.5, -7.75, 5.5, 2.25,
        2.125, 1.625, -3.0, 0.625, 5.625, 5.5, 2.25, -3.75, -0.125, 2.125,
        -8.0, 8.5, 0.25, -6.625, 4.375, -6.625, 0.25, 8.5, -8.0, -8.0,
        -6.625, 4.375, 3.0, 4.375, -6.625, -8.0, -8.0, 8.5, 0.25, -6.625,
        5.125, -0.75, -6.625, 2.625, 3.625, 1.125, 4.875, -3.75, -4.125, 5.125,
        2.625, 3.625, 1.875, -6.75, 1.125, -4.125, 5.125, -0.75, -6.625, 2.625,
        6.625, -5.875, -3.25, 9.0, -3.5, 1.625, -1.25, -1.375, 1.25, 6.625,
        9.0, -3.5, -9.125, 7.25, 1.625, 1.25, 6.625, -5.875, -3.25, 9.0,
        -3.0, 0.625, 5.625, -4.5, -7.75, -3.75, -0.125, 2.125, 1.625, -3.0,
        -4.5, -7.75, 5.5, 2.25, -3.75, 1.625, -3.0, 0.625, 5.625, -4.5,
    ]
    // conv2dStridePad: shape [2, 4, 4, 3]
    static let conv2dStridePad: [Double] = [
        0.0, -1.375, 2.75, 0.0, 0.5, 0.375, 0.0, 1.375, 1.25, 0.0,
        5.125, 1.625, 0.0, -2.125, 0.375, 0.0, 3.0, 0.625, 0.0, -3.75,
        3.5, 0.0, 5.125, 1.75, 0.0, -2.875, -1.125, 0.0, -1.5, 2.625,
        0.0, -0.125, 4.0, 0.0, -1.875, 1.875, 0.0, 1.625, 0.875, 0.0,
        -6.875, -5.875, 0.0, 2.625, 3.625, 0.0, -1.875, 1.125, 0.0, -1.375,
        -2.75, 0.0, -2.0, -0.75, 0.0, -3.875, -2.625, 0.0, 1.125, 1.75,
        0.0, 1.125, -1.875, 0.0, 3.625, 2.625, 0.0, -5.875, -6.875, 0.0,
        0.875, 1.625, 0.0, 1.875, -1.875, 0.0, 4.0, -0.125, 0.0, 2.625,
        -1.5, 0.0, -1.125, -2.875, 0.0, 1.75, 5.125, 0.0, 3.5, -3.75,
        0.0, 0.625, 3.0, 0.0, 0.375, -2.125,
    ]
    // conv2dDilation: shape [1, 3, 7, 7]
    static let conv2dDilation: [Double] = [
        0.625, -5.25, 2.5, -2.625, -2.25, -0.25, 2.5, 0.75, 0.375, 1.0,
        4.125, -1.0, -1.625, -0.25, -0.875, -1.25, 2.375, -2.25, 4.125, 0.125,
        -0.375, 4.75, -1.125, -5.25, 5.25, -3.5, 2.125, 0.25, -0.625, 3.125,
        -1.875, -2.375, 5.375, 0.0, -3.25, 4.25, -1.125, 1.0, 2.5, -4.25,
        1.625, 0.75, -0.375, 2.5, -0.875, -3.5, 4.875, -0.375, 1.5, -1.125,
        0.375, 2.5, -4.25, 1.375, 0.75, -0.125, 2.5, -1.5, -3.5, 4.875,
        -1.875, 1.5, 0.625, -0.125, 2.625, -2.875, -2.75, 4.25, 1.5, -4.75,
        2.625, -0.125, -0.625, 0.875, -1.75, 3.125, 1.0, -0.125, 4.0, 1.625,
        -5.125, 3.25, 0.625, -0.125, 0.375, -1.125, 3.625, -2.75, -5.0, 2.625,
        0.875, -1.875, 0.75, 1.625, 0.75, 1.25, -1.375, 3.75, -1.125, 4.25,
        -2.75, -5.0, 2.375, 0.875, -3.625, 0.75, -0.75, 0.75, 1.25, -1.0,
        3.75, 0.625, -1.125, 4.75, -2.0, -0.625, 3.5, -0.625, 3.125, -1.25,
        -0.875, 4.875, -6.125, -6.125, 5.0, -0.875, -1.375, 3.125, 0.75, 3.5,
        -0.625, -3.125, 4.75, -5.25, 0.625, 3.625, -1.0, 1.25, 1.875, -0.75,
        0.125, -3.625, 1.5, 2.375, -5.0, -4.125, 4.25,
    ]
    // conv2dGroups: shape [2, 6, 5, 5]
    static let conv2dGroups: [Double] = [
        0.0, -1.25, -2.25, -0.5, -1.0, -1.75, 5.0, -2.375, -2.875, 3.125,
        0.5, -0.25, 0.625, -5.375, -0.75, 2.75, 0.0, 5.0, -2.375, 0.875,
        3.625, 2.25, -0.375, -0.25, -0.625, -1.25, 2.875, -1.125, -3.75, 2.625,
        2.5, 0.375, -3.625, -2.125, -0.375, -1.625, -0.375, 3.875, -0.125, -2.75,
        2.5, 3.0, 0.375, -3.625, -1.0, -3.0, 0.0, -0.875, 2.375, -1.5,
        3.375, -0.25, -1.125, -2.0, -1.0, 1.25, -1.875, 3.625, 3.625, -4.125,
        0.375, 3.625, -1.875, 2.25, -3.25, -3.25, 2.25, -1.875, 3.625, 0.375,
        -2.875, 1.875, 2.75, -0.5, 0.0, 3.125, -0.75, 0.125, -1.75, -1.375,
        -2.875, 0.5, 3.125, 4.375, -5.625, -3.25, 4.0, -0.25, -1.75, -1.5,
        -0.875, -3.5, 0.5, 3.125, 2.625, -0.5, -1.0, 3.0, -1.25, 0.125,
        -0.875, -0.125, 2.5, 3.75, -3.125, -3.875, 5.25, 0.25, 3.5, -3.5,
        -2.75, 0.875, 0.0, 0.5, 5.25, 1.125, -2.125, 5.25, 0.25, 3.0,
        2.0, -2.0, -1.0, 1.375, -0.75, -3.75, 3.375, 1.625, -0.125, -1.125,
        -1.125, -3.75, -0.625, 1.125, 5.0, 3.25, -4.625, 4.0, 3.0, -0.875,
        0.75, -1.375, -3.75, -0.625, 0.125, -0.5, 2.5, -3.0, 2.5, -0.5,
        -0.375, -2.25, -0.5, -0.125, 1.75, 4.75, -2.375, -2.875, 4.875, -1.5,
        -1.25, 0.625, -5.375, -3.125, 1.5, -1.75, 5.0, -2.375, -2.875, 3.125,
        1.0, -0.375, -0.25, -2.875, -1.5, 3.0, -1.125, -3.75, 3.25, 0.375,
        -0.25, -3.625, -2.125, -0.625, -1.125, -0.25, 3.875, -0.125, -5.5, 4.75,
        2.5, 0.375, -3.625, -2.125, -0.375, -0.375, -0.875, 2.375, 1.5, -3.25,
        -0.875, -1.125, -2.0, -1.5, 1.375, -1.125, 3.625, 3.625, -4.625, 5.125,
        4.875, -1.875, 2.25, -4.625, -3.625, 1.25, -1.875, 3.625, 3.625, -4.125,
        -1.125, 2.75, -0.5, 0.375, -2.625, -0.625, 0.125, -1.75, -2.25, 0.125,
        0.625, 3.125, 4.375, -5.375, 2.625, 4.375, -0.25, -1.75, -0.5, -1.5,
        -2.875, 0.5, 3.125, 4.375, -5.625, -2.375, 3.0, -1.25, 1.375, -1.375,
        0.0, 2.5, 3.75, -3.25, 0.875, 3.5, 0.25, 3.5, -2.875, -3.125,
        -0.875, 0.0, 0.5, 5.125, -4.0, -3.875, 5.25, 0.25, 3.5, -3.5,
        -2.125, -1.0, 1.375, -0.375, 3.75, 1.75, 1.625, -0.125, -0.5, -0.75,
        -3.0, -0.625, 1.125, 4.25, -2.5, -4.125, 4.0, 3.0, -2.125, -0.125,
        -1.125, -3.75, -0.625, 1.125, 5.0, 2.75, -3.0, 2.5, 2.5, 0.375,
    ]
    // conv2dDepthwise: shape [1, 3, 3, 3]
    static let conv2dDepthwise: [Double] = [
        0.25, 0.5, -0.875, -0.25, 1.25, -1.125, 2.125, -1.0, -0.625, 0.75,
        0.0, -0.75, -0.5, 1.375, 3.0, -0.5, -0.125, -1.25, 1.5, 0.0,
        -0.125, -0.25, 1.375, 1.375, -1.25, 1.375, 0.0,
    ]
    // conv1dStrideDilation: shape [2, 4, 4]
    static let conv1dStrideDilation: [Double] = [
        3.0, -3.875, -0.75, 2.25, -1.375, 1.25, 1.25, 0.125, 3.625, -0.875,
        -4.0, 2.125, -5.125, -0.125, 3.25, 0.0, -2.875, -0.875, 3.625, 1.0,
        1.25, 1.25, -2.875, -2.5, 0.75, -3.875, 2.625, 2.5, 0.5, 3.5,
        1.375, -2.75,
    ]
    // conv1dGroups: shape [1, 6, 6]
    static let conv1dGroups: [Double] = [
        2.5, -1.25, -0.875, 2.25, -1.5, -1.125, -1.375, -1.75, 2.0, -1.125,
        -1.5, 2.25, 2.0, -1.25, 2.375, -0.875, -1.375, 2.25, -0.25, -0.125,
        -1.375, -1.25, 1.625, -1.0, -0.75, -0.75, 2.0, -0.75, -0.75, -0.75,
        -0.875, -1.0, 1.625, -1.25, -1.375, -0.125,
    ]
    // convTransposeStride: shape [2, 3, 6, 8]
    static let convTransposeStride: [Double] = [
        -0.875, -5.5, -0.875, 2.75, 0.5, 2.75, -0.875, -2.75, 4.125, 0.75,
        -2.75, 0.75, -2.75, 0.75, 4.125, -1.875, -0.875, 2.75, 0.5, 2.75,
        -0.875, -5.5, -0.875, 2.0, -2.75, -3.375, 0.0, 3.5, 4.125, -2.0,
        -5.5, 3.25, 0.5, 0.0, 3.25, 0.0, 0.5, 2.75, -0.875, -2.875,
        1.5, 1.0, -1.125, -3.625, 0.375, 2.75, 1.875, -2.75, 1.0, 3.375,
        0.625, -2.875, -2.5, -2.25, 1.25, 2.0, -1.625, 1.25, 2.375, -0.375,
        -0.5, -2.0, -2.0, 0.75, 0.875, -2.375, -2.25, -1.75, 1.5, 4.375,
        1.125, -3.0, 2.0, -1.125, -3.625, -1.375, 1.75, 5.25, 3.0, -4.0,
        -2.0, 0.125, 0.375, -0.625, -2.75, -2.75, 1.0, 1.625, -2.75, -0.625,
        0.375, 0.125, -2.0, -1.875, 1.125, 1.75, -2.625, -2.0, 2.75, 2.625,
        1.25, 0.375, -3.0, 1.25, 1.125, -3.75, 0.25, 0.0, -2.0, 3.75,
        1.25, -1.25, 2.375, 2.75, 0.875, 0.5, -3.375, -1.75, 2.0, 1.375,
        0.375, 4.375, -0.5, 4.0, 0.0, -8.75, -3.625, 3.375, 0.5, -3.5,
        -1.0, 1.125, 1.625, 0.25, -2.625, 1.5, 0.625, 0.125, 3.375, 0.125,
        0.625, 2.875, -0.75, -2.75, -0.875, 2.75, 0.5, 2.75, -0.875, -5.5,
        -0.875, 2.0, -2.75, -3.375, 0.0, 3.5, 4.125, -2.0, -5.5, 3.25,
        0.5, 0.0, 3.25, 0.0, 0.5, 2.75, -0.875, -2.875, 4.125, 3.5,
        0.0, -3.375, -2.75, 0.75, 4.125, -1.25, -0.875, 2.75, 0.5, 2.75,
        -0.875, -5.5, -0.875, 1.875, -3.5, 0.375, 0.75, 2.625, 2.25, -2.0,
        -3.125, 2.25, 0.875, -2.375, -2.25, -1.75, 1.5, 4.375, 1.125, -3.0,
        2.0, -1.125, -3.625, -1.375, 1.75, 5.25, 3.0, -4.0, -2.0, 0.125,
        0.375, -0.625, -2.75, -2.75, 1.0, 1.625, -5.375, -3.5, 1.375, 1.75,
        -0.125, -1.25, -1.625, 0.875, 0.625, -2.875, -2.5, -2.25, 1.25, 3.875,
        0.875, -3.375, 1.5, -1.75, -2.25, -2.375, 0.875, 3.875, 1.25, -3.0,
        2.375, 2.75, 0.875, 0.5, -3.375, -1.75, 2.0, 1.375, 0.375, 4.375,
        -0.5, 4.0, 0.0, -8.75, -3.625, 3.375, 0.5, -3.5, -1.0, 1.125,
        1.625, 0.25, -2.625, 1.5, 2.375, 1.5, 4.25, -3.0, -2.125, 3.5,
        1.125, -1.625, 2.75, 2.625, 1.25, 0.375, -3.0, -1.875, 2.375, 1.625,
        -0.75, 2.875, 0.625, 2.875, -0.75, -5.375, -0.75, 2.0,
    ]
    // convTransposeGroupsDilation: shape [1, 4, 5, 5]
    static let convTransposeGroupsDilation: [Double] = [
        0.0, -1.875, 0.0, 1.125, 0.0, 0.0, -1.125, 0.0, 0.5, 0.0,
        0.0, 0.75, 0.0, -1.125, 0.0, 0.0, -1.125, 0.0, -0.5, 0.0,
        0.0, -0.625, 0.0, 0.0, 0.0, 0.0, -1.875, 0.0, 0.375, 0.0,
        0.0, -2.0, 0.0, 0.25, 0.0, 0.0, -4.0, 0.0, 0.125, 0.0,
        0.0, 2.375, 0.0, 0.125, 0.0, 0.0, 2.5, 0.0, 0.25, 0.0,
        0.0, 0.0, 0.0, 0.625, 0.0, 0.0, 0.5, 0.0, 2.5, 0.0,
        0.0, -0.25, 0.0, 1.25, 0.0, 0.0, 0.0, 0.0, -1.875, 0.0,
        0.0, 2.625, 0.0, -2.0, 0.0, 0.0, 0.25, 0.0, -2.0, 0.0,
        0.0, 0.375, 0.0, -1.875, 0.0, 0.0, -2.75, 0.0, 1.25, 0.0,
        0.0, -1.0, 0.0, 2.5, 0.0, 0.0, -0.125, 0.0, 0.625, 0.0,
    ]
    // maxPool2dPadded: shape [2, 2, 4, 3]
    static let maxPool2dPadded: [Double] = [
        1.25, 1.25, 1.0, 1.25, 1.0, 1.25, 0.75, 1.0, 1.25, 1.0,
        1.0, 1.25, 1.0, 1.25, 1.25, 1.0, 1.25, 1.0, 1.25, 1.25,
        1.0, 1.25, 1.0, 1.0, 0.75, 1.0, 1.25, 1.0, 1.0, 1.25,
        1.0, 1.25, 1.25, 1.0, 1.25, 1.0, 1.25, 1.25, 1.0, 1.25,
        1.25, 1.0, 1.25, 1.0, 1.25, 0.25, 1.0, 1.25,
    ]
    // maxPool2d2x2: shape [1, 2, 2, 3]
    static let maxPool2d2x2: [Double] = [
        1.25, 0.25, 1.0, 1.25, 1.0, 1.25, 0.25, 1.0, 1.25, 1.0,
        1.25, 0.75,
    ]
    // maxPool1d: shape [2, 2, 5]
    static let maxPool1d: [Double] = [
        1.25, 1.25, 1.0, 0.75, 0.75, 0.5, 1.25, 1.25, 1.0, 0.0,
        0.75, 0.5, 1.25, 1.25, 1.0, 0.0, 0.75, 0.5, 1.25, 1.25,
    ]
    // avgPool2dPadded: shape [2, 2, 4, 3]
    static let avgPool2dPadded: [Double] = [
        0.05555555555555555, 0.0, -0.1111111111111111, 0.19444444444444445, -0.1388888888888889, 0.0, -0.16666666666666666, -0.2222222222222222, 0.2222222222222222, -0.1388888888888889,
        -0.1388888888888889, 0.05555555555555555, 0.027777777777777776, 0.1111111111111111, 0.0, 0.0, 0.027777777777777776, -0.1388888888888889, -0.05555555555555555, -0.05555555555555555,
        -0.2222222222222222, 0.1388888888888889, -0.027777777777777776, -0.1388888888888889, 0.0, -0.08333333333333333, 0.1111111111111111, -0.19444444444444445, -0.1111111111111111, 0.027777777777777776,
        0.05555555555555555, 0.1111111111111111, -0.05555555555555555, 0.1111111111111111, 0.08333333333333333, -0.027777777777777776, -0.027777777777777776, 0.027777777777777776, -0.08333333333333333, 0.2222222222222222,
        0.05555555555555555, -0.1111111111111111, 0.16666666666666666, -0.027777777777777776, 0.1111111111111111, -0.2222222222222222, -0.1111111111111111, 0.08333333333333333,
    ]
    // avgPool2dExcludePad: shape [2, 2, 4, 7]
    static let avgPool2dExcludePad: [Double] = [
        -0.75, 0.125, 0.5, -0.5, -0.125, 0.25, -0.25, 0.3333333333333333, 0.2916666666666667, -0.25,
        -0.3333333333333333, 0.041666666666666664, -0.041666666666666664, -0.08333333333333333, 0.25, -0.25, -0.3333333333333333, 0.041666666666666664, -0.041666666666666664, 0.3333333333333333,
        0.75, -0.5, -0.3125, 0.0625, -0.25, 0.125, 0.5, 0.0, -0.125, 0.0625,
        -0.25, 0.125, 0.5, -0.5, -1.0, 0.5, 0.0, -0.08333333333333333, 0.2916666666666667, -0.25,
        -0.3333333333333333, 0.08333333333333333, -0.5, -0.08333333333333333, 0.2916666666666667, -0.25, -0.3333333333333333, 0.041666666666666664, 0.0, 0.125,
        0.3125, 0.0, -0.3125, 0.0625, -0.25, -0.75, 0.5, 0.0, -0.3125, 0.0625,
        -0.25, 0.125, 1.0, -0.25, -0.2916666666666667, 0.08333333333333333, 0.0, -0.08333333333333333, 0.2916666666666667, 0.25,
        -0.3333333333333333, 0.08333333333333333, 0.0, -0.08333333333333333, 0.2916666666666667, -0.25, -0.75, 0.75, 0.25, -0.0625,
        0.3125, 0.0, -0.3125, -0.125, -0.25, -0.0625, 0.3125, 0.0, -0.3125, 0.0625,
        0.25, -0.08333333333333333, 0.3333333333333333, 0.25, -0.2916666666666667, 0.08333333333333333, 0.0, -0.5, 0.75, 0.25,
        -0.2916666666666667, 0.08333333333333333, 0.0, -0.08333333333333333, 0.3333333333333333, 0.0, -0.5, -0.125, 0.25, -0.0625,
        0.3125, 0.5,
    ]
    // avgPool1d: shape [2, 2, 4]
    static let avgPool1d: [Double] = [
        0.1875, 0.4375, 0.1875, 0.125, -0.1875, 0.375, 0.125, -0.25, 0.125, -0.375,
        0.0625, 0.0625, -0.25, -0.4375, 0.0, 0.375,
    ]
}
