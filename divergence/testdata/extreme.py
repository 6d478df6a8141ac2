#!/usr/bin/env python3
"""Reference values for the closed forms at extreme parameters: scale
ratios from 1e-300 to 1e300 (subnormal and overflowing ratios included),
tiny and huge variances, far means, huge and tiny shapes, and nearly equal
members of every such kind. Each value is the textbook formula of
reference.py (mvnormal's and categorical's are here) evaluated with
mpmath, the parameters taken as the exact float64 values the tests use.

The textbook formulas cancel: log Gamma(1e300) is 7e302 where the
divergence may be 345, and nearly equal members lose the digits they
share. So each value is computed at 60 significant digits, then at
twice as many, and so on until two successive precisions agree to 45
digits: what is written holds at least 45 correct digits whatever the
formula loses.

A value above the largest float64 (1.8e308) is written as it is (the test
expects +Inf and an error saying the value overflows); "inf" marks a
divergence that is infinite.

Run: /usr/bin/python3 extreme.py  (writes closedforms_extreme.csv next to
this script, in about a minute)
"""
import csv
import os

import mpmath as mp

from reference import KL, alpha_normal, f64, fmt, hellinger_normal, renyi_normal

HERE = os.path.dirname(os.path.abspath(__file__))


def solve(a, b):
    """x with a x = b by Gaussian elimination with partial pivoting (mpmath's
    own solvers refuse a matrix whose entries are all tiny as singular)."""
    n = len(a)
    m = [list(a[i]) + [b[i]] for i in range(n)]
    det = mp.mpf(1)
    for k in range(n):
        piv = max(range(k, n), key=lambda i: abs(m[i][k]))
        if piv != k:
            m[k], m[piv] = m[piv], m[k]
            det = -det
        det *= m[k][k]
        for i in range(k + 1, n):
            f = m[i][k] / m[k][k]
            for j in range(k, n + 1):
                m[i][j] -= f * m[k][j]
    x = [mp.mpf(0)] * n
    for i in reversed(range(n)):
        x[i] = (m[i][n] - sum(m[i][j] * x[j] for j in range(i + 1, n))) / m[i][i]
    return x, det


def kl_mvnormal(p, q):
    """KL between multivariate normals, p and q a mean then a full
    covariance row by row."""
    d = {6: 2, 12: 3}[len(p)]
    s1 = [[p[d + d * i + j] for j in range(d)] for i in range(d)]
    s2 = [[q[d + d * i + j] for j in range(d)] for i in range(d)]
    tr = mp.mpf(0)
    for j in range(d):
        x, det2 = solve(s2, [s1[i][j] for i in range(d)])
        tr += x[j]
    dm = [q[i] - p[i] for i in range(d)]
    x, _ = solve(s2, dm)
    quad = sum(dm[i] * x[i] for i in range(d))
    _, det1 = solve(s1, [0] * d)
    return (tr + quad - d + mp.log(det2) - mp.log(det1)) / 2


def kl_categorical(p, q):
    sp, sq = sum(p), sum(q)
    v = mp.mpf(0)
    for a, b in zip(p, q):
        if a == 0:
            continue
        if b == 0:
            return mp.inf
        v += a / sp * mp.log((a / sp) / (b / sq))
    return v


FORMS = dict(KL, mvnormal=kl_mvnormal, categorical=kl_categorical)

