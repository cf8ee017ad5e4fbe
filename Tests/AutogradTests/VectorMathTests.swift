// Accuracy and edge-case tests for the C kernels in Sources/CKernels (vectorised exp, log,
// tanh, sigmoid, expm1, log1p, sum), compared against the platform libm through Foundation.
//
// Bounds: float64 within 2 ulp of libm (glibc); float32 within 3 ulp of the correctly
// rounded result (libm's float64 value, rounded).  sigmoid has no libm counterpart, so
// its float64 reference is computed in Float80 where that type exists (x86-64).
import CKernels
import Foundation
import Testing

// MARK: - Helpers

/// SplitMix64: a small deterministic generator, so every run tests the same points.
private struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
    /// Uniform in [lo, hi).
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * unit() }
    /// Magnitude log-uniform in [lo, hi] (lo > 0).
    mutating func logUniform(_ lo: Double, _ hi: Double) -> Double {
        Foundation.exp(Foundation.log(lo) + (Foundation.log(hi) - Foundation.log(lo)) * unit())
    }
}

private typealias Kernel32 = (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void
private typealias Kernel64 = (UnsafePointer<Double>?, UnsafeMutablePointer<Double>?, Int) -> Void

private func apply(_ k: Kernel32, _ x: [Float]) -> [Float] {
    var y = [Float](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in k(xp.baseAddress, yp.baseAddress, x.count) }
    }
    return y
}

private func apply(_ k: Kernel64, _ x: [Double]) -> [Double] {
    var y = [Double](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in k(xp.baseAddress, yp.baseAddress, x.count) }
    }
    return y
}

/// True when `got` is the same IEEE value as `want` (NaN matches NaN; zeros must agree in sign).
private func identical<T: BinaryFloatingPoint>(_ got: T, _ want: T) -> Bool {
    if want.isNaN { return got.isNaN }
    return got == want && got.sign == want.sign
}

/// |got - want| in ulps of `want` (want finite); infinite when they differ in kind.
private func ulpError(_ got: Double, _ want: Double) -> Double {
    if !want.isFinite || !got.isFinite { return identical(got, want) ? 0 : .infinity }
    return abs(got - want) / want.ulp
}

/// float32 error against a float64 reference, in ulps of the float32 result grid.
private func ulpError(_ got: Float, _ want: Double) -> Double {
    let wantF = Float(want)
    if !wantF.isFinite || !got.isFinite { return identical(got, wantF) ? 0 : .infinity }
    return abs(Double(got) - want) / Double(wantF.ulp)
}

private func sigmoidReference(_ x: Double) -> Double {
    #if arch(x86_64) && !os(Windows)
    let t = Float80(x)
    return Double(t >= 0 ? 1 / (1 + Foundation.exp(-t)) : Foundation.exp(t) / (1 + Foundation.exp(t)))
    #else
    return x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    #endif
}

/// Set AG_VECMATH_REPORT=1 to print the measured maximum errors.
private func report(_ message: @autoclosure () -> String) {
    if ProcessInfo.processInfo.environment["AG_VECMATH_REPORT"] != nil { print(message()) }
}

// MARK: - The functions under test

enum VecFn: String, CaseIterable, Sendable, CustomStringConvertible {
    case exp, log, tanh, sigmoid, expm1, log1p
    var description: String { rawValue }

    fileprivate var f32: Kernel32 {
        switch self {
        case .exp: ag_exp_f32
        case .log: ag_log_f32
        case .tanh: ag_tanh_f32
        case .sigmoid: ag_sigmoid_f32
        case .expm1: ag_expm1_f32
        case .log1p: ag_log1p_f32
        }
    }

    fileprivate var f64: Kernel64 {
        switch self {
        case .exp: ag_exp_f64
        case .log: ag_log_f64
        case .tanh: ag_tanh_f64
        case .sigmoid: ag_sigmoid_f64
        case .expm1: ag_expm1_f64
        case .log1p: ag_log1p_f64
        }
    }

    /// The float64 reference: glibc through Foundation (sigmoid: see sigmoidReference).
    func reference(_ x: Double) -> Double {
        switch self {
        case .exp: Foundation.exp(x)
        case .log: Foundation.log(x)
        case .tanh: Foundation.tanh(x)
        case .sigmoid: sigmoidReference(x)
        case .expm1: Foundation.expm1(x)
        case .log1p: Foundation.log1p(x)
        }
    }

