import Autograd
import Testing

/// The reverse-mode engine: structure of gradients, nesting, control flow, memory release.
@Suite("Engine")
struct EngineTests {
    struct MLP: ParameterTree {
        var w1: Tensor
        var b1: Tensor
        var layers: [Tensor]
        var label = "not a parameter"
        var width = 3
    }

    @Test func gradientOfUserStructHasSameStructure() {
        let m = MLP(w1: Tensor([1, 2, 3] as [Double]), b1: Tensor(0.5), layers: [Tensor([2, 2] as [Double]), Tensor(3.0)])
        let g = grad { (m: MLP) in (m.w1 * m.w1).sum() + m.b1 * 3 + (m.layers[0] * m.layers[1]).sum() }(m)
        #expect(g.w1.doubles == [2, 4, 6])
        #expect(g.b1.scalar == 3)
        #expect(g.layers.count == 2)
        #expect(g.layers[0].doubles == [3, 3])
        #expect(g.layers[1].scalar == 4)
        #expect(g.label == "not a parameter" && g.width == 3)
        #expect(m.namedTensors.map(\.name) == ["w1", "b1", "layers.0", "layers.1"])
    }

    @Test func gradientOfDictionaryOfArrays() {
        let p: [String: [Tensor]] = ["W": [Tensor([1, 2] as [Double]), Tensor([[1, 0], [0, 1]])], "b": [Tensor(2.0)]]
        let g = grad { (p: [String: [Tensor]]) in (matmul(p["W"]![0], p["W"]![1]) * p["b"]![0]).sum() }(p)
        #expect(Set(g.keys) == ["W", "b"])
        #expect(g["W"]!.count == 2 && g["b"]!.count == 1)
        #expect(g["W"]![0].doubles == [2, 2])
        #expect(g["W"]![1].shape == [2, 2])
        #expect(g["W"]![1].doubles == [2, 2, 4, 4])
        #expect(g["b"]![0].scalar == 3)
    }

    @Test func nestedDerivativesDoNotConfusePerturbations() {
        // d/dx [x · d/dy (x + y)] = 1, not 2.
        let r = grad { (x: Tensor) in x * grad { (y: Tensor) in x + y }(Tensor(1.0)) }(Tensor(2.0))
        #expect(r.scalar == 1)
        // d/dx [x · d/dy (x · y)] at x = 3: d/dx x² = 6.
        let s = grad { (x: Tensor) in x * grad { (y: Tensor) in x * y }(Tensor(5.0)) }(Tensor(3.0))
        #expect(s.scalar == 6)
    }

    @Test func higherOrderDerivatives() {
        let f = { (x: Tensor) in x * x * x * x }          // x⁴
        let d1 = grad(f), d2 = grad(d1), d3 = grad(d2), d4 = grad(d3)
        let x = Tensor(1.5)
        #expect(abs(d1(x).scalar - 4 * 3.375) < 1e-12)
        #expect(abs(d2(x).scalar - 12 * 2.25) < 1e-12)
        #expect(abs(d3(x).scalar - 24 * 1.5) < 1e-12)
        #expect(abs(d4(x).scalar - 24) < 1e-12)
        let dsin: (Double) -> Double = grad(grad { x in sin(x) })
        #expect(abs(dsin(1.0) + Foundation_sin(1.0)) < 1e-12)
    }

    @Test func controlFlowRecursionAndClosures() {
        func power(_ x: Tensor, _ n: Int) -> Tensor { n == 0 ? Tensor(1.0) : x * power(x, n - 1) }
        #expect(grad { x in power(x, 5) }(Tensor(2.0)).scalar == 80)
        func f(_ x: Tensor) -> Tensor {
            var y = x
            while y < 100.0 { y = y * 2 }
            return x > 0 ? y : -y
        }
        #expect(grad(f)(Tensor(3.0)).scalar == 64)   // 3 → 192 after 6 doublings
        let scale = Tensor(4.0)
        let g = grad { (x: Tensor) in [1.0, 2.0].map { c in x * c * scale }.reduce(Tensor(0.0), +) }
        #expect(g(Tensor(1.0)).scalar == 12)
    }

    @Test func stopGradientBlocksEveryLevel() {
        #expect(grad { x in x * stopGradient(x) }(Tensor(3.0)).scalar == 3)
        #expect(grad(grad { x in x * x * stopGradient(x) })(Tensor(2.0)).scalar == 4)
    }