CASES = {
    "normal": [
        ([0, 1], [0, 1e12]), ([0, 1e12], [0, 1]), ([0, 1], [0, 1e-12]), ([0, 1e-10], [1, 1]),
        ([0, 1e-17], [1, 1]), ([0, 1e-300], [1, 1]), ([0, 1e-300], [0, 1e300]),
        ([0, 1e300], [0, 1e-300]), ([0, 1e300], [0, 1e-8]), ([0, 1e300], [0, 3.5e-9]),
        ([1e150, 1], [-1e150, 1]), ([1e300, 1e300], [-1e300, 1e300]), ([1e200, 1], [0, 1]),
        ([1e-160, 1e-310], [0, 1e-310]), ([0, 1e-310], [0, 1e-300]), ([0, 5e-324], [0, 1e308]),
        ([0, 1e-300], [0, 1.000001e-300]), ([1e300, 1e300], [1.000000001e300, 1e300]),
    ],
    "exponential": [
        ([1], [1e-12]), ([1], [1e-8]), ([1], [1e12]), ([1e-300], [1e300]), ([1e300], [1e-300]),
        ([1], [1e-300]), ([5e-324], [1]), ([1e-300], [1.0000001e-300]), ([1e300], [1.000000001e300]),
    ],
    "gamma": [
        ([3, 2], [3, 2e12]), ([3, 2e12], [3, 2]), ([3, 2e-300], [3, 2e300]), ([3, 2e300], [3, 2e-300]),
        ([0.5, 1], [2, 1e-10]), ([1e10, 1e10], [1.5e10, 1.5e10]), ([1e10, 1], [2e10, 2]),
        ([1e10, 1e10], [1.00001e10, 1.0000100001e10]), ([1e15, 1e15], [1e15, 1.000001e15]),
        ([1e-300, 1], [1, 1]), ([1e-10, 1], [1.0000001e-10, 1]), ([1e300, 1e300], [1, 1]),
        ([1, 1], [1e300, 1e300]), ([1e300, 1], [1e300, 1e-300]), ([1e-300, 1e-10], [1e-300, 1e300]),
        ([50, 1e-200], [60, 1e-190]), ([1e5, 3], [100100, 3.003]),
    ],
    "beta": [
        ([1e10, 1e10], [2e10, 2e10]), ([1e10, 2e10], [1.0000001e10, 2e10]),
        ([1e10, 1e10], [1.00001e10, 1.00001e10]), ([0.5, 1e8], [0.5, 2e8]),
        ([1e-300, 1e-300], [1, 1]), ([1e-10, 1], [1, 1e-10]), ([2, 3], [2e300, 3e300]),
        ([1e15, 1e15], [1.0000001e15, 9.999999e14]), ([1e-5, 1e5], [2e-5, 1e5]),
        ([3, 4], [3.0000001, 4.0000002]),
    ],
    "laplace": [
        ([0, 1], [0, 1e12]), ([0, 1e12], [0, 1]), ([0, 1e-12], [0, 1]), ([0, 1e-300], [1, 1]),
        ([0, 1], [1e10, 1e-10]), ([0, 1e300], [0, 1e-300]), ([0, 1e-200], [1e-190, 1e-200]),
        ([0, 1e-310], [1e-300, 1]), ([0, 1e-300], [0, 1e300]), ([0, 1], [0.5, 1e-300]),
        ([0, 1e-8], [1e-8, 1e-8]), ([0, 1e-8], [1.5e-8, 1e-8]), ([0, 1e-300], [1e-309, 1.0000001e-300]),
    ],
    "lognormal": [
        ([0, 1e-9], [0, 1]), ([0, 1], [0, 1e-9]), ([0, 1e-160], [0, 1]), ([0, 1e160], [0, 1]),
        ([0, 1e150], [0, 1]), ([1e150, 1], [0, 1]), ([1e200, 1e100], [0, 1e100]),
        ([0, 1e-200], [1e-190, 1e-200]), ([0, 1e-300], [0, 1.0000001e-300]), ([0, 1e-300], [0, 1e300]),
    ],
    "mvnormal": [
        ([0, 0, 1e-300, 0, 0, 1], [0, 0, 1, 0, 0, 1]),
        ([0, 0, 1e300, 0, 0, 1e-300], [0, 0, 1e-300, 0, 0, 1e300]),
        ([0, 0, 1e-10, 0, 0, 1e10], [0, 0, 1, 0, 0, 1]),
        ([1e100, -1e100, 1e-200, 0.5e-200, 0.5e-200, 1e-200], [0, 0, 2, -0.3, -0.3, 1]),
        ([0, 0, 2.00000002, 0.600000006, 0.600000006, 1.00000001], [0, 0, 2, 0.6, 0.6, 1]),
        ([0, 0, 1.000000001e-300, 0, 0, 1], [0, 0, 1e-300, 0, 0, 1]),
        ([1e-10, 0, 0, 2, 0.5, 0.1, 0.5, 1, 0.2, 0.1, 0.2, 3],
         [0, 0, 0, 2e20, 0.3e20, 0, 0.3e20, 1e20, 0, 0, 0, 1e-20]),
        ([1, 2, 3, 1e-150, 0, 0, 0, 1e150, 0, 0, 0, 1], [1, 2, 3, 1, 0.2, 0.1, 0.2, 1, 0.3, 0.1, 0.3, 1]),
    ],
    "categorical": [
        ([1, 1e-300], [1e-300, 1]), ([1e300, 1e300, 1e300], [1, 2, 3]), ([1e308, 1e308], [1, 3]),
        ([1, 5e-324], [5e-324, 1]), ([0.25, 0.75, 0], [0.5, 0.5, 1e-300]),
        ([0.25, 0.75], [0.25 + 2 ** -40, 0.75 - 2 ** -40]), ([1e-310, 3e-310], [2e-310, 2e-310]),
    ],
}

