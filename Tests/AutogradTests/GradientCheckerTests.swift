import Testing
@testable import Autograd

// Tests of the tester: the gradient checker must accept correct rules and reject wrong ones, at the
// order where they are wrong, naming the argument.

/// `sin` with a first derivative 0.1% too large.
private let badSin = UnaryPrimitive("badSin",
    forward: { sin($0) },
    vjp: { g, _, x in g * cos(x) * 1.001 },
    jvp: { dx, _, x in dx * cos(x) * 1.001 })

/// `sin` whose VJP is right as a value but treats `cos(x)` as a constant, so the second derivative
/// (the derivative of the VJP with respect to `x`) is 0 instead of `-u·sin(x)`.
private let stoppedSin = UnaryPrimitive("stoppedSin",
    forward: { sin($0) },
    vjp: { g, _, x in g * stopGradient(cos(x)) },
    jvp: { dx, _, x in dx * cos(x) })

/// `sin` whose JVP treats `cos(x)` as a constant: forward mode is right to first order only.
private let stoppedSinForward = UnaryPrimitive("stoppedSinForward",
    forward: { sin($0) },
    vjp: { g, _, x in g * cos(x) },
    jvp: { dx, _, x in dx * stopGradient(cos(x)) })

/// `x·y` with a wrong forward rule for `y` only.
private let badMultiplyForward = BinaryPrimitive("badMultiplyForward",
    forward: { $0 * $1 },
    vjpLhs: { g, _, _, y in g * y },
    vjpRhs: { g, _, x, _ in g * x },
    jvp: { dx, dy, _, x, y in (dx ?? x * 0) * y + x * (dy ?? y * 0) * 1.01 })

/// `sin` declared correctly as a custom primitive.
private let goodSin = UnaryPrimitive("goodSin",
    forward: { sin($0) },
    vjp: { g, _, x in g * cos(x) },
    jvp: { dx, _, x in dx * cos(x) })

/// `x·y` with a wrong gradient for `y` only.
private let badMultiply = BinaryPrimitive("badMultiply",
    forward: { $0 * $1 },
    vjpLhs: { g, _, _, y in g * y },
    vjpRhs: { g, _, x, _ in g * x * x })

/// A custom logsumexp over all elements, as in the design notes.
private let customLogSumExp = UnaryPrimitive("logsumexp",
    forward: { x in x.max() + log(exp(x - x.max()).sum()) },
    vjp: { g, ans, x in g * exp(x - ans) },
    jvp: { dx, ans, x in (dx * exp(x - ans)).sum() })

/// A VJP that forgets to transpose: right for symmetric matrices only.
private let badMatmulLhs = BinaryPrimitive("badMatmul",
    forward: { matmul($0, $1) },
    vjpLhs: { g, _, _, y in matmul(g, y) },
    vjpRhs: { g, _, x, _ in matmul(x.transposed(), g) })

@Suite("Gradient checker")
struct GradientCheckerTests {
    let x = Tensor.randn([2, 3], seed: 11)

    @Test func correctRulesPass() {
        for order in 1...3 {
            let r = checkGradients({ goodSin($0) }, at: x, modes: .reverse, order: order)
            #expect(r.passed, "\(r)")
            // order k checks f (x), VJP(f) (x, u), VJP(VJP(f)) (x, u, u2[∂x]): 1 + 2 + 3 comparisons
            #expect(r.checks.count == [1, 3, 6][order - 1])
            // Both modes: each function is checked forward and backward, and both its JVP and its
            // VJP are checked at the next order: 2, 2 + 2·(2 + 2), and 10 + (8 + 6 + 8 + 6).
            let b = checkGradients({ goodSin($0) }, at: x, order: order)
            #expect(b.passed, "\(b)")
            #expect(b.checks.count == [2, 10, 38][order - 1])
        }
        let lse = checkGradients({ customLogSumExp($0) }, at: x)
        #expect(lse.passed, "\(lse)")
        #expect(lse.maxRelativeError < 1e-6)
    }

