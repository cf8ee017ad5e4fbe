// The reverse-mode differential operators. Each opens a trace, marks the leaves of the argument,
// runs the function (loops, branches, recursion and closures just run), and walks the tape back.

/// Differentiates `f` at `x`: returns `f(x)` (untraced at this level) and the gradient, shaped like
/// `x`. The output must have exactly one element.
func reverseDifferentiate<P: ParameterTree, Aux>(_ x: P, _ f: (P) -> (Tensor, Aux), op: String)
    -> (value: Tensor, gradient: P, aux: Aux) {
    let trace = Trace()
    defer { trace.finish() }
    let (traced, inputs) = trace.markInputs(of: x, op: op)
    let (out, aux) = f(traced)
    require(out.count == 1, "\(op): the function must return a single value (one element) to be differentiated, got shape \(out.shape); use vjp or sum it first")
    let gradient = x.gathering(trace.backward(from: out, releasingTape: true), at: inputs)
    return (out.unwrapped(at: trace.level).0, gradient, releasingTrace(aux, trace))
}

extension Trace {
    /// `x` with every leaf recorded as an input of this trace, and the leaves' node indices.
    /// Wraps `x`'s leaves as this trace's inputs; returns the traced tree and each leaf's node
    /// index (−1 for a frozen leaf, left a constant).
    func markInputs<P: ParameterTree>(of x: P, op: String) -> (P, [Int]) {
        var inputs: [Int] = []
        var traced = x
        traced.updateTensors { leaf in
            if ParameterTraversal.insideFrozen {
                inputs.append(-1)
                return
            }
            require(leaf.dtype.isFloatingPoint, "\(op): can only differentiate with respect to floating-point tensors, got \(leaf.dtype) of shape \(leaf.shape)")
            leaf = makeInput(leaf)
            inputs.append(leaf.node!.index)
        }
        return (traced, inputs)
    }
}

extension ParameterTree {
    /// This tree with each leaf replaced by its input's cotangent (zeros where none flowed).
    func gathering(_ cotangents: [Tensor?], at inputs: [Int]) -> Self {
        var k = 0
        return mapTensors { leaf in
            defer { k += 1 }
            return (inputs[k] >= 0 ? cotangents[inputs[k]] : nil) ?? Tensor.zeros(like: leaf.primalData)
        }
    }
}

/// Removes this trace's links from auxiliary outputs that are tensor trees.
private func releasingTrace<Aux>(_ aux: Aux, _ trace: Trace) -> Aux {
    if Aux.self == Void.self { return aux }
    if var tree = aux as? any ParameterTree {
        tree.updateTensors { $0 = $0.unwrapped(at: trace.level).0 }
        return tree as! Aux
    }
    return aux
}

/// The gradient of `f` with respect to its argument: a function returning `∇f(x)`, with the same
/// structure as `x` (a tensor, an array or dictionary of tensors, a struct of tensors…).
///
/// ```swift
/// let df = grad { x in (x * x).sum() }
/// df(Tensor([1, 2, 3]))   // [2, 4, 6]
/// grad(grad(f))           // second derivative: gradients nest to any order
/// ```
public func grad<P: ParameterTree>(_ f: @escaping (P) -> Tensor) -> (P) -> P {
    { x in reverseDifferentiate(x, { (f($0), ()) }, op: "grad").gradient }
}

/// The gradient with respect to the first argument, other arguments passed through:
/// `grad(loss)(params, x, y)`.
public func grad<P: ParameterTree, A>(_ f: @escaping (P, A) -> Tensor) -> (P, A) -> P {
    { x, a in reverseDifferentiate(x, { (f($0, a), ()) }, op: "grad").gradient }
}

/// The gradient with respect to the first of three arguments.
public func grad<P: ParameterTree, A, B>(_ f: @escaping (P, A, B) -> Tensor) -> (P, A, B) -> P {
    { x, a, b in reverseDifferentiate(x, { (f($0, a, b), ()) }, op: "grad").gradient }
}

