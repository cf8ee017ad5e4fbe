// The first-order optimizer protocol, its checkpointable state, and the matching of a gradient's
// leaves to the parameters' leaves that every optimizer shares.

/// A first-order optimizer: updates a parameter tree in place along a gradient of the same
/// structure (`Tensor`, `[Tensor]`, `[String: [Tensor]]`, a user struct — any ``ParameterTree``).
///
/// ```swift
/// var opt = Adam(learningRate: 1e-3)
/// for batch in batches {
///     let (loss, g) = valueAndGrad(model)(params, batch.x, batch.y)
///     opt.update(&params, along: g)
/// }
/// ```
///
/// The update rules and default hyper-parameters are those documented for `torch.optim`, so a
/// model tuned with PyTorch behaves the same here. Per-leaf state (moments, buffers) is kept by the
/// leaf's stable name (``ParameterTree/namedTensors``: `"W.0"`, `"encoder.weight"`), so a
/// gradient whose dictionaries iterate in a different order, or parameters rebuilt from a
/// checkpoint, still find their state. State is created at the first update.
///
/// Checkpoints: ``state`` is a flat `[String: Tensor]` map — keys `"<slot>.<leaf name>"` for
/// per-leaf tensors (`"m.W.0"`, `"v.W.0"`; just `"<slot>"` when the whole tree is one tensor) and
/// per-leaf counters (`"step.W.0"`, 0-d float64: as in PyTorch, each parameter counts its own
/// steps, so one that starts training later, e.g. when unfrozen, gets its own bias correction),
/// and plain names for tree-wide scalars — ready for a safetensors/npz writer;
/// ``loadState(_:for:)`` restores it after checking every key, shape and dtype.
public protocol Optimizer {
    /// The learning rate used by the next update (set it from a ``LearningRateSchedule`` to
    /// schedule it).
    var learningRate: Double { get set }

    /// Updates `params` in place by one step along `gradient`, which must have the same leaves
    /// (names, shapes and dtypes) as `params`.
    mutating func update<P: ParameterTree>(_ params: inout P, along gradient: P)

    /// Differentiates `loss` at `params`, updates `params` by one step, and returns the loss before
    /// the update. The default is `valueAndGrad` then ``update(_:along:)``; an optimizer
    /// may fuse the two (plain ``SGD`` adds the step into the parameters during the backward pass).
    @discardableResult
    mutating func step<P: ParameterTree>(_ params: inout P, loss: @escaping (P) -> Tensor) -> Tensor

    /// The optimizer's state as a flat map of named tensors (empty before the first update).
    /// Setting it directly skips validation; prefer ``loadState(_:for:)``.
    var state: [String: Tensor] { get set }

    /// The per-leaf state slots this configuration keeps (`["m", "v"]` for Adam).
    var slotNames: [String] { get }

    /// The tree-wide scalar (0-d float64) state entries this configuration keeps.
    var scalarStateNames: [String] { get }

    /// The per-leaf scalar (0-d float64) state entries this configuration keeps, as
    /// `"<name>.<leaf>"` (`["step"]` for ``Adam``). Default: none.
    var leafScalarNames: [String] { get }
}

/// A checkpointed optimizer state that does not fit the parameters it is loaded for.
public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
    /// A key the optimizer needs is not in the loaded state.
    case missingKey(String)
    /// The loaded state has a key this optimizer does not use for these parameters.
    case unexpectedKey(String)
    /// A tensor has the wrong shape or dtype for its key.
    case mismatch(key: String, expected: String, found: String)

    /// A one-line description naming the key.
    public var description: String {
        switch self {
        case .missingKey(let k): return "optimizer state: missing key \"\(k)\""
        case .unexpectedKey(let k): return "optimizer state: unexpected key \"\(k)\""
        case .mismatch(let k, let e, let f): return "optimizer state: \"\(k)\" should be \(e), found \(f)"
        }
    }
}

extension Optimizer {
    /// Differentiates `loss` at `params`, updates `params` along the gradient, and returns the loss
    /// before the update: one training step.
    ///
    /// ```swift
    /// var opt = SGD(learningRate: 0.1, momentum: 0.9)
    /// for _ in 0..<100 { opt.step(&params) { p in loss(p, x, y) } }
    /// ```
    @discardableResult
    public mutating func step<P: ParameterTree>(_ params: inout P, loss: @escaping (P) -> Tensor) -> Tensor {
        differentiateAndUpdate(&params, loss: loss)
    }

    /// No per-leaf scalars.
    public var leafScalarNames: [String] { [] }

    /// The unfused step: the gradient, then ``update(_:along:)``.
    mutating func differentiateAndUpdate<P: ParameterTree>(_ params: inout P, loss: @escaping (P) -> Tensor) -> Tensor {
        let (value, gradient) = valueAndGrad(loss)(params)
        update(&params, along: gradient)
        return value
    }

    /// The state keys with the shape and dtype each must have for `params`.
    public func expectedStateLayout<P: ParameterTree>(for params: P) -> [String: (shape: [Int], dtype: DType)] {
        var out: [String: (shape: [Int], dtype: DType)] = [:]
        for name in scalarStateNames { out[name] = ([], .float64) }
        let leaves = ParameterTraversal.trainable { params.namedTensors }
        for slot in slotNames {
            for (leaf, t) in leaves { out[stateKey(slot, leaf)] = (t.shape, t.dtype) }
        }
        for name in leafScalarNames {
            for (leaf, _) in leaves { out[stateKey(name, leaf)] = ([], .float64) }
        }
        return out
    }

