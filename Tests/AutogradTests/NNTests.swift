import Foundation
import Testing
@testable import Autograd

// Layers of NN/: forward values against independent numpy references (the script and its output
// are in Tests/AutogradTests/References/nn_reference.py and nn_reference_output.txt; every
// reference array below is copied from that output), gradient checks in float64 to order 2, float32
// agreement, and misuse messages.

/// The reference script's deterministic inputs: `sin(a·k + b)` for the row-major flat index `k`.
func nnPattern(_ shape: [Int], _ a: Double, _ b: Double, dtype: DType = .float64) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor((0..<n).map { Foundation.sin(a * Double($0) + b) }, shape: shape).cast(to: dtype)
}

/// Expects `t` to have the given shape and values within `rtol` (relative to max(|a|, |b|, 1e-300))
/// plus `atol`.
func expectValues(_ t: Tensor, shape: [Int]? = nil, _ reference: [Double], rtol: Double = 1e-12, atol: Double = 1e-14,
                  _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    if let shape { #expect(t.shape == shape, "\(label): shape \(t.shape), expected \(shape)", sourceLocation: sourceLocation) }
    let got = t.doubles
    #expect(got.count == reference.count, "\(label): \(got.count) values, expected \(reference.count)", sourceLocation: sourceLocation)
    for (k, (g, r)) in zip(got, reference).enumerated() {
        #expect(Swift.abs(g - r) <= atol + rtol * Swift.max(Swift.abs(g), Swift.abs(r)),
                "\(label)[\(k)]: got \(g), expected \(r)", sourceLocation: sourceLocation)
    }
}

/// The reference script's recurrent-layer data (B = 2, I = 3, H = 4, T = 3).
enum RecurrentData {
    static let x = nnPattern([2, 3], 0.7, 0.1)
    static let h = nnPattern([2, 4], 0.4, 0.3) * 0.5
    static let c = nnPattern([2, 4], 0.9, 0.7) * 0.5
    static let wRNN = nnPattern([7, 4], 0.33, 0.2) * 0.5
    static let bRNN = nnPattern([4], 0.5, 0.1) * 0.1
    static let wLSTM = nnPattern([7, 16], 0.21, 0.4) * 0.5
    static let bLSTM = nnPattern([16], 0.6, 0.2) * 0.1
    static let wGRU = nnPattern([7, 12], 0.27, 0.8) * 0.5
    static let bGRU = nnPattern([12], 0.4, 0.6) * 0.1
    static let bhGRU = nnPattern([12], 0.8, 0.9) * 0.1
    static let xs = nnPattern([3, 2, 3], 0.55, 0.35)
}

@Suite("NN layers")
struct NNTests {
    // MARK: Forward values (references: nn_reference.py)

    @Test func activations() {
        let x = Tensor([-2.0, -0.5, 0.3, 1.7])
        expectValues(leakyRelu(x, negativeSlope: 0.1), [-0.2, -0.05, 0.3, 1.7], "leakyRelu")
        expectValues(elu(x), [-0.8646647167633873, -0.3934693402873666, 0.3, 1.7], "elu")
        expectValues(elu(x, alpha: 0.5), [-0.43233235838169365, -0.1967346701436833, 0.3, 1.7], "elu(0.5)")
        expectValues(selu(x), [-1.520166468595695, -0.6917581878028713, 0.31521029620664415, 1.7861916785043168], "selu")
        expectValues(gelu(x), [-0.04550026389635842, -0.15426876936299347, 0.18537342665668577, 1.6242387133104768], "gelu")
        expectValues(gelu(x, approximation: .tanh),
                     [-0.04540230591222494, -0.15428599017485606, 0.18537092354275922, 1.624105895551156], "gelu tanh")
        expectValues(softplus(x, beta: 2), [0.009074963958904869, 0.15663084375911143, 0.5187439752429428, 1.7164142352124325],
                     "softplus(beta 2)")
        expectValues(erf(x), [-0.9953222650189527, -0.5204998778130465, 0.3286267594591274, 0.9837904585907745], "erf")
        // float32 agrees with the float64 reference to float32 precision.
        expectValues(gelu(x.cast(to: .float32)), [-0.04550026389635842, -0.15426876936299347, 0.18537342665668577, 1.6242387133104768],
                     rtol: 1e-6, atol: 1e-7, "gelu float32")
        #expect(elu(x.cast(to: .float32)).dtype == .float32)
    }