/// The derivative of a scalar function of a Swift number: `grad(taylorSine)(Double.pi)`.
public func grad<T: TensorFloat>(_ f: @escaping (Tensor) -> Tensor) -> (T) -> T {
    { x in T(fromDouble: reverseDifferentiate(Tensor(x), { (f($0), ()) }, op: "grad").gradient.scalar) }
}

/// The value and the gradient of `f`: `let (loss, g) = valueAndGrad(f)(params)`.
public func valueAndGrad<P: ParameterTree>(_ f: @escaping (P) -> Tensor) -> (P) -> (value: Tensor, gradient: P) {
    { x in
        let r = reverseDifferentiate(x, { (f($0), ()) }, op: "valueAndGrad")
        return (r.value, r.gradient)
    }
}

/// The value and the gradient with respect to the first argument: `valueAndGrad(loss)(params, x)`.
public func valueAndGrad<P: ParameterTree, A>(_ f: @escaping (P, A) -> Tensor) -> (P, A) -> (value: Tensor, gradient: P) {
    { x, a in
        let r = reverseDifferentiate(x, { (f($0, a), ()) }, op: "valueAndGrad")
        return (r.value, r.gradient)
    }
}

/// The value and the gradient with respect to the first of three arguments (the seeds'
/// `loss, dparams = df(params, x, y)`).
public func valueAndGrad<P: ParameterTree, A, B>(_ f: @escaping (P, A, B) -> Tensor) -> (P, A, B) -> (value: Tensor, gradient: P) {
    { x, a, b in
        let r = reverseDifferentiate(x, { (f($0, a, b), ()) }, op: "valueAndGrad")
        return (r.value, r.gradient)
    }
}

/// The gradient of the first output of `f`, which also returns auxiliary data (predictions,
/// statistics) passed through untouched: `let (g, prediction) = grad(withAux: f)(params)`.
public func grad<P: ParameterTree, Aux>(withAux f: @escaping (P) -> (Tensor, Aux)) -> (P) -> (gradient: P, aux: Aux) {
    { x in
        let r = reverseDifferentiate(x, f, op: "grad(withAux:)")
        return (r.gradient, r.aux)
    }
}

/// Value, gradient and auxiliary output: the seeds' `return loss, prediction`.
public func valueAndGrad<P: ParameterTree, Aux>(withAux f: @escaping (P) -> (Tensor, Aux))
    -> (P) -> (value: Tensor, gradient: P, aux: Aux) {
    { x in reverseDifferentiate(x, f, op: "valueAndGrad(withAux:)") }
}

/// Value, gradient with respect to the first argument and auxiliary output, other arguments
/// passed through.
public func valueAndGrad<P: ParameterTree, A, B, Aux>(withAux f: @escaping (P, A, B) -> (Tensor, Aux))
    -> (P, A, B) -> (value: Tensor, gradient: P, aux: Aux) {
    { x, a, b in reverseDifferentiate(x, { f($0, a, b) }, op: "valueAndGrad(withAux:)") }
}

/// A tree holding two trees, so one gradient call can cover several arguments.
struct Pair<A: ParameterTree, B: ParameterTree>: ParameterTree {
    var first: A
    var second: B
    mutating func updateTensors(_ body: (inout Tensor) -> Void) {
        first.updateTensors(body)
        second.updateTensors(body)
    }
    func forEachNamedTensor(prefix: String, _ body: (String, Tensor) -> Void) {
        first.forEachNamedTensor(prefix: prefix.isEmpty ? "0" : prefix + ".0", body)
        second.forEachNamedTensor(prefix: prefix.isEmpty ? "1" : prefix + ".1", body)
    }
}

