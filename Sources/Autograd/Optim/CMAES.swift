import CLAPACKE
import Foundation

/// CMA-ES, the covariance matrix adaptation evolution strategy (Hansen's (μ/μ_w, λ)-CMA-ES, as in
/// his reference implementation `purecmaes.m` and "The CMA Evolution Strategy: A Tutorial", 2016):
/// gradient-free, for rugged or noisy objectives of modest dimension.
///
/// Each generation samples `λ` points `x = m + σ·B·D·z` with `z ~ N(0, I)`, moves the mean to the
/// weighted mean of the best `μ = ⌊λ/2⌋` (weights `ln(λ/2 + ½) − ln i`, normalised), and adapts the
/// step size σ (cumulative step-size adaptation) and the covariance `C = B·D²·Bᵀ` (rank-one plus
/// rank-μ update), with the tutorial's default constants `c_c, c_σ, c₁, c_μ, d_σ`. The eigen
/// decomposition of `C` is refreshed lazily, as in `purecmaes.m`; eigenvectors are normalised so
/// each one's largest component is positive, which makes runs reproducible across LAPACK builds.
/// Sampling uses ``SplitMix64`` with the given seed (draws in row-major order of the λ×n matrix `z`,
/// generation after generation), so a seed gives the same run on every machine.
public struct CMAES {
    /// The initial step size σ₀ (about a quarter of the search range is a good start).
    public var sigma: Double
    /// The population size λ (default `4 + ⌊3 ln n⌋`).
    public var populationSize: Int?
    /// The generation budget (default 1000).
    public var maxIterations: Int
    /// The evaluation budget (default unlimited).
    public var maxEvaluations: Int
    /// Stop when the best value is ≤ this (default −∞).
    public var targetValue: Double
    /// Stop when the values of a generation and of the recent best span less than this (default 1e-12).
    public var functionTolerance: Double
    /// Stop when σ·max(D) (the largest coordinate step) is below this (default 1e-12).
    public var stepTolerance: Double
    /// The random seed.
    public var seed: UInt64

    /// A CMA-ES minimiser.
    public init(sigma: Double, populationSize: Int? = nil, maxIterations: Int = 1000, maxEvaluations: Int = .max,
                targetValue: Double = -.infinity, functionTolerance: Double = 1e-12, stepTolerance: Double = 1e-12,
                seed: UInt64 = 0) {
        require(sigma > 0, "CMAES: sigma must be positive, got \(sigma)")
        require(populationSize.map { $0 >= 2 } ?? true, "CMAES: populationSize must be at least 2, got \(populationSize ?? 0)")
        self.sigma = sigma
        self.populationSize = populationSize
        self.maxIterations = maxIterations
        self.maxEvaluations = maxEvaluations
        self.targetValue = targetValue
        self.functionTolerance = functionTolerance
        self.stepTolerance = stepTolerance
        self.seed = seed
    }

