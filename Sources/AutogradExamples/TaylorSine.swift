import Autograd

// Seed: the HIPS autograd tutorial ("Taylor approximation to sine"). The number of terms depends
// on the value being computed — a data-dependent `while` loop, differentiated as it runs.
//
//     def taylor_sine(x):
//         ans = currterm = x
//         i = 0
//         while np.abs(currterm) > 0.001:
//             currterm = -currterm * x**2 / ((2 * i + 3) * (2 * i + 2))
//             ans = ans + currterm
//             i += 1
//         return ans
//     grad(taylor_sine)(np.pi)   # -0.9998995297042174

/// The Taylor series of `sin(x)`, summed until a term falls to 0.001 in magnitude.
public func taylorSine(_ x: Tensor) -> Tensor {
    var ans = x, term = x, i = 0.0
    while abs(term) > 0.001 {
        term = -term * pow(x, 2) / ((2 * i + 3) * (2 * i + 2))
        ans = ans + term
        i += 1
    }
    return ans
}

/// `taylor_sine` and its derivative at π (the derivative ≈ cos π = −1).
public func taylorSineExample() -> ExampleResult {
    let value = taylorSine(Tensor(Double.pi)).scalar
    let gradient: Double = grad(taylorSine)(Double.pi)
    return ExampleResult(name: "taylor sine at π (HIPS tutorial)",
                         values: [("value", value), ("gradient", gradient)])
}