    @Test func wrongFirstDerivativeFails() {
        let r = checkGradients({ badSin($0) }, at: x, order: 1)
        #expect(!r.passed)
        #expect(r.firstFailingOrder == 1)
        #expect(r.failures.first?.argument == "x")
        #expect(r.maxRelativeError > 5e-4 && r.maxRelativeError < 2e-3, "\(r)")
        #expect(r.description.contains("FAILED") && r.description.contains("order 1"), "\(r)")
        // Failing at order 1 also fails the default order-2 check, first at order 1.
        let r2 = checkGradients({ badSin($0) }, at: x)
        #expect(!r2.passed)
        #expect(r2.firstFailingOrder == 1)
        // Also when the bad op is buried inside a larger function.
        let r3 = checkGradients({ x in (exp(badSin(x * 2)) * x).sum(axis: 0) }, at: x, order: 1)
        #expect(!r3.passed, "\(r3)")
    }

    @Test func wrongSecondDerivativePassesOrder1AndFailsOrder2() {
        let r1 = checkGradients({ stoppedSin($0) }, at: x, order: 1)
        #expect(r1.passed, "\(r1)")
        let r2 = checkGradients({ stoppedSin($0) }, at: x, modes: .reverse, order: 2)
        #expect(!r2.passed)
        #expect(r2.firstFailingOrder == 2)
        // The VJP is right with respect to the cotangent u and wrong with respect to x.
        let failing = r2.failures
        #expect(failing.count == 1, "\(r2)")
        #expect(failing.first?.argument == "x")
        #expect(failing.first?.function == "VJP(f)")
        #expect(failing.first?.analytic == 0)
        #expect(r2.description.contains("order 2"), "\(r2)")
        // Both modes: the forward check of the VJP catches it too.
        let both = checkGradients({ stoppedSin($0) }, at: x, order: 2)
        #expect(Set(both.failures.map(\.function)) == ["VJP(f)", "JVP:VJP(f)"], "\(both)")
    }

    @Test func wrongForwardRulesFail() {
        // A JVP right to first order but not differentiable fails at order 2, in its JVP's checks.
        let r1 = checkGradients({ stoppedSinForward($0) }, at: x, order: 1)
        #expect(r1.passed, "\(r1)")
        let r2 = checkGradients({ stoppedSinForward($0) }, at: x, modes: .forward, order: 2)
        #expect(r2.firstFailingOrder == 2)
        #expect(r2.failures.map(\.function) == ["JVP:JVP(f)"], "\(r2)")
        #expect(r2.failures.map(\.argument) == ["x"], "\(r2)")
        // A wrong tangent for one argument is named, and reverse mode alone does not see it.
        let a = Tensor.randn([2, 3], seed: 3), b = Tensor.randn([2, 3], seed: 4)
        let rf = checkGradients({ x, y in badMultiplyForward(x, y) }, at: a, b, order: 1)
        #expect(rf.failures.map(\.argument) == ["y"], "\(rf)")
        #expect(rf.failures.map(\.function) == ["JVP:f"], "\(rf)")
        #expect(checkGradients({ x, y in badMultiplyForward(x, y) }, at: a, b, modes: .reverse).passed)
    }

    @Test func wrongGradientOfOneArgumentIsNamed() {
        let a = Tensor.randn([2, 3], seed: 3), b = Tensor.randn([2, 3], seed: 4)
        let r = checkGradients({ x, y in badMultiply(x, y) }, at: a, b, modes: .reverse, order: 1)
        #expect(!r.passed)
        #expect(r.failures.map(\.argument) == ["y"], "\(r)")
        // Several arguments as an array tree: named by position.
        let ra = checkGradients({ (p: [Tensor]) in badMultiply(p[0], p[1]) }, at: [a, b], modes: .reverse, order: 1)
        #expect(ra.failures.map(\.argument) == ["x.1"], "\(ra)")
        // A dictionary tree: named by key.
        let rd = checkGradients({ (p: [String: Tensor]) in badMultiply(p["w"]!, p["v"]!) },
                                at: ["w": a, "v": b], modes: .reverse, order: 1)
        #expect(rd.failures.map(\.argument) == ["x.v"], "\(rd)")
    }

