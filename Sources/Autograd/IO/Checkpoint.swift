import Foundation

/// The file formats a ``Checkpoint`` reads and writes.
public enum CheckpointFormat: String, Sendable, CaseIterable {
    /// Hugging Face safetensors (see ``Safetensors``): the default.
    case safetensors
    /// NumPy `.npz` (see ``NumPy``).
    case npz
    /// NumPy `.npy`: a single tensor (reading names it after the file).
    case npy

    /// The format a path's extension names (`.npz`, `.npy`; anything else is safetensors).
    public init(path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "npz": self = .npz
        case "npy": self = .npy
        default: self = .safetensors
        }
    }
}

/// Named tensors and string metadata: what a checkpoint file holds.
///
/// Save a parameter tree (any ``ParameterTree``: a struct of tensors, nested arrays and
/// dictionaries) by the names of ``ParameterTree/namedTensors``, and restore it strictly:
///
/// ```swift
/// try model.saveCheckpoint(to: "model.safetensors")
/// var restored = template                                  // same structure, any values
/// try restored.loadCheckpoint(from: "model.safetensors")    // throws naming a missing/extra/mis-shaped key
/// ```
///
/// Several trees (parameters and optimizer state) go in one file under prefixes:
///
/// ```swift
/// var ckpt = try Checkpoint(params, prefix: "model", metadata: ["epoch": "3"])
/// ckpt.tensors["optimizer.step"] = Tensor(Double(step))
/// try ckpt.write(to: "run.safetensors")
/// let loaded = try Checkpoint(contentsOf: "run.safetensors")
/// params = try loaded.restore(params, prefix: "model")      // only keys under "model." are considered
/// ```
public struct Checkpoint: Sendable {
    /// The tensors by name.
    public var tensors: [String: Tensor]
    /// String metadata (safetensors `__metadata__`; an `__metadata__.json` entry in `.npz`).
    public var metadata: [String: String]
    /// The file this checkpoint was read from, if any (named in errors).
    public var source: String?

