import Foundation

/// Writes files atomically: the contents go to a temporary file in the same directory, which is
/// flushed to disk (`fsync`) and then renamed over the target, and the directory is flushed too.
/// A reader — or a crash at any moment — sees either the complete old file or the complete new one,
/// never a half-written file.
public enum AtomicFile {
    /// A destination for the bytes of a file being written (buffered).
    public struct Sink: ~Copyable {
        let fd: Int32
        let path: String
        var buffer: [UInt8] = []
        /// Bytes written so far.
        public private(set) var byteCount = 0

        init(fd: Int32, path: String) {
            self.fd = fd
            self.path = path
            buffer.reserveCapacity(1 << 16)
        }

        /// Appends `bytes`.
        public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(CheckpointError) {
            byteCount += bytes.count
            if buffer.count + bytes.count <= 1 << 16 {
                buffer.append(contentsOf: bytes)
                return
            }
            try flush()
            try writeAll(bytes)
        }

        /// Appends `bytes`.
        public mutating func write(_ bytes: [UInt8]) throws(CheckpointError) {
            try withBytes(of: bytes) { (b) throws(CheckpointError) in try write(b) }
        }

        mutating func flush() throws(CheckpointError) {
            if buffer.isEmpty { return }
            let pending = buffer
            buffer.removeAll(keepingCapacity: true)
            try withBytes(of: pending) { (b) throws(CheckpointError) in try writeAll(b) }
        }

        private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(CheckpointError) {
            var done = 0
            while done < bytes.count {
                let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw .cannotWrite(path: path, reason: FileBytes.errorMessage(errno))
                }
                done += n
            }
        }
    }

    /// Atomically replaces the file at `path` with `bytes`.
    public static func write(_ bytes: [UInt8], to path: String) throws(CheckpointError) {
        try write(to: path) { (sink: inout Sink) throws(CheckpointError) in try sink.write(bytes) }
    }

    /// Atomically replaces the file at `path` with what `body` writes to the sink. If `body` throws,
    /// the temporary file is removed, the error is rethrown, and the file at `path` is untouched.
    ///
    /// A new file has mode 0644; a replaced file keeps its mode. When `path` is a symbolic link,
    /// the file it points to is replaced and the link stays. A missing directory is reported as
    /// such.
    public static func write(to path: String, _ body: (inout Sink) throws(CheckpointError) -> Void) throws(CheckpointError) {
        // Through a symbolic link: the target is what gets replaced.
        let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { target in
            target.hasPrefix("/") ? target : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
        }
        let target = resolved ?? path
        let url = URL(fileURLWithPath: target)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw .cannotWrite(path: path, reason: "the directory \(directory) does not exist")
        }
        var existing = stat()
        let mode: mode_t = stat(target, &existing) == 0 ? existing.st_mode & 0o7777 : 0o644
        var template = Array((directory as NSString).appendingPathComponent(".\(url.lastPathComponent).tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 { throw .cannotWrite(path: path, reason: FileBytes.errorMessage(errno)) }
        let tempPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(tempPath) }
        }
        fchmod(fd, mode)
        var sink = Sink(fd: fd, path: path)
        try body(&sink)
        try sink.flush()
        if fsync(fd) != 0 { throw .cannotWrite(path: path, reason: "fsync: " + FileBytes.errorMessage(errno)) }
        closed = true
        if close(fd) != 0 { throw .cannotWrite(path: path, reason: "close: " + FileBytes.errorMessage(errno)) }
        if rename(tempPath, target) != 0 {
            throw .cannotWrite(path: path, reason: "rename: " + FileBytes.errorMessage(errno))
        }
        renamed = true
        // Make the rename itself durable.
        let dfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}
