// A gradient step fused into the backward pass: `params += scale · ∇f(params)` in place.

/// Adds `scale · ∇f(params)` to `params` in place and returns `f(params)` from before the update:
/// one gradient-descent step when `scale` is minus the learning rate.
///
/// ```swift
/// for _ in 0..<100 {
///     let loss = addGradient(of: { p in lossW4(p, x, labels) }, scaledBy: -0.01, to: &params)
/// }
/// ```
///
/// The result is that of `valueAndGrad(f)(params)` followed by `params[k].addProduct(scale, g[k])`
/// for every leaf, up to the order of floating-point sums. The difference is that where a layer can
/// add its contribution into the parameter itself, no gradient tensor is made. For a ``linear(_:weight:bias:)`` or 2-d `matmul`
/// weight the step becomes a single GEMM, `W ← W + scale·xᵀg`. That saves a gradient buffer, a zeroing
/// pass and a separate update pass over `W`. These in-place contributions run after the backward pass,
/// so every derivative is computed from the parameters' values before the step.
///
/// Value semantics are kept. A leaf whose memory is shared with another tensor (a copy the caller
/// kept, a view) is copied before it is updated, as ``Tensor/addProduct(_:_:)`` does. When a leaf is
/// itself being differentiated by an outer `grad`, the step is the ordinary
/// differentiable `p + scale·g`. Leaves the current traversal hides (see ``ParameterTraversal``)
/// are neither differentiated nor updated. The output of `f` must have one element.
@discardableResult
public func addGradient<P: ParameterTree>(of f: (P) -> Tensor, scaledBy scale: Double, to params: inout P) -> Tensor {
    addScaledGradient(to: &params, scale: scale, of: f, trainableOnly: false, op: "addGradient")
}

/// ``addGradient(of:scaledBy:to:)``, optionally limited to the trainable leaves (only the marking
/// of inputs and the update are; `f` runs in the caller's traversal context).
func addScaledGradient<P: ParameterTree>(to params: inout P, scale: Double, of f: (P) -> Tensor,
                                         trainableOnly: Bool, op: String) -> Tensor {
    func traverse(_ body: () -> Void) {
        if trainableOnly { ParameterTraversal.trainable(body) } else { body() }
    }
    // In place only when no leaf is traced by an outer differentiation; each leaf then gets memory
    // of its own (a copy if it shares it), so writing into it changes nothing else.
    var inPlace = true
    traverse { params.forEachNamedTensor(prefix: "") { _, t in if t.node != nil { inPlace = false } } }
    if inPlace {
        traverse {
            params.updateTensors { leaf in
                if !leaf.ownsUniqueMemory { leaf = Kernels.copyToContiguous(leaf) }
            }
        }
    }

    let trace = Trace()
    defer { trace.finish() }
    var traced = params
    var inputs: [Int] = []
    traverse { (traced, inputs) = trace.markInputs(of: params, op: op) }
    // The inputs (all leaves but frozen ones) are the trace's first nodes, in order: the sinks are
    // nodes 0..<n.
    let sinks = inputs.filter { $0 >= 0 }
    assert(sinks == Array(sinks.indices), "the inputs of a fresh trace are its first nodes")
    let targets = sinks.map { trace.nodes[$0].primal }
    if inPlace {
        trace.sinkCount = sinks.count
        trace.sinkMemory = targets.map { $0.buffer.layout.pointee.base }
    }
    let out = f(traced)
    require(out.count == 1, "\(op): the function must return a single value (one element) to be differentiated, got shape \(out.shape)")
    var cotangents = trace.backward(from: out, releasingTape: true)
    var value = out.unwrapped(at: trace.level).0

    if !inPlace {
        var k = 0
        traverse {
            params.updateTensors { leaf in
                if inputs[k] >= 0, let g = cotangents[inputs[k]] { leaf.addProduct(scale, g) }
                k += 1
            }
        }
        return value
    }
    // Nothing handed out or still to be read may share a parameter's memory once it changes.
    func isSink(_ t: Tensor) -> Bool { trace.sinkMemory.contains(t.buffer.layout.pointee.base) }
    if isSink(value) { value = Kernels.copyToContiguous(value) }
    for k in sinks.indices {
        if let g = cotangents[k], isSink(g) { cotangents[k] = Kernels.copyToContiguous(g) }
    }
    for k in sinks.indices {
        if let g = cotangents[k] { Kernels.addProductInPlace(targets[k], scale, g) }
    }
    for entry in trace.deferred {
        entry.node.addContribution(entry.g, argument: entry.argument, scaledBy: scale, to: targets[entry.slot])
    }
    trace.deferred = []
    return value
}
