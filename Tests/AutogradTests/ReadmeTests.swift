import Autograd
import Testing

/// The README's first example, verbatim, with its printed values checked.
@Suite("README example")
struct ReadmeTests {
    @Test func firstExample() {
        func taylorSine(_ x: Tensor) -> Tensor {
            var ans = x, term = x, i = 0.0
            while abs(term) > 0.001 {
                term = -term * x * x / ((2 * i + 3) * (2 * i + 2))
                ans = ans + term
                i += 1
            }
            return ans
        }
        let dsin = grad(taylorSine)
        #expect(dsin(Tensor(Double.pi)).description == "-0.99989953 (shape [], float64)")
        #expect(abs(dsin(Tensor(Double.pi)).scalar - -0.9998995297042174) < 1e-15)
        let d2: Double = grad(grad(taylorSine))(Double.pi)
        #expect(abs(d2) < 1e-3)

        let params: [String: [Tensor]] = [
            "W": [Tensor.randn([100, 50], seed: 1), Tensor.randn([50, 10], seed: 2)],
            "b": [Tensor.zeros([50]), Tensor.zeros([10])],
        ]
        func loss(_ p: [String: [Tensor]], _ x: Tensor, _ y: Tensor) -> Tensor {
            let h1 = tanh(matmul(x, p["W"]![0]) + p["b"]![0])
            let h2 = tanh(matmul(h1, p["W"]![1]) + p["b"]![1])
            return -(logSoftmax(h2) * y).sum()
        }
        let x = Tensor.randn([1, 100], seed: 3)
        let y: Tensor = [[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]]
        let (value, dparams) = valueAndGrad(loss)(params, x, y)
        #expect(value.shape == [] && value.scalar > 0)
        #expect(dparams["W"]![1].shape == [50, 10] && dparams["b"]![0].shape == [50])

        struct MLP: ParameterTree { var w1, b1, w2, b2: Tensor }
        let m = MLP(w1: Tensor(1.0), b1: Tensor(2.0), w2: Tensor(3.0), b2: Tensor(4.0))
        let gm = grad { (m: MLP) in m.w1 * m.b1 + m.w2 * m.b2 }(m)
        #expect([gm.w1, gm.b1, gm.w2, gm.b2].map(\.scalar) == [2, 1, 4, 3])

        let logsumexp = UnaryPrimitive("logsumexp",
            forward: { x in x.max() + log(exp(x - x.max()).sum()) },
            vjp: { g, ans, x in g * exp(x - ans) })
        let g = grad { v in logsumexp(v) }(Tensor([1, 2, 3] as [Double]))
        let s = softmax(Tensor([1, 2, 3] as [Double]))
        for (a, b) in zip(g.doubles, s.doubles) { #expect(abs(a - b) < 1e-15) }
    }
}
