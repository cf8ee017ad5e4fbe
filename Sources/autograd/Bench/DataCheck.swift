import Autograd

/// Checks the deterministic generator against the README's check values: raw splitmix64 draws,
/// `randn(301, (100, 50))`, `uniform(404, (128, 784))` and W8's float32 data. Returns `"ok"` or
/// the failures.
func checkDeterministicData() -> String {
    var check = Check()
    let draws: [UInt64] = [0xe525d2a3b2002e14, 0x1a432f366eba4879, 0x200e950c027b7341, 0xaa1ed3a134ca8e05]
    for (k, expected) in draws.enumerated() {
        let got = SplitMix64.draw(seed: 301, index: UInt64(k))
        check.require(got == expected, "draw \(k) of seed 301 got \(String(got, radix: 16))")
    }
    // glibc log/cos may differ from numpy's by 1 ulp: compare with a relative tolerance.
    let normal = Tensor.randn([100, 50], seed: 301)
    for (i, v) in [1.6975037865137759, -0.2646190663286608, -0.6771381552295332, -1.084427644074059].enumerated() {
        check.expect("randn(301)[0,\(i)]", normal[0, i].scalar, v, rtol: 1e-15)
    }
    check.expect("randn(301) sum", normal.sum().scalar, -49.56144077598785, rtol: 1e-12)
    let uniform = Tensor.uniform([128, 784], seed: 404)
    for (i, v) in [0.07439308343124318, 0.8513493776587765, 0.48461893431823844, 0.8341197020409639].enumerated() {
        check.expect("uniform(404)[0,\(i)]", uniform[0, i].scalar, v, rtol: 0)
    }
    check.expect("uniform(404) sum", uniform.sum().scalar, 50128.4221594938, rtol: 1e-12)
    // After rounding to float32 the README found every value identical to numpy's.
    let x = dataW8()
    for (i, v) in [Float(-0.857532), -0.6556639, 0.58441854, -1.5098147].enumerated() {
        check.require(x[i].item(as: Float.self) == v, "W8 x[\(i)] got \(x[i].item(as: Float.self)), expected \(v)")
    }
    check.expect("W8 x float64 sum", x.cast(to: .float64).sum().scalar, 2526.3498789489686, rtol: 1e-12)
    return check.result
}
