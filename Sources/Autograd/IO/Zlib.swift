import CZlib

/// gzip and raw-deflate decompression, gzip compression and CRC-32, through the system's zlib.
enum Zlib {
    /// Why a stream could not be inflated or deflated.
    struct Failure: Error { let reason: String }

    /// Whether `bytes` start with the gzip magic number (1F 8B).
    static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// Decompresses a gzip file (one or more concatenated members, as `gzip` writes and `zcat` reads).
    static func gunzip(_ input: [UInt8], sizeHint: Int = 0) throws(Failure) -> [UInt8] {
        // 16 + MAX_WBITS: a gzip header and trailer around the deflate stream.
        try inflate(input, windowBits: 16 + MAX_WBITS, sizeHint: sizeHint, multiMember: true)
    }

    /// Decompresses a raw deflate stream (no header, as in a zip entry) of known output size.
    static func inflateRaw(_ input: [UInt8], outputSize: Int) throws(Failure) -> [UInt8] {
        let out = try inflate(input, windowBits: -MAX_WBITS, sizeHint: outputSize, multiMember: false)
        guard out.count == outputSize else {
            throw Failure(reason: "inflated to \(out.count) bytes, the archive announces \(outputSize)")
        }
        return out
    }

    private static func inflate(_ input: [UInt8], windowBits: Int32, sizeHint: Int, multiMember: Bool) throws(Failure) -> [UInt8] {
        // A gzip trailer records the uncompressed size modulo 2^32 in its last four bytes.
        var capacity = sizeHint
        if capacity == 0, multiMember, input.count >= 4 {
            let n = input.count
            capacity = Int(UInt32(input[n - 4]) | UInt32(input[n - 3]) << 8 | UInt32(input[n - 2]) << 16 | UInt32(input[n - 1]) << 24)
            // Deflate expands at most about 1032:1, so a larger "size" is a corrupt or cut trailer.
            capacity = Swift.min(capacity, input.count * 1032 + 1024)
        }
        var output = [UInt8](repeating: 0, count: Swift.max(capacity, 1024))
        var produced = 0
        var stream = z_stream()
        guard czlib_inflateInit2(&stream, windowBits) == Z_OK else { throw Failure(reason: "inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        let failure: String? = input.withUnsafeBufferPointer { inBuf -> String? in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            var consumedAll = inBuf.isEmpty
            if consumedAll { return "empty input" }
            while !consumedAll {
                if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
                let status: Int32 = output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress! + produced
                    let room = Swift.min(outBuf.count - produced, Int(UInt32.max))
                    stream.avail_out = UInt32(room)
                    let s = CZlib.inflate(&stream, Z_NO_FLUSH)
                    produced += room - Int(stream.avail_out)
                    return s
                }
                switch status {
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress possible: either the output is full (grow it) or the input ran out.
                    if stream.avail_out == 0 { continue }
                    return "unexpected end of data (truncated)"
                case Z_STREAM_END:
                    if multiMember, stream.avail_in > 0 {
                        // Another gzip member follows (skip zero padding, which some tools append).
                        let rest = UnsafeBufferPointer(start: stream.next_in, count: Int(stream.avail_in))
                        if rest.allSatisfy({ $0 == 0 }) { consumedAll = true; break }
                        if inflateReset(&stream) != Z_OK { return "inflateReset failed" }
                        continue
                    }
                    consumedAll = true
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    return message
                }
            }
            return nil
        }
        if let failure { throw Failure(reason: failure) }
        output.removeLast(output.count - produced)
        return output
    }

    /// gzip-compresses `input` (used to make test fixtures).
    static func gzip(_ input: [UInt8], level: Int32 = 6) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard czlib_deflateInit2(&stream, level, 16 + MAX_WBITS) == Z_OK else { throw Failure(reason: "deflateInit2 failed") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        let status: Int32 = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(outBuf.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw Failure(reason: "deflate failed (\(status))") }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }

    /// The CRC-32 (ISO 3309, as in zip and gzip) of `bytes`, continuing from `crc`.
    static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var c = UInt(crc)
        var p = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var left = bytes.count
        guard p != nil else { return crc }
        while left > 0 {
            let chunk = Swift.min(left, Int(UInt32.max))
            c = CZlib.crc32(c, p, UInt32(chunk))
            p = p! + chunk
            left -= chunk
        }
        return UInt32(truncatingIfNeeded: c)
    }
}