    /// 100k test points: half log-uniform magnitudes over the whole meaningful range
    /// (both signs where the function is defined there), half uniform where values vary most.
    func samples(float32: Bool, count: Int = 100_000) -> [Double] {
        var rng = SplitMix64(state: 0x5EED_0000 &+ UInt64(rawValue.utf8.count) &* 977 &+ (float32 ? 1 : 0))
        let tiny = float32 ? 1e-30 : 1e-300
        let huge = float32 ? 1e38 : 1e300
        return (0..<count).map { i in
            let wide = i % 2 == 0
            let sign: Double = rng.next() & 1 == 0 ? 1 : -1
            switch self {
            case .exp:
                return wide ? sign * rng.logUniform(1e-12, float32 ? 104 : 746) : rng.uniform(-20, 20)
            case .log:
                return wide ? rng.logUniform(float32 ? 1e-45 : .leastNonzeroMagnitude, huge) : rng.uniform(0.5, 2)
            case .tanh:
                return wide ? sign * rng.logUniform(tiny, 25) : rng.uniform(-5, 5)
            case .sigmoid:
                return wide ? sign * rng.logUniform(1e-12, float32 ? 110 : 800) : rng.uniform(-20, 20)
            case .expm1:
                return wide ? sign * rng.logUniform(tiny, float32 ? 89 : 710) : rng.uniform(-3, 3)
            case .log1p:
                if !wide { return rng.uniform(-0.9, 2) }
                return sign > 0 ? rng.logUniform(tiny, huge) : -rng.logUniform(tiny, 1)
            }
        }
    }

    /// Special inputs: the result must be exactly `expected`, or (when nil) within the
    /// accuracy bound of the reference (for overflow/underflow boundaries and subnormals).
    func edgeCases(float32: Bool) -> [(x: Double, expected: Double?)] {
        let inf = Double.infinity, nan = Double.nan  // 0x1.2p-1030: a subnormal double
        switch self {
        case .exp:
            return [(0, 1), (-0.0, 1), (inf, inf), (-inf, 0), (nan, nan), (1000, inf), (-1000, 0),
                    (1e-300, 1), (float32 ? 89 : 710, inf), (float32 ? -104 : -746, 0),
                    (float32 ? 88.72 : 709.78, nil), (float32 ? 88.73 : 709.79, nil),
                    (float32 ? -87.5 : -708.5, nil), (float32 ? -100 : -740, nil),    // subnormal results
                    (float32 ? -103.2 : -745.1, nil), (float32 ? -103.9 : -745.2, nil)]
        case .log:
            return [(0, -inf), (-0.0, -inf), (-1, nan), (-inf, nan), (inf, inf), (nan, nan), (1, 0),
                    (float32 ? Double(Float.leastNonzeroMagnitude) : .leastNonzeroMagnitude, nil),      // subnormal inputs
                    (float32 ? Double(Float.leastNormalMagnitude) : 0x1p-1022, nil),
                    (float32 ? Double(Float.greatestFiniteMagnitude) : .greatestFiniteMagnitude, nil)]
        case .tanh:
            return [(0, 0), (-0.0, -0.0), (inf, 1), (-inf, -1), (nan, nan), (20, 1), (-20, -1),
                    (1000, 1), (-1000, -1), (1e-30, 1e-30), (-1e-30, -1e-30),
                    (float32 ? 1e-40 : 0x1.2p-1030, nil), (0.625, nil), (-0.625, nil)]
        case .sigmoid:
            return [(0, 0.5), (-0.0, 0.5), (inf, 1), (-inf, 0), (nan, nan), (40, 1), (-800, 0),
                    (1000, 1), (-1000, 0), (float32 ? -100 : -740, nil), (float32 ? -87.5 : -708.5, nil)]
        case .expm1:
            return [(0, 0), (-0.0, -0.0), (inf, inf), (-inf, -1), (nan, nan), (1000, inf), (-1000, -1),
                    (1e-30, 1e-30), (-1e-30, -1e-30), (float32 ? 1e-40 : 0x1.2p-1030, nil),
                    (float32 ? 88.72 : 709.78, nil), (float32 ? 88.73 : 709.79, nil), (-40, -1)]
        case .log1p:
            return [(0, 0), (-0.0, -0.0), (-1, -inf), (-2, nan), (inf, inf), (-inf, nan), (nan, nan),
                    (1e-30, 1e-30), (-1e-30, -1e-30), (float32 ? 1e-40 : 0x1.2p-1030, nil),
                    (float32 ? 0x1p-24 : 0x1p-53, nil), (float32 ? -0x1p-25 : -0x1p-54, nil),
                    (float32 ? 1e38 : 1e308, nil), (-0.999999, nil)]
        }
    }
}

// MARK: - Elementwise accuracy

@Suite("Vectorised C math kernels")
struct VectorMathTests {
    @Test("float64 within 2 ulp of libm", arguments: VecFn.allCases)
    func float64Accuracy(_ f: VecFn) {
        let x = f.samples(float32: false)
        let y = apply(f.f64, x)
        var worst = 0.0, worstX = 0.0
        for i in x.indices {
            let e = ulpError(y[i], f.reference(x[i]))
            if e > worst { (worst, worstX) = (e, x[i]) }
        }
        report("\(f) f64: max \(worst) ulp from libm at x = \(worstX)")
        #expect(worst <= 2, "\(f) f64: max error \(worst) ulp at x = \(worstX)")
    }

    @Test("float32 within 3 ulp of the correctly rounded result", arguments: VecFn.allCases)
    func float32Accuracy(_ f: VecFn) {
        let x = f.samples(float32: true).map { Float($0) }
        let y = apply(f.f32, x)
        var worst = 0.0, worstX: Float = 0
        for i in x.indices {
            let e = ulpError(y[i], f.reference(Double(x[i])))
            if e > worst { (worst, worstX) = (e, x[i]) }
        }
        report("\(f) f32: max \(worst) ulp from correctly rounded at x = \(worstX)")
        #expect(worst <= 3, "\(f) f32: max error \(worst) ulp at x = \(worstX)")
    }

