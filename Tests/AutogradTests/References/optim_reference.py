#!/usr/bin/env python3
"""Independent reference trajectories for Tests/AutogradTests/OptimizerTests.swift.

Each optimizer is re-implemented here in plain NumPy from its documented update rule (the
torch.optim documentation's pseudo-code for the first-order methods; Nocedal & Wright / PyTorch's
lbfgs.py for L-BFGS and its strong Wolfe line search; Beck & Teboulle (2009) for FISTA; Hansen's
purecmaes.m for CMA-ES) and run on the test problems. The output is the block of Swift literals
pasted into OptimizerTests.swift between the "BEGIN GENERATED" / "END GENERATED" markers.

Run: python3 Tests/AutogradTests/References/optim_reference.py   (NumPy 2.x; no PyTorch needed)
"""
import math
import numpy as np

X0 = np.array([-1.2, 1.0])


def rosen(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def rosen_grad(x):
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


# ---------------------------------------------------------------- first-order, torch.optim docs
def sgd(lr, momentum=0.0, dampening=0.0, wd=0.0, nesterov=False):
    b = None
    def step(p, g):
        nonlocal b
        if wd: g = g + wd * p
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        return p - lr * g
    return step


def adam(lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, amsgrad=False, decoupled=False):
    m = v = vmax = None
    t = 0
    def step(p, g):
        nonlocal m, v, vmax, t
        t += 1
        if m is None: m, v, vmax = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
        if wd:
            if decoupled: p = p * (1 - lr * wd)
            else: g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vv = v
        if amsgrad:
            vmax = np.maximum(vmax, v); vv = vmax
        mhat = m / (1 - b1 ** t)
        vhat = vv / (1 - b2 ** t)
        return p - lr * mhat / (np.sqrt(vhat) + eps)
    return step


def adamax(lr=2e-3, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
    m = u = None
    t = 0
    def step(p, g):
        nonlocal m, u, t
        t += 1
        if m is None: m, u = np.zeros_like(p), np.zeros_like(p)
        if wd: g = g + wd * p
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        return p - lr / (1 - b1 ** t) * m / u
    return step


def adagrad(lr=1e-2, lr_decay=0.0, wd=0.0, init_acc=0.0, eps=1e-10):
    s = None
    t = 0
    def step(p, g):
        nonlocal s, t
        t += 1
        if s is None: s = np.full_like(p, init_acc)
        clr = lr / (1 + (t - 1) * lr_decay)
        if wd: g = g + wd * p
        s = s + g * g
        return p - clr * g / (np.sqrt(s) + eps)
    return step


def adadelta(lr=1.0, rho=0.9, eps=1e-6, wd=0.0):
    v = u = None
    def step(p, g):
        nonlocal v, u
        if v is None: v, u = np.zeros_like(p), np.zeros_like(p)
        if wd: g = g + wd * p
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        return p - lr * delta
    return step


def rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, wd=0.0, momentum=0.0, centered=False):
    v = gavg = b = None
    def step(p, g):
        nonlocal v, gavg, b
        if v is None: v, gavg, b = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
        if wd: g = g + wd * p
        v = alpha * v + (1 - alpha) * g * g
        vt = v
        if centered:
            gavg = alpha * gavg + (1 - alpha) * g
            vt = v - gavg * gavg
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(vt) + eps)
            return p - lr * b
        return p - lr * g / (np.sqrt(vt) + eps)
    return step


def rprop(lr=1e-2, etaminus=0.5, etaplus=1.2, smin=1e-6, smax=50.0):
    prev = eta = None
    def step(p, g):
        nonlocal prev, eta
        if prev is None: prev, eta = np.zeros_like(p), np.full_like(p, lr)
        g = g.copy()
        for i in range(len(p)):          # elementwise, as the documentation's pseudo-code
            s = g[i] * prev[i]
            if s > 0: eta[i] = min(eta[i] * etaplus, smax)
            elif s < 0:
                eta[i] = max(eta[i] * etaminus, smin); g[i] = 0
        prev = g
        return p - np.sign(g) * eta
    return step


ASGD_AX = {}
def asgd(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, wd=0.0, tag="asgd"):
    eta, mu, t = lr, 1.0, 0
    ax = None
    def step(p, g):
        nonlocal eta, mu, t, ax
        t += 1
        if ax is None: ax = np.zeros_like(p)
        if wd: g = g + wd * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax) if mu != 1 else p.copy()
        ASGD_AX[tag] = ax.copy()
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)
        return p
    return step


