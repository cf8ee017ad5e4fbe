import Foundation
import Testing
@testable import Autograd

// Losses of NN/Losses.swift: values against the numpy references of
// Tests/AutogradTests/References/nn_reference.py (output in nn_reference_output.txt), the gradient
// of the fused cross-entropy against its closed form, gradient checks in float64 to order 2, and
// misuse messages.

@Suite("Losses")
struct LossTests {
    static let logits = nnPattern([3, 4], 0.9, 0.1) * 2
    static let labels = Tensor([1, 0, 3] as [Int])

    @Test func crossEntropyFromLabels() {
        let perSample = [1.037902962991893, 1.747811161098483, 3.7463247213926465]
        expectValues(crossEntropy(logits: Self.logits, labels: Self.labels, reduction: .none), shape: [3], perSample, "none")
        expectValues(crossEntropy(logits: Self.logits, labels: Self.labels), shape: [], [2.177346281827674], "mean")
        expectValues(crossEntropy(logits: Self.logits, labels: Self.labels, reduction: .sum), [6.532038845483022], "sum")
        // Reference gradient (numpy): (softmax − onehot) / n.
        let g = grad { (z: Tensor) in crossEntropy(logits: z, labels: Self.labels) }(Self.logits)
        expectValues(g, shape: [3, 4], [0.026788291051920498, -0.2152677775930324, 0.14560511025926362, 0.042874376281848287,
                                        -0.2752817589337748, 0.02295698170034367, 0.04085067969188183, 0.2114740975415493,
                                        0.12796204953585777, 0.15328847506052337, 0.04421469568561157, -0.3254652202819927],
                     "gradient")
        let z32 = Self.logits.cast(to: .float32)
        let l32 = crossEntropy(logits: z32, labels: Self.labels)
        #expect(l32.dtype == .float32)
        expectValues(l32, [2.177346281827674], rtol: 1e-6, "float32")
        // One-hot targets give the same loss; so does nllLoss of the log-softmax.
        let y = oneHot(Self.labels, classes: 4)
        expectValues(crossEntropy(logits: Self.logits, targets: y), [2.177346281827674], "one-hot targets")
        expectValues(nllLoss(logProbabilities: logSoftmax(Self.logits), labels: Self.labels), [2.177346281827674], "nllLoss")
        // Stable for huge logits.
        let huge = crossEntropy(logits: Tensor([[1000.0, 0, -1000]]), labels: Tensor([1] as [Int]))
        expectValues(huge, [1000], "huge logits")
    }

    @Test func crossEntropyFromProbabilities() {
        let p = abs(nnPattern([3, 4], 0.5, 0.3)) + 0.1
        let probs = p / p.sum(axis: 1, keepDims: true)
        expectValues(crossEntropy(logits: Self.logits, targets: probs), [1.547635801642194], "soft targets")
    }

    @Test func binaryCrossEntropyValues() {
        let z = nnPattern([2, 3], 0.8, 0.0) * 3
        let t = (nnPattern([2, 3], 1.3, 0.4) .> 0).cast(to: .float64)
        expectValues(binaryCrossEntropy(probabilities: sigmoid(z), targets: t), [0.9966788392786721], rtol: 1e-12, "probabilities")
        expectValues(binaryCrossEntropy(logits: z, targets: t), [0.9966788392786721], "logits mean")
        expectValues(binaryCrossEntropy(logits: z, targets: t, reduction: .sum), [5.980073035672032], "logits sum")
        // Stable at ±800, where sigmoid saturates.
        expectValues(binaryCrossEntropy(logits: Tensor([-800.0, 800, 30]), targets: Tensor([1.0, 0, 1]), reduction: .none),
                     [800.0, 800.0, 9.357622968839737e-14], rtol: 1e-6, atol: 0, "logits large")
        // Probabilities 0 and 1 are clamped at log = −100 (PyTorch's convention).
        expectValues(binaryCrossEntropy(probabilities: Tensor([0.0, 1.0]), targets: Tensor([1.0, 0.0]), reduction: .none),
                     [100, 100], "clamped")
        // There the gradient is PyTorch's (p − t) / max(p(1 − p), 1e-12), finite (torch 2.13:
        // [0, 0, -3.3333e11] and 0 for a float32 sigmoid(20), which rounds to 1).
        let p = Tensor([0.0, 1.0, 0.0]), tp = Tensor([0.0, 1.0, 1.0])
        expectValues(binaryCrossEntropy(probabilities: p, targets: tp), [100 / 3.0], "value at 0 and 1")
        expectValues(grad { binaryCrossEntropy(probabilities: $0, targets: tp) }(p), [0, 0, -1 / 3e-12], "gradient at 0 and 1")
        let saturated = grad { (z: Tensor) in binaryCrossEntropy(probabilities: sigmoid(z), targets: Tensor([1.0]).cast(to: .float32)) }
        #expect(saturated(Tensor([20.0]).cast(to: .float32)).doubles == [0])
    }