    @Test("special values: zeros, infinities, NaN, overflow, subnormals", arguments: VecFn.allCases)
    func edgeCases(_ f: VecFn) {
        for float32 in [false, true] {
            let cases = f.edgeCases(float32: float32)
            if float32 {
                let x = cases.map { Float($0.x) }
                let y = apply(f.f32, x)
                for (i, c) in cases.enumerated() {
                    if let want = c.expected {
                        #expect(identical(y[i], Float(want)), "\(f) f32(\(x[i])) = \(y[i]), want \(Float(want))")
                    } else {
                        let e = ulpError(y[i], f.reference(Double(x[i])))
                        #expect(e <= 3, "\(f) f32(\(x[i])) = \(y[i]): \(e) ulp from \(f.reference(Double(x[i])))")
                    }
                }
            } else {
                let x = cases.map(\.x)
                let y = apply(f.f64, x)
                for (i, c) in cases.enumerated() {
                    if let want = c.expected {
                        #expect(identical(y[i], want), "\(f) f64(\(x[i])) = \(y[i]), want \(want)")
                    } else {
                        let e = ulpError(y[i], f.reference(x[i]))
                        #expect(e <= 2, "\(f) f64(\(x[i])) = \(y[i]): \(e) ulp from \(f.reference(x[i]))")
                    }
                }
            }
        }
    }

    @Test("tiny arguments return x exactly", arguments: [VecFn.tanh, .expm1, .log1p])
    func tinyArguments(_ f: VecFn) {
        let x64: [Double] = [1e-20, -1e-20, 0x1p-60, -0x1p-70, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1e-300]
        #expect(apply(f.f64, x64) == x64)
        let x32: [Float] = [1e-20, -1e-20, 0x1p-30, -0x1p-40, .leastNonzeroMagnitude, 1e-38]
        #expect(apply(f.f32, x32) == x32)
    }

    @Test("in place (y == x) matches out of place, for every length", arguments: VecFn.allCases)
    func inPlace(_ f: VecFn) {
        for n in [0, 1, 3, 7, 8, 15, 16, 17, 63, 64, 65, 1000] {
            let x64 = f.samples(float32: false, count: n)
            var z64 = x64
            z64.withUnsafeMutableBufferPointer { p in f.f64(p.baseAddress, p.baseAddress, n) }
            #expect(z64.elementsEqual(apply(f.f64, x64), by: { identical($0, $1) }))
            let x32 = f.samples(float32: true, count: n).map { Float($0) }
            var z32 = x32
            z32.withUnsafeMutableBufferPointer { p in f.f32(p.baseAddress, p.baseAddress, n) }
            #expect(z32.elementsEqual(apply(f.f32, x32), by: { identical($0, $1) }))
        }
    }

    // MARK: - Sums

    /// Reference sum with compensated (Neumaier) summation.
    private func accurateSum(_ x: [Double]) -> Double {
        var s = 0.0, c = 0.0
        for v in x {
            let t = s + v
            c += abs(s) >= abs(v) ? (s - t) + v : (v - t) + s
            s = t
        }
        return s + c
    }

    @Test("sum: float64 and float32 (accumulated in double), all tail lengths")
    func sums() {
        var rng = SplitMix64(state: 42)
        for n in [0, 1, 2, 31, 32, 33, 100, 4095, 4096, 4097, 8192 + 77, 100_000] {
            let x = (0..<n).map { _ in rng.uniform(-1, 1) * (rng.next() & 7 == 0 ? 1e6 : 1) }
            let absSum = x.reduce(0) { $0 + abs($1) }
            let exact = accurateSum(x)
            let got = x.withUnsafeBufferPointer { ag_sum_f64($0.baseAddress, n) }
            #expect(abs(got - exact) <= 1e-14 * absSum, "n = \(n): \(got) vs \(exact)")

            let xf = x.map { Float($0) }
            let exactF = accurateSum(xf.map { Double($0) })   // every float is exact in double
            let gotF = xf.withUnsafeBufferPointer { ag_sum_f32($0.baseAddress, n) }
            #expect(abs(gotF - exactF) <= 1e-14 * absSum, "n = \(n): \(gotF) vs \(exactF)")
        }
        // Mixed magnitudes where a naive float sum would lose everything.
        let xf: [Float] = [1e8, 1, -1e8, 1] + [Float](repeating: 0.25, count: 1000)
        #expect(xf.withUnsafeBufferPointer { ag_sum_f32($0.baseAddress, xf.count) } == 252)
        // Special values propagate.
        let special: [Double] = [1, .infinity, 2]
        #expect(special.withUnsafeBufferPointer { ag_sum_f64($0.baseAddress, 3) } == .infinity)
        let nanSum = [1, Double.nan, 2].withUnsafeBufferPointer { ag_sum_f64($0.baseAddress, 3) }
        #expect(nanSum.isNaN)
    }
}
