/// Stops with `message` when `condition` is false — in every build configuration.
///
/// Swift's `precondition` drops its message in optimised builds; misuse of a tensor op (mismatched
/// shapes, a wrong dtype, an index out of range) must say which op and which shapes in release
/// builds too, so the library checks with this instead.
@inline(__always)
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}

/// Runs `body` with the given values kept alive until it returns (their raw pointers are used inside).
@inline(__always)
func withLifetimes<R>(_ a: Tensor, _ b: Tensor, _ c: Tensor? = nil, _ body: () -> R) -> R {
    defer {
        _fixLifetime(a)
        _fixLifetime(b)
        _fixLifetime(c)
    }
    return body()
}
