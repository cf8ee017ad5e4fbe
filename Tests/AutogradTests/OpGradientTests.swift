import Foundation
import Testing
@testable import Autograd

// Every differentiable op passes the order-2 gradient check (first derivatives and derivatives of
// the VJPs) over scalar, vector, matrix and broadcasting shapes, with inputs inside each op's domain
// and away from kinks and ties. The cases are tables of (name, inputs, function); a few values are
// also checked against hand derivations.

/// One gradient-check case: a function of some float64 tensors, and the point to check it at.
struct OpCase: Sendable, CustomTestStringConvertible {
    let name: String
    let inputs: [Tensor]
    let f: @Sendable ([Tensor]) -> Tensor
    var testDescription: String { name }

    init(_ name: String, _ inputs: [Tensor], _ f: @escaping @Sendable ([Tensor]) -> Tensor) {
        self.name = name
        self.inputs = inputs
        self.f = f
    }

    /// A case of one input drawn from `domain`.
    init(_ name: String, _ domain: Domain, _ shape: [Int], _ f: @escaping @Sendable (Tensor) -> Tensor) {
        self.init(name, [domain.sample(shape, seed: stableSeed(name))]) { f($0[0]) }
    }
}

/// Whether `a` and `b` agree to a relative tolerance.
func close(_ a: Double, _ b: Double, _ rtol: Double = 1e-14) -> Bool {
    Swift.abs(a - b) <= rtol * Swift.max(Swift.abs(a), Swift.abs(b))
}