/// The gradients with respect to both arguments: `let (ga, gb) = gradients(of: f)(a, b)`.
public func gradients<A: ParameterTree, B: ParameterTree>(of f: @escaping (A, B) -> Tensor) -> (A, B) -> (A, B) {
    { a, b in
        let r = reverseDifferentiate(Pair(first: a, second: b), { (f($0.first, $0.second), ()) }, op: "gradients(of:)")
        return (r.gradient.first, r.gradient.second)
    }
}

/// The value and the gradients with respect to both arguments.
public func valueAndGradients<A: ParameterTree, B: ParameterTree>(of f: @escaping (A, B) -> Tensor)
    -> (A, B) -> (value: Tensor, gradients: (A, B)) {
    { a, b in
        let r = reverseDifferentiate(Pair(first: a, second: b), { (f($0.first, $0.second), ()) }, op: "valueAndGradients(of:)")
        return (r.value, (r.gradient.first, r.gradient.second))
    }
}

/// The gradients with respect to all three arguments.
public func gradients<A: ParameterTree, B: ParameterTree, C: ParameterTree>(of f: @escaping (A, B, C) -> Tensor)
    -> (A, B, C) -> (A, B, C) {
    { a, b, c in
        let r = reverseDifferentiate(Pair(first: a, second: Pair(first: b, second: c)),
                                     { (f($0.first, $0.second.first, $0.second.second), ()) }, op: "gradients(of:)")
        return (r.gradient.first, r.gradient.second.first, r.gradient.second.second)
    }
}

/// The value and the gradients with respect to all three arguments.
public func valueAndGradients<A: ParameterTree, B: ParameterTree, C: ParameterTree>(of f: @escaping (A, B, C) -> Tensor)
    -> (A, B, C) -> (value: Tensor, gradients: (A, B, C)) {
    { a, b, c in
        let r = reverseDifferentiate(Pair(first: a, second: Pair(first: b, second: c)),
                                     { (f($0.first, $0.second.first, $0.second.second), ()) }, op: "valueAndGradients(of:)")
        return (r.value, (r.gradient.first, r.gradient.second.first, r.gradient.second.second))
    }
}

/// `x` as a constant: the same values, but no derivative flows through it at any level.
public func stopGradient(_ x: Tensor) -> Tensor { x.primalData }

/// Every tensor leaf of `x` as a constant.
public func stopGradient<P: ParameterTree>(_ x: P) -> P { x.mapTensors { $0.primalData } }

/// A recorded trace kept open for a pullback; finished when the last pullback referring to it goes
/// away.
private final class OpenTrace: @unchecked Sendable {
    let trace = Trace()
    deinit { trace.finish() }
}

/// The value of `f` at `x` and its pullback (vector–Jacobian product): `pullback(u)` is
/// `Jᵀu`, the gradient of `sum(f(x) · u)` with respect to `x`, shaped like `x`. The output may have
/// any shape; `u` must have that shape. The pullback may be called any number of times; the
/// recorded trace is released when the pullback is.
///
/// ```swift
/// let (y, pullback) = vjp { (x: Tensor) in x * x }(Tensor([1, 2, 3] as [Double]))
/// pullback(Tensor([1, 1, 1] as [Double]))   // [2, 4, 6]
/// ```
public func vjp<P: ParameterTree>(_ f: @escaping (P) -> Tensor) -> (P) -> (value: Tensor, pullback: (Tensor) -> P) {
    { x in
        let open = OpenTrace()
        let trace = open.trace
        let (traced, inputs) = trace.markInputs(of: x, op: "vjp")
        let out = f(traced)
        let value = out.unwrapped(at: trace.level).0
        let pullback = { (u: Tensor) -> P in
            require(u.shape == value.shape, "vjp: cotangent of shape \(u.shape) does not match the output's shape \(value.shape)")
            let cotangents = withExtendedLifetime(open) {
                trace.backward(from: out, seed: u.cast(to: value.dtype))
            }
            return x.gathering(cotangents, at: inputs)
        }
        return (value, pullback)
    }
}