    @Test func missingTransposeFails() {
        let a = Tensor.randn([2, 3], seed: 5), b = Tensor.randn([3, 3], seed: 6)
        let r = checkGradients({ x, y in badMatmulLhs(x, y) }, at: a, b, modes: .reverse, order: 1)
        #expect(!r.passed)
        #expect(r.failures.map(\.argument) == ["x"], "\(r)")
    }

    @Test func smallWrongGradientIsNotHiddenByALargeOne() {
        // d/dy is tiny next to d/dx; it is checked on its own, so a 10% error in it is caught.
        let tiny = BinaryPrimitive("tiny",
            forward: { x, y in 1000 * x + 0.001 * y },
            vjpLhs: { g, _, _, _ in 1000 * g },
            vjpRhs: { g, _, _, _ in 0.0011 * g })
        let r = checkGradients({ x, y in tiny(x, y) }, at: Tensor.randn([3], seed: 1), Tensor.randn([3], seed: 2),
                               modes: .reverse, order: 1, atol: 0)
        #expect(r.failures.map(\.argument) == ["y"], "\(r)")
    }

    @Test func deterministicForASeed() {
        let f: (Tensor) -> Tensor = { x in tanh(x) * x }
        let a = checkGradients(f, at: x, seed: 42), b = checkGradients(f, at: x, seed: 42)
        #expect(a.checks.map(\.analytic) == b.checks.map(\.analytic))
        #expect(a.checks.map(\.numerical) == b.checks.map(\.numerical))
        let c = checkGradients(f, at: x, seed: 43)
        #expect(a.checks.map(\.analytic) != c.checks.map(\.analytic))
        #expect(a.seed == 42 && c.seed == 43)
    }

    @Test func float32InputsAreCheckedInFloat64() {
        let r = checkGradients({ x in exp(x) * x }, at: Tensor.randn([3], seed: 1, dtype: .float32))
        #expect(r.passed, "\(r)")
        #expect(r.maxRelativeError < 1e-6)
    }

    @Test func anyOutputShape() {
        // Scalar, vector and matrix outputs of the same input.
        for f in [{ (x: Tensor) in x.sum() }, { (x: Tensor) in x.sum(axis: 1) }, { (x: Tensor) in sin(x) * x }] {
            let r = checkGradients(f, at: x)
            #expect(r.passed, "\(r)")
        }
        // An output that does not depend on the input at all: gradients are zero, and agree.
        let r = checkGradients({ _ in Tensor.ones([2]) }, at: x)
        #expect(r.passed, "\(r)")
    }

    @Test func structTree() {
        struct Affine: ParameterTree { var w: Tensor; var b: Tensor; var name = "affine" }
        let p = Affine(w: Tensor.randn([3, 2], seed: 1), b: Tensor.randn([2], seed: 2))
        let input = Tensor.randn([4, 3], seed: 3)
        let r = checkGradients({ (m: Affine) in tanh(matmul(input, m.w) + m.b) }, at: p)
        #expect(r.passed, "\(r)")
        #expect(Set(r.checks.filter { $0.order == 1 }.map(\.argument)) == ["x.w", "x.b"])
    }

    @Test func nanGradientFails() {
        // A VJP that produces NaN (0/0) where the true derivative is finite must not pass.
        let nanVJP = UnaryPrimitive("nanVJP", forward: { x in x * 2 }, vjp: { g, _, x in g * 2 * (x - x) / (x - x) })
        let r = checkGradients({ nanVJP($0) }, at: x, modes: .reverse, order: 1)
        #expect(!r.passed)
        #expect(r.maxRelativeError == .infinity)
    }

    @Test func passingDescriptionIsOneLine() {
        let r = checkGradients({ x in x * x }, at: x)
        #expect(r.passed)
        #expect(r.description.hasPrefix("gradient check passed"))
        #expect(!r.description.contains("\n"))
    }
}
