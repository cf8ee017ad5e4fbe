import Synchronization

/// A differentiable operation of one tensor argument, declared once: its forward computation, its
/// vector–Jacobian product and (optionally) its Jacobian–vector product, side by side.
///
/// The forward function receives plain (untraced) tensors and calls kernels. The VJP receives the
/// output cotangent `g`, the forward result `ans` and the argument `x`, and must be written with
/// differentiable ops, so that the derivative of a derivative needs no extra code.
///
/// ```swift
/// let logsumexp = UnaryPrimitive("logsumexp",
///     forward: { x in x.max() + log(exp(x - x.max()).sum()) },
///     vjp: { g, ans, x in g * exp(x - ans) })
/// let y = logsumexp(x)
/// ```
///
/// Pass `vjp: nil` for an operation with no gradient: using it under differentiation then stops
/// with a message naming the op, at the point a gradient would have to flow through it.
public final class UnaryPrimitive: Sendable {
    /// The op's name, used in error messages and graph dumps.
    public let name: String
    /// The level of the last trace that took a reference to this op (see ``Node/keepAlive(_:lastTrace:)``).
    let lastTrace = Atomic<Int>(0)
    let forward: @Sendable (Tensor) -> Tensor
    let vjp: (@Sendable (_ g: Tensor, _ ans: Tensor, _ x: Tensor) -> Tensor)?
    let jvp: (@Sendable (_ dx: Tensor, _ ans: Tensor, _ x: Tensor) -> Tensor)?

    /// Declares a primitive.
    /// - Parameters:
    ///   - name: the op's name, for messages.
    ///   - forward: computes the result from an untraced argument.
    ///   - vjp: maps the result's cotangent `g` to the argument's, given the result `ans` and the
    ///     argument `x`; written in differentiable ops. `nil` if the op has no gradient.
    ///   - jvp: maps the argument's tangent `dx` to the result's (for forward mode).
    public convenience init(
        _ name: String,
        forward: @escaping @Sendable (Tensor) -> Tensor,
        vjp: (@Sendable (_ g: Tensor, _ ans: Tensor, _ x: Tensor) -> Tensor)?,
        jvp: (@Sendable (_ dx: Tensor, _ ans: Tensor, _ x: Tensor) -> Tensor)? = nil
    ) {
        self.init(name, forward: forward, vjp: vjp, jvp: jvp, accumulate: nil)
    }

    /// A primitive that can also add its VJP straight into an existing cotangent (see
    /// ``FusedAccumulation``).
    init(
        _ name: String,
        forward: @escaping @Sendable (Tensor) -> Tensor,
        vjp: (@Sendable (_ g: Tensor, _ ans: Tensor, _ x: Tensor) -> Tensor)?,
        jvp: (@Sendable (_ dx: Tensor, _ ans: Tensor, _ x: Tensor) -> Tensor)?,
        accumulate: (@Sendable (_ into: Tensor, _ g: Tensor, _ ans: Tensor, _ x: Tensor) -> Bool)?
    ) {
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.jvp = jvp
        self.accumulate = accumulate
    }

    /// Adds the VJP to `into` in place, in one pass, if the layouts allow (``FusedAccumulation``).
    let accumulate: (@Sendable (_ into: Tensor, _ g: Tensor, _ ans: Tensor, _ x: Tensor) -> Bool)?

    /// Applies the op, recording it on the innermost trace `x` belongs to.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if x.node == nil { return forward(x) }
        return applyTraced(x)
    }

    func applyTraced(_ x: Tensor) -> Tensor {
        // Read the node in place: a dead link (a value of a finished trace) takes the slow path.
        let level = x.quickLevel
        if level <= 0 { return self(x.strippingDeadTraces) }
        let n = x.node.unsafelyUnwrapped
        let ans = self(n.primal)
        guard ans.dtype.isFloatingPoint else { return ans }
        checkForwardResult(ans, n.level, name)
        if n.isForward {
            guard let jvp else { missingTangent(name, [n.primal.shape]) }
            return n.trace.record(ans, tangent: jvp(n.tangent, ans, n.primal).asTangent(of: ans, op: name))
        }
        n.keepAlive(self, lastTrace: lastTrace)
        return n.recordOnTrace(UnaryNode(op: self, x: n.primal, parent: n.index, traceOf: n, index: n.nextIndex, primal: consume ans))
    }
}

