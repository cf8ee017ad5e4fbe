import Testing
@testable import Autograd

@Suite struct TensorUpdateTests {
    @Test func addProductUpdatesInPlaceAndKeepsValueSemantics() {
        var p = Tensor([1.0, 2.0, 3.0]).contiguous() + 0   // a fresh, unshared buffer
        let before = p.rawPointer
        p.addProduct(-0.5, Tensor([2.0, 4.0, 6.0]))
        #expect(p.doubles == [0, 0, 0])
        #expect(p.rawPointer == before)   // no new memory
        // A copy shares the memory: the update must not show through it.
        let copy = p
        p.addProduct(2, Tensor([1.0, 1.0, 1.0]))
        #expect(copy.doubles == [0, 0, 0] && p.doubles == [2, 2, 2])
        // A view of another tensor: the base is untouched.
        let base = Tensor([[1.0, 2.0], [3.0, 4.0]])
        var row = base[1]
        row.addProduct(1, Tensor([10.0, 10.0]))
        #expect(row.doubles == [13, 14] && base.doubles == [1, 2, 3, 4])
        // float32, and a non-contiguous g.
        var f = Tensor([Float(1), 2, 3, 4], shape: [2, 2]) * 1
        f.addProduct(1, Tensor([Float(1), 2, 3, 4], shape: [2, 2]).T)
        #expect(f.scalars(as: Float.self) == [2, 5, 5, 8])
    }

    @Test func addProductIsDifferentiableUnderATrace() {
        // d/dx sum(x + 3·x²) = 1 + 6x.
        let g = grad { (x: Tensor) -> Tensor in
            var y = x
            y.addProduct(3, x * x)
            return y.sum()
        }(Tensor([1.0, 2.0]))
        #expect(g.doubles == [7, 13])
    }
}
