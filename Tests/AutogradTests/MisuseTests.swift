import Autograd
import Testing

/// Misuse stops the program with a message that names the op and the shapes (checked in a child
/// process with Swift Testing's exit tests).
@Suite("Misuse messages")
struct MisuseTests {
    static func stderr(_ result: ExitTest.Result?) -> String {
        String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    }

    @Test func mismatchedShapes() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        #expect(Self.stderr(r).contains("add: shapes [2, 3] and [4] cannot be broadcast"))
    }

    @Test func matmulInnerDimensions() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))
        }
        #expect(Self.stderr(r).contains("matmul: inner dimensions differ, shapes [2, 3] and [4, 5]"))
    }

    @Test func wrongDType() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2], dtype: .float32) * Tensor.zeros([2], dtype: .float64)
        }
        #expect(Self.stderr(r).contains("multiply: dtype mismatch, float32 tensor of shape [2] and float64 tensor of shape [2]"))
    }

    @Test func floatOpOnIntegers() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = exp(Tensor([1, 2] as [Int]))
        }
        #expect(Self.stderr(r).contains("exp: expected a floating-point tensor, got int64 tensor of shape [2]"))
    }

    @Test func indexOutOfRange() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3])[TensorIndex.all, 5]
        }
        #expect(Self.stderr(r).contains("subscript: index 5 is out of range for dimension 1 of shape [2, 3]"))
    }

    @Test func gatherIndexOutOfRange() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3, 2])[indices: [0, 3]]
        }
        #expect(Self.stderr(r).contains("gather: index 3 is out of range for dimension 0 of shape [3, 2]"))
    }

    @Test func axisOutOfRange() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).sum(axis: 2)
        }
        #expect(Self.stderr(r).contains("sum: axis 2 is out of range for a tensor of shape [2, 3]"))
    }

    @Test func reshapeCount() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).reshape([4, 2])
        }
        #expect(Self.stderr(r).contains("reshape: cannot reshape tensor of shape [2, 3] (6 elements) to [4, 2]"))
    }

    @Test func opWithoutGradientUnderDifferentiation() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let floorOp = UnaryPrimitive("floor", forward: { x in x }, vjp: nil)
            _ = grad { x in floorOp(x * 2).sum() }(Tensor.ones([2, 2]))
        }
        #expect(Self.stderr(r).contains("floor: no gradient is defined for this op (arguments of shape [2, 2])"))
    }

    @Test func nonScalarOutputOfGrad() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = grad { x in x * 2 }(Tensor.ones([3]))
        }
        #expect(Self.stderr(r).contains("grad: the function must return a single value (one element) to be differentiated, got shape [3]"))
    }

    @Test func scalarOfManyElements() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones([3]).scalar
        }
        #expect(Self.stderr(r).contains("scalar: tensor of shape [3] has 3 elements, not 1"))
    }

    @Test func optimizerHyperParametersMustBeNonNegative() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaMax(epsilon: -1)
        }
        #expect(Self.stderr(r).contains("AdaMax: epsilon must be non-negative, got -1.0"))
        let r2 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Rprop(learningRate: -0.1)
        }
        #expect(Self.stderr(r2).contains("Rprop: learningRate must be non-negative, got -0.1"))
    }

    @Test func parameterLeavesWithOneNameCannotShareOptimizerState() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var p: [String: [String: Tensor]] = ["a": ["b.c": Tensor([1.0])], "a.b": ["c": Tensor([2.0])]]
            var adam = Adam()
            adam.update(&p, along: p)
        }
        #expect(Self.stderr(r).contains("Adam: parameter leaves have duplicate names [\"a.b.c\"]"))
    }

    @Test func layersAndLossesNameThemselves() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = softmax(Tensor.zeros([2, 3]), axis: 2)
        }
        #expect(Self.stderr(r).contains("softmax: axis 2 is out of range for a tensor of shape [2, 3]"))
        let r2 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = mseLoss(Tensor.zeros([2], dtype: .float32), Tensor.zeros([2]))
        }
        #expect(Self.stderr(r2).contains("mseLoss: predictions are float32 (shape [2]) but targets are float64 (shape [2])"))
    }
}
