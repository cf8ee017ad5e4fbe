import Autograd

// Seed: torch-autograd's conditional example — the graph is whatever branch the values select:
//
//     f(a, b, c) = if b > c { a · sin(b) } else { a + b · c }
//
// at a = 3.5, b = 2.1, c = 1.1 takes the first branch: value 3.5·sin(2.1) = 3.0212327832711 and
// ∂f/∂a = sin(2.1) = 0.86320936664887 (∂f/∂b = a·cos(b), ∂f/∂c = 0: c only steered the branch).

/// `a · sin(b)` when `b > c`, else `a + b · c`.
public func conditionalFunction(_ a: Tensor, _ b: Tensor, _ c: Tensor) -> Tensor {
    if b > c {
        return a * sin(b)
    } else {
        return a + b * c
    }
}

/// The conditional function at (3.5, 2.1, 1.1), and at (3.5, 1.1, 2.1) where the other branch runs.
public func conditionalExample() -> ExampleResult {
    let (a, b, c) = (Tensor(3.5), Tensor(2.1), Tensor(1.1))
    let value = conditionalFunction(a, b, c).scalar
    let (ga, gb, gc) = gradients(of: conditionalFunction)(a, b, c)
    // Swapping b and c takes the `else` branch: f = a + b·c, ∂f/∂a = 1.
    let (ga2, _, _) = gradients(of: conditionalFunction)(a, c, b)
    return ExampleResult(name: "if b > c { a·sin(b) } else { a + b·c } (torch-autograd)",
                         values: [("value", value), ("df/da", ga.scalar), ("df/db", gb.scalar),
                                  ("df/dc", gc.scalar), ("df/da (else branch)", ga2.scalar)])
}
