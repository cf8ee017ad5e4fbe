// A gradient checker in the style of HIPS autograd's `check_grads`: reverse-mode derivatives are
// compared with central finite differences through the adjoint identity ⟨u, J v⟩ = ⟨Jᵀu, v⟩, in
// float64, for random directions `v` and cotangents `u`, and recursively for the VJP itself (so that
// derivatives of derivatives are checked too).

/// The outcome of a gradient check: every individual comparison made, and whether all of them agreed
/// within tolerance.
///
/// Use it in tests as `#expect(result.passed, "\(result)")`: the description names the order, the
/// function (`f`, `VJP(f)`, `VJP(VJP(f))`…) and the argument of every comparison that failed.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    /// One comparison: the derivative of `function` with respect to one `argument`, along one random
    /// direction `v` and against one random cotangent `u`.
    public struct Check: Sendable, CustomStringConvertible {
        /// The derivative order this comparison checks (1 for `f`, 2 for the VJP of `f`, …).
        public let order: Int
        /// The function whose VJP was checked: `"f"`, `"VJP(f)"`, `"VJP(VJP(f))"`…
        public let function: String
        /// The argument perturbed: `"x"` (or the leaf's dotted name, `"x.W.0"`, `"y"`) for the
        /// arguments of `f`; `"u"`, `"u2[∂x]"`… for the cotangents that are extra arguments of VJPs.
        public let argument: String
        /// The shape of that argument.
        public let shape: [Int]
        /// `⟨vjp(u), v⟩`, the reverse-mode side of the identity.
        public let analytic: Double
        /// `⟨u, (f(x + εv) − f(x − εv)) / 2ε⟩`, the finite-difference side.
        public let numerical: Double
        /// `|analytic − numerical|` (infinite if either is not finite).
        public let absoluteError: Double
        /// `|analytic − numerical| / max(|analytic|, |numerical|)` (0 when both are 0, infinite if
        /// either is not finite).
        public let relativeError: Double
        /// Whether both values are finite and `|analytic − numerical| ≤ atol + rtol · max(|analytic|, |numerical|)`.
        public let passed: Bool

        init(order: Int, function: String, argument: String, shape: [Int],
             analytic: Double, numerical: Double, rtol: Double, atol: Double) {
            self.order = order
            self.function = function
            self.argument = argument
            self.shape = shape
            self.analytic = analytic
            self.numerical = numerical
            if analytic.isFinite && numerical.isFinite {
                absoluteError = Swift.abs(analytic - numerical)
                let scale = Swift.max(Swift.abs(analytic), Swift.abs(numerical))
                relativeError = scale > 0 ? absoluteError / scale : 0
                passed = absoluteError <= atol + rtol * scale
            } else {
                // A NaN or an infinity on either side is a failure, with an infinite error.
                absoluteError = .infinity
                relativeError = .infinity
                passed = false
            }
        }

        /// One line naming the order, function and argument, with both sides and the errors.
        public var description: String {
            "order \(order), \(function), argument \(argument) \(shape): ⟨vjp(u), v⟩ = \(analytic), "
                + "finite differences ⟨u, Jv⟩ = \(numerical) (absolute error \(absoluteError), "
                + "relative error \(relativeError))\(passed ? "" : " FAILED")"
        }
    }

    /// Every comparison made, in order (order 1 first).
    public let checks: [Check]
    /// The highest derivative order checked.
    public let order: Int
    /// The seed the random directions and cotangents were drawn from.
    public let seed: UInt64

    /// Whether every comparison agreed within tolerance.
    public var passed: Bool { checks.allSatisfy(\.passed) }

    /// The comparisons that did not agree.
    public var failures: [Check] { checks.filter { !$0.passed } }

    /// The largest relative error over all comparisons whose values are not both below `atol`
    /// (where relative error means nothing and the absolute tolerance decides).
    public var maxRelativeError: Double {
        checks.lazy.filter { $0.passed == false || Swift.max(Swift.abs($0.analytic), Swift.abs($0.numerical)) > atol }
            .map(\.relativeError).max() ?? 0
    }

    /// The lowest order at which some comparison failed, or `nil` if all passed.
    public var firstFailingOrder: Int? { failures.map(\.order).min() }

    let atol: Double

    /// A one-line summary when the check passed; otherwise the failures, one per line.
    public var description: String {
        if passed {
            return "gradient check passed: \(checks.count) comparisons up to order \(order) (seed \(seed)), "
                + "max relative error \(maxRelativeError)"
        }
        let f = failures
        let lines = f.map { "  " + $0.description }
        return "gradient check FAILED: \(f.count) of \(checks.count) comparisons up to order \(order) (seed \(seed)) "
            + "disagree, first at order \(firstFailingOrder!):\n" + lines.joined(separator: "\n")
    }
}