def trajectory(step, n):
    x = X0.copy()
    out = []
    for _ in range(n):
        x = step(x, rosen_grad(x))
        out.append(x.copy())
    return out


# ---------------------------------------------------------------- L-BFGS and CG (strong Wolfe)
def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2: min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else: min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, lo), hi)
    return (lo + hi) / 2.0


def strong_wolfe(obj, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tol_change=1e-9, max_ls=25):
    d_norm = np.abs(d).max()
    f_new, g_new = obj(x + t * d); evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False; it = 0
    while it < max_ls:
        if f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev):
            br, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]; break
        if abs(gtd_new) <= -c2 * gtd:
            br, bf, bg, bgtd = [t], [f_new], [g_new], [gtd_new]; done = True; break
        if gtd_new >= 0:
            br, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]; break
        min_step = t + 0.01 * (t - t_prev); max_step = t * 10; tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj(x + t * d); evals += 1; gtd_new = g_new.dot(d); it += 1
    if it == max_ls:
        br, bf, bg, bgtd = [0, t], [f, f_new], [g, g_new], [gtd, gtd_new]
    insuf = False
    low, high = (0, 1) if bf[0] <= bf[-1] else (1, 0)
    while not done and it < max_ls:
        if abs(br[1] - br[0]) * d_norm < tol_change: break
        t = cubic_interpolate(br[0], bf[0], bgtd[0], br[1], bf[1], bgtd[1])
        eps = 0.1 * (max(br) - min(br))
        if min(max(br) - t, t - min(br)) < eps:
            if insuf or t >= max(br) or t <= min(br):
                t = max(br) - eps if abs(t - max(br)) < abs(t - min(br)) else min(br) + eps
                insuf = False
            else: insuf = True
        else: insuf = False
        f_new, g_new = obj(x + t * d); evals += 1; gtd_new = g_new.dot(d); it += 1
        if f_new > f + c1 * t * gtd or f_new >= bf[low]:
            br[high], bf[high], bg[high], bgtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if bf[0] <= bf[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd: done = True
            elif gtd_new * (br[high] - br[low]) >= 0:
                br[high], bf[high], bg[high], bgtd[high] = br[low], bf[low], bg[low], bgtd[low]
            br[low], bf[low], bg[low], bgtd[low] = t, f_new, g_new, gtd_new
    return bf[low], bg[low], br[low], evals


def obj(x): return rosen(x), rosen_grad(x)


def lbfgs(x, lr=1.0, max_iter=100, tol_grad=1e-7, tol_change=1e-9, history=100, strong_wolfe_search=True, obj=obj):
    max_eval = max_iter * 5 // 4
    loss, g = obj(x); evals = 1
    path = []
    dirs, stps, ro = [], [], []; H = 1.0; d = -g; t = 0.0; prev_g = g
    k = 0
    while k < max_iter:
        k += 1
        if k > 1:
            y = g - prev_g; s = d * t; ys = y.dot(s)
            if ys > 1e-10:
                if len(dirs) == history: dirs.pop(0); stps.pop(0); ro.pop(0)
                dirs.append(y); stps.append(s); ro.append(1.0 / ys); H = ys / y.dot(y)
            al = [0.0] * len(dirs); q = -g
            for i in range(len(dirs) - 1, -1, -1):
                al[i] = stps[i].dot(q) * ro[i]; q = q - al[i] * dirs[i]
            r = q * H
            for i in range(len(dirs)):
                be = dirs[i].dot(r) * ro[i]; r = r + (al[i] - be) * stps[i]
            d = r
        prev_g = g; prev_loss = loss
        t = min(1.0, 1.0 / np.abs(g).sum()) * lr if k == 1 else lr
        gtd = g.dot(d)
        if gtd > -tol_change: return x, k - 1, path, "slopeTolerance", evals
        if strong_wolfe_search:
            loss, g, t, e = strong_wolfe(obj, x, t, d, loss, g, gtd, tol_change=tol_change)
            x = x + t * d; evals += e
        else:  # fixed step t (PyTorch's line_search_fn=None), then one evaluation
            x = x + t * d; loss, g = obj(x); evals += 1
        path.append(x.copy())
        if k == max_iter: return x, k, path, "maxIterations", evals
        if evals >= max_eval: return x, k, path, "maxEvaluations", evals
        if np.abs(g).max() <= tol_grad: return x, k, path, "gradientTolerance", evals
        if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
            return x, k, path, "changeTolerance", evals
    return x, k, path, "maxIterations", evals


def cg(x, max_iter=1000, tol_grad=1e-7, tol_change=1e-9, c1=1e-4, c2=0.1):
    loss, g = obj(x); evals = 1; path = []
    d = -g; gtd = g.dot(d); t = min(1.0, 1.0 / np.abs(g).sum())
    for k in range(1, max_iter + 1):
        f_new, g_new, step, e = strong_wolfe(obj, x, t, d, loss, g, gtd, c1=c1, c2=c2, tol_change=tol_change)
        evals += e; x = x + step * d; prev = loss; loss = f_new
        path.append(x.copy())
        if np.abs(g_new).max() <= tol_grad: return x, k, path, "gradientTolerance", evals
        if np.abs(d * step).max() <= tol_change or abs(loss - prev) < tol_change:
            return x, k, path, "changeTolerance", evals
        beta = max(0.0, g_new.dot(g_new - g) / g.dot(g))
        d_new = -g_new + beta * d; gtd_new = g_new.dot(d_new)
        if gtd_new >= 0: d_new = -g_new; gtd_new = g_new.dot(d_new)
        t = step * gtd / gtd_new
        if not (math.isfinite(t) and t > 0): t = 1.0
        g, d, gtd = g_new, d_new, gtd_new
    return x, max_iter, path, "maxIterations", evals


# ---------------------------------------------------------------- FISTA on a lasso problem
A = np.array([[1.0, 2.0, 0.5], [-1.0, 0.5, 1.5], [0.3, -0.7, 2.0], [1.2, 0.1, -0.4]])
B_VEC = np.array([1.0, -2.0, 0.5, 3.0])
LAM = 0.5


def fista(x, L=1.0, eta=2.0, max_iter=1000, tol=1e-10):
    f = lambda v: 0.5 * np.sum((A @ v - B_VEC) ** 2)
    gradf = lambda v: A.T @ (A @ v - B_VEC)
    prox = lambda v, s: np.sign(v) * np.maximum(np.abs(v) - LAM * s, 0)
    y = x.copy(); t = 1.0; path = []; values = []
    for k in range(1, max_iter + 1):
        fy, gy = f(y), gradf(y)
        while True:
            p = prox(y - gy / L, 1 / L); d = p - y
            # accept within a few ulps of rounding (else L explodes once p ≈ y near the solution)
            bound = fy + d.dot(gy) + L / 2 * d.dot(d)
            if f(p) <= bound + 8 * np.finfo(float).eps * max(abs(fy), abs(bound)): break
            L *= eta
        tn = (1 + math.sqrt(1 + 4 * t * t)) / 2
        ch = p - x
        y = p + ((t - 1) / tn) * ch; x = p; t = tn
        path.append(x.copy()); values.append(f(x) + LAM * np.abs(x).sum())
        if np.abs(ch).max() <= tol: return x, k, path, values, L
    return x, max_iter, path, values, L


# ---------------------------------------------------------------- CMA-ES, purecmaes.m
MASK = (1 << 64) - 1
def splitmix_draw(seed, k):
    z = (seed + (k + 1) * 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class SplitMix:
    def __init__(self, seed): self.seed, self.pos = seed, 0
    def uniform(self):
        v = splitmix_draw(self.seed, self.pos); self.pos += 1
        return (v >> 11) * 2.0 ** -53
    def normal(self):
        u1 = 1 - self.uniform(); u2 = self.uniform()
        return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


def canonical_eigh(C):
    w, Bm = np.linalg.eigh(C)
    for j in range(Bm.shape[1]):
        i = int(np.argmax(np.abs(Bm[:, j])))
        if Bm[i, j] < 0: Bm[:, j] = -Bm[:, j]
    return np.maximum(w, 0), Bm


def cmaes(fun, x0, sigma, generations, seed):
    N = len(x0); lam = 4 + int(3 * math.log(N)); mu = lam // 2
    w = np.array([math.log(lam / 2 + 0.5) - math.log(i) for i in range(1, mu + 1)]); w /= w.sum()
    mueff = 1 / np.sum(w ** 2)
    cc = (4 + mueff / N) / (N + 4 + 2 * mueff / N); cs = (mueff + 2) / (N + mueff + 5)
    c1 = 2 / ((N + 1.3) ** 2 + mueff); cmu = min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((N + 2) ** 2 + mueff))
    damps = 1 + 2 * max(0, math.sqrt((mueff - 1) / (N + 1)) - 1) + cs
    chiN = math.sqrt(N) * (1 - 1 / (4 * N) + 1 / (21 * N * N))
    mean = np.array(x0, float); pc = np.zeros(N); ps = np.zeros(N)
    Bm = np.eye(N); D = np.ones(N); C = np.eye(N); invsqrtC = np.eye(N)
    eigeneval = 0; counteval = 0; rng = SplitMix(seed); bests = []; means = []
    for gen in range(generations):
        z = np.array([[rng.normal() for _ in range(N)] for _ in range(lam)])
        arx = mean + sigma * (z * D) @ Bm.T
        fit = np.array([fun(r) for r in arx]); counteval += lam
        order = np.argsort(fit, kind="stable")
        bests.append(fit[order[0]])
        sel = arx[order[:mu]]; old = mean; mean = w @ sel
        shift = (mean - old) / sigma
        ps = (1 - cs) * ps + math.sqrt(cs * (2 - cs) * mueff) * (invsqrtC @ shift)
        hsig = np.linalg.norm(ps) / math.sqrt(1 - (1 - cs) ** (2 * counteval / lam)) / chiN < 1.4 + 2 / (N + 1)
        pc = (1 - cc) * pc + (math.sqrt(cc * (2 - cc) * mueff) if hsig else 0) * shift
        art = (sel - old) / sigma
        C = (1 - c1 - cmu) * C + c1 * (np.outer(pc, pc) + (0 if hsig else cc * (2 - cc)) * C) + cmu * (art.T * w) @ art
        sigma *= math.exp((cs / damps) * (np.linalg.norm(ps) / chiN - 1))
        if counteval - eigeneval > lam / (c1 + cmu) / N / 10:
            eigeneval = counteval
            D2, Bm = canonical_eigh(np.triu(C) + np.triu(C, 1).T)
            D = np.sqrt(D2); invsqrtC = (Bm / D) @ Bm.T
        means.append(mean.copy())
    return bests, means, sigma


# ---------------------------------------------------------------- output
def lit(x): return repr(float(x))
def vec(v): return "[" + ", ".join(lit(a) for a in v) + "]"
def path_lit(p): return "[" + ", ".join(vec(v) for v in p) + "]"

def main():
    steps = 20
    configs = [
        ("sgd", "SGD(learningRate: 1e-3)", sgd(1e-3)),
        ("sgdNesterov", "SGD(learningRate: 2e-4, momentum: 0.9, weightDecay: 0.01, nesterov: true)", sgd(2e-4, 0.9, 0, 0.01, True)),
        ("sgdDampened", "SGD(learningRate: 5e-4, momentum: 0.8, dampening: 0.3)", sgd(5e-4, 0.8, 0.3)),
        ("adam", "Adam(learningRate: 0.05)", adam(0.05)),
        ("adamAMSGradL2", "Adam(learningRate: 0.05, beta1: 0.8, beta2: 0.99, weightDecay: 0.1, amsgrad: true)", adam(0.05, 0.8, 0.99, 1e-8, 0.1, True)),
        ("adamW", "AdamW(learningRate: 0.05, weightDecay: 0.5)", adam(0.05, wd=0.5, decoupled=True)),
        ("adaMax", "AdaMax(learningRate: 0.05, weightDecay: 0.01)", adamax(0.05, wd=0.01)),
        ("adaGrad", "AdaGrad(learningRate: 0.1, learningRateDecay: 0.01, initialAccumulatorValue: 0.1)", adagrad(0.1, 0.01, 0, 0.1)),
        ("adaDelta", "AdaDelta(learningRate: 1.0, rho: 0.9, weightDecay: 0.01)", adadelta(1.0, 0.9, 1e-6, 0.01)),
        ("rmsprop", "RMSprop(learningRate: 0.01)", rmsprop(0.01)),
        ("rmspropCentered", "RMSprop(learningRate: 0.003, alpha: 0.9, momentum: 0.5, centered: true)", rmsprop(0.003, 0.9, 1e-8, 0, 0.5, True)),
        ("rprop", "Rprop(learningRate: 0.05)", rprop(0.05)),
        ("asgd", "AveragedSGD(learningRate: 5e-4, decay: 0.1, t0: 5)", asgd(5e-4, 0.1, 0.75, 5, tag="asgd")),
    ]

    print("// BEGIN GENERATED by References/optim_reference.py")
    print("/// Iterates x₁…x₂₀ of each optimizer on Rosenbrock from (−1.2, 1) (NumPy re-implementation).")
    print("let firstOrderReferences: [(name: String, make: @Sendable () -> any Optimizer, path: [[Double]])] = [")
    for name, swift, step in configs:
        p = trajectory(step, steps)
        assert all(np.isfinite(v).all() for v in p), name
        print(f'    ("{name}", {{ {swift} }}, {path_lit(p)}),')
    print("]")
    print("/// AveragedSGD's average ā after 20 steps.")
    print(f"let asgdAverage: [Double] = {vec(ASGD_AX['asgd'])}")

    x, k, path, why, ev = lbfgs(X0.copy())
    print(f"/// L-BFGS, PyTorch's defaults (changeTolerance 1e-9): {k} iterations, {ev} evaluations, stop: {why}; ‖x − (1,1)‖ = {np.linalg.norm(x - 1):.3e}.")
    print(f"let lbfgsDefaultIterations = {k}")
    print(f"let lbfgsDefaultSolution: [Double] = {vec(x)}")
    x, k, path, why, ev = lbfgs(X0.copy(), tol_change=1e-12)
    print(f"/// L-BFGS, changeTolerance 1e-12: {k} iterations, {ev} evaluations, stop: {why}; ‖x − (1,1)‖ = {np.linalg.norm(x - 1):.3e}.")
    print(f"let lbfgsIterations = {k}")
    print(f"let lbfgsEvaluations = {ev}")
    print(f"let lbfgsPath: [[Double]] = {path_lit(path)}")

    QA = np.array([[3.0, 0.5], [0.5, 1.0]]); QB = np.array([1.0, -2.0])
    quad = lambda v: (0.5 * v @ QA @ v - QB @ v, QA @ v - QB)
    x, k, path, why, ev = lbfgs(np.array([2.0, 2.0]), lr=0.5, strong_wolfe_search=False, obj=quad)
    print(f"/// L-BFGS without line search (lr 0.5) on ½xᵀAx − bᵀx, A = [[3, .5], [.5, 1]], b = (1, −2), from (2, 2): {k} iterations, stop: {why}; solution A⁻¹b = {vec(np.linalg.solve(QA, QB))}.")
    print(f"let lbfgsFixedStepIterations = {k}")
    print(f"let lbfgsFixedStepPath: [[Double]] = {path_lit(path[:12])}")
    print(f"let lbfgsFixedStepFinal: [Double] = {vec(x)}")
    print(f"let quadraticSolution: [Double] = {vec(np.linalg.solve(QA, QB))}")

    x, k, path, why, ev = cg(X0.copy(), tol_change=1e-12)
    print(f"/// Conjugate gradients (PR+, strong Wolfe c2 = 0.1, changeTolerance 1e-12): {k} iterations, {ev} evaluations, stop: {why}; ‖x − (1,1)‖ = {np.linalg.norm(x - 1):.3e}.")
    print(f"let cgIterations = {k}")
    print(f"let cgPath: [[Double]] = {path_lit(path)}")

    x, k, path, values, L = fista(np.zeros(3))
    print(f"/// FISTA on ½‖Ax − b‖² + 0.5‖x‖₁ from 0: {k} iterations, final L = {L}.")
    print(f"let fistaIterations = {k}")
    print(f"let fistaSolution: [Double] = {vec(x)}")
    print(f"let fistaFirstPath: [[Double]] = {path_lit(path[:10])}")
    print(f"let fistaFirstValues: [Double] = {vec(values[:10])}")

    bests, means, sig = cmaes(rosen, X0, 0.5, 40, 42)
    print("/// CMA-ES on Rosenbrock from (−1.2, 1), σ₀ = 0.5, seed 42, 40 generations.")
    print(f"let cmaesBests: [Double] = {vec(bests)}")
    print("// END GENERATED")


if __name__ == "__main__":
    main()
