import ArgumentParser
import Autograd

/// The workloads of `shared/bench/README.md` this harness reproduces, plus per-op overhead.
enum Workload: String, CaseIterable, ExpressibleByArgument {
    case w1 = "W1", w2 = "W2", w3 = "W3", w4 = "W4", w5 = "W5", w6 = "W6", w7 = "W7", w8 = "W8", w9 = "W9", dispatch = "DISPATCH"

    init?(argument: String) { self.init(rawValue: argument.uppercased()) }

    /// Runs the workload: its data, one timing per variant, and the checks against the README.
    func run(quick: Bool) -> [BenchRow] {
        switch self {
        case .w1: return [benchW1(quick)]
        case .w2: return [benchW2(quick)]
        case .w3: return [benchW3(quick)]
        case .w4: return [benchW4(quick)]
        case .w5: return [benchW5(quick)]
        case .w6: return benchW6(quick)
        case .w7: return benchW7(quick)
        case .w8: return [benchW8(quick)]
        case .w9: return benchW9(quick)
        case .dispatch: return benchDispatch(quick)
        }
    }
}

/// One result line: timings already converted to `unit`, and the outcome of the workload's check.
struct BenchRow {
    var workload: String
    var variant: String
    var unit: String
    var stats: BenchStats
    var check: String
    /// GFLOP/s at the median, best (min) and worst (max) time, for GEMM rows.
    var gflops: (median: Double, best: Double, worst: Double)? = nil
    /// The key of this row in the JSON output: the workload id, plus the variant when a workload
    /// has several.
    var key: String
}

/// Compares computed values with the README's reference values.
struct Check {
    private var failures: [String] = []
    /// Requires `|got − expected| ≤ rtol·|expected|`.
    mutating func expect(_ label: String, _ got: Double, _ expected: Double, rtol: Double) {
        if !(Swift.abs(got - expected) <= rtol * Swift.abs(expected)) {
            failures.append("\(label) got \(fullPrecision(got)), expected \(fullPrecision(expected)), rtol \(rtol)")
        }
    }
    /// Records a failure described by `message` unless `condition` holds.
    mutating func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { failures.append(message()) }
    }
    /// `"ok"`, or `"FAIL (…)"` listing every failed comparison.
    var result: String { failures.isEmpty ? "ok" : "FAIL (" + failures.joined(separator: "; ") + ")" }
}

// MARK: - W1 scalar-taylor

/// The autograd tutorial function, op for op: 7 `abs` + 6 × (`pow`, `neg`, `mul`, `div`, `add`) at π.
private func taylorSineW1(_ x: Tensor) -> Tensor {
    var ans = x, term = x, i = 0
    while abs(term) > 0.001 {
        term = -term * pow(x, 2.0) / Double((2 * i + 3) * (2 * i + 2))
        ans = ans + term
        i += 1
    }
    return ans
}

/// W1: one gradient call of `taylorSine` at π on a fresh 0-d float64 tensor, µs.
private func benchW1(_ quick: Bool) -> BenchRow {
    let g: (Tensor) -> Tensor = grad(taylorSineW1)
    var value = 0.0
    let stats = bench(BenchSettings(), quick: quick) { value = g(Tensor(Double.pi)).scalar }
    var check = Check()
    check.expect("grad", value, -0.9998995297042174, rtol: 1e-12)
    return BenchRow(workload: "W1", variant: "grad", unit: "us", stats: stats.scaled(by: 1e6),
                    check: check.result, key: "W1")
}

// MARK: - W2 logreg-toy

/// W2: one repetition trains the README's logistic regression for 100 steps from zero weights;
/// reported per step, µs.
private func benchW2(_ quick: Bool) -> BenchRow {
    let inputs = Tensor([0.52, 1.12, 0.77, 0.88, -1.08, 0.15, 0.52, 0.06, -1.30, 0.74, -2.49, 1.39], shape: [4, 3])
    let targets = Tensor([1.0, 1, 0, 1])
    func sigmoid(_ x: Tensor) -> Tensor { 0.5 * (tanh(x / 2.0) + 1.0) }
    func loss(_ w: Tensor) -> Tensor {
        let preds = sigmoid(matmul(inputs, w))
        let probabilities = preds * targets + (1.0 - preds) * (1.0 - targets)
        return -log(probabilities).sum()
    }
    let g: (Tensor) -> Tensor = grad(loss)
    var final = Tensor.zeros([3])
    let stats = bench(BenchSettings(warmup: 2, targetRep: 0), quick: quick) {
        var w = Tensor.zeros([3])
        for _ in 0..<100 { w = w - g(w) * 0.01 }
        final = w
    }
    var check = Check()
    check.expect("final loss", loss(final).scalar, 1.0672706757870163, rtol: 1e-12)
    return BenchRow(workload: "W2", variant: "grad+update (per step)", unit: "us",
                    stats: stats.scaled(by: 1e6 / 100), check: check.result, key: "W2")
}