/// Checks the forward- and reverse-mode derivatives of `f` at `x` against finite differences, to
/// `order`.
///
/// The method is that of HIPS autograd's `check_grads(modes=['fwd', 'rev'])`. The arguments are converted to float64. For
/// a random direction `v` (shaped like each argument) and a random cotangent `u` (shaped like
/// `f(x)`, which may have any shape), the central difference `⟨u, (f(x + εv) − f(x − εv)) / 2ε⟩`
/// must equal `⟨vjp(u), v⟩`, where `vjp(u)` is the gradient of `x ↦ sum(f(x) · u)`. Each argument
/// (each tensor leaf of `x`) is perturbed on its own, so a wrong gradient is named precisely and a
/// small gradient is not hidden by a large one. The two sides agree when
/// `|analytic − numerical| ≤ atol + rtol · max(|analytic|, |numerical|)`.
///
/// In forward mode the same central difference must equal `⟨u, jvp(v)⟩`, the tangent of `f` in
/// direction `v` (one argument's direction at a time).
///
/// For `order` 2 the same checks run on the VJP itself, `(x, u) ↦ vjp_u(x)`, with respect to both
/// `x` and `u`, and on the JVP, `(x, v) ↦ jvp_v(x)`, with fresh random directions: that
/// differentiates the rules, so an op whose gradient is right but whose gradient's gradient is
/// wrong (say, a VJP written with a constant where it should use a differentiable op) fails at
/// order 2. Higher orders recurse the same way (the number of checks doubles per order when both
/// modes are on).
///
/// ```swift
/// let result = checkGradients({ x in (sin(x) * x).sum(axis: 1) }, at: Tensor.randn([2, 3], seed: 1))
/// #expect(result.passed, "\(result)")
///
/// // Several arguments as any parameter tree (array, dictionary, struct):
/// checkGradients({ p in matmul(p[0], p[1]) }, at: [Tensor.randn([2, 3]), Tensor.randn([3, 4])])
/// ```
///
/// Keep the arguments inside the function's domain and away from its kinks (`abs` at 0, ties of
/// `max`) by more than `eps`: finite differences across a kink do not measure a derivative.
///
/// - Parameters:
///   - f: the function; it may return a tensor of any shape and floating-point dtype.
///   - x: the point: a tensor, or any ``ParameterTree`` of floating-point tensors.
///   - modes: which rules to check: `.forward`, `.reverse` or `.both` (the default).
///   - order: the highest derivative order to check (1: first derivatives; 2: also the
///     derivatives of the VJP; …).
///   - eps: the finite-difference step.
///   - rtol: the relative tolerance.
///   - atol: the absolute tolerance.
///   - seed: the seed of the random directions and cotangents (the same seed gives the same
///     comparisons on every run).
/// - Returns: every comparison made; `passed` says whether all agreed.
public func checkGradients<P: ParameterTree>(
    _ f: @escaping (P) -> Tensor, at x: P, modes: GradientCheckModes = .both,
    order: Int = 2, eps: Double = 1e-6, rtol: Double = 1e-5, atol: Double = 1e-6, seed: UInt64 = 0
) -> GradientCheckResult {
    let template = float64Leaves(x)
    let leaves = template.tensors
    let multi: GradientCheckFunction = { args in [f(rebuilt(template, args[...]))] }
    return runGradientCheck(multi, at: leaves, names: leafNames(x, prefix: "x"),
                            modes: modes, order: order, eps: eps, rtol: rtol, atol: atol, seed: seed)
}

/// Checks the reverse-mode derivatives of a function of two arguments with respect to both: the
/// arguments are named `x` and `y` in the report. See ``checkGradients(_:at:order:eps:rtol:atol:seed:)``.
///
/// ```swift
/// let result = checkGradients({ x, y in pow(x, y) }, at: Tensor.uniform([2, 3], seed: 1, low: 0.5, high: 2),
///                             Tensor.randn([1, 3], seed: 2))
/// ```
public func checkGradients<A: ParameterTree, B: ParameterTree>(
    _ f: @escaping (A, B) -> Tensor, at x: A, _ y: B, modes: GradientCheckModes = .both,
    order: Int = 2, eps: Double = 1e-6, rtol: Double = 1e-5, atol: Double = 1e-6, seed: UInt64 = 0
) -> GradientCheckResult {
    let ta = float64Leaves(x), tb = float64Leaves(y)
    let la = ta.tensors, lb = tb.tensors
    let n = la.count
    let multi: GradientCheckFunction = { args in
        [f(rebuilt(ta, args[..<n]), rebuilt(tb, args[n...]))]
    }
    return runGradientCheck(multi, at: la + lb, names: leafNames(x, prefix: "x") + leafNames(y, prefix: "y"),
                            modes: modes, order: order, eps: eps, rtol: rtol, atol: atol, seed: seed)
}

