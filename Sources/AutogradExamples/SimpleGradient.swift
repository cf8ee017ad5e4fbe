import Autograd

// Seed: torch-autograd's first example, `f(a, b, c) = a + b * c` at a = 3.5, b = 2.1, c = 1.1:
// value 5.81 and ∂f/∂a = 1. Here the gradients with respect to b and c too (1.1 and 2.1).

/// `a + b·c`.
public func simpleFunction(_ a: Tensor, _ b: Tensor, _ c: Tensor) -> Tensor { a + b * c }

/// `a + b·c` at (3.5, 2.1, 1.1): the value, `grad` with respect to `a` and `gradients(of:)` with
/// respect to all three.
public func simpleGradientExample() -> ExampleResult {
    let (a, b, c) = (Tensor(3.5), Tensor(2.1), Tensor(1.1))
    let value = simpleFunction(a, b, c).scalar
    let dfda = grad { (a: Tensor) in simpleFunction(a, b, c) }(a)   // b and c captured as constants
    let (ga, gb, gc) = gradients(of: simpleFunction)(a, b, c)
    return ExampleResult(name: "f(a, b, c) = a + b·c (torch-autograd)",
                         values: [("value", value), ("df/da", dfda.scalar),
                                  ("gradients.a", ga.scalar), ("gradients.b", gb.scalar), ("gradients.c", gc.scalar)])
}
