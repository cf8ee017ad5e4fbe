/// The mini-batches of a dataset for one epoch: a `Sequence` of `(inputs, labels)` tensor pairs,
/// in an order shuffled by seed (the same on every run and platform), or in file order.
///
/// ```swift
/// for epoch in 0..<epochs {
///     for (x, y) in Batches(inputs: mnist.train.images, labels: mnist.train.labels,
///                           batchSize: 128, seed: 7, epoch: epoch) {
///         let (loss, g) = valueAndGrad(lossFunction)(params, x, y)
///         …
///     }
/// }
/// ```
///
/// Sample `i` is row `i` of `inputs` and of `labels` (their first axes must agree); any other axes
/// are kept, so `[N, 784]` inputs give `[B, 784]` batches and `[N, 1, 28, 28]` give `[B, 1, 28, 28]`.
///
/// The shuffle is a Fisher–Yates pass driven by ``SplitMix64`` with seed
/// `SplitMix64.draw(seed: seed, index: epoch)`: for `i = N−1` down to `1`, swap positions `i` and
/// `j = ⌊(i + 1) · r / 2⁶⁴⌋` where `r` is the stream's next draw. So each epoch has its own order,
/// fixed by `seed` and `epoch` alone.
public struct Batches: Sequence, Sendable {
    /// The inputs, contiguous, samples along the first axis.
    public let inputs: Tensor
    /// The labels, contiguous, samples along the first axis.
    public let labels: Tensor
    /// The number of samples per batch (the last batch may be smaller unless `dropLast`).
    public let batchSize: Int
    /// Whether a last batch smaller than ``batchSize`` is left out.
    public let dropLast: Bool
    /// The order in which samples are visited (a permutation of `0..<N`).
    public let order: [Int]

    /// The batches of one epoch.
    ///
    /// - Parameters:
    ///   - inputs: the samples, first axis `N`.
    ///   - labels: the targets, first axis `N` (class indices `[N]`, one-hot `[N, C]`, …).
    ///   - batchSize: samples per batch, at least 1.
    ///   - shuffle: visit the samples in a seeded random order (default) or in order.
    ///   - seed: the shuffle's seed.
    ///   - epoch: the epoch number; each epoch gets its own order from the same seed.
    ///   - dropLast: leave out a last, smaller batch (default: keep it).
    public init(inputs: Tensor, labels: Tensor, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0,
                epoch: Int = 0, dropLast: Bool = false) {
        require(inputs.rank >= 1 && labels.rank >= 1,
                "Batches: inputs \(inputs.shape) and labels \(labels.shape) need a sample axis")
        require(inputs.shape[0] == labels.shape[0],
                "Batches: inputs \(inputs.shape) and labels \(labels.shape) have different numbers of samples")
        require(batchSize >= 1, "Batches: batch size \(batchSize) must be at least 1")
        require(epoch >= 0, "Batches: epoch \(epoch) must not be negative")
        self.inputs = inputs.primalData.contiguous()
        self.labels = labels.primalData.contiguous()
        self.batchSize = batchSize
        self.dropLast = dropLast
        let n = inputs.shape[0]
        order = shuffle ? Batches.permutation(count: n, seed: SplitMix64.draw(seed: seed, index: UInt64(epoch)))
                        : Array(0..<n)
    }

    /// The number of samples.
    public var sampleCount: Int { order.count }

    /// The number of batches in the epoch.
    public var count: Int { dropLast ? order.count / batchSize : (order.count + batchSize - 1) / batchSize }

    /// A random permutation of `0..<count` (Fisher–Yates over ``SplitMix64`` with `seed`; see the type's
    /// documentation).
    public static func permutation(count: Int, seed: UInt64) -> [Int] {
        var p = Array(0..<count)
        var rng = SplitMix64(seed: seed)
        var i = count - 1
        while i > 0 {
            let j = Int(UInt64(i + 1).multipliedFullWidth(by: rng.next()).high)
            p.swapAt(i, j)
            i -= 1
        }
        return p
    }

    /// Batch number `index` (0-based): rows `order[index·B ..< min((index+1)·B, N)]`.
    public subscript(index: Int) -> (inputs: Tensor, labels: Tensor) {
        require(index >= 0 && index < count, "Batches: batch \(index) is out of range for \(count) batches")
        let start = index * batchSize
        let rows = order[start..<Swift.min(start + batchSize, order.count)]
        return (Batches.gather(inputs, rows), Batches.gather(labels, rows))
    }

    /// Copies the given rows (first-axis entries) of a contiguous tensor into a new tensor.
    static func gather(_ source: Tensor, _ rows: ArraySlice<Int>) -> Tensor {
        var shape = source.shape
        shape[0] = rows.count
        let out = Tensor.uninitialized(shape: shape, dtype: source.dtype)
        let rowBytes = (source.shape[0] == 0 ? 0 : source.count / source.shape[0]) * source.dtype.byteSize
        withExtendedLifetime(source) {
            let src = UnsafeRawPointer(source.rawPointer)
            let dst = out.rawPointer
            var k = 0
            for r in rows {
                (dst + k * rowBytes).copyMemory(from: src + r * rowBytes, byteCount: rowBytes)
                k += 1
            }
        }
        return out
    }

    /// Iterates over the batches in order.
    public struct Iterator: IteratorProtocol {
        let batches: Batches
        var index = 0

        /// The next batch, or `nil` after the last.
        public mutating func next() -> (inputs: Tensor, labels: Tensor)? {
            guard index < batches.count else { return nil }
            defer { index += 1 }
            return batches[index]
        }
    }

    /// An iterator over the epoch's batches.
    public func makeIterator() -> Iterator { Iterator(batches: self) }

    /// The number of batches (lets `Array(batches)` reserve its capacity).
    public var underestimatedCount: Int { count }
}
