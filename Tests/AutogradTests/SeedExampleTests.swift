import Foundation
import Testing
import Autograd
import AutogradExamples

// The seeds' examples (HIPS autograd, torch-autograd) reproduce their published values.

/// `actual` equals `expected` to a relative tolerance (absolute near zero).
/// Checks each labelled value of an example result against its reference.
private func expectValues(_ r: ExampleResult, _ expected: KeyValuePairs<String, Double>,
                          sourceLocation: SourceLocation = #_sourceLocation) {
    for (label, value) in expected { expectClose(r[label], value, label, sourceLocation: sourceLocation) }
}

private func expectClose(_ actual: Double?, _ expected: Double, rel: Double = 1e-12, abs: Double = 1e-15,
                         _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    guard let actual else {
        Issue.record("\(what): missing value", sourceLocation: sourceLocation)
        return
    }
    let tolerance = Swift.max(rel * Swift.abs(expected), abs)
    #expect(Swift.abs(actual - expected) <= tolerance,
            "\(what): \(actual) differs from \(expected) by \(Swift.abs(actual - expected))",
            sourceLocation: sourceLocation)
}

@Suite("Seed examples")
struct SeedExampleTests {
    @Test("taylor sine at π: gradient −0.9998995297042174 (HIPS tutorial)")
    func taylorSine() {
        let r = taylorSineExample()
        expectClose(r["gradient"], -0.9998995297042174, "gradient")
        expectClose(r["value"], 2.1142567558314672e-05, rel: 1e-9, "value")   // a cancellation: absolute error ~1e-15
        // The Double overload and the tensor form agree.
        let g = grad(AutogradExamples.taylorSine)(Tensor(Double.pi))
        expectClose(g.scalar, -0.9998995297042174, "tensor gradient")
    }

    @Test("a + b·c at (3.5, 2.1, 1.1): value 5.81, gradients 1, 1.1, 2.1")
    func simpleGradient() {
        expectValues(simpleGradientExample(),
                     ["value": 5.81, "df/da": 1, "gradients.a": 1, "gradients.b": 1.1, "gradients.c": 2.1])
    }

    @Test("if b > c { a·sin(b) } else { a + b·c }: value 3.0212327832711, gradient 0.86320936664887")
    func conditional() {
        expectValues(conditionalExample(),
                     ["value": 3.0212327832711, "df/da": 0.86320936664887, "df/db": 3.5 * Foundation.cos(2.1),
                      "df/dc": 0, "df/da (else branch)": 1])
    }

    @Test("x^(2n) by a loop and by recursion at (3, 2): value 81, gradient 108")
    func loopAndRecursion() {
        let r = loopAndRecursionExample()
        expectValues(r, ["loop value": 81, "loop gradient": 108, "recursion value": 81, "recursion gradient": 108])
        // The trip count is an ordinary argument: n = 3 gives 3⁶ and 6·3⁵.
        #expect(grad(powerByLoop)(Tensor(3.0), 3).scalar == 1458)
        #expect(grad(powerByRecursion)(Tensor(3.0), 3).scalar == 1458)
    }

    @Test("logistic regression, 100 steps: final loss 1.0672706757870163 (HIPS README)")
    func logisticRegression() {
        let r = logisticRegressionExample()
        expectClose(r["initial loss"], 4 * Foundation.log(2.0), "initial loss")
        expectClose(r["final loss"], 1.0672706757870163, "final loss")
    }

    @Test("seed 000 network: loss 3.653194818054505, Σ grad² 0.58020038417235, gradient mirrors params")
    func neuralNet() {
        let (loss, gradient, prediction) = neuralNetValueAndGradient()
        expectClose(loss, 3.653194818054505, "loss")
        expectClose(sumOfSquares(gradient), 0.58020038417235, "sum of squared gradients")

        // The gradient is a [String: [Tensor]] with the parameters' keys, array lengths and shapes.
        let params = seedNetworkParameters()
        #expect(Set(gradient.keys) == ["W", "b"])
        for (key, tensors) in params {
            let g = try! #require(gradient[key])
            #expect(g.count == tensors.count)
            for (gi, pi) in zip(g, tensors) {
                #expect(gi.shape == pi.shape && gi.dtype == pi.dtype)
            }
        }
        #expect(gradient.namedTensors.map(\.name) == ["W.0", "W.1", "b.0", "b.1"])

        // The auxiliary output comes back as a plain (untraced) tensor of log-probabilities.
        #expect(prediction.shape == [1, 10])
        #expect(!prediction.isTraced)
        expectClose(exp(prediction).sum().scalar, 1, rel: 1e-14, "total probability")

        // valueAndGrad without aux agrees.
        let (x, y) = seedNetworkData()
        let (loss2, gradient2) = valueAndGrad { (p: [String: [Tensor]], x: Tensor, y: Tensor) in
            AutogradExamples.neuralNet(p, x, y).0
        }(params, x, y)
        #expect(loss2.scalar == loss)
        #expect(gradient2["W"]![0].doubles == gradient["W"]![0].doubles)
    }