// MARK: - Implementation

/// A function of several tensors with several tensor results: the shape of every level of the
/// check (level 1 is `f`; level k + 1 is the VJP of level k, a function of its inputs and
/// cotangents returning one gradient per input).
typealias GradientCheckFunction = ([Tensor]) -> [Tensor]

/// `x` with every leaf converted to a float64 constant.
private func float64Leaves<P: ParameterTree>(_ x: P) -> P {
    x.mapTensors { leaf in
        require(leaf.dtype.isFloatingPoint,
                     "checkGradients: arguments must be floating-point tensors, got \(leaf.dtype) of shape \(leaf.shape)")
        return leaf.primalData.cast(to: .float64)
    }
}

/// `template` with its leaves replaced, in order, by `leaves`.
private func rebuilt<P: ParameterTree>(_ template: P, _ leaves: ArraySlice<Tensor>) -> P {
    var p = template
    var k = leaves.startIndex
    p.updateTensors { leaf in
        leaf = leaves[k]
        k += 1
    }
    return p
}

/// The dotted name of every leaf of `x`, in `updateTensors` order (which for dictionaries differs
/// from the sorted naming order): leaves are replaced by markers holding their position, then named.
private func leafNames<P: ParameterTree>(_ x: P, prefix: String) -> [String] {
    var marked = x
    var count = 0
    marked.updateTensors { leaf in
        leaf = Tensor(Double(count))
        count += 1
    }
    var names = [String](repeating: prefix, count: count)
    marked.forEachNamedTensor(prefix: prefix) { name, marker in
        let k = Int(marker.scalar)
        if names.indices.contains(k) { names[k] = name }
    }
    return names
}

/// The VJP of `F` as a function of its inputs followed by one cotangent per output: the gradient of
/// `Σⱼ sum(F(x)ⱼ · uⱼ)` with respect to each input. Written with `grad`, so it is itself
/// differentiable (with respect to the inputs and the cotangents).
private func vjpFunction(of F: @escaping GradientCheckFunction, inputCount n: Int) -> GradientCheckFunction {
    { args in
        let cotangents = Array(args[n...])
        let pullback = grad { (xs: [Tensor]) -> Tensor in
            let ys = F(xs)
            var total: Tensor?
            for (y, u) in zip(ys, cotangents) {
                let term = (y.cast(to: .float64) * u).sum()
                total = total.map { $0 + term } ?? term
            }
            return total ?? Tensor(0.0)
        }
        return pullback(Array(args[..<n]))
    }
}

/// `⟨a, b⟩` for tensors of the same shape, in float64.
private func innerProduct(_ a: Tensor, _ b: Tensor) -> Double {
    require(a.shape == b.shape, "checkGradients: internal shape mismatch \(a.shape) vs \(b.shape)")
    let x = a.doubles, y = b.doubles
    var s = 0.0
    for i in x.indices { s += x[i] * y[i] }
    return s
}

func runGradientCheck(_ f: @escaping GradientCheckFunction, at xs: [Tensor], names: [String],
                      modes: GradientCheckModes, order: Int, eps: Double, rtol: Double, atol: Double,
                      seed: UInt64) -> GradientCheckResult {
    require(order >= 1, "checkGradients: order must be at least 1, got \(order)")
    require(eps > 0, "checkGradients: eps must be positive, got \(eps)")
    require(!modes.isEmpty, "checkGradients: no mode to check (pass .forward, .reverse or both)")
    var rng = SplitMix64(seed: seed)
    var checks: [GradientCheckResult.Check] = []
    checkLevel(f, label: "f", inputs: xs, inputNames: names, modes: modes, level: 1, order: order,
               eps: eps, rtol: rtol, atol: atol, rng: &rng, checks: &checks)
    return GradientCheckResult(checks: checks, order: order, seed: seed, atol: atol)
}