    @Test func crossEntropyShapesAsPyTorch() {
        // (N, C, d) logits with (N, d) labels, class axis 1; reference: torch 2.13 F.cross_entropy.
        let z = Tensor([0.5, -1.2, 2.0, 0.3, -0.7, 1.1, 1.5, 0.2, -0.4, 0.9, 0.8, -2.0], shape: [2, 3, 2])
        let y = Tensor([0, 2, 1, 1] as [Int], shape: [2, 2])
        expectValues(crossEntropy(logits: z, labels: y, reduction: .none), shape: [2, 2],
                     [1.754902396065654, 0.43798896513959945, 2.398441611257043, 0.4392921501544429], "(N, C, d) none")
        expectValues(crossEntropy(logits: z, labels: y), [1.2576562806541847], "(N, C, d) mean")
        expectValues(grad { crossEntropy(logits: $0, labels: y) }(z),
                     [-0.20676897011438233, 0.016175082692241043, 0.19374803413783087, 0.07249169131363109, 0.013020935976551462,
                      -0.08866677400587214, 0.1518691517876163, 0.08001137145082401, -0.22728514066461344, -0.08887688411247716,
                      0.07541598887699714, 0.008865512661653172], "(N, C, d) gradient")
        // Probability targets: the class axis defaults to 1 as well.
        let q = softmax(Tensor([0.1, 0.2, 0.3, 0.9, 0.6, 0.4, 0.2, 0.2, 0.5, 0.1, 0.3, 0.7], shape: [2, 3, 2]), axis: 1)
        expectValues(crossEntropy(logits: z, targets: q), [1.65015342093595], "(N, C, d) probabilities")
        // One unbatched sample.
        expectValues(crossEntropy(logits: Tensor([0.5, 2.0, -0.7]), labels: Tensor([1] as [Int], shape: [])), shape: [], [0.254902396065654], "unbatched")
    }

    @Test func nllLossOfAnImpossibleClass() {
        // A class with probability 0 (log −∞) that is not the label leaves the loss finite, as
        // PyTorch's nll_loss: −log 0.25.
        let lp = log(Tensor([0.0, 0.25, 0.75], shape: [1, 3]))
        expectValues(nllLoss(logProbabilities: lp, labels: Tensor([1], shape: [1])), [1.3862943611198906], "nll with −∞")
        expectValues(grad { nllLoss(logProbabilities: $0, labels: Tensor([1], shape: [1])) }(lp), [0, -1, 0], "its gradient")
    }

    @Test func regressionAndMarginLosses() {
        let pred = nnPattern([2, 3], 0.6, 0.2), targ = nnPattern([2, 3], 0.4, 1.0)
        expectValues(mseLoss(pred, targ), [0.08919358952368696], "mse mean")
        expectValues(mseLoss(pred, targ, reduction: .sum), [0.5351615371421218], "mse sum")
        #expect(mseLoss(pred, targ, reduction: .none).shape == [2, 3])
        let s = nnPattern([5], 0.9, 0.3) * 2
        expectValues(hingeLoss(scores: s, targets: Tensor([1.0, -1, 1, -1, 1])), [1.386162018619891], "hinge")
        expectValues(multiMarginLoss(scores: Self.logits, labels: Self.labels, reduction: .none),
                     [0.302414551439759, 0.7534131491860582, 2.6211644361628994], "multi-margin")
    }