    @Test func linearLayer() {
        let x = nnPattern([2, 3], 0.7, 0.2), w = nnPattern([3, 4], 0.3, -0.4), b = nnPattern([4], 1.1, 0.5)
        let reference = [1.8728940920937125, 2.4232337179018018, 1.7540602384219053, 0.4993343053635795,
                         -0.1915110912103828, 0.6557929218583752, 0.44146405206701445, -0.2411669632168768]
        expectValues(linear(x, weight: w, bias: b), shape: [2, 4], reference, "linear")
        expectValues(linear(x.cast(to: .float32), weight: w.cast(to: .float32), bias: b.cast(to: .float32)),
                     reference, rtol: 1e-6, atol: 1e-6, "linear float32")
        // Without a bias, on a transposed view, and with extra batch dimensions: the matrix product.
        expectValues(linear(x, weight: w), (matmul(x, w)).doubles, "linear no bias")
        let wt = w.T.contiguous().T
        expectValues(linear(x, weight: wt, bias: b), reference, "linear transposed weight")
        let x3 = x.reshape([1, 2, 3])
        expectValues(linear(x3, weight: w, bias: b), shape: [1, 2, 4], reference, "linear 3-d")
        expectValues(linear(x[0], weight: w, bias: b), shape: [4], Array(reference[0..<4]), "linear 1-d")
    }

    @Test func dropoutMaskAndScaling() {
        let x = nnPattern([2, 5], 0.5, 0.5)
        // Reference: SplitMix64 seed 77 reimplemented in numpy, element kept when uniform < 0.7.
        let reference = [0.6848936265774329, 1.2021014068684237, 1.4249928380057921, 1.2989963240366882, 0.0,
                         0.20160001151409604, -0.0, -1.081146421868469, -1.3964715966644243, -1.3698918209473407]
        expectValues(dropout(x, probability: 0.3, seed: 77), shape: [2, 5], reference, "dropout")
        #expect(dropout(x, probability: 0.3, seed: 77, training: false) == x)
        #expect(dropout(x, probability: 0, seed: 77) == x)
        #expect(dropout(x, probability: 1, seed: 77).doubles.allSatisfy { $0 == 0 })
        // The gradient is the same mask: kept elements get 1/(1 − p), dropped ones 0.
        let g = grad { (x: Tensor) in dropout(x, probability: 0.3, seed: 77).sum() }(x)
        expectValues(g, zip(reference, x.doubles).map { $0.0 == 0 ? 0 : 1 / 0.7 }, "dropout gradient")
        // A large tensor drops about the requested fraction.
        let big = dropout(Tensor.ones([10_000]), probability: 0.25, seed: 3)
        let dropped = big.doubles.filter { $0 == 0 }.count
        #expect(abs(Double(dropped) / 10_000 - 0.25) < 0.02, "dropped \(dropped) of 10000")
    }

