#!/usr/bin/env python3
"""Reference values for TestRenyiPassReference: the Rényi divergence of
orders 0.1, 0.5 and 0.9 and the squared Hellinger distance from a target
to a normal model on a grid, with their gradients with respect to the
model's mean and variance, computed with mpmath at 40 significant digits,
independently of klfit's formulas.

The grid is grid.Arange(-10, 10, 0.01): NumPy's arange rule, 2000 points
x_i = -10 + i*delta with delta = (-10 + 0.01) - (-10) =
0.009999999999999787, each rounded to float64 as Go rounds it (Python's
floats are the same doubles).
The targets, from those float64 points:

  normal:  P_i proportional to exp(-(x_i - 0.5)^2 / 4)
  zeros:   P_i proportional to max(0, 1 - ((x_i - 1.001)/3.0013)^2),
           0 outside [-2.0003, 4.0023] (no grid point near the edges)

both normalized to sum 1. The model's masses are
Q_i = exp(l_i) / sum_j exp(l_j), l_i = -(x_i - mean)^2 / (2 variance), and

  renyi:     D = log(sum_{P_i>0} P_i^a Q_i^(1-a)) / (a - 1),
             dD/dtheta = E_Q[s] - E_W[s],  W_i = P_i^a Q_i^(1-a) / S
  hellinger: H = sum (sqrt P_i - sqrt Q_i)^2 / 2,
             dH/dtheta = -sum sqrt(P_i Q_i) (s_i - E_Q[s]) / 2

with s the score of the log-density: (x - mean)/variance and
((x - mean)^2/variance - 1)/(2 variance). The models include some off the
grid, narrow ones and wide ones (see MODELS).

Run: python3 renyi_reference.py  (writes renyi_reference.csv next to this
script, in a few seconds)
"""
import csv
import math
import os

import mpmath as mp

mp.mp.dps = 40

DELTA = (-10 + 0.01) - (-10)
N = math.ceil((10 - -10) / 0.01)
X = [-10 + float(i) * DELTA for i in range(N)]

# (mean, variance): near the target, very near it (a small divergence),
# narrow and far from it, off the grid on either side, wider than the
# grid, narrower than a grid step.
MODELS = [
    (1.0, 1.5),
    (0.6, 2.1),
    (7.0, 0.01),
    (-13.0, 1.0),
    (12.0, 0.5),
    (0.3, 400.0),
    (3.3, 1e-5),
]
ORDERS = [("renyi", 0.1), ("renyi", 0.5), ("renyi", 0.9), ("hellinger", 0.5)]


def target(name):
    if name == "normal":
        w = [mp.exp(-(mp.mpf(x) - mp.mpf("0.5")) ** 2 / 4) for x in X]
    else:
        w = []
        for x in X:
            u = (mp.mpf(x) - mp.mpf("1.001")) / mp.mpf("3.0013")
            w.append(max(mp.mpf(0), 1 - u * u))
    s = mp.fsum(w)
    return [v / s for v in w]


def row(p, mean, var, div, a):
    mean, var = mp.mpf(mean), mp.mpf(var)
    l = [-(mp.mpf(x) - mean) ** 2 / (2 * var) for x in X]
    m = max(l)
    e = [mp.exp(v - m) for v in l]
    z = mp.fsum(e)
    q = [v / z for v in e]
    logq = [v - m - mp.log(z) for v in l]
    scores = [
        [(mp.mpf(x) - mean) / var for x in X],
        [((mp.mpf(x) - mean) ** 2 / var - 1) / (2 * var) for x in X],
    ]
    eq = [mp.fsum(qi * si for qi, si in zip(q, s)) for s in scores]
    if div == "hellinger":
        r = [mp.sqrt(pi * qi) for pi, qi in zip(p, q)]
        loss = mp.fsum((mp.sqrt(pi) - mp.sqrt(qi)) ** 2 for pi, qi in zip(p, q)) / 2
        grad = [-mp.fsum(ri * (si - ei) for ri, si in zip(r, s)) / 2 for s, ei in zip(scores, eq)]
        return loss, grad
    a = mp.mpf(a)
    u = [a * mp.log(pi) + (1 - a) * lq if pi > 0 else None for pi, lq in zip(p, logq)]
    um = max(v for v in u if v is not None)
    t = [mp.exp(v - um) if v is not None else mp.mpf(0) for v in u]
    st = mp.fsum(t)
    w = [v / st for v in t]
    loss = (um + mp.log(st)) / (a - 1)
    grad = [ei - mp.fsum(wi * si for wi, si in zip(w, s)) for s, ei in zip(scores, eq)]
    return loss, grad


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "renyi_reference.csv")
    with open(out, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["target", "mean", "variance", "divergence", "alpha", "loss", "grad_mean", "grad_variance"])
        for tname in ["normal", "zeros"]:
            p = target(tname)
            for mean, var in MODELS:
                for div, a in ORDERS:
                    loss, grad = row(p, mean, var, div, a)
                    wr.writerow([tname, repr(mean), repr(var), div, repr(a)] + [mp.nstr(v, 25) for v in [loss] + grad])


if __name__ == "__main__":
    main()
