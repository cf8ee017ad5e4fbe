import AutogradExamples
import Foundation
import Testing
@testable import Autograd

/// The per-thread cache of one-element buffers: reuse must never hand out memory that a live
/// tensor still reads.
@Suite struct ObjectCacheTests {
    @Test func gradientsFillTheCacheAndStayExact() {
        ObjectCache.drain()
        let g = grad(taylorSine)
        let first = g(Tensor(Double.pi))
        #expect(ObjectCache.count(ObjectCache.scalarBuffer) > 0)
        for _ in 0..<200 { #expect(g(Tensor(Double.pi)).scalar == first.scalar) }
        #expect(abs(first.scalar - -0.9998995297042174) < 1e-12)
    }

    @Test func keptResultsAreNotOverwrittenByLaterGradients() {
        // Every gradient and every intermediate kept from earlier calls must keep its value
        // while later calls draw buffers from the cache.
        var kept: [(Tensor, Double)] = []
        for k in 0..<100 {
            let x = Double(k) / 50 - 1
            let (value, gradient) = valueAndGrad { (t: Tensor) in (t * t * t - t).sum() }(Tensor(x))
            let expected = 3 * x * x - 1
            kept.append((gradient, expected))
            kept.append((value, x * x * x - x))
            let y = Tensor(x) * 2
            kept.append((y, 2 * x))
        }
        for (t, v) in kept { #expect(abs(t.scalar - v) < 1e-12) }
    }

    @Test func cachedBuffersTakeTheRequestedDtype() {
        ObjectCache.drain()
        _ = grad(taylorSine)(Tensor(1.0))
        #expect(ObjectCache.count(ObjectCache.scalarBuffer) > 0)
        let f = Tensor(Float(1.5)) * Tensor(Float(2))
        #expect(f.dtype == .float32 && f.item(as: Float.self) == 3)
        let i = Tensor([7], shape: []) + Tensor([5], shape: [])
        #expect(i.dtype == .int64 && i.item(as: Int.self) == 12)
        let b = Tensor(2.0) .> Tensor(1.0)
        #expect(b.dtype == .bool && b.scalar == 1)
        let v = Tensor([3.0], shape: [1, 1]) * 2
        #expect(v.shape == [1, 1] && v.strides.count == 2 && v.scalar == 6)
    }

    @Test func threadsReleaseTheirCacheWhenTheyExit() {
        // A thread that fills its cache and exits must release the objects (no crash, and the
        // objects are freed: a weak reference to one would go nil, but buffers are internal, so
        // this checks that the drain runs without touching freed memory).
        for _ in 0..<8 {
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                let g = grad(taylorSine)
                for _ in 0..<20 { _ = g(Tensor(0.5)) }
                #expect(ObjectCache.count(ObjectCache.scalarBuffer) > 0)
                done.signal()
            }
            thread.start()
            done.wait()
        }
        #expect(abs(grad(taylorSine)(Tensor(0.0)).scalar - 1) < 1e-12)
    }
}