/// A deterministic seed from a case name (FNV-1a; `hashValue` changes from run to run).
func stableSeed(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

/// Where an op's inputs are drawn from.
enum Domain: Sendable {
    /// Standard normal.
    case normal
    /// Uniform in [0.5, 2): log, sqrt, the base of pow.
    case positive
    /// Uniform in (-0.8, 0.8): asin, acos.
    case unit
    /// Uniform in (-1.2, 1.2): tan, away from its poles.
    case tan
    /// Uniform in (-0.5, 2): log1p.
    case aboveMinusOne
    /// Magnitude uniform in [0.5, 1.5) with a random sign: denominators, factors of a product.
    case awayFromZero
    /// Distinct values at least 0.2 apart and at least 0.1 from 0 (odd multiples of 0.1 in
    /// [-1.5, 1.5]): kinks of abs/relu/sign, ties of max/min/maximum/minimum, clamp bounds (which
    /// are even multiples of 0.1).
    case kinkFree

    func sample(_ shape: [Int], seed: UInt64) -> Tensor {
        switch self {
        case .normal: return Tensor.randn(shape, seed: seed)
        case .positive: return Tensor.uniform(shape, seed: seed, low: 0.5, high: 2)
        case .unit: return Tensor.uniform(shape, seed: seed, low: -0.8, high: 0.8)
        case .tan: return Tensor.uniform(shape, seed: seed, low: -1.2, high: 1.2)
        case .aboveMinusOne: return Tensor.uniform(shape, seed: seed, low: -0.5, high: 2)
        case .awayFromZero:
            let m = Tensor.uniform(shape, seed: seed, low: 0.5, high: 1.5).doubles
            let s = Tensor.uniform(shape, seed: seed &+ 1).doubles
            return Tensor(zip(m, s).map { $1 < 0.5 ? -$0 : $0 }, shape: shape)
        case .kinkFree: return kinkFreeSample([shape], seed: seed)[0]
        }
    }
}

/// Tensors of the given shapes whose values are all distinct, pairwise at least 0.2 apart, and at
/// least 0.1 from 0 and from every even multiple of 0.1.
func kinkFreeSample(_ shapes: [[Int]], seed: UInt64) -> [Tensor] {
    var rng = SplitMix64(seed: seed)
    var grid = (-8...7).map { 0.2 * Double($0) + 0.1 }
    precondition(shapes.reduce(0) { $0 + $1.reduce(1, *) } <= grid.count)
    grid.shuffle(using: &rng)
    var k = 0
    return shapes.map { shape in
        let n = shape.reduce(1, *)
        defer { k += n }
        return Tensor(Array(grid[k..<(k + n)]), shape: shape)
    }
}

/// Shapes for elementwise unary ops, and pairs for binary ops (both broadcasting orders, and a
/// scalar with a matrix both ways).
let unaryShapes: [[Int]] = [[], [3], [2, 3]]
let binaryShapes: [([Int], [Int])] = [
    ([], []), ([3], [3]), ([2, 3], [2, 3]), ([1, 3], [2, 3]), ([2, 3], [1, 3]), ([], [2, 3]), ([2, 3], []),
]

enum OpTables {
    // MARK: Elementwise unary

    static let unaryOps: [(String, Domain, @Sendable (Tensor) -> Tensor)] = [
        ("negate", .normal, { -$0 }),
        ("exp", .normal, { exp($0) }),
        ("log", .positive, { log($0) }),
        ("log1p", .aboveMinusOne, { log1p($0) }),
        ("expm1", .normal, { expm1($0) }),
        ("sqrt", .positive, { sqrt($0) }),
        ("square", .normal, { square($0) }),
        ("abs", .kinkFree, { abs($0) }),
        ("sign", .kinkFree, { sign($0) }),
        ("sin", .normal, { sin($0) }),
        ("cos", .normal, { cos($0) }),
        ("tan", .tan, { tan($0) }),
        ("asin", .unit, { asin($0) }),
        ("acos", .unit, { acos($0) }),
        ("atan", .normal, { atan($0) }),
        ("sinh", .normal, { sinh($0) }),
        ("cosh", .normal, { cosh($0) }),
        ("tanh", .normal, { tanh($0) }),
        ("sigmoid", .normal, { sigmoid($0) }),
        ("relu", .kinkFree, { relu($0) }),
        ("softplus", .normal, { softplus($0) }),
        // With a Swift number as the other operand.
        ("x + 2.5", .normal, { $0 + 2.5 }),
        ("2.5 + x", .normal, { 2.5 + $0 }),
        ("x - 2.5", .normal, { $0 - 2.5 }),
        ("2.5 - x", .normal, { 2.5 - $0 }),
        ("x * 2.5", .normal, { $0 * 2.5 }),
        ("2.5 * x", .normal, { 2.5 * $0 }),
        ("x / 2.5", .normal, { $0 / 2.5 }),
        ("2.5 / x", .awayFromZero, { 2.5 / $0 }),
        ("pow(x, 2.5)", .positive, { pow($0, 2.5) }),
        ("pow(x, 2)", .positive, { pow($0, 2) }),  // negative bases: see KnownOpBugTests
        ("pow(x, 3)", .positive, { pow($0, 3) }),
        ("pow(x, -1.5)", .positive, { pow($0, -1.5) }),
        ("pow(2.5, x)", .normal, { pow(2.5, $0) }),
        ("maximum(x, 0.2)", .kinkFree, { maximum($0, 0.2) }),
        ("minimum(x, 0.2)", .kinkFree, { minimum($0, 0.2) }),
        ("clamp(x, -0.6...0.4)", .kinkFree, { clamp($0, min: -0.6, max: 0.4) }),
        ("clamp(x, min: -0.2)", .kinkFree, { clamp($0, min: -0.2) }),
        ("clamp(x, max: 0.2)", .kinkFree, { clamp($0, max: 0.2) }),
        ("x * x * x", .normal, { $0 * $0 * $0 }),
        ("x / x.sum()", .positive, { $0 / $0.sum() }),
    ]

    static let unary: [OpCase] = unaryOps.flatMap { name, domain, f in
        unaryShapes.map { shape in OpCase("\(name) \(shape)", domain, shape, f) }
    }

    // MARK: Elementwise binary, with broadcasting

    static let binaryOps: [(String, (Domain, Domain)?, @Sendable (Tensor, Tensor) -> Tensor)] = [
        ("add", (.normal, .normal), { $0 + $1 }),
        ("subtract", (.normal, .normal), { $0 - $1 }),
        ("multiply", (.normal, .normal), { $0 * $1 }),
        ("divide", (.normal, .awayFromZero), { $0 / $1 }),
        ("pow", (.positive, .normal), { pow($0, $1) }),
        ("atan2", (.awayFromZero, .awayFromZero), { atan2($0, $1) }),
        ("maximum", nil, { maximum($0, $1) }),  // nil: distinct values across both arguments
        ("minimum", nil, { minimum($0, $1) }),
        ("where(x > y)", nil, { `where`($0 .> $1, $0 * $1, $0 - $1) }),
    ]

    static let binary: [OpCase] = binaryOps.flatMap { name, domains, f in
        binaryShapes.map { sa, sb in
            let caseName = "\(name) \(sa) \(sb)"
            let seed = stableSeed(caseName)
            let inputs = domains.map { [$0.0.sample(sa, seed: seed), $0.1.sample(sb, seed: seed &+ 7)] }
                ?? kinkFreeSample([sa, sb], seed: seed)
            return OpCase(caseName, inputs) { f($0[0], $0[1]) }
        }
    }

    // MARK: Reductions

    static let reductionOps: [(String, Domain, @Sendable (Tensor, [Int]?, Bool) -> Tensor)] = [
        ("sum", .normal, { x, axes, keep in
            axes == nil && !keep ? x.sum() : x.sum(axes: axes ?? Array(0..<x.rank), keepDims: keep)
        }),
        ("mean", .normal, { x, axes, keep in x.mean(axes: axes, keepDims: keep) }),
        ("prod", .awayFromZero, { x, axes, keep in x.prod(axes: axes, keepDims: keep) }),
        ("max", .kinkFree, { x, axes, keep in x.max(axes: axes, keepDims: keep) }),
        ("min", .kinkFree, { x, axes, keep in x.min(axes: axes, keepDims: keep) }),
        ("variance", .normal, { x, axes, keep in x.variance(axes: axes, keepDims: keep) }),
        ("std", .normal, { x, axes, keep in x.std(axes: axes, keepDims: keep) }),
        ("logsumexp", .normal, { x, axes, keep in x.logsumexp(axes: axes, keepDims: keep) }),
    ]

    static let reductionAxes: [([Int], [Int]?)] = [
        ([2, 3], nil), ([2, 3], [0]), ([2, 3], [1]), ([2, 3], [-1]), ([2, 3], [0, 1]),
        ([3], nil), ([3], [0]), ([], nil),
    ]

    static let reductions: [OpCase] = reductionOps.flatMap { name, domain, f in
        reductionAxes.flatMap { shape, axes in
            [false, true].compactMap { keep -> OpCase? in
                // The standard deviation of one value is 0, where sqrt has no derivative.
                if name == "std" && shape.isEmpty { return nil }
                let label = "\(name)(axes: \(axes.map { "\($0)" } ?? "all"), keepDims: \(keep)) \(shape)"
                return OpCase(label, domain, shape) { f($0, axes, keep) }
            }
        }
    } + [
        OpCase("sum(x) free function", .normal, [2, 3]) { sum($0) },
        OpCase("mean(x) free function", .normal, [2, 3]) { mean($0) },
        OpCase("sum(axis: 1)", .normal, [2, 3]) { $0.sum(axis: 1) },
        OpCase("max(axis: 0, keepDims: true)", .kinkFree, [2, 3]) { $0.max(axis: 0, keepDims: true) },
        OpCase("variance(ddof: 1)", .normal, [2, 3]) { $0.variance(axes: [1], ddof: 1) },
        OpCase("x[argmax]", .kinkFree, [2, 3]) { $0.flattened().gather($0.argmax()) },
        OpCase("x[argmin]", .kinkFree, [2, 3]) { $0.flattened().gather($0.argmin()) },
        OpCase("max(axes: [1]) rank 3", .kinkFree, [2, 3, 2]) { $0.max(axes: [1]) },
        OpCase("sum(axes: [0, 2]) rank 3", .normal, [2, 3, 2]) { $0.sum(axes: [0, 2]) },
        OpCase("prod(axes: [0, 2]) rank 3", .awayFromZero, [2, 3, 2]) { $0.prod(axes: [0, 2]) },
        OpCase("logsumexp(axes: [-1, 0]) rank 3", .normal, [2, 3, 2]) { $0.logsumexp(axes: [-1, 0]) },
    ]

    // MARK: Softmax

    static let softmaxes: [OpCase] = [([2, 3], [0, 1, -1]), ([3], [0]), ([2, 3, 2], [1])].flatMap { shape, axes in
        axes.flatMap { axis in
            [
                OpCase("softmax(axis: \(axis)) \(shape)", .normal, shape) { softmax($0, axis: axis) },
                OpCase("logSoftmax(axis: \(axis)) \(shape)", .normal, shape) { logSoftmax($0, axis: axis) },
            ]
        }
    }

    // MARK: Shape ops

    static let shapes: [OpCase] = [
        OpCase("reshape [2,3]→[3,2]", .normal, [2, 3]) { $0.reshape([3, 2]) },
        OpCase("reshape [2,3]→[-1]", .normal, [2, 3]) { $0.reshape([-1]) },
        OpCase("reshape []→[1,1]", .normal, []) { $0.reshape([1, 1]) },
        OpCase("reshape [3]→[1,3,1]", .normal, [3]) { $0.reshape([1, 3, 1]) },
        OpCase("reshape of a transposed view", .normal, [2, 3]) { sin($0.transposed().reshape([6])) },
        OpCase("flattened", .normal, [2, 3]) { $0.flattened() },
        OpCase("permute [1,0]", .normal, [2, 3]) { $0.permute([1, 0]) },
        OpCase("permute [2,0,1]", .normal, [2, 1, 3]) { $0.permute([2, 0, 1]) },
        OpCase("transposed()", .normal, [2, 3]) { $0.transposed() },
        OpCase(".T rank 3", .normal, [2, 3, 2]) { $0.T },
        OpCase("transposed(0, 2)", .normal, [2, 1, 3]) { $0.transposed(0, 2) },
        OpCase("transposed(-1, -2) then tanh", .normal, [2, 3]) { tanh($0.transposed(-1, -2)) },
        OpCase("expandDims(0)", .normal, [2, 3]) { $0.expandDims(0) },
        OpCase("expandDims(-1)", .normal, [2, 3]) { $0.expandDims(-1) },
        OpCase("expandDims(0) of scalar", .normal, []) { $0.expandDims(0) },
        OpCase("squeeze()", .normal, [1, 3, 1]) { $0.squeeze() },
        OpCase("squeeze(axes: [0])", .normal, [1, 3]) { $0.squeeze(axes: [0]) },
        OpCase("broadcast [3]→[2,3]", .normal, [3]) { $0.broadcast(to: [2, 3]) },
        OpCase("broadcast [1,3]→[2,3]", .normal, [1, 3]) { $0.broadcast(to: [2, 3]) },
        OpCase("broadcast [2,1]→[2,3]", .normal, [2, 1]) { $0.broadcast(to: [2, 3]) },
        OpCase("broadcast []→[2,3]", .normal, []) { $0.broadcast(to: [2, 3]) },
        OpCase("broadcast [3]→[2,2,3] then sin", .normal, [3]) { sin($0.broadcast(to: [2, 2, 3])) },
        OpCase("sumToShape [2,3]→[3]", .normal, [2, 3]) { $0.sumToShape([3]) },
        OpCase("sumToShape [2,3]→[1,3]", .normal, [2, 3]) { $0.sumToShape([1, 3]) },
        OpCase("sumToShape [2,3]→[2,1]", .normal, [2, 3]) { $0.sumToShape([2, 1]) },
        OpCase("sumToShape [2,3]→[]", .normal, [2, 3]) { $0.sumToShape([]) },
        OpCase("flip()", .normal, [2, 3]) { $0.flip() },
        OpCase("flip(axes: [0])", .normal, [2, 3]) { $0.flip(axes: [0]) },
        OpCase("flip(axes: [-1]) then exp", .normal, [2, 3]) { exp($0.flip(axes: [-1])) },
        OpCase("flip [3]", .normal, [3]) { $0.flip() },
        OpCase("concat axis 0", [Tensor.randn([2, 3], seed: 1), Tensor.randn([1, 3], seed: 2)]) {
            concat($0, axis: 0)
        },
        OpCase("concat axis 1 then sin", [Tensor.randn([2, 3], seed: 3), Tensor.randn([2, 2], seed: 4)]) {
            sin(concat($0, axis: 1))
        },
        OpCase("concat axis -1, three parts",
               [Tensor.randn([3], seed: 5), Tensor.randn([1], seed: 6), Tensor.randn([2], seed: 7)]) {
            concat($0, axis: -1)
        },
        OpCase("concat the same tensor twice", [Tensor.randn([2, 3], seed: 8)]) {
            concat([$0[0], $0[0] * $0[0]], axis: 1)
        },
        OpCase("stack axis 0", [Tensor.randn([2, 3], seed: 9), Tensor.randn([2, 3], seed: 10)]) { stack($0, axis: 0) },
        OpCase("stack axis 1", [Tensor.randn([2, 3], seed: 11), Tensor.randn([2, 3], seed: 12)]) { stack($0, axis: 1) },
        OpCase("stack axis 2", [Tensor.randn([2, 3], seed: 13), Tensor.randn([2, 3], seed: 14)]) { stack($0, axis: 2) },
        OpCase("stack axis -1", [Tensor.randn([3], seed: 15), Tensor.randn([3], seed: 16), Tensor.randn([3], seed: 17)]) {
            stack($0, axis: -1)
        },
        OpCase("stack scalars", [Tensor.randn([], seed: 18), Tensor.randn([], seed: 19)]) { stack($0) },
        OpCase("split(3, axis: 1)", .normal, [2, 3]) { x in
            let p = x.split(3, axis: 1)
            return p[0] + 2 * p[1] + p[2] * p[2]
        },
        OpCase("split(2, axis: 0)", .normal, [2, 3]) { x in
            let p = x.split(2, axis: 0)
            return p[0] * p[1]
        },
        OpCase("split(sizes: [1, 2], axis: -1)", .normal, [2, 3]) { x in
            let p = x.split(sizes: [1, 2], axis: -1)
            return concat([sin(p[1]), p[0]], axis: 1)
        },
    ]

    // MARK: Indexing

    static let mask23 = Tensor([true, false, true, true, true, false], shape: [2, 3])
    static let condition23 = Tensor([true, false, false, true, true, false], shape: [2, 3])
    static let condition13 = Tensor([false, true, false], shape: [1, 3])

    static let indexing: [OpCase] = [
        OpCase("x[0]", .normal, [2, 3]) { $0[0] },
        OpCase("x[-1]", .normal, [2, 3]) { $0[-1] },
        OpCase("x[1] of a vector", .normal, [3]) { $0[1] },
        OpCase("x[1..<3]", .normal, [3]) { $0[1..<3] },
        OpCase("x[0..<1]", .normal, [2, 3]) { $0[0..<1] },
        OpCase("x[1...]", .normal, [2, 3]) { $0[1...] },
        OpCase("x[.all, 2]", .normal, [2, 3]) { $0[TensorIndex.all, 2] },
        OpCase("x[.all, 1..<3]", .normal, [2, 3]) { $0[TensorIndex.all, 1..<3] },
        OpCase("x[1, 2]", .normal, [2, 3]) { $0[1, 2] },
        OpCase("x[stride 0..<3 by 2]", .normal, [3]) { $0[stride(from: 0, to: 3, by: 2)] },
        OpCase("x[.all, stride 0..<3 by 2]", .normal, [2, 3]) { $0[TensorIndex.all, stride(from: 0, to: 3, by: 2)] },
        OpCase("x[.range(nil, nil, step: -1)]", .normal, [3]) { $0[TensorIndex.range(nil, nil, step: -1)] },
        OpCase("x[.newAxis]", .normal, [2, 3]) { $0[TensorIndex.newAxis] },
        OpCase("x[.ellipsis, 0]", .normal, [2, 3]) { $0[TensorIndex.ellipsis, 0] },
        OpCase("x[0] * x[1] (overlapping use)", .normal, [2, 3]) { $0[0] * $0[1] + $0[0] },
        OpCase("slice of a transposed view", .normal, [2, 3]) { sin($0.transposed()[1..<3]) },
        OpCase("gather [0,2,0] of a vector", .normal, [3]) { $0.gather(Tensor([0, 2, 0] as [Int])) },
        OpCase("gather [0,2,0] axis 0", .normal, [3, 2]) { $0.gather(Tensor([0, 2, 0] as [Int]), axis: 0) },
        OpCase("gather [2,0,2] axis 1", .normal, [2, 3]) { $0.gather(Tensor([2, 0, 2] as [Int]), axis: 1) },
        OpCase("gather [2,0,2] axis -1 then square", .normal, [2, 3]) {
            square($0.gather(Tensor([2, 0, 2] as [Int]), axis: -1))
        },
        OpCase("gather 2-d indices", .normal, [3]) { $0.gather(Tensor([0, 1, 2, 0] as [Int], shape: [2, 2])) },
        OpCase("gather negative indices", .normal, [3]) { $0.gather(Tensor([-1, 0, -1] as [Int])) },
        OpCase("x[indices: [2, 0, 2]]", .normal, [3, 2]) { $0[indices: [2, 0, 2]] },
        OpCase("x[int64 tensor]", .normal, [3]) { $0[Tensor([1, 1] as [Int])] },
        OpCase("x[mask]", .normal, [2, 3]) { $0[mask23] },
        OpCase("x[mask of leading dims]", .normal, [2, 3]) { $0[Tensor([false, true], shape: [2])] },
        OpCase("where(c, x, y) [2,3]", [Tensor.randn([2, 3], seed: 21), Tensor.randn([2, 3], seed: 22)]) {
            `where`(condition23, $0[0], $0[1])
        },
        OpCase("where(c, x, y) [1,3] [2,3]", [Tensor.randn([1, 3], seed: 23), Tensor.randn([2, 3], seed: 24)]) {
            `where`(condition23, $0[0], $0[1])
        },
        OpCase("where(c [1,3], x [2,3], y [])", [Tensor.randn([2, 3], seed: 25), Tensor.randn([], seed: 26)]) {
            `where`(condition13, $0[0], $0[1])
        },
        OpCase("where(c, x, 0.5)", .normal, [2, 3]) { `where`(condition23, sin($0), 0.5) },
        OpCase("cast(to: float64) of float64", .normal, [2, 3]) { $0.cast(to: .float64) * $0 },
    ]

    // MARK: Linear algebra

    static func matmulCase(_ sa: [Int], _ sb: [Int]) -> OpCase {
        let name = "matmul \(sa) \(sb)"
        let seed = stableSeed(name)
        return OpCase(name, [Tensor.randn(sa, seed: seed), Tensor.randn(sb, seed: seed &+ 1)]) { matmul($0[0], $0[1]) }
    }

    static let linearAlgebra: [OpCase] = [
        matmulCase([3], [3, 4]),
        matmulCase([2, 3], [3]),
        matmulCase([2, 3], [3, 4]),
        matmulCase([3], [3]),
        matmulCase([2, 2, 3], [3, 4]),
        matmulCase([2, 3], [2, 3, 4]),
        matmulCase([2, 2, 3], [2, 3, 4]),
        matmulCase([1, 2, 3], [2, 3, 2]),
        matmulCase([3], [2, 3, 2]),
        OpCase("matmul of transposed views", [Tensor.randn([3, 2], seed: 31), Tensor.randn([4, 3], seed: 32)]) {
            matmul($0[0].transposed(), $0[1].transposed())
        },
        OpCase("matmul then tanh", [Tensor.randn([2, 3], seed: 33), Tensor.randn([3, 2], seed: 34)]) {
            tanh(matmul($0[0], $0[1]))
        },
        OpCase("matmul(x, x)", .normal, [3, 3]) { matmul($0, $0) },
        OpCase("dot", [Tensor.randn([3], seed: 35), Tensor.randn([3], seed: 36)]) { dot($0[0], $0[1]) },
        OpCase("outer", [Tensor.randn([3], seed: 37), Tensor.randn([2], seed: 38)]) { outer($0[0], $0[1]) },
    ]

    // MARK: Compositions (the seeds' examples)

    static let compositions: [OpCase] = [
        OpCase("taylor sine", .normal, []) { x in
            var ans = x, term = x, i = 0.0
            while abs(term).scalar > 0.001 {
                term = -term * x * x / ((2 * i + 3) * (2 * i + 2))
                ans = ans + term
                i += 1
            }
            return ans
        },
        OpCase("two-layer net with log-softmax loss",
               [Tensor.randn([3, 4], seed: 41, scale: 0.5), Tensor.randn([4], seed: 42, scale: 0.5),
                Tensor.randn([4, 2], seed: 43, scale: 0.5)]) { p in
            let x = Tensor.randn([5, 3], seed: 44)
            let h = tanh(matmul(x, p[0]) + p[1])
            return -logSoftmax(matmul(h, p[2]), axis: 1).mean()
        },
        OpCase("logistic regression", [Tensor.randn([3], seed: 45)]) { p in
            let x = Tensor.randn([4, 3], seed: 46)
            let y = Tensor([1, 0, 1, 1] as [Double], shape: [4])
            let prob = sigmoid(matmul(x, p[0]))
            return -(y * log(prob) + (1 - y) * log(1 - prob)).sum()
        },
    ]
}

@Suite("Op gradients (order 2)")
struct OpGradientTests {
    static func run(_ c: OpCase) {
        let r = checkGradients(c.f, at: c.inputs, order: 2)
        #expect(r.passed, "\(c.name): \(r)")
        // Both the JVP rules (forward mode) and the VJP rules (reverse mode) were checked, to order 2.
        #expect(r.checks.contains { $0.function.hasPrefix("JVP:") } && r.checks.contains { !$0.function.hasPrefix("JVP:") })
        #expect(r.checks.contains { $0.order == 2 && $0.function.hasPrefix("JVP:") && $0.function.contains("VJP(") })
        if ProcessInfo.processInfo.environment["AUTOGRAD_COUNT_CHECKS"] != nil {
            print("gradient-check-count \(c.name) \(r.checks.count)")
        }
    }

    @Test(arguments: OpTables.unary) func unary(_ c: OpCase) { Self.run(c) }
    @Test(arguments: OpTables.binary) func binary(_ c: OpCase) { Self.run(c) }
    @Test(arguments: OpTables.reductions) func reduction(_ c: OpCase) { Self.run(c) }
    @Test(arguments: OpTables.softmaxes) func softmaxes(_ c: OpCase) { Self.run(c) }
    @Test(arguments: OpTables.shapes) func shapeOp(_ c: OpCase) { Self.run(c) }
    @Test(arguments: OpTables.indexing) func indexing(_ c: OpCase) { Self.run(c) }
    @Test(arguments: OpTables.linearAlgebra) func linearAlgebra(_ c: OpCase) { Self.run(c) }
    @Test(arguments: OpTables.compositions) func composition(_ c: OpCase) { Self.run(c) }

    /// Third derivatives of the elementwise ops and softmaxes (cheap, and VJPs of VJPs of VJPs
    /// exercise the gradient rules of the ops used inside gradient rules).
    @Test(arguments: OpTables.unary + OpTables.binary + OpTables.softmaxes)
    func order3(_ c: OpCase) {
        let r = checkGradients(c.f, at: c.inputs, order: 3)
        #expect(r.passed, "\(c.name): \(r)")
    }

    /// Every forward result is finite at the chosen points (so no case passes vacuously on NaNs).
    @Test func forwardValuesAreFinite() {
        let all = OpTables.unary + OpTables.binary + OpTables.reductions + OpTables.softmaxes + OpTables.shapes
            + OpTables.indexing + OpTables.linearAlgebra + OpTables.compositions
        for c in all {
            let finite = c.f(c.inputs).doubles.allSatisfy { $0.isFinite }
            #expect(finite, "\(c.name)")
        }
    }

    // MARK: Hand derivations

    @Test func cubeDerivative() {
        // d/dx x³ = 3x² = 12 at 2; d²/dx² = 6x = 12; d³/dx³ = 6.
        let f: (Tensor) -> Tensor = { x in x * x * x }
        #expect(grad(f)(Tensor(2.0)).scalar == 12)
        #expect(close(grad { x in pow(x, 3) }(Tensor(2.0)).scalar, 12))
        #expect(grad(grad(f))(Tensor(2.0)).scalar == 12)
        #expect(grad(grad(grad(f)))(Tensor(2.0)).scalar == 6)
    }

    @Test func secondDerivativeOfSine() {
        let d2 = grad(grad { x in sin(x) })(Tensor(1.0)).scalar
        #expect(close(d2, -Foundation.sin(1.0)))
        let d4 = grad(grad(grad(grad { x in sin(x) })))(Tensor(1.0)).scalar
        #expect(close(d4, Foundation.sin(1.0)))
    }

    @Test func gradientOfLogSumExpIsSoftmax() {
        let x = Tensor.randn([2, 3], seed: 5)
        let g = grad { x in x.logsumexp() }(x)
        let e = x.doubles.map { Foundation.exp($0) }
        let s: Double = e.reduce(0) { $0 + $1 }
        for (a, b) in zip(g.doubles, e.map { $0 / s }) { #expect(close(a, b, 1e-12)) }
        // Along an axis: each row of the gradient of Σ logsumexp(x, axis 1) is that row's softmax.
        let gr = grad { x in x.logsumexp(axes: [1]).sum() }(x)
        let sm = softmax(x, axis: 1)
        for (a, b) in zip(gr.doubles, sm.doubles) { #expect(close(a, b, 1e-12)) }
        for row in 0..<2 { #expect(close(sm[row].sum().scalar, 1)) }
    }

    @Test func gatherWithRepeatedIndicesAccumulates() {
        // f(x) = Σⱼ wⱼ · x[idx[j]] with idx = [0, 2, 0]: ∂f/∂x = [w₀ + w₂, 0, w₁].
        let w = Tensor([10, 100, 1000] as [Double])
        let g = grad { x in (x.gather(Tensor([0, 2, 0] as [Int])) * w).sum() }(Tensor([1, 2, 3] as [Double]))
        #expect(g.doubles == [1010, 0, 100])
        // Along axis 1 of a matrix, rows independent.
        let g2 = grad { x in (x.gather(Tensor([2, 0, 2] as [Int]), axis: 1) * w).sum() }(Tensor.randn([2, 3], seed: 1))
        #expect(g2.doubles == [100, 0, 1010, 100, 0, 1010])
        // x[indices:] on the first axis of a matrix.
        let g3 = grad { x in x[indices: [2, 0, 2]].sum() }(Tensor.randn([3, 2], seed: 2))
        #expect(g3.doubles == [1, 1, 0, 0, 2, 2])
        // Second order: f(x) = Σ x[idx]³ ⇒ ∂²f/∂x² summed = Σⱼ 6·x[idx[j]].
        let x = Tensor([1, 2, 3] as [Double])
        let h = grad { x in grad { x in (pow(x.gather(Tensor([0, 2, 0] as [Int])), 3)).sum() }(x).sum() }(x)
        #expect(h.doubles == [12, 0, 18])
    }

    @Test func elementaryDerivativesAtKnownPoints() {
        #expect(grad { x in sigmoid(x) }(Tensor(0.0)).scalar == 0.25)
        #expect(grad { x in tanh(x) }(Tensor(0.0)).scalar == 1)
        #expect(grad { x in log(x) }(Tensor(4.0)).scalar == 0.25)
        #expect(grad { x in sqrt(x) }(Tensor(4.0)).scalar == 0.25)
        #expect(grad { x in atan(x) }(Tensor(1.0)).scalar == 0.5)
        #expect(close(grad { x in asin(x) }(Tensor(0.6)).scalar, 1.25))
        #expect(grad { x in softplus(x) }(Tensor(0.0)).scalar == 0.5)
        // ∂atan2(y, x)/∂y = x / (x² + y²), ∂/∂x = -y / (x² + y²) at (y, x) = (1, 2).
        let (gy, gx) = gradients(of: { (y: Tensor, x: Tensor) in atan2(y, x) })(Tensor(1.0), Tensor(2.0))
        #expect(close(gy.scalar, 0.4))
        #expect(close(gx.scalar, -0.2))
        // ∂xʸ/∂y = xʸ log x at (2, 3): 8 log 2.
        let (_, gp) = gradients(of: { (x: Tensor, y: Tensor) in pow(x, y) })(Tensor(2.0), Tensor(3.0))
        #expect(close(gp.scalar, 8 * Foundation.log(2.0)))
    }

    @Test func conventionsAtKinksAndTies() {
        // Ties split the gradient equally; kinks take the documented one-sided value.
        #expect(grad { x in x.max() }(Tensor([1, 3, 3] as [Double])).doubles == [0, 0.5, 0.5])
        #expect(grad { x in maximum(x, Tensor(1.0)) }(Tensor(1.0)).scalar == 0.5)
        #expect(grad { x in relu(x) }(Tensor(0.0)).scalar == 0)
        #expect(grad { x in abs(x) }(Tensor(0.0)).scalar == 0)
        #expect(grad { x in clamp(x, min: 0, max: 1).sum() }(Tensor([-1, 0.5, 2] as [Double])).doubles == [0, 1, 0])
    }

    @Test func nestedGradientsDoNotConfusePerturbations() {
        // d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1 (2 if the inner derivative leaked x's tangent).
        #expect(grad { x in x * grad { y in x + y }(Tensor(1.0)) }(Tensor(2.0)).scalar == 1)
        // d/dx [d/dy (x · y)] = d/dx x = 1.
        #expect(grad { x in grad { y in x * y }(Tensor(3.0)) }(Tensor(2.0)).scalar == 1)
    }

    @Test func reductionsAndMatmulByHand() {
        #expect(grad { x in x.mean() }(Tensor.randn([2, 3], seed: 3)).doubles == [Double](repeating: 1.0 / 6, count: 6))
        #expect(grad { x in x.prod() }(Tensor([2, 3, 4] as [Double])).doubles == [12, 8, 6])
        // ∂ sum(AB) / ∂A = 1 Bᵀ: each row of the gradient holds the row sums of B.
        let b: Tensor = [[1, 2], [3, 4], [5, 6]]
        let ga = grad { a in matmul(a, b).sum() }(Tensor.randn([2, 3], seed: 4))
        #expect(ga.doubles == [3, 7, 11, 3, 7, 11])
        // ∂ var(x) / ∂x = 2 (x − mean) / n.
        let x: Tensor = [1, 2, 6]
        #expect(grad { x in x.variance() }(x).doubles.elementsEqual([-4.0 / 3, -2.0 / 3, 2.0]) { close($0, $1) })
    }
}


// MARK: - Regressions (minimal cases of bugs found by this suite, now fixed)

@Suite("Op regressions")
struct OpRegressionTests {
    /// `PowF` (Ops/Arithmetic.swift) called swift-numerics' `T.pow(x, y)`, which was NaN for every
    /// negative `x` (even with an integral `y`) and for `0⁰`; NumPy gives `(-2)³ = -8` and `0⁰ = 1`.
    /// The gradient `y·pow(x, y − 1)` inherits it, so `d/dx pow(x, 2)` is NaN for `x < 0` although
    /// the forward value takes the `x·x` fast path.
    @Test func powOfNegativeBaseWithIntegralExponent() {
        #expect(pow(Tensor(-2.0), 3).scalar == -8)
        #expect(pow(Tensor(0.0), 0).scalar == 1)
        #expect(grad { x in pow(x, 2) }(Tensor(-1.5)).scalar == -3)
        #expect(grad { x in pow(x, 1) }(Tensor(0.0)).scalar == 1)
        let r = checkGradients({ x in pow(x, 3) }, at: Tensor([-1.5, -0.5, 1.2] as [Double]))
        #expect(r.passed, "\(r)")
    }

    /// `StrideTo.tensorIndex` (Ops/Indexing.swift) turned `stride(from: 2, to: -1, by: -1)` (indices
    /// 2, 1, 0) into `.range(2, -1, step: -1)`, whose end `-1` then means "the last element" as in
    /// NumPy, so the slice is empty instead of the reversed vector.
    @Test func reversedStrideThroughIndexZero() {
        let x = Tensor([1, 2, 3] as [Double])
        #expect(x[stride(from: 2, to: -1, by: -1)].doubles == [3, 2, 1])
        #expect(grad { x in x[stride(from: 2, to: -1, by: -1)].sum() }(x).doubles == [1, 1, 1])
    }
}
