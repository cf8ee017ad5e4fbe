import Foundation
import Testing
@testable import Autograd

// The Module API and the initialisers: forward values on tiny hand-checkable inputs (each expected
// number is derived in the comment next to it), gradient checks through modules (float64, order 2
// where the layers support it), Sequential naming, freezing (zero gradient, untouched by
// optimizers, round-tripped by checkpoints), batch norm running statistics, AutoModule and
// AutoCriterion.

/// A module written as a plain struct: its parameters are found by reflection.
struct ModuleTestNet: Module {
    var hidden = Linear(inputSize: 3, outputSize: 4, seed: 1)
    var output = Linear(inputSize: 4, outputSize: 2, seed: 2)
    var drop = Dropout(probability: 0.5, seed: 3)
    var name = "tiny"   // not a tree: ignored
    func callAsFunction(_ x: Tensor) -> Tensor { output(drop(tanh(hidden(x)))) }
}

/// A struct module holding a Sequential and a batch norm (for setTraining and naming).
struct ModuleTestEncoder: Module {
    var layers = Sequential(Linear(inputSize: 2, outputSize: 3, seed: 4), Dropout(probability: 0.3, seed: 5))
    var norm = BatchNorm(features: 3)
    func callAsFunction(_ x: Tensor) -> Tensor { norm(layers(x)) }
}

private func sampleStd(_ t: Tensor) -> (mean: Double, std: Double) {
    let v = t.doubles
    let m = v.reduce(0, +) / Double(v.count)
    let s = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot()
    return (m, s)
}

extension ModuleTests {
    @Suite("Initializers")
    struct Initializers {
        @Test func fans() {
            // Linear weights here are (in, out); conv weights OIHW: fanIn = I·kH·kW = 3·5·5 = 75,
            // fanOut = O·kH·kW = 16·25 = 400 (PyTorch's _calculate_fan_in_and_fan_out).
            #expect(Initializer.fans(of: [3, 5]) == Fans(fanIn: 3, fanOut: 5))
            #expect(Initializer.fans(of: [16, 3, 5, 5]) == Fans(fanIn: 75, fanOut: 400))
            #expect(Initializer.fans(of: [8, 2, 3]) == Fans(fanIn: 6, fanOut: 24))
            #expect(Initializer.fans(of: [7]) == Fans(fanIn: 7, fanOut: 7))
        }

        @Test func gains() {
            // torch.nn.init.calculate_gain: tanh 5/3, relu √2, leaky_relu √(2/(1+a²)), selu 3/4.
            #expect(InitializerNonlinearity.tanh.gain == 5.0 / 3.0)
            #expect(InitializerNonlinearity.relu.gain == 2.0.squareRoot())
            #expect(Swift.abs(InitializerNonlinearity.leakyRelu(negativeSlope: 0.2).gain - (2 / 1.04).squareRoot()) < 1e-15)
            #expect(InitializerNonlinearity.selu.gain == 0.75)
            #expect(InitializerNonlinearity.sigmoid.gain == 1)
        }

