import Foundation
import Testing
@testable import Autograd

/// Cotangent sums fused with the product that feeds them must give the two-pass result.
@Suite struct FusedAccumulationTests {
    let n = 10_000  // above FusedAccumulation.minimumCount, so the fused rules run

    func inputs(_ dtype: DType) -> Tensor { Tensor.randn([n], seed: 7, dtype: dtype) }

    @Test(arguments: [DType.float32, .float64])
    func w8LossMatchesItsDerivative(dtype: DType) {
        // d/dx [tanh(x)·x + exp(−x²)] = (1 − tanh²x)·x + tanh x − 2x·exp(−x²): the cotangent of x
        // gets four contributions, three of them through fused rules (negate, multiply, tanh).
        let x = inputs(dtype)
        let g = grad { (x: Tensor) in (tanh(x) * x + exp(-x * x)).sum() }(x)
        let xs = x.doubles, gs = g.doubles
        let tol = dtype == .float32 ? 2e-6 : 1e-14
        var worst = 0.0
        for (v, d) in zip(xs, gs) {
            let t = Foundation.tanh(v)
            let expected = (1 - t * t) * v + t - 2 * v * Foundation.exp(-v * v)
            worst = max(worst, abs(d - expected))
        }
        #expect(worst < tol * 4)
    }

    @Test func fusedAndTwoPassFormsAreBitIdentical() {
        // The same arithmetic per element (no contraction into FMA): switching the rules off must
        // not change a single bit. (Other tests running meanwhile only take the other path.)
        let x = inputs(.float32)
        let f = grad { (x: Tensor) in (tanh(x) * x + exp(-x * x) - x * 3).sum() }
        let fused = f(x).scalars(as: Float.self)
        FusedAccumulation.isEnabled.store(false, ordering: .relaxed)
        let twoPass = f(x).scalars(as: Float.self)
        FusedAccumulation.isEnabled.store(true, ordering: .relaxed)
        #expect(fused == twoPass)
    }

    @Test func repeatedArgumentsAndSubtraction() {
        let x = inputs(.float64)
        // x·x: both cotangents land in one slot (the second one fused); x − 3x: subtraction's rule.
        let g1 = grad { (x: Tensor) in (x * x).sum() }(x)
        #expect(zip(g1.doubles, x.doubles).allSatisfy { abs($0 - 2 * $1) < 1e-14 })
        let g2 = grad { (x: Tensor) in (x - x * 3).sum() }(x)
        #expect(g2.doubles.allSatisfy { abs($0 + 2) < 1e-14 })
        let g3 = grad { (x: Tensor) in (exp(x) - x * exp(x)).sum() }(x)
        #expect(zip(g3.doubles, x.doubles).allSatisfy { abs($0 + $1 * Foundation.exp($1)) < 1e-12 * max(1, Foundation.exp($1) * abs($1)) })
    }

    @Test func broadcastArgumentsFallBackToTheTwoPassForm() {
        // y is broadcast against x: its contributions need a reduction, which the fused rule
        // declines; x's slot is fused. Both must match the hand derivative.
        let x = Tensor.randn([200, 64], seed: 3, dtype: .float64)
        let y = Tensor.randn([64], seed: 4, dtype: .float64)
        let gs = grad { (p: [Tensor]) in (p[0] * p[1] + p[0] * p[0] * p[1]).sum() }([x, y])
        let gx = gs[0], gy = gs[1]
        let xs = x.doubles, ys = y.doubles
        for i in 0..<200 {
            for j in 0..<64 {
                let expected = ys[j] + 2 * xs[i * 64 + j] * ys[j]
                #expect(abs(gx.doubles[i * 64 + j] - expected) < 1e-12)
            }
        }
        for j in 0..<64 {
            var expected = 0.0
            for i in 0..<200 { expected += xs[i * 64 + j] + xs[i * 64 + j] * xs[i * 64 + j] }
            #expect(abs(gy.doubles[j] - expected) < 1e-9)
        }
    }

    @Test func secondDerivativesStillUseTheDifferentiableRules() {
        // Under grad(grad(f)) the inner backward pass is traced: the fused rules must not run.
        let x = inputs(.float64)
        let h = grad { (x: Tensor) in grad { (x: Tensor) in (tanh(x) * x).sum() }(x).sum() }(x)
        // d/dx [(1 − t²)x + t] = −2t(1 − t²)x + 2(1 − t²)
        for (v, d) in zip(x.doubles, h.doubles) {
            let t = Foundation.tanh(v)
            #expect(abs(d - (-2 * t * (1 - t * t) * v + 2 * (1 - t * t))) < 1e-12)
        }
    }
}