    @Test func valueAndGradWithAuxAndSeveralArguments() {
        let (v, g, aux) = valueAndGrad(withAux: { (x: Tensor) in ((x * x).sum(), x * 2) })(Tensor([1, 2] as [Double]))
        #expect(v.scalar == 5 && g.doubles == [2, 4] && aux.doubles == [2, 4] && !aux.isTraced)
        let (ga, gb) = gradients(of: { (a: Tensor, b: Tensor) in a * b })(Tensor(3.0), Tensor(4.0))
        #expect(ga.scalar == 4 && gb.scalar == 3)
        let gx = grad({ (x: Tensor, c: Double) in x * c })(Tensor(2.0), 7)
        #expect(gx.scalar == 7)
    }

    @Test func gradientOfSwiftDouble() {
        let d: (Double) -> Double = grad { x in x * x * x }
        #expect(d(2) == 12)
        let f: (Float) -> Float = grad { x in exp(x) }
        #expect(abs(f(0) - 1) < 1e-6)
    }

    @Test func unusedInputGetsZeroGradient() {
        let g = grad { (p: [Tensor]) in p[0] * 2 }([Tensor(1.0), Tensor([1, 2, 3] as [Double])])
        #expect(g[0].scalar == 2)
        #expect(g[1].doubles == [0, 0, 0])
    }

    @Test func tracedValuesBecomeConstantsAfterward() {
        nonisolated(unsafe) var leaked: Tensor?
        _ = grad { (x: Tensor) -> Tensor in leaked = x * 2; return x }(Tensor(1.0))
        #expect(leaked?.isTraced == false)
        // Reusing a leaked value in a later gradient treats it as a constant.
        #expect(grad { (y: Tensor) in y * leaked! }(Tensor(5.0)).scalar == 2)
    }

    @Test func vjpOfVectorFunction() {
        let x = Tensor([1, 2, 3] as [Double])
        let (y, pullback) = vjp { (x: Tensor) in x * x }(x)
        #expect(y.doubles == [1, 4, 9] && !y.isTraced)
        #expect(pullback(Tensor([1, 1, 1] as [Double])).doubles == [2, 4, 6])
        #expect(pullback(Tensor([1, 0, 2] as [Double])).doubles == [2, 0, 12])   // reusable
        // Jᵀu for a matrix product, and the pullback is itself differentiable.
        let w: Tensor = [[1, 2], [3, 4], [5, 6]]
        let (_, pb) = vjp { (w: Tensor) in matmul(x, w) }(w)
        #expect(pb(Tensor([1, 1] as [Double])).doubles == [1, 1, 2, 2, 3, 3])
        let g = grad { (x: Tensor) -> Tensor in
            let (_, p) = vjp { (z: Tensor) in sin(z) * x }(Tensor(0.5))
            return p(Tensor(1.0))                                           // d/dz = cos(z)·x
        }(Tensor(2.0))
        #expect(abs(g.scalar - Foundation_cos(0.5)) < 1e-15)
    }

    @Test func independentGradientsRunConcurrently() async {
        // No global trace state: gradients on several threads at once do not interfere.
        let results = await withTaskGroup(of: (Int, Double).self) { group in
            for k in 1...8 {
                group.addTask {
                    var total = 0.0
                    for _ in 0..<200 {
                        total = grad { (x: Tensor) in (x * x * Double(k)).sum() }(Tensor([1, 2] as [Double])).sum().scalar
                    }
                    return (k, total)
                }
            }
            var out: [Int: Double] = [:]
            for await (k, v) in group { out[k] = v }
            return out
        }
        for k in 1...8 { #expect(results[k] == 6 * Double(k)) }
    }

    @Test func customPrimitiveWithoutGradientIsFineUntilDifferentiated() {
        let floorOp = UnaryPrimitive("floor", forward: { x in Tensor(x.doubles.map { $0.rounded(.down) }, shape: x.shape) }, vjp: nil)
        #expect(floorOp(Tensor([1.5, -0.5] as [Double])).doubles == [1, -1])
        // Through stopGradient no derivative flows, so no gradient is needed.
        #expect(grad { x in x * floorOp(stopGradient(x)) }(Tensor(2.5)).scalar == 2)
    }
}

private func Foundation_sin(_ x: Double) -> Double { Tensor(x).sinValue }
private func Foundation_cos(_ x: Double) -> Double { cos(Tensor(x)).scalar }
private extension Tensor { var sinValue: Double { sin(self).scalar } }