/// A differentiable operation of two tensor arguments, with NumPy broadcasting.
///
/// Each VJP may return a cotangent of the broadcast (result) shape; the engine sums it back to the
/// argument's shape, in one place for every op.
public final class BinaryPrimitive: Sendable {
    /// The op's name, used in error messages and graph dumps.
    public let name: String
    /// The level of the last trace that took a reference to this op (see ``Node/keepAlive(_:lastTrace:)``).
    let lastTrace = Atomic<Int>(0)
    let forward: @Sendable (Tensor, Tensor) -> Tensor
    let vjpLhs: (@Sendable (_ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)?
    let vjpRhs: (@Sendable (_ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)?
    let jvp: (@Sendable (_ dx: Tensor?, _ dy: Tensor?, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)?

    /// Declares a binary primitive.
    /// - Parameters:
    ///   - name: the op's name, for messages.
    ///   - forward: computes the result from untraced arguments.
    ///   - vjpLhs: the cotangent of the first argument, from the result's cotangent `g`, the result
    ///     `ans` and both arguments; `nil` if there is no gradient for it.
    ///   - vjpRhs: the same for the second argument.
    ///   - jvp: the result's tangent from the arguments' tangents (`nil` meaning zero).
    public convenience init(
        _ name: String,
        forward: @escaping @Sendable (Tensor, Tensor) -> Tensor,
        vjpLhs: (@Sendable (_ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)?,
        vjpRhs: (@Sendable (_ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)?,
        jvp: (@Sendable (_ dx: Tensor?, _ dy: Tensor?, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)? = nil
    ) {
        self.init(name, forward: forward, vjpLhs: vjpLhs, vjpRhs: vjpRhs, jvp: jvp, accumulateLhs: nil, accumulateRhs: nil)
    }

    /// A primitive that can also add its VJPs straight into existing cotangents (see
    /// ``FusedAccumulation``).
    init(
        _ name: String,
        forward: @escaping @Sendable (Tensor, Tensor) -> Tensor,
        vjpLhs: (@Sendable (_ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)?,
        vjpRhs: (@Sendable (_ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)?,
        jvp: (@Sendable (_ dx: Tensor?, _ dy: Tensor?, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)?,
        accumulateLhs: (@Sendable (_ into: Tensor, _ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Bool)?,
        accumulateRhs: (@Sendable (_ into: Tensor, _ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Bool)?,
        addScaledLhs: ScaledBinaryAccumulation? = nil,
        addScaledRhs: ScaledBinaryAccumulation? = nil
    ) {
        self.name = name
        self.forward = forward
        self.vjpLhs = vjpLhs
        self.vjpRhs = vjpRhs
        self.jvp = jvp
        self.accumulateLhs = accumulateLhs
        self.accumulateRhs = accumulateRhs
        self.addScaledLhs = addScaledLhs
        self.addScaledRhs = addScaledRhs
    }

    /// A primitive whose VJPs can be added, times a scale, straight into an existing tensor: a
    /// running cotangent, or a parameter updated in place (``addGradient(of:scaledBy:to:)``).
    /// The rule for one argument may read the other argument, `g` and the result, but never its
    /// own argument (which may be the tensor it writes).
    convenience init(
        _ name: String,
        forward: @escaping @Sendable (Tensor, Tensor) -> Tensor,
        vjpLhs: (@Sendable (_ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)?,
        vjpRhs: (@Sendable (_ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)?,
        jvp: (@Sendable (_ dx: Tensor?, _ dy: Tensor?, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)?,
        addScaledLhs: @escaping ScaledBinaryAccumulation,
        addScaledRhs: @escaping ScaledBinaryAccumulation
    ) {
        self.init(name, forward: forward, vjpLhs: vjpLhs, vjpRhs: vjpRhs, jvp: jvp,
                  accumulateLhs: { addScaledLhs($0, 1, $1, $2, $3, $4) }, accumulateRhs: { addScaledRhs($0, 1, $1, $2, $3, $4) },
                  addScaledLhs: addScaledLhs, addScaledRhs: addScaledRhs)
    }

    /// `into += scale · vjp(g, ans, x, y)` in place on untraced values; false (touching nothing)
    /// when the layouts do not allow it.
    typealias ScaledBinaryAccumulation = @Sendable (_ into: Tensor, _ scale: Double, _ g: Tensor, _ ans: Tensor,
                                                    _ x: Tensor, _ y: Tensor) -> Bool
    /// The scaled rules, for gradient sinks (``Trace/deferContribution(_:_:reads:argument:slot:)``).
    let addScaledLhs, addScaledRhs: ScaledBinaryAccumulation?

    /// Add the VJPs to `into` in place, in one pass, if the layouts allow (``FusedAccumulation``).
    let accumulateLhs, accumulateRhs: (@Sendable (_ into: Tensor, _ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Bool)?

    /// Applies the op, recording it on the innermost trace either argument belongs to.
    public func callAsFunction(_ x: Tensor, _ y: Tensor) -> Tensor {
        if x.node == nil && y.node == nil { return forward(x, y) }
        return applyTraced(x, y)
    }

    func applyTraced(_ x: Tensor, _ y: Tensor) -> Tensor {
        // Levels read in place (no reference counting); a dead link (a value of a finished trace)
        // takes the slow path, which strips it and starts again.
        let lx = x.quickLevel, ly = y.quickLevel
        if lx < 0 || ly < 0 { return self(x.strippingDeadTraces, y.strippingDeadTraces) }
        if lx > ly { return applyTracedLhs(x.node.unsafelyUnwrapped, y) }
        if ly > lx { return applyTracedRhs(x, y.node.unsafelyUnwrapped) }
        return applyTracedBoth(x.node.unsafelyUnwrapped, y.node.unsafelyUnwrapped)
    }

    /// Records the op when only the first argument is traced at the innermost level.
    private func applyTracedLhs(_ n: Node, _ yp: Tensor) -> Tensor {
        let ans = self(n.primal, yp)
        guard ans.dtype.isFloatingPoint else { return ans }
        checkForwardResult(ans, n.level, name)
        if n.isForward {
            guard let jvp else { missingTangent(name, [n.primal.shape, yp.shape]) }
            return n.trace.record(ans, tangent: jvp(n.tangent, nil, ans, n.primal, yp).asTangent(of: ans, op: name))
        }
        n.keepAlive(self, lastTrace: lastTrace)
        return n.recordOnTrace(BinaryNode(op: self, x: n.primal, y: yp, px: n.index, py: -1, traceOf: n, index: n.nextIndex, primal: consume ans))
    }

    /// Records the op when only the second argument is traced at the innermost level.
    private func applyTracedRhs(_ xp: Tensor, _ m: Node) -> Tensor {
        let ans = self(xp, m.primal)
        guard ans.dtype.isFloatingPoint else { return ans }
        checkForwardResult(ans, m.level, name)
        if m.isForward {
            guard let jvp else { missingTangent(name, [xp.shape, m.primal.shape]) }
            return m.trace.record(ans, tangent: jvp(nil, m.tangent, ans, xp, m.primal).asTangent(of: ans, op: name))
        }
        m.keepAlive(self, lastTrace: lastTrace)
        return m.recordOnTrace(BinaryNode(op: self, x: xp, y: m.primal, px: -1, py: m.index, traceOf: m, index: m.nextIndex, primal: consume ans))
    }

    /// Records the op when both arguments are traced at the innermost level.
    private func applyTracedBoth(_ n: Node, _ m: Node) -> Tensor {
        let ans = self(n.primal, m.primal)
        guard ans.dtype.isFloatingPoint else { return ans }
        checkForwardResult(ans, n.level, name)
        if n.isForward {
            guard let jvp else { missingTangent(name, [n.primal.shape, m.primal.shape]) }
            return n.trace.record(ans, tangent: jvp(n.tangent, m.tangent, ans, n.primal, m.primal).asTangent(of: ans, op: name))
        }
        n.keepAlive(self, lastTrace: lastTrace)
        return n.recordOnTrace(BinaryNode(op: self, x: n.primal, y: m.primal, px: n.index, py: m.index, traceOf: n, index: n.nextIndex, primal: consume ans))
    }
}

/// A differentiable operation of any number of tensor arguments (`concat`, `stack`, `where`…).
public final class NaryPrimitive: Sendable {
    /// The op's name, used in error messages and graph dumps.
    public let name: String
    let forward: @Sendable ([Tensor]) -> Tensor
    let vjp: (@Sendable (_ g: Tensor, _ ans: Tensor, _ args: [Tensor], _ argument: Int) -> Tensor?)?
    let jvp: (@Sendable (_ tangents: [Tensor?], _ ans: Tensor, _ args: [Tensor]) -> Tensor)?

    /// Declares an n-ary primitive.
    /// - Parameters:
    ///   - vjp: the cotangent of argument number `argument`, or `nil` for a non-differentiable
    ///     argument (an index or a mask).
    public convenience init(
        _ name: String,
        forward: @escaping @Sendable ([Tensor]) -> Tensor,
        vjp: (@Sendable (_ g: Tensor, _ ans: Tensor, _ args: [Tensor], _ argument: Int) -> Tensor?)?,
        jvp: (@Sendable (_ tangents: [Tensor?], _ ans: Tensor, _ args: [Tensor]) -> Tensor)? = nil
    ) {
        self.init(name, forward: forward, vjp: vjp, jvp: jvp, accumulate: nil)
    }

    /// A primitive that can also add a multiple of its VJP straight into an existing tensor: a
    /// running cotangent (``FusedAccumulation``) or a parameter updated in place
    /// (``addGradient(of:scaledBy:to:)``).
    init(
        _ name: String,
        forward: @escaping @Sendable ([Tensor]) -> Tensor,
        vjp: (@Sendable (_ g: Tensor, _ ans: Tensor, _ args: [Tensor], _ argument: Int) -> Tensor?)?,
        jvp: (@Sendable (_ tangents: [Tensor?], _ ans: Tensor, _ args: [Tensor]) -> Tensor)?,
        accumulate: NaryAccumulation?
    ) {
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.jvp = jvp
        self.accumulate = accumulate
    }

    let accumulate: NaryAccumulation?

    /// Applies the op, recording it on the innermost trace any argument belongs to.
    public func callAsFunction(_ args: [Tensor]) -> Tensor {
        var level = 0
        for a in args where a.node != nil { level = Swift.max(level, a.liveLevel) }
        if level == 0 { return forward(args.map { $0.primalData }) }
        var primals = [Tensor](), parents = [Int](), tangents = [Tensor?]()
        primals.reserveCapacity(args.count)
        parents.reserveCapacity(args.count)
        var trace: Trace?
        for a in args {
            let (p, i) = a.unwrapped(at: level)
            primals.append(p)
            parents.append(i)
            if i >= 0 {
                let node = a.strippingDeadTraces.node!
                trace = node.trace
                tangents.append(node.trace.isForward ? node.tangent : nil)
            } else {
                tangents.append(nil)
            }
        }
        let ans = self(primals)
        guard ans.dtype.isFloatingPoint, let trace else { return ans }
        checkForwardResult(ans, trace.level, name)
        if trace.isForward {
            guard let jvp else { missingTangent(name, primals.map(\.shape)) }
            return trace.record(ans, tangent: jvp(tangents, ans, primals).asTangent(of: ans, op: name))
        }
        return trace.record(NaryNode(op: self, args: primals, parents: parents,
                                     trace: trace, index: trace.nodes.count, primal: consume ans))
    }

    /// Applies the op to the given arguments.
    public func callAsFunction(_ args: Tensor...) -> Tensor { self(args) }
}

func missingGradient(_ name: String, _ shapes: [[Int]]) -> Never {
    let described = shapes.map { "\($0)" }.joined(separator: ", ")
    fatalError("\(name): no gradient is defined for this op (arguments of shape \(described)), but a derivative flows through it; declare it with a vjp or wrap its input in stopGradient")
}

/// Traps if a primitive's forward function returned a value traced at the level being recorded
/// (it must compute on its untraced arguments; a traced value it captured would bypass the rule).
@inline(__always)
func checkForwardResult(_ ans: Tensor, _ level: Int, _ name: String) {
    if let n = ans.node, n.isLive, n.level >= level {
        fatalError("\(name): the forward function returned a value that depends on a traced value it captured rather than received as an argument (result shape \(ans.shape)); pass it as an argument")
    }
}

func missingTangent(_ name: String, _ shapes: [[Int]]) -> Never {
    let described = shapes.map { "\($0)" }.joined(separator: ", ")
    fatalError("\(name): no forward-mode rule (JVP) is defined for this op (arguments of shape \(described)), but a tangent flows through it; declare it with a jvp")
}

final class UnaryNode: Node, @unchecked Sendable {
    /// The op, kept alive by the trace (``Node/keepAlive(_:lastTrace:)``): no reference counting
    /// per node.
    let opReference: Unmanaged<UnaryPrimitive>
    var op: UnaryPrimitive { opReference.takeUnretainedValue() }
    let x: Tensor
    let parent: Int

    init(op: UnaryPrimitive, x: Tensor, parent: Int, traceOf sibling: Node, index: Int, primal: Tensor) {
        self.opReference = Unmanaged.passUnretained(op)
        self.x = x
        self.parent = parent
        super.init(traceOf: sibling, index: index, primal: primal)
    }

    override var opName: String { op.name }

    override func recycleBuffers() {
        primal.recycleIfLastReference()
        x.recycleIfLastReference()
    }

    override func propagate(_ g: Tensor, into cotangents: UnsafeMutablePointer<Tensor?>) {
        opReference._withUnsafeGuaranteedRef { op in
            if let fused = op.accumulate, FusedAccumulation.applies(g, primal, x, x),
               FusedAccumulation.intoSlot(parent, shapedLike: x, cotangents, { fused($0, g, primal, x) }) { return }
            guard let vjp = op.vjp else { missingGradient(op.name, [x.shape]) }
            accumulate(vjp(g, primal, x).reduced(toShapeOf: x, op: op.name), at: parent, into: cotangents)
        }
    }
}

final class BinaryNode: Node, @unchecked Sendable {
    /// The op, kept alive by the trace (``Node/keepAlive(_:lastTrace:)``): no reference counting
    /// per node.
    let opReference: Unmanaged<BinaryPrimitive>
    var op: BinaryPrimitive { opReference.takeUnretainedValue() }
    let x: Tensor, y: Tensor
    let px: Int, py: Int

    init(op: BinaryPrimitive, x: Tensor, y: Tensor, px: Int, py: Int, traceOf sibling: Node, index: Int, primal: Tensor) {
        self.opReference = Unmanaged.passUnretained(op)
        self.x = x
        self.y = y
        self.px = px
        self.py = py
        super.init(traceOf: sibling, index: index, primal: primal)
    }

    override var opName: String { op.name }

    override func recycleBuffers() {
        primal.recycleIfLastReference()
        x.recycleIfLastReference()
        y.recycleIfLastReference()
    }

    override func propagate(_ g: Tensor, into cotangents: UnsafeMutablePointer<Tensor?>) {
        opReference._withUnsafeGuaranteedRef { op in
            // A parameter updated in place (a gradient sink) takes a scaled rule's contribution
            // after the pass.
            let sinks = op.addScaledLhs != nil && g.node == nil && primal.node == nil && x.node == nil && y.node == nil
                && FusedAccumulation.isEnabled.load(ordering: .relaxed)
            let fusable = (op.accumulateLhs != nil || op.accumulateRhs != nil) && FusedAccumulation.applies(g, primal, x, y)
            if px >= 0 && !(sinks && traceReference._withUnsafeGuaranteedRef({
                $0.deferContribution(self, g, reads: [y], argument: 0, slot: px) })) {
                contribute(g, to: px, argument: x, fused: fusable ? op.accumulateLhs : nil, vjp: op.vjpLhs, op, cotangents)
            }
            if py >= 0 && !(sinks && traceReference._withUnsafeGuaranteedRef({
                $0.deferContribution(self, g, reads: [x], argument: 1, slot: py) })) {
                contribute(g, to: py, argument: y, fused: fusable ? op.accumulateRhs : nil, vjp: op.vjpRhs, op, cotangents)
            }
        }
    }

    override func addContribution(_ g: Tensor, argument: Int, scaledBy scale: Double, to target: Tensor) {
        opReference._withUnsafeGuaranteedRef { op in
            let lhs = argument == 0
            if let rule = lhs ? op.addScaledLhs : op.addScaledRhs, rule(target, scale, g, primal, x, y) { return }
            guard let vjp = lhs ? op.vjpLhs : op.vjpRhs else { missingGradient(op.name, [x.shape, y.shape]) }
            Kernels.addProductInPlace(target, scale, vjp(g, primal, x, y).reduced(toShapeOf: lhs ? x : y, op: op.name))
        }
    }

    /// Adds one argument's cotangent: through the fused rule if it applies, else the VJP.
    @inline(__always)
    private func contribute(
        _ g: Tensor, to slot: Int, argument: Tensor,
        fused: (@Sendable (_ into: Tensor, _ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Bool)?,
        vjp: (@Sendable (_ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor)?,
        _ op: BinaryPrimitive, _ cotangents: UnsafeMutablePointer<Tensor?>
    ) {
        if let fused, FusedAccumulation.intoSlot(slot, shapedLike: argument, cotangents, { fused($0, g, primal, x, y) }) {
            return
        }
        guard let vjp else { missingGradient(op.name, [x.shape, y.shape]) }
        accumulate(vjp(g, primal, x, y).reduced(toShapeOf: argument, op: op.name), at: slot, into: cotangents)
    }
}

/// The accumulate rule of an ``NaryPrimitive``: `add(into, scale, g, ans, args, argument)` does
/// `into += scale · vjp(g, ans, args, argument)` in place, on untraced values, where `into` is
/// contiguous, unshared, and has the argument's shape and dtype; it returns false (touching
/// nothing) when the layouts do not allow it, and the VJP runs instead.
///
/// `into` may be the memory of `args[argument]` itself (a parameter updated in place), so a rule
/// never reads its own argument; `reads[argument]` lists the other arguments it does read (`g` and
/// `ans` it may always read).
struct NaryAccumulation: Sendable {
    let reads: [[Int]]
    let add: @Sendable (_ into: Tensor, _ scale: Double, _ g: Tensor, _ ans: Tensor, _ args: [Tensor], _ argument: Int) -> Bool
}

final class NaryNode: Node, @unchecked Sendable {
    let op: NaryPrimitive
    let args: [Tensor]
    let parents: [Int]

    init(op: NaryPrimitive, args: [Tensor], parents: [Int], trace: Trace, index: Int, primal: Tensor) {
        self.op = op
        self.args = args
        self.parents = parents
        super.init(trace: trace, index: index, primal: primal, isInput: false)
    }

    override var opName: String { op.name }

    override func propagate(_ g: Tensor, into cotangents: UnsafeMutablePointer<Tensor?>) {
        let fused = op.accumulate != nil && g.node == nil && primal.node == nil && args.allSatisfy { $0.node == nil }
            && FusedAccumulation.isEnabled.load(ordering: .relaxed) ? op.accumulate : nil
        for (i, p) in parents.enumerated() where p >= 0 {
            if let fused {
                // A parameter updated in place takes the contribution after the pass; a running
                // cotangent takes it now.
                if traceReference._withUnsafeGuaranteedRef({
                    $0.deferContribution(self, g, reads: fused.reads[i].map { args[$0] }, argument: i, slot: p) }) { continue }
                if FusedAccumulation.intoSlot(p, shapedLike: args[i], cotangents, { fused.add($0, 1, g, primal, args, i) }) {
                    continue
                }
            }
            guard let vjp = op.vjp, let gi = vjp(g, primal, args, i) else { missingGradient(op.name, args.map(\.shape)) }
            accumulate(gi.reduced(toShapeOf: args[i], op: op.name), at: p, into: cotangents)
        }
    }

    /// Adds `scale` times argument `i`'s contribution of cotangent `g` to `target` in place: the
    /// fused rule when it applies, else the VJP and one in-place pass.
    override func addContribution(_ g: Tensor, argument i: Int, scaledBy scale: Double, to target: Tensor) {
        if let fused = op.accumulate, fused.add(target, scale, g, primal, args, i) { return }
        guard let vjp = op.vjp, let gi = vjp(g, primal, args, i) else { missingGradient(op.name, args.map(\.shape)) }
        Kernels.addProductInPlace(target, scale, gi.reduced(toShapeOf: args[i], op: op.name))
    }
}

extension Tensor {
    /// A tangent computed by a JVP rule, broadcast to the result's shape (a rule may return a
    /// tangent that broadcasts, e.g. when only a smaller argument carries one) and converted to its
    /// dtype.
    consuming func asTangent(of ans: Tensor, op: String) -> Tensor {
        var t = self
        if t.dtype != ans.dtype { t = t.cast(to: ans.dtype) }
        if t.shape != ans.shape { t = t.broadcast(to: ans.shape) }
        return t
    }

    /// Sums a cotangent produced at a broadcast shape back to the shape of `arg` (the one place where
    /// broadcasting is undone for every op).
    consuming func reduced(toShapeOf arg: Tensor, op: String) -> Tensor {
        if shape == arg.shape { return self }
        return sumToShape(arg.shape)
    }
}