    /// Restores a state saved from ``state``, checking that it has exactly the keys this
    /// optimizer keeps for `params`, each with the right shape and dtype. An empty map (the state
    /// before the first update) resets the optimizer. A tree-wide counter saved by an earlier
    /// version (`"step"` where the layout has `"step.<leaf>"`) is given to every leaf.
    ///
    /// - Throws: ``OptimizerStateError`` naming the first offending key (keys in sorted order).
    public mutating func loadState<P: ParameterTree>(_ saved: [String: Tensor], for params: P) throws {
        if saved.isEmpty {
            state = [:]
            return
        }
        let layout = expectedStateLayout(for: params)
        var saved = saved
        for name in leafScalarNames where layout[name] == nil {
            guard let shared = saved.removeValue(forKey: name) else { continue }
            for key in layout.keys where key.hasPrefix(name + ".") && saved[key] == nil { saved[key] = shared }
        }
        for key in layout.keys.sorted() where saved[key] == nil { throw OptimizerStateError.missingKey(key) }
        for key in saved.keys.sorted() where layout[key] == nil { throw OptimizerStateError.unexpectedKey(key) }
        for key in layout.keys.sorted() {
            let (shape, dtype) = layout[key]!
            let t = saved[key]!
            if t.shape != shape || t.dtype != dtype {
                throw OptimizerStateError.mismatch(key: key, expected: "\(dtype) \(shape)", found: "\(t.dtype) \(t.shape)")
            }
        }
        state = saved
    }
}

/// Stops with a message naming `op` and the first hyper-parameter that is negative or NaN (as
/// `torch.optim` raises a `ValueError`).
func requireNonNegative(_ op: String, _ values: KeyValuePairs<String, Double>) {
    for (name, value) in values {
        require(value >= 0, "\(op): \(name) must be non-negative, got \(value)")
    }
}

/// The state key of `slot` for the leaf named `leaf` (`"m.W.0"`; `"m"` for an unnamed single leaf).
func stateKey(_ slot: String, _ leaf: String) -> String { leaf.isEmpty ? slot : slot + "." + leaf }

/// The names of a tree's leaves in `updateTensors` order (position `i` is the `i`-th leaf visited).
///
/// Found by tagging a copy's leaves with their positions and reading the tags back by name, so it
/// is exact even when two leaves share storage.
func positionalLeafNames<P: ParameterTree>(_ tree: P) -> [String] {
    var tagged = tree
    var n = 0
    tagged.updateTensors { leaf in
        leaf = Tensor(Double(n))
        n += 1
    }
    var names = [String](repeating: "", count: n)
    tagged.forEachNamedTensor(prefix: "") { name, tag in names[Int(tag.scalar)] = name }
    return names
}

/// `gradient`'s leaves in the order of `params`' leaves, matched by name; and those names.
func matchedLeaves<P: ParameterTree>(_ params: P, _ gradient: P, op: String) -> (names: [String], gradients: [Tensor]) {
    let names = positionalLeafNames(params)
    let gradientNames = positionalLeafNames(gradient)
    var gradients = gradient.tensors
    // State is kept by name: two leaves with one name would share it.
    require(Set(names).count == names.count,
            "\(op): parameter leaves have duplicate names \(Dictionary(grouping: names, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()) (optimizer state is kept by name)")
    if names != gradientNames {
        require(names.sorted() == gradientNames.sorted(),
                "\(op): the gradient's leaves \(gradientNames.sorted()) differ from the parameters' leaves \(names.sorted())")
        let byName = Dictionary(uniqueKeysWithValues: zip(gradientNames, gradients))
        gradients = names.map { byName[$0]! }
    }
    return (names, gradients)
}

/// Replaces each leaf `p` of `params` by `body(name, p, g)`, where `g` is the matching leaf of
/// `gradient` (same name, checked to have the same shape and dtype).
func updateLeaves<P: ParameterTree>(_ params: inout P, along gradient: P, op: String,
                                    _ body: (String, Tensor, Tensor) -> Tensor) {
    // Frozen leaves (see ParameterTraversal) are neither updated nor given state.
    ParameterTraversal.trainable { updateTrainableLeaves(&params, along: gradient, op: op, body) }
}

private func updateTrainableLeaves<P: ParameterTree>(_ params: inout P, along gradient: P, op: String,
                                                     _ body: (String, Tensor, Tensor) -> Tensor) {
    let (names, gradients) = matchedLeaves(params, gradient, op: op)
    var i = 0
    params.updateTensors { p in
        let g = gradients[i]
        require(p.shape == g.shape && p.dtype == g.dtype,
                "\(op): gradient of \"\(names[i])\" is \(g.dtype) \(g.shape) but the parameter is \(p.dtype) \(p.shape)")
        require(p.dtype.isFloatingPoint, "\(op): parameter \"\(names[i])\" is \(p.dtype), not floating point")
        p = body(names[i], p, g)
        i += 1
    }
}

extension Dictionary where Key == String, Value == Tensor {
    /// The per-leaf slot tensor, or zeros like `like` when it does not exist yet.
    func slot(_ name: String, _ leaf: String, like: Tensor, initial: Double = 0) -> Tensor {
        self[stateKey(name, leaf)] ?? Tensor.full(like.shape, initial, dtype: like.dtype)
    }

    /// A scalar entry (0 when absent).
    func scalarValue(_ name: String) -> Double { self[name]?.scalar ?? 0 }

    /// Increments the per-leaf counter `name` of `leaf` (from 0 when absent) and returns it.
    mutating func incrementCounter(_ name: String, _ leaf: String) -> Double {
        let t = scalarValue(stateKey(name, leaf)) + 1
        self[stateKey(name, leaf)] = Tensor(t)
        return t
    }
}
