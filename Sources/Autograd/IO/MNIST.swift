import Foundation

/// The MNIST handwritten digits (or Fashion-MNIST, or any dataset in the same four IDX files),
/// loaded into tensors.
///
/// ```swift
/// let mnist = try MNIST(directory: MNIST.defaultDirectory())
/// mnist.train.images      // float32 [60000, 784], values in [0, 1]
/// mnist.train.labels      // int64 [60000], values 0…9
/// mnist.test.imagesNCHW   // float32 [10000, 1, 28, 28], for convolutions
/// ```
///
/// A directory is read if it holds `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each gzipped (`.gz`) or not (the
/// dotted variants `train-images.idx3-ubyte` etc. are accepted too). Images may be of any size
/// (`rows × cols` is taken from the files).
public struct MNIST: Sendable {
    /// One split (training or test) of the dataset.
    public struct Split: Sendable {
        /// The images, one flattened row per sample: float32 `[N, rows × cols]`, pixel / 255.
        public let images: Tensor
        /// The labels: int64 `[N]`.
        public let labels: Tensor
        /// The image size `[rows, cols]` (`[28, 28]` for MNIST).
        public let imageShape: [Int]

        /// The number of samples.
        public var count: Int { labels.count }
        /// The images as float32 `[N, 1, rows, cols]` (channels first, for convolutions; a view,
        /// no copy).
        public var imagesNCHW: Tensor { images.reshape([count, 1] + imageShape) }

        /// Which half of the dataset a ``Split`` is: the `train-*` or the `t10k-*` files.
        public enum Part: String, Sendable, CaseIterable {
            /// `train-images-idx3-ubyte` and `train-labels-idx1-ubyte`.
            case train
            /// `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`.
            case test
        }

        /// Reads one split's two IDX files from `directory` (e.g. only the test set, to evaluate
        /// a trained model without reading the training files).
        ///
        /// - Throws: ``DataError``, as ``MNIST/init(directory:)`` does for each split.
        public init(reading part: Part, from directory: String) throws(DataError) {
            self = try MNIST.loadSplit(directory: directory, prefix: part == .train ? "train" : "t10k")
        }

        init(images: Tensor, labels: Tensor, imageShape: [Int]) {
            self.images = images
            self.labels = labels
            self.imageShape = imageShape
        }

        /// The first `n` samples (all of them if there are fewer), e.g. for a quick run.
        public func prefix(_ n: Int) -> Split {
            require(n >= 0, "MNIST.Split.prefix: count \(n) must not be negative")
            let k = Swift.min(n, count)
            return Split(images: images[0..<k], labels: labels[0..<k], imageShape: imageShape)
        }
    }

    /// The well-known datasets stored in this layout, for ``defaultDirectory(for:)``.
    public enum Dataset: String, Sendable, CaseIterable {
        /// MNIST handwritten digits (shipped in the repository's `Data/mnist`).
        case mnist = "mnist"
        /// Zalando's Fashion-MNIST (Debian package `dataset-fashion-mnist`).
        case fashionMNIST = "fashion-mnist"
    }

    /// The training split (60000 samples for MNIST).
    public let train: Split
    /// The test split (10000 samples for MNIST).
    public let test: Split
    /// The directory the files were read from.
    public let directory: String

    /// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST.
    public static let debianFashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    /// Reads the four IDX files in `directory`.
    ///
    /// - Throws: ``DataError``: a missing file (naming the names tried), an unreadable or corrupt
    ///   file, images that are not `[N, rows, cols]` uint8 or labels that are not `[N]` uint8,
    ///   image and label files with different sample counts, or training and test images of
    ///   different sizes.
    public init(directory: String) throws(DataError) {
        self.directory = directory
        train = try Split(reading: .train, from: directory)
        test = try Split(reading: .test, from: directory)
        guard train.imageShape == test.imageShape else {
            throw .imageSizeMismatch(trainPath: try MNIST.locate(directory, "train-images-idx3-ubyte"), train: train.imageShape,
                                     testPath: try MNIST.locate(directory, "t10k-images-idx3-ubyte"), test: test.imageShape)
        }
    }