        @Test func formulasAreTheDocumentedDistributions() {
            // Each initialiser is the documented distribution of the library's seeded samplers, with
            // the bound/std computed by hand from the fans of a (20, 30) weight (fanIn 20, fanOut 30).
            let shape = [20, 30]
            let a = (6.0 / 50).squareRoot()           // glorot uniform: √(6/(20+30))
            #expect(Initializer.glorotUniform()(shape, seed: 7).doubles
                    == Tensor.uniform(shape, seed: 7, low: -a, high: a).doubles)
            let s = (2.0 / 50).squareRoot() * 2        // glorot normal with gain 2
            #expect(Initializer.glorotNormal(gain: 2)(shape, seed: 8).doubles == Tensor.randn(shape, seed: 8, scale: s).doubles)
            let b = 2.0.squareRoot() * (3.0 / 20).squareRoot()   // he uniform: gain √2 · √(3/fanIn)
            #expect(Initializer.heUniform()(shape, seed: 9).doubles == Tensor.uniform(shape, seed: 9, low: -b, high: b).doubles)
            let bOut = 2.0.squareRoot() * (3.0 / 30).squareRoot()   // fan-out mode
            #expect(Initializer.kaimingUniform(mode: .fanOut)(shape, seed: 9).doubles
                    == Tensor.uniform(shape, seed: 9, low: -bOut, high: bOut).doubles)
            let sd = 2.0.squareRoot() / 20.0.squareRoot()          // he normal: gain / √fanIn
            #expect(Initializer.heNormal()(shape, seed: 10).doubles == Tensor.randn(shape, seed: 10, scale: sd).doubles)
            let sTanh = (5.0 / 3.0) / 20.0.squareRoot()
            #expect(Initializer.heNormal(nonlinearity: .tanh)(shape, seed: 10).doubles
                    == Tensor.randn(shape, seed: 10, scale: sTanh).doubles)
            // PyTorch's layer default, kaiming_uniform(a = √5): gain √(2/6), bound gain·√(3/fanIn) = 1/√fanIn.
            let t = Initializer.torchDefault(shape, seed: 11)
            let bound = 1 / 20.0.squareRoot()
            #expect(t.doubles.allSatisfy { Swift.abs($0) <= bound + 1e-15 })
            #expect(t.doubles.map { Swift.abs($0) }.max()! > 0.9 * bound)
            // xavier/kaiming are the same initialisers under PyTorch's names.
            #expect(Initializer.xavierNormal()(shape, seed: 3).doubles == Initializer.glorotNormal()(shape, seed: 3).doubles)
        }

        @Test func sampleStatistics() {
            // Large draws match the formulas' moments: U(−a, a) has std a/√3.
            let gu = Initializer.glorotUniform()([100, 200], seed: 1)
            let a = (6.0 / 300).squareRoot()
            #expect(gu.doubles.allSatisfy { Swift.abs($0) <= a })
            #expect(Swift.abs(sampleStd(gu).std - a / 3.0.squareRoot()) < 0.02 * a / 3.0.squareRoot())
            let hn = Initializer.heNormal()([500, 100], seed: 2, dtype: .float32)
            let expected = (2.0 / 500).squareRoot()
            #expect(hn.dtype == .float32)
            #expect(Swift.abs(sampleStd(hn).std - expected) < 0.02 * expected)
            let n = Initializer.normal(mean: 2, std: 0.5)([10_000], seed: 3)
            #expect(Swift.abs(sampleStd(n).mean - 2) < 0.02)
            #expect(Swift.abs(sampleStd(n).std - 0.5) < 0.01)
            let u = Initializer.uniform(low: -3, high: -1)([10_000], seed: 4)
            #expect(u.doubles.allSatisfy { $0 >= -3 && $0 < -1 })
            #expect(Swift.abs(sampleStd(u).mean + 2) < 0.02)
        }

        @Test func seededAndConstant() {
            let i = Initializer.glorotNormal()
            #expect(i([4, 5], seed: 42).doubles == i([4, 5], seed: 42).doubles)
            #expect(i([4, 5], seed: 42).doubles != i([4, 5], seed: 43).doubles)
            #expect(Initializer.zeros([2, 3], seed: 0).doubles == [0, 0, 0, 0, 0, 0])
            #expect(Initializer.ones([2], seed: 0, dtype: .float32).scalars(as: Float.self) == [1, 1])
            #expect(Initializer.constant(0.25)([3], seed: 9).doubles == [0.25, 0.25, 0.25])
            // Layers built with the same seed are identical; derived seeds differ per tensor.
            #expect(Linear(inputSize: 3, outputSize: 2, seed: 5).weight.doubles == Linear(inputSize: 3, outputSize: 2, seed: 5).weight.doubles)
            #expect(derivedSeed(5, 0) != derivedSeed(5, 1))
        }
    }
}

@Suite("Module API")
struct ModuleTests {
    // MARK: Forward values (hand-derived)

    @Test func linearAndConvolutions() {
        // x·W + b = [1·1 + 0·3 − 1·5 + 0.5, 1·2 + 0·4 − 1·6 − 1] = [−3.5, −5].
        let lin = Linear(weight: [[1, 2], [3, 4], [5, 6]], bias: Tensor([0.5, -1.0]))
        expectValues(lin(Tensor([[1.0, 0, -1]])), shape: [1, 2], [-3.5, -5], "Linear")
        #expect(lin.namedTensors.map(\.name) == ["weight", "bias"])
        // A 2×2 kernel of ones over [[0,1,2],[3,4,5],[6,7,8]] sums each window: 0+1+3+4 = 8, 12, 20,
        // 24; plus the bias 1.
        let conv = Conv2d(weight: Tensor.ones([1, 1, 2, 2]), bias: Tensor([1.0]))
        expectValues(conv(Tensor.arange(0, 9).reshape([1, 1, 3, 3])), shape: [1, 1, 2, 2], [9, 13, 21, 25], "Conv2d")
        // Padding 1 adds a zero border: the top-left window covers only the 0.
        let padded = Conv2d(weight: Tensor.ones([1, 1, 2, 2]), padding: 1)
        #expect(padded(Tensor.arange(0, 9).reshape([1, 1, 3, 3])).shape == [1, 1, 4, 4])
        // Kernel [1, −1] over [1, 2, 3, 4]: 1−2, 2−3, 3−4.
        let conv1 = Conv1d(weight: Tensor([1.0, -1]).reshape([1, 1, 2]))
        expectValues(conv1(Tensor([1.0, 2, 3, 4]).reshape([1, 1, 4])), shape: [1, 1, 3], [-1, -1, -1], "Conv1d")
        // Initialised layers: PyTorch's shapes and bounds (fanIn = 2·3·3 = 18 → bound 1/√18).
        let c = Conv2d(inChannels: 2, outChannels: 4, kernelSize: 3, seed: 1)
        #expect(c.weight.shape == [4, 2, 3, 3] && c.bias!.shape == [4])
        #expect((c.weight.doubles + c.bias!.doubles).allSatisfy { Swift.abs($0) <= 1 / 18.0.squareRoot() })
        #expect(c(Tensor.randn([2, 2, 5, 5], seed: 2)).shape == [2, 4, 3, 3])
        #expect(Linear(inputSize: 3, outputSize: 2, bias: false).bias == nil)
    }

