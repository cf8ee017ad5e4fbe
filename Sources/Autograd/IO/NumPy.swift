import Foundation

/// NumPy's `.npy` (one array) and `.npz` (a zip archive of `.npy` files) formats.
///
/// `.npy` files are written in format version 1.0 (C order, dtypes `<f4`, `<f8`, `<i8`, `|b1`),
/// byte for byte as `numpy.save` writes them; versions 1.0, 2.0 and 3.0 and Fortran order are
/// read. `.npz` archives are written with stored (uncompressed) entries, as `numpy.savez` does,
/// and read with stored or deflated entries (`numpy.savez_compressed`). Most code uses
/// ``Checkpoint`` instead of this type directly.
public enum NumPy {
    /// The `.npy` descriptor of `dtype`.
    public static func descriptor(of dtype: DType) -> String {
        switch dtype {
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .int64: return "<i8"
        case .bool: return "|b1"
        }
    }

    /// The dtype of a `.npy` descriptor, if supported.
    public static func dtype(descriptor: String) -> DType? {
        switch descriptor {
        case "<f4": return .float32
        case "<f8": return .float64
        case "<i8": return .int64
        case "|b1": return .bool
        default: return nil
        }
    }

    // MARK: .npy

    /// The `.npy` header (magic, version, length, dict, padding) for a C-order array.
    static func npyHeader(shape: [Int], dtype: DType) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let dict = "{'descr': '\(descriptor(of: dtype))', 'fortran_order': False, 'shape': \(shapeText), }"
        // numpy pads with spaces and a final newline so that the data starts at a multiple of 64.
        var version: UInt8 = 1
        var prefix = 10
        var total = prefix + dict.utf8.count + 1
        if total + (64 - total % 64) % 64 - prefix > 0xFFFF {
            version = 2
            prefix = 12
            total = prefix + dict.utf8.count + 1
        }
        let padding = (64 - total % 64) % 64
        let text = Array((dict + String(repeating: " ", count: padding) + "\n").utf8)
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        out += version == 1 ? LittleEndian.bytes(UInt16(text.count)) : LittleEndian.bytes(UInt32(text.count))
        return out + text
    }

    /// The complete `.npy` bytes of `tensor`.
    static func npyBytes(_ tensor: Tensor) -> [UInt8] {
        let t = tensor.primalData.contiguous()
        var out = npyHeader(shape: t.shape, dtype: t.dtype)
        let headerSize = out.count
        let size = t.count * t.dtype.byteSize
        out.append(contentsOf: repeatElement(0, count: size))
        withExtendedLifetime(t) {
            out.withUnsafeMutableBytes { raw in
                if size > 0 { (raw.baseAddress! + headerSize).copyMemory(from: t.rawPointer, byteCount: size) }
            }
        }
        return out
    }

    /// Atomically writes `tensor` to `path` as a `.npy` file (`numpy.load(path)` reads it).
    public static func writeNPY(_ tensor: Tensor, to path: String) throws(CheckpointError) {
        let t = tensor.primalData.contiguous()
        let header = npyHeader(shape: t.shape, dtype: t.dtype)
        try AtomicFile.write(to: path) { (sink: inout AtomicFile.Sink) throws(CheckpointError) in
            try sink.write(header)
            try t.withRawBytes { (b) throws(CheckpointError) in try sink.write(b) }
        }
    }

    /// Reads the `.npy` file at `path`.
    ///
    /// - Throws: ``CheckpointError``: unreadable file, bad magic or header, a dtype other than
    ///   `<f4 <f8 <i8 |b1`, or too few data bytes.
    public static func readNPY(path: String) throws(CheckpointError) -> Tensor {
        let bytes: [UInt8]
        switch FileBytes.contents(of: path) {
        case .success(let b): bytes = b
        case .failure(let f): throw .cannotRead(path: path, reason: f.reason)
        }
        return try decodeNPY(bytes[...], path: path, key: (path as NSString).lastPathComponent)
    }

    /// Parses `.npy` bytes; `key` names the array in errors.
    static func decodeNPY(_ bytes: ArraySlice<UInt8>, path: String, key: String) throws(CheckpointError) -> Tensor {
        let b = Array(bytes)
        func bad(_ reason: String) -> CheckpointError { .malformed(path: path, reason: "\(key): \(reason)") }
        guard b.count >= 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else { throw bad("not a .npy array (bad magic)") }
        let major = b[6]
        let headerLength: Int, start: Int
        switch major {
        case 1:
            headerLength = Int(LittleEndian.uint16(b, 8)); start = 10
        case 2, 3:
            guard b.count >= 12 else { throw bad("truncated header") }
            headerLength = Int(LittleEndian.uint32(b, 8)); start = 12
        default: throw bad("unsupported .npy version \(major).\(b[7])")
        }
        guard b.count >= start + headerLength else { throw bad("truncated header") }
        guard let text = String(validating: b[start..<(start + headerLength)], as: UTF8.self) else {
            throw bad("header is not text")
        }
        guard let descr = headerValue(text, "descr").flatMap(unquote) else { throw bad("header has no 'descr'") }
        guard let fortranText = headerValue(text, "fortran_order"), fortranText == "True" || fortranText == "False" else {
            throw bad("header has no 'fortran_order'")
        }
        guard let shapeText = headerValue(text, "shape"), let shape = parseShape(shapeText) else {
            throw bad("header has no valid 'shape'")
        }
        guard let dtype = dtype(descriptor: descr) else {
            throw .unsupportedDType(path: path, key: key, dtype: descr)
        }
        let dataStart = start + headerLength
        guard let need = byteCount(shape: shape, elementSize: dtype.byteSize) else {
            throw bad("shape \(shape) is too large to address")
        }
        guard b.count - dataStart >= need else {
            throw bad("truncated data: shape \(shape) needs \(need) bytes, \(b.count - dataStart) present")
        }
        if fortranText == "True" {
            // Column-major data is the row-major array of the reversed shape, transposed.
            let reversed = Tensor.fromBytes(b, at: dataStart, shape: shape.reversed(), dtype: dtype)
            let t = reversed.permute(Array((0..<shape.count).reversed())).contiguous()
            if dtype == .bool, !t.boolBytesAreValid { throw bad("bool bytes other than 0 and 1") }
            return t
        }
        let t = Tensor.fromBytes(b, at: dataStart, shape: shape, dtype: dtype)
        if dtype == .bool, !t.boolBytesAreValid { throw bad("bool bytes other than 0 and 1") }
        return t
    }

    /// The text of `'key': value` in a Python dict literal (value up to the next top-level comma).
    private static func headerValue(_ text: String, _ key: String) -> String? {
        guard let r = text.range(of: "'\(key)':") else { return nil }
        var depth = 0
        var value = ""
        for ch in text[r.upperBound...] {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if depth == 0 && (ch == "," || ch == "}") { break }
            value.append(ch)
            if depth < 0 { return nil }
        }
        return value.trimmingCharacters(in: .whitespaces)
    }

    private static func unquote(_ s: String) -> String? {
        guard s.count >= 2, let f = s.first, f == "'" || f == "\"", s.last == f else { return nil }
        return String(s.dropFirst().dropLast())
    }

    private static func parseShape(_ s: String) -> [Int]? {
        guard s.first == "(", s.last == ")" else { return nil }
        let inner = s.dropFirst().dropLast()
        var dims: [Int] = []
        for part in inner.split(separator: ",") {
            let p = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if p.isEmpty { continue }
            guard let d = Int(p), d >= 0 else { return nil }
            dims.append(d)
        }
        return dims
    }

    // MARK: .npz

    /// Atomically writes `tensors` to `path` as an `.npz` archive (`numpy.load(path)[name]` reads
    /// each). Entries are `name.npy`, stored uncompressed, in sorted order, with fixed timestamps, so
    /// equal inputs give byte-identical files. Non-empty `metadata` is stored as a JSON object in
    /// an entry `__metadata__.json`.
    public static func writeNPZ(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws(CheckpointError) {
        // Entries are made one at a time, so at most one tensor's .npy bytes are held at once.
        var names = tensors.keys.sorted().map { $0 + ".npy" }
        if !metadata.isEmpty { names.append("__metadata__.json") }
        guard names.count < 0xFFFF else {
            throw .cannotWrite(path: path, reason: "\(names.count) entries; an .npz archive holds at most 65,534 here (use safetensors)")
        }
        if let long = names.first(where: { $0.utf8.count > 0xFFFF }) {
            throw .cannotWrite(path: path, reason: "the name \"\(long.prefix(40))…\" is longer than a zip entry name can be (65,535 bytes)")
        }
        func entryData(_ name: String) -> [UInt8] {
            if let t = tensors[String(name.dropLast(4))], name.hasSuffix(".npy") { return npyBytes(t) }
            let items = metadata.keys.sorted().map { "\(JSON.quote($0)):\(JSON.quote(metadata[$0]!))" }
            return Array("{\(items.joined(separator: ","))}".utf8)
        }
        var central: [UInt8] = []
        var offset = 0
        try AtomicFile.write(to: path) { (sink: inout AtomicFile.Sink) throws(CheckpointError) in
            for name in names {
                let data = entryData(name)
                let nameBytes = Array(name.utf8)
                guard offset < 0xFFFF_FFFF, data.count < 0xFFFF_FFFF else {
                    throw .cannotWrite(path: path, reason: "an .npz archive over 4 GiB is not supported; use safetensors")
                }
                let crc = data.withUnsafeBytes { Zlib.crc32($0) }
                let flags: UInt16 = name.utf8.allSatisfy { $0 < 0x80 } ? 0 : 0x0800   // bit 11: UTF-8 name
                // Local file header.
                var local: [UInt8] = LittleEndian.bytes(UInt32(0x0403_4B50))
                local += LittleEndian.bytes(UInt16(20)) + LittleEndian.bytes(flags) + LittleEndian.bytes(UInt16(0))
                local += LittleEndian.bytes(UInt16(0)) + LittleEndian.bytes(UInt16(0x21))   // 00:00, 1980-01-01
                local += LittleEndian.bytes(crc) + LittleEndian.bytes(UInt32(data.count)) + LittleEndian.bytes(UInt32(data.count))
                local += LittleEndian.bytes(UInt16(nameBytes.count)) + LittleEndian.bytes(UInt16(0)) + nameBytes
                try sink.write(local)
                try sink.write(data)
                // Its central directory record.
                central += LittleEndian.bytes(UInt32(0x0201_4B50)) + LittleEndian.bytes(UInt16(0x0314))
                central += LittleEndian.bytes(UInt16(20)) + LittleEndian.bytes(flags) + LittleEndian.bytes(UInt16(0))
                central += LittleEndian.bytes(UInt16(0)) + LittleEndian.bytes(UInt16(0x21))
                central += LittleEndian.bytes(crc) + LittleEndian.bytes(UInt32(data.count)) + LittleEndian.bytes(UInt32(data.count))
                central += LittleEndian.bytes(UInt16(nameBytes.count)) + LittleEndian.bytes(UInt16(0)) + LittleEndian.bytes(UInt16(0))
                central += LittleEndian.bytes(UInt16(0)) + LittleEndian.bytes(UInt16(0))
                central += LittleEndian.bytes(UInt32(0o100644) << 16) + LittleEndian.bytes(UInt32(offset)) + nameBytes
                offset += local.count + data.count
            }
            guard offset < 0xFFFF_FFFF else {
                throw .cannotWrite(path: path, reason: "an .npz archive over 4 GiB is not supported; use safetensors")
            }
            var end: [UInt8] = LittleEndian.bytes(UInt32(0x0605_4B50)) + LittleEndian.bytes(UInt16(0)) + LittleEndian.bytes(UInt16(0))
            end += LittleEndian.bytes(UInt16(names.count)) + LittleEndian.bytes(UInt16(names.count))
            end += LittleEndian.bytes(UInt32(central.count)) + LittleEndian.bytes(UInt32(offset)) + LittleEndian.bytes(UInt16(0))
            try sink.write(central)
            try sink.write(end)
        }
    }

    /// Reads the `.npz` archive at `path`: its arrays by name (the entry name without `.npy`) and
    /// the metadata written by ``writeNPZ(_:metadata:to:)`` (empty if none). Other entries are ignored.
    ///
    /// - Throws: ``CheckpointError``: unreadable file, not a zip archive, an entry compressed other
    ///   than stored or deflated, a CRC mismatch, or an invalid array (naming it).
    public static func readNPZ(path: String) throws(CheckpointError) -> (tensors: [String: Tensor], metadata: [String: String]) {
        let bytes: [UInt8]
        switch FileBytes.contents(of: path) {
        case .success(let b): bytes = b
        case .failure(let f): throw .cannotRead(path: path, reason: f.reason)
        }
        return try decodeNPZ(bytes, path: path)
    }

    /// Parses the bytes of an `.npz` archive read from `path`.
    static func decodeNPZ(_ bytes: [UInt8], path: String) throws(CheckpointError) -> (tensors: [String: Tensor], metadata: [String: String]) {
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for entry in try Zip.entries(bytes, path: path) {
            if entry.name.hasSuffix(".npy") {
                let key = String(entry.name.dropLast(4))
                tensors[key] = try decodeNPY(try Zip.contents(of: entry, in: bytes, path: path)[...], path: path, key: key)
            } else if entry.name == "__metadata__.json" {
                let data = try Zip.contents(of: entry, in: bytes, path: path)
                guard let map = (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any] else {
                    throw .malformed(path: path, reason: "__metadata__.json is not a JSON object")
                }
                for (k, v) in map {
                    guard let s = v as? String else { throw .malformed(path: path, reason: "__metadata__.json: \"\(k)\" is not a string") }
                    metadata[k] = s
                }
            }
        }
        if tensors.isEmpty && metadata.isEmpty {
            throw .malformed(path: path, reason: "a zip archive with no .npy entries (not an .npz checkpoint)")
        }
        return (tensors, metadata)
    }
}

