import Foundation
import Testing
@testable import Autograd

// Optimizers, schedules and clipping. Trajectory references come from an independent NumPy
// re-implementation of each documented algorithm (References/optim_reference.py; its output is the
// generated block at the end of this file); schedule and clipping values are hand-computed.

/// The Rosenbrock function (1 − x₀)² + 100·(x₁ − x₀²)² of a 2-vector.
private func rosenbrock(_ x: Tensor) -> Tensor { square(1 - x[0]) + 100 * square(x[1] - square(x[0])) }

/// Rosenbrock of a nested tree holding the two coordinates in different leaves.
private func rosenbrock(_ p: [String: [Tensor]]) -> Tensor {
    let a = p["w"]![0], b = p["bias"]![0][0]
    return square(1 - a) + 100 * square(b - square(a))
}

/// A user struct of parameters (with a non-tensor field that must be left alone).
private struct Point: ParameterTree {
    var u: Tensor
    var v: Tensor
    var label = "point"
}

private func rosenbrock(_ p: Point) -> Tensor { square(1 - p.u) + 100 * square(p.v[0] - square(p.u)) }

private let start = Tensor([-1.2, 1.0])

/// `actual` matches `expected` elementwise to a relative tolerance (absolute near zero).
private func expectClose(_ actual: [Double], _ expected: [Double], rel: Double = 1e-9, abs: Double = 1e-12,
                         _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what()): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    for (a, e) in zip(actual, expected) {
        let tolerance = Swift.max(rel * Swift.abs(e), abs)
        if !(Swift.abs(a - e) <= tolerance) {
            Issue.record("\(what()): \(actual) differs from \(expected)", sourceLocation: sourceLocation)
            return
        }
    }
}

@Suite("OptimizerTests")
struct OptimizerTests {
    // MARK: first-order optimizers

    @Test("each first-order optimizer follows its NumPy reference on Rosenbrock for 20 steps")
    func firstOrderTrajectories() {
        for reference in firstOrderReferences {
            var opt = reference.make()
            var x = start
            for (k, expected) in reference.path.enumerated() {
                opt.update(&x, along: grad(rosenbrock)(x))
                expectClose(x.doubles, expected, "\(reference.name) step \(k + 1)")
            }
        }
    }