    @Test func batchNormTrainingAndEvaluation() {
        let x = nnPattern([4, 3], 0.45, 0.25) * 2
        let gamma = Tensor([1.0, 0.5, 2.0]), beta = Tensor([0.0, 0.1, -0.2])
        let rm = Tensor([0.1, 0.2, 0.3]), rv = Tensor([1.0, 2.0, 0.5])
        let train = batchNorm(x, runningMean: rm, runningVariance: rv, weight: gamma, bias: beta, training: true)
        expectValues(train.output, shape: [4, 3], [0.17134590615995757, 0.4835946760124411, 2.173970215731127, 1.2719971621115242,
                                                  0.6457928559364283, 1.36162423911855, 0.08796504518080084, -0.11662095342927306,
                                                  -1.8669014913143709, -1.5313081134522826, -0.6127665785195963, -2.4686929635353057],
                     rtol: 1e-11, "batchNorm train")
        expectValues(train.runningMean!, [0.11606171364538002, 0.1938373082434429, 0.26885781457895785], "running mean")
        expectValues(train.runningVariance!, [1.1490740831235733, 2.099622483306318, 0.769330887579917], "running variance")
        let eval = batchNorm(x, runningMean: rm, runningVariance: rv, weight: gamma, bias: beta, training: false)
        expectValues(eval.output, [0.3948059444842585, 0.48481905504099587, 4.114801289025128, 1.8991377104181972,
                                   0.6567478782438062, 2.336916185118419, 0.28084389050611214, -0.15140489572225682,
                                   -4.728974419339765, -1.9323222119120043, -0.6773154423077855, -6.046043900721526],
                     rtol: 1e-11, "batchNorm eval")
        let x4 = nnPattern([2, 3, 2, 2], 0.31, 0.05)
        expectValues(batchNorm(x4, training: true).output, shape: [2, 3, 2, 2],
                     [0.34168127285274724, 0.7791185578280148, 1.167958979002224, 1.4711332668523542, 1.0208542081244196,
                      1.0680178426028935, 0.999164530550157, 0.8208582551404079, 0.8979909654626558, 0.09145981592847177,
                      -0.7974843650738769, -1.6840959861858897, -0.5813022640611122, -0.8978607332275509, -1.1031448338346352,
                      -1.1775842454120427, -1.3129143334230997, -1.1485226481590354, -0.8888387646294009, -0.5586190902063415,
                      -0.8695779937580186, 0.022345198086350042, 0.8384442526650507, 1.500918112875257],
                     rtol: 1e-10, atol: 1e-12, "batchNorm 4-d")
    }

    @Test func layerNormValues() {
        let x = nnPattern([2, 3, 4], 0.37, 0.6)
        let w = nnPattern([3, 4], 0.5, 0.9) + 1, b = nnPattern([3, 4], 0.2, 0.1)
        expectValues(layerNorm(x, normalizedShape: [3, 4], weight: w, bias: b), shape: [2, 3, 4],
                     [1.0558045069135746, 2.070874887385287, 2.6177676488522925, 2.5238310879568573, 1.9737200337215137,
                      1.3651927173795402, 1.0241345162213256, 0.9826109434943295, 0.9776257312399034, 0.6697716611113147,
                      -0.07703260113766797, -1.058433415710572, -3.1634717383887145, -2.7929995239967624, -1.7073573736163818,
                      -0.3481845150651067, 0.7415062459492944, 1.2459766589574481, 1.2350451794289004, 1.0503419510598948,
                      1.0112077545674856, 1.1580703317688847, 1.2208403785382402, 0.8353360517309882],
                     rtol: 1e-10, atol: 1e-12, "layerNorm [3, 4]")
        expectValues(layerNorm(x, normalizedShape: [4]),
                     [-1.603756316977649, -0.07880814472332782, 0.7919369003783734, 0.8906275613226035, 1.2362267686562154,
                      0.5571650408350892, -0.3709343381698917, -1.4224574713214129, 1.5363490938873028, 0.21191657981702808,
                      -0.6928295428726666, -1.055436130831664, -1.1852125262718944, -0.5989317456302947, 0.32438193409338084,
                      1.4597623378088098, -1.4843510568857896, -0.29113931891436773, 0.6276958773257967, 1.1477944984743595,
                      1.1134384915777507, 0.6528479625607146, -0.2612241061055341, -1.5050623480329317],
                     rtol: 1e-10, atol: 1e-12, "layerNorm [4]")
    }

    @Test func embeddingLookupAndAccumulatedGradient() {
        let w = nnPattern([4, 3], 0.9, 0.2)
        let idx = Tensor([0, 2, 0, 0], shape: [2, 2])
        let e = embedding(idx, weight: w)
        #expect(e.shape == [2, 2, 3])
        expectValues(e[0, 1], w[2].doubles, "row 2")
        let g = nnPattern([2, 2, 3], 0.3, 0.0)
        let dw = grad { (w: Tensor) in (embedding(idx, weight: w) * g).sum() }(w)
        // Reference (numpy): row 0 collects three cotangents, row 2 one, rows 1 and 3 none.
        expectValues(dw, shape: [4, 3], [1.4012275111120254, 1.2998495813700803, 1.082359959802938, 0, 0, 0,
                                         0.7833269096274833, 0.9320390859672263, 0.9974949866040544, 0, 0, 0], "embedding grad")
    }