    @Test("seed 003 autoencoder: struct gradient, losses decrease, finite differences agree")
    func autoencoder() {
        let (model, losses) = trainAutoencoder()
        #expect(losses.count == 51)
        for (before, after) in zip(losses, losses.dropFirst()) { #expect(after < before) }
        // Reference values from an independent NumPy implementation with hand-written gradients.
        expectClose(losses.first, 0.08372958301725486, rel: 1e-12, "initial loss")
        expectClose(losses.last, 0.06052078093575851, rel: 1e-12, "loss after 50 steps")
        #expect(model.W.shape == [16, 8])

        // The gradient is an Autoencoder of the same shapes, leaves named after the properties.
        let x = autoencoderData()
        let start = Autoencoder.initial()
        let g = grad(autoencoderLoss)(start, x)
        #expect(g.W.shape == start.W.shape && g.bEnc.shape == start.bEnc.shape && g.bDec.shape == start.bDec.shape)
        #expect(g.namedTensors.map(\.name) == ["W", "bEnc", "bDec"])

        // Central finite differences on one entry of each parameter.
        func perturbed(_ t: Tensor, _ k: Int, _ h: Double) -> Tensor {
            var d = t.doubles
            d[k] += h
            return Tensor(d, shape: t.shape)
        }
        let h = 1e-5
        func fd(_ change: (Autoencoder, Double) -> Autoencoder) -> Double {
            (autoencoderLoss(change(start, h), x).scalar - autoencoderLoss(change(start, -h), x).scalar) / (2 * h)
        }
        let k = 19   // W[2, 3]
        let dW = fd { m, h in var m = m; m.W = perturbed(m.W, k, h); return m }
        let dbEnc = fd { m, h in var m = m; m.bEnc = perturbed(m.bEnc, 5, h); return m }
        let dbDec = fd { m, h in var m = m; m.bDec = perturbed(m.bDec, 7, h); return m }
        expectClose(g.W.doubles[k], dW, rel: 1e-7, abs: 1e-11, "∂loss/∂W[2,3]")
        expectClose(g.bEnc.doubles[5], dbEnc, rel: 1e-7, abs: 1e-11, "∂loss/∂bEnc[5]")
        expectClose(g.bDec.doubles[7], dbDec, rel: 1e-7, abs: 1e-11, "∂loss/∂bDec[7]")
    }

    @Test("custom logsumexp primitive: gradient = softmax = library gradient; floor with custom VJPs")
    func customPrimitives() {
        let r = customPrimitiveExample()
        let x = customPrimitiveInput
        expectClose(r["logsumexp"], Foundation.log(x.doubles.map { Foundation.exp($0) }.reduce(0.0, +)), "custom logsumexp")
        expectClose(r["library logsumexp"], r["logsumexp"]!, "library logsumexp")
        #expect(r["max |grad - softmax|"]! <= 1e-15)
        #expect(r["max |grad - library grad|"]! <= 1e-15)

        // The VJP is written in differentiable ops, so it differentiates again: the Hessian–vector
        // product of logsumexp is (diag(s) − s sᵀ) v with s = softmax(x).
        let v: Tensor = [0.25, -1, 0.5]
        let hv = grad { (x: Tensor) in (grad { (y: Tensor) in customLogsumexp(y) }(x) * v).sum() }(x).doubles
        let s = softmax(x).doubles, vd = v.doubles
        let sv = zip(s, vd).map { $0 * $1 }.reduce(0.0, +)
        for i in 0..<3 { expectClose(hv[i], s[i] * (vd[i] - sv), rel: 1e-12, abs: 1e-15, "Hv[\(i)]") }

        // sum(floor(x)·x) at [1.5, −0.3, 2.7]: 1.5 + 0.3 + 5.4.
        expectClose(r["sum(floor(x)·x)"], 7.2, "floor value")
        for (i, expected) in [2.5, -1.3, 4.7].enumerated() {
            expectClose(r["straight-through grad[\(i)]"], expected, "straight-through gradient \(i)")
        }
        for (i, expected) in [1.0, -1.0, 2.0].enumerated() {
            expectClose(r["zero-gradient grad[\(i)]"], expected, "zero-gradient gradient \(i)")
        }
    }

    @Test("runSeedExamples runs every example")
    func runAll() {
        let results = runSeedExamples()
        #expect(results.count == 8)
        for r in results {
            print(r)
            #expect(!r.values.isEmpty)
            for (label, value) in r.values { #expect(value.isFinite, "\(r.name): \(label)") }
        }
    }
}
