import Autograd

// Seed: the HIPS autograd README's "custom gradients" example — a primitive whose gradient is
// written by hand rather than traced:
//
//     @primitive
//     def logsumexp(x):
//         max_x = np.max(x)
//         return max_x + np.log(np.sum(np.exp(x - max_x)))
//     def logsumexp_vjp(ans, x):
//         return lambda g: np.full(x.shape, g) * np.exp(x - np.full(x.shape, ans))
//     defvjp(logsumexp, logsumexp_vjp)
//
// Its gradient is softmax(x). Also a `floor` primitive (autograd.scipy.special style) given either
// the straight-through gradient (identity) or a zero gradient, used under `grad`.

/// `log(sum(exp(x)))` over all elements, declared as one primitive with a hand-written VJP.
public let customLogsumexp = UnaryPrimitive("logsumexp",
    forward: { x in
        let m = x.max()
        return m + log(exp(x - m).sum())
    },
    vjp: { g, ans, x in g * exp(x - ans) })

/// `⌊x⌋` elementwise, computed on the untraced values.
@Sendable func floorValues(_ x: Tensor) -> Tensor {
    Tensor(x.doubles.map { $0.rounded(.down) }, shape: x.shape).cast(to: x.dtype)
}

/// `⌊x⌋` with the straight-through gradient: the cotangent passes unchanged, as if `⌊x⌋ = x`.
public let floorStraightThrough = UnaryPrimitive("floor(straight-through)",
    forward: floorValues,
    vjp: { g, _, _ in g })

/// `⌊x⌋` with its true (almost everywhere) gradient, zero.
public let floorZeroGradient = UnaryPrimitive("floor",
    forward: floorValues,
    vjp: { g, _, _ in Tensor.zeros(like: g) })

/// The input of the custom-primitive example.
public let customPrimitiveInput: Tensor = [1.5, -0.3, 2.7]

/// The custom `logsumexp` against `softmax` and the library's `logsumexp`, and `sum(⌊x⌋ · x)` under
/// both `floor` gradients (straight-through: ⌊x⌋ + x; zero: ⌊x⌋).
public func customPrimitiveExample() -> ExampleResult {
    let x = customPrimitiveInput
    let value = customLogsumexp(x).scalar
    let g = grad { (x: Tensor) in customLogsumexp(x) }(x)
    let gLibrary = grad { (x: Tensor) in x.logsumexp() }(x)
    let maxDiff = { (a: Tensor, b: Tensor) in zip(a.doubles, b.doubles).map { Swift.abs($0 - $1) }.max()! }

    let floorValue = (floorStraightThrough(x) * x).sum().scalar
    let gStraight = grad { (x: Tensor) in (floorStraightThrough(x) * x).sum() }(x).doubles
    let gZero = grad { (x: Tensor) in (floorZeroGradient(x) * x).sum() }(x).doubles

    var values: [(label: String, value: Double)] = [
        ("logsumexp", value), ("library logsumexp", x.logsumexp().scalar),
        ("max |grad - softmax|", maxDiff(g, softmax(x))),
        ("max |grad - library grad|", maxDiff(g, gLibrary)),
        ("sum(floor(x)·x)", floorValue),
    ]
    values += gStraight.enumerated().map { ("straight-through grad[\($0.offset)]", $0.element) }
    values += gZero.enumerated().map { ("zero-gradient grad[\($0.offset)]", $0.element) }
    return ExampleResult(name: "custom primitives: logsumexp and floor (HIPS README)", values: values)
}