    @Test func recurrentCells() {
        typealias D = RecurrentData
        expectValues(rnnCell(D.x, D.h, weight: D.wRNN, bias: D.bRNN), shape: [2, 4],
                     [0.6032071001354014, 0.5650067270504454, 0.46629667374044276, 0.29475225246100745,
                      -0.12796662494616595, 0.1538119318958148, 0.3921129027093664, 0.5487809741385611], "rnnCell tanh")
        expectValues(rnnCell(D.x, D.h, weight: D.wRNN, bias: D.bRNN, nonlinearity: .relu),
                     [0.6981734289218388, 0.6401574174572399, 0.5053275578683812, 0.3037627444805205, 0.0,
                      0.15504241276754419, 0.4142943881982442, 0.6166352828231089], "rnnCell relu")
        let (h, c) = lstmCell(D.x, D.h, D.c, weight: D.wLSTM, bias: D.bLSTM)
        expectValues(h, shape: [2, 4], [0.05363665119823217, 0.08497809365213596, 0.015584843103115401, -0.10236684558026601,
                                        -0.04851114122362328, -0.03850510964669347, 0.047195911640459776, 0.14463189510699212],
                     "lstmCell h")
        expectValues(c, [0.1123373059285413, 0.18202834857622557, 0.033133262253213516, -0.22085199391511834,
                         -0.0983011583566413, -0.07521431548606913, 0.08845904717698203, 0.26628736618768734], "lstmCell c")
        expectValues(gruCell(D.x, D.h, weight: D.wGRU, bias: D.bGRU, hiddenBias: D.bhGRU), shape: [2, 4],
                     [0.04957471996401463, 0.09641969313005455, 0.10547077695891238, 0.08623281528623356,
                      0.26053318769531547, 0.20197656604597386, 0.10590451978945477, -0.012060643094765238], "gruCell")
    }

    static let lstmOutputs = [0.06627094161377611, 0.09495326423500869, 0.015256035556268806, -0.11498596087685256,
                              -0.063290380185271, -0.05773452891311874, 0.027597417770977812, 0.12281912690306528,
                              0.05987755228668164, 0.0883574438182637, 0.06714324819689314, 0.01040335639226623,
                              -0.03792334941244665, -0.026567713147273856, 0.007908005147316209, 0.03994228572074489,
                              0.05975611828213372, 0.05980771579626856, 0.01598413051572993, -0.0494624454406495,
                              0.022555367819733444, 0.028930010279851835, 0.03796349807403089, 0.03448675192364503]
    static let lstmCellState = [0.11394421858231268, 0.11505368123578989, 0.030667602923033277, -0.09534997484270623,
                                0.0441653707778872, 0.055849589173743185, 0.07174895030667916, 0.0638569877395305]