    @Test func poolingFlattenAndActivations() {
        // 4×4 arange: 2×2 windows' maxima 5, 7, 13, 15; means (0+1+4+5)/4 = 2.5, 4.5, 10.5, 12.5.
        let x = Tensor.arange(0, 16).reshape([1, 1, 4, 4])
        expectValues(MaxPool2d(kernelSize: 2)(x), shape: [1, 1, 2, 2], [5, 7, 13, 15], "MaxPool2d")
        expectValues(AvgPool2d(kernelSize: 2)(x), shape: [1, 1, 2, 2], [2.5, 4.5, 10.5, 12.5], "AvgPool2d")
        #expect(Flatten()(Tensor.zeros([2, 3, 4, 5])).shape == [2, 60])
        #expect(Flatten(startAxis: 2)(Tensor.zeros([2, 3, 4, 5])).shape == [2, 3, 20])
        let v = Tensor([-1.0, 2])
        expectValues(ReLU()(v), [0, 2], "ReLU")
        expectValues(LeakyReLU(negativeSlope: 0.1)(v), [-0.1, 2], "LeakyReLU")
        expectValues(Tanh()(v), [Foundation.tanh(-1), Foundation.tanh(2)], "Tanh")
        expectValues(Sigmoid()(Tensor([0.0])), [0.5], "Sigmoid")
        expectValues(Identity()(v), [-1, 2], "Identity")
        expectValues(Softplus()(Tensor([0.0])), [Foundation.log(2)], "Softplus")   // log(1 + e⁰)
        expectValues(ELU()(v), [Foundation.exp(-1) - 1, 2], "ELU")
        // softmax([0, ln 3]) = [1, 3]/4.
        expectValues(Softmax()(Tensor([0, Foundation.log(3.0)] as [Double])), [0.25, 0.75], rtol: 1e-15, "Softmax")
        expectValues(LogSoftmax()(Tensor([0, Foundation.log(3.0)] as [Double])), [Foundation.log(0.25) as Double, Foundation.log(0.75) as Double], "LogSoftmax")
        // GELU(x) = x·Φ(x): Φ(0) = 1/2.
        expectValues(GELU()(Tensor([0.0, 1])), [0, 0.8413447460685429], rtol: 1e-12, "GELU")   // Φ(1) from tables
        #expect(SELU()(Tensor([1.0])).scalar == 1.0507009873554805)   // SELU scale λ (Klambauer et al.)
        for m in [ReLU() as any Module, Tanh(), Sigmoid(), Softmax(), MaxPool2d(kernelSize: 2), Flatten()] {
            #expect(m.tensors.isEmpty)
        }
    }

    @Test func normalisationAndEmbedding() {
        // Columns [1,2,3,4] and [2,4,6,8]: batch means 2.5 and 5, biased variances 1.25 and 5, so
        // every column becomes (x − mean)/√(var + 1e-5) = [−1.5, −0.5, 0.5, 1.5]/√(1.25 + 1e-5)
        // resp. [−3, −1, 1, 3]/√(5 + 1e-5).
        let x = Tensor([[1.0, 2], [2, 4], [3, 6], [4, 8]])
        let bn = BatchNorm(features: 2)
        let s1 = (1.25 + 1e-5).squareRoot(), s2 = (5 + 1e-5).squareRoot()
        expectValues(bn(x), shape: [4, 2], [-1.5 / s1, -3 / s2, -0.5 / s1, -1 / s2, 0.5 / s1, 1 / s2, 1.5 / s1, 3 / s2],
                     "BatchNorm training")
        // Evaluation with the initial statistics (mean 0, variance 1): x/√(1 + 1e-5).
        expectValues(bn.training(false)(x), x.doubles.map { $0 / (1 + 1e-5).squareRoot() }, "BatchNorm eval")
        #expect(bn.namedTensors.map(\.name) == ["weight", "bias", "runningMean", "runningVariance"])
        // Row [1, 2, 3]: mean 2, biased variance 2/3.
        let ln = LayerNorm(normalizedShape: [3])
        let d = (2.0 / 3 + 1e-5).squareRoot()
        expectValues(ln(Tensor([[1.0, 2, 3]])), [-1 / d, 0, 1 / d], "LayerNorm")
        // Rows 2 and 0 of the table.
        let emb = Embedding(weight: [[0, 1], [2, 3], [4, 5]])
        expectValues(emb(Tensor([2, 0] as [Int], shape: [1, 2])), shape: [1, 2, 2], [4, 5, 0, 1], "Embedding")
        #expect(Embedding(vocabularySize: 10, features: 4, seed: 1).weight.shape == [10, 4])
    }

