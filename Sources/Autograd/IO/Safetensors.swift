import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length `n`, a JSON header
/// of `n` bytes (padded with spaces to a multiple of 8), then the tensors' bytes, little-endian and
/// row-major. The header maps each name to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets relative to the end of the header) and may hold `"__metadata__"`, a map of strings.
///
/// Files written here load in Python with `safetensors.numpy.load_file` and `safe_open`; dtypes are
/// `F32`, `F64`, `I64` and `BOOL`. Most code uses ``Checkpoint`` instead of this type directly.
public enum Safetensors {
    /// The format's name for `dtype`.
    public static func name(of dtype: DType) -> String {
        switch dtype {
        case .float32: return "F32"
        case .float64: return "F64"
        case .int64: return "I64"
        case .bool: return "BOOL"
        }
    }

    /// The dtype of the format's name, if supported.
    public static func dtype(named name: String) -> DType? {
        switch name {
        case "F32": return .float32
        case "F64": return .float64
        case "I64": return .int64
        case "BOOL": return .bool
        default: return nil
        }
    }

    /// Atomically writes `tensors` and `metadata` to `path`. Names are written in sorted order,
    /// header and data alike, so equal inputs give byte-identical files.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws(CheckpointError) {
        if tensors["__metadata__"] != nil {
            throw .cannotWrite(path: path, reason: "\"__metadata__\" is reserved by the format for the metadata; rename that tensor")
        }
        let names = tensors.keys.sorted()
        let data = names.map { tensors[$0]!.primalData.contiguous() }
        var entries: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(JSON.quote($0)):\(JSON.quote(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for (name, t) in zip(names, data) {
            let size = t.count * t.dtype.byteSize
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append("\(JSON.quote(name)):{\"dtype\":\"\(Safetensors.name(of: t.dtype))\",\"shape\":[\(shape)],"
                           + "\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        try AtomicFile.write(to: path) { (sink: inout AtomicFile.Sink) throws(CheckpointError) in
            try sink.write(LittleEndian.bytes(UInt64(header.count)))
            try sink.write(header)
            for t in data { try t.withRawBytes { (b) throws(CheckpointError) in try sink.write(b) } }
        }
    }

    /// Reads the safetensors file at `path`: its tensors by name and its metadata.
    ///
    /// - Throws: ``CheckpointError``: unreadable file, a header that is not valid JSON or overruns
    ///   the file, offsets that do not match a tensor's shape or lie outside the data, or a dtype
    ///   other than F32, F64, I64, BOOL (naming the tensor).
    public static func read(path: String) throws(CheckpointError) -> (tensors: [String: Tensor], metadata: [String: String]) {
        let bytes: [UInt8]
        switch FileBytes.contents(of: path) {
        case .success(let b): bytes = b
        case .failure(let f): throw .cannotRead(path: path, reason: f.reason)
        }
        return try decode(bytes, path: path)
    }

    static func decode(_ bytes: [UInt8], path: String) throws(CheckpointError) -> (tensors: [String: Tensor], metadata: [String: String]) {
        func bad(_ reason: String) -> CheckpointError { .malformed(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw bad("\(bytes.count) bytes, shorter than the 8-byte header length") }
        let n = LittleEndian.uint64(bytes, 0)
        guard n <= UInt64(bytes.count - 8) else {
            throw bad("header length \(n) overruns the file (\(bytes.count) bytes)")
        }
        let headerEnd = 8 + Int(n)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]), options: [])
        } catch {
            throw bad("the header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw bad("the header is not a JSON object") }
        let dataSize = bytes.count - headerEnd
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(start: Int, end: Int, key: String)] = []
        for (key, value) in header {
            if key == "__metadata__" {
                guard let map = value as? [String: Any] else { throw bad("__metadata__ is not an object") }
                for (k, v) in map {
                    guard let s = v as? String else { throw bad("__metadata__ value for \"\(k)\" is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any], let dtypeName = entry["dtype"] as? String,
                  let shapeAny = entry["shape"] as? [Any], let offsetsAny = entry["data_offsets"] as? [Any] else {
                throw bad("tensor \"\(key)\" lacks dtype, shape or data_offsets")
            }
            guard let dtype = Safetensors.dtype(named: dtypeName) else {
                throw .unsupportedDType(path: path, key: key, dtype: dtypeName)
            }
            let shape = shapeAny.compactMap(JSON.int)
            let offsets = offsetsAny.compactMap(JSON.int)
            guard shape.count == shapeAny.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw bad("tensor \"\(key)\" has an invalid shape")
            }
            guard offsets.count == 2, offsets.count == offsetsAny.count, 0 <= offsets[0], offsets[0] <= offsets[1],
                  offsets[1] <= dataSize else {
                throw bad("tensor \"\(key)\" has data_offsets \(offsetsAny) outside the \(dataSize) data bytes")
            }
            guard let need = byteCount(shape: shape, elementSize: dtype.byteSize) else {
                throw bad("tensor \"\(key)\" has shape \(shape), too large to address")
            }
            guard offsets[1] - offsets[0] == need else {
                throw bad("tensor \"\(key)\" of shape \(shape) and dtype \(dtypeName) needs \(need) bytes, "
                          + "its data_offsets span \(offsets[1] - offsets[0])")
            }
            ranges.append((offsets[0], offsets[1], key))
            let t = Tensor.fromBytes(bytes, at: headerEnd + offsets[0], shape: shape, dtype: dtype)
            if dtype == .bool, !t.boolBytesAreValid { throw bad("tensor \"\(key)\" has bool bytes other than 0 and 1") }
            tensors[key] = t
        }
        // As the format requires: the tensors' byte ranges tile the data exactly, no overlaps, gaps
        // or trailing bytes.
        var next = 0
        for r in ranges.sorted(by: { ($0.start, $0.end, $0.key) < ($1.start, $1.end, $1.key) }) {
            guard r.start == next else {
                throw bad(r.start < next ? "tensor \"\(r.key)\" overlaps the data of another tensor"
                                         : "\(r.start - next) bytes before tensor \"\(r.key)\" belong to no tensor")
            }
            next = r.end
        }
        guard next == dataSize else { throw bad("\(dataSize - next) bytes after the last tensor belong to no tensor") }
        return (tensors, metadata)
    }
}

/// The bytes of a tensor of `shape` with elements of `elementSize` bytes, or nil when the count
/// overflows (a corrupt or hostile header).
func byteCount(shape: [Int], elementSize: Int) -> Int? {
    var n = elementSize
    for d in shape {
        let (m, overflow) = n.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        n = m
    }
    return n
}

/// Little-endian integers to and from bytes.
enum LittleEndian {
    static func bytes<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        (0..<T.bitWidth / 8).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) }
    }
    static func uint64(_ b: [UInt8], _ i: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[i + $1]) << ($1 * 8) }
    }
    static func uint32(_ b: [UInt8], _ i: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[i + $1]) << ($1 * 8) }
    }
    static func uint16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
}