    @Test func recurrentSequences() {
        typealias D = RecurrentData
        let l = lstm(D.xs, h0: D.h, c0: D.c, weight: D.wLSTM, bias: D.bLSTM)
        expectValues(l.outputs, shape: [3, 2, 4], Self.lstmOutputs, "lstm outputs")
        expectValues(l.hidden, shape: [2, 4], Array(Self.lstmOutputs[16...]), "lstm hidden")
        expectValues(l.cell, shape: [2, 4], Self.lstmCellState, "lstm cell")
        let l32 = lstm(D.xs.cast(to: .float32), h0: D.h.cast(to: .float32), c0: D.c.cast(to: .float32),
                       weight: D.wLSTM.cast(to: .float32), bias: D.bLSTM.cast(to: .float32))
        expectValues(l32.outputs, Self.lstmOutputs, rtol: 1e-5, atol: 1e-6, "lstm float32")
        let g = gru(D.xs, h0: D.h, weight: D.wGRU, bias: D.bGRU, hiddenBias: D.bhGRU)
        expectValues(g.outputs, shape: [3, 2, 4],
                     [0.06241744266400012, 0.10359926546551962, 0.10347775117901023, 0.07271685543131465, 0.27000853144507786,
                      0.1908334087768405, 0.07484588872552397, -0.05855376515106948, 0.013415349314917504, 0.06573421104507075,
                      0.0889152290567912, 0.09170868961152093, 0.08045709853648755, 0.06319975484454121, 0.022804575603829223,
                      -0.03080274009702718, 0.0048497805003831045, -0.015194219885193407, -0.06294575393032271,
                      -0.11637767545560558, 0.06368400149467446, 0.03545071577959595, -0.01560925857835237, -0.073651405684587],
                     "gru outputs")
        #expect(g.hidden == g.outputs[2])
        let r = rnn(D.xs, h0: D.h, weight: D.wRNN, bias: D.bRNN)
        expectValues(r.outputs, shape: [3, 2, 4],
                     [0.6378560437362352, 0.6251239486130542, 0.5548212673009079, 0.41163989833250075, 0.1117827018733663,
                      0.31555067273523246, 0.46066682811721205, 0.5396457331273227, -0.6542914335792887, -0.4980086813335573,
                      -0.253623679847099, 0.043840897129568825, -0.05191103117825534, -0.08764709110894398,
                      -0.12143343559306842, -0.15399665049705452, 0.8010905193277373, 0.7638561680498779, 0.6600700349561394,
                      0.44839907161532416, 0.12671767548362972, 0.30266074489497313, 0.42685189760983033, 0.49163896431571935],
                     "rnn outputs")
    }

    /// The fused LSTM's hand-written backward pass agrees with the gradient of the step-by-step
    /// composition (same function, derivatives from the cells' primitives), float64 and float32.
    @Test(arguments: [DType.float64, .float32])
    func fusedLSTMGradientMatchesComposition(_ dtype: DType) {
        typealias D = RecurrentData
        let args = [D.xs, D.h, D.c, D.wLSTM, D.bLSTM].map { $0.cast(to: dtype) }
        let weights = nnPattern([4, 2, 4], 0.77, 0.3, dtype: dtype)
        func fused(_ a: [Tensor]) -> Tensor {
            let r = lstm(a[0], h0: a[1], c0: a[2], weight: a[3], bias: a[4])
            return (r.outputs * weights[0..<3]).sum() + (r.cell * weights[3]).sum()
        }
        func composed(_ a: [Tensor]) -> Tensor {
            let p = lstmSequenceComposed(a)
            return (p * weights).sum()
        }
        let gf = grad(fused)(args), gc = grad(composed)(args)
        for k in 0..<5 {
            expectValues(gf[k], shape: args[k].shape, gc[k].doubles, rtol: dtype == .float64 ? 1e-10 : 1e-4,
                         atol: dtype == .float64 ? 1e-13 : 1e-6, "lstm gradient \(k) \(dtype)")
        }
    }

    /// The LSTM cell's gate primitive: its kernel VJP equals the gradient of the composition, and its
    /// JVP agrees with its VJP.
    @Test(arguments: [DType.float64, .float32])
    func lstmGatesPrimitive(_ dtype: DType) {
        let z = Tensor.randn([3, 8], seed: 95, dtype: dtype), c = Tensor.randn([3, 2], seed: 96, dtype: dtype)
        let u = Tensor.randn([3, 4], seed: 97, dtype: dtype)
        expectValues(Primitives.lstmGates([z, c]), lstmGatesComposed([z, c]).doubles, rtol: dtype == .float64 ? 1e-13 : 1e-5,
                     atol: 1e-7, "forward \(dtype)")
        let gk = grad { (a: [Tensor]) in (Primitives.lstmGates(a) * u).sum() }([z, c])
        let gc = grad { (a: [Tensor]) in (lstmGatesComposed(a) * u).sum() }([z, c])
        for k in 0..<2 {
            expectValues(gk[k], gc[k].doubles, rtol: dtype == .float64 ? 1e-12 : 1e-4, atol: 1e-6, "gradient \(k) \(dtype)")
        }
        if dtype == .float64 {
            let t: [Tensor?] = [Tensor.randn([3, 8], seed: 98), Tensor.randn([3, 2], seed: 99)]
            let jt = Primitives.lstmGates.jvp!(t, Primitives.lstmGates([z, c]), [z, c])
            #expect(close((u * jt).sum().scalar, (gk[0] * t[0]!).sum().scalar + (gk[1] * t[1]!).sum().scalar, 1e-10))
        }
    }

