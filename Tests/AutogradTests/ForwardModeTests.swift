import Foundation
import Testing
@testable import Autograd

/// Forward mode and the differential operators built on it, checked against closed forms.
@Suite struct ForwardModeTests {
    @Test func jvpOfElementwiseFunction() {
        let x = Tensor([1.0, 2.0]), v = Tensor([1.0, 0.5])
        let (y, dy) = jvp { (x: Tensor) in sin(x) * x }(x, v)
        // d/dx [x sin x] = sin x + x cos x.
        let expected = [(Foundation.sin(1.0) + Foundation.cos(1.0)) * 1.0, (Foundation.sin(2.0) + 2 * Foundation.cos(2.0)) * 0.5]
        #expect(y.doubles == [Foundation.sin(1.0), 2 * Foundation.sin(2.0)])
        for (a, b) in zip(dy.doubles, expected) { #expect(Swift.abs(a - b) < 1e-15) }
    }

    @Test func jvpOverTreesAndBroadcasting() {
        let p: [String: Tensor] = ["w": Tensor([[1.0, 2.0], [3.0, 4.0]]), "b": Tensor([0.5, -0.5])]
        let v: [String: Tensor] = ["w": Tensor([[1.0, 0.0], [0.0, 0.0]]), "b": Tensor([0.0, 1.0])]
        let x = Tensor([1.0, 1.0])
        let (_, t) = jvp { (p: [String: Tensor]) in matmul(x, p["w"]!) + p["b"]! }(p, v)
        // d(x W + b) = x dW + db = [1, 0] + [0, 1].
        #expect(t.doubles == [1, 1])
    }

    @Test func thirdDerivativeOfExpSquareAllCompositions() {
        // f = exp(x²): f‴ = (12x + 8x³) exp(x²).
        let x = 0.7
        let expected = (12 * x + 8 * x * x * x) * Foundation.exp(x * x)
        let f = { (x: Tensor) in exp(x * x) }
        let g1: (Tensor) -> Tensor = grad(f)
        let fwd: (Tensor) -> Tensor = deriv(f)
        let variants: [(String, (Tensor) -> Tensor)] = [
            ("rev∘rev∘rev", grad(grad(g1))),
            ("fwd∘fwd∘fwd", deriv(deriv(fwd))),
            ("fwd∘rev∘fwd", deriv(grad(fwd))),
            ("rev∘fwd∘rev", grad(deriv(g1))),
            ("fwd∘fwd∘rev", deriv(deriv(g1))),
            ("rev∘rev∘fwd", grad(grad(fwd))),
        ]
        for (name, d3) in variants {
            let got = d3(Tensor(x)).scalar
            #expect(Swift.abs(got - expected) < 1e-9, "\(name): \(got) vs \(expected)")
        }
    }

    @Test func ninthDerivativeOfSine() {
        // sin⁽⁹⁾ = cos.
        var f: (Tensor) -> Tensor = { sin($0) }
        for _ in 0..<9 { f = deriv(f) }
        #expect(Swift.abs(f(Tensor(1.0)).scalar - Foundation.cos(1.0)) < 1e-9)
        var g: (Tensor) -> Tensor = { sin($0) }
        for k in 0..<9 { g = k.isMultiple(of: 2) ? grad(g) : deriv(g) }
        #expect(Swift.abs(g(Tensor(1.0)).scalar - Foundation.cos(1.0)) < 1e-9)
    }

    @Test func noPerturbationConfusion() {
        // d/dx [x · d/dy (x + y)] = 1, in every combination of modes.
        let inner = { (x: Tensor) -> Tensor in
            let d: (Tensor) -> Tensor = deriv { y in x + y }
            return x * d(Tensor(1.0))
        }
        let innerRev = { (x: Tensor) -> Tensor in
            let d: (Tensor) -> Tensor = grad { y in x + y }
            return x * d(Tensor(1.0))
        }
        let outer1: (Tensor) -> Tensor = deriv(inner)
        let outer2: (Tensor) -> Tensor = grad(inner)
        let outer3: (Tensor) -> Tensor = deriv(innerRev)
        #expect(outer1(Tensor(2.0)).scalar == 1)
        #expect(outer2(Tensor(2.0)).scalar == 1)
        #expect(outer3(Tensor(2.0)).scalar == 1)
        // A closure capturing the outer variable: d/dx [d/dy (x·y)]|y=x = 1; d/dx[x · d/dy(x·y)] = 2x.
        let captured: (Tensor) -> Tensor = deriv { x in
            let d: (Tensor) -> Tensor = grad { y in x * y }
            return x * d(x)
        }
        #expect(captured(Tensor(3.0)).scalar == 6)
    }

    @Test func jacobianModesAgree() {
        let a = Tensor.randn([4, 3], seed: 11)
        let f = { (x: Tensor) in tanh(matmul(a, x)) * x.sum() + exp(x).max() }
        let x = Tensor.randn([3], seed: 12)
        let jf = jacobian(f, mode: .forward)(x), jr = jacobian(f, mode: .reverse)(x)
        #expect(jf.shape == [4, 3] && jr.shape == [4, 3])
        for (p, q) in zip(jf.doubles, jr.doubles) { #expect(Swift.abs(p - q) < 1e-12) }
        // Against finite differences.
        let eps = 1e-6
        for j in 0..<3 {
            var e = [Double](repeating: 0, count: 3); e[j] = eps
            let d = (f(x + Tensor(e)) - f(x - Tensor(e))) / (2 * eps)
            for i in 0..<4 { #expect(Swift.abs(d.doubles[i] - jr.doubles[i * 3 + j]) < 1e-7) }
        }
        // A matrix input and output keep their shapes: [2, 2] + [2, 3].
        let m = Tensor.randn([2, 3], seed: 13), w = Tensor.randn([3, 2], seed: 14)
        #expect(jacobian { (x: Tensor) in matmul(x, w).T }(m).shape == [2, 2, 2, 3])
    }

    @Test func jacobianOfRandomCompositionsAgree() {
        // Functions built from the ops, forward and reverse Jacobians must coincide.
        let ops: [(Tensor) -> Tensor] = [
            { sin($0) }, { exp($0 * 0.3) }, { tanh($0) }, { sigmoid($0) }, { $0 * $0 }, { log1p($0 * $0) },
            { softplus($0) }, { $0.cumulativeProxy() }, { atan($0) },
        ]
        var rng = SplitMix64(seed: 5)
        for trial in 0..<8 {
            let picks = (0..<4).map { _ in Int(rng.next() % UInt64(ops.count)) }
            let m = Tensor.randn([5, 5], seed: UInt64(100 + trial))
            let f = { (x: Tensor) -> Tensor in
                var h = x
                for (k, p) in picks.enumerated() { h = ops[p](h); if k == 1 { h = matmul(m, h) } }
                return h
            }
            let x = Tensor.randn([5], seed: UInt64(200 + trial))
            let jf = jacobian(f, mode: .forward)(x).doubles, jr = jacobian(f, mode: .reverse)(x).doubles
            for (p, q) in zip(jf, jr) { #expect(Swift.abs(p - q) <= 1e-12 * Swift.max(1, Swift.abs(q)), "trial \(trial) \(picks)") }
        }
    }

    @Test func hessianEqualsJacobianOfGradientFor100Parameters() {
        let a = Tensor.randn([100, 100], seed: 21) * 0.1
        let f = { (x: Tensor) in (tanh(matmul(a, x)) * x).sum() + (x * x * x).sum() / 3 }
        let x = Tensor.randn([100], seed: 22)
        let h = hessian(f)(x)
        let gradient: (Tensor) -> Tensor = grad(f)
        let jg = jacobian(gradient, mode: .reverse)(x)
        #expect(h.shape == [100, 100])
        var maxDiff = 0.0, maxAbs = 0.0
        for (p, q) in zip(h.doubles, jg.doubles) { maxDiff = Swift.max(maxDiff, Swift.abs(p - q)); maxAbs = Swift.max(maxAbs, Swift.abs(q)) }
        #expect(maxDiff < 1e-12 * maxAbs, "max difference \(maxDiff)")
        // Symmetric, as a Hessian must be.
        let hd = h.doubles
        for i in 0..<100 { for j in 0..<i { #expect(Swift.abs(hd[i * 100 + j] - hd[j * 100 + i]) < 1e-12) } }
    }

    @Test func hessianVectorProductsBothWays() {
        // f = Σ x³ + x₀x₁: H = diag(6x) + [[0,1],[1,0]].
        let f = { (x: Tensor) in (x * x * x).sum() + x[0] * x[1] }
        let x = Tensor([1.0, 2.0]), v = Tensor([1.0, -1.0])
        let expected = [6.0 * 1 - 1, 1 - 12.0]
        #expect(hvp(f)(x, v).doubles == expected)
        #expect(hessianVectorProduct(f)(x, v).doubles == expected)
        #expect(matmul(hessian(f)(x), v).doubles == expected)
    }

    @Test func hvpOverParameterTrees() {
        let p: [Tensor] = [Tensor.randn([3, 2], seed: 1), Tensor.randn([2], seed: 2)]
        let v: [Tensor] = [Tensor.randn([3, 2], seed: 3), Tensor.randn([2], seed: 4)]
        let x = Tensor.randn([4, 3], seed: 5)
        let loss = { (p: [Tensor]) in (tanh(matmul(x, p[0]) + p[1]) * tanh(matmul(x, p[0]) + p[1])).sum() }
        let a = hvp(loss)(p, v), b = hessianVectorProduct(loss)(p, v)
        for (s, t) in zip(a, b) { for (p, q) in zip(s.doubles, t.doubles) { #expect(Swift.abs(p - q) < 1e-12) } }
        // The same through flatten: H on the vector, applied to the flat direction.
        let (theta, unflatten) = p.flattened()
        let (vflat, _) = v.flattened()
        let hv = matmul(hessian { loss(unflatten($0)) }(theta), vflat).doubles
        let flat = a.flattened().vector.doubles
        for (p, q) in zip(hv, flat) { #expect(Swift.abs(p - q) < 1e-12) }
    }

    @Test func gaussNewtonVectorProduct() {
        // f(x) = A tanh(x); g = ½‖y‖²: GGN = Jᵀ J with J = A diag(1 − tanh²x).
        let a = Tensor.randn([3, 4], seed: 31)
        let f = { (x: Tensor) in matmul(a, tanh(x)) }
        let x = Tensor.randn([4], seed: 32), v = Tensor.randn([4], seed: 33)
        let j = jacobian(f)(x)
        let expected = matmul(j.T, matmul(j, v)).doubles
        let got = ggnvp(f)(x, v).doubles
        for (p, q) in zip(got, expected) { #expect(Swift.abs(p - q) < 1e-12) }
        // A different loss: g = Σ y⁴/4 has H_g = diag(3y²).
        let y = f(x)
        let weighted = matmul(j.T, 3 * y * y * matmul(j, v)).doubles
        let got4 = ggnvp(f, loss: { y in (y * y * y * y).sum() / 4 })(x, v).doubles
        for (p, q) in zip(got4, weighted) { #expect(Swift.abs(p - q) < 1e-11) }
    }

    @Test func elementwiseGradAndDerivAgree() {
        let x = Tensor.linspace(-2, 2, count: 9)
        let a = elementwiseGrad(tanh)(x).doubles, b = deriv(tanh)(x).doubles
        for (p, q, t) in zip3(a, b, x.doubles) {
            let exact = 1 - Foundation.tanh(t) * Foundation.tanh(t)
            #expect(Swift.abs(p - exact) < 1e-15 && Swift.abs(q - exact) < 1e-15)
        }
        #expect(deriv(tanh)(0.5) as Double == 1 - Foundation.tanh(0.5) * Foundation.tanh(0.5))
    }

    @Test func flattenRoundTripAndGradient() {
        struct Model: ParameterTree { var w: Tensor; var b: [Tensor] }
        let m = Model(w: Tensor.randn([2, 3], seed: 1), b: [Tensor([1.0]), Tensor([2.0, 3.0])])
        let (v, unflatten) = m.flattened()
        #expect(v.shape == [9])
        let back = unflatten(v)
        #expect(back.w.doubles == m.w.doubles && back.b[1].doubles == [2, 3])
        // Gradient through unflatten is the flattened gradient.
        let loss = { (m: Model) in (m.w * m.w).sum() + (m.b[1] * 3).sum() }
        let gv = grad { (t: Tensor) in loss(unflatten(t)) }(v)
        let gm = grad(loss)(m)
        #expect(gv.doubles == gm.flattened().vector.doubles)
    }

    @Test func checkpointGivesTheSameDerivatives() {
        let w = Tensor.randn([4, 4], seed: 41) * 0.5
        let layer = { (h: Tensor) in tanh(matmul(h, w)) }
        let block = checkpoint { (h: Tensor) in layer(layer(layer(h))) }
        let plain = { (x: Tensor) in layer(layer(layer(layer(layer(layer(x)))))).sum() }
        let checkpointed = { (x: Tensor) in block(block(x)).sum() }
        let x = Tensor.randn([2, 4], seed: 42)
        #expect(plain(x).scalar == checkpointed(x).scalar)
        let g1 = grad(plain)(x).doubles, g2 = grad(checkpointed)(x).doubles
        for (p, q) in zip(g1, g2) { #expect(Swift.abs(p - q) < 1e-14) }
        // Second order and forward mode pass through the checkpoint too.
        let v = Tensor.randn([2, 4], seed: 43)
        let h1 = hvp(plain)(x, v).doubles, h2 = hvp(checkpointed)(x, v).doubles
        let h3 = hessianVectorProduct(checkpointed)(x, v).doubles
        for i in h1.indices { #expect(Swift.abs(h1[i] - h2[i]) < 1e-13 && Swift.abs(h1[i] - h3[i]) < 1e-13) }
        // Parameters passed as part of the argument get gradients as well.
        let withWeights = checkpoint { (p: [Tensor]) in tanh(matmul(p[0], p[1])).sum() }
        let gw = grad { (p: [Tensor]) in withWeights(p) }([x, w])
        let gp = grad { (p: [Tensor]) in tanh(matmul(p[0], p[1])).sum() }([x, w])
        for (a, b) in zip(gw, gp) { for (p, q) in zip(a.doubles, b.doubles) { #expect(Swift.abs(p - q) < 1e-14) } }
    }

    /// Measured in a child process: the tensor-memory counter is process-wide, and tests running
    /// in parallel would add their own tensors to the peak.
    @Test func checkpointHalvesPeakMemoryOfDeepChain() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            // 200 layers of tanh(h W) on a 128×64 float64 activation (64 KiB each).
            let w = Tensor.randn([64, 64], seed: 51) * (1.0 / 8)
            let x = Tensor.randn([128, 64], seed: 52)
            let layers = 200, segment = 20
            let chain = { (h: Tensor, n: Int) -> Tensor in (0..<n).reduce(h) { h, _ in tanh(matmul(h, w)) } }
            let block = checkpoint { (h: Tensor) in chain(h, segment) }
            let plain = { (x: Tensor) in chain(x, layers).sum() }
            let checkpointed = { (x: Tensor) in (0..<(layers / segment)).reduce(x) { h, _ in block(h) }.sum() }
            func peak(_ f: @escaping (Tensor) -> Tensor) -> (Int, [Double]) {
                TensorMemory.resetPeak()
                let base = TensorMemory.liveBytes
                let g = grad(f)(x)
                return (TensorMemory.peakBytes - base, Array(g.doubles.prefix(8)))
            }
            let (plainPeak, g1) = peak(plain)
            let (checkpointPeak, g2) = peak(checkpointed)
            print("checkpoint: peak tensor memory of the 200-layer chain's gradient \(plainPeak / 1024) KiB plain, "
                  + "\(checkpointPeak / 1024) KiB checkpointed every \(segment) layers")
            let same = zip(g1, g2).allSatisfy { Swift.abs($0 - $1) < 1e-12 }
            exit(same && checkpointPeak * 2 <= plainPeak ? 0 : 1)
        }
        let text = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        print(text, terminator: "")
        #expect(text.contains("checkpointed every 20 layers"))
    }
}

private func zip3<A: Sequence, B: Sequence, C: Sequence>(_ a: A, _ b: B, _ c: C) -> [(A.Element, B.Element, C.Element)] {
    zip(zip(a, b), c).map { ($0.0, $0.1, $1) }
}

extension Tensor {
    /// A non-elementwise op for the random compositions: each entry plus the mean.
    fileprivate func cumulativeProxy() -> Tensor { self + mean() }
}

@Suite struct SeveralArgumentsTests {
    @Test func valueAndGradientsOfThreeArguments() {
        // f = Σ a·b + c²: ∂a = b, ∂b = a, ∂c = 2c.
        let a = Tensor([1.0, 2.0]), b = Tensor([3.0, 4.0]), c = Tensor(5.0)
        let (v, (ga, gb, gc)) = valueAndGradients { (a: Tensor, b: Tensor, c: Tensor) in (a * b).sum() + c * c }(a, b, c)
        #expect(v.scalar == 36)
        #expect(ga.doubles == [3, 4] && gb.doubles == [1, 2] && gc.scalar == 10)
    }
}
