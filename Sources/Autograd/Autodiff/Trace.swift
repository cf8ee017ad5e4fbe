import Synchronization

/// Source of unique, increasing trace levels: a trace opened inside another gets a higher level,
/// so an op whose arguments belong to several traces records on the innermost one first.
private let traceLevels = Atomic<Int>(0)

/// One level of differentiation.
///
/// A *reverse* trace records the tape of nodes created while the differentiated function runs, in
/// creation order (which is already a topological order), for a backward pass. A *forward* trace
/// carries a tangent beside each value instead (a ``TangentNode``): every op computes its result's
/// tangent from its arguments' tangents with the primitive's JVP as it runs, and nothing is
/// walked backwards (its nodes are kept only so that ``finish()`` can turn escaped values into
/// constants).
///
/// A value traced at this level is a ``Tensor`` whose `node` belongs to this trace; the node keeps
/// the value one level down (its *primal*, itself possibly traced by an outer level). Ops unwrap
/// their arguments at the innermost level, compute on the primals (recording on outer levels as
/// they go), and wrap the result in a new node. Because each level only ever sees its own nodes,
/// nested derivatives never mix up (no perturbation confusion).
final class Trace: @unchecked Sendable {
    let level: Int
    /// Whether this trace carries tangents forward (forward mode) rather than recording a tape.
    let isForward: Bool
    @exclusivity(unchecked) var isActive = true
    @exclusivity(unchecked) var nodes: [Node] = []
    /// The primitives the nodes use, each held once per trace (nodes refer to them unretained).
    @exclusivity(unchecked) var primitives: [AnyObject] = []

    /// The inputs `0..<sinkCount` are *gradient sinks*: parameters that take `scale · gradient` in
    /// place after the pass (``addGradient(of:scaledBy:to:)``). `sinkMemory` holds their memory.
    @exclusivity(unchecked) var sinkCount = 0
    @exclusivity(unchecked) var sinkMemory: [UnsafeMutableRawPointer] = []
    /// The contributions to sinks whose fused rules run after the pass, when nothing reads the
    /// parameters any more.
    @exclusivity(unchecked) var deferred: [(node: Node, g: Tensor, argument: Int, slot: Int)] = []

    init(forward: Bool = false) {
        level = traceLevels.add(1, ordering: .relaxed).newValue
        isForward = forward
        nodes.reserveCapacity(64)
        primitives.reserveCapacity(8)
    }

    /// Records `primal` as a value of this forward trace with tangent `tangent`.
    @inline(__always)
    func record(_ primal: Tensor, tangent: Tensor) -> Tensor {
        record(TangentNode(trace: self, index: nodes.count, primal: primal, tangent: tangent), primal)
    }

    /// Marks `value` as an input of the differentiated function.
    func makeInput(_ value: Tensor) -> Tensor {
        record(Node(trace: self, index: nodes.count, primal: value), value)
    }

    /// Appends `node` and returns the traced tensor it stands for.
    @inline(__always)
    func record(_ node: Node, _ primal: Tensor) -> Tensor {
        nodes.append(node)
        return Tensor(buffer: primal.buffer, node: node)
    }

    /// Appends `node` and returns the traced tensor it stands for, sharing the node's primal buffer
    /// (the result was moved into the node, so it is not copied and released again).
    @inline(__always)
    func record(_ node: Node) -> Tensor {
        nodes.append(node)
        return Tensor(buffer: node.primal.buffer, node: node)
    }

    /// Runs the backward pass from `output` (which must have one element) and returns the
    /// cotangent of every node (`nil` where no gradient flowed). With `releasingTape` the pass
    /// consumes the tape (each node is marked dead and freed once it has propagated): for
    /// differential operators that run one backward pass and then finish the trace.
    func backward(from output: Tensor, seed: Tensor? = nil, releasingTape: Bool = false) -> [Tensor?] {
        var cotangents = [Tensor?](repeating: nil, count: nodes.count)
        guard let root = output.node, root.isLive, root.level == level else { return cotangents }
        let start = root.index
        let rootSeed = seed ?? Tensor.ones(like: root.primal.primalData)
        // The nodes write into the cotangent slots through a pointer: no uniqueness check or copy
        // of the array per access. (VJPs record on outer traces only, so the tape does not grow.)
        cotangents.withUnsafeMutableBufferPointer { slots in
            let c = slots.baseAddress.unsafelyUnwrapped
            c[start] = rootSeed
            if releasingTape {
                // Nothing flows from values computed after the output.
                while nodes.count > start + 1 { nodes.removeLast().isLive = false }
            }
            var i = start
            while i >= 0 {
                // A one-shot backward pass frees each node as soon as it has propagated: its
                // memory is reused by the allocations of the next VJPs instead of being freed all
                // at once at the end (which overflows the allocator's per-thread caches).
                var node = releasingTape ? nodes.removeLast() : nodes[i]
                if !node.isInput, let g = c[i].take() {
                    node.propagate(g, into: c)
                    g.recycle()
                }
                if releasingTape {
                    node.isLive = false
                    // The node dies at the end of this iteration, before anything is allocated.
                    if isKnownUniquelyReferenced(&node) { node.recycleBuffers() }
                }
                _ = consume node
                i -= 1
            }
        }
        return cotangents
    }