    /// A batch large enough for the fused LSTM to split each step's gate arithmetic across threads
    /// (B·H ≥ 4,096) gives the composition's values and gradients.
    @Test func fusedLSTMLargeBatch() {
        let (T, B, I, H) = (2, 64, 3, 64)
        let args = [nnPattern([T, B, I], 0.31, 0.2), nnPattern([B, H], 0.17, 0.4) * 0.5, nnPattern([B, H], 0.23, 0.9) * 0.5,
                    nnPattern([I + H, 4 * H], 0.013, 0.1) * 0.3, nnPattern([4 * H], 0.7, 0.3) * 0.1]
        let weights = nnPattern([T + 1, B, H], 0.11, 0.6)
        let fused = lstm(args[0], h0: args[1], c0: args[2], weight: args[3], bias: args[4])
        let composed = lstmSequenceComposed(args)
        expectValues(fused.outputs, composed[0..<T].doubles, rtol: 1e-12, atol: 1e-14, "outputs")
        expectValues(fused.cell, composed[T].doubles, rtol: 1e-12, atol: 1e-14, "cell")
        let gf = grad { (a: [Tensor]) -> Tensor in
            let r = lstm(a[0], h0: a[1], c0: a[2], weight: a[3], bias: a[4])
            return (r.outputs * weights[0..<T]).sum() + (r.cell * weights[T]).sum()
        }(args)
        let gc = grad { (a: [Tensor]) in (lstmSequenceComposed(a) * weights).sum() }(args)
        for k in 0..<5 { expectValues(gf[k], gc[k].doubles, rtol: 1e-10, atol: 1e-12, "gradient \(k)") }
    }

    /// The batch- and layer-norm primitives' JVPs agree with their VJPs (⟨u, J t⟩ = ⟨Jᵀ u, t⟩), and float32 agrees
    /// with float64.
    @Test func batchNormJVPAndFloat32() {
        let x = Tensor.randn([3, 2, 4], seed: 90), t = Tensor.randn([3, 2, 4], seed: 91), u = Tensor.randn([3, 2, 4], seed: 92)
        let prim = Primitives.batchNormalize(axes: [0, 2], epsilon: 1e-5)
        let ans = prim(x)
        let jt = prim.jvp!(t, ans, x)
        let ju = grad { (x: Tensor) in (prim(x) * u).sum() }(x)
        #expect(close((u * jt).sum().scalar, (ju * t).sum().scalar, 1e-10))
        let layer = Primitives.layerNormalize(axes: [1, 2], epsilon: 1e-5)
        let lt = layer.jvp!(t, layer(x), x)
        let lu = grad { (x: Tensor) in (layer(x) * u).sum() }(x)
        #expect(close((u * lt).sum().scalar, (lu * t).sum().scalar, 1e-10))
        let y32 = batchNorm(x.cast(to: .float32), training: true).output
        #expect(y32.dtype == .float32)
        expectValues(y32, batchNorm(x, training: true).output.doubles, rtol: 1e-5, atol: 1e-6, "batchNorm float32")
    }

    /// A reusable pullback through the fused LSTM gives each cotangent its own backward pass.
    @Test func fusedLSTMReusedPullback() {
        typealias D = RecurrentData
        let pb = vjp { (w: Tensor) in lstm(D.xs, h0: D.h, c0: D.c, weight: w, bias: D.bLSTM).outputs }(D.wLSTM).pullback
        let u1 = nnPattern([3, 2, 4], 0.3, 0.1), u2 = nnPattern([3, 2, 4], 0.8, 0.5)
        let g1 = pb(u1), g2 = pb(u2), g1again = pb(u1)
        let c1 = grad { (w: Tensor) in (lstmSequenceComposed([D.xs, D.h, D.c, w, D.bLSTM])[0..<3] * u1).sum() }(D.wLSTM)
        let c2 = grad { (w: Tensor) in (lstmSequenceComposed([D.xs, D.h, D.c, w, D.bLSTM])[0..<3] * u2).sum() }(D.wLSTM)
        expectValues(g1, c1.doubles, rtol: 1e-10, atol: 1e-13, "first cotangent")
        expectValues(g2, c2.doubles, rtol: 1e-10, atol: 1e-13, "second cotangent")
        expectValues(g1again, c1.doubles, rtol: 1e-10, atol: 1e-13, "first cotangent again")
    }

