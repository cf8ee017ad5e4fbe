import Foundation

/// Reader for the IDX format of MNIST and Fashion-MNIST (LeCun et al.): a big-endian header
/// `0x00 0x00 TT NN`, then `NN` big-endian 32-bit dimensions, then the elements, row-major and
/// big-endian. Files may be gzip-compressed (detected from their first bytes, not their name).
///
/// ```swift
/// let labels = try IDX.read(path: "Data/mnist/t10k-labels-idx1-ubyte.gz")            // int64 [10000]
/// let images = try IDX.read(path: "Data/mnist/t10k-images-idx3-ubyte.gz",
///                           dtype: .float32, scale: 1.0 / 255)                       // float32 [10000, 28, 28]
/// ```
public enum IDX {
    /// The element type codes of the IDX format.
    public enum ElementType: UInt8, Sendable, CaseIterable {
        /// 0x08: unsigned byte (MNIST's images and labels).
        case uint8 = 0x08
        /// 0x09: signed byte.
        case int8 = 0x09
        /// 0x0B: big-endian 16-bit signed integer.
        case int16 = 0x0B
        /// 0x0C: big-endian 32-bit signed integer.
        case int32 = 0x0C
        /// 0x0D: big-endian IEEE 754 binary32.
        case float32 = 0x0D
        /// 0x0E: big-endian IEEE 754 binary64.
        case float64 = 0x0E

        /// Size of one element in bytes.
        public var byteSize: Int {
            switch self {
            case .uint8, .int8: return 1
            case .int16: return 2
            case .int32, .float32: return 4
            case .float64: return 8
            }
        }

        /// The tensor dtype an element of this type reads as by default: `int64` for the integer
        /// types (exact), `float32`/`float64` for the float types.
        public var defaultDType: DType {
            switch self {
            case .uint8, .int8, .int16, .int32: return .int64
            case .float32: return .float32
            case .float64: return .float64
            }
        }
    }

    /// The header of an IDX file.
    public struct Header: Sendable, Equatable {
        /// The element type.
        public var elementType: ElementType
        /// The dimensions, outermost first (e.g. `[60000, 28, 28]`).
        public var shape: [Int]
        /// The header's size in bytes (where the elements start): `4 + 4 × shape.count`.
        public var byteCount: Int { 4 + 4 * shape.count }
        /// The number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// Reads the IDX file at `path` (gzip-compressed or not) as a tensor of its shape.
    ///
    /// - Parameters:
    ///   - dtype: the tensor's element type; by default ``ElementType/defaultDType`` (integers as
    ///     `int64`, floats as themselves). MNIST images are best read as `.float32` with `scale: 1/255`.
    ///   - scale: a factor applied to every value on conversion to a float dtype (ignored for
    ///     `int64` and `bool`).
    /// - Throws: ``DataError`` naming the file: unreadable, corrupt gzip, bad magic number, unknown
    ///   type code, truncated header or data, bytes beyond the announced data, or (reading a float
    ///   file as `int64`) an element that is not a whole number in range.
    public static func read(path: String, dtype: DType? = nil, scale: Double = 1) throws(DataError) -> Tensor {
        let bytes = try fileContents(path)
        return try decode(bytes, path: path, dtype: dtype, scale: scale)
    }

    /// Reads only the header of the IDX file at `path` (still decompressing a gzip file whole).
    public static func readHeader(path: String) throws(DataError) -> Header {
        try parseHeader(try fileContents(path), path: path)
    }

    /// The file's bytes, decompressed when it is gzip.
    static func fileContents(_ path: String) throws(DataError) -> [UInt8] {
        let raw: [UInt8]
        switch FileBytes.contents(of: path) {
        case .success(let b): raw = b
        case .failure(let f): throw .cannotRead(path: path, reason: f.reason)
        }
        guard Zlib.isGzip(raw) else { return raw }
        do { return try Zlib.gunzip(raw) } catch { throw .badGzip(path: path, reason: error.reason) }
    }

