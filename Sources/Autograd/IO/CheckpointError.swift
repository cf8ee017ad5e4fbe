/// An error saving or loading a checkpoint (safetensors, `.npy`, `.npz`) or restoring a parameter
/// tree from one. Every case names the file, the key, or both.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read (`reason` is the system's message).
    case cannotRead(path: String, reason: String)
    /// The file could not be written; the previous file at `path`, if any, is left as it was.
    case cannotWrite(path: String, reason: String)
    /// The file is not valid in its format (bad header, truncated data, bad offsets, CRC mismatch…).
    case malformed(path: String, reason: String)
    /// A tensor's element type is not one of float32, float64, int64, bool.
    case unsupportedDType(path: String, key: String, dtype: String)
    /// Strict loading: the tree has a tensor `key` that the checkpoint lacks.
    case missingKey(key: String, path: String?)
    /// Strict loading: the checkpoint has a tensor `key` that the tree lacks.
    case unexpectedKey(key: String, path: String?)
    /// The checkpoint's tensor `key` has another shape than the tree's.
    case shapeMismatch(key: String, expected: [Int], found: [Int], path: String?)
    /// The checkpoint's tensor `key` has another dtype than the tree's.
    case dtypeMismatch(key: String, expected: DType, found: DType, path: String?)
    /// Two tensors of a tree would be saved under the same name.
    case duplicateKey(key: String)

    private static func inFile(_ path: String?) -> String { path.map { " in \($0)" } ?? "" }

    /// A one-line, readable explanation.
    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "\(path): cannot read: \(reason)"
        case let .cannotWrite(path, reason): return "\(path): cannot write: \(reason) (any previous file is unchanged)"
        case let .malformed(path, reason): return "\(path): malformed checkpoint: \(reason)"
        case let .unsupportedDType(path, key, dtype):
            return "\(path): tensor \"\(key)\" has unsupported dtype \(dtype) (supported: float32, float64, int64, bool)"
        case let .missingKey(key, path):
            return "checkpoint\(Self.inFile(path)) has no tensor \"\(key)\" (load with strict: false to keep the current value)"
        case let .unexpectedKey(key, path):
            return "checkpoint\(Self.inFile(path)) has tensor \"\(key)\", which the parameters lack (load with strict: false to ignore it)"
        case let .shapeMismatch(key, expected, found, path):
            return "checkpoint\(Self.inFile(path)): tensor \"\(key)\" has shape \(found), the parameters have \(expected)"
        case let .dtypeMismatch(key, expected, found, path):
            return "checkpoint\(Self.inFile(path)): tensor \"\(key)\" has dtype \(found), the parameters have \(expected)"
        case let .duplicateKey(key): return "two tensors would be saved under the same name \"\(key)\""
        }
    }
}

/// Calls `body` with the bytes of `array`, keeping `body`'s typed error (the standard library's
/// `withUnsafeBytes` is `rethrows`, which erases it).
func withBytes<T, R>(of array: [T], _ body: (UnsafeRawBufferPointer) throws(CheckpointError) -> R) throws(CheckpointError) -> R {
    let result: Result<R, CheckpointError> = array.withUnsafeBytes { raw in
        do throws(CheckpointError) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
}