    /// The path of `name` in `directory`, trying `name.gz`, `name` and the dotted variant.
    static func locate(_ directory: String, _ name: String) throws(DataError) -> String {
        // "train-images-idx3-ubyte" → also "train-images.idx3-ubyte" (the name some copies use).
        let dotted = name.replacingOccurrences(of: "-idx", with: ".idx")
        let candidates = [name + ".gz", name, dotted + ".gz", dotted]
        for c in candidates {
            let path = (directory as NSString).appendingPathComponent(c)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw .missingFile(directory: directory, tried: candidates)
    }

    static func loadSplit(directory: String, prefix: String) throws(DataError) -> Split {
        let imagesPath = try locate(directory, "\(prefix)-images-idx3-ubyte")
        let labelsPath = try locate(directory, "\(prefix)-labels-idx1-ubyte")
        let imageBytes = try IDX.fileContents(imagesPath)
        let imageHeader = try IDX.parseHeader(imageBytes, path: imagesPath)
        guard imageHeader.shape.count == 3 else {
            throw .unexpectedShape(path: imagesPath, expected: "images [N, rows, cols]", found: imageHeader.shape)
        }
        guard imageHeader.elementType == .uint8 else {
            throw .unexpectedElementType(path: imagesPath, expected: .uint8, found: imageHeader.elementType)
        }
        let labelBytes = try IDX.fileContents(labelsPath)
        let labelHeader = try IDX.parseHeader(labelBytes, path: labelsPath)
        guard labelHeader.shape.count == 1 else {
            throw .unexpectedShape(path: labelsPath, expected: "labels [N]", found: labelHeader.shape)
        }
        guard labelHeader.elementType == .uint8 else {
            throw .unexpectedElementType(path: labelsPath, expected: .uint8, found: labelHeader.elementType)
        }
        guard imageHeader.shape[0] == labelHeader.shape[0] else {
            throw .countMismatch(imagesPath: imagesPath, images: imageHeader.shape[0],
                                 labelsPath: labelsPath, labels: labelHeader.shape[0])
        }
        let images = try IDX.decode(imageBytes, path: imagesPath, dtype: .float32, scale: 1.0 / 255)
        let labels = try IDX.decode(labelBytes, path: labelsPath, dtype: .int64, scale: 1)
        let n = imageHeader.shape[0], rows = imageHeader.shape[1], cols = imageHeader.shape[2]
        return Split(images: images.reshape([n, rows * cols]), labels: labels, imageShape: [rows, cols])
    }

    /// Finds the directory of `dataset`, or throws ``DataError/dataDirectoryNotFound(dataset:searched:)``
    /// listing every place tried. The places, in order:
    ///
    /// 1. `$AUTOGRAD_DATA/<name>` and `$AUTOGRAD_DATA` itself (`<name>` is `mnist` or `fashion-mnist`);
    /// 2. `Data/<name>` in the current directory and each of its parents;
    /// 3. `Data/<name>` beside the running executable and each of its parents (so
    ///    `.build/release/autograd` finds the repository's `Data/`);
    /// 4. the repository the library was compiled from (this source file's `#filePath`, or
    ///    `sourceFile` if given);
    /// 5. for Fashion-MNIST, ``debianFashionMNISTDirectory``.
    ///
    /// A directory counts when it holds `train-labels-idx1-ubyte` (gzipped or not).
    public static func defaultDirectory(for dataset: Dataset = .mnist, sourceFile: String? = nil) throws(DataError) -> String {
        let name = dataset.rawValue
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["AUTOGRAD_DATA"], !env.isEmpty {
            candidates += [(env as NSString).appendingPathComponent(name), env]
        }
        func ancestors(of dir: String) -> [String] {
            var out: [String] = []
            var url = URL(fileURLWithPath: dir).standardizedFileURL
            for _ in 0..<8 {
                out.append(url.appendingPathComponent("Data").appendingPathComponent(name).path)
                let parent = url.deletingLastPathComponent()
                if parent.path == url.path { break }
                url = parent
            }
            return out
        }
        candidates += ancestors(of: FileManager.default.currentDirectoryPath)
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            candidates += ancestors(of: exe.deletingLastPathComponent().path)
        }
        // Sources/Autograd/IO/MNIST.swift → the repository root is three levels up.
        let repo = URL(fileURLWithPath: sourceFile ?? libraryFilePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(repo.appendingPathComponent("Data").appendingPathComponent(name).path)
        if dataset == .fashionMNIST { candidates.append(debianFashionMNISTDirectory) }
        var seen = Set<String>()
        candidates = candidates.filter { seen.insert($0).inserted }
        for dir in candidates where (try? locate(dir, "train-labels-idx1-ubyte")) != nil { return dir }
        throw .dataDirectoryNotFound(dataset: name, searched: candidates)
    }
}

/// This file's path at compile time (a `#filePath` default argument would be the caller's).
private let libraryFilePath = #filePath