    /// Keeps argument `argument`'s contribution of `node` (cotangent `g`) for after the pass if it
    /// goes to a gradient sink and nothing the fused rule reads shares a sink's memory (a
    /// parameter updated before the rule ran would change what it computes).
    /// `reads` are the arguments the rule reads besides `g` and the node's result.
    @inline(__always)
    func deferContribution(_ node: Node, _ g: Tensor, reads: [Tensor], argument: Int, slot: Int) -> Bool {
        guard slot < sinkCount else { return false }
        func isSink(_ t: Tensor) -> Bool { sinkMemory.contains(t.buffer.layout.pointee.base) }
        if isSink(g) || isSink(node.primal) || reads.contains(where: isSink) { return false }
        deferred.append((node, g, argument, slot))
        return true
    }

    /// Ends the trace: its values become constants and the tape's memory is released.
    func finish() {
        isActive = false
        deferred = []
        for node in nodes { node.isLive = false }
        nodes = []
    }
}

/// A value recorded in a ``Trace``. The base class stands for an input of the differentiated
/// function; subclasses record how a value was computed and how to propagate its cotangent.
class Node: @unchecked Sendable {
    /// The trace this node belongs to. Only touched while the node is live, and a trace outlives
    /// its live nodes (it marks them dead when it finishes), so no reference count is needed.
    let traceReference: Unmanaged<Trace>
    /// The trace (read without reference counting: ops read it once per recorded value).
    @inline(__always) var trace: Trace { traceReference.takeUnretainedValue() }
    /// The trace's level, copied here so that ops read it without touching the trace.
    let level: Int
    let index: Int
    /// The value one level down.
    let primal: Tensor
    /// Whether the node's trace is still recording.
    @exclusivity(unchecked) var isLive = true

    init(trace: Trace, index: Int, primal: Tensor, isInput: Bool = true) {
        self.traceReference = Unmanaged.passUnretained(trace)
        self.level = trace.level
        self.index = index
        self.primal = primal
        self.isInput = isInput
    }

    /// A node of the same trace as `sibling` (no reference counting on the trace).
    init(traceOf sibling: Node, index: Int, primal: Tensor) {
        self.traceReference = sibling.traceReference
        self.level = sibling.level
        self.index = index
        self.primal = primal
        self.isInput = false
    }

    /// Whether this node's trace carries tangents (read without reference counting).
    @inline(__always) var isForward: Bool { traceReference._withUnsafeGuaranteedRef { $0.isForward } }

    /// The index the next value recorded on this node's trace gets.
    @inline(__always) var nextIndex: Int { traceReference._withUnsafeGuaranteedRef { $0.nodes.count } }

    /// Makes this node's trace hold `op` until it is freed, so that its nodes may refer to `op`
    /// without reference counting. `lastTrace` (a field of the op) remembers the last trace that
    /// did: a trace's level is unique, so a match means this trace holds it already (and a race
    /// between threads only adds a redundant reference).
    @inline(__always) func keepAlive(_ op: AnyObject, lastTrace: borrowing Atomic<Int>) {
        if lastTrace.load(ordering: .relaxed) == level { return }
        lastTrace.store(level, ordering: .relaxed)
        traceReference._withUnsafeGuaranteedRef { $0.primitives.append(op) }
    }

    /// Records `node` on this node's trace and returns the traced tensor it stands for.
    @inline(__always) func recordOnTrace(_ node: Node) -> Tensor {
        traceReference._withUnsafeGuaranteedRef { $0.record(node) }
    }

    /// Whether this node is an input (it has nothing to propagate to).
    let isInput: Bool

    /// Hands the one-element buffers that only this node holds to the ``ObjectCache``. Called on a
    /// node the caller holds the only reference to and releases right after, before any tensor
    /// is allocated (the cache may hand a buffer out again as soon as the node has let go).
    func recycleBuffers() { primal.recycleIfLastReference() }

    /// Adds the contribution of cotangent `g` of this node to the cotangents of its parents (the
    /// slots of the backward pass, indexed by node index).
    func propagate(_ g: Tensor, into cotangents: UnsafeMutablePointer<Tensor?>) {}

    /// Adds `scale` times argument `argument`'s contribution of cotangent `g` to `target` in place
    /// (a contribution ``Trace/deferContribution(_:_:reads:argument:slot:)`` kept for after the
    /// pass). Only nodes of primitives with scaled accumulate rules are ever deferred.
    func addContribution(_ g: Tensor, argument: Int, scaledBy scale: Double, to target: Tensor) {
        fatalError("\(opName): no deferred contribution")
    }

    /// A description for error messages and graph dumps.
    var opName: String { "input" }
}

/// A value of a forward trace: its primal and its tangent (both possibly traced by outer levels).
final class TangentNode: Node, @unchecked Sendable {
    let storedTangent: Tensor