    @Test("the same trajectories with the coordinates in a [String: [Tensor]] tree and in a struct")
    func treesAndStructs() {
        for reference in firstOrderReferences {
            var tree: [String: [Tensor]] = ["w": [Tensor(-1.2)], "bias": [Tensor([1.0])]]
            var point = Point(u: Tensor(-1.2), v: Tensor([1.0]))
            var treeOpt = reference.make(), pointOpt = reference.make()
            for (k, expected) in reference.path.enumerated() {
                treeOpt.update(&tree, along: grad(rosenbrock)(tree))
                pointOpt.update(&point, along: grad(rosenbrock)(point))
                expectClose([tree["w"]![0].scalar, tree["bias"]![0].doubles[0]], expected, "\(reference.name) tree step \(k + 1)")
                expectClose([point.u.scalar, point.v.doubles[0]], expected, "\(reference.name) struct step \(k + 1)")
            }
            #expect(point.label == "point")
            #expect(tree["bias"]![0].shape == [1] && tree["w"]![0].shape == [])
            #expect(Set(treeOpt.state.keys).isSuperset(of: Set(treeOpt.slotNames.map { stateKey($0, "w.0") })),
                    "\(reference.name): state keys \(treeOpt.state.keys.sorted())")
        }
    }

    @Test("on matrix leaves in a nested tree each optimizer equals itself run on the concatenated vector")
    func matrixLeavesMatchFlatVector() {
        let X = Tensor.randn([5, 3], seed: 7), Y = Tensor.randn([5, 2], seed: 8)
        func loss(_ W: Tensor, _ b: Tensor) -> Tensor { square(matmul(X, W) + b - Y).mean() }
        func treeLoss(_ p: [String: [Tensor]]) -> Tensor { loss(p["W"]![0], p["b"]![0]) }
        func flatLoss(_ v: Tensor) -> Tensor { loss(v[0..<6].reshape([3, 2]), v[6..<8]) }
        for reference in firstOrderReferences {
            var tree: [String: [Tensor]] = ["W": [Tensor.randn([3, 2], seed: 9)], "b": [Tensor([0.1, -0.2])]]
            var flat = concat([tree["W"]![0].reshape([6]), tree["b"]![0]])
            var treeOpt = reference.make(), flatOpt = reference.make()
            for _ in 0..<30 {
                treeOpt.update(&tree, along: grad(treeLoss)(tree))
                flatOpt.update(&flat, along: grad(flatLoss)(flat))
            }
            expectClose(tree["W"]![0].reshape([6]).doubles + tree["b"]![0].doubles, flat.doubles, rel: 1e-12, abs: 1e-14,
                        "\(reference.name)")
            #expect(treeLoss(tree).scalar < treeLoss(["W": [Tensor.randn([3, 2], seed: 9)], "b": [Tensor([0.1, -0.2])]]).scalar,
                    "\(reference.name) did not decrease the loss")
            for slot in treeOpt.slotNames { #expect(treeOpt.state[stateKey(slot, "W.0")]?.shape == [3, 2], "\(reference.name) \(slot)") }
        }
    }

    @Test("a gradient dictionary built in another order is matched to the parameters by leaf name")
    func gradientMatchedByName() {
        let keys = (0..<12).map { "k\($0)" }
        var params: [String: Tensor] = [:]
        for (i, k) in keys.enumerated() { params[k] = Tensor(Double(i)) }
        var gradient: [String: Tensor] = [:]
        for (i, k) in keys.enumerated().reversed() { gradient[k] = Tensor(Double(100 * i)) }
        var opt = SGD(learningRate: 0.01)
        opt.update(&params, along: gradient)
        for k in keys {
            // θ − lr·g = i − 0.01·100·i = 0 for every leaf, whatever the dictionaries' orders.
            #expect(Swift.abs(params[k]!.scalar) < 1e-12, "\(k): \(params[k]!.scalar)")
        }
    }

    @Test("step(_:loss:) differentiates, updates and returns the loss before the update")
    func stepConvenience() {
        // f(θ) = (θ − 3)², θ₀ = 1, lr 0.25: f = 4, g = −4, θ₁ = 1 + 1 = 2; then f = 1, θ₂ = 2.5.
        var opt = SGD(learningRate: 0.25)
        var theta = Tensor(1.0)
        let first = opt.step(&theta) { square($0 - 3) }
        #expect(first.scalar == 4 && theta.scalar == 2)
        let second = opt.step(&theta) { square($0 - 3) }
        #expect(second.scalar == 1 && theta.scalar == 2.5)
    }

    @Test("averaged SGD's running average matches the reference after 20 steps (averaging from t0 = 5)")
    func averagedSGD() {
        var opt = AveragedSGD(learningRate: 5e-4, decay: 0.1, t0: 5)
        var x = start
        for _ in 0..<20 { opt.update(&x, along: grad(rosenbrock)(x)) }
        expectClose(opt.averaged(x).doubles, asgdAverage, "average")
    }

    @Test("Adam stopped after 10 steps and restored from its state continues on the reference path")
    func checkpointRoundTrip() throws {
        let reference = firstOrderReferences.first { $0.name == "adamAMSGradL2" }!
        var first = reference.make()
        var x = start
        for _ in 0..<10 { first.update(&x, along: grad(rosenbrock)(x)) }
        let saved = first.state
        #expect(Set(saved.keys) == ["step", "m", "v", "vmax"])  // a single-tensor tree: unnamed leaf
        #expect(saved["step"]!.scalar == 10)
        var second = reference.make()
        try second.loadState(saved, for: x)
        for k in 10..<20 {
            second.update(&x, along: grad(rosenbrock)(x))
            expectClose(x.doubles, reference.path[k], "restored step \(k + 1)")
        }
    }

    @Test("loading a state with a missing, an extra or a mis-shaped tensor fails naming the key")
    func loadStateValidation() {
        let params: [String: [Tensor]] = ["W": [Tensor.zeros([2, 3])], "b": [Tensor.zeros([3])]]
        var opt = Adam()
        var p = params
        opt.update(&p, along: p)
        let good = opt.state
        #expect(Set(good.keys) == ["step.W.0", "step.b.0", "m.W.0", "v.W.0", "m.b.0", "v.b.0"])
        var missing = good
        missing["v.b.0"] = nil
        #expect(throws: OptimizerStateError.missingKey("v.b.0")) {
            var fresh = Adam()
            try fresh.loadState(missing, for: params)
        }
        var extra = good
        extra["m.c.0"] = Tensor.zeros([1])
        #expect(throws: OptimizerStateError.unexpectedKey("m.c.0")) {
            var fresh = Adam()
            try fresh.loadState(extra, for: params)
        }
        var misShaped = good
        misShaped["m.W.0"] = Tensor.zeros([3, 2])
        #expect(throws: OptimizerStateError.mismatch(key: "m.W.0", expected: "float64 [2, 3]", found: "float64 [3, 2]")) {
            var fresh = Adam()
            try fresh.loadState(misShaped, for: params)
        }
        #expect(OptimizerStateError.missingKey("v.b.0").description == "optimizer state: missing key \"v.b.0\"")
        var restored = Adam()
        #expect(throws: Never.self) { try restored.loadState(good, for: params) }
        #expect(restored.state["step.W.0"]!.scalar == 1)
        // A tree-wide "step" saved by earlier versions is given to every leaf.
        var legacy = good
        legacy["step.W.0"] = nil
        legacy["step.b.0"] = nil
        legacy["step"] = Tensor(7.0)
        var upgraded = Adam()
        #expect(throws: Never.self) { try upgraded.loadState(legacy, for: params) }
        #expect(upgraded.state["step.W.0"]!.scalar == 7 && upgraded.state["step.b.0"]!.scalar == 7 && upgraded.state["step"] == nil)
    }

    @Test("each leaf counts its own steps, so a leaf that joins later gets a first step's bias correction (as in PyTorch)")
    func perLeafStepCounts() {
        // torch.optim.Adam, lr 0.05: a parameter's first step moves it by lr·g/(|g| + ε) ≈ 0.05,
        // whenever that first step comes.
        var adam = Adam(learningRate: 0.05)
        var p: [String: Tensor] = ["a": Tensor([1.0])]
        for _ in 0..<10 { adam.update(&p, along: ["a": Tensor([1.0])]) }
        p["c"] = Tensor([0.0])
        adam.update(&p, along: ["a": Tensor([1.0]), "c": Tensor([1.0])])
        #expect(abs(p["c"]!.scalar + 0.05 / (1 + 1e-8)) < 1e-15)
        #expect(adam.state["step.a"]!.scalar == 11 && adam.state["step.c"]!.scalar == 1)
        // The same for AdaMax (first step lr·g/(|g| + ε)), AdaGrad (lr·g/(√g² + ε)) and averaged SGD (lr·g).
        var adamax = AdaMax(learningRate: 0.05), adagrad = AdaGrad(learningRate: 0.05, learningRateDecay: 0.1)
        var asgd = AveragedSGD(learningRate: 0.05, decay: 0.5)
        var q1: [String: Tensor] = ["a": Tensor([1.0])], q2 = q1, q3 = q1
        for _ in 0..<10 {
            adamax.update(&q1, along: ["a": Tensor([1.0])])
            adagrad.update(&q2, along: ["a": Tensor([1.0])])
            asgd.update(&q3, along: ["a": Tensor([1.0])])
        }
        q1["c"] = Tensor([0.0]); q2["c"] = Tensor([0.0]); q3["c"] = Tensor([0.0])
        adamax.update(&q1, along: ["a": Tensor([1.0]), "c": Tensor([1.0])])
        adagrad.update(&q2, along: ["a": Tensor([1.0]), "c": Tensor([1.0])])
        asgd.update(&q3, along: ["a": Tensor([1.0]), "c": Tensor([1.0])])
        #expect(abs(q1["c"]!.scalar + 0.05 / (1 + 1e-8)) < 1e-15)
        #expect(abs(q2["c"]!.scalar + 0.05 / (1 + 1e-10)) < 1e-15)
        #expect(q3["c"]!.scalar == -0.05)
    }

    @Test("float32 parameters: Adam stays within float32 rounding of the float64 reference")
    func float32Parameters() {
        let reference = firstOrderReferences.first { $0.name == "adam" }!
        var opt = reference.make()
        var x = start.cast(to: .float32)
        for _ in 0..<20 { opt.update(&x, along: grad(rosenbrock)(x)) }
        #expect(x.dtype == .float32 && opt.state["m"]!.dtype == .float32)
        expectClose(x.doubles, reference.path[19], rel: 1e-4, "float32 Adam after 20 steps")
    }

    @Test("an empty state (saved before the first update) loads as a fresh optimizer")
    func emptyStateLoads() throws {
        var opt = RMSprop(learningRate: 0.01)
        try opt.loadState([:], for: start)
        var x = start
        opt.update(&x, along: grad(rosenbrock)(x))
        expectClose(x.doubles, firstOrderReferences.first { $0.name == "rmsprop" }!.path[0], "first step")
    }

    @Test("a gradient of the wrong shape or with other leaves stops with a message naming the leaf")
    func misuse() async {
        let shape = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var p: [String: [Tensor]] = ["W": [Tensor.zeros([2, 3])]]
            var opt = Adam()
            opt.update(&p, along: ["W": [Tensor.zeros([3, 2])]])
        }
        let shapeMessage = String(decoding: shape?.standardErrorContent ?? [], as: UTF8.self)
        #expect(shapeMessage.contains("Adam: gradient of \"W.0\" is float64 [3, 2] but the parameter is float64 [2, 3]"))
        let leaves = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var p: [String: Tensor] = ["a": Tensor(1.0)]
            var opt = SGD()
            opt.update(&p, along: ["b": Tensor(1.0)])
        }
        let leavesMessage = String(decoding: leaves?.standardErrorContent ?? [], as: UTF8.self)
        #expect(leavesMessage.contains("SGD: the gradient's leaves [\"b\"] differ from the parameters' leaves [\"a\"]"))
    }

    // MARK: schedules and clipping (hand-computed values)

    @Test("learning-rate schedules give the hand-computed rates")
    func schedules() {
        let step = StepDecay(base: 0.1, stepSize: 3, gamma: 0.5)
        // 0.1·0.5^⌊s/3⌋ for s = 0…7.
        expectClose((0..<8).map { step.learningRate(at: $0) }, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025], rel: 1e-15, "step")
        // 0.1·0.9² = 0.081; 0.1·0.9⁵ = 0.059049.
        let exponential = ExponentialDecay(base: 0.1, gamma: 0.9)
        expectClose([exponential.learningRate(at: 0), exponential.learningRate(at: 2), exponential.learningRate(at: 5)],
                    [0.1, 0.081, 0.059049], rel: 1e-14, "exponential")
        // 0.1 + 0.9·(1 + cos(π·s/4))/2: s = 1 gives 0.1 + 0.45·(1 + √2/2) = 0.8681980515339464.
        let cosine = CosineAnnealing(base: 1, minimum: 0.1, period: 4)
        expectClose((0..<7).map { cosine.learningRate(at: $0) },
                    [1, 0.8681980515339464, 0.55, 0.23180194846605362, 0.1, 0.1, 0.1], rel: 1e-14, "cosine")
        // Warm-up over 4 steps from 0.25·1: 0.25, 0.4375, 0.625, 0.8125, then the cosine from its step 0.
        let warm = LinearWarmup(steps: 4, startFactor: 0.25, then: cosine)
        expectClose((0..<7).map { warm.learningRate(at: $0) }, [0.25, 0.4375, 0.625, 0.8125, 1, 0.8681980515339464, 0.55],
                    rel: 1e-14, "warm-up")
        let sequential = SequentialSchedule([ConstantLearningRate(0.5), exponential], milestones: [2])
        expectClose((0..<4).map { sequential.learningRate(at: $0) }, [0.5, 0.5, 0.1, 0.09], rel: 1e-14, "sequential")
        // Driving an optimizer: SGD with the step schedule, gradient 1: θ = 1 − (0.1 + 0.1 + 0.1 + 0.05) = 0.65.
        var opt = SGD()
        var theta = Tensor(1.0)
        for s in 0..<4 {
            opt.learningRate = step.learningRate(at: s)
            opt.update(&theta, along: Tensor(1.0))
        }
        expectClose([theta.scalar], [0.65], rel: 1e-14, "scheduled SGD")
    }

    @Test("clipping by global norm and by value give the hand-computed gradients")
    func clipping() {
        // ‖(3, 4, 12)‖ = 13; clipped to 6.5 every leaf is scaled by 6.5/(13 + 1e-6) (PyTorch's rule).
        var g: [String: [Tensor]] = ["a": [Tensor([3.0, 4.0])], "b": [Tensor([[12.0]])]]
        #expect(globalNorm(g) == 13)
        let norm = clipByGlobalNorm(&g, maxNorm: 6.5)
        #expect(norm == 13)
        let c = 6.5 / (13 + 1e-6)
        expectClose(g["a"]![0].doubles + g["b"]![0].doubles, [3 * c, 4 * c, 12 * c], rel: 1e-15, "norm-clipped")
        #expect(g["b"]![0].shape == [1, 1])
        // Below the limit nothing changes.
        var small: [Tensor] = [Tensor([0.3, -0.4])]
        clipByGlobalNorm(&small, maxNorm: 1)
        #expect(small[0].doubles == [0.3, -0.4])
        // By value: clamp to [−3.5, 3.5].
        var h: [String: [Tensor]] = ["a": [Tensor([3.0, -4.0])], "b": [Tensor([[12.0]])]]
        clipByValue(&h, limit: 3.5)
        #expect(h["a"]![0].doubles == [3, -3.5] && h["b"]![0].doubles == [3.5])
    }

    // MARK: full-batch minimisers

    @Test("L-BFGS reaches ‖x − (1,1)‖ < 1e-6 on Rosenbrock from (−1.2, 1) in 35 iterations (< 100), on the reference path")
    func lbfgsRosenbrock() {
        let r = LBFGS(changeTolerance: 1e-12).minimize(rosenbrock, from: start)
        #expect(r.iterations == lbfgsIterations && r.iterations < 100, "\(r.iterations) iterations")
        #expect(r.evaluations == lbfgsEvaluations)
        let distance = (r.x - Tensor([1.0, 1.0])).doubles.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(distance < 1e-6, "‖x − (1,1)‖ = \(distance)")
        var path: [[Double]] = []
        _ = LBFGS(changeTolerance: 1e-12).minimize(rosenbrock, from: start) { _, x, _ in path.append(x.doubles) }
        #expect(path.count == lbfgsPath.count)
        for (k, (a, e)) in zip(path, lbfgsPath).enumerated() { expectClose(a, e, rel: 1e-7, abs: 1e-9, "L-BFGS iterate \(k + 1)") }
        // PyTorch's defaults (changeTolerance 1e-9) stop earlier, as in the reference.
        let d = LBFGS().minimize(rosenbrock, from: start)
        #expect(d.iterations == lbfgsDefaultIterations && d.stopReason == .slopeTolerance)
        expectClose(d.x.doubles, lbfgsDefaultSolution, rel: 1e-7, "default solution")
    }

    @Test("L-BFGS on a struct and on a nested tree takes the same path as on a vector")
    func lbfgsTrees() {
        let r = LBFGS(changeTolerance: 1e-12).minimize(rosenbrock, from: Point(u: Tensor(-1.2), v: Tensor([1.0])))
        #expect(r.iterations == lbfgsIterations)
        expectClose([r.x.u.scalar, r.x.v.doubles[0]], lbfgsPath.last!, rel: 1e-7, "struct")
        let t = LBFGS(changeTolerance: 1e-12).minimize(rosenbrock, from: ["w": [Tensor(-1.2)], "bias": [Tensor([1.0])]])
        #expect(t.iterations == lbfgsIterations)
        expectClose([t.x["w"]![0].scalar, t.x["bias"]![0].doubles[0]], lbfgsPath.last!, rel: 1e-7, "tree")
        #expect(t.converged && t.values.count == t.iterations)
    }

    @Test("L-BFGS with a fixed step (no line search) follows the reference on a quadratic")
    func lbfgsFixedStep() {
        let A = Tensor([[3.0, 0.5], [0.5, 1.0]]), b = Tensor([1.0, -2.0])
        let quadratic = { (x: Tensor) in 0.5 * (x * matmul(A, x)).sum() - (b * x).sum() }
        var path: [[Double]] = []
        let r = LBFGS(learningRate: 0.5, lineSearch: .none).minimize(quadratic, from: Tensor([2.0, 2.0])) { _, x, _ in
            path.append(x.doubles)
        }
        #expect(r.iterations == lbfgsFixedStepIterations)
        for (k, (a, e)) in zip(path, lbfgsFixedStepPath).enumerated() { expectClose(a, e, rel: 1e-9, abs: 1e-12, "iterate \(k + 1)") }
        expectClose(r.x.doubles, lbfgsFixedStepFinal, rel: 1e-9, "final iterate")
        // PyTorch's change tolerance stops it within 2e-5 of the solution A⁻¹b.
        expectClose(r.x.doubles, quadraticSolution, rel: 2e-5, "solution")
    }

    @Test("conjugate gradients (PR+) follow the reference on Rosenbrock and converge")
    func conjugateGradient() {
        var path: [[Double]] = []
        let r = ConjugateGradient(changeTolerance: 1e-12).minimize(rosenbrock, from: start) { _, x, _ in path.append(x.doubles) }
        #expect(r.iterations == cgIterations && r.stopReason == .gradientTolerance)
        #expect(path.count == cgPath.count)
        for (k, (a, e)) in zip(path, cgPath).enumerated() { expectClose(a, e, rel: 1e-7, abs: 1e-9, "CG iterate \(k + 1)") }
        let distance = (r.x - Tensor([1.0, 1.0])).doubles.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(distance < 1e-6, "‖x − (1,1)‖ = \(distance)")
    }

    @Test("FISTA with backtracking solves a lasso along the reference path")
    func fista() {
        let A = Tensor([[1.0, 2.0, 0.5], [-1.0, 0.5, 1.5], [0.3, -0.7, 2.0], [1.2, 0.1, -0.4]])
        let b = Tensor([1.0, -2.0, 0.5, 3.0])
        let smooth = { (x: Tensor) in 0.5 * square(matmul(A, x) - b).sum() }
        var path: [[Double]] = []
        let r = FISTA().minimize(smooth, prox: softThresholdProx(lambda: 0.5), regularizer: { l1Norm($0, lambda: 0.5) },
                                 from: Tensor.zeros([3])) { _, x, _ in path.append(x.doubles) }
        #expect(r.iterations == fistaIterations)
        for (k, (a, e)) in zip(path, fistaFirstPath).enumerated() { expectClose(a, e, rel: 1e-9, "FISTA iterate \(k + 1)") }
        expectClose(Array(r.values.prefix(10)), fistaFirstValues, rel: 1e-9, "FISTA values")
        expectClose(r.x.doubles, fistaSolution, rel: 1e-8, abs: 1e-10, "FISTA solution")
        // The soft threshold by hand: sign(x)·max(|x| − 1, 0).
        #expect(softThreshold(Tensor([-3.0, 0.5, 2.0]), 1).doubles == [-2, 0, 1])
    }

    @Test("CMA-ES (seed 42) follows the reference for 40 generations and then converges on Rosenbrock")
    func cmaes() {
        let r = CMAES(sigma: 0.5, maxIterations: 40, seed: 42).minimize(rosenbrock, from: start)
        expectClose(r.values, cmaesBests, rel: 1e-8, "best of each generation")
        #expect(r.iterations == 40 && r.evaluations == 40 * 6)
        let full = CMAES(sigma: 0.5, maxIterations: 2000, seed: 42).minimize(rosenbrock, from: start)
        #expect(full.value < 1e-12 && full.converged, "best \(full.value) after \(full.iterations) generations (\(full.stopReason))")
        let distance = (full.x - Tensor([1.0, 1.0])).doubles.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(distance < 1e-5, "‖x − (1,1)‖ = \(distance)")
        // The same seed gives the same run.
        let again = CMAES(sigma: 0.5, maxIterations: 40, seed: 42).minimize(rosenbrock, from: start)
        #expect(again.values == r.values)
    }
}

