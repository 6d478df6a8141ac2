#!/usr/bin/env python3
"""Reference values for the closed forms at extreme parameters: scale
ratios from 1e-300 to 1e300 (subnormal and overflowing ratios included),
tiny and huge variances, far means, huge and tiny shapes, and nearly equal
members of every such kind; pairs on either side of every threshold where
klfit's closed forms change their way of computing; and a seeded sweep of
random pairs, log-uniform over wide ranges, with as many nearly equal
ones. Each value is the textbook formula of
reference.py (mvnormal's and categorical's are here) evaluated with
mpmath, the parameters taken as the exact float64 values the tests use.

The textbook formulas cancel: log Gamma(1e300) is 7e302 where the
divergence may be 345, and nearly equal members lose the digits they
share. So each value is computed at a precision above what its formula
can cancel (see settled), then at twice as many digits, and so on until
two successive precisions agree to 45 digits: what is written holds at
least 45 correct digits whatever the formula loses. A value of the wrong
sign stops the script.

A value above the largest float64 (1.8e308) is written as it is (the test
expects +Inf and an error saying the value overflows); "inf" marks a
divergence that is infinite.

Run: /usr/bin/python3 extreme.py  (writes closedforms_extreme.csv next to
this script, in a few seconds)
"""
import csv
import os
import random

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
        ([50, 1e-200], [60, 1e-190]), ([1e5, 3], [100100, 3.003]), ([1e-310, 1], [1, 1]),
        ([1e-310, 1], [2e-310, 1]),
    ],
    "beta": [
        ([1e10, 1e10], [2e10, 2e10]), ([1e10, 2e10], [1.0000001e10, 2e10]),
        ([1e10, 1e10], [1.00001e10, 1.00001e10]), ([0.5, 1e8], [0.5, 2e8]),
        ([1e-300, 1e-300], [1, 1]), ([1e-10, 1], [1, 1e-10]), ([2, 3], [2e300, 3e300]),
        ([1e15, 1e15], [1.0000001e15, 9.999999e14]), ([1e-5, 1e5], [2e-5, 1e5]),
        ([3, 4], [3.0000001, 4.0000002]), ([1e-310, 1], [1, 1]), ([1e-310, 1e-310], [3e-310, 1e-309]),
        # one shape far below the other: the terms of P's larger shape and
        # of the sum of its shapes nearly cancel
        ([1e-20, 0.5], [1e-20, 1e20]), ([1e-20, 1e8], [1e-20, 1e60]), ([1e-30, 1e-10], [1e-30, 1e10]),
        ([1e-10, 0.5], [1e-10, 100]), ([0.5, 1e-20], [1e20, 1e-20]), ([1e-300, 1], [1e-300, 2]),
        ([1e-300, 1], [2e-300, 1]), ([1e-3, 1], [1e-3, 1.5]), ([1e-8, 3], [1.00000001e-8, 3]),
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
    ] + [
        # nearly singular covariances: correlations 1 - 1e-4 to 1 - 1e-12
        ([0, 0, 1, r, r, 1], [0.1, 0, 2, 2 * r * 0.999, 2 * r * 0.999, 2.5]) for r in (0.9999, 0.9999999, 0.99999999999)
    ] + [
        ([0, 0, 1, r, r, 1], [0, 1e-9, 1, r, r, 1.000001]) for r in (0.9999999, 0.999999999999)
    ] + [
        ([1, 0, 0, 1, r, r * r, r, 1, r, r * r, r, 1], [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]) for r in (0.99999, 0.9999999)
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

# Pairs on either side of the thresholds where klfit's closed forms change
# their way of computing: variance ratios 1/2, 2, e and 1/e, 0.0718 (where
# the squared Hellinger distance's 1 - x is 1/2), e^700 and beyond (where
# jensenLog's exponentials would overflow), shapes 0.25 and 20 (Binet's
# function), shape ratios 1/2 and 2 (Binet's remainder by quadrature),
# eigenvalues 1/2 from 1 (mvnormal), |m1 - m2|/s1 = 1 (laplace).
EDGE = {
    "normal": [([0, v], [0.5, 1]) for v in (0.49999999, 0.5, 0.50000001, 1.9999999, 2, 2.0000001,
                                             2.718281, 2.718282, 0.3678794, 0.3678795)],
    "gamma": [([a, 1], [b, 1.5]) for a, b in ((0.25, 0.7), (0.2499999, 0.7), (20, 31), (19.999999, 31),
                                              (20.000001, 31), (3, 6), (3, 6.0000001), (3, 1.5), (3, 1.4999999),
                                              (0.1, 0.2), (0.1, 0.20001), (1e-5, 1e-3), (19.5, 20.5))],
    "beta": [([a, b], [c, d]) for a, b, c, d in ((0.25, 19.999999, 0.5, 40), (0.2499999, 20, 0.5, 39.999),
                                                 (3, 4, 6, 8), (3, 4, 6.0000001, 7.9999999), (20, 0.25, 10, 0.125))],
    "laplace": [([0, 1], [m, 1.3]) for m in (0.9999999, 1, 1.0000001)],
    "mvnormal": [([0, 0, v, 0.1, 0.1, 1], [0, 0, 1, 0.1, 0.1, 1]) for v in (1.5, 1.5000001, 1.4999999, 0.5, 0.5000001, 0.4999999)],
}
NORMAL_EDGE = [([0, v], [0.2, 1]) for v in (0.0718, 0.07179, 0.07181, 2.7)] + [
    ([0, 1e300], [0, 1e-4]), ([0, 1e300], [0, 1e-8]), ([0, 1e308], [0, 1e-308]), ([0, 1e-308], [0, 1e308])]


def sweep(seed=1, n=12):
    """Random pairs, log-uniform over wide ranges, and as many nearly equal
    ones (q a relative 1e-12 to 1e-2 from p), by a fixed seed."""
    rng = random.Random(seed)

    def lu(lo, hi):
        return 10 ** rng.uniform(lo, hi)

    def signed(lo, hi):
        return rng.choice((-1, 1)) * lu(lo, hi)

    def near(v):
        return v * (1 + rng.choice((-1, 1)) * lu(-12, -2))

    def spd(d, scale):
        a = [[rng.gauss(0, 1) for _ in range(d)] for _ in range(d)]
        s = [[sum(a[i][k] * a[j][k] for k in range(d)) + (0.1 if i == j else 0) for j in range(d)] for i in range(d)]
        return [[s[i][j] * scale for j in range(d)] for i in range(d)]

    def flat(m, s):
        return list(m) + [x for row in s for x in row]

    draw = {
        "normal": lambda: [signed(-3, 3), lu(-300, 300)],
        "exponential": lambda: [lu(-300, 300)],
        "gamma": lambda: [lu(-3, 10), lu(-100, 100)],
        "beta": lambda: [lu(-3, 10), lu(-3, 10)],
        "laplace": lambda: [signed(-5, 5), lu(-50, 50)],
        "lognormal": lambda: [signed(-3, 3), lu(-20, 20)],
        "categorical": lambda: [lu(-300, 0) for _ in range(4)],
    }
    out = {fam: [] for fam in list(draw) + ["mvnormal"]}
    for fam, f in draw.items():
        for _ in range(n):
            out[fam].append((f(), f()))
            p = f()
            out[fam].append((p, [near(v) for v in p]))
    for _ in range(n):
        d = rng.choice((2, 3))
        m1 = [signed(-3, 3) for _ in range(d)]
        s1, s2 = spd(d, lu(-20, 20)), spd(d, lu(-20, 20))
        out["mvnormal"].append((flat(m1, s1), flat([signed(-3, 3) for _ in range(d)], s2)))
        dl = [[lu(-12, -2) * rng.choice((-1, 1)) for _ in range(d)] for _ in range(d)]
        s2 = [[s1[i][j] * (1 + dl[min(i, j)][max(i, j)]) for j in range(d)] for i in range(d)]
        out["mvnormal"].append((flat(m1, s1), flat([near(v) for v in m1], s2)))
    normal = []
    for _ in range(n):
        normal.append(([signed(-3, 2), lu(-20, 20)], [signed(-3, 2), lu(-20, 20)]))
        p = [signed(-3, 2), lu(-20, 20)]
        normal.append((p, [near(v) for v in p]))
    return out, normal


def small_shapes(seed=2):
    """Beta pairs where one of P's shapes is 1e-300 to 1e-3 and the other
    1e-3 to 1e10 (either way round), Q's shapes alike, far off or nearly
    equal: a grid and a seeded draw."""
    rng = random.Random(seed)

    def lu(lo, hi):
        return 10 ** rng.uniform(lo, hi)

    out = []
    for a1 in (1e-300, 1e-100, 1e-20, 1e-8, 1e-3):
        for b1, a2, b2 in ((0.5, a1, 1e3), (1, 2 * a1, 1), (1e5, a1, 2e5), (2, 1, 3), (0.01, a1, 0.02), (7, 0.5 * a1, 5)):
            out.append(([a1, b1], [a2, b2]))
            out.append(([b1, a1], [b2, a2]))
    for _ in range(24):
        a1, b1 = lu(-300, -3), lu(-3, 10)
        a2 = rng.choice((a1 * (1 + lu(-12, 0)), a1 * lu(-3, 3), lu(-300, 10)))
        b2 = rng.choice((b1 * (1 + rng.choice((-1, 1)) * lu(-12, -1)), lu(-3, 60)))
        p, q = [a1, b1], [a2, b2]
        if rng.random() < 0.5:
            p, q = p[::-1], q[::-1]
        out.append((p, q))
    return out


def settled(f, params):
    """f() at rising precision until two successive ones agree to 45 digits.

    Agreement proves something only once the precision exceeds what the
    formula cancels: below that, both precisions can round the same terms
    to the same wrong value (a sum 1 + 1e-119 that is 1 at 60 and at 120
    digits). What these formulas cancel is bounded by the magnitudes of
    their parameters (lgamma(1e300) is 7e302, masses 1e-300 apart are
    normalized together) and by how nearly equal two members are (at most
    the 16 digits of a float64), so the first precision is 80 digits plus
    twice the largest decimal exponent among the parameters."""
    top = max((abs(mp.log10(abs(f64(v)))) for v in params if v != 0), default=0)
    dps = int(80 + 2 * top)
    prev = None
    while True:
        with mp.workdps(dps):
            v = f()
        if prev is not None and (v == prev or (v != mp.inf and abs(v - prev) <= mp.mpf(10) ** -45 * abs(v))):
            return v
        if dps > 10000:
            raise RuntimeError("no agreement at %d digits" % dps)
        prev, dps = v, 2 * dps


def rows():
    out = []

    def add(div, a, fam, p, q, f):
        v = settled(f, list(p) + list(q))
        # Every divergence here is >= 0, but the Renyi divergence and
        # the alpha-divergence's log term of a negative order.
        if not (v >= 0 or (a != "" and a < 0)) or (v == 0 and p != q):
            raise RuntimeError("%s %s %s %s %s: %s" % (div, a, fam, p, q, v))
        out.append([div, a, fam, p, q, v])

    swept, swept_normal = sweep()
    for fam, pairs in CASES.items():
        for p, q in pairs + EDGE.get(fam, []) + swept[fam] + (small_shapes() if fam == "beta" else []):
            pm, qm = (lambda p=p: [f64(v) for v in p]), (lambda q=q: [f64(v) for v in q])
            add("kl", "", fam, p, q, lambda: FORMS[fam](pm(), qm()))
            add("reverse_kl", "", fam, p, q, lambda: FORMS[fam](qm(), pm()))
    for p, q in NORMAL_ONLY + NORMAL_EDGE + swept_normal:
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
