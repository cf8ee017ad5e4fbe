import Foundation

/// A seedable, splittable random number generator that gives the same numbers on every platform
/// and thread count: SplitMix64, where draw `k` of seed `s` is `mix(s + (k + 1)·0x9E3779B97F4A7C15)`.
///
/// This is the generator of the benchmark suite (`shared/bench/common.py`), so data made here match
/// the peers' bit for bit (up to 1 ulp in `log`/`cos`).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The seed.
    public let seed: UInt64
    /// The number of 64-bit draws made so far.
    public private(set) var position: UInt64 = 0

    /// A generator with the given seed.
    public init(seed: UInt64) { self.seed = seed }

    /// Draw number `k` of the stream with seed `seed`.
    public static func draw(seed: UInt64, index k: UInt64) -> UInt64 {
        var z = seed &+ (k &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        defer { position &+= 1 }
        return SplitMix64.draw(seed: seed, index: position)
    }

    /// A uniform `Double` in `[0, 1)` with 53 random bits.
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal by Box–Muller (cosine branch; two draws per value).
    public mutating func nextNormal() -> Double {
        let u1 = 1 - nextUniform()
        let u2 = nextUniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}

extension Tensor {
    /// Standard normal samples (Box–Muller over ``SplitMix64``), computed in float64 and rounded to
    /// `dtype`: element `i` (row-major) uses draws `2i` and `2i + 1` of `seed`, so the values depend
    /// only on the seed and the shape.
    public static func randn(_ shape: [Int], seed: UInt64 = 0, scale: Double = 1, dtype: DType = .float64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        let n = shape.reduce(1, *)
        var values = [Double](repeating: 0, count: n)
        for i in 0..<n { values[i] = rng.nextNormal() * scale }
        return Tensor(values, shape: shape).cast(to: dtype)
    }

    /// Uniform samples in `[low, high)`: element `i` uses draw `i` of `seed`.
    public static func uniform(_ shape: [Int], seed: UInt64 = 0, low: Double = 0, high: Double = 1,
                               dtype: DType = .float64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        let n = shape.reduce(1, *)
        var values = [Double](repeating: 0, count: n)
        for i in 0..<n { values[i] = low + (high - low) * rng.nextUniform() }
        return Tensor(values, shape: shape).cast(to: dtype)
    }

    /// Bernoulli samples: 1 with probability `p`, else 0 (element `i` uses draw `i` of `seed`).
    public static func bernoulli(_ shape: [Int], p: Double, seed: UInt64 = 0, dtype: DType = .float64) -> Tensor {
        require((0...1).contains(p), "bernoulli: probability \(p) is outside [0, 1]")
        var rng = SplitMix64(seed: seed)
        let n = shape.reduce(1, *)
        var values = [Double](repeating: 0, count: n)
        for i in 0..<n { values[i] = rng.nextUniform() < p ? 1 : 0 }
        return Tensor(values, shape: shape).cast(to: dtype)
    }
}

// MARK: - Replaying draws

/// The numbers drawn by stateful random sources (a ``Dropout`` module's call counter) inside a
/// recorded region, so a recomputation of the region — ``checkpoint(_:)``'s backward pass —
/// draws the same ones and sees the same masks as the forward pass did.
final class DrawLog: @unchecked Sendable {
    /// Recording appends each draw; replaying hands them back in order.
    enum Mode { case record, replay }

    private var values: [UInt64] = []
    private var position = 0
    private var mode = Mode.record
    /// The log around this one while it is in use: a recording region inside a replayed one takes
    /// its draws from there.
    private var parent: DrawLog?

    /// Runs `body` recording (`.record`, forgetting earlier draws) or replaying this log's draws.
    func run<R>(_ mode: Mode, _ body: () -> R) -> R {
        self.mode = mode
        position = 0
        if mode == .record { values = [] }
        parent = DrawLog.current
        defer { parent = nil }
        return DrawLog.$current.withValue(self) { body() }
    }

    /// The next draw: replayed, or taken from the enclosing log or `fresh` and recorded.
    func next(_ fresh: () -> UInt64) -> UInt64 {
        if mode == .replay, position < values.count {
            position += 1
            return values[position - 1]
        }
        let v = parent?.next(fresh) ?? fresh()
        if mode == .record { values.append(v) }
        return v
    }

    /// The log of the innermost recorded or replayed region, if any.
    @TaskLocal static var current: DrawLog?

    /// A draw from a stateful source: `fresh()` outside any region.
    static func draw(_ fresh: () -> UInt64) -> UInt64 {
        guard let log = current else { return fresh() }
        return log.next(fresh)
    }
}