    static let gradientCases: [OpCase] = [
        OpCase("crossEntropy labels mean", [Tensor.randn([4, 5], seed: 61)]) {
            crossEntropy(logits: $0[0], labels: Tensor([0, 4, 2, 4] as [Int]))
        },
        OpCase("crossEntropy labels none", [Tensor.randn([4, 5], seed: 62)]) {
            crossEntropy(logits: $0[0], labels: Tensor([1, 1, 3, 0] as [Int]), reduction: .none)
        },
        OpCase("crossEntropy probabilities", [Tensor.randn([3, 4], seed: 63), Tensor.uniform([3, 4], seed: 64)]) {
            crossEntropy(logits: $0[0], targets: $0[1], reduction: .sum)
        },
        OpCase("nllLoss", [Tensor.randn([3, 4], seed: 65)]) {
            nllLoss(logProbabilities: logSoftmax($0[0]), labels: Tensor([3, 0, 1] as [Int]))
        },
        OpCase("bce probabilities", [Tensor.uniform([2, 3], seed: 66, low: 0.1, high: 0.9), Tensor.uniform([2, 3], seed: 67)]) {
            binaryCrossEntropy(probabilities: $0[0], targets: $0[1])
        },
        OpCase("bce logits", [Tensor.randn([2, 3], seed: 68), Tensor.uniform([2, 3], seed: 69)]) {
            binaryCrossEntropy(logits: $0[0], targets: $0[1], reduction: .none)
        },
        OpCase("mse", [Tensor.randn([2, 3], seed: 70), Tensor.randn([2, 3], seed: 71)]) { mseLoss($0[0], $0[1]) },
        OpCase("hinge", [kinkFreeSample([[6]], seed: 72)[0] * 0.7]) {
            hingeLoss(scores: $0[0], targets: Tensor([1.0, -1, 1, 1, -1, -1]), margin: 0.5)
        },
        OpCase("multiMargin", [kinkFreeSample([[2, 4]], seed: 73)[0]]) {
            multiMarginLoss(scores: $0[0], labels: Tensor([2, 0] as [Int]), margin: 0.25)
        },
    ]

    @Test(arguments: gradientCases) func gradientsOrder2(_ c: OpCase) {
        let r = checkGradients(c.f, at: c.inputs, order: 2)
        #expect(r.passed, "\(c.name): \(r)")
    }

    /// The fused cross-entropy's JVP agrees with its VJP.
    @Test func crossEntropyJVP() {
        let z = Tensor.randn([3, 4], seed: 80), dz = Tensor.randn([3, 4], seed: 81), u = Tensor.randn([3], seed: 82)
        let labels = Tensor([2, 0, 3] as [Int])
        let ans = Primitives.crossEntropyRows([z, labels])
        let jt = Primitives.crossEntropyRows.jvp!([dz, nil], ans, [z, labels])
        let gz = grad { (z: Tensor) in (crossEntropy(logits: z, labels: labels, reduction: .none) * u).sum() }(z)
        #expect(close((u * jt).sum().scalar, (gz * dz).sum().scalar, 1e-12))
    }

    // MARK: Misuse

    @Test func labelOutOfRange() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = crossEntropy(logits: Tensor.zeros([2, 3]), labels: Tensor([0, 3] as [Int]))
        }
        #expect(NNTests.stderr(r).contains("crossEntropy: label 3 is out of range for 3 classes (scores of shape [2, 3])"))
    }

    @Test func labelsNotIntegers() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = nllLoss(logProbabilities: Tensor.zeros([2, 3]), labels: Tensor([0.0, 1.0]))
        }
        #expect(NNTests.stderr(r).contains("nllLoss: labels must be int64 class indices, got float64 of shape [2]"))
    }

    @Test func targetShapeMismatch() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = mseLoss(Tensor.zeros([2, 3]), Tensor.zeros([3, 2]))
        }
        #expect(NNTests.stderr(r).contains("mseLoss: targets of shape [3, 2] do not match predictions of shape [2, 3]"))
    }
}
