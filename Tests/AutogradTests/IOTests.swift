import Foundation
import Testing
@testable import Autograd

// Data and checkpoint I/O: IDX/MNIST, CSV, mini-batches, safetensors, .npy/.npz, strict loading
// of parameter trees, atomic writes. Reference numbers come from outside this code: the MNIST facts
// published in Data/mnist/README.md (and numpy sums noted where used), numpy's and Python
// safetensors' own files in Fixtures/io (made by Fixtures/io/make_python_fixtures.py), and values
// derived by hand (noted at each use).

/// The folder of the Python-made fixtures.
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures").appendingPathComponent("io")

private func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

/// A fresh, empty temporary directory.
private func scratchDirectory() -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("autograd-io-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

private func writeBytes(_ bytes: [UInt8], _ path: String) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

/// An IDX file: magic 0x0000TTNN, big-endian dimensions, then `payload`.
private func idxBytes(type: UInt8, shape: [Int], payload: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0, 0, type, UInt8(shape.count)]
    for d in shape { out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return out + payload
}

@Suite struct IOTests {
    // MARK: IDX and MNIST

    @Test func shippedMNISTLoadsWithItsPublishedFacts() throws {
        let dir = try MNIST.defaultDirectory()
        #expect(dir.hasSuffix("Data/mnist"))
        let mnist = try MNIST(directory: dir)
        #expect(mnist.train.images.shape == [60000, 784])
        #expect(mnist.train.images.dtype == .float32)
        #expect(mnist.train.labels.shape == [60000])
        #expect(mnist.train.labels.dtype == .int64)
        #expect(mnist.test.images.shape == [10000, 784])
        #expect(mnist.test.imagesNCHW.shape == [10000, 1, 28, 28])
        #expect(mnist.train.imageShape == [28, 28])
        // First labels and per-class counts: Data/mnist/README.md (from shared/data/README.md).
        #expect(mnist.train.labels[0..<10].scalars(as: Int.self) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
        #expect(mnist.test.labels[0..<10].scalars(as: Int.self) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        var trainCounts = [Int](repeating: 0, count: 10)
        for l in mnist.train.labels.scalars(as: Int.self) { trainCounts[l] += 1 }
        #expect(trainCounts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        var testCounts = [Int](repeating: 0, count: 10)
        for l in mnist.test.labels.scalars(as: Int.self) { testCounts[l] += 1 }
        #expect(testCounts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        // Pixels scaled by 1/255. numpy on the decompressed bytes: training image 0, row 14 is
        // [0 × 13, 81, 240, 253, 253, 119, 25, 0 × 9]; the test images' bytes sum to 264923200.
        let row14 = mnist.train.images[0].scalars(as: Float.self)[(14 * 28)..<(15 * 28)].map { Int(($0 * 255).rounded()) }
        #expect(row14 == [Int](repeating: 0, count: 13) + [81, 240, 253, 253, 119, 25] + [Int](repeating: 0, count: 9))
        let testSum = mnist.test.images.scalars(as: Float.self).reduce(0.0) { $0 + Double(($1 * 255).rounded()) }
        #expect(testSum == 264_923_200)
        let pixels = mnist.test.images.scalars(as: Float.self)
        #expect(pixels.min() == 0 && pixels.max() == 1)
    }

    /// Fashion-MNIST where Debian's `dataset-fashion-mnist` puts it, else the workplace's copy
    /// (`../shared/data/fashion-mnist` beside the repository), if either is there.
    static let fashionDirectory: String? = {
        let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/data/fashion-mnist").path
        return [MNIST.debianFashionMNISTDirectory, shared].first { FileManager.default.fileExists(atPath: $0) }
    }()

    @Test(.enabled(if: IOTests.fashionDirectory != nil, "Fashion-MNIST is not installed"))
    func fashionMNISTLoadsFromDebiansDirectory() throws {
        let dir = try #require(IOTests.fashionDirectory)
        let data = try MNIST(directory: dir)
        // First labels: shared/data/README.md (Fashion-MNIST section).
        #expect(data.train.labels[0..<10].scalars(as: Int.self) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        #expect(data.test.labels[0..<10].scalars(as: Int.self) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        #expect(data.train.images.shape == [60000, 784])
    }

    @Test func idxReadsEveryElementTypeRawAndGzipped() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // uint8 [2, 3]: bytes 0…5 (int64 by default; float32 with scale 1/2 gives 0, 0.5, …, 2.5).
        let u8 = idxBytes(type: 0x08, shape: [2, 3], payload: [0, 1, 2, 3, 4, 255])
        writeBytes(u8, "\(dir)/u8")
        let t = try IDX.read(path: "\(dir)/u8")
        #expect(t.shape == [2, 3] && t.dtype == .int64)
        #expect(t.scalars(as: Int.self) == [0, 1, 2, 3, 4, 255])
        #expect(try IDX.read(path: "\(dir)/u8", dtype: .float32, scale: 0.5).scalars(as: Float.self) == [0, 0.5, 1, 1.5, 2, 127.5])
        // The same file gzipped (and as two concatenated gzip members) reads the same.
        writeBytes(try Zlib.gzip(u8), "\(dir)/u8.gz")
        #expect(try IDX.read(path: "\(dir)/u8.gz").scalars(as: Int.self) == [0, 1, 2, 3, 4, 255])
        writeBytes(try Zlib.gzip(Array(u8[0..<7])) + (try Zlib.gzip(Array(u8[7...]))), "\(dir)/two-members.gz")
        #expect(try IDX.read(path: "\(dir)/two-members.gz").scalars(as: Int.self) == [0, 1, 2, 3, 4, 255])
        // int8 0xFF = -1; int16 big-endian 0xFF 0xFE = -2; int32 0x00 0x01 0x00 0x00 = 65536.
        writeBytes(idxBytes(type: 0x09, shape: [2], payload: [0xFF, 0x7F]), "\(dir)/i8")
        #expect(try IDX.read(path: "\(dir)/i8").scalars(as: Int.self) == [-1, 127])
        writeBytes(idxBytes(type: 0x0B, shape: [1], payload: [0xFF, 0xFE]), "\(dir)/i16")
        #expect(try IDX.read(path: "\(dir)/i16").scalars(as: Int.self) == [-2])
        writeBytes(idxBytes(type: 0x0C, shape: [1], payload: [0, 1, 0, 0]), "\(dir)/i32")
        #expect(try IDX.read(path: "\(dir)/i32").scalars(as: Int.self) == [65536])
        // float32 1.5 = 0x3FC00000; float64 -0.25 = 0xBFD0000000000000 (IEEE 754 by hand).
        writeBytes(idxBytes(type: 0x0D, shape: [1], payload: [0x3F, 0xC0, 0, 0]), "\(dir)/f32")
        let f32 = try IDX.read(path: "\(dir)/f32")
        #expect(f32.dtype == .float32 && f32.scalar == 1.5)
        writeBytes(idxBytes(type: 0x0E, shape: [1, 1], payload: [0xBF, 0xD0, 0, 0, 0, 0, 0, 0]), "\(dir)/f64")
        let f64 = try IDX.read(path: "\(dir)/f64")
        #expect(f64.dtype == .float64 && f64.shape == [1, 1] && f64.scalar == -0.25)
        #expect(try IDX.readHeader(path: "\(dir)/u8.gz") == IDX.Header(elementType: .uint8, shape: [2, 3]))
        // uint8 scaled into float32 rounds once, as every other source type: v / 255 gives exactly
        // Float(v) / 255 (torchvision's pixels) for all 256 values.
        writeBytes(idxBytes(type: 0x08, shape: [256], payload: (0..<256).map { UInt8($0) }), "\(dir)/all")
        #expect(try IDX.read(path: "\(dir)/all", dtype: .float32, scale: 1.0 / 255).scalars(as: Float.self)
                == (0..<256).map { Float($0) / 255 })
        // Floats read as int64 must be whole numbers in range.
        writeBytes(idxBytes(type: 0x0D, shape: [2], payload: [0x40, 0, 0, 0, 0x7F, 0xC0, 0, 0]), "\(dir)/nan")   // 2.0, NaN
        #expect { try IDX.read(path: "\(dir)/nan", dtype: .int64) } throws: { error in
            guard case DataError.notRepresentable(_, 1, let v, .int64)? = error as? DataError else { return false }
            return v.isNaN
        }
    }

    @Test func idxErrorsNameTheFileAndTheProblem() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Truncated data: [2, 2, 2] uint8 needs 4 + 12 + 8 = 24 bytes; 5 of the 8 data bytes given.
        writeBytes(idxBytes(type: 0x08, shape: [2, 2, 2], payload: [1, 2, 3, 4, 5]), "\(dir)/short")
        #expect(throws: DataError.truncated(path: "\(dir)/short", expected: 24, actual: 21)) {
            try IDX.read(path: "\(dir)/short")
        }
        // Truncated header: 3 dimensions announced, only one present.
        writeBytes([0, 0, 8, 3, 0, 0, 0, 2], "\(dir)/shortheader")
        #expect(throws: DataError.truncated(path: "\(dir)/shortheader", expected: 16, actual: 8)) {
            try IDX.read(path: "\(dir)/shortheader")
        }
        // Extra bytes after the data.
        writeBytes(idxBytes(type: 0x08, shape: [2], payload: [1, 2, 3]), "\(dir)/long")
        #expect(throws: DataError.sizeMismatch(path: "\(dir)/long", expected: 10, actual: 11)) {
            try IDX.read(path: "\(dir)/long")
        }
        // Bad magic: a text file ("abcd" = 0x61626364).
        writeBytes(Array("abcdefgh".utf8), "\(dir)/text")
        #expect(throws: DataError.badMagic(path: "\(dir)/text", found: 0x6162_6364)) { try IDX.read(path: "\(dir)/text") }
        // Unknown type code 0x0A.
        writeBytes(idxBytes(type: 0x0A, shape: [1], payload: [0]), "\(dir)/type")
        #expect(throws: DataError.unsupportedElementType(path: "\(dir)/type", code: 0x0A)) { try IDX.read(path: "\(dir)/type") }
        // A gzip file cut short.
        let gz = try Zlib.gzip(idxBytes(type: 0x08, shape: [100], payload: (0..<100).map { UInt8($0) }))
        writeBytes(Array(gz[0..<(gz.count / 2)]), "\(dir)/cut.gz")
        #expect { try IDX.read(path: "\(dir)/cut.gz") } throws: { error in
            guard case DataError.badGzip(let path, _)? = error as? DataError else { return false }
            return path == "\(dir)/cut.gz"
        }
        // A missing file.
        #expect { try IDX.read(path: "\(dir)/absent") } throws: { error in
            guard case DataError.cannotRead(let path, let reason)? = error as? DataError else { return false }
            return path == "\(dir)/absent" && reason.contains("No such file")
        }
        let message = DataError.truncated(path: "x", expected: 24, actual: 21).description
        #expect(message == "x: truncated: needs 24 bytes, has 21")
    }

    @Test func mnistLoaderChecksCountsAndFiles() throws {
        // A tiny dataset in raw (not gzipped) IDX files with the dotted names some copies use:
        // 3 training images of 2×2 with 3 labels, 1 test image with 1 label.
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        writeBytes(idxBytes(type: 0x08, shape: [3, 2, 2], payload: (0..<12).map { UInt8($0 * 20) }), "\(dir)/train-images.idx3-ubyte")
        writeBytes(idxBytes(type: 0x08, shape: [3], payload: [2, 0, 1]), "\(dir)/train-labels.idx1-ubyte")
        writeBytes(idxBytes(type: 0x08, shape: [1, 2, 2], payload: [255, 0, 0, 51]), "\(dir)/t10k-images-idx3-ubyte")
        writeBytes(idxBytes(type: 0x08, shape: [1], payload: [7]), "\(dir)/t10k-labels-idx1-ubyte")
        let data = try MNIST(directory: dir)
        #expect(data.train.images.shape == [3, 4] && data.train.imageShape == [2, 2])
        #expect(data.train.labels.scalars(as: Int.self) == [2, 0, 1])
        // 255/255 = 1, 51/255 = 0.2.
        #expect(data.test.images.scalars(as: Float.self) == [1, 0, 0, Float(51) / 255])
        #expect(data.test.imagesNCHW.shape == [1, 1, 2, 2])
        let firstTwo = data.train.prefix(2)
        #expect(firstTwo.count == 2 && firstTwo.images.shape == [2, 4] && firstTwo.labels.scalars(as: Int.self) == [2, 0])
        #expect(firstTwo.imagesNCHW.doubles == (0..<8).map { Double(Float($0 * 20) / 255) })
        #expect(data.train.prefix(10).count == 3)
        // Labels for only 2 of the 3 training images.
        writeBytes(idxBytes(type: 0x08, shape: [2], payload: [2, 0]), "\(dir)/train-labels.idx1-ubyte")
        #expect(throws: DataError.countMismatch(imagesPath: "\(dir)/train-images.idx3-ubyte", images: 3,
                                                labelsPath: "\(dir)/train-labels.idx1-ubyte", labels: 2)) {
            try MNIST(directory: dir)
        }
        // Labels of the wrong rank.
        writeBytes(idxBytes(type: 0x08, shape: [3, 1], payload: [2, 0, 1]), "\(dir)/train-labels.idx1-ubyte")
        #expect(throws: DataError.unexpectedShape(path: "\(dir)/train-labels.idx1-ubyte", expected: "labels [N]", found: [3, 1])) {
            try MNIST(directory: dir)
        }
        // Labels stored as int8 (type code 0x09) are named as such.
        writeBytes(idxBytes(type: 0x09, shape: [3], payload: [2, 0, 1]), "\(dir)/train-labels.idx1-ubyte")
        let wrongType = DataError.unexpectedElementType(path: "\(dir)/train-labels.idx1-ubyte", expected: .uint8, found: .int8)
        #expect(throws: wrongType) { try MNIST(directory: dir) }
        #expect(wrongType.description.hasSuffix("expected uint8 elements (IDX type code 0x08), found int8 (type code 0x09)"))
        // Test images of another size than the training images.
        writeBytes(idxBytes(type: 0x08, shape: [3], payload: [2, 0, 1]), "\(dir)/train-labels.idx1-ubyte")
        writeBytes(idxBytes(type: 0x08, shape: [1, 1, 3], payload: [1, 2, 3]), "\(dir)/t10k-images-idx3-ubyte")
        let sizes = DataError.imageSizeMismatch(trainPath: "\(dir)/train-images.idx3-ubyte", train: [2, 2],
                                                testPath: "\(dir)/t10k-images-idx3-ubyte", test: [1, 3])
        #expect(throws: sizes) { try MNIST(directory: dir) }
        #expect(sizes.description.contains("are 2×2 but the test images") && sizes.description.hasSuffix("are 1×3"))
        // One split alone: the test files suffice to read the test set.
        try FileManager.default.removeItem(atPath: "\(dir)/train-images.idx3-ubyte")
        let test = try MNIST.Split(reading: .test, from: dir)
        #expect(test.imageShape == [1, 3] && test.labels.scalars(as: Int.self) == [7])
        writeBytes(idxBytes(type: 0x08, shape: [3, 2, 2], payload: (0..<12).map { UInt8($0 * 20) }), "\(dir)/train-images.idx3-ubyte")
        // No test images at all.
        try FileManager.default.removeItem(atPath: "\(dir)/t10k-images-idx3-ubyte")
        #expect(throws: DataError.missingFile(directory: dir, tried: ["t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte",
                                                                     "t10k-images.idx3-ubyte.gz", "t10k-images.idx3-ubyte"])) {
            try MNIST(directory: dir)
        }
        // A data directory found nowhere names the places searched.
        let error = DataError.dataDirectoryNotFound(dataset: "mnist", searched: ["/a", "/b"])
        #expect(error.description.contains("/a, /b") && error.description.contains("AUTOGRAD_DATA"))
        #expect(DataError.dataDirectoryNotFound(dataset: "fashion-mnist", searched: ["/a"]).description
            .contains("apt-get install dataset-fashion-mnist"))
    }

    // MARK: CSV

    @Test func csvReadsIrisWithHeaderAndLabelColumn() throws {
        let iris = try CSV.read(path: fixture("iris.csv"), label: .named("target"))
        #expect(iris.columns == ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"])
        #expect(iris.labelColumn == "target")
        #expect(iris.features.shape == [150, 4] && iris.features.dtype == .float64)
        let labels = try #require(iris.labels)
        #expect(labels.dtype == .int64)
        // 50 of each class: shared/data/README.md. First and last rows: the file's lines 2 and 151.
        var counts = [0, 0, 0]
        for l in labels.scalars(as: Int.self) { counts[l] += 1 }
        #expect(counts == [50, 50, 50])
        #expect(iris.features[0].doubles == [5.1, 3.5, 1.4, 0.2])
        #expect(iris.features[149].doubles == [5.9, 3.0, 5.1, 1.8])
        // Column means, numpy.loadtxt(...).mean(0): 5.843333…, 3.057333…, 3.758, 1.199333…
        let means = iris.features.mean(axis: 0).doubles
        for (m, ref) in zip(means, [5.843333333333335, 3.057333333333334, 3.7580000000000027, 1.199333333333334]) {
            #expect(Swift.abs(m - ref) < 1e-12)
        }
        // The same file with the label chosen as the last column, features as float32.
        let last = try CSV.read(path: fixture("iris.csv"), label: .last, featureDType: .float32)
        #expect(last.features.dtype == .float32 && last.labels?.scalars(as: Int.self) == labels.scalars(as: Int.self))
    }

    @Test func csvOptionsAndErrorsWithLineNumbers() throws {
        // No header (detected), label in column 0, CRLF line ends, a blank line, quoted fields.
        let table = try CSV.parse("1, 2.5, 3\r\n0,\"-1e2\",4\r\n\r\n2,0,nan\r\n", label: .index(0))
        #expect(table.columns == ["column1", "column2"])
        #expect(table.labels?.scalars(as: Int.self) == [1, 0, 2])
        let values = table.features.doubles
        #expect(Array(values[0..<5]) == [2.5, 3, -100, 4, 0] && values[5].isNaN)
        // No label column: every column is a feature.
        #expect(try CSV.parse("a,b\n1,2\n").features.shape == [1, 2])
        #expect(try CSV.parse("1,2\n3,4\n", header: .absent).features.doubles == [1, 2, 3, 4])
        // Errors, with 1-based line numbers counting the header.
        #expect(throws: DataError.badCSV(path: "t.csv", line: 3, reason: "field 2 (y) is not a number: \"abc\"")) {
            try CSV.parse("x,y\n1,2\n3,abc\n", path: "t.csv")
        }
        #expect(throws: DataError.badCSV(path: "t.csv", line: 4, reason: "1 fields, expected 2 as on line 1")) {
            try CSV.parse("x,y\n1,2\n\n3\n", path: "t.csv")
        }
        #expect(throws: DataError.badCSV(path: "t.csv", line: 2, reason: "label \"0.5\" in column y is not a whole number in int64's range")) {
            try CSV.parse("x,y\n1,0.5\n", path: "t.csv", label: .named("y"))
        }
        #expect(throws: DataError.badCSV(path: "t.csv", line: 1, reason: "no column named \"z\" (columns: x, y)")) {
            try CSV.parse("x,y\n1,2\n", path: "t.csv", label: .named("z"))
        }
        #expect(throws: DataError.badCSV(path: "t.csv", line: 1, reason: "label column \"y\" named, but the file has no header row")) {
            try CSV.parse("1,2\n", path: "t.csv", label: .named("y"))
        }
        #expect(throws: DataError.badCSV(path: "t.csv", line: 1, reason: "no data lines")) { try CSV.parse("\n\n", path: "t.csv") }
        #expect { try CSV.read(path: "/nonexistent/file.csv") } throws: { error in
            guard case DataError.cannotRead(let path, _)? = error as? DataError else { return false }
            return path == "/nonexistent/file.csv"
        }
    }

    @Test func csvQuotingBOMAndIntegerRanges() throws {
        // RFC 4180 quoting: a delimiter and a doubled quote inside quotes; a byte-order mark before
        // the header.
        let quoted = try CSV.parse("\u{FEFF}\"a, \"\"first\"\"\",b,label\n1,2,0\n\"3\", 4 ,\"1\"\n", label: .named("label"))
        #expect(quoted.columns == ["a, \"first\"", "b"] && quoted.features.doubles == [1, 2, 3, 4])
        #expect(quoted.labels!.scalars(as: Int.self) == [0, 1])
        #expect(throws: DataError.badCSV(path: "<csv>", line: 2, reason: "a quoted field is not closed on its line")) {
            try CSV.parse("a,b\n\"1,2\n", label: .last)
        }
        // int64 labels written as integers are exact beyond 2^53; 1e20 does not fit.
        let big = try CSV.parse("x,y\n1,9007199254740993\n", label: .last)
        #expect(big.labels!.scalars(as: Int.self) == [9_007_199_254_740_993])
        #expect(throws: DataError.badCSV(path: "<csv>", line: 2, reason: "label \"1e20\" in column y is not a whole number in int64's range")) {
            try CSV.parse("x,y\n1,1e20\n", label: .last)
        }
        #expect(throws: DataError.badCSV(path: "<csv>", line: 2, reason: "label \"2\" in column y is not 0 or 1")) {
            try CSV.parse("x,y\n1,2\n", label: .last, labelDType: .bool)
        }
        #expect(throws: DataError.badCSV(path: "<csv>", line: 2, reason: "field 1 (x) is not a number: \"0x1p3\"")) {
            try CSV.parse("x,y\n0x1p3,1\n", label: .last)
        }
    }

    // MARK: Mini-batches

    @Test func batchesShuffleBySeedTheSameEveryRun() throws {
        // Reference permutations: an independent Python implementation of the documented
        // Fisher–Yates over SplitMix64 (j = ((i + 1) * draw) >> 64, i from n-1 down to 1).
        #expect(Batches.permutation(count: 10, seed: 42) == [8, 3, 6, 5, 4, 0, 9, 2, 1, 7])
        // Epoch e shuffles with seed SplitMix64.draw(seed: 7, index: e) = 7191089600892374487 for e = 0.
        #expect(SplitMix64.draw(seed: 7, index: 0) == 7_191_089_600_892_374_487)
        let x = Tensor.arange(10, dtype: .float32).reshape([10, 1])
        let y = Tensor.arange(10)
        let epoch0 = Batches(inputs: x, labels: y, batchSize: 4, seed: 7, epoch: 0)
        let epoch1 = Batches(inputs: x, labels: y, batchSize: 4, seed: 7, epoch: 1)
        #expect(epoch0.order == [6, 1, 8, 3, 0, 2, 9, 4, 5, 7])
        #expect(epoch1.order == [1, 3, 0, 4, 8, 2, 9, 7, 6, 5])
        #expect(Batches(inputs: x, labels: y, batchSize: 4, seed: 7, epoch: 0).order == epoch0.order)
        // Last partial batch kept: sizes 4, 4, 2, in the shuffled order; inputs and labels stay paired.
        let batches = Array(epoch0)
        #expect(epoch0.count == 3 && batches.map { $0.labels.count } == [4, 4, 2])
        #expect(batches.flatMap { $0.labels.scalars(as: Int.self) } == [6, 1, 8, 3, 0, 2, 9, 4, 5, 7])
        for (inputs, labels) in batches {
            #expect(inputs.shape == [labels.count, 1] && inputs.dtype == .float32)
            #expect(inputs.scalars(as: Float.self) == labels.scalars(as: Int.self).map(Float.init))
        }
        // Dropped: two full batches.
        let dropped = Batches(inputs: x, labels: y, batchSize: 4, seed: 7, dropLast: true)
        #expect(dropped.count == 2 && Array(dropped).map { $0.labels.count } == [4, 4])
        // In order, without shuffling, and with more axes per sample.
        let images = Tensor.arange(0, 40, dtype: .float64).reshape([10, 1, 2, 2])
        let plain = Array(Batches(inputs: images, labels: y, batchSize: 3, shuffle: false))
        #expect(plain.count == 4 && plain[3].inputs.shape == [1, 1, 2, 2])
        #expect(plain[1].labels.scalars(as: Int.self) == [3, 4, 5])
        #expect(plain[1].inputs.doubles == (12..<24).map(Double.init))
        // Batch larger than the data: one batch (or none if dropped).
        #expect(Batches(inputs: x, labels: y, batchSize: 32).count == 1)
        #expect(Batches(inputs: x, labels: y, batchSize: 32, dropLast: true).count == 0)
    }

    // MARK: Checkpoint formats

    /// The values of Fixtures/io/make_python_fixtures.py, by hand: w = arange(6)/4 (float32),
    /// b = [-1.5, 2^-30, 1e300], idx = [-3, 0, 2^40], m = [[T, F], [F, T]], s = 7 (0-d).
    private func expectPythonValues(_ t: [String: Tensor]) {
        #expect(Set(t.keys) == ["w", "b", "idx", "m", "s"])
        #expect(t["w"]?.shape == [2, 3] && t["w"]?.dtype == .float32)
        #expect(t["w"]?.scalars(as: Float.self) == [0, 0.25, 0.5, 0.75, 1, 1.25])
        #expect(t["b"]?.dtype == .float64 && t["b"]?.doubles == [-1.5, 0x1p-30, 1e300])
        #expect(t["idx"]?.dtype == .int64 && t["idx"]?.scalars(as: Int.self) == [-3, 0, 1 << 40])
        #expect(t["m"]?.dtype == .bool && t["m"]?.shape == [2, 2] && t["m"]?.scalars(as: Bool.self) == [true, false, false, true])
        #expect(t["s"]?.shape == [] && t["s"]?.scalar == 7)
    }

    @Test func readsFilesWrittenByPython() throws {
        let st = try Safetensors.read(path: fixture("python_written.safetensors"))
        expectPythonValues(st.tensors)
        #expect(st.metadata == ["format": "np", "epoch": "3"])
        let stored = try NumPy.readNPZ(path: fixture("python_written.npz"))
        expectPythonValues(stored.tensors)
        #expect(stored.metadata.isEmpty)
        expectPythonValues(try NumPy.readNPZ(path: fixture("python_written_compressed.npz")).tensors)
        expectPythonValues(try Checkpoint(contentsOf: fixture("python_written_compressed.npz")).tensors)
        let w = try NumPy.readNPY(path: fixture("python_written.npy"))
        #expect(w.shape == [2, 3] && w.scalars(as: Float.self) == [0, 0.25, 0.5, 0.75, 1, 1.25])
        // Fortran order: numpy.asfortranarray(arange(6).reshape(2, 3)) reads back row-major 0…5.
        let f = try NumPy.readNPY(path: fixture("python_fortran.npy"))
        #expect(f.shape == [2, 3] && f.doubles == [0, 1, 2, 3, 4, 5])
        let single = try Checkpoint(contentsOf: fixture("python_written.npy"))
        #expect(Array(single.tensors.keys) == ["python_written"])
    }

    /// The tensors of the Python fixture, made here.
    private func sampleTensors() -> [String: Tensor] {
        [
            "w": Tensor([0, 0.25, 0.5, 0.75, 1, 1.25] as [Float], shape: [2, 3]),
            "b": Tensor([-1.5, 0x1p-30, 1e300] as [Double]),
            "idx": Tensor([-3, 0, 1 << 40] as [Int]),
            "m": Tensor([true, false, false, true], shape: [2, 2]),
            "s": Tensor(7.0),
        ]
    }

    @Test func writesWhatPythonWritesAndReadsItBack() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tensors = sampleTensors()
        // .npy: byte for byte what numpy.save wrote for w.
        try NumPy.writeNPY(tensors["w"]!, to: "\(dir)/w.npy")
        let ours = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/w.npy"))
        let numpys = try Data(contentsOf: URL(fileURLWithPath: fixture("python_written.npy")))
        #expect(ours == numpys)
        // The writer's output is fixed: the same bytes as Fixtures/io/swift_written.*, which
        // Fixtures/io/check_swift_written.py loads in Python's safetensors and numpy with equal values.
        let metadata = ["epoch": "3", "format": "np"]
        for name in ["swift_written.safetensors", "swift_written.npz"] {
            try Checkpoint(tensors: tensors, metadata: metadata).write(to: "\(dir)/\(name)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name)")) == Data(contentsOf: URL(fileURLWithPath: fixture(name))))
        }
        try NumPy.writeNPY(tensors["m"]!, to: "\(dir)/m.npy")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/m.npy")) == Data(contentsOf: URL(fileURLWithPath: fixture("swift_written_bool.npy"))))
        // Round trips through each container.
        for name in ["all.safetensors", "all.npz"] {
            try Checkpoint(tensors: tensors, metadata: ["epoch": "3", "format": "np"]).write(to: "\(dir)/\(name)")
            let back = try Checkpoint(contentsOf: "\(dir)/\(name)")
            expectPythonValues(back.tensors)
            #expect(back.metadata == ["epoch": "3", "format": "np"])
            #expect(back.source == "\(dir)/\(name)")
        }
        // Views are written as their values (a transposed, strided slice).
        let view = Tensor(Array(0..<12).map(Double.init), shape: [3, 4]).transposed()[1..<3]
        try NumPy.writeNPY(view, to: "\(dir)/view.npy")
        #expect(try NumPy.readNPY(path: "\(dir)/view.npy").doubles == [1, 5, 9, 2, 6, 10])
        // 0-d and empty tensors.
        try Checkpoint(tensors: ["empty": Tensor.zeros([0, 3]), "zero": Tensor(Int(5))]).write(to: "\(dir)/edge.safetensors")
        let edge = try Checkpoint(contentsOf: "\(dir)/edge.safetensors")
        #expect(edge.tensors["empty"]?.shape == [0, 3] && edge.tensors["zero"]?.scalar == 5)
        #expect(throws: CheckpointError.self) { try Checkpoint(tensors: tensors).write(to: "\(dir)/many.npy") }
    }

    @Test func safetensorsByteLayoutFollowsTheSpecification() throws {
        // Hand-derived from the format specification: keys sorted, "__metadata__" first, compact
        // JSON, offsets relative to the data start, header padded with spaces to a multiple of 8.
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Safetensors.write(["b": Tensor([1, 2] as [Float]), "a": Tensor([true])], metadata: ["k": "v\"q"],
                              to: "\(dir)/x.safetensors")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/x.safetensors")))
        let json = #"{"__metadata__":{"k":"v\"q"},"a":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}"#
        let padded = json + String(repeating: " ", count: (8 - json.utf8.count % 8) % 8)
        let n = padded.utf8.count
        #expect(n % 8 == 0)
        #expect(Array(bytes[0..<8]) == [UInt8(n & 0xFF), UInt8(n >> 8), 0, 0, 0, 0, 0, 0])
        #expect(String(decoding: bytes[8..<(8 + n)], as: UTF8.self) == padded)
        // Data: true (01), then 1.0f = 0x3F800000 and 2.0f = 0x40000000, little-endian.
        #expect(Array(bytes[(8 + n)...]) == [1, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])
    }

    @Test func malformedCheckpointsAreErrorsNamingTheProblem() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func header(_ json: String, data: [UInt8] = []) -> [UInt8] {
            LittleEndian.bytes(UInt64(json.utf8.count)) + Array(json.utf8) + data
        }
        writeBytes(header(#"{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#, data: [0, 0]), "\(dir)/f16.safetensors")
        #expect(throws: CheckpointError.unsupportedDType(path: "\(dir)/f16.safetensors", key: "h", dtype: "F16")) {
            try Safetensors.read(path: "\(dir)/f16.safetensors")
        }
        writeBytes(header(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "\(dir)/size.safetensors")
        #expect(throws: CheckpointError.malformed(path: "\(dir)/size.safetensors",
                                                  reason: "tensor \"x\" of shape [2] and dtype F32 needs 8 bytes, its data_offsets span 4")) {
            try Safetensors.read(path: "\(dir)/size.safetensors")
        }
        writeBytes([200, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D], "\(dir)/long.safetensors")
        #expect(throws: CheckpointError.malformed(path: "\(dir)/long.safetensors", reason: "header length 200 overruns the file (10 bytes)")) {
            try Safetensors.read(path: "\(dir)/long.safetensors")
        }
        writeBytes(header("{not json"), "\(dir)/json.safetensors")
        #expect(throws: CheckpointError.malformed(path: "\(dir)/json.safetensors", reason: "the header is not valid JSON")) {
            try Safetensors.read(path: "\(dir)/json.safetensors")
        }
        // A flipped byte inside a stored .npz entry fails its CRC.
        try NumPy.writeNPZ(["a": Tensor([1, 2, 3] as [Double])], to: "\(dir)/a.npz")
        var npz = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/a.npz")))
        npz[30 + 5 + 128 + 3] ^= 0xFF   // local header (30) + "a.npy" (5) + npy header (128) + a data byte
        writeBytes(npz, "\(dir)/bad.npz")
        #expect(throws: CheckpointError.malformed(path: "\(dir)/bad.npz", reason: "a.npy: CRC mismatch (file corrupt)")) {
            try NumPy.readNPZ(path: "\(dir)/bad.npz")
        }
        writeBytes(Array("hello".utf8), "\(dir)/x.npy")
        #expect(throws: CheckpointError.malformed(path: "\(dir)/x.npy", reason: "x.npy: not a .npy array (bad magic)")) {
            try NumPy.readNPY(path: "\(dir)/x.npy")
        }
        // Hostile or sloppy headers: a shape whose size overflows, offsets that overlap or leave
        // bytes to no tensor, shapes written as 4.0 or true (Python's safetensors rejects each).
        func malformed(_ name: String, _ bytes: [UInt8], _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
            writeBytes(bytes, "\(dir)/\(name)")
            #expect(throws: CheckpointError.malformed(path: "\(dir)/\(name)", reason: reason), sourceLocation: sourceLocation) {
                _ = try Checkpoint(contentsOf: "\(dir)/\(name)")
            }
        }
        malformed("overflow.safetensors", header(#"{"x":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                  "tensor \"x\" has shape [1099511627776, 1099511627776], too large to address")
        malformed("overlap.safetensors", header(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                  "tensor \"y\" overlaps the data of another tensor")
        malformed("trailing.safetensors", header(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0, 9]),
                  "1 bytes after the last tensor belong to no tensor")
        malformed("float-shape.safetensors", header(#"{"x":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                  "tensor \"x\" has an invalid shape")
        malformed("bool-shape.safetensors", header(#"{"x":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                  "tensor \"x\" has an invalid shape")
        var npyOverflow: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        var npyHeader = Array("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }".utf8)
        while (10 + npyHeader.count + 1) % 64 != 0 { npyHeader.append(0x20) }
        npyHeader.append(0x0A)
        npyOverflow += LittleEndian.bytes(UInt16(npyHeader.count)) + npyHeader
        malformed("overflow.npy", npyOverflow, "overflow: shape [4294967296, 4294967296] is too large to address")
        // A zip with no .npy entries (a torch.save file, say) is not an empty checkpoint.
        try NumPy.writeNPZ([:], metadata: ["k": "v"], to: "\(dir)/meta-only.npz")
        var zipped = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/meta-only.npz")))
        if let r = zipped.firstRange(of: Array("__metadata__.json".utf8)) { zipped.replaceSubrange(r, with: Array("__metadata__.txt_".utf8)) }
        if let r = zipped.firstRange(of: Array("__metadata__.json".utf8)) { zipped.replaceSubrange(r, with: Array("__metadata__.txt_".utf8)) }
        malformed("other.npz", zipped, "a zip archive with no .npy entries (not an .npz checkpoint)")
        #expect(throws: CheckpointError.cannotWrite(path: "\(dir)/reserved.safetensors",
                                                    reason: "\"__metadata__\" is reserved by the format for the metadata; rename that tensor")) {
            try Safetensors.write(["__metadata__": Tensor([1.0])], to: "\(dir)/reserved.safetensors")
        }
        #expect { try Checkpoint(contentsOf: "\(dir)/absent.safetensors") } throws: { error in
            guard case CheckpointError.cannotRead(let path, _)? = error as? CheckpointError else { return false }
            return path == "\(dir)/absent.safetensors"
        }
    }

    // MARK: Parameter trees

    struct Layer: ParameterTree {
        var weight: Tensor
        var bias: Tensor
        var name = "layer"
    }

    struct Model: ParameterTree {
        var layers: [Layer]
        var extra: [String: Tensor]
        var steps: Tensor
    }

    private func model(seed: UInt64) -> Model {
        Model(layers: [Layer(weight: Tensor.randn([3, 2], seed: seed), bias: Tensor.randn([2], seed: seed + 1)),
                       Layer(weight: Tensor.randn([2, 1], seed: seed + 2, dtype: .float32), bias: Tensor.zeros([1], dtype: .float32))],
              extra: ["scale": Tensor(2.5), "mask": Tensor([true, false])],
              steps: Tensor(Int(12)))
    }

    @Test func parameterTreesSaveByNameAndLoadStrictly() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let saved = model(seed: 1)
        for ext in ["safetensors", "npz"] {
            let path = "\(dir)/model.\(ext)"
            try saved.saveCheckpoint(to: path, metadata: ["epoch": "2"])
            let file = try Checkpoint(contentsOf: path)
            #expect(Set(file.tensors.keys) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
                                               "extra.mask", "extra.scale", "steps"])
            #expect(file.metadata == ["epoch": "2"])
            var restored = model(seed: 99)
            try restored.loadCheckpoint(from: path)
            for (a, b) in zip(restored.namedTensors, saved.namedTensors) {
                #expect(a.name == b.name && a.tensor.dtype == b.tensor.dtype && a.tensor.doubles == b.tensor.doubles)
            }
        }
    }

    @Test func strictLoadingNamesTheOffendingKey() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/m.safetensors"
        let template = model(seed: 5)
        func write(_ edit: (inout [String: Tensor]) -> Void) throws {
            var t = try Checkpoint(model(seed: 1)).tensors
            edit(&t)
            try Checkpoint(tensors: t).write(to: path)
        }
        try write { $0["layers.1.bias"] = nil }
        var m = template
        #expect(throws: CheckpointError.missingKey(key: "layers.1.bias", path: path)) { try m.loadCheckpoint(from: path) }
        // The tree is unchanged after a failed load; non-strict loading keeps the missing leaf.
        #expect(m.layers[0].weight.doubles == template.layers[0].weight.doubles)
        try m.loadCheckpoint(from: path, strict: false)
        #expect(m.layers[0].weight.doubles == model(seed: 1).layers[0].weight.doubles)
        #expect(m.layers[1].bias.doubles == template.layers[1].bias.doubles)

        try write { $0["layers.2.weight"] = Tensor.zeros([1]) }
        #expect(throws: CheckpointError.unexpectedKey(key: "layers.2.weight", path: path)) { try m.loadCheckpoint(from: path) }
        try m.loadCheckpoint(from: path, strict: false)

        try write { $0["layers.0.weight"] = Tensor.zeros([2, 3]) }
        #expect(throws: CheckpointError.shapeMismatch(key: "layers.0.weight", expected: [3, 2], found: [2, 3], path: path)) {
            try m.loadCheckpoint(from: path)
        }
        // Shape and dtype mismatches are errors even when not strict.
        try write { $0["extra.scale"] = Tensor(2.5, dtype: .float32) }
        #expect(throws: CheckpointError.dtypeMismatch(key: "extra.scale", expected: .float64, found: .float32, path: path)) {
            try m.loadCheckpoint(from: path, strict: false)
        }
        let message = CheckpointError.missingKey(key: "layers.1.bias", path: path).description
        #expect(message.contains("\"layers.1.bias\"") && message.contains(path))
    }

    @Test func optimizerStateAndPrefixesShareOneFile() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let params = model(seed: 3)
        // Parameters under "model", optimizer state as a plain dictionary, plus metadata.
        var ckpt = try Checkpoint(params, prefix: "model", metadata: ["optimizer": "adam"])
        try ckpt.insert(["m": [Tensor.ones([3, 2]), Tensor.ones([2])], "v": [Tensor.zeros([3, 2])]] as [String: [Tensor]],
                        prefix: "optimizer")
        ckpt.tensors["optimizer.step"] = Tensor(Int(40))
        #expect(throws: CheckpointError.duplicateKey(key: "optimizer.step")) {
            var c = ckpt
            try c.insert(Tensor(1.0), prefix: "optimizer.step")
        }
        try ckpt.write(to: "\(dir)/run.safetensors")
        let back = try Checkpoint(contentsOf: "\(dir)/run.safetensors")
        #expect(back.metadata == ["optimizer": "adam"])
        #expect(back.tensors["optimizer.m.0"]?.doubles == [Double](repeating: 1, count: 6))
        #expect(back.tensors["optimizer.step"]?.scalar == 40)
        // Strict restore under "model" ignores the optimizer's keys…
        let restored = try back.restore(model(seed: 8), prefix: "model")
        #expect(restored.layers[1].weight.doubles == params.layers[1].weight.doubles)
        // …but not an unexpected key under its own prefix.
        var extra = back
        extra.tensors["model.layers.0.scale"] = Tensor(1.0)
        #expect(throws: CheckpointError.unexpectedKey(key: "model.layers.0.scale", path: "\(dir)/run.safetensors")) {
            try extra.restore(model(seed: 8), prefix: "model")
        }
        // The optimizer state restores into its own template.
        let state = try back.restore(["m": [Tensor.zeros([3, 2]), Tensor.zeros([2])], "v": [Tensor.ones([3, 2])]] as [String: [Tensor]],
                                     prefix: "optimizer", strict: false)
        #expect(state["v"]?[0].doubles == [Double](repeating: 0, count: 6))
    }

    // MARK: Atomic writes

    /// The child process of `aWriterKilledWithSIGKILLLeavesALoadableCheckpoint`: rewrites the
    /// checkpoint at `$AUTOGRAD_IO_KILL_TARGET` with generation 1, 2, 3, … until it is killed.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["AUTOGRAD_IO_KILL_TARGET"] != nil,
                   "runs only as the child process of the SIGKILL test"))
    func checkpointWriterChild() throws {
        let path = ProcessInfo.processInfo.environment["AUTOGRAD_IO_KILL_TARGET"]!
        var generation = 1
        while true {
            let x = Tensor.full([2_000_000], Double(generation))   // 16 MB, so a kill lands mid-write
            try Checkpoint(tensors: ["x": x, "y": Tensor.full([1000], Double(generation))],
                           metadata: ["generation": "\(generation)"]).write(to: path)
            generation += 1
        }
    }

    @Test func aWriterKilledWithSIGKILLLeavesALoadableCheckpoint() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/ckpt.safetensors"
        try Checkpoint(tensors: ["x": Tensor.full([2_000_000], 0), "y": Tensor.full([1000], 0)],
                       metadata: ["generation": "0"]).write(to: path)
        // Run the test binary itself as the writer, and kill it at a few moments.
        var generations: [Double] = []
        for delay in [0.05, 0.17, 0.29] {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = ["--testing-library", "swift-testing", "--filter", "checkpointWriterChild"]
            child.environment = ProcessInfo.processInfo.environment.merging(["AUTOGRAD_IO_KILL_TARGET": path]) { $1 }
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            let before = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
            try child.run()
            // Wait until the child has replaced the file once (a new inode), so it is writing, then kill it.
            var waited = 0.0
            while try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int == before, waited < 60 {
                Thread.sleep(forTimeInterval: 0.01)
                waited += 0.01
            }
            Thread.sleep(forTimeInterval: delay)
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)
            // Whatever moment the kill came, the file is one complete generation.
            let ckpt = try Checkpoint(contentsOf: path)
            let generation = try #require(ckpt.metadata["generation"].flatMap(Double.init))
            let x = try #require(ckpt.tensors["x"]).doubles
            #expect(x.count == 2_000_000 && x.allSatisfy { $0 == generation })
            #expect(ckpt.tensors["y"]?.doubles.allSatisfy { $0 == generation } == true)
            generations.append(generation)
        }
        // Each child wrote at least one generation before it was killed.
        #expect(generations.allSatisfy { $0 >= 1 })
    }

    @Test func atomicWritesKeepModeAndSymbolicLinks() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = "\(dir)/real.safetensors", link = "\(dir)/link.safetensors"
        try Safetensors.write(["a": Tensor([1.0])], to: file)
        chmod(file, 0o600)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.safetensors")
        try Safetensors.write(["a": Tensor([2.0])], to: link)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "real.safetensors")
        #expect(try Safetensors.read(path: file).tensors["a"]!.doubles == [2])
        var st = stat()
        #expect(stat(file, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(throws: CheckpointError.cannotWrite(path: "\(dir)/absent/x.safetensors", reason: "the directory \(dir)/absent does not exist")) {
            try Safetensors.write(["a": Tensor([1.0])], to: "\(dir)/absent/x.safetensors")
        }
    }

    @Test func aFailedWriteLeavesThePreviousFileIntact() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/ckpt.safetensors"
        try Checkpoint(tensors: ["a": Tensor([1, 2, 3] as [Double])]).write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // A write that fails half-way (as a full disk would): some bytes are out, then an error.
        #expect(throws: CheckpointError.cannotWrite(path: path, reason: "injected failure")) {
            try AtomicFile.write(to: path) { (sink: inout AtomicFile.Sink) throws(CheckpointError) in
                try sink.write([UInt8](repeating: 0xAB, count: 100_000))
                throw .cannotWrite(path: path, reason: "injected failure")
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try Checkpoint(contentsOf: path).tensors["a"]?.doubles == [1, 2, 3])
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["ckpt.safetensors"])
        // A successful write replaces the file whole.
        try Checkpoint(tensors: ["b": Tensor([4] as [Double])]).write(to: path)
        #expect(try Set(Checkpoint(contentsOf: path).tensors.keys) == ["b"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["ckpt.safetensors"])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        // A directory that does not exist: an error naming the target.
        #expect { try Checkpoint(tensors: [:]).write(to: "\(dir)/missing/x.safetensors") } throws: { error in
            guard case CheckpointError.cannotWrite(let p, _)? = error as? CheckpointError else { return false }
            return p == "\(dir)/missing/x.safetensors"
        }
    }
}