    // MARK: Gradient checks (float64)

    static let gradientCases: [OpCase] = {
        typealias D = RecurrentData
        let x = kinkFreeSample([[2, 5]], seed: 11)[0]
        return [
            OpCase("leakyRelu", [x]) { leakyRelu($0[0], negativeSlope: 0.2) },
            OpCase("elu", [x]) { elu($0[0], alpha: 0.7) },
            OpCase("selu", [x]) { selu($0[0]) },
            OpCase("gelu", [Tensor.randn([2, 5], seed: 12)]) { gelu($0[0]) },
            OpCase("gelu tanh", [Tensor.randn([2, 5], seed: 13)]) { gelu($0[0], approximation: .tanh) },
            OpCase("erf", [Tensor.randn([7], seed: 14)]) { erf($0[0]) },
            OpCase("softplus(beta)", [Tensor.randn([7], seed: 15)]) { softplus($0[0], beta: 1.5) },
            OpCase("linear", [Tensor.randn([3, 4], seed: 16), Tensor.randn([4, 2], seed: 17), Tensor.randn([2], seed: 18)]) {
                linear($0[0], weight: $0[1], bias: $0[2])
            },
            OpCase("linear no bias 3-d", [Tensor.randn([2, 3, 4], seed: 19), Tensor.randn([4, 2], seed: 20)]) {
                linear($0[0], weight: $0[1])
            },
            OpCase("linear tanh chain", [Tensor.randn([3, 4], seed: 21), Tensor.randn([4, 2], seed: 22), Tensor.randn([2], seed: 23)]) {
                tanh(linear($0[0], weight: $0[1], bias: $0[2]))
            },
            OpCase("dropout", [Tensor.randn([3, 4], seed: 24)]) { dropout($0[0] * $0[0], probability: 0.4, seed: 5) },
            OpCase("batchNorm train", [Tensor.randn([4, 3], seed: 25), Tensor.randn([3], seed: 26), Tensor.randn([3], seed: 27)]) {
                batchNorm($0[0], weight: $0[1], bias: $0[2], training: true).output
            },
            OpCase("batchNorm 3-d", [Tensor.randn([3, 2, 2], seed: 28)]) { batchNorm($0[0], training: true).output },
            OpCase("batchNorm eval", [Tensor.randn([4, 3], seed: 29), Tensor.uniform([3], seed: 30, low: 0.5, high: 2)]) {
                batchNorm($0[0], runningMean: Tensor([0.1, -0.2, 0.3]), runningVariance: $0[1], training: false).output
            },
            OpCase("layerNorm", [Tensor.randn([2, 3, 4], seed: 31), Tensor.randn([4], seed: 32), Tensor.randn([4], seed: 33)]) {
                layerNorm($0[0], normalizedShape: [4], weight: $0[1], bias: $0[2])
            },
            OpCase("embedding", [Tensor.randn([4, 3], seed: 34)]) {
                embedding(Tensor([1, 3, 1, 0], shape: [2, 2]), weight: $0[0]) * 1.5
            },
            OpCase("rnnCell", [D.x, D.h, D.wRNN, D.bRNN]) { rnnCell($0[0], $0[1], weight: $0[2], bias: $0[3]) },
            OpCase("lstmCell h", [D.x, D.h, D.c, D.wLSTM, D.bLSTM]) { a in
                let r = lstmCell(a[0], a[1], a[2], weight: a[3], bias: a[4])
                return r.hidden + r.cell * 0.5
            },
            OpCase("gruCell", [D.x, D.h, D.wGRU, D.bGRU, D.bhGRU]) { gruCell($0[0], $0[1], weight: $0[2], bias: $0[3], hiddenBias: $0[4]) },
            OpCase("rnn", [D.xs, D.h, D.wRNN]) { a in
                let r = rnn(a[0], h0: a[1], weight: a[2], nonlinearity: .tanh)
                return r.outputs.sum(axis: 0) + r.hidden
            },
            OpCase("gru", [D.xs, D.h, D.wGRU, D.bGRU]) { a in gru(a[0], h0: a[1], weight: a[2], bias: a[3]).outputs },
            OpCase("lstm (fused)", [D.xs, D.h, D.c, D.wLSTM, D.bLSTM]) { a in
                let r = lstm(a[0], h0: a[1], c0: a[2], weight: a[3], bias: a[4])
                return concat([r.outputs.reshape([-1]), r.hidden.reshape([-1]), r.cell.reshape([-1])])
            },
        ]
    }()

