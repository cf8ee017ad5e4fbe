// Seeded weight initialisers with PyTorch's formulas (torch.nn.init). Every initialiser draws from
// Tensor.randn / Tensor.uniform with an explicit seed, so the same seed gives the same numbers on
// every run, platform and thread count.

/// How a weight's fans are read from its shape (see ``Initializer/fans(of:)``).
///
/// - A linear weight here is (in, out) — the transpose of PyTorch's `nn.Linear.weight` — so
///   `fanIn = shape[0]`, `fanOut = shape[1]` (recurrent weights (I+H, gates·H) likewise).
/// - A convolution weight is (out, in/groups, k…) (OIHW, as PyTorch), so
///   `fanIn = shape[1]·∏k`, `fanOut = shape[0]·∏k` (PyTorch's `_calculate_fan_in_and_fan_out`).
/// - A vector (bias) has `fanIn = fanOut = shape[0]`.
public struct Fans: Sendable, Equatable {
    /// The number of inputs feeding each output unit.
    public var fanIn: Int
    /// The number of outputs each input unit feeds.
    public var fanOut: Int
}

/// The nonlinearity a He/Kaiming initialiser is scaled for (PyTorch's `calculate_gain`).
public enum InitializerNonlinearity: Sendable, Equatable {
    /// Gain 1 (also right for sigmoid and convolutions without a nonlinearity).
    case linear
    /// Gain 1.
    case sigmoid
    /// Gain 5/3.
    case tanh
    /// Gain √2.
    case relu
    /// Gain √(2 / (1 + slope²)).
    case leakyRelu(negativeSlope: Double)
    /// Gain 3/4.
    case selu

    /// The recommended gain (PyTorch's `torch.nn.init.calculate_gain`).
    public var gain: Double {
        switch self {
        case .linear, .sigmoid: return 1
        case .tanh: return 5.0 / 3.0
        case .relu: return 2.0.squareRoot()
        case .leakyRelu(let a): return (2 / (1 + a * a)).squareRoot()
        case .selu: return 0.75
        }
    }
}

/// Which fan a He/Kaiming initialiser preserves the variance of.
public enum FanMode: Sendable, Equatable {
    /// Preserve the variance of the activations in the forward pass (PyTorch's default).
    case fanIn
    /// Preserve the variance of the gradients in the backward pass.
    case fanOut
}

/// A seeded recipe for a tensor of a given shape: `init(shape, seed: 7, dtype: .float32)`.
///
/// The formulas are PyTorch's (`torch.nn.init`), with the fans of ``Fans``:
///
/// | initialiser | distribution |
/// |---|---|
/// | ``glorotUniform(gain:)`` | U(−a, a), a = gain·√(6 / (fanIn + fanOut)) |
/// | ``glorotNormal(gain:)`` | N(0, σ²), σ = gain·√(2 / (fanIn + fanOut)) |
/// | ``heUniform(negativeSlope:mode:nonlinearity:)`` | U(−b, b), b = gain·√(3 / fan) |
/// | ``heNormal(negativeSlope:mode:nonlinearity:)`` | N(0, σ²), σ = gain / √fan |
/// | ``uniform(low:high:)`` | U(low, high) |
/// | ``normal(mean:std:)`` | N(mean, std²) |
/// | ``zeros``, ``ones``, ``constant(_:)`` | a constant |
///
/// `xavier…` and `kaiming…` are the same initialisers under PyTorch's names. The layers' default,
/// PyTorch's `nn.Linear`/`nn.Conv2d` default, is ``heUniform(negativeSlope:mode:nonlinearity:)``
/// with `negativeSlope: √5`, i.e. U(−1/√fanIn, 1/√fanIn).
///
/// ```swift
/// let w = Initializer.heNormal()([784, 256], seed: 1, dtype: .float32)   // std √(2/784)
/// let k = Initializer.glorotUniform()([16, 3, 5, 5], seed: 2)            // fans 75 and 400
/// ```
public struct Initializer: Sendable {
    /// A short description of the distribution (`"glorotUniform(gain: 1.0)"`).
    public let name: String
    private let draw: @Sendable ([Int], UInt64, DType) -> Tensor