// MARK: - W3 mlp-seed

/// W3's loss: a 100→50→10 tanh network with a log-softmax (no max shift) and a one-hot target.
private func lossW3(_ p: [Tensor], _ x: Tensor, _ y: Tensor) -> Tensor {
    let h1 = tanh(matmul(x, p[0]) + p[2])
    let h2 = tanh(matmul(h1, p[1]) + p[3])
    let yHat = h2 - log(exp(h2).sum())
    return -(yHat * y).sum()
}

/// W3: one `valueAndGrad` call w.r.t. (W1, W2, b1, b2), µs.
private func benchW3(_ quick: Bool) -> BenchRow {
    let params = [Tensor.randn([100, 50], seed: 301), Tensor.randn([50, 10], seed: 302),
                  Tensor.randn([50], seed: 303), Tensor.randn([10], seed: 304)]
    let x = Tensor.randn([1, 100], seed: 305)
    let y = Tensor((0..<10).map { $0 == 3 ? 1.0 : 0.0 }, shape: [1, 10])
    let vg = valueAndGrad(lossW3)
    var result = vg(params, x, y)
    let stats = bench(BenchSettings(), quick: quick) { result = vg(params, x, y) }
    var check = Check()
    check.expect("loss", result.value.scalar, 3.653194818054505, rtol: 1e-12)
    let sumSquares = result.gradient.reduce(0.0) { acc, t in t.doubles.reduce(acc) { $0 + $1 * $1 } }
    check.expect("grad sum of squares", sumSquares, 0.58020038417235, rtol: 1e-11)
    return BenchRow(workload: "W3", variant: "valueAndGrad", unit: "us", stats: stats.scaled(by: 1e6),
                    check: check.result, key: "W3")
}

// MARK: - W7 hvp

/// W7: a Hessian–vector product of W3's loss as a function of the flattened parameters θ (5,560 =
/// W1, W2, b1, b2), both reverse-over-reverse and forward-over-reverse, ms.
private func benchW7(_ quick: Bool) -> [BenchRow] {
    let params = [Tensor.randn([100, 50], seed: 301), Tensor.randn([50, 10], seed: 302),
                  Tensor.randn([50], seed: 303), Tensor.randn([10], seed: 304)]
    let x = Tensor.randn([1, 100], seed: 305)
    let y = Tensor((0..<10).map { $0 == 3 ? 1.0 : 0.0 }, shape: [1, 10])
    let (theta, unflatten) = params.flattened()
    let v = Tensor.randn([5560], seed: 701)
    let f = { (t: Tensor) in lossW3(unflatten(t), x, y) }
    let variants: [(String, String, (Tensor, Tensor) -> Tensor)] = [
        ("hvp rev-over-rev", "W7_rev_over_rev", hessianVectorProduct(f)),
        ("hvp fwd-over-rev", "W7_fwd_over_rev", hvp(f)),
    ]
    return variants.map { name, key, product in
        var hv = product(theta, v)
        let stats = bench(BenchSettings(), quick: quick) { hv = product(theta, v) }
        var check = Check()
        let d = hv.doubles
        check.expect("Σ(Hv)²", d.reduce(0) { $0 + $1 * $1 }, 32.967995001224, rtol: 1e-10)
        check.expect("Σ Hv", d.reduce(0, +), 0.97399251473459, rtol: 1e-10)
        return BenchRow(workload: "W7", variant: name, unit: "ms", stats: stats.scaled(by: 1e3),
                        check: check.result, key: key)
    }
}

// MARK: - W8 elementwise-big

/// The data of W8: 4,194,304 float32 normals (seed 801).
func dataW8() -> Tensor { Tensor.randn([4_194_304], seed: 801, dtype: .float32) }

/// W8: value and gradient of `sum(tanh(x)·x + exp(−x·x))` on 4,194,304 float32, ms.
private func benchW8(_ quick: Bool) -> BenchRow {
    let x = dataW8()
    let vg = valueAndGrad { (x: Tensor) in (tanh(x) * x + exp(-x * x)).sum() }
    var result = vg(x)
    let stats = bench(BenchSettings(), quick: quick) { result = vg(x) }
    var check = Check()
    check.require(result.value.dtype == .float32 && result.gradient.dtype == .float32,
                  "dtypes \(result.value.dtype), \(result.gradient.dtype), expected float32")
    check.expect("value", result.value.scalar, 4961727.5, rtol: 1e-5)
    check.expect("grad sum", result.gradient.doubles.reduce(0, +), 1070.835, rtol: 1e-4)
    return BenchRow(workload: "W8", variant: "valueAndGrad", unit: "ms", stats: stats.scaled(by: 1e3),
                    check: check.result, key: "W8")
}

