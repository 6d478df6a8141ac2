#!/usr/bin/env python3
"""Time the same fits in klfit, NumPy and PyTorch, in one run, and print a table.

Run from the repository root (Debian: apt-get install python3-numpy
python3-torch; Debian's packages are for Debian's /usr/bin/python3):

    python3 bench/compare.py            # notebook, and normal on 1e4 and 1e6 points
    python3 bench/compare.py --quick    # fewer repetitions

Every figure is the median of several runs (5, or 3 with --quick), klfit's
from `klfit bench --runs`, with the spread of the runs beside it; ratios
are of medians. On a machine shared with other work, run it more than
once.

The NumPy version is the notebook's epoch with an analytic gradient, in
float64 on one thread: the model's log-density on the grid, log-sum-exp
normalization, the loss sum p log(p/q) over p > 0, the gradient
c E_Q[s] - sum p s, a gradient step, and the history row. It first checks
that its notebook trajectory matches klfit's final state.

The PyTorch version (when torch is installed: Debian's python3-torch) is
the notebook's own way, automatic differentiation of the loss in float64
on one thread, with plain gradient descent; it is checked the same way.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

# One thread for NumPy's BLAS-backed dot products, as klfit's "1 thread".
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

try:
    import numpy as np  # noqa: E402
except ImportError:
    print("compare.py: this Python (%s) has no NumPy: install it (Debian: apt-get install "
          "python3-numpy python3-torch) and run the script with that Python, e.g. "
          "/usr/bin/python3 bench/compare.py" % sys.executable, file=sys.stderr)
    sys.exit(2)


def fit(x, p, mu, v, lr, epochs, unconstrained):
    """Gradient descent on forward KL; returns the history rows."""
    c = p.sum()
    pos = p > 0
    logp = np.log(p[pos])
    ppos = p[pos]
    history = []
    u = np.log(v) if unconstrained else v
    for _ in range(epochs + 1):
        v = np.exp(u) if unconstrained else u
        d = x - mu
        l = -d * d / (2 * v)
        m = l.max()
        e = np.exp(l - m)
        z = e.sum()
        q = e / z
        logq = l - m - np.log(z)
        loss = np.dot(ppos, logp - logq[pos])
        history.append((loss, mu, v))
        s_mu = d / v
        s_v = d * d / (2 * v * v)  # the -1/(2v) term cancels against E_Q
        g_mu = c * np.dot(q, s_mu) - np.dot(p, s_mu)
        g_v = c * np.dot(q, s_v) - np.dot(p, s_v)
        if unconstrained:
            g_v *= v  # d/d log v
        mu -= lr * g_mu
        u -= lr * g_v
    return history


def fit_torch(x, p, mu, v, lr, epochs, unconstrained):
    """The same fit with PyTorch's autograd; returns the history rows."""
    import torch
    x, p = torch.from_numpy(x), torch.from_numpy(p)
    pos = p > 0
    logp = torch.log(p[pos])
    mu_t = torch.tensor(mu, dtype=torch.float64, requires_grad=True)
    u_t = torch.tensor(np.log(v) if unconstrained else v, dtype=torch.float64, requires_grad=True)
    history = []
    for _ in range(epochs + 1):
        var = torch.exp(u_t) if unconstrained else u_t
        l = -(x - mu_t) ** 2 / (2 * var)
        logq = l - torch.logsumexp(l, 0)
        loss = torch.sum(p[pos] * (logp - logq[pos]))
        loss.backward()
        history.append((loss.item(), mu_t.item(), var.item()))
        with torch.no_grad():
            mu_t -= lr * mu_t.grad
            u_t -= lr * u_t.grad
            mu_t.grad = None
            u_t.grad = None
    return history


def notebook():
    x = np.arange(-10, 10, 0.1)
    p = 1.0 / np.sqrt(7) / np.sqrt(2 * np.pi) * np.exp(-np.square(x) / (2 * 7))
    return x, p


def normal_case(points):
    x = np.arange(-8, 8, 16 / points)
    p = np.exp(-x * x / 2)
    return x, p / p.sum()


