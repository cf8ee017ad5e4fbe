import Foundation
import Testing
@testable import Autograd

/// `addGradient(of:scaledBy:to:)` and plain `SGD.step`: the fused in-place step must equal the
/// gradient followed by `addProduct`, and keep value semantics.
@Suite struct AddGradientTests {
    /// A 3-layer MLP loss on fixed data (float64), every parameter fed straight to `linear`.
    static let x = Tensor.randn([16, 6], seed: 11, dtype: .float64)
    static let labels = Tensor((0..<16).map { $0 % 3 }, shape: [16])
    static func mlpLoss(_ p: [Tensor]) -> Tensor {
        let h1 = tanh(linear(x, weight: p[0], bias: p[1]))
        let h2 = relu(linear(h1, weight: p[2], bias: p[3]))
        return crossEntropy(logits: linear(h2, weight: p[4], bias: p[5]), labels: labels)
    }
    static func mlpParams() -> [Tensor] {
        [Tensor.randn([6, 8], seed: 1, dtype: .float64), Tensor.randn([8], seed: 2, dtype: .float64),
         Tensor.randn([8, 8], seed: 3, dtype: .float64), Tensor.randn([8], seed: 4, dtype: .float64),
         Tensor.randn([8, 3], seed: 5, dtype: .float64), Tensor.randn([3], seed: 6, dtype: .float64)]
    }

    /// The unfused reference: `valueAndGrad` then `p += scale·g` leaf by leaf.
    static func reference(_ f: @escaping ([Tensor]) -> Tensor, _ p: [Tensor], scale: Double) -> (Double, [Tensor]) {
        let (v, g) = valueAndGrad(f)(p)
        return (v.scalar, zip(p, g).map { $0 + $1 * scale })
    }

