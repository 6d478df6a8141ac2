#!/usr/bin/env python3
"""Time one reverse-KL step in klfit's vi package and in PyTorch, and print the ratios.

Run from the repository root (Debian: apt-get install python3-torch):

    python3 bench/vi_step.py            # d = 10 and 100, 5 rounds
    python3 bench/vi_step.py --busy     # the same with a busy loop on one core

The step, at d = 10 and d = 100: a full-rank normal model q = N(m, L L^T)
with L lower triangular on a log diagonal (the unconstrained vector holds
m, then L's rows with log L[i][i] on the diagonal), 64 standard normal
draws z fixed for the fit, x = m + L z, the loss
mean(log q(x) - log p(x)) for the normal target N(mu, Sigma) with
Sigma = A A^T / d + I, its gradient with respect to the vector, and a
gradient-descent update; in float64 on one thread. klfit's side is
`go test ./vi/ -bench ReverseKLStep`, which also computes the loss's
standard error; PyTorch's differentiates the loss automatically. Rounds
alternate between the two so both see the same machine load; the table
gives the median of the rounds.
"""
import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")


def torch_step_seconds(d, steps, seed=1):
    import torch

    torch.set_num_threads(1)
    dt = torch.float64
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(d, d, generator=g, dtype=dt)
    mu = torch.randn(d, generator=g, dtype=dt)
    sigma = a @ a.T / d + torch.eye(d, dtype=dt)
    prec = torch.linalg.inv(sigma)
    log_norm = -0.5 * d * math.log(2 * math.pi) - 0.5 * torch.logdet(sigma)
    s = 64
    z = torch.randn(s, d, generator=g, dtype=dt)
    zz = 0.5 * (z * z).sum(1)
    rows, cols = torch.tril_indices(d, d)
    diag = rows == cols
    u = torch.zeros(d + d * (d + 1) // 2, dtype=dt, requires_grad=True)
    lr = 1e-4

    def step():
        m = u[:d]
        lvals = u[d:]
        lvals = torch.where(diag, torch.exp(lvals), lvals)
        l = torch.zeros(d, d, dtype=dt).index_put((rows, cols), lvals)
        x = m + z @ l.T
        r = x - mu
        logp = log_norm - 0.5 * ((r @ prec) * r).sum(1)
        logq = -0.5 * d * math.log(2 * math.pi) - lvals[diag].log().sum() - zz
        loss = (logq - logp).mean()
        loss.backward()
        with torch.no_grad():
            u.sub_(lr * u.grad)
            u.grad = None
        return loss

    for _ in range(20):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps


def go_step_seconds():
    out = subprocess.run(
        ["go", "test", "./vi/", "-run", "^$", "-bench", "ReverseKLStep", "-benchmem", "-cpu", "1"],
        check=True, capture_output=True, text=True).stdout
    times = {}
    for line in out.splitlines():
        m = re.match(r"BenchmarkReverseKLStep/d=(\d+)\s+\d+\s+([\d.]+) ns/op\s+(\d+) B/op\s+(\d+) allocs/op", line)
        if m:
            times[int(m.group(1))] = (float(m.group(2)) * 1e-9, int(m.group(3)), int(m.group(4)))
    if set(times) != {10, 100}:
        sys.exit("no benchmark lines in:\n" + out)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--busy", action="store_true", help="run a busy loop on one core meanwhile")
    args = ap.parse_args()
    busy = None
    if args.busy:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        gos = {10: [], 100: []}
        torches = {10: [], 100: []}
        allocs = {}
        for _ in range(args.rounds):
            for d, (sec, b, n) in go_step_seconds().items():
                gos[d].append(sec)
                allocs[d] = (b, n)
            for d, steps in ((10, 2000), (100, 300)):
                torches[d].append(torch_step_seconds(d, steps))
    finally:
        if busy:
            busy.kill()
    print(f"one reverse-KL step, S = 64 draws, full-rank normal model, normal target, float64, one thread"
          f"{', busy loop on one core' if args.busy else ''}; median of {args.rounds} rounds")
    print("| d | klfit vi | PyTorch | PyTorch / klfit | klfit allocations |")
    print("|---|---|---|---|---|")
    for d in (10, 100):
        g, t = statistics.median(gos[d]), statistics.median(torches[d])
        print(f"| {d} | {g * 1e6:.1f} µs | {t * 1e6:.1f} µs | {t / g:.1f}x | {allocs[d][0]} B, {allocs[d][1]} allocs |")


if __name__ == "__main__":
    main()