/// The parts of the zip format `.npz` archives use (including zip64 sizes and offsets).
enum Zip {
    struct Entry {
        var name: String
        var method: UInt16
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
    }

    /// The entries listed in the central directory.
    static func entries(_ b: [UInt8], path: String) throws(CheckpointError) -> [Entry] {
        func bad(_ reason: String) -> CheckpointError { .malformed(path: path, reason: reason) }
        // The end-of-central-directory record: 22 bytes plus a comment of up to 65535 bytes.
        guard b.count >= 22 else { throw bad("not a zip archive (too short)") }
        var eocd = -1
        var i = b.count - 22
        while i >= Swift.max(0, b.count - 22 - 0xFFFF) {
            if b[i] == 0x50, b[i + 1] == 0x4B, b[i + 2] == 0x05, b[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw bad("not a zip archive (no end-of-central-directory record)") }
        var count = Int(LittleEndian.uint16(b, eocd + 10))
        var cdOffset = Int(LittleEndian.uint32(b, eocd + 16))
        // A zip64 end record, found through its locator just before the classic one.
        if eocd >= 20, LittleEndian.uint32(b, eocd - 20) == 0x0706_4B50 {
            guard let z = Int(exactly: LittleEndian.uint64(b, eocd - 12)), z + 56 <= b.count,
                  LittleEndian.uint32(b, z) == 0x0606_4B50,
                  let n = Int(exactly: LittleEndian.uint64(b, z + 32)), let o = Int(exactly: LittleEndian.uint64(b, z + 48)),
                  n <= b.count / 46 else { throw bad("bad zip64 end record") }
            count = n
            cdOffset = o
        }
        var out: [Entry] = []
        var p = cdOffset
        for _ in 0..<count {
            guard p >= 0, p + 46 <= b.count, LittleEndian.uint32(b, p) == 0x0201_4B50 else { throw bad("bad central directory") }
            let method = LittleEndian.uint16(b, p + 10)
            let crc = LittleEndian.uint32(b, p + 16)
            var csize = Int(LittleEndian.uint32(b, p + 20))
            var usize = Int(LittleEndian.uint32(b, p + 24))
            let nameLength = Int(LittleEndian.uint16(b, p + 28))
            let extraLength = Int(LittleEndian.uint16(b, p + 30))
            let commentLength = Int(LittleEndian.uint16(b, p + 32))
            var offset = Int(LittleEndian.uint32(b, p + 42))
            guard p + 46 + nameLength + extraLength + commentLength <= b.count else { throw bad("bad central directory") }
            let name = String(decoding: b[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            // zip64 extra field (id 1): the 8-byte values of the fields that are 0xFFFFFFFF, in order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = LittleEndian.uint16(b, e), size = Int(LittleEndian.uint16(b, e + 2))
                if id == 1 {
                    var q = e + 4
                    // (A value beyond Int.max becomes −1, rejected when the entry is read.)
                    func wide(_ q: Int) -> Int { Int(exactly: LittleEndian.uint64(b, q)) ?? -1 }
                    if usize == 0xFFFF_FFFF, q + 8 <= extraEnd { usize = wide(q); q += 8 }
                    if csize == 0xFFFF_FFFF, q + 8 <= extraEnd { csize = wide(q); q += 8 }
                    if offset == 0xFFFF_FFFF, q + 8 <= extraEnd { offset = wide(q); q += 8 }
                }
                e += 4 + size
            }
            out.append(Entry(name: name, method: method, crc: crc, compressedSize: csize, size: usize, localHeaderOffset: offset))
            p = extraEnd + commentLength
        }
        return out
    }

    /// The uncompressed bytes of `entry`, CRC-checked.
    static func contents(of entry: Entry, in b: [UInt8], path: String) throws(CheckpointError) -> [UInt8] {
        func bad(_ reason: String) -> CheckpointError { .malformed(path: path, reason: "\(entry.name): \(reason)") }
        let h = entry.localHeaderOffset
        guard h >= 0, h + 30 <= b.count, LittleEndian.uint32(b, h) == 0x0403_4B50 else { throw bad("bad local header") }
        let start = h + 30 + Int(LittleEndian.uint16(b, h + 26)) + Int(LittleEndian.uint16(b, h + 28))
        guard entry.compressedSize >= 0, start + entry.compressedSize <= b.count else { throw bad("data runs past the end of the file") }
        guard entry.size >= 0 else { throw bad("invalid size in the central directory") }
        let raw = Array(b[start..<(start + entry.compressedSize)])
        let data: [UInt8]
        switch entry.method {
        case 0: data = raw
        case 8:
            // Deflate expands at most 1032:1; a larger claimed size is corrupt, and would otherwise
            // be allocated before inflating.
            guard entry.size <= 1032 * entry.compressedSize + 1024 else {
                throw bad("claims \(entry.size) bytes from \(entry.compressedSize) deflated bytes (more than deflate can expand)")
            }
            do { data = try Zlib.inflateRaw(raw, outputSize: entry.size) } catch { throw bad("corrupt deflate data: \(error.reason)") }
        default: throw bad("unsupported compression method \(entry.method) (only stored and deflated)")
        }
        guard data.count == entry.size else { throw bad("size \(data.count), the directory says \(entry.size)") }
        let crc = data.withUnsafeBytes { Zlib.crc32($0) }
        guard crc == entry.crc else { throw bad("CRC mismatch (file corrupt)") }
        return data
    }
}