    @Test func recurrentModules() {
        let xs = Tensor.randn([3, 2, 4], seed: 1)
        // RNN with a zero weight: every step is tanh(b), whatever the input.
        var rnn = RNN(inputSize: 4, hiddenSize: 2)
        rnn.weight = Tensor.zeros([6, 2])
        rnn.bias = Tensor([0.5, -1.0])
        let hs = rnn(xs)
        #expect(hs.shape == [3, 2, 2])
        expectValues(hs[2], [Foundation.tanh(0.5), Foundation.tanh(-1), Foundation.tanh(0.5), Foundation.tanh(-1)], "RNN")
        // LSTM with a zero weight and bias 1 on the g block only: i = f = o = σ(0) = 1/2, g = tanh 1, so
        // c₁ = tanh(1)/2, c₂ = c₁/2 + tanh(1)/2, c₃ = c₂/2 + tanh(1)/2, and h_t = tanh(c_t)/2.
        var lstm = LSTM(inputSize: 4, hiddenSize: 1, returnsSequence: false)
        lstm.weight = Tensor.zeros([5, 4])
        lstm.bias = Tensor([0.0, 0, 0, 1])
        let t1 = Foundation.tanh(1.0)
        let c3 = ((t1 / 2) / 2 + t1 / 2) / 2 + t1 / 2
        expectValues(lstm(xs), shape: [2, 1], [Foundation.tanh(c3) / 2, Foundation.tanh(c3) / 2], "LSTM last")
        lstm.returnsSequence = true
        #expect(lstm(xs).shape == [3, 2, 1])
        // GRU with a zero weight, bias 1 on the n block: r = z = 1/2, n = tanh 1, h' = n/2 + h/2, so
        // h₁ = tanh(1)/2, h₂ = 3·tanh(1)/4, h₃ = 7·tanh(1)/8.
        var gru = GRU(inputSize: 4, hiddenSize: 1)
        gru.weight = Tensor.zeros([5, 3])
        gru.bias = Tensor([0.0, 0, 1])
        gru.hiddenBias = Tensor.zeros([3])
        expectValues(gru(xs), shape: [3, 2, 1], [t1 / 2, t1 / 2, 3 * t1 / 4, 3 * t1 / 4, 7 * t1 / 8, 7 * t1 / 8], "GRU")
        // Initialised as PyTorch: U(±1/√H).
        let g = GRU(inputSize: 4, hiddenSize: 9, seed: 3)
        #expect(g.weight.shape == [13, 27] && g.tensors.allSatisfy { $0.doubles.allSatisfy { Swift.abs($0) <= 1.0 / 3 } })
        #expect(g.namedTensors.map(\.name) == ["weight", "bias", "hiddenBias"])
    }

    // MARK: Dropout and training mode

    @Test func dropoutMasks() {
        let x = Tensor.ones([1000])
        let d = Dropout(probability: 0.5, seed: 7)
        let a = d(x), b = d(x)
        // Inverted dropout: survivors scaled by 1/(1 − 0.5) = 2.
        #expect(a.doubles.allSatisfy { $0 == 0 || $0 == 2 })
        #expect(a.doubles != b.doubles)                                         // a fresh mask per call
        #expect(a.doubles == dropout(x, probability: 0.5, seed: derivedSeed(7, 0)).doubles)   // call 0's seed
        #expect(Dropout(probability: 0.5, seed: 7)(x).doubles == a.doubles)     // reproducible from the seed
        let kept = a.doubles.filter { $0 != 0 }.count
        #expect(kept > 400 && kept < 600)
        #expect(d.training(false)(x).doubles == x.doubles)
    }

    @Test func setTrainingRecurses() {
        var net = ModuleTestEncoder()
        net.setTraining(false)
        #expect((net.layers[1] as! Dropout).training == false)
        #expect(net.norm.training == false)
        let back = net.training(true)
        #expect((back.layers[1] as! Dropout).training && back.norm.training)
        var tiny = ModuleTestNet()
        tiny.setTraining(false)
        #expect(!tiny.drop.training)
        var frozen = Sequential(Dropout(probability: 0.1).frozen())
        frozen.setTraining(false)
        #expect(!(frozen.layers[0] as! Frozen<Dropout>).wrapped.training)
    }

    // MARK: Misuse and printing

