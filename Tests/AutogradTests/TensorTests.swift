import Autograd
import Testing

@Suite("Tensor")
struct TensorTests {
    @Test func creationAndConversion() {
        let m: Tensor = [[1, 2, 3], [4, 5, 6]]
        #expect(m.shape == [2, 3] && m.dtype == .float64 && m.count == 6)
        #expect(m.doubles == [1, 2, 3, 4, 5, 6])
        #expect(Tensor([1, 2, 3] as [Float]).dtype == .float32)
        #expect(Tensor([1, 2] as [Int]).scalars(as: Int.self) == [1, 2])
        #expect(Tensor.zeros([2, 2]).doubles == [0, 0, 0, 0])
        #expect(Tensor.ones([3], dtype: .float32).scalars(as: Float.self) == [1, 1, 1])
        #expect(Tensor.full([2], 7).doubles == [7, 7])
        #expect(Tensor.arange(0, 1, step: 0.25).doubles == [0, 0.25, 0.5, 0.75])
        #expect(Tensor.arange(4).scalars(as: Int.self) == [0, 1, 2, 3])
        #expect(Tensor.linspace(0, 1, count: 5).doubles == [0, 0.25, 0.5, 0.75, 1])
        #expect(Tensor.eye(2).doubles == [1, 0, 0, 1])
        #expect(Tensor(2.5).scalar == 2.5 && Tensor(2.5).shape == [])
        #expect(m.cast(to: .float32).dtype == .float32)
        #expect(Tensor([[1.0, 2.0], [3.0, 4.0]]).shape == [2, 2])
    }