    /// Minimises `f` (returning a single value; never differentiated) from the initial mean `x0`.
    /// The result's `x` is the best point evaluated; `values` holds each generation's best value.
    public func minimize<P: ParameterTree>(_ f: (P) -> Tensor, from x0: P,
                                           onIteration: ((Int, P, Double) -> Void)? = nil) -> MinimizationResult<P> {
        let layout = FlatLayout(x0, op: "CMAES")
        let n = layout.total
        let N = Double(n)
        let lambda = populationSize ?? 4 + Int(3 * Foundation.log(N))
        let halfLambda = Double(lambda) / 2
        let mu = lambda / 2
        var w = (1...mu).map { Foundation.log(halfLambda + 0.5) - Foundation.log(Double($0)) }
        let wSum = w.reduce(0, +)
        w = w.map { $0 / wSum }
        let muEff = 1 / w.reduce(0) { $0 + $1 * $1 }
        let cc = (4 + muEff / N) / (N + 4 + 2 * muEff / N)
        let cs = (muEff + 2) / (N + muEff + 5)
        let c1 = 2 / ((N + 1.3) * (N + 1.3) + muEff)
        let cmu = Swift.min(1 - c1, 2 * (muEff - 2 + 1 / muEff) / ((N + 2) * (N + 2) + muEff))
        let damps = 1 + 2 * Swift.max(0, ((muEff - 1) / (N + 1)).squareRoot() - 1) + cs
        let chiN = N.squareRoot() * (1 - 1 / (4 * N) + 1 / (21 * N * N))

        // Vector algebra in float64 on [n] vectors and [λ, n] sample matrices (rows are points).
        let weights = Tensor(w, shape: [1, mu])
        var mean = layout.flatten(x0).cast(to: .float64).reshape([1, n])
        var sigma = self.sigma
        var pc = Tensor.zeros([1, n]), ps = Tensor.zeros([1, n])
        var B = Tensor.eye(n), D = Tensor.ones([n])
        var C = Tensor.eye(n), invSqrtC = Tensor.eye(n)
        var eigenEvaluations = 0, evaluations = 0
        var rng = SplitMix64(seed: seed)
        var best = (x: mean.reshape([n]), value: Double.infinity)
        var values: [Double] = []
        var recentBest: [Double] = []

        func evaluate(_ row: Tensor) -> Double {
            f(layout.unflatten(row.cast(to: layout.dtype))).scalar
        }
        func finish(_ k: Int, _ reason: StopReason) -> MinimizationResult<P> {
            MinimizationResult(x: layout.unflatten(best.x.cast(to: layout.dtype)), value: best.value, iterations: k,
                               evaluations: evaluations, stopReason: reason, values: values)
        }

        for generation in 1...maxIterations {
            var zValues = [Double](repeating: 0, count: lambda * n)
            for i in zValues.indices { zValues[i] = rng.nextNormal() }
            let z = Tensor(zValues, shape: [lambda, n])
            // y = B·D·z for each row z: rows (z ∘ D)·Bᵀ.
            let points = mean + sigma * matmul(z * D, B.T)
            var fitness = [Double](repeating: 0, count: lambda)
            for k in 0..<lambda {
                fitness[k] = evaluate(points[k])
                evaluations += 1
            }
            let order = (0..<lambda).sorted { (fitness[$0], $0) < (fitness[$1], $1) }
            if fitness[order[0]] < best.value { best = (points[order[0]], fitness[order[0]]) }
            values.append(fitness[order[0]])
            onIteration?(generation, layout.unflatten(points[order[0]].cast(to: layout.dtype)), fitness[order[0]])

            // Recombination and the evolution paths.
            let selected = points[indices: Array(order[0..<mu])]
            let oldMean = mean
            mean = matmul(weights, selected)
            let shift = (mean - oldMean) / sigma
            ps = (1 - cs) * ps + (cs * (2 - cs) * muEff).squareRoot() * matmul(shift, invSqrtC)
            let psNorm = square(ps).sum().scalar.squareRoot()
            let hsig = psNorm / (1 - Foundation.pow(1 - cs, 2 * Double(evaluations) / Double(lambda))).squareRoot() / chiN
                < 1.4 + 2 / (N + 1)
            pc = (1 - cc) * pc + (hsig ? (cc * (2 - cc) * muEff).squareRoot() : 0) * shift
            // Rank-one and rank-μ covariance update.
            let artmp = (selected - oldMean) / sigma
            C = (1 - c1 - cmu) * C
                + c1 * (matmul(pc.T, pc) + (hsig ? 0 : cc * (2 - cc)) * C)
                + cmu * matmul(artmp.T * weights, artmp)
            sigma *= Foundation.exp((cs / damps) * (psNorm / chiN - 1))

            if Double(evaluations - eigenEvaluations) > Double(lambda) / (c1 + cmu) / N / 10 {
                eigenEvaluations = evaluations
                (B, D) = symmetricEigen(C)
                D = sqrt(D)
                invSqrtC = matmul(B / D, B.T)
            }

            recentBest.append(fitness[order[0]])
            if recentBest.count > 10 + Int((30 * N / Double(lambda)).rounded(.up)) { recentBest.removeFirst() }
            let dValues = D.doubles
            if fitness[order[0]] <= targetValue { return finish(generation, .targetReached) }
            if evaluations >= maxEvaluations { return finish(generation, .maxEvaluations) }
            if dValues.max()! > 1e7 * dValues.min()! { return finish(generation, .illConditioned) }
            let span = (fitness + recentBest)
            if generation > 1 && span.max()! - span.min()! < functionTolerance { return finish(generation, .changeTolerance) }
            if sigma * dValues.max()! < stepTolerance { return finish(generation, .changeTolerance) }
        }
        return finish(maxIterations, .maxIterations)
    }
}

/// The eigen decomposition of a symmetric float64 matrix (LAPACK `dsyev`, upper triangle, so the
/// result is that of the symmetrised matrix): eigenvalues ascending, eigenvectors as columns, each
/// with its largest-magnitude component positive (negative eigenvalues from rounding become 0).
func symmetricEigen(_ matrix: Tensor) -> (vectors: Tensor, values: Tensor) {
    let n = matrix.shape[0]
    require(matrix.shape == [n, n] && matrix.dtype == .float64, "symmetricEigen: need a square float64 matrix, got \(matrix.dtype) \(matrix.shape)")
    var a = matrix.doubles
    var w = [Double](repeating: 0, count: n)
    Threading.prepareBLAS()
    let info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")),
                             Int32(n), &a, Int32(n), &w)
    require(info == 0, "symmetricEigen: LAPACK dsyev failed (info \(info)) on a \(n)×\(n) matrix")
    for j in 0..<n {
        var largest = 0
        for i in 0..<n where abs(a[i * n + j]) > abs(a[largest * n + j]) { largest = i }
        if a[largest * n + j] < 0 { for i in 0..<n { a[i * n + j] = -a[i * n + j] } }
    }
    return (Tensor(a, shape: [n, n]), Tensor(w.map { Swift.max($0, 0) }))
}
