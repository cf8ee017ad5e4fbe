// Gradient checkpointing: trade compute for memory by recomputing a segment during the backward
// pass instead of keeping its intermediate values on the tape.

/// `f` as one opaque step of the tape: calling the result records a single node holding only the
/// argument and the output; the values inside `f` are not kept. When a gradient flows back, `f` is
/// run again under a fresh trace to obtain its VJP (and likewise its JVP in forward mode).
///
/// Splitting a deep computation into k checkpointed segments keeps about k boundary values plus one
/// segment's intermediates alive, instead of every intermediate, at the price of one extra forward
/// pass. The recomputation is itself differentiable, so checkpointed code still has derivatives of
/// any order.
///
/// ```swift
/// let block = checkpoint { (h: Tensor) in (0..<20).reduce(h) { h, _ in tanh(matmul(h, w)) } }
/// let loss = grad { (x: Tensor) in block(block(x)).sum() }
/// ```
///
/// `f` must depend on the values being differentiated only through its argument (any
/// ``ParameterTree``): a traced value captured by the closure would bypass the checkpoint and is
/// reported as an error. Pass weights as part of the argument instead.
public func checkpoint<P: ParameterTree>(_ f: @escaping (P) -> Tensor) -> (P) -> Tensor {
    { x in
        let template = x
        let rebuild = { (leaves: [Tensor]) -> P in
            var k = 0
            var p = template
            p.updateTensors { leaf in
                leaf = leaves[k]
                k += 1
            }
            return p
        }
        // The primitive lives for this call only and runs on this thread, so the non-Sendable
        // function may be captured.
        // Stateful random draws (dropout masks) made by the forward pass are replayed by every
        // recomputation, so it computes the same function.
        let draws = DrawLog()
        let segment = SegmentFunction(run: { f(rebuild($0)) })
        let primitive = NaryPrimitive("checkpoint",
            forward: { leaves in draws.run(.record) { segment.run(leaves) } },
            vjp: { g, _, leaves, i in
                // Recompute the segment under a fresh trace and pull the cotangent back.
                draws.run(.replay) { vjp { (args: [Tensor]) in segment.run(args) }(leaves).pullback(g)[i] }
            },
            jvp: { tangents, _, leaves in
                let v = zip(tangents, leaves).map { $0 ?? Tensor.zeros(like: $1.primalData) }
                return draws.run(.replay) {
                    forwardDifferentiate(leaves, v, { (args: [Tensor]) in segment.run(args) }, op: "checkpoint").tangent
                }
            })
        return primitive(x.tensors)
    }
}

/// A checkpointed segment as a function of its argument's leaves.
private struct SegmentFunction: @unchecked Sendable {
    let run: ([Tensor]) -> Tensor
}
