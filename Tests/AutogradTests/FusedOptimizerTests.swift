import Testing
@testable import Autograd

/// The single-pass optimizer steps must be bit-identical to the composed tensor ops they replace.
@Suite struct FusedOptimizerTests {
    /// Runs `steps` updates of `opt` on a contiguous parameter and on the same values held as a
    /// strided view (which takes the composed path), with the same gradients.
    func compare<O: Optimizer>(_ make: () -> O, dtype: DType) {
        let a = Tensor.randn([6, 5], seed: 51, dtype: dtype)
        var fusedParams = [a.contiguous(), Tensor.randn([5], seed: 52, dtype: dtype)]
        var composedParams = [a.transposed().contiguous().transposed(), fusedParams[1]]
        #expect(!composedParams[0].isContiguous)
        var fused = make(), composed = make()
        for s in 0..<4 {
            let g = [Tensor.randn([6, 5], seed: 60 + UInt64(s), dtype: dtype), Tensor.randn([5], seed: 70 + UInt64(s), dtype: dtype)]
            fused.update(&fusedParams, along: g)
            composed.update(&composedParams, along: g)
            // Strided again, so every step of this copy takes the composed path.
            composedParams[0] = composedParams[0].transposed().contiguous().transposed()
        }
        for (x, y) in zip(fusedParams, composedParams) { #expect(x.doubles == y.doubles) }
        #expect(Set(fused.state.keys) == Set(composed.state.keys))
        for (k, v) in fused.state { #expect(v.doubles == composed.state[k]!.doubles, "state \(k)") }
    }

    @Test(arguments: [DType.float32, .float64])
    func adamVariantsAreBitIdentical(dtype: DType) {
        compare({ Adam(learningRate: 0.01) }, dtype: dtype)
        compare({ Adam(learningRate: 0.01, weightDecay: 0.1) }, dtype: dtype)
        compare({ Adam(learningRate: 0.01, amsgrad: true) }, dtype: dtype)
        compare({ AdamW(learningRate: 0.01, weightDecay: 0.1) }, dtype: dtype)
    }

    @Test(arguments: [DType.float32, .float64])
    func sgdVariantsAreBitIdentical(dtype: DType) {
        compare({ SGD(learningRate: 0.05) }, dtype: dtype)
        compare({ SGD(learningRate: 0.05, weightDecay: 0.1) }, dtype: dtype)
        compare({ SGD(learningRate: 0.05, momentum: 0.9) }, dtype: dtype)
        compare({ SGD(learningRate: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01) }, dtype: dtype)
        compare({ SGD(learningRate: 0.05, momentum: 0.9, nesterov: true) }, dtype: dtype)
    }

    @Test func stateTheCallerKeptIsNotChanged() {
        var p = [Tensor.randn([4], seed: 1)]
        var opt = Adam(learningRate: 0.1)
        opt.update(&p, along: [Tensor([1.0, 2, 3, 4])])
        let saved = opt.state
        let savedM = saved["m.0"]!.doubles
        opt.update(&p, along: [Tensor([1.0, 2, 3, 4])])
        #expect(saved["m.0"]!.doubles == savedM)
        #expect(opt.state["m.0"]!.doubles != savedM)
    }

    @Test func momentumBufferTheCallerKeptIsNotChanged() {
        var p = [Tensor.randn([4], seed: 1)]
        var opt = SGD(learningRate: 0.1, momentum: 0.9)
        opt.update(&p, along: [Tensor([1.0, 2, 3, 4])])
        let saved = opt.state
        opt.update(&p, along: [Tensor([1.0, 2, 3, 4])])
        #expect(saved["momentum.0"]!.doubles == [1, 2, 3, 4])
        #expect(opt.state["momentum.0"]!.doubles == [1.9, 3.8, 5.7, 7.6])
    }
}