    /// An initialiser from a function of shape, seed and dtype.
    public init(name: String, _ draw: @escaping @Sendable (_ shape: [Int], _ seed: UInt64, _ dtype: DType) -> Tensor) {
        self.name = name
        self.draw = draw
    }

    /// A tensor of `shape` drawn with `seed` (same seed, same numbers).
    public func callAsFunction(_ shape: [Int], seed: UInt64, dtype: DType = .float64) -> Tensor {
        require(dtype.isFloatingPoint, "Initializer \(name): dtype must be float32 or float64, got \(dtype)")
        let t = draw(shape, seed, dtype)
        require(t.shape == shape && t.dtype == dtype,
                "Initializer \(name): produced \(t.dtype) \(t.shape), expected \(dtype) \(shape)")
        return t
    }

    /// The fans of a weight of `shape` (see ``Fans``). Requires rank ≥ 1.
    public static func fans(of shape: [Int]) -> Fans {
        require(!shape.isEmpty, "Initializer.fans: a 0-d tensor has no fans")
        switch shape.count {
        case 1: return Fans(fanIn: shape[0], fanOut: shape[0])
        case 2: return Fans(fanIn: shape[0], fanOut: shape[1])
        default:
            let field = shape.dropFirst(2).reduce(1, *)
            return Fans(fanIn: shape[1] * field, fanOut: shape[0] * field)
        }
    }

    private static func fansForScaling(_ op: String, _ shape: [Int]) -> Fans {
        require(shape.count >= 2, "\(op): needs a weight of rank ≥ 2 to compute fans, got shape \(shape)")
        let f = fans(of: shape)
        require(f.fanIn > 0 && f.fanOut > 0, "\(op): weight of shape \(shape) has a zero fan")
        return f
    }

    /// Glorot/Xavier uniform (PyTorch `xavier_uniform_`): U(−a, a), a = gain·√(6 / (fanIn + fanOut)).
    public static func glorotUniform(gain: Double = 1) -> Initializer {
        Initializer(name: "glorotUniform(gain: \(gain))") { shape, seed, dtype in
            let f = fansForScaling("glorotUniform", shape)
            let a = gain * (6 / Double(f.fanIn + f.fanOut)).squareRoot()
            return Tensor.uniform(shape, seed: seed, low: -a, high: a, dtype: dtype)
        }
    }

    /// Glorot/Xavier normal (PyTorch `xavier_normal_`): N(0, σ²), σ = gain·√(2 / (fanIn + fanOut)).
    public static func glorotNormal(gain: Double = 1) -> Initializer {
        Initializer(name: "glorotNormal(gain: \(gain))") { shape, seed, dtype in
            let f = fansForScaling("glorotNormal", shape)
            let std = gain * (2 / Double(f.fanIn + f.fanOut)).squareRoot()
            return Tensor.randn(shape, seed: seed, scale: std, dtype: dtype)
        }
    }

    private static func heGain(_ negativeSlope: Double, _ nonlinearity: InitializerNonlinearity?) -> Double {
        (nonlinearity ?? .leakyRelu(negativeSlope: negativeSlope)).gain
    }

    /// He/Kaiming uniform (PyTorch `kaiming_uniform_`): U(−b, b), b = gain·√(3 / fan), where `fan`
    /// is fanIn or fanOut by `mode` and `gain` is `nonlinearity`'s, or, when `nonlinearity` is nil,
    /// the leaky ReLU gain √(2 / (1 + negativeSlope²)) (PyTorch's defaults: slope 0, so gain √2).
    public static func heUniform(negativeSlope: Double = 0, mode: FanMode = .fanIn,
                                 nonlinearity: InitializerNonlinearity? = nil) -> Initializer {
        Initializer(name: "heUniform(negativeSlope: \(negativeSlope), mode: \(mode)\(nonlinearity.map { ", nonlinearity: \($0)" } ?? ""))") { shape, seed, dtype in
            let f = fansForScaling("heUniform", shape)
            let fan = Double(mode == .fanIn ? f.fanIn : f.fanOut)
            let bound = heGain(negativeSlope, nonlinearity) * (3 / fan).squareRoot()
            return Tensor.uniform(shape, seed: seed, low: -bound, high: bound, dtype: dtype)
        }
    }