    static func maxDifference(_ a: [Tensor], _ b: [Tensor]) -> Double {
        zip(a, b).map { x, y in zip(x.doubles, y.doubles).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
    }

    @Test func matchesGradientThenUpdateOverSeveralSteps() {
        var p = Self.mlpParams()
        var q = Self.mlpParams()
        for _ in 0..<5 {
            let (v, next) = Self.reference(Self.mlpLoss, q, scale: -0.1)
            let value = addGradient(of: Self.mlpLoss, scaledBy: -0.1, to: &p)
            q = next
            #expect(abs(value.scalar - v) < 1e-15)
            #expect(Self.maxDifference(p, q) < 1e-14)
        }
    }

    @Test func sgdStepIsTheFusedStep() {
        var p = Self.mlpParams()
        var sgd = SGD(learningRate: 0.05)
        let (v, expected) = Self.reference(Self.mlpLoss, p, scale: -0.05)
        let value = sgd.step(&p) { Self.mlpLoss($0) }
        #expect(abs(value.scalar - v) < 1e-15)
        #expect(Self.maxDifference(p, expected) < 1e-14)
        // Float32, the benchmark's dtype: agreement to a few ulps of the weights.
        var p32 = Self.mlpParams().map { $0.cast(to: .float32) }
        let x32 = Self.x.cast(to: .float32)
        let f32 = { (p: [Tensor]) in
            crossEntropy(logits: linear(relu(linear(x32, weight: p[0], bias: p[1])), weight: p[2], bias: p[3]), labels: Self.labels)
        }
        let (_, e32) = Self.reference(f32, Array(p32[0..<4]), scale: -0.05)
        var head = Array(p32[0..<4])
        sgd.step(&head, loss: f32)
        p32 = head
        #expect(Self.maxDifference(p32, e32) < 1e-6)
    }

    @Test func copiesTheCallerKeptAreUntouched() {
        var p = Self.mlpParams()
        let kept = p
        let keptW = p[2]
        addGradient(of: Self.mlpLoss, scaledBy: -0.1, to: &p)
        #expect(Self.maxDifference(kept, Self.mlpParams()) == 0)
        #expect(keptW.doubles == Self.mlpParams()[2].doubles)
        #expect(Self.maxDifference(p, kept) > 1e-3)
    }

    @Test func viewsAndStridedLeavesAreCopiedFirst() {
        // A leaf that is a transposed view of a tensor the caller keeps: the view is replaced by
        // updated contiguous memory, the base is unchanged.
        let base = Tensor.randn([8, 6], seed: 21, dtype: .float64)
        var p = Self.mlpParams()
        p[0] = base.transposed()
        let (_, expected) = Self.reference(Self.mlpLoss, p, scale: -0.1)
        addGradient(of: Self.mlpLoss, scaledBy: -0.1, to: &p)
        #expect(base.doubles == Tensor.randn([8, 6], seed: 21, dtype: .float64).doubles)
        #expect(Self.maxDifference(p, expected) < 1e-14)
    }

    @Test func parametersUsedSeveralTimesAndOutsideLinear() {
        // W feeds two linear layers (two deferred GEMMs into W), an L2 penalty (an ordinary
        // cotangent in W's slot) and is also the *input* of a linear layer, where the rule for the
        // other argument reads W: that contribution must be computed before W changes.
        let x = Tensor.randn([5, 4], seed: 31, dtype: .float64)
        let f = { (p: [Tensor]) -> Tensor in
            let w = p[0], v = p[1]
            let h = tanh(linear(x, weight: w, bias: p[2]))
            let y = linear(h, weight: w), z = linear(w, weight: v)
            return (y * y).mean() + (z * z).mean() + (w * w).sum() * 0.01
        }
        var p = [Tensor.randn([4, 4], seed: 32, dtype: .float64), Tensor.randn([4, 4], seed: 33, dtype: .float64),
                 Tensor.randn([4], seed: 34, dtype: .float64)]
        for _ in 0..<3 {
            let (v, expected) = Self.reference(f, p, scale: -0.2)
            let value = addGradient(of: f, scaledBy: -0.2, to: &p)
            #expect(abs(value.scalar - v) < 1e-14)
            #expect(Self.maxDifference(p, expected) < 1e-14)
        }
    }

    @Test func valueThatIsAParameterIsTheValueBeforeTheStep() {
        // f returns a view of the parameter itself: the returned loss must not change with it.
        var p = Tensor([3.0])
        let value = addGradient(of: { (t: Tensor) in (t * t).sum() * 0 + t.reshape([]) }, scaledBy: -0.5, to: &p)
        #expect(value.scalar == 3)
        #expect(p.doubles == [2.5])
        var q = Tensor([3.0])
        let v2 = addGradient(of: { (t: Tensor) in t.reshape([]) }, scaledBy: -0.5, to: &q)
        #expect(v2.scalar == 3)
        #expect(q.doubles == [2.5])
    }

    @Test func leavesWithoutGradientStayPut() {
        var p = [Tensor([1.0, 2.0]), Tensor([5.0])]
        addGradient(of: { (p: [Tensor]) in (p[0] * p[0]).sum() }, scaledBy: -0.25, to: &p)
        #expect(p[0].doubles == [0.5, 1.0])
        #expect(p[1].doubles == [5.0])
    }

    @Test func nestedUnderGradMatchesTheUnfusedStep() {
        // The parameters are traced by an outer gradient: the step must be the differentiable
        // p + scale·g, so d/dp of the loss after one SGD step is (I − lr·H)·∇f(p₁).
        let f = { (w: Tensor) in (w * w * w * w).sum() / 4 }
        let lr = 0.1
        let outer = grad { (w: Tensor) -> Tensor in
            var stepped = w
            addGradient(of: f, scaledBy: -lr, to: &stepped)
            return f(stepped)
        }
        let w = Tensor([0.5, -1.0, 2.0])
        let got = outer(w).doubles
        let expected = w.doubles.map { w -> Double in
            let w1 = w - lr * w * w * w
            return w1 * w1 * w1 * (1 - 3 * lr * w * w)
        }
        for (a, b) in zip(got, expected) { #expect(abs(a - b) < 1e-12) }
    }

    @Test func frozenLeavesAreNotUpdatedByPlainSGD() {
        let x = Tensor.randn([4, 3], seed: 1)
        let y = Tensor([0, 1, 1, 0] as [Int])
        var net = Sequential(Linear(inputSize: 3, outputSize: 4, seed: 1).frozen(), Tanh(), Linear(inputSize: 4, outputSize: 2, seed: 2))
        let before = net.namedTensors
        let loss = { (m: Sequential) in crossEntropy(logits: m(x), labels: y) }
        var reference = net
        let g = grad(loss)(reference)
        var plain = SGD(learningRate: 0.1)
        plain.update(&reference, along: g)
        var sgd = SGD(learningRate: 0.1)
        sgd.step(&net, loss: loss)
        let after = net.namedTensors, expected = reference.namedTensors
        #expect(after[0].tensor.doubles == before[0].tensor.doubles && after[1].tensor.doubles == before[1].tensor.doubles)
        for (a, e) in zip(after, expected) {
            #expect(a.name == e.name)
            #expect(zip(a.tensor.doubles, e.tensor.doubles).allSatisfy { abs($0 - $1) < 1e-14 })
        }
    }

    @Test func linearAccumulatesRepeatedWeightsIntoOneCotangent() {
        // Without in-place parameters, the second use of W adds its GEMM into W's running
        // cotangent (β = 1): it must equal the two-pass sum.
        let x = Tensor.randn([7, 5], seed: 41, dtype: .float64)
        let f = grad { (w: Tensor) in
            let h = tanh(linear(x, weight: w))
            return (linear(h, weight: w) * linear(h * 2, weight: w)).sum()
        }
        let w = Tensor.randn([5, 5], seed: 42, dtype: .float64)
        let fused = f(w)
        FusedAccumulation.isEnabled.store(false, ordering: .relaxed)
        let twoPass = f(w)
        FusedAccumulation.isEnabled.store(true, ordering: .relaxed)
        #expect(zip(fused.doubles, twoPass.doubles).allSatisfy { abs($0 - $1) < 1e-12 })
        // A second derivative (traced cotangents) never takes the fused rule: switching the rules
        // off changes nothing.
        let h = grad { (w: Tensor) in (f(w) * f(w)).sum() }
        let withRules = h(w)
        FusedAccumulation.isEnabled.store(false, ordering: .relaxed)
        let withoutRules = h(w)
        FusedAccumulation.isEnabled.store(true, ordering: .relaxed)
        #expect(withRules.doubles == withoutRules.doubles)
    }

    @Test func modulesWithBatchNormAndDictionariesTakeTheSameStep() {
        // A struct module (Sequential with seeded dropout + batch norm, in training mode) and a
        // dictionary tree: SGD.step must leave every leaf as valueAndGrad + update does.
        let x = Tensor.randn([6, 2], seed: 81)
        let loss = { (m: ModuleTestEncoder) in (m(x) * m(x)).mean() }
        var fused = ModuleTestEncoder(), reference = ModuleTestEncoder()
        var a = SGD(learningRate: 0.1), b = SGD(learningRate: 0.1)
        for _ in 0..<3 {
            let v1 = a.step(&fused, loss: loss)
            let (v2, g) = valueAndGrad(loss)(reference)
            b.update(&reference, along: g)
            #expect(abs(v1.scalar - v2.scalar) < 1e-14)
        }
        for (f, r) in zip(fused.namedTensors, reference.namedTensors) {
            #expect(f.name == r.name)
            #expect(zip(f.tensor.doubles, r.tensor.doubles).allSatisfy { abs($0 - $1) < 1e-14 }, "\(f.name)")
        }
        let xd = Tensor.randn([3, 4], seed: 82)
        let dictLoss = { (p: [String: Tensor]) in
            let h = linear(xd, weight: p["w"]!, bias: p["b"]!)
            return (h * h).sum()
        }
        var pd = ["w": Tensor.randn([4, 2], seed: 83), "b": Tensor.randn([2], seed: 84)]
        let (_, gd) = valueAndGrad(dictLoss)(pd)
        let expected = ["w": pd["w"]! - gd["w"]! * 0.05, "b": pd["b"]! - gd["b"]! * 0.05]
        var sgd = SGD(learningRate: 0.05)
        sgd.step(&pd, loss: dictLoss)
        for k in ["w", "b"] {
            #expect(zip(pd[k]!.doubles, expected[k]!.doubles).allSatisfy { abs($0 - $1) < 1e-14 })
        }
    }

    @Test func matmulStyleModelsTakeTheFusedStep() {
        // The seeds' style: matmul(x, W) + b (matmul's scaled rules write the weight step as one
        // GEMM), a square weight used on both sides (W·W: neither side may be deferred), and a
        // batched product (rank 3, which falls back to the VJP after the pass).
        let x = Tensor.randn([9, 5], seed: 91, dtype: .float64)
        let xb = Tensor.randn([2, 3, 5], seed: 92, dtype: .float64)
        let f = { (p: [Tensor]) -> Tensor in
            let h = tanh(matmul(x, p[0]) + p[1])
            let sq = matmul(p[2], p[2])
            let batched = matmul(xb, p[0])
            return (h * h).mean() + (sq * sq).sum() * 0.1 + (batched * batched).mean()
        }
        var p = [Tensor.randn([5, 4], seed: 93, dtype: .float64), Tensor.randn([4], seed: 94, dtype: .float64),
                 Tensor.randn([3, 3], seed: 95, dtype: .float64)]
        for _ in 0..<3 {
            let (v, expected) = Self.reference(f, p, scale: -0.05)
            let value = addGradient(of: f, scaledBy: -0.05, to: &p)
            #expect(abs(value.scalar - v) < 1e-14)
            #expect(Self.maxDifference(p, expected) < 1e-14)
        }
    }
}
