import Testing
@testable import Autograd

/// The packed-panel product behind the recurrent layers equals BLAS's, for both dtypes, ragged
/// sizes (rows not a multiple of 4, columns not a multiple of the panel width), a transposed
/// right-hand side, accumulation, and one or two threads.
@Suite("Packed GEMM") struct PackedGEMMTests {
    func check<F: NNFloat>(_: F.Type, m: Int, k: Int, n: Int, transposed: Bool, accumulate: Bool, threads: Int) {
        let dtype = F.dtype
        let a = Tensor.randn([m, k], seed: 1, dtype: dtype)
        // B stored as n×k when used transposed (the LSTM's W_hᵀ), k×n otherwise.
        let stored = transposed ? Tensor.randn([n, k], seed: 2, dtype: dtype) : Tensor.randn([k, n], seed: 2, dtype: dtype)
        let b = transposed ? stored.transposed() : stored
        let c0 = Tensor.randn([m, n], seed: 3, dtype: dtype)
        let expected = accumulate ? c0 + matmul(a, b) : matmul(a, b)
        let saved = Threading.count
        Threading.count = threads
        defer { Threading.count = saved }
        let c = c0.contiguous().cast(to: dtype) * 1   // a fresh buffer of our own
        withLifetimes(a, stored, c) {
            let packed = transposed
                ? PackedMatrix<F>(stored.pointer(F.self), rowStride: 1, colStride: k, k: k, n: n)
                : PackedMatrix<F>(stored.pointer(F.self), rowStride: n, colStride: 1, k: k, n: n)
            withExtendedLifetime(packed.storage) {
                packed.multiply(a.pointer(F.self), m: m, lda: k, into: c.pointer(F.self), ldc: n, accumulate: accumulate)
            }
        }
        let scale = Swift.max(1, expected.doubles.map(Swift.abs).max() ?? 1)
        let worst = zip(c.doubles, expected.doubles).map { Swift.abs($0 - $1) }.max() ?? 0
        let tolerance = (dtype == .float32 ? 1e-5 : 1e-12) * scale
        #expect(worst <= tolerance, "\(dtype) m \(m) k \(k) n \(n) transposed \(transposed) accumulate \(accumulate) threads \(threads): \(worst)")
    }

    @Test(arguments: [(32, 200, 800), (7, 13, 37), (1, 5, 3), (33, 800, 200), (4, 1, 16)])
    func matchesBLAS(m: Int, k: Int, n: Int) {
        for transposed in [false, true] {
            for accumulate in [false, true] {
                for threads in [1, 2] {
                    check(Float.self, m: m, k: k, n: n, transposed: transposed, accumulate: accumulate, threads: threads)
                    check(Double.self, m: m, k: k, n: n, transposed: transposed, accumulate: accumulate, threads: threads)
                }
            }
        }
    }
}