    /// A checkpoint of the given tensors and metadata.
    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
        self.source = nil
    }

    /// A checkpoint of the leaves of `tree`, named `prefix.name` (just `name` when `prefix` is empty).
    ///
    /// - Throws: ``CheckpointError/duplicateKey(key:)`` if two leaves would get the same name.
    public init<T: ParameterTree>(_ tree: T, prefix: String = "", metadata: [String: String] = [:]) throws(CheckpointError) {
        self.init(metadata: metadata)
        try insert(tree, prefix: prefix)
    }

    /// Adds the leaves of `tree` under `prefix` (see ``init(_:prefix:metadata:)``).
    ///
    /// - Throws: ``CheckpointError/duplicateKey(key:)`` if a name is already present.
    public mutating func insert<T: ParameterTree>(_ tree: T, prefix: String = "") throws(CheckpointError) {
        var duplicate: String?
        tree.forEachNamedTensor(prefix: prefix) { name, tensor in
            if tensors[name] != nil, duplicate == nil { duplicate = name }
            tensors[name] = tensor.primalData
        }
        if let duplicate { throw .duplicateKey(key: duplicate) }
    }

    /// Reads the checkpoint at `path`. The format is recognised from the file's first bytes
    /// (`.npz` is a zip archive, `.npy` starts `\x93NUMPY`; anything else is read as safetensors).
    /// A `.npy` file gives one tensor named after the file (without extension).
    public init(contentsOf path: String) throws(CheckpointError) {
        let bytes: [UInt8]
        switch FileBytes.contents(of: path) {
        case .success(let b): bytes = b
        case .failure(let f): throw .cannotRead(path: path, reason: f.reason)
        }
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B {
            let (t, m) = try NumPy.decodeNPZ(bytes, path: path)
            self.init(tensors: t, metadata: m)
        } else if bytes.count >= 6, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) {
            let key = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            self.init(tensors: [key: try NumPy.decodeNPY(bytes[...], path: path, key: key)])
        } else {
            let (t, m) = try Safetensors.decode(bytes, path: path)
            self.init(tensors: t, metadata: m)
        }
        source = path
    }

    /// Atomically writes the checkpoint to `path` (see ``AtomicFile``): a crash never leaves a
    /// half-written file in place of the previous one.
    ///
    /// - Parameter format: by default the one `path`'s extension names (``CheckpointFormat/init(path:)``).
    ///   `.npy` needs exactly one tensor and no metadata.
    public func write(to path: String, format: CheckpointFormat? = nil) throws(CheckpointError) {
        switch format ?? CheckpointFormat(path: path) {
        case .safetensors: try Safetensors.write(tensors, metadata: metadata, to: path)
        case .npz: try NumPy.writeNPZ(tensors, metadata: metadata, to: path)
        case .npy:
            guard tensors.count == 1, metadata.isEmpty, let t = tensors.values.first else {
                throw .cannotWrite(path: path, reason: "a .npy file holds exactly one tensor and no metadata "
                                   + "(this checkpoint has \(tensors.count) tensors); use .safetensors or .npz")
            }
            try NumPy.writeNPY(t, to: path)
        }
    }

    /// A copy of `template` with every leaf replaced by the checkpoint's tensor of the same name
    /// (`prefix.name`).
    ///
    /// - Parameters:
    ///   - prefix: the leaves' name prefix; only checkpoint keys equal to `prefix` or starting with
    ///     `prefix.` are considered (all keys when `prefix` is empty).
    ///   - strict: when `true` (the default), a leaf without a tensor in the checkpoint
    ///     (``CheckpointError/missingKey(key:path:)``) and a considered key that is no leaf
    ///     (``CheckpointError/unexpectedKey(key:path:)``) are errors. When `false`, such leaves keep
    ///     their template value and such keys are ignored.
    /// - Throws: ``CheckpointError``, naming the key (the first in sorted order): missing or unexpected
    ///   key (strict only), and — strict or not — a tensor whose shape or dtype differs from the leaf's.
    public func restore<T: ParameterTree>(_ template: T, prefix: String = "", strict: Bool = true) throws(CheckpointError) -> T {
        // Pair each leaf (in update order) with its name: mark the leaves with their positions,
        // then read the marks back in naming order.
        var originals: [Tensor] = []
        var marked = template
        marked.updateTensors { leaf in
            originals.append(leaf)
            leaf = Tensor(originals.count - 1)
        }
        var names = [String?](repeating: nil, count: originals.count)
        marked.forEachNamedTensor(prefix: prefix) { name, mark in names[mark.item(as: Int.self)] = name }

        var replacements = [Tensor?](repeating: nil, count: originals.count)
        var problems: [(key: String, error: CheckpointError)] = []
        for (i, name) in names.enumerated() {
            guard let name else { continue }
            guard let t = tensors[name] else {
                if strict { problems.append((name, .missingKey(key: name, path: source))) }
                continue
            }
            if t.shape != originals[i].shape {
                problems.append((name, .shapeMismatch(key: name, expected: originals[i].shape, found: t.shape, path: source)))
            } else if t.dtype != originals[i].dtype {
                problems.append((name, .dtypeMismatch(key: name, expected: originals[i].dtype, found: t.dtype, path: source)))
            } else {
                replacements[i] = t
            }
        }
        if strict {
            let known = Set(names.compactMap { $0 })
            for key in tensors.keys where !known.contains(key) && Checkpoint.key(key, isUnder: prefix) {
                problems.append((key, .unexpectedKey(key: key, path: source)))
            }
        }
        if let first = problems.min(by: { $0.key < $1.key }) { throw first.error }

        var result = template
        var k = 0
        result.updateTensors { leaf in
            if let r = replacements[k] { leaf = r }
            k += 1
        }
        return result
    }

    /// Whether `key` is `prefix` or starts with `prefix.` (every key is under the empty prefix).
    static func key(_ key: String, isUnder prefix: String) -> Bool {
        prefix.isEmpty || key == prefix || key.hasPrefix(prefix + ".")
    }
}

extension ParameterTree {
    /// Atomically saves this tree's leaves, named as in ``namedTensors``, to `path` (safetensors,
    /// or `.npz` by extension; see ``Checkpoint``).
    public func saveCheckpoint(to path: String, metadata: [String: String] = [:]) throws(CheckpointError) {
        try Checkpoint(self, metadata: metadata).write(to: path)
    }

    /// Replaces this tree's leaves with the tensors of the checkpoint at `path`, matched by name.
    ///
    /// Strict by default: a missing key, an unexpected key, or a shape or dtype mismatch throws a
    /// ``CheckpointError`` naming the key, and the tree is left unchanged (see
    /// ``Checkpoint/restore(_:prefix:strict:)``).
    public mutating func loadCheckpoint(from path: String, strict: Bool = true) throws(CheckpointError) {
        self = try Checkpoint(contentsOf: path).restore(self, strict: strict)
    }
}