    @Test(arguments: gradientCases) func gradientsOrder2(_ c: OpCase) {
        let r = checkGradients(c.f, at: c.inputs, order: 2)
        #expect(r.passed, "\(c.name): \(r)")
    }

    /// Forward mode through the fused LSTM's JVP agrees with the VJP (⟨u, J t⟩ = ⟨Jᵀ u, t⟩).
    @Test func fusedLSTMJVPMatchesVJP() {
        typealias D = RecurrentData
        let args = [D.xs, D.h, D.c, D.wLSTM, D.bLSTM]
        let tangents: [Tensor?] = args.enumerated().map { k, a in Tensor.randn(a.shape, seed: UInt64(40 + k)) }
        let prim = Primitives.lstmSequence()
        let ans = prim(args)
        let u = Tensor.randn(ans.shape, seed: 50)
        let jt = prim.jvp!(tangents, ans, args)
        let pulled = vjp(lstmSequenceComposed)(args).pullback(u)
        let lhs = (u * jt).sum().scalar
        let rhs = zip(pulled, tangents).map { ($0 * $1!).sum().scalar }.reduce(0, +)
        #expect(Swift.abs(lhs - rhs) <= 1e-10 * Swift.max(1, Swift.abs(lhs)), "⟨u, Jt⟩ = \(lhs), ⟨Jᵀu, t⟩ = \(rhs)")
    }

    // MARK: Misuse

    static func stderr(_ result: ExitTest.Result?) -> String {
        String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    }

    @Test func linearShapeMismatch() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = linear(Tensor.zeros([2, 3]), weight: Tensor.zeros([4, 5]))
        }
        #expect(Self.stderr(r).contains("linear: input of shape [2, 3] does not match weight of shape [4, 5]"))
    }

    @Test func lstmWeightMismatch() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = lstm(Tensor.zeros([3, 2, 5]), h0: Tensor.zeros([2, 4]), c0: Tensor.zeros([2, 4]), weight: Tensor.zeros([9, 12]))
        }
        #expect(Self.stderr(r).contains("lstm: weight of shape [9, 12] does not match input [3, 2, 5] and hidden [2, 4] (expected [9, 16])"))
    }

    @Test func embeddingIndexOutOfRange() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = embedding(Tensor([0, 7] as [Int]), weight: Tensor.zeros([4, 3]))
        }
        #expect(Self.stderr(r).contains("embedding: index 7 is out of range for a vocabulary of 4"))
    }

    @Test func batchNormEvaluationNeedsRunningStatistics() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = batchNorm(Tensor.zeros([4, 3]), training: false)
        }
        #expect(Self.stderr(r).contains("batchNorm: evaluation (training: false) needs runningMean and runningVariance"))
    }

    @Test func dropoutProbabilityOutOfRange() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = dropout(Tensor.zeros([4]), probability: 1.5, seed: 1)
        }
        #expect(Self.stderr(r).contains("dropout: probability 1.5 is outside [0, 1]"))
    }

    @Test func layerNormShapeMismatch() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = layerNorm(Tensor.zeros([2, 3]), normalizedShape: [4])
        }
        #expect(Self.stderr(r).contains("layerNorm: normalized shape [4] does not match the trailing dimensions of input [2, 3]"))
    }
}
