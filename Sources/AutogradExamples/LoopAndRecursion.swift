import Autograd

// Seed: torch-autograd's loop and recursion examples — plain Swift control flow whose trip count
// is an ordinary (non-differentiated) argument. Both compute x^(2n); at x = 3, n = 2: value
// 3⁴ = 81 and derivative 4·3³ = 108.

/// `x^(2n)` by a loop multiplying by `x · x`, `n` times.
public func powerByLoop(_ x: Tensor, _ n: Int) -> Tensor {
    var result = Tensor.ones(like: x)
    for _ in 0..<n {
        result = result * x * x
    }
    return result
}

/// `x^(2n)` by recursion on `n`.
public func powerByRecursion(_ x: Tensor, _ n: Int) -> Tensor {
    n == 0 ? Tensor.ones(like: x) : x * x * powerByRecursion(x, n - 1)
}

/// Both functions and their derivatives with respect to `x` at (3, 2).
public func loopAndRecursionExample() -> ExampleResult {
    let x = Tensor(3.0), n = 2
    let (loopValue, loopGradient) = valueAndGrad(powerByLoop)(x, n)
    let (recursionValue, recursionGradient) = valueAndGrad(powerByRecursion)(x, n)
    return ExampleResult(name: "x^(2n) by a loop and by recursion at (3, 2) (torch-autograd)",
                         values: [("loop value", loopValue.scalar), ("loop gradient", loopGradient.scalar),
                                  ("recursion value", recursionValue.scalar),
                                  ("recursion gradient", recursionGradient.scalar)])
}