    @Test func misuseMessages() async {
        func stderr(_ r: ExitTest.Result?) -> String { String(decoding: r?.standardErrorContent ?? [], as: UTF8.self) }
        let a = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Linear(inputSize: 3, outputSize: 2)(Tensor.zeros([4, 5]))
        }
        #expect(stderr(a).contains("linear: input of shape [4, 5] does not match weight of shape [3, 2]"))
        let b = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LSTM(inputSize: 3, hiddenSize: 2)(Tensor.zeros([4, 3]))
        }
        #expect(stderr(b).contains("LSTM: input must be time-major (steps, batch, 3), got shape [4, 3]"))
        let c = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Initializer.glorotUniform()([5], seed: 0)
        }
        #expect(stderr(c).contains("glorotUniform: needs a weight of rank ≥ 2 to compute fans, got shape [5]"))
    }

    @Test func sequentialDescription() {
        let net = Sequential(Linear(inputSize: 4, outputSize: 8, bias: false), ReLU(), Sequential(Tanh()))
        // The layer types and the parameter shapes, as written above.
        #expect(net.description == """
            Sequential(
              (0): Linear  weight [4, 8]
              (1): ReLU
              (2): Sequential(
                (0): Tanh
              )
            )
            """)
    }

    // MARK: Parameters, names and gradients

    @Test func sequentialNamesAndBuilder() {
        let net = Sequential(Linear(inputSize: 2, outputSize: 3, seed: 1), ReLU(), Linear(inputSize: 3, outputSize: 1, seed: 2))
        #expect(net.namedTensors.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(net.parameterCount == 2 * 3 + 3 + 3 + 1)
        #expect(ModuleTestEncoder().namedTensors.map(\.name)
                == ["layers.0.weight", "layers.0.bias", "norm.weight", "norm.bias", "norm.runningMean", "norm.runningVariance"])
        let nested = Sequential(net, Tanh(), Sequential(Linear(inputSize: 1, outputSize: 1)))
        #expect(nested.namedTensors.map(\.name) == ["0.0.weight", "0.0.bias", "0.2.weight", "0.2.bias", "2.0.weight", "2.0.bias"])
        let deep = true
        let built = Sequential {
            Linear(inputSize: 4, outputSize: 4, seed: 1)
            if deep { Tanh() } else { ReLU() }
            for i in 0..<2 { Linear(inputSize: 4, outputSize: 4, seed: UInt64(i)) }
        }
        #expect(built.count == 4)
        #expect(built.namedTensors.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"])
        #expect(built(Tensor.ones([5, 4])).shape == [5, 4])
        // mapTensors rebuilds the same structure.
        let zeroed = net.mapTensors { Tensor.zeros(like: $0) }
        #expect(zeroed(Tensor.ones([1, 2])).doubles == [0])
    }

    @Test func gradientOfAStructModuleMatchesTheFunctionalForm() {
        let net = ModuleTestNet().training(false)
        let x = Tensor.randn([5, 3], seed: 11)
        let y = Tensor([0, 1, 1, 0, 1] as [Int])
        let g = grad { (m: ModuleTestNet) in crossEntropy(logits: m(x), labels: y) }(net)
        // The same network as a function of a plain list of tensors.
        let flat = [net.hidden.weight, net.hidden.bias!, net.output.weight, net.output.bias!]
        let gf = grad { (p: [Tensor]) in
            crossEntropy(logits: linear(tanh(linear(x, weight: p[0], bias: p[1])), weight: p[2], bias: p[3]), labels: y)
        }(flat)
        #expect(g.tensors.count == 4)
        for (a, b) in zip(g.tensors, gf) { expectValues(a, shape: b.shape, b.doubles, rtol: 1e-14, atol: 1e-16, "gradient") }
        #expect(g.namedTensors.map(\.name) == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"])
    }

    @Test func trainingAModuleWithSGD() {
        // Two separable blobs; a few dozen SGD steps on the module itself.
        let x = concat([Tensor.randn([10, 2], seed: 1) * 0.3 + 1, Tensor.randn([10, 2], seed: 2) * 0.3 - 1], axis: 0)
        let y = Tensor([Int](repeating: 0, count: 10) + [Int](repeating: 1, count: 10))
        var net = Sequential(Linear(inputSize: 2, outputSize: 8, seed: 3), Tanh(), Linear(inputSize: 8, outputSize: 2, seed: 4))
        var opt = SGD(learningRate: 0.5)
        let loss = { (m: Sequential) in crossEntropy(logits: m(x), labels: y) }
        let first = loss(net).scalar
        for _ in 0..<30 { opt.step(&net, loss: loss) }
        let last = loss(net).scalar
        #expect(last < 0.2 * first, "loss \(first) → \(last)")
    }

    @Test func gradientChecksThroughModules() {
        let x = Tensor.randn([3, 4], seed: 1)
        let mlp = Sequential(Linear(inputSize: 4, outputSize: 3, seed: 1), Tanh(), Linear(inputSize: 3, outputSize: 2, seed: 2),
                             LogSoftmax())
        let r1 = checkGradients({ (m: Sequential, x: Tensor) in m(x).sum() }, at: mlp, x)
        #expect(r1.passed, "\(r1)")
        let norms = Sequential(Linear(inputSize: 4, outputSize: 3, seed: 3), BatchNorm(features: 3), Sigmoid(),
                               LayerNorm(normalizedShape: [3]), Linear(inputSize: 3, outputSize: 1, seed: 4))
        let r2 = checkGradients({ (m: Sequential) in square(m(x)).sum() }, at: norms)
        #expect(r2.passed, "\(r2)")
        // Evaluation mode: the running statistics are leaves with their exact derivative.
        var bnEval = norms.training(false)
        bnEval.updateTensors { $0 = $0 + 0.1 }
        let r3 = checkGradients({ (m: Sequential) in square(m(x)).sum() }, at: bnEval)
        #expect(r3.passed, "\(r3)")
        let img = Tensor.randn([2, 2, 5, 5], seed: 2)
        let cnn = Sequential(Conv2d(inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, seed: 5), ELU(),
                             AvgPool2d(kernelSize: 2), Flatten(), Linear(inputSize: 12, outputSize: 2, seed: 6))
        let r4 = checkGradients({ (m: Sequential, x: Tensor) in square(m(x)).sum() }, at: cnn, img)
        #expect(r4.passed, "\(r4)")
        let seq = Tensor.randn([3, 2, 2], seed: 3)
        for m in [RNN(inputSize: 2, hiddenSize: 3, seed: 7) as any Module,
                  LSTM(inputSize: 2, hiddenSize: 2, returnsSequence: false, seed: 8),
                  GRU(inputSize: 2, hiddenSize: 2, seed: 9),
                  Conv1d(inChannels: 2, outChannels: 3, kernelSize: 2, seed: 10)] {
            func check<M: Module>(_ m: M) -> GradientCheckResult {
                checkGradients({ (m: M, x: Tensor) in square(m(x)).sum() }, at: m, seq)
            }
            let r = check(m)
            #expect(r.passed, "\(type(of: m)): \(r)")
        }
        let emb = Embedding(vocabularySize: 4, features: 3, seed: 1)
        let r5 = checkGradients({ (m: Embedding) in square(m(Tensor([1, 3, 1] as [Int]))).sum() }, at: emb)
        #expect(r5.passed, "\(r5)")
    }

    // MARK: Freezing

    @Test func frozenParametersGetNoGradientAndStayPut() throws {
        let x = Tensor.randn([4, 3], seed: 1)
        let y = Tensor([0, 1, 1, 0] as [Int])
        var net = Sequential(Linear(inputSize: 3, outputSize: 4, seed: 1).frozen(), Tanh(), Linear(inputSize: 4, outputSize: 2, seed: 2))
        let before = net.namedTensors
        // Frozen leaves keep their names (a checkpoint of the unfrozen model matches).
        #expect(before.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        let loss = { (m: Sequential) in crossEntropy(logits: m(x), labels: y) }
        let g = grad(loss)(net)
        let gn = Dictionary(uniqueKeysWithValues: g.namedTensors.map { ($0.name, $0.tensor) })
        #expect(gn["0.weight"]!.doubles.allSatisfy { $0 == 0 } && gn["0.bias"]!.doubles.allSatisfy { $0 == 0 })
        #expect(gn["2.weight"]!.doubles.contains { $0 != 0 })
        // Weight decay and momentum would move a leaf with a zero gradient; frozen ones do not move.
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.1)
        var adam = Adam(learningRate: 0.1, weightDecay: 0.1)
        for _ in 0..<3 {
            sgd.step(&net, loss: loss)
            adam.step(&net, loss: loss)
        }
        let after = net.namedTensors
        #expect(after[0].tensor.doubles == before[0].tensor.doubles && after[1].tensor.doubles == before[1].tensor.doubles)
        #expect(after[2].tensor.doubles != before[2].tensor.doubles)
        // No optimizer state for frozen leaves, and the state reloads against the same tree.
        #expect(Set(sgd.state.keys) == ["momentum.2.weight", "momentum.2.bias"])
        var reloaded = Adam(learningRate: 0.1)
        try reloaded.loadState(adam.state, for: net)
        #expect(reloaded.state.count == adam.state.count)
    }

    @Test func frozenLeavesOfAnyTreeAreConstantsForDifferentiation() throws {
        // A plain struct with a Frozen tensor, read directly (no stopGradient in the function):
        // its gradient is zero, so clipping, L-BFGS and addGradient leave it alone (PyTorch's
        // requires_grad=False).
        struct S: ParameterTree { var w: Tensor; var b: Frozen<Tensor> }
        let start = S(w: Tensor([0.5, -1.0]), b: Frozen(Tensor([0.2, -0.4])))
        let f = { (s: S) in (square(s.w - s.b.wrapped) + sin(3 * s.b.wrapped)).sum() }
        let g = grad(f)(start)
        #expect(g.b.wrapped.doubles == [0, 0])
        #expect(g.w.doubles == (start.w - start.b.wrapped).doubles.map { 2 * $0 })
        var clipped = g
        #expect(abs(clipByGlobalNorm(&clipped, maxNorm: 100) - globalNorm(g.w)) < 1e-15)
        let solved = LBFGS().minimize(f, from: start).x
        #expect(solved.b.wrapped.doubles == start.b.wrapped.doubles)
        #expect(abs(solved.w.doubles[0] - 0.2) < 1e-6 && abs(solved.w.doubles[1] + 0.4) < 1e-6)
        var stepped = start
        addGradient(of: f, scaledBy: -0.1, to: &stepped)
        #expect(stepped.b.wrapped.doubles == start.b.wrapped.doubles)
        #expect(stepped.w.doubles == (start.w - 0.1 * g.w).doubles)
        // Second order through a frozen leaf: still a constant.
        let h = grad { (s: S) in (grad(f)(s).w * s.w).sum() }(start)
        #expect(h.b.wrapped.doubles == [0, 0] && h.w.doubles == (4 * start.w - 2 * start.b.wrapped).doubles)
    }

    struct Branches: Module {
        var a, b: BatchNorm
        func callAsFunction(_ x: Tensor) -> Tensor { a(x) + b(x + 100) }
    }

    @Test func copiesOfOneBatchNormAtTwoPlacesKeepTheirOwnStatistics() {
        let x = Tensor([1.0, 2.0, 3.0, 5.0], shape: [2, 2])
        let template = BatchNorm(features: 2)
        var net = Branches(a: template, b: template)
        _ = net.updatingRunningStatistics { m in m(x) }
        // momentum 0.1: 0.1 × batch mean; branch b sees x + 100.
        #expect(net.a.runningMean.doubles == [0.1 * 2, 0.1 * 3.5])
        #expect(net.b.runningMean.doubles == [0.1 * 102, 0.1 * 103.5])
        #expect(template.runningMean.doubles == [0, 0])
    }

    struct Blocks: Module {
        var blocks: [Dropout]
        var extra: Dropout?
        func callAsFunction(_ x: Tensor) -> Tensor { blocks.reduce(extra.map { $0(x) } ?? x) { $1($0) } }
    }

    @Test func evaluationModeReachesArraysAndOptionalsOfModules() {
        let net = Blocks(blocks: [Dropout(probability: 0.5, seed: 1), Dropout(probability: 0.5, seed: 2)],
                         extra: Dropout(probability: 0.5, seed: 3)).training(false)
        #expect(net.blocks.allSatisfy { !$0.training } && net.extra?.training == false)
        let x = Tensor.ones([4, 4])
        #expect(net(x).doubles == x.doubles)
    }

    @Test func dropoutInsideACheckpointReplaysItsMasks() {
        // The recomputation in the backward pass must use the forward pass's mask.
        let x = Tensor.randn([4, 6], seed: 5)
        let net = Sequential(Linear(inputSize: 6, outputSize: 6, seed: 1), Dropout(probability: 0.5, seed: 3),
                             Linear(inputSize: 6, outputSize: 1, seed: 2))
        let plain = valueAndGrad { (m: Sequential) in m(x).sum() }(net)
        var fresh = net
        fresh.layers[1] = Dropout(probability: 0.5, seed: 3)   // the same mask sequence again
        let checkpointed = valueAndGrad(checkpoint { (m: Sequential) in m(x).sum() })(fresh)
        #expect(checkpointed.0.doubles == plain.0.doubles)
        for (a, b) in zip(checkpointed.1.tensors, plain.1.tensors) {
            #expect(zip(a.doubles, b.doubles).allSatisfy { abs($0 - $1) <= 1e-12 * Swift.max(1, abs($1)) })
        }
        // Nested checkpoints replay too.
        var again = net
        again.layers[1] = Dropout(probability: 0.5, seed: 3)
        let inner = checkpoint { (m: Sequential) in m(x).sum() }
        let nested = valueAndGrad(checkpoint { (m: Sequential) in inner(m) * 1 })(again)
        #expect(nested.0.doubles == plain.0.doubles)
        for (a, b) in zip(nested.1.tensors, plain.1.tensors) {
            #expect(zip(a.doubles, b.doubles).allSatisfy { abs($0 - $1) <= 1e-12 * Swift.max(1, abs($1)) })
        }
    }

    @Test func frozenParametersRoundTripThroughCheckpoints() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("models-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var net = Sequential(Linear(inputSize: 3, outputSize: 4, seed: 1).frozen(), BatchNorm(features: 4),
                             Linear(inputSize: 4, outputSize: 2, seed: 2))
        net.updateTensors { $0 = $0 + 0.5 }   // running statistics too: they must be saved
        for format in ["safetensors", "npz"] {
            let path = dir.appendingPathComponent("net.\(format)").path
            try net.saveCheckpoint(to: path)
            var restored = Sequential(Linear(inputSize: 3, outputSize: 4, seed: 9).frozen(), BatchNorm(features: 4),
                                      Linear(inputSize: 4, outputSize: 2, seed: 8))
            try restored.loadCheckpoint(from: path)
            #expect(restored.namedTensors.map(\.name) == net.namedTensors.map(\.name))
            for (a, b) in zip(restored.namedTensors, net.namedTensors) { #expect(a.tensor.doubles == b.tensor.doubles, "\(a.name)") }
            // The unfrozen model reads the same file: freezing adds no name.
            var plain = Sequential(Linear(inputSize: 3, outputSize: 4), BatchNorm(features: 4), Linear(inputSize: 4, outputSize: 2))
            try plain.loadCheckpoint(from: path)
            #expect((plain.layers[0] as! Linear).weight.doubles == (net.layers[0] as! Frozen<Linear>).wrapped.weight.doubles)
        }
        let keys = try Checkpoint(net).tensors.keys.sorted()
        #expect(keys == ["0.bias", "0.weight", "1.bias", "1.runningMean", "1.runningVariance", "1.weight", "2.bias", "2.weight"])
    }

    // MARK: Batch norm running statistics

    @Test func batchNormRunningStatisticsUpdateAroundAGradientStep() throws {
        // Columns [1,2,3,4] and [2,4,6,8]: batch means [2.5, 5], unbiased variances [5/3, 20/3]. With
        // momentum 0.1 from (0, 1): mean 0.1·[2.5, 5] = [0.25, 0.5]; variance 0.9 + 0.1·[5/3, 20/3].
        let x = Tensor([[1.0, 2], [2, 4], [3, 6], [4, 8]])
        var net = Sequential(BatchNorm(features: 2), Linear(inputSize: 2, outputSize: 1, seed: 1))
        let loss = { (m: Sequential) in square(m(x)).sum() }
        let (value, g) = net.updatingRunningStatistics { valueAndGrad(loss)($0) }
        #expect(value.count == 1)
        let bn = net.layers[0] as! BatchNorm
        expectValues(bn.runningMean, [0.25, 0.5], rtol: 1e-15, "runningMean")
        expectValues(bn.runningVariance, [0.9 + 0.1 * 5 / 3, 0.9 + 0.1 * 20 / 3], rtol: 1e-15, "runningVariance")
        // The statistics' gradient is zero in training (the output does not depend on them) and
        // optimizers skip them even with weight decay.
        let gbn = g.layers[0] as! BatchNorm
        #expect(gbn.runningMean.doubles == [0, 0])
        var opt = SGD(learningRate: 0.1, weightDecay: 0.5)
        opt.update(&net, along: g)
        expectValues((net.layers[0] as! BatchNorm).runningMean, [0.25, 0.5], rtol: 1e-15, "runningMean after SGD")
        // Without the wrapper the module is unchanged; a second step compounds the update.
        _ = grad(loss)(net)
        expectValues((net.layers[0] as! BatchNorm).runningMean, [0.25, 0.5], rtol: 1e-15, "unchanged")
        net.updatingRunningStatistics { _ = $0(x) }
        expectValues((net.layers[0] as! BatchNorm).runningMean, [0.9 * 0.25 + 0.25, 0.9 * 0.5 + 0.5], rtol: 1e-15, "second step")
        // Evaluation mode records nothing.
        net.setTraining(false)
        net.updatingRunningStatistics { _ = $0(x) }
        expectValues((net.layers[0] as! BatchNorm).runningMean, [0.475, 0.95], rtol: 1e-15, "eval")
    }

    // MARK: AutoModule and AutoCriterion

    @Test func autoModuleAndAutoCriterion() {
        let p: [String: Tensor] = ["W": [[1, 2], [3, 4]], "b": Tensor([0.5, -0.5])]
        let layer = AutoModule(parameters: p) { p, x in matmul(x, p["W"]!) + p["b"]! }
        // [1, 1]·W + b = [4 + 0.5, 6 − 0.5].
        expectValues(layer(Tensor([[1.0, 1]])), [4.5, 5.5], "AutoModule")
        #expect(layer.namedTensors.map(\.name) == ["W", "b"])
        let net = Sequential(layer, Tanh())
        #expect(net.namedTensors.map(\.name) == ["0.W", "0.b"])
        // d/dW of sum(x·W + b) is xᵀ·1 = [[1, 1], [2, 2]] for x = [[1, 2]]; d/db = [1, 1].
        let g = grad { (m: AutoModule<[String: Tensor]>) in m(Tensor([[1.0, 2]])).sum() }(layer)
        expectValues(g.parameters["W"]!, [1, 1, 2, 2], "dW")
        expectValues(g.parameters["b"]!, [1, 1], "db")
        let r = checkGradients({ (m: AutoModule<[String: Tensor]>) in tanh(m(Tensor([[0.3, -0.2]]))).sum() }, at: layer)
        #expect(r.passed, "\(r)")
        // Mean squared error: ((1 − 0)² + (3 − 1)²)/2 = 2.5; gradient 2(ŷ − y)/n = [1, 2].
        let mse = AutoCriterion { yHat, y in square(yHat - y).mean() }
        let yHat = Tensor([1.0, 3]), y = Tensor([0.0, 1])
        #expect(mse(yHat, y).scalar == 2.5)
        expectValues(mse.gradient(yHat, y), [1, 2], "AutoCriterion gradient")
        let (v, dv) = mse.valueAndGradient(yHat, y)
        #expect(v.scalar == 2.5 && dv.doubles == [1, 2])
        // An AutoModule trained with an AutoCriterion.
        var fit = AutoModule(parameters: Tensor([0.0])) { w, x in x * w }
        let xs = Tensor([1.0, 2, 3]), ys = Tensor([2.0, 4, 6])
        var opt = SGD(learningRate: 0.05)
        for _ in 0..<50 { opt.step(&fit) { m in mse(m(xs), ys) } }
        #expect(Swift.abs(fit.parameters.scalar - 2) < 1e-3)
    }
}