NORMAL_ONLY = [
    ([0, 1], [0, 1e12]), ([0, 1e12], [0, 1]), ([0, 1], [0, 1e-12]), ([0, 1e-10], [1, 1]),
    ([0, 1e-300], [1, 1]), ([0, 1], [0, 1e-300]), ([0, 1e-300], [0, 1e300]), ([1e150, 1], [0, 1]),
    ([0, 1e308], [0, 1.5e308]), ([0, 1], [30, 1]), ([0, 1e-300], [0, 1.0000001e-300]),
    ([0, 1e-320], [0, 1e300]), ([0, 1.999999], [0, 1]), ([0, 2.9999], [0, 1]), ([0, 1.1], [0, 1]),
    ([1e-150, 1e-300], [0, 1.0000001e-300]),
]
ORDERS = {"renyi": [0.5, 2, 0.3, 1.5, 0.01, 0.99, 10], "alpha": [0.5, -0.5, 2, 0.3, -2]}


def settled(f):
    """f() at rising precision until two agree to 45 digits."""
    prev = None
    dps = 60
    while True:
        with mp.workdps(dps):
            v = f()
        if prev is not None:
            if v == prev or (v != mp.inf and abs(v - prev) <= mp.mpf(10) ** -45 * abs(v)):
                return v
        if dps > 4000:
            raise RuntimeError("no agreement at %d digits" % dps)
        prev, dps = v, 2 * dps


def rows():
    out = []

    def add(div, a, fam, p, q, f):
        out.append([div, a, fam, p, q, settled(f)])

    for fam, pairs in CASES.items():
        for p, q in pairs:
            pm, qm = (lambda p=p: [f64(v) for v in p]), (lambda q=q: [f64(v) for v in q])
            add("kl", "", fam, p, q, lambda: FORMS[fam](pm(), qm()))
            add("reverse_kl", "", fam, p, q, lambda: FORMS[fam](qm(), pm()))
    for p, q in NORMAL_ONLY:
        pm, qm = (lambda p=p: [f64(v) for v in p]), (lambda q=q: [f64(v) for v in q])
        add("hellinger", "", "normal", p, q, lambda: hellinger_normal(pm(), qm()))
        for a in ORDERS["renyi"]:
            add("renyi", a, "normal", p, q, lambda a=a: renyi_normal(f64(a), pm(), qm()))
        for a in ORDERS["alpha"]:
            add("alpha", a, "normal", p, q, lambda a=a: alpha_normal(f64(a), pm(), qm()))
    return out


if __name__ == "__main__":
    with open(os.path.join(HERE, "closedforms_extreme.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["divergence", "alpha", "family", "p", "q", "value"])
        for div, a, fam, p, q, v in rows():
            w.writerow([div, a, fam, " ".join(repr(float(x)) for x in p), " ".join(repr(float(x)) for x in q), fmt(v)])