    /// Parses and checks the header (magic, type code, dimensions) of IDX bytes.
    static func parseHeader(_ bytes: [UInt8], path: String) throws(DataError) -> Header {
        guard bytes.count >= 4 else { throw .truncated(path: path, expected: 4, actual: bytes.count) }
        let magic = readUInt32BE(bytes, 0)
        guard bytes[0] == 0, bytes[1] == 0, bytes[3] > 0 else { throw .badMagic(path: path, found: magic) }
        guard let type = ElementType(rawValue: bytes[2]) else {
            throw .unsupportedElementType(path: path, code: bytes[2])
        }
        let rank = Int(bytes[3])
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else { throw .truncated(path: path, expected: headerSize, actual: bytes.count) }
        let shape = (0..<rank).map { Int(readUInt32BE(bytes, 4 + 4 * $0)) }
        return Header(elementType: type, shape: shape)
    }

    /// Decodes in-memory IDX bytes (already decompressed).
    static func decode(_ bytes: [UInt8], path: String, dtype: DType?, scale: Double) throws(DataError) -> Tensor {
        let header = try parseHeader(bytes, path: path)
        let (count, overflow) = header.shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        let (dataBytes, overflow2) = count.multipliedReportingOverflow(by: header.elementType.byteSize)
        guard !overflow, !overflow2 else {
            throw .unexpectedShape(path: path, expected: "dimensions whose product fits in memory", found: header.shape)
        }
        let expected = header.byteCount + dataBytes
        if bytes.count < expected { throw .truncated(path: path, expected: expected, actual: bytes.count) }
        if bytes.count > expected { throw .sizeMismatch(path: path, expected: expected, actual: bytes.count) }
        let target = dtype ?? header.elementType.defaultDType
        if target == .int64, header.elementType == .float32 || header.elementType == .float64 {
            // Integers from a float file: only whole numbers in int64's range convert exactly.
            let values = try decode(bytes, path: path, dtype: .float64, scale: 1).doubles
            if let i = values.firstIndex(where: { $0.rounded() != $0 || !(-0x1p63 <= $0 && $0 < 0x1p63) }) {
                throw .notRepresentable(path: path, index: i, value: values[i], dtype: .int64)
            }
        }
        let out = Tensor.uninitialized(shape: header.shape, dtype: target)
        bytes.withUnsafeBytes { raw in
            let src = raw.baseAddress! + header.byteCount
            switch target {
            case .float32: convert(src, header.elementType, count, to: out.pointer(Float.self), scale: scale)
            case .float64: convert(src, header.elementType, count, to: out.pointer(Double.self), scale: scale)
            case .int64: convert(src, header.elementType, count, to: out.pointer(Int.self), scale: 1)
            case .bool: convert(src, header.elementType, count, to: out.pointer(Bool.self), scale: 1)
            }
        }
        return out
    }

    static func readUInt32BE(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    /// Converts `count` big-endian source elements to `T`, one concrete loop per source type.
    private static func convert<T: TensorScalar>(_ src: UnsafeRawPointer, _ type: ElementType, _ count: Int,
                                                 to dst: UnsafeMutablePointer<T>, scale: Double) {
        switch type {
        case .uint8:
            let p = src.assumingMemoryBound(to: UInt8.self)
            if T.self == Float.self {
                // A table of the 256 values, each rounded once from double precision like every
                // other source type (for scale 1/255 it equals Float(v) / 255, as torchvision's).
                let d = UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Float.self)
                let table = (0..<256).map { Float(Double($0) * scale) }
                for i in 0..<count { d[i] = table[Int(p[i])] }
            } else if T.self == Int.self {
                let d = UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Int.self)
                for i in 0..<count { d[i] = Int(p[i]) }
            } else {
                for i in 0..<count { dst[i] = T(fromDouble: Double(p[i]) * scale) }
            }
        case .int8:
            let p = src.assumingMemoryBound(to: Int8.self)
            for i in 0..<count { dst[i] = T(fromDouble: Double(p[i]) * scale) }
        case .int16:
            for i in 0..<count {
                let v = Int16(bitPattern: UInt16(bigEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                dst[i] = T(fromDouble: Double(v) * scale)
            }
        case .int32:
            for i in 0..<count {
                let v = Int32(bitPattern: UInt32(bigEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                dst[i] = T(fromDouble: Double(v) * scale)
            }
        case .float32:
            for i in 0..<count {
                let v = Float(bitPattern: UInt32(bigEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                dst[i] = T(fromDouble: Double(v) * scale)
            }
        case .float64:
            for i in 0..<count {
                let v = Double(bitPattern: UInt64(bigEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                dst[i] = T(fromDouble: v * scale)
            }
        }
    }
}
