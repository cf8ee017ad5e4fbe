import Foundation

/// An error reading a dataset: an IDX file (MNIST, Fashion-MNIST), a CSV table, or a missing data
/// directory. Every case names the file and what was wrong with it.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read (`reason` is the system's message).
    case cannotRead(path: String, reason: String)
    /// The gzip stream is corrupt or cut short.
    case badGzip(path: String, reason: String)
    /// The file ends before the header or the data it announces: `expected` bytes, `actual` present.
    case truncated(path: String, expected: Int, actual: Int)
    /// The first four bytes are not an IDX magic number (`0x0000TTNN`: type code `TT`, `NN` dimensions).
    case badMagic(path: String, found: UInt32)
    /// The IDX type code is not one of 0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32),
    /// 0x0D (float32), 0x0E (float64).
    case unsupportedElementType(path: String, code: UInt8)
    /// The file holds more bytes than its header announces (`expected` bytes, `actual` present).
    case sizeMismatch(path: String, expected: Int, actual: Int)
    /// The file's dimensions are not what the loader needs (e.g. labels that are not a vector).
    case unexpectedShape(path: String, expected: String, found: [Int])
    /// The file's IDX element type is not the one the loader needs (e.g. labels that are not uint8).
    case unexpectedElementType(path: String, expected: IDX.ElementType, found: IDX.ElementType)
    /// An element cannot be converted to the requested integer dtype (not a whole number, or out
    /// of its range); `index` is its 0-based position.
    case notRepresentable(path: String, index: Int, value: Double, dtype: DType)
    /// An image file and its label file disagree on the number of samples.
    case countMismatch(imagesPath: String, images: Int, labelsPath: String, labels: Int)
    /// The training and test images of a dataset differ in size (`[rows, cols]` each).
    case imageSizeMismatch(trainPath: String, train: [Int], testPath: String, test: [Int])
    /// A dataset file is missing from a directory (`tried` lists the names looked for).
    case missingFile(directory: String, tried: [String])
    /// No data directory was found; `searched` lists the places looked in, in order.
    case dataDirectoryNotFound(dataset: String, searched: [String])
    /// A CSV line could not be parsed (`line` is 1-based, counting the header).
    case badCSV(path: String, line: Int, reason: String)

    /// A one-line, readable explanation.
    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "\(path): cannot read: \(reason)"
        case let .badGzip(path, reason): return "\(path): corrupt gzip data: \(reason)"
        case let .truncated(path, expected, actual):
            return "\(path): truncated: needs \(expected) bytes, has \(actual)"
        case let .badMagic(path, found):
            return "\(path): not an IDX file: magic number 0x\(String(found, radix: 16, uppercase: true)) "
                + "(expected 0x0000TTNN with type code TT and NN dimensions, e.g. 0x00000803 for images)"
        case let .unsupportedElementType(path, code):
            return "\(path): unsupported IDX element type code 0x\(String(code, radix: 16, uppercase: true))"
        case let .sizeMismatch(path, expected, actual):
            return "\(path): size mismatch: the header announces \(expected) bytes in all, the file has \(actual)"
        case let .unexpectedShape(path, expected, found):
            return "\(path): expected \(expected), found dimensions \(found)"
        case let .unexpectedElementType(path, expected, found):
            return "\(path): expected \(expected) elements (IDX type code 0x\(Self.hex(expected.rawValue))), "
                + "found \(found) (type code 0x\(Self.hex(found.rawValue)))"
        case let .notRepresentable(path, index, value, dtype):
            return "\(path): element \(index) (\(value)) cannot be read as \(dtype): not a whole number in its range"
        case let .countMismatch(imagesPath, images, labelsPath, labels):
            return "\(imagesPath) has \(images) images but \(labelsPath) has \(labels) labels"
        case let .imageSizeMismatch(trainPath, train, testPath, test):
            return "the training images (\(trainPath)) are \(train.map(String.init).joined(separator: "×")) "
                + "but the test images (\(testPath)) are \(test.map(String.init).joined(separator: "×"))"
        case let .missingFile(directory, tried):
            return "\(directory): no file named \(tried.joined(separator: " or "))"
        case let .dataDirectoryNotFound(dataset, searched):
            let install = dataset == MNIST.Dataset.fashionMNIST.rawValue
                ? "install Debian's package (apt-get install dataset-fashion-mnist), " : ""
            return "\(dataset) data not found; looked in: \(searched.joined(separator: ", ")) "
                + "(\(install)set AUTOGRAD_DATA to a directory holding \(dataset)/ or pass the directory explicitly)"
        case let .badCSV(path, line, reason): return "\(path):\(line): \(reason)"
        }
    }

    private static func hex(_ code: UInt8) -> String {
        (code < 16 ? "0" : "") + String(code, radix: 16, uppercase: true)
    }
}

/// Reading whole files into memory with POSIX calls (no Foundation `Data` copies).
enum FileBytes {
    /// The system's message for `errno`.
    static func errorMessage(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// The bytes of the file at `path`, or the system's message for why it could not be read.
    static func contents(of path: String) -> Result<[UInt8], FileReadFailure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return .failure(FileReadFailure(reason: errorMessage(errno))) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { return .failure(FileReadFailure(reason: errorMessage(errno))) }
        if (st.st_mode & S_IFMT) == S_IFDIR { return .failure(FileReadFailure(reason: "is a directory")) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        let total = bytes.count
        let failure: String? = bytes.withUnsafeMutableBytes { buf -> String? in
            while done < total {
                let n = read(fd, buf.baseAddress! + done, total - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errorMessage(errno)
                }
                if n == 0 { break }
                done += n
            }
            return nil
        }
        if let failure { return .failure(FileReadFailure(reason: failure)) }
        if done < total { bytes.removeLast(total - done) }
        return .success(bytes)
    }
}

/// Why a file could not be read (mapped to the caller's error type).
struct FileReadFailure: Error {
    let reason: String
}
