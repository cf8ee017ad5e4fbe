@_spi(Reflection) import Swift
import Synchronization

/// A value made of tensors — a tensor, an array or dictionary of trees, an optional tree, or a user
/// struct whose stored properties are trees — that can be differentiated as a whole. The gradient
/// has the same structure.
///
/// Tensor, `Array`, `Dictionary` and `Optional` conform already. A user struct needs only the
/// declaration; its stored properties that are trees are found by reflection (properties of other
/// types — sizes, flags, names — are left alone):
///
/// ```swift
/// struct MLP: ParameterTree { var w1, b1, w2, b2: Tensor; var name = "mlp" }
/// let g = grad { (m: MLP) in loss(m, x, y) }(model)   // g is an MLP of gradients
/// ```
public protocol ParameterTree {
    /// Calls `body` on every tensor leaf in a fixed order, letting it replace the leaf.
    mutating func updateTensors(_ body: (inout Tensor) -> Void)

    /// Calls `body` on every leaf with a stable dotted name (`"W.0"`, `"encoder.weight"`),
    /// prefixed by `prefix`.
    func forEachNamedTensor(prefix: String, _ body: (String, Tensor) -> Void)
}

extension ParameterTree {
    /// A copy with every tensor leaf replaced by `transform(leaf)`.
    public func mapTensors(_ transform: (Tensor) -> Tensor) -> Self {
        var copy = self
        copy.updateTensors { $0 = transform($0) }
        return copy
    }

    /// The tensor leaves in order.
    public var tensors: [Tensor] {
        var out: [Tensor] = []
        var copy = self
        copy.updateTensors { out.append($0) }
        return out
    }

    /// The leaves with their dotted names.
    public var namedTensors: [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        forEachNamedTensor(prefix: "") { out.append(($0, $1)) }
        return out
    }

    /// Reflection-based conformance for structs: every stored property that is itself a
    /// `ParameterTree` is a subtree.
    public mutating func updateTensors(_ body: (inout Tensor) -> Void) {
        for field in StructFields.of(Self.self) { field.update(&self, body) }
    }

    /// Reflection-based naming for structs: `prefix.property…`.
    public func forEachNamedTensor(prefix: String, _ body: (String, Tensor) -> Void) {
        for field in StructFields.of(Self.self) {
            field.visit(self, prefix.isEmpty ? field.name : prefix + "." + field.name, body)
        }
    }
}

extension Tensor: ParameterTree {
    /// A tensor is a single leaf.
    public mutating func updateTensors(_ body: (inout Tensor) -> Void) { body(&self) }
    /// A tensor is a single leaf named `prefix`.
    public func forEachNamedTensor(prefix: String, _ body: (String, Tensor) -> Void) { body(prefix, self) }
}

extension Array: ParameterTree where Element: ParameterTree {
    /// The elements' leaves, in order.
    public mutating func updateTensors(_ body: (inout Tensor) -> Void) {
        for i in indices { self[i].updateTensors(body) }
    }
    /// Elements are named by position: `prefix.0`, `prefix.1`, …
    public func forEachNamedTensor(prefix: String, _ body: (String, Tensor) -> Void) {
        for (i, e) in enumerated() { e.forEachNamedTensor(prefix: prefix.isEmpty ? "\(i)" : "\(prefix).\(i)", body) }
    }
}

extension Dictionary: ParameterTree where Value: ParameterTree {
    /// The values' leaves, in sorted key order (the order of their names), so two dictionaries
    /// with the same keys — parameters and a direction, parameters and optimizer state — always
    /// list their leaves alike.
    public mutating func updateTensors(_ body: (inout Tensor) -> Void) {
        if count <= 1 {
            if let i = values.indices.first { values[i].updateTensors(body) }
            return
        }
        let order = indices.map { ("\(self[$0].key)", $0) }.sorted { $0.0 < $1.0 }
        for (_, i) in order { values[i].updateTensors(body) }
    }
    /// Values are named by key, in sorted key order.
    public func forEachNamedTensor(prefix: String, _ body: (String, Tensor) -> Void) {
        let named = map { ("\($0.key)", $0.value) }.sorted { $0.0 < $1.0 }
        for (k, v) in named { v.forEachNamedTensor(prefix: prefix.isEmpty ? k : "\(prefix).\(k)", body) }
    }
}