/// Checks `function` at `inputs` in each mode, then recurses on its JVP (a function of the inputs
/// and their tangents) and its VJP (a function of the inputs and the outputs' cotangents), the
/// scheme of HIPS autograd's `check_grads(modes=['fwd', 'rev'], order=…)`.
private func checkLevel(_ function: @escaping GradientCheckFunction, label: String, inputs: [Tensor],
                        inputNames: [String], modes: GradientCheckModes, level: Int, order: Int,
                        eps: Double, rtol: Double, atol: Double, rng: inout SplitMix64,
                        checks: inout [GradientCheckResult.Check]) {
    let outputs = function(inputs)
    for y in outputs {
        require(y.dtype.isFloatingPoint,
                "checkGradients: \(label) returned a \(y.dtype) tensor of shape \(y.shape); it must return floating-point values")
    }
    let us = outputs.map { Tensor.randn($0.shape, seed: rng.next()) }
    let vs = inputs.map { Tensor.randn($0.shape, seed: rng.next()) }
    // ⟨u, (F(x + εvᵢ) − F(x − εvᵢ)) / 2ε⟩ for each input i.
    let numerical = inputs.indices.map { i -> Double in
        var plus = inputs, minus = inputs
        plus[i] = inputs[i] + eps * vs[i]
        minus[i] = inputs[i] - eps * vs[i]
        let fp = function(plus), fm = function(minus)
        var total = 0.0
        for j in outputs.indices {
            total += innerProduct(us[j], fp[j].cast(to: .float64) - fm[j].cast(to: .float64))
        }
        return total / (2 * eps)
    }
    let outputNames = outputs.count == 1 ? ["u"] : outputs.indices.map { "u.\($0)" }
    let vjp = vjpFunction(of: function, inputCount: inputs.count)
    let jvp = jvpFunction(of: function, inputCount: inputs.count)
    if modes.contains(.reverse) {
        let gradients = vjp(inputs + us)
        for i in inputs.indices {
            let analytic = innerProduct(gradients[i].cast(to: .float64), vs[i])
            checks.append(.init(order: level, function: label, argument: inputNames[i], shape: inputs[i].shape,
                                analytic: analytic, numerical: numerical[i], rtol: rtol, atol: atol))
        }
    }
    if modes.contains(.forward) {
        // One input's direction at a time (the others' tangents zero), so a wrong rule is named.
        for i in inputs.indices {
            var directions = inputs.map { Tensor.zeros(like: $0) }
            directions[i] = vs[i]
            let tangents = jvp(inputs + directions)
            var analytic = 0.0
            for j in outputs.indices { analytic += innerProduct(us[j], tangents[j].cast(to: .float64)) }
            checks.append(.init(order: level, function: "JVP:" + label, argument: inputNames[i], shape: inputs[i].shape,
                                analytic: analytic, numerical: numerical[i], rtol: rtol, atol: atol))
        }
    }
    if level == order { return }
    if modes.contains(.forward) {
        checkLevel(jvp, label: "JVP(\(label))", inputs: inputs + vs,
                   inputNames: inputNames + inputNames.map { "v[\($0)]" }, modes: modes, level: level + 1,
                   order: order, eps: eps, rtol: rtol, atol: atol, rng: &rng, checks: &checks)
    }
    if modes.contains(.reverse) {
        checkLevel(vjp, label: "VJP(\(label))", inputs: inputs + us,
                   inputNames: inputNames + outputNames.map { "\($0)[\(label)]" }, modes: modes, level: level + 1,
                   order: order, eps: eps, rtol: rtol, atol: atol, rng: &rng, checks: &checks)
    }
}

/// The JVP of `F` as a function of its inputs followed by one tangent per input: the tangents of
/// its outputs. Written with forward mode, so it is itself differentiable in both modes.
private func jvpFunction(of F: @escaping GradientCheckFunction, inputCount n: Int) -> GradientCheckFunction {
    { args in
        forwardDifferentiate(Array(args[..<n]), Array(args[n...]), { (xs: [Tensor]) in F(xs) }, op: "checkGradients").tangent
    }
}

/// Which derivatives ``checkGradients(_:at:modes:order:eps:rtol:atol:seed:)`` checks.
public struct GradientCheckModes: OptionSet, Sendable {
    public let rawValue: Int
    /// Creates a set of modes from its raw value.
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Forward mode: the JVP rules, `⟨u, J v⟩` against finite differences.
    public static let forward = GradientCheckModes(rawValue: 1)
    /// Reverse mode: the VJP rules, `⟨Jᵀu, v⟩` against finite differences.
    public static let reverse = GradientCheckModes(rawValue: 2)
    /// Both (the default, as HIPS autograd's `check_grads`).
    public static let both: GradientCheckModes = [.forward, .reverse]
}