def time_per_epoch(run, epochs, repeats):
    """Median ns per epoch over repeats runs, and the fastest and slowest."""
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run(epochs)
        ts.append((time.perf_counter() - t0) / (epochs + 1) * 1e9)
    ts.sort()
    n = len(ts)
    med = ts[n // 2] if n % 2 else (ts[n // 2 - 1] + ts[n // 2]) / 2
    return med, ts[0], ts[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args()
    repeats = 3 if args.quick else 5

    x, p = notebook()
    hist = fit(x, p, 5.0, 1.0, 0.01, 1000, False)
    loss, mu, v = hist[-1]
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run(["go", "run", "./cmd/klfit", "demo", "--json", "--quiet", "--out", d],
                             capture_output=True, text=True, check=True)
    summ = json.loads(out.stdout)
    kmu, kv = summ["params"]["mean"], summ["params"]["variance"]
    if abs(kmu - mu) > 1e-9 or abs(kv - v) > 1e-9 * v or abs(summ["loss"] - loss) > 1e-9 * loss:
        sys.exit(f"NumPy and klfit disagree on the notebook: NumPy {loss} {mu} {v}, klfit {summ['loss']} {kmu} {kv}")

    try:
        import torch
        torch.set_num_threads(1)
        tl, tmu, tv = fit_torch(x, p, 5.0, 1.0, 0.01, 1000, False)[-1]
        if abs(tmu - mu) > 1e-9 or abs(tv - v) > 1e-9 * v or abs(tl - loss) > 1e-9 * loss:
            sys.exit(f"NumPy and PyTorch disagree on the notebook: NumPy {loss} {mu} {v}, PyTorch {tl} {tmu} {tv}")
        torch_version = torch.__version__
    except ImportError:
        torch = None

    rows = []
    np_ns, torch_ns = {}, {}
    np_ns[("notebook", 200)] = time_per_epoch(lambda n: fit(x, p, 5.0, 1.0, 0.01, n, False), 1000, repeats)
    if torch:
        torch_ns[("notebook", 200)] = time_per_epoch(lambda n: fit_torch(x, p, 5.0, 1.0, 0.01, n, False), 300, repeats)
    for points, epochs in ((10_000, 200), (1_000_000, 5)):
        xx, pp = normal_case(points)
        np_ns[("normal", len(xx))] = time_per_epoch(lambda n: fit(xx, pp, 1.0, 2.0, 1e-6, n, True), epochs, repeats)
        if torch:
            torch_ns[("normal", len(xx))] = time_per_epoch(lambda n: fit_torch(xx, pp, 1.0, 2.0, 1e-6, n, True), epochs, repeats)

    res = subprocess.run(["go", "run", "./cmd/klfit", "bench", "--json", "--cases", "notebook,normal", "--sizes", "1e4,1e6",
                          "--threads", "1,2", "--runs", str(repeats)],
                         capture_output=True, text=True, check=True)
    for r in json.loads(res.stdout):
        key = (r["case"], r["points"])
        if key not in np_ns:
            continue
        k = (r["ns_per_epoch"], r["ns_min"], r["ns_max"])
        rows.append((r["case"], r["points"], r["threads"], r["workers"], k, np_ns[key], torch_ns.get(key)))

    versions = f"NumPy {np.__version__}"
    if torch:
        versions += f", PyTorch {torch_version}"
    print(f"{versions}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; the notebook's final state agrees to 1e-9.")
    print()
    def fmt(m):
        return f"{m[0]:,.0f} ({m[1]:,.0f}-{m[2]:,.0f})"

    print("| case | points | klfit threads (workers) | klfit ns/epoch | NumPy ns/epoch | PyTorch ns/epoch | vs NumPy | vs PyTorch |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for case, points, threads, workers, k, n, t in rows:
        ratio = (lambda a: f"{a / k[0]:.0f}x") if k[0] > 0 else (lambda a: "-")
        tcol, tx = (fmt(t), ratio(t[0])) if t else ("-", "-")
        print(f"| {case} | {points:,} | {threads} ({workers}) | {fmt(k)} | {fmt(n)} | {tcol} | {ratio(n[0])} | {tx} |")
    print()
    print(f"Medians of {repeats} runs (fastest-slowest); ratios of medians.")


if __name__ == "__main__":
    main()