/// The bits of JSON writing and reading the formats need.
enum JSON {
    /// `s` as a JSON string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// A JSON number as an `Int`, when it is written as an integer (not `4.0`, not `true`).
    static func int(_ v: Any) -> Int? {
        if let n = v as? NSNumber {
            // JSONSerialization reads integers as "i"/"q" numbers, `4.0` as "d", `true` as "c".
            let kind = String(cString: n.objCType)
            guard kind != "c", kind != "B", kind != "d", kind != "f" else { return nil }
            let d = n.doubleValue
            guard d.rounded() == d, abs(d) < 0x1p62 else { return nil }
            return n.intValue
        }
        return nil
    }
}

extension Tensor {
    /// Calls `body` with this contiguous tensor's bytes (little-endian on every supported platform).
    func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws(CheckpointError) -> R) throws(CheckpointError) -> R {
        let c = contiguous()
        let result: Result<R, CheckpointError> = withExtendedLifetime(c) {
            do throws(CheckpointError) {
                return .success(try body(UnsafeRawBufferPointer(start: c.rawPointer, count: c.count * c.dtype.byteSize)))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// A new tensor holding a copy of `count(shape) × dtype.byteSize` bytes of `bytes` from `start`.
    static func fromBytes(_ bytes: [UInt8], at start: Int, shape: [Int], dtype: DType) -> Tensor {
        let t = Tensor.uninitialized(shape: shape, dtype: dtype)
        let size = t.count * dtype.byteSize
        if size > 0 {
            bytes.withUnsafeBytes { raw in t.rawPointer.copyMemory(from: raw.baseAddress! + start, byteCount: size) }
        }
        return t
    }

    /// Whether every byte of this (contiguous, bool) tensor is 0 or 1 (a valid Swift `Bool`).
    var boolBytesAreValid: Bool {
        withExtendedLifetime(self) {
            let p = rawPointer.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count where p[i] > 1 { return false }
            return true
        }
    }
}