    init(trace: Trace, index: Int, primal: Tensor, tangent: Tensor) {
        self.storedTangent = tangent
        super.init(trace: trace, index: index, primal: primal)
    }

    override var opName: String { "tangent" }
}

extension Node {
    /// The tangent of a value of a forward trace.
    @inline(__always)
    var tangent: Tensor { unsafeDowncast(self, to: TangentNode.self).storedTangent }
}

/// Adds `g` to the cotangent slot `index` (nothing for a constant argument, `index < 0`).
func accumulate(_ g: consuming Tensor, at index: Int, into cotangents: UnsafeMutablePointer<Tensor?>) {
    if index < 0 { return }
    guard var old = cotangents[index].take() else {
        cotangents[index] = g
        return
    }
    var new = g
    // Sum in place into whichever operand is an untraced buffer nobody else holds (the running
    // total, or a fresh contribution): no allocation and one memory pass fewer.
    if old.node == nil, new.node == nil, old.dtype == new.dtype, old.shape == new.shape {
        if old.buffer.layout.pointee.owner == nil, isKnownUniquelyReferenced(&old.buffer) {
            Kernels.addInPlace(old, new)
            cotangents[index] = old
            new.recycle()
            return
        }
        if new.isContiguous, new.buffer.layout.pointee.owner == nil, isKnownUniquelyReferenced(&new.buffer) {
            Kernels.addInPlace(new, old)
            cotangents[index] = new
            old.recycle()
            return
        }
    }
    cotangents[index] = old.addingCotangent(new)
    old.recycle()
    new.recycle()
}

extension Tensor {
    /// The level of this tensor's node, read in place (no reference counting): 0 for a constant,
    /// -1 if the node belongs to a finished trace (strip it with ``strippingDeadTraces``).
    @inline(__always)
    var quickLevel: Int {
        guard let n = node else { return 0 }
        return n.isLive ? n.level : -1
    }

    /// This tensor's node if its trace is live, stripping links to finished traces.
    @inline(__always)
    var liveNode: Node? {
        guard let n = node else { return nil }
        if n.isLive { return n }
        return strippingDeadTraces.node
    }

    /// The innermost live trace level of this tensor (0 for a constant), stripping links to
    /// finished traces.
    var liveLevel: Int {
        guard let n = node else { return 0 }
        if n.isLive { return n.level }
        return n.primal.liveLevel
    }

    /// This tensor with links to finished traces removed from the top.
    var strippingDeadTraces: Tensor {
        var t = self
        while let n = t.node, !n.isLive { t = n.primal }
        return t
    }

    /// The value one level below `level` (self if this tensor is not traced at `level`), and the
    /// index of its node at that level (-1 if none).
    func unwrapped(at level: Int) -> (Tensor, Int) {
        let t = strippingDeadTraces
        if let n = t.node, n.level == level { return (n.primal, n.index) }
        return (t, -1)
    }

    /// Sum of two cotangents of the same shape.
    func addingCotangent(_ other: Tensor) -> Tensor { self + other }
}

/// Fused cotangent sums: when a value's cotangent already holds a contribution that nobody else
/// shares, a primitive that declares an `accumulate` rule adds its VJP to it in one memory pass
/// (`dx += g·y` instead of `t = g·y; dx += t`), for large elementwise work such as W8.
///
/// Only a backward pass that is not itself being differentiated uses it (every value involved is
/// untraced); under higher-order differentiation the VJP written in differentiable ops runs, as
/// always. The rules are kernels with the same arithmetic as the VJP they stand for.
enum FusedAccumulation {
    /// Whether the cotangent is large enough to gain and the tensors a rule reads are all untraced
    /// (a first-order backward pass).
    @inline(__always)
    static func applies(_ g: Tensor, _ ans: Tensor, _ x: Tensor, _ y: Tensor) -> Bool {
        g.count >= minimumCount && g.node == nil && ans.node == nil && x.node == nil && y.node == nil
            && isEnabled.load(ordering: .relaxed)
    }

    /// Switches the fused rules off (for measuring them, and for tests that compare both forms;
    /// the results are bit-identical).
    static let isEnabled = Atomic<Bool>(true)

    /// Runs `body` on cotangent slot `index` if it holds an untraced, contiguous tensor of `arg`'s
    /// shape and dtype that owns its memory and nobody else holds; returns whether `body` added
    /// the contribution (false leaves the slot as it was).
    @inline(__always)
    static func intoSlot(_ index: Int, shapedLike arg: Tensor, _ cotangents: UnsafeMutablePointer<Tensor?>,
                         _ body: (Tensor) -> Bool) -> Bool {
        guard index >= 0, var slot = cotangents[index].take() else { return false }
        defer { cotangents[index] = slot }
        guard slot.node == nil, slot.isContiguous, slot.dtype == arg.dtype,
              slot.buffer.layout.pointee.owner == nil, slot.shape == arg.shape,
              isKnownUniquelyReferenced(&slot.buffer) else { return false }
        return body(slot)
    }

    /// Below this many elements the two-pass form costs no more (it is cache-resident).
    static let minimumCount = 1 << 12
}