// BEGIN GENERATED by References/optim_reference.py
/// Iterates x₁…x₂₀ of each optimizer on Rosenbrock from (−1.2, 1) (NumPy re-implementation).
let firstOrderReferences: [(name: String, make: @Sendable () -> any Optimizer, path: [[Double]])] = [
    ("sgd", { SGD(learningRate: 1e-3) }, [[-0.9843999999999999, 1.088], [-1.0272715665664, 1.0642086720000001], [-1.0268830682337082, 1.0624243118951573], [-1.0260888245031374, 1.0608372166811408], [-1.0253114876941536, 1.0592414284989586], [-1.0245327492086536, 1.0576458721586866], [-1.0237533848853388, 1.0560501685671575], [-1.0229733612874716, 1.0544543334665637], [-1.0221926782481663, 1.0528583663540085], [-1.0214113342697504, 1.0512622673760386], [-1.020629327900788, 1.0496660366557733], [-1.0198466576830034, 1.0480696743188616], [-1.0190633221532333, 1.0464731804925278], [-1.0182793198433362, 1.0448765553056192], [-1.0174946492801709, 1.0432797988886169], [-1.0167093089855745, 1.041682911373649], [-1.0159232974763406, 1.040085892894504], [-1.0151366132641955, 1.0384887435866434], [-1.0143492548557762, 1.0368914635872148], [-1.0135612207526075, 1.0352940530350656]]),
    ("sgdNesterov", { SGD(learningRate: 2e-4, momentum: 0.9, weightDecay: 0.01, nesterov: true) }, [[-1.11806744, 1.0334362], [-1.0447073981574708, 1.0641511865719395], [-0.9910003815475414, 1.0860654407340318], [-0.9595990377499266, 1.0969018528779213], [-0.9488256119718189, 1.0970143861287363], [-0.9545617800038385, 1.088499477090899], [-0.9712245403722486, 1.0744410359969918], [-0.992601457505662, 1.0582010631631285], [-1.0128672375998233, 1.0427612027180235], [-1.0276747399698245, 1.0302077850463855], [-1.0349064500672878, 1.0214836496897808], [-1.0347191682021037, 1.0164628535177402], [-1.0289052598911632, 1.0142761441574508], [-1.0199585246121008, 1.013727680205246], [-1.0102646589794573, 1.0136553862428606], [-1.0016183407863526, 1.0131615632894604], [-0.9950554240835273, 1.0117097506148853], [-0.9908987042908705, 1.0091186413834845], [-0.9889176943116932, 1.0054911914915636], [-0.988533275717373, 1.001112557619686]]),
    ("sgdDampened", { SGD(learningRate: 5e-4, momentum: 0.8, dampening: 0.3) }, [[-1.0922, 1.044], [-0.98172733035728, 1.0896230588], [-0.9092569100457337, 1.1173130903059303], [-0.8869318418712938, 1.1191255681818735], [-0.9090348154731843, 1.0973021271586612], [-0.9598642843034191, 1.0608763261409508], [-1.0179070600622127, 1.021968103596608], [-1.0609098949204347, 0.9918331931140859], [-1.0740119176743668, 0.9770840275698884], [-1.0565152871006085, 0.9776339251560981], [-1.0205791857314617, 0.9877751870955488], [-0.9827279412972684, 0.9996546647548014], [-0.9557231260333399, 1.006785214811813], [-0.9452444293368683, 1.0059531583750412], [-0.9503829181083453, 0.9974148843228375], [-0.9656603870279786, 0.9839911615507254], [-0.9834676186797177, 0.9696478008397367], [-0.9966608250954582, 0.958002365201573], [-1.000887983169815, 0.951159147146529], [-0.9957763303003484, 0.9492278052419987]]),
    ("adam", { Adam(learningRate: 0.05) }, [[-1.1500000000023192, 1.0499999999943181], [-1.102111023624808, 1.0980762212585684], [-1.0590684779884367, 1.1413537305608294], [-1.0242940566754497, 1.1756983137196004], [-1.0003784578983996, 1.1975998279636784], [-0.987737332413054, 1.2064769956503751], [-0.9849623214067742, 1.204297027052073], [-0.9899516409650819, 1.1937747624077066], [-1.0006023392607168, 1.1774031012369517], [-1.0149912069367495, 1.1573089781233625], [-1.0313313386620877, 1.1353827984302194], [-1.0478946509826976, 1.113409861184916], [-1.0630013308450916, 1.0931021516375383], [-1.0751300206932186, 1.0759929300470534], [-1.0831289309997028, 1.0632306528951303], [-1.0864104267482806, 1.0553949385041232], [-1.0850011136851003, 1.0524538995873176], [-1.0794366173706487, 1.053867404173979], [-1.0705934293511796, 1.0587482740568064], [-1.0595395714182134, 1.0660051669986632]]),
    ("adamAMSGradL2", { Adam(learningRate: 0.05, beta1: 0.8, beta2: 0.99, weightDecay: 0.1, amsgrad: true) }, [[-1.1500000000023178, 1.0499999999943117], [-1.102764811829186, 1.0974489659409663], [-1.0615684733568294, 1.1388847416921652], [-1.0303032348949752, 1.1696427958480733], [-1.01105318941304, 1.1867354029210422], [-1.0038695629727254, 1.1900350710061327], [-1.0066773844254562, 1.1821903367594033], [-1.016612970433226, 1.1666722755064167], [-1.030681266845932, 1.1468912121022385], [-1.0459474967119646, 1.1260452120528606], [-1.059588842597276, 1.1071376747966835], [-1.069348862751216, 1.0925506292854996], [-1.0738931221736499, 1.0836357141265869], [-1.0729897864969171, 1.0805791022194733], [-1.0674572507948599, 1.0824871680598338], [-1.0588832497632257, 1.0876752956194633], [-1.049200788065708, 1.0940875717783196], [-1.040245944795738, 1.099744488642168], [-1.033406843293295, 1.1031193266092119], [-1.0294233308192837, 1.1033742266787538]]),
    ("adamW", { AdamW(learningRate: 0.05, weightDecay: 0.5) }, [[-1.1200000000023191, 1.0249999999943182], [-1.0454448356350297, 1.0462872186876977], [-0.9803731745378454, 1.0592271342890005], [-0.9284006791007142, 1.0585491777282003], [-0.8903010397877964, 1.042558001328671], [-0.864203963216476, 1.0137888648782023], [-0.8473818341396806, 0.975965728554609], [-0.8373095720752846, 0.9322444673506521], [-0.8319019094377583, 0.8850112915004458], [-0.8294463926356501, 0.836110025590016], [-0.8284919717916408, 0.7870618841341964], [-0.8277716841884459, 0.7391992032800565], [-0.8261768563432013, 0.693713775376238], [-0.8227796295799534, 0.6516331479849695], [-0.8168853044046833, 0.6137503894247094], [-0.8080832938337889, 0.5805482678591867], [-0.7962661925002683, 0.5521600185074985], [-0.781604407881353, 0.5283865816504184], [-0.7644860531729902, 0.5087597601036531], [-0.7454424713485622, 0.49262499297133827]]),
    ("adaMax", { AdaMax(learningRate: 0.05, weightDecay: 0.01) }, [[-1.150000000002319, 1.0499999999943175], [-1.110450846854091, 1.0900207901263637], [-1.0796583931391837, 1.1213091265176875], [-1.0562204283316496, 1.1449898774766698], [-1.038959660175036, 1.1620853762207863], [-1.0268741783580937, 1.1735297020210622], [-1.0191005860517932, 1.180179120637813], [-1.0148864996072937, 1.1828195936652894], [-1.0135701034166469, 1.1821720486771656], [-1.0145650963684196, 1.1788959532786638], [-1.0173497962576585, 1.1735916335659389], [-1.021459453865565, 1.1668017055668964], [-1.026481018519086, 1.1590119360524969], [-1.0320497254147887, 1.1506518087156055], [-1.037846965561288, 1.1420950372604515], [-1.0435989689011658, 1.133660234187163], [-1.0490758921424665, 1.1256119101254636], [-1.0540909631818265, 1.1181619418623976], [-1.0584993983443247, 1.111471607290858], [-1.062196878473588, 1.105654243010863]]),
    ("adaGrad", { AdaGrad(learningRate: 0.1, learningRateDecay: 0.01, initialAccumulatorValue: 0.1) }, [[-1.1000001075652468, 1.0999993543449824], [-1.0765327955993558, 1.1240128179208102], [-1.0680886001391636, 1.1315367954717082], [-1.0645607664088004, 1.133516280229507], [-1.0628214710151742, 1.1334683798855063], [-1.0617635271550632, 1.1326564649637325], [-1.060973817975543, 1.1315545893217294], [-1.0602936599116635, 1.130345122994432], [-1.059660810153938, 1.1290994922191668], [-1.0590504026238694, 1.1278460576875202], [-1.0584523173641465, 1.1265961781988492], [-1.0578623453394607, 1.1253543978556944], [-1.0572786827213583, 1.124122491149561], [-1.0567005189272336, 1.1229010929580612], [-1.0561274598187418, 1.1216903646011782], [-1.0555592888290237, 1.120490269656769], [-1.0549958667101476, 1.1193006896245803], [-1.0544370888993564, 1.1181214729965219], [-1.0538828671436828, 1.1169524562829505], [-1.0533331214656974, 1.1157934730841843]]),
    ("adaDelta", { AdaDelta(learningRate: 1.0, rho: 0.9, weightDecay: 0.01) }, [[-1.1968377223401716, 1.0031622776581262], [-1.1936348223657187, 1.0063684494652367], [-1.1904333916002103, 1.009577531738254], [-1.1872545330412072, 1.0127688284443828], [-1.184110600810045, 1.0159300701735205], [-1.1810094210728959, 1.019053341334045], [-1.1779561574674533, 1.0221332866578625], [-1.174954271333204, 1.0251661908529328], [-1.1720060702300006, 1.0281494542248921], [-1.16911304592474, 1.0310812702114107], [-1.1662760949727853, 1.0339604152099917], [-1.1634956692957552, 1.036786105187467], [-1.1607718827351994, 1.0395578941844383], [-1.1581045886921602, 1.0422756002733184], [-1.1554934380805588, 1.0449392501705708], [-1.1529379234652735, 1.0475490369176554], [-1.1504374132520727, 1.0501052869597638], [-1.1479911785540193, 1.05260843413636], [-1.1455984145625322, 1.0550589988555397], [-1.1432582577258603, 1.057457571223279]]),
    ("rmsprop", { RMSprop(learningRate: 0.01) }, [[-1.100000000046382, 1.0999999998863637], [-1.076185508403677, 1.1243685088457427], [-1.0677047397249682, 1.1318742774380115], [-1.064242363290068, 1.13368567058998], [-1.0625622494376303, 1.1334448836360989], [-1.061526387172269, 1.132451941087417], [-1.0607224025388085, 1.1311806664660422], [-1.0600000291751355, 1.1298041156135539], [-1.059304654254402, 1.1283852281517974], [-1.0586165350733276, 1.1269467398858146], [-1.0579285749204992, 1.1254967929209179], [-1.0572382325012126, 1.1240382685570747], [-1.0565445954596742, 1.1225721656067906], [-1.0558473294504414, 1.1210988143439913], [-1.055146303583724, 1.119618309414894], [-1.0544414579618833, 1.118130663027823], [-1.0537327571991841, 1.1166358587366758], [-1.053020174241056, 1.1151338701743538], [-1.0523036847758904, 1.1136246675257544], [-1.0515832653202304, 1.1121082197464731]]),
    ("rmspropCentered", { RMSprop(learningRate: 0.003, alpha: 0.9, momentum: 0.5, centered: true) }, [[-1.190000000001546, 1.0099999999962121], [-1.1776761015882509, 1.0223490206632633], [-1.1654497401937511, 1.0346364977621139], [-1.1540551477731882, 1.0461273368124626], [-1.1436321425052423, 1.0566755268080208], [-1.1341286129441877, 1.0663251217046383], [-1.1254517418312397, 1.0751602202617414], [-1.117520403798877, 1.0832526673747238], [-1.110278039723794, 1.090648974210095], [-1.1036900832183552, 1.097372865370575], [-1.097736016014843, 1.1034336202197546], [-1.0924005766665874, 1.1088356958442054], [-1.0876664046112596, 1.1135871392897572], [-1.0835092687040226, 1.1177052998634167], [-1.079896173489254, 1.1212192456295758], [-1.0767859279944794, 1.1241691761135366], [-1.0741313262363332, 1.1266037643190092], [-1.0718820005323204, 1.1285765717170537], [-1.0699871941273678, 1.1301425038500243], [-1.0683980027241713, 1.1313549065714377]]),
    ("rprop", { Rprop(learningRate: 0.05) }, [[-1.15, 1.05], [-1.0899999999999999, 1.11], [-1.0179999999999998, 1.1820000000000002], [-1.0179999999999998, 1.1820000000000002], [-1.0539999999999998, 1.1460000000000001], [-1.0971999999999997, 1.1028000000000002], [-1.0971999999999997, 1.1028000000000002], [-1.0755999999999997, 1.1244000000000003], [-1.0496799999999997, 1.1503200000000002], [-1.0496799999999997, 1.1503200000000002], [-1.0626399999999998, 1.1373600000000001], [-1.0626399999999998, 1.1218080000000001], [-1.0561599999999998, 1.1218080000000001], [-1.0483839999999998, 1.1140320000000001], [-1.0483839999999998, 1.1047008], [-1.0444959999999999, 1.0935033600000001], [-1.0398303999999998, 1.0800664320000002], [-1.0342316799999998, 1.0800664320000002], [-1.0342316799999998, 1.0733479680000002], [-1.0314323199999997, 1.0652858112000003]]),
    ("asgd", { AveragedSGD(learningRate: 5e-4, decay: 0.1, t0: 5) }, [[-1.09214, 1.04395], [-1.0574881456179492, 1.0587792243675618], [-1.042794362937588, 1.0646760385263023], [-1.0359567257246667, 1.0668969593602773], [-1.0325622317648564, 1.067474465709912], [-1.0307447219656596, 1.067292155844389], [-1.0296640462847921, 1.0667531651065332], [-1.0289309457757536, 1.0660455015123493], [-1.0283625697315117, 1.0652577745098242], [-1.0278724327027358, 1.064431970345827], [-1.0274194784669846, 1.0635880419571213], [-1.0269841751340754, 1.0627354884867826], [-1.0265572174852768, 1.0618788379251098], [-1.0261341676031814, 1.061020250795041], [-1.0257129069502593, 1.0601607588890438], [-1.0252924233082066, 1.0593008553610324], [-1.0248722326166413, 1.0584407761074472], [-1.0244521031619516, 1.0575806340590743], [-1.0240319238925248, 1.0567204833252106], [-1.02361164149665, 1.0558603498559762]]),
]
/// AveragedSGD's average ā after 20 steps.
let asgdAverage: [Double] = [-1.0264213046150388, 1.061412492016884]
/// L-BFGS, PyTorch's defaults (changeTolerance 1e-9): 34 iterations, 43 evaluations, stop: slopeTolerance; ‖x − (1,1)‖ = 4.233e-05.
let lbfgsDefaultIterations = 34
let lbfgsDefaultSolution: [Double] = [0.9999814210791367, 0.9999619651810986]
/// L-BFGS, changeTolerance 1e-12: 35 iterations, 44 evaluations, stop: slopeTolerance; ‖x − (1,1)‖ = 2.609e-08.
let lbfgsIterations = 35
let lbfgsEvaluations = 44
let lbfgsPath: [[Double]] = [[-1.0245319303460325, 1.0716196202669255], [-1.0284565745562346, 1.068187455748677], [-1.0288795348319695, 1.0655029516848564], [-1.0276177663827242, 1.0584120782656612], [-1.0203084803940978, 1.035276986646747], [-0.9970310351680051, 0.9755913846740072], [-0.9431278012083271, 0.8529662725410982], [-0.8802131649658708, 0.7274772060719923], [-0.7745797354515929, 0.5476256792320964], [-0.6657084570888976, 0.4139830831953631], [-0.5160277728852114, 0.22654582579024848], [-0.34877876200144736, 0.12519507039453878], [-0.25608957689664275, 0.03726198161622293], [-0.1711356090602929, -0.0061112003920216346], [-0.04619019171258325, -0.018011566364699236], [0.06629731136775592, -0.017627359722648686], [0.21682779600930746, 0.06691881400554617], [0.34184236067532514, 0.09925827373845719], [0.3806226433463945, 0.12491013187287077], [0.5136224431368419, 0.2558152810318551], [0.6161737966689267, 0.3544950575973959], [0.680346031282828, 0.46120580018285584], [0.7460759093286041, 0.5450068956861063], [0.7887038200397817, 0.6122685417314104], [0.8342517656815933, 0.6981152654332632], [0.8926077474580615, 0.7909177737747005], [0.9160713624557403, 0.8342473675876368], [0.9452890215126435, 0.8950994053265161], [0.9768773674846184, 0.9525832436432], [0.9866961395818481, 0.9724067870367527], [0.9949244301967964, 0.9900103526102084], [1.0014241818071845, 1.0026291765159212], [0.9998139520065661, 0.999625609471768], [0.9999814210791367, 0.9999619651810986], [1.0000000014508728, 0.9999999739512782]]
/// L-BFGS without line search (lr 0.5) on ½xᵀAx − bᵀx, A = [[3, .5], [.5, 1]], b = (1, −2), from (2, 2): 20 iterations, stop: changeTolerance; solution A⁻¹b = [0.7272727272727272, -2.3636363636363638].
let lbfgsFixedStepIterations = 20
let lbfgsFixedStepPath: [[Double]] = [[1.7272727272727273, 1.7727272727272727], [0.9094095059632177, 0.5190699591510717], [0.592698409134065, -0.5042159819337872], [0.5426925296005223, -1.2888261733881563], [0.6074317362109225, -1.807776188389637], [0.6684729394937163, -2.0858565789402688], [0.6977517060319122, -2.2247680406524983], [0.7125260199066626, -2.2942001605622133], [0.7198978035694394, -2.328918505197166], [0.7235854440889739, -2.3462774070332895], [0.7254290653507267, -2.3549568884579974], [0.7263508986250937, -2.359296625691983]]
let lbfgsFixedStepFinal: [Double] = [0.7272691263778972, -2.3636194115352755]
let quadraticSolution: [Double] = [0.7272727272727272, -2.3636363636363638]
/// Conjugate gradients (PR+, strong Wolfe c2 = 0.1, changeTolerance 1e-12): 23 iterations, 65 evaluations, stop: gradientTolerance; ‖x − (1,1)‖ = 3.181e-11.
let cgIterations = 23
let cgPath: [[Double]] = [[-1.0245319303460325, 1.0716196202669255], [-0.7312612890686953, 0.4984200652542744], [-0.6789878766615718, 0.4782671889682177], [-0.4905331429041928, 0.20607508359045362], [-0.40623320417510544, 0.1143255301055663], [-0.019568807754307638, -0.025081492156283983], [-0.006505013031046619, 0.004640900732800626], [0.15254192454858412, -0.0012655108491660873], [0.25963171522402473, 0.03241523359610639], [0.3612489220140571, 0.14857379580623276], [0.4840464712911703, 0.22104502717659458], [0.5515988081790879, 0.2820642779053901], [0.7786784315805114, 0.5913722626154], [0.7724988348141295, 0.5957565346246425], [0.8671721878098754, 0.7437157773988005], [0.9766373967269, 0.9491450871773803], [0.9747906803499747, 0.9501153544702589], [0.9980535368091762, 0.9956500839888643], [0.9987736737829086, 0.9975675982113397], [1.000037853367567, 1.0000768363200292], [1.0000382306162845, 1.0000766096818023], [1.0000000005923828, 0.9999999996688342], [0.999999999985795, 0.9999999999715368]]
/// FISTA on ½‖Ax − b‖² + 0.5‖x‖₁ from 0: 90 iterations, final L = 8.0.
let fistaIterations = 90
let fistaSolution: [Double] = [1.846875462470694, -0.23805828162312404, -0.07521794685595914]
let fistaFirstPath: [[Double]] = [[0.78125, 0.05625000000000001, -0.275], [1.1776093749999998, 0.0, -0.2373046875], [1.4794961013682901, -0.043640993005631776, -0.17053406579371042], [1.6765918988532091, -0.12254472971507058, -0.11912692978298187], [1.795413321577508, -0.1959460697852644, -0.0880697280194801], [1.858830802218638, -0.2424975384490139, -0.0720190521433049], [1.884154032210662, -0.26202178878686955, -0.06575298865425167], [1.88553958566624, -0.2634208720417406, -0.06544588415169317], [1.8747818174521043, -0.2561474431876152, -0.06815985245686132], [1.8607871012599253, -0.2469132273044009, -0.07169279225246972]]
let fistaFirstValues: [Double] = [3.1947214843749996, 2.123951233251343, 1.6643396698224293, 1.4967693950464485, 1.44899743686523, 1.4435869530502674, 1.4458412593138097, 1.446058954003745, 1.4447595617642177, 1.4437093570384625]
/// CMA-ES on Rosenbrock from (−1.2, 1), σ₀ = 0.5, seed 42, 40 generations.
let cmaesBests: [Double] = [5.71258757913936, 3.887997495677231, 3.981901104346318, 3.38943150403573, 2.2673670114566677, 1.7603910881010059, 4.125847113728969, 4.438871984097781, 1.4464693581738008, 0.8339726403531516, 1.1213758001217686, 0.5112200897219358, 2.80920919533448, 0.9830473418467751, 0.4528497307086475, 0.4400485087793246, 0.3062769647772499, 0.4964575941010317, 0.45871964200268395, 0.4508122374396377, 0.5602174774500135, 0.5883457269854564, 0.5054425374147575, 0.37164417798635796, 0.27734918679081355, 0.2800257296180344, 0.19555969736167794, 0.25906561194087846, 0.38961313584540336, 0.2859164263880628, 0.223050316486409, 0.20199342722127273, 0.18036623832191073, 0.17881888760652134, 0.18659764239870397, 0.13175223831995098, 0.11931447700002865, 0.11288668481867278, 0.10325522293180495, 0.11081408331607265]
// END GENERATED
