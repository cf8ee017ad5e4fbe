// Forward mode: a forward trace carries a tangent beside every value derived from the inputs; each
// primitive's JVP computes its result's tangent as the op runs. Nothing is stored for a backward
// pass, so memory does not grow with the length of the computation.

/// Differentiates `f` at `x` in direction `v` in forward mode.
func forwardDifferentiate<P: ParameterTree, Q: ParameterTree>(_ x: P, _ v: P, _ f: (P) -> Q, op: String)
    -> (value: Q, tangent: Q) {
    let trace = Trace(forward: true)
    defer { trace.finish() }
    let directions = v.tensors
    var k = 0
    var traced = x
    traced.updateTensors { leaf in
        require(k < directions.count, "\(op): the tangent has fewer tensors (\(directions.count)) than the point")
        require(leaf.dtype.isFloatingPoint, "\(op): can only differentiate with respect to floating-point tensors, got \(leaf.dtype) of shape \(leaf.shape)")
        let d = directions[k]
        require(d.shape == leaf.shape, "\(op): tangent of shape \(d.shape) does not match the argument of shape \(leaf.shape) (leaf \(k))")
        leaf = trace.record(leaf, tangent: d.cast(to: leaf.dtype))
        k += 1
    }
    require(k == directions.count, "\(op): the tangent has more tensors (\(directions.count)) than the point (\(k))")
    let out = f(traced)
    var tangent = out
    tangent.updateTensors { $0 = $0.tangent(at: trace) }
    var value = out
    value.updateTensors { $0 = $0.unwrapped(at: trace.level).0 }
    return (value, tangent)
}

extension Tensor {
    /// The tangent of this value at the forward trace `trace` (zeros if it does not depend on the
    /// trace's inputs).
    func tangent(at trace: Trace) -> Tensor {
        let t = strippingDeadTraces
        if let n = t.node, n.level == trace.level { return n.tangent }
        return Tensor.zeros(like: t.primalData)
    }
}

/// The Jacobian–vector product of `f` (forward mode): a function of a point `x` and a direction `v`
/// (shaped like `x`) returning `f(x)` and the directional derivative `J·v = d/dε f(x + ε v)` at
/// ε = 0, shaped like `f(x)`.
///
/// It costs about one extra evaluation of `f` per call, with no tape, whatever the number of outputs;
/// prefer it to ``vjp(_:)`` when outputs outnumber inputs. It nests with every other operator:
/// `jvp(grad(f))` is a Hessian–vector product (see ``hvp(_:)``).
///
/// ```swift
/// let (y, dy) = jvp { (x: Tensor) in sin(x) * x }(Tensor([1.0, 2.0]), Tensor([1.0, 0.0]))
/// // dy = [cos(1)·1 + sin(1), 0]
/// ```
///
/// `x` and `v` may be any ``ParameterTree`` of the same structure; the output may be a tensor or any
/// tree of tensors, and the tangent has the output's structure.
public func jvp<P: ParameterTree, Q: ParameterTree>(_ f: @escaping (P) -> Q) -> (P, P) -> (value: Q, tangent: Q) {
    { x, v in forwardDifferentiate(x, v, f, op: "jvp") }
}

/// The derivative of a function of one tensor, computed in forward mode: `deriv(f)(x)` is the
/// tangent of `f` at `x` in the direction of all ones, so for an elementwise `f` it is the
/// elementwise derivative `f′(x)`. Nest it for higher derivatives: `deriv(deriv(deriv(f)))`.
///
/// ```swift
/// deriv(sin)(Tensor(1.0))           // cos(1)
/// ```
public func deriv(_ f: @escaping (Tensor) -> Tensor) -> (Tensor) -> Tensor {
    { x in forwardDifferentiate(x, Tensor.ones(like: x.primalData), f, op: "deriv").tangent }
}

/// The derivative of a scalar function at a Swift number, in forward mode: `deriv(tanh)(0.5)`.
public func deriv<T: TensorFloat>(_ f: @escaping (Tensor) -> Tensor) -> (T) -> T {
    { x in
        let t = Tensor(x)
        let d = forwardDifferentiate(t, Tensor.ones(like: t), f, op: "deriv").tangent
        require(d.count == 1, "deriv: the function must return a single value to give a number, got shape \(d.shape)")
        return T(fromDouble: d.scalar)
    }
}