    @Test func randomNumbersMatchTheBenchmarkGenerator() {
        // Check values from shared/bench/README.md.
        #expect(SplitMix64.draw(seed: 301, index: 0) == 0xe525d2a3b2002e14)
        #expect(SplitMix64.draw(seed: 301, index: 3) == 0xaa1ed3a134ca8e05)
        let r = Tensor.randn([100, 50], seed: 301)
        let first = r.doubles.prefix(4)
        let expected = [1.6975037865137759, -0.2646190663286608, -0.6771381552295332, -1.084427644074059]
        for (a, b) in zip(first, expected) { #expect(abs(a - b) <= 1e-15 * abs(b)) }
        #expect(abs(r.sum().scalar - -49.56144077598785) < 1e-10)
        let u = Tensor.uniform([128, 784], seed: 404)
        #expect(Array(u.doubles.prefix(4)) == [0.07439308343124318, 0.8513493776587765, 0.48461893431823844, 0.8341197020409639])
        #expect(abs(u.sum().scalar - 50128.4221594938) < 1e-8)
        let w8 = Tensor.randn([8], seed: 801, dtype: .float32).scalars(as: Float.self)
        #expect(Array(w8.prefix(4)) == [-0.857532, -0.6556639, 0.58441854, -1.5098147])
        let b = Tensor.bernoulli([1000], p: 0.3, seed: 5)
        #expect(abs(b.mean().scalar - 0.3) < 0.05)
        #expect(Tensor.randn([3], seed: 9) == Tensor.randn([3], seed: 9))
    }

    @Test func viewsShareStorageAndReadCorrectly() {
        let m: Tensor = [[1, 2, 3], [4, 5, 6]]
        #expect(m.T.shape == [3, 2] && m.T.doubles == [1, 4, 2, 5, 3, 6])
        #expect(!m.T.isContiguous)
        #expect(m[1].doubles == [4, 5, 6])
        #expect(m[TensorIndex.all, 1].doubles == [2, 5])
        #expect(m[0, 1..<3].doubles == [2, 3])
        #expect(m[TensorIndex.all, stride(from: 0, to: 3, by: 2)].doubles == [1, 3, 4, 6])
        #expect(m[-1, -1].scalar == 6)
        #expect(m[TensorIndex.newAxis].shape == [1, 2, 3])
        #expect(m[TensorIndex.ellipsis, 0].doubles == [1, 4])
        #expect(m.flip(axes: [1]).doubles == [3, 2, 1, 6, 5, 4])
        #expect(Tensor([1, 2, 3] as [Double]).broadcast(to: [2, 3]).doubles == [1, 2, 3, 1, 2, 3])
        #expect(m.reshape([3, -1]).shape == [3, 2])
        #expect(m.expandDims(0).shape == [1, 2, 3] && m.expandDims(0).squeeze().shape == [2, 3])
        #expect(m[indices: [1, 0, 1]].doubles == [4, 5, 6, 1, 2, 3, 4, 5, 6])
        #expect(m[m .> 2.5].doubles == [3, 4, 5, 6])
        #expect(concat([m, m], axis: 1).shape == [2, 6])
        #expect(stack([m, m]).shape == [2, 2, 3])
        #expect(m.split(3, axis: 1).map(\.doubles) == [[1, 4], [2, 5], [3, 6]])
    }

    @Test func broadcastingArithmeticAndReductions() {
        let m: Tensor = [[1, 2, 3], [4, 5, 6]]
        let v: Tensor = [10, 20, 30]
        #expect((m + v).doubles == [11, 22, 33, 14, 25, 36])
        #expect((m * Tensor([[2], [3]])).doubles == [2, 4, 6, 12, 15, 18])
        #expect((1 - m).doubles == [0, -1, -2, -3, -4, -5])
        #expect(m.sum(axis: 0).doubles == [5, 7, 9])
        #expect(m.sum(axis: 1, keepDims: true).shape == [2, 1])
        #expect(m.mean().scalar == 3.5)
        #expect(m.max(axis: 1).doubles == [3, 6] && m.min().scalar == 1)
        #expect(m.prod(axes: [1]).doubles == [6, 120])
        #expect(abs(m.variance().scalar - 35.0 / 12) < 1e-12)
        #expect(m.argmax(axis: 1).scalars(as: Int.self) == [2, 2])
        #expect(m.argmin().scalars(as: Int.self) == [0])
        #expect(abs(m.logsumexp().scalar - 6.456193316018123) < 1e-12)
        #expect(matmul(m, m.T).doubles == [14, 32, 32, 77])
        #expect(matmul(v, m.T).doubles == [140, 320])
        #expect(dot(v, v).scalar == 1400)
        #expect(outer(Tensor([1, 2] as [Double]), v).shape == [2, 3])
        let batched = matmul(Tensor.ones([4, 2, 3]), Tensor.ones([3, 5]))
        #expect(batched.shape == [4, 2, 5] && batched.doubles.allSatisfy { $0 == 3 })
        #expect(softmax(Tensor([0, 0] as [Double])).doubles == [0.5, 0.5])
        #expect((m .> 3).scalars(as: Bool.self) == [false, false, false, true, true, true])
        #expect(`where`(m .> 3, m, Tensor(0.0)).doubles == [0, 0, 0, 4, 5, 6])
        #expect(clamp(m, min: 2, max: 5).doubles == [2, 2, 3, 4, 5, 5])
    }

    @Test func float32StaysFloat32WithSwiftNumbers() {
        let x = Tensor([1, 2] as [Float])
        #expect((x * 2 + 1).dtype == .float32)
        #expect((x / Tensor(2.0)).dtype == .float32)
        #expect(exp(x).dtype == .float32)
    }

    @Test func printing() {
        let m: Tensor = [[1, 2.5, 3], [4, 5, 6]]
        #expect(m.description == "[[ 1., 2.5,  3.],\n [ 4.,  5.,  6.]] (shape [2, 3], float64)")
        #expect(Tensor(3.0).description == "3. (shape [], float64)")
        #expect(Tensor([1, 2] as [Int]).description == "[1, 2] (shape [2], int64)")
        let big = Tensor.zeros([2000]).description
        #expect(big.contains("...") && big.hasSuffix("(shape [2000], float64)"))
    }

    @Test func threadingSettingRoundTrips() {
        let saved = Threading.count
        Threading.count = 1
        #expect(Threading.count == 1)
        let x = Tensor.randn([300_000], seed: 3)
        let one = (x * x).sum().scalar
        Threading.count = 2
        let two = (x * x).sum().scalar
        #expect(one == two)
        Threading.count = saved
    }
}
