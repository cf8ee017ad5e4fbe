import Autograd
func taylorSine(_ x: Tensor) -> Tensor {
    var ans = x, term = x, i = 0.0
    while abs(term) > 0.001 {
        term = -term * x * x / ((2 * i + 3) * (2 * i + 2)); ans = ans + term; i += 1
    }
    return ans
}
print(grad(taylorSine)(Tensor(Double.pi)).scalar)
let d2: Double = grad({ x in grad(taylorSine)(x) })(Double.pi)
print(d2)
// perturbation confusion
let r = grad { (x: Tensor) in x * grad { (y: Tensor) in x + y }(Tensor(1.0)) }(Tensor(2.0))
print("confusion", r.scalar)
let W = Tensor.randn([3, 4], seed: 1)
let x = Tensor.randn([2, 3], seed: 2)
let g = grad { (w: Tensor) in tanh(matmul(x, w)).sum() }(W)
print(g.shape, g.doubles)
let p: [String: [Tensor]] = ["W": [W], "b": [Tensor.zeros([4])]]
let gp = grad { (p: [String: [Tensor]]) in (tanh(matmul(x, p["W"]![0]) + p["b"]![0])).sum() }(p)
print(gp["b"]![0].doubles)
struct MLP: ParameterTree { var w: Tensor; var b: Tensor; var name = "m" }
let gm = grad { (m: MLP) in (matmul(x, m.w) + m.b).sum() }(MLP(w: W, b: Tensor.zeros([4])))
print(gm.b.doubles, gm.name)