    /// He/Kaiming normal (PyTorch `kaiming_normal_`): N(0, σ²), σ = gain / √fan (fan and gain as
    /// ``heUniform(negativeSlope:mode:nonlinearity:)``).
    public static func heNormal(negativeSlope: Double = 0, mode: FanMode = .fanIn,
                                nonlinearity: InitializerNonlinearity? = nil) -> Initializer {
        Initializer(name: "heNormal(negativeSlope: \(negativeSlope), mode: \(mode)\(nonlinearity.map { ", nonlinearity: \($0)" } ?? ""))") { shape, seed, dtype in
            let f = fansForScaling("heNormal", shape)
            let fan = Double(mode == .fanIn ? f.fanIn : f.fanOut)
            let std = heGain(negativeSlope, nonlinearity) / fan.squareRoot()
            return Tensor.randn(shape, seed: seed, scale: std, dtype: dtype)
        }
    }

    /// Same as ``glorotUniform(gain:)`` (PyTorch's name).
    public static func xavierUniform(gain: Double = 1) -> Initializer { glorotUniform(gain: gain) }
    /// Same as ``glorotNormal(gain:)`` (PyTorch's name).
    public static func xavierNormal(gain: Double = 1) -> Initializer { glorotNormal(gain: gain) }
    /// Same as ``heUniform(negativeSlope:mode:nonlinearity:)`` (PyTorch's name).
    public static func kaimingUniform(negativeSlope: Double = 0, mode: FanMode = .fanIn,
                                      nonlinearity: InitializerNonlinearity? = nil) -> Initializer {
        heUniform(negativeSlope: negativeSlope, mode: mode, nonlinearity: nonlinearity)
    }
    /// Same as ``heNormal(negativeSlope:mode:nonlinearity:)`` (PyTorch's name).
    public static func kaimingNormal(negativeSlope: Double = 0, mode: FanMode = .fanIn,
                                     nonlinearity: InitializerNonlinearity? = nil) -> Initializer {
        heNormal(negativeSlope: negativeSlope, mode: mode, nonlinearity: nonlinearity)
    }

    /// PyTorch's default for `nn.Linear` and `nn.Conv*` weights: `kaiming_uniform_(a: √5)`, which is
    /// U(−1/√fanIn, 1/√fanIn).
    public static var torchDefault: Initializer { heUniform(negativeSlope: 5.0.squareRoot()) }

    /// U(low, high) (PyTorch `uniform_`).
    public static func uniform(low: Double = 0, high: Double = 1) -> Initializer {
        require(low <= high, "Initializer.uniform: low \(low) is above high \(high)")
        return Initializer(name: "uniform(low: \(low), high: \(high))") { shape, seed, dtype in
            Tensor.uniform(shape, seed: seed, low: low, high: high, dtype: dtype)
        }
    }

    /// N(mean, std²) (PyTorch `normal_`).
    public static func normal(mean: Double = 0, std: Double = 1) -> Initializer {
        require(std >= 0, "Initializer.normal: negative standard deviation \(std)")
        return Initializer(name: "normal(mean: \(mean), std: \(std))") { shape, seed, dtype in
            let t = Tensor.randn(shape, seed: seed, scale: std, dtype: .float64)
            return (mean == 0 ? t : t + mean).cast(to: dtype)
        }
    }

    /// Every element `value`.
    public static func constant(_ value: Double) -> Initializer {
        Initializer(name: "constant(\(value))") { shape, _, dtype in Tensor.full(shape, value, dtype: dtype) }
    }

    /// All zeros.
    public static var zeros: Initializer { constant(0) }
    /// All ones.
    public static var ones: Initializer { constant(1) }
}

/// A seed for the `index`-th tensor made from `seed` (SplitMix64's finaliser over both), so the
/// parameters of a layer or model built with one seed are independent draws.
@inlinable
public func derivedSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
    var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* (UInt64(truncatingIfNeeded: index) &+ 1)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
