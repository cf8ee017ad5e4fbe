import Autograd
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Resident set size of this process in bytes (Linux: /proc/self/statm).
func residentBytes() -> Int {
    guard let f = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(f) }
    var size = 0, resident = 0
    withUnsafeMutablePointer(to: &size) { s in
        withUnsafeMutablePointer(to: &resident) { r in
            _ = withVaList([s, r]) { vfscanf(f, "%ld %ld", $0) }
        }
    }
    return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
}

@Suite("Memory")
struct MemoryTests {
    /// The trace is released after each gradient: 10,000 W3 training steps keep the resident
    /// memory flat (W3 of shared/bench: the seed 000 network, 100→50→10). Measured in a child
    /// process so that tests running in parallel do not disturb the figure.
    @Test func trainingLoopDoesNotGrow() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            var params = [Tensor.randn([100, 50], seed: 301), Tensor.randn([50, 10], seed: 302),
                          Tensor.randn([50], seed: 303), Tensor.randn([10], seed: 304)]
            let x = Tensor.randn([1, 100], seed: 305)
            var onehot = [Double](repeating: 0, count: 10)
            onehot[3] = 1
            let y = Tensor(onehot, shape: [1, 10])
            let step = valueAndGrad { (p: [Tensor], x: Tensor, y: Tensor) -> Tensor in
                let h1 = tanh(matmul(x, p[0]) + p[2])
                let h2 = tanh(matmul(h1, p[1]) + p[3])
                return -((h2 - log(exp(h2).sum())) * y).sum()
            }
            func train(_ n: Int) {
                for _ in 0..<n {
                    let (_, g) = step(params, x, y)
                    for i in params.indices { params[i] = params[i] - 0.001 * g[i] }
                }
            }
            train(500)
            let before = residentBytes()
            train(10_000)
            let after = residentBytes()
            print("W3 x 10,000 steps: resident \(before / 1024) KiB before, \(after / 1024) KiB after")
            if after - before >= 1 << 20 { exit(1) }
        }
        let text = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        print(text, terminator: "")
        #expect(text.contains("W3 x 10,000 steps"))
    }
}