// MARK: - W9 gemm-peak

/// W9: `matmul(A, B)` through the Tensor API (a fresh result each call), n = 512 and 2048, float32
/// and float64; ms and GFLOP/s = 2n³/t.
private func benchW9(_ quick: Bool) -> [BenchRow] {
    var rows: [BenchRow] = []
    for dtype in [DType.float32, .float64] {
        for n in [512, 2048] {
            let a = Tensor.randn([n, n], seed: 901, dtype: dtype), b = Tensor.randn([n, n], seed: 902, dtype: dtype)
            var c = matmul(a, b)
            let stats = bench(BenchSettings(warmup: 2, maxTotal: 15), quick: quick) { c = matmul(a, b) }
            let flop = 2 * Double(n * n * n)
            let variant = "\(dtype) n=\(n)"
            rows.append(BenchRow(workload: "W9", variant: variant, unit: "ms", stats: stats.scaled(by: 1e3),
                                 check: gemmCheck(a, b, c, n: n, rtol: dtype == .float32 ? 1e-5 : 1e-13),
                                 gflops: (flop / stats.median / 1e9, flop / stats.min / 1e9, flop / stats.max / 1e9),
                                 key: "W9 " + variant))
        }
    }
    return rows
}

/// Compares a few entries of `c = a·b` with float64 dot products of the (rounded) inputs; the
/// error is relative to `Σ_k |a_ik·b_kj|`, the scale of a dot product's rounding error.
private func gemmCheck(_ a: Tensor, _ b: Tensor, _ c: Tensor, n: Int, rtol: Double) -> String {
    let (av, bv, cv) = (a.doubles, b.doubles, c.doubles)
    var check = Check()
    check.require(c.shape == [n, n] && c.dtype == a.dtype, "result shape \(c.shape) dtype \(c.dtype)")
    for (i, j) in [(0, 0), (1, n - 1), (n / 2, n / 3), (n - 1, 0), (n - 1, n - 1), (123, 457)] {
        var ref = 0.0, scale = 0.0
        for k in 0..<n {
            let t = av[i * n + k] * bv[k * n + j]
            ref += t
            scale += Swift.abs(t)
        }
        let got = cv[i * n + j]
        check.require(Swift.abs(got - ref) <= rtol * scale,
                      "C[\(i),\(j)] got \(fullPrecision(got)), expected \(fullPrecision(ref))")
    }
    return check.result
}

// MARK: - DISPATCH per-op overhead

/// DISPATCH: a chain of 10,000 dependent `c = c + b` on shape-(1,) float64 tensors, µs per add:
/// without a tape, recorded on a tape (forward only), and forward + backward.
private func benchDispatch(_ quick: Bool) -> [BenchRow] {
    let n = 10_000
    let a = Tensor.ones([1]), b = Tensor.ones([1])
    let settings = BenchSettings(targetRep: 0)
    func chain(_ a: Tensor) -> Tensor {
        var c = a
        for _ in 0..<n { c = c + b }
        return c
    }
    // Forward only: record the chain and return its pullback without calling it (autograd's
    // `make_vjp(chain)(a)`, JAX's `jax.vjp`).
    let forward = vjp { (a: Tensor) in chain(a) }
    let full: (Tensor) -> Tensor = grad { (a: Tensor) in chain(a).sum() }

    var rows: [BenchRow] = []
    func add(_ variant: String, _ stats: BenchStats, _ ok: Bool, _ got: Double) {
        rows.append(BenchRow(workload: "DISPATCH", variant: variant, unit: "us", stats: stats.scaled(by: 1e6 / Double(n)),
                             check: ok ? "ok" : "FAIL (got \(fullPrecision(got)))", key: "DISPATCH " + variant))
    }
    var c = a
    add("plain add", bench(settings, quick: quick) { c = chain(a) }, c.scalar == 10_001, c.scalar)
    var r = forward(a).value
    add("tape forward", bench(settings, quick: quick) { r = forward(a).value }, r.scalar == 10_001, r.scalar)
    var g = a
    add("tape fwd+bwd", bench(settings, quick: quick) { g = full(a) }, g.scalar == 1, g.scalar)
    return rows
}