extension Optional: ParameterTree where Wrapped: ParameterTree {
    /// The wrapped value's leaves (none for `nil`).
    public mutating func updateTensors(_ body: (inout Tensor) -> Void) {
        if var w = self {
            w.updateTensors(body)
            self = w
        }
    }
    /// The wrapped value's names.
    public func forEachNamedTensor(prefix: String, _ body: (String, Tensor) -> Void) {
        self?.forEachNamedTensor(prefix: prefix, body)
    }
}

/// The tree-valued stored properties of a struct, found once per type by reflection.
struct StructFields<Root>: @unchecked Sendable {
    let name: String
    let update: (inout Root, (inout Tensor) -> Void) -> Void
    let visit: (Root, String, (String, Tensor) -> Void) -> Void

    private static func make(_ name: String, _ keyPath: AnyKeyPath) -> StructFields<Root>? {
        guard let valueType = type(of: keyPath).valueType as? any ParameterTree.Type else { return nil }
        func open<V: ParameterTree>(_: V.Type) -> StructFields<Root>? {
            guard let kp = keyPath as? WritableKeyPath<Root, V> else { return nil }
            return StructFields(name: name,
                                update: { root, body in root[keyPath: kp].updateTensors(body) },
                                visit: { root, prefix, body in root[keyPath: kp].forEachNamedTensor(prefix: prefix, body) })
        }
        return open(valueType)
    }

    static func of(_ type: Root.Type) -> [StructFields<Root>] {
        let key = ObjectIdentifier(type)
        if let cached = fieldCache.withLock({ $0[key] }) { return cached as! [StructFields<Root>] }
        var fields: [StructFields<Root>] = []
        let ok = _forEachFieldWithKeyPath(of: type) { name, keyPath in
            if let f = make(String(cString: name), keyPath) { fields.append(f) }
            return true
        }
        require(ok, "ParameterTree: \(type) is not a struct; conform it by implementing updateTensors(_:) and forEachNamedTensor(prefix:_:)")
        fieldCache.withLock { $0[key] = fields }
        return fields
    }
}

private let fieldCache = Mutex<[ObjectIdentifier: Any]>([:])

/// Which leaves a traversal of a parameter tree visits. By default every leaf (gradients,
/// checkpoints, ``ParameterTree/tensors``); inside ``trainable(_:)`` — which optimizers use — the
/// leaves of frozen subtrees (`Frozen`, a batch norm's running statistics) are skipped, so an
/// optimizer never changes them nor keeps state for them.
///
/// A tree visits its frozen leaves inside ``visitingFrozen(_:)``; differentiation (`grad`,
/// `valueAndGrad`, `vjp`, ``addGradient(of:scaledBy:to:)``) then treats them as constants, so
/// their gradient is zero however the function uses them.
public enum ParameterTraversal {
    /// Whether the current traversal skips frozen leaves.
    @TaskLocal public static var trainableOnly = false

    /// Whether the leaves being visited are frozen (set by ``visitingFrozen(_:)``).
    @TaskLocal public static var insideFrozen = false

    /// Runs `body` with frozen leaves hidden from every traversal it makes.
    public static func trainable<R>(_ body: () throws -> R) rethrows -> R {
        try $trainableOnly.withValue(true) { try body() }
    }

    /// Visits frozen leaves: nothing inside ``trainable(_:)``; otherwise `body`, with
    /// ``insideFrozen`` set. A ``ParameterTree`` implementation calls it around the traversal of
    /// leaves that are constants for training.
    public static func visitingFrozen(_ body: () -> Void) {
        if trainableOnly { return }
        $insideFrozen.withValue(true) { body() }
    }
}
