#!/usr/bin/env python3
"""Reference values for the divergence tests, computed with mpmath at 40
significant digits, independently of klfit's own formulas.

closedforms.csv: closed forms between members of one family (including
nearly equal pairs), each from the textbook formula evaluated at 50 digits
with the parameters taken as the exact float64 values the tests use.

pairs.csv: divergences between members of different families by mpmath's
tanh-sinh quadrature, split at every support bound, location and crossing
of the two densities. A divergence is written as inf when the supports
make it infinite (P has mass where Q has none for kl, renyi and alpha with
alpha > 1; the reverse for reverse_kl and alpha < 0), or when its integral
truncated at |x| = 1e2, 1e4 and 1e6 does not settle (the last increment
is more than a tenth of the one before: an integral that still grows with
the window like log x or faster, so the tails make it infinite; a
convergent tail falling like 1/x^2 or faster shrinks its increments a
hundredfold), or when it does not settle as the integration keeps 1e-10,
1e-20, 1e-30 away from the finite bounds (p^2/q with p ~ x^-1/2 at 0), or
when it exceeds 1e300 (an integral blowing up at a
bound, such as p^-0.5 for a lognormal p at 0).

Run: python3 reference.py  (writes both files next to this script; with
the argument "closed", only closedforms.csv, in a second)
"""
import csv
import os
import mpmath as mp

mp.mp.dps = 50
HERE = os.path.dirname(os.path.abspath(__file__))


def f64(v):
    """The float64 value v as an exact mpf."""
    return mp.mpf(float(v))


# ---------------------------------------------------------------- closed forms

def kl_normal(p, q):
    m1, v1 = p
    m2, v2 = q
    return (mp.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1) / 2


def kl_exponential(p, q):
    r1, r2 = p[0], q[0]
    return mp.log(r1 / r2) + r2 / r1 - 1


def kl_gamma(p, q):
    a1, b1 = p
    a2, b2 = q
    return ((a1 - a2) * mp.digamma(a1) - mp.loggamma(a1) + mp.loggamma(a2)
            + a2 * (mp.log(b1) - mp.log(b2)) + a1 * (b2 - b1) / b1)


def lbeta(a, b):
    return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)


def kl_beta(p, q):
    a1, b1 = p
    a2, b2 = q
    return (lbeta(a2, b2) - lbeta(a1, b1) + (a1 - a2) * mp.digamma(a1)
            + (b1 - b2) * mp.digamma(b1) + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1))


def kl_laplace(p, q):
    m1, s1 = p
    m2, s2 = q
    d = abs(m1 - m2)
    return mp.log(s2 / s1) + d / s2 + s1 / s2 * mp.exp(-d / s1) - 1


def kl_lognormal(p, q):
    return kl_normal([p[0], p[1] ** 2], [q[0], q[1] ** 2])


def renyi_normal(a, p, q):
    m1, v1 = p
    m2, v2 = q
    va = a * v2 + (1 - a) * v1
    if va <= 0:
        return mp.inf
    return a * (m1 - m2) ** 2 / (2 * va) - (mp.log(va) - (1 - a) * mp.log(v1) - a * mp.log(v2)) / (2 * (a - 1))


def alpha_normal(a, p, q):
    r = renyi_normal(a, p, q)
    if r == mp.inf:
        return mp.inf
    return (1 - mp.exp((a - 1) * r)) / (a * (1 - a))


def hellinger_normal(p, q):
    m1, v1 = p
    m2, v2 = q
    return 1 - mp.sqrt(2 * mp.sqrt(v1 * v2) / (v1 + v2)) * mp.exp(-(m1 - m2) ** 2 / (4 * (v1 + v2)))


KL = {"normal": kl_normal, "exponential": kl_exponential, "gamma": kl_gamma,
      "beta": kl_beta, "laplace": kl_laplace, "lognormal": kl_lognormal}

CLOSED_PAIRS = {
    "normal": [([0, 1], [0, 1.000001]), ([0, 1], [1e-6, 1]), ([0, 1], [1, 2]), ([3, 0.5], [-1, 7]),
               ([0, 1], [1e-7, 1 + 1e-7]), ([2, 4], [2, 4 * (1 - 1e-9)])],
    "exponential": [([1], [1.000001]), ([1], [2.5]), ([3], [3 * (1 + 1e-10)])],
    "gamma": [([3, 2], [2, 1]), ([3, 2], [3.000001, 2]), ([3, 2], [3, 2.000001]),
              ([0.5, 1], [0.5000001, 1.0000002]), ([40, 3], [40.0001, 3])],
    "beta": [([2, 3], [3, 3]), ([2, 3], [2.000001, 3]), ([0.5, 0.5], [0.5000001, 0.4999999]),
             ([5, 2], [5.00001, 2.00001])],
    "laplace": [([0, 1], [0.5, 2]), ([0, 1], [1e-6, 1]), ([0, 1], [0, 1.000001]), ([1, 2], [1 + 1e-7, 2.0000003])],
    "lognormal": [([0, 0.5], [0.3, 0.7]), ([0, 0.5], [0, 0.5000001])],
}
NORMAL_ONLY = [([0, 1], [0, 1.000001]), ([0, 1], [1e-6, 1]), ([0, 1], [1, 2]), ([0, 1], [0.5, 0.8]),
               ([1, 2], [1 + 1e-7, 2 * (1 + 1e-7)]), ([0, 1], [0.3, 1.05]), ([0, 20.047532108480276],
               [0.39914884555565683, 19.101482536448668]), ([0, 1], [0, 0.93])]
ORDERS = {"renyi": [0.5, 2, 0.3, 1.5], "alpha": [0.5, -0.5, 2, 0.3, -2]}


def closed_rows():
    rows = []
    for fam, pairs in CLOSED_PAIRS.items():
        for p, q in pairs:
            pm, qm = [f64(v) for v in p], [f64(v) for v in q]
            rows.append(["kl", "", fam, p, q, KL[fam](pm, qm)])
            rows.append(["reverse_kl", "", fam, p, q, KL[fam](qm, pm)])
    for p, q in NORMAL_ONLY:
        pm, qm = [f64(v) for v in p], [f64(v) for v in q]
        rows.append(["hellinger", "", "normal", p, q, hellinger_normal(pm, qm)])
        for a in ORDERS["renyi"]:
            rows.append(["renyi", a, "normal", p, q, renyi_normal(f64(a), pm, qm)])
        for a in ORDERS["alpha"]:
            rows.append(["alpha", a, "normal", p, q, alpha_normal(f64(a), pm, qm)])
    return rows


# ---------------------------------------------------------------- densities

LOG2PI = mp.log(2 * mp.pi)


def logpdf(fam, th):
    """(log-density, support lo, hi, points worth splitting at)."""
    th = [f64(v) for v in th]
    if fam == "normal":
        m, v = th
        return (lambda x: -(LOG2PI + mp.log(v)) / 2 - (x - m) ** 2 / (2 * v)), -mp.inf, mp.inf, [m]
    if fam == "exponential":
        r, = th
        return (lambda x: mp.log(r) - r * x), 0, mp.inf, []
    if fam == "gamma":
        k, r = th
        return (lambda x: k * mp.log(r) - mp.loggamma(k) + (k - 1) * mp.log(x) - r * x), 0, mp.inf, [k / r]
    if fam == "beta":
        a, b = th
        return (lambda x: (a - 1) * mp.log(x) + (b - 1) * mp.log(1 - x) - lbeta(a, b)), 0, 1, [mp.mpf(1) / 2]
    if fam == "laplace":
        m, s = th
        return (lambda x: -mp.log(2 * s) - abs(x - m) / s), -mp.inf, mp.inf, [m]
    if fam == "lognormal":
        mu, s = th
        return (lambda x: -mp.log(x * s) - LOG2PI / 2 - (mp.log(x) - mu) ** 2 / (2 * s * s)), 0, mp.inf, [mp.exp(mu)]
    if fam == "cauchy":
        m, s = th
        return (lambda x: -mp.log(mp.pi * s * (1 + ((x - m) / s) ** 2))), -mp.inf, mp.inf, [m]
    if fam == "student_t":
        df, m, s = th
        c = mp.loggamma((df + 1) / 2) - mp.loggamma(df / 2) - mp.log(df * mp.pi) / 2 - mp.log(s)
        return (lambda x: c - (df + 1) / 2 * mp.log(1 + ((x - m) / s) ** 2 / df)), -mp.inf, mp.inf, [m]
    if fam == "logistic":
        m, s = th
        return (lambda x: -(x - m) / s - mp.log(s) - 2 * mp.log(1 + mp.exp(-(x - m) / s))), -mp.inf, mp.inf, [m]
    if fam == "gumbel":
        m, s = th

        def lg(x):
            z = (x - m) / s
            if z < -1000:
                return -mp.mpf(10) ** 300  # exp(-exp(1000)) is 0 to any digit
            return -mp.log(s) - z - mp.exp(-z)
        return lg, -mp.inf, mp.inf, [m]
    if fam == "weibull":
        k, l = th
        return (lambda x: mp.log(k / l) + (k - 1) * mp.log(x / l) - (x / l) ** k), 0, mp.inf, [l]
    if fam == "skew_normal":
        m, s, a = th
        return (lambda x: mp.log(2) - mp.log(s) - LOG2PI / 2 - ((x - m) / s) ** 2 / 2
                + mp.log(mp.ncdf(a * (x - m) / s))), -mp.inf, mp.inf, [m]
    raise ValueError(fam)


def parse(text):
    fam, rest = text.split("(", 1)
    vals = [float(kv.split("=")[1]) for kv in rest.rstrip(")").split(",")]
    return fam, vals


def pair_integral(f, lo, hi, pts, cut=None, gap=None):
    a, b = lo, hi
    if cut is not None:
        a, b = max(lo, -cut), min(hi, cut)
    if gap is not None:
        # stay gap away from every finite bound
        a = a + gap if a != -mp.inf else a
        b = b - gap if b != mp.inf else b
        pts = [x for x in pts if x != lo and x != hi]
    knots = sorted(set([a, b] + [x for x in pts if a < x < b]))
    # geometric knots help the heavy tails
    extra = []
    for k in range(0, 7):
        for sgn in (-1, 1):
            x = sgn * mp.mpf(10) ** k
            if a < x < b:
                extra.append(x)
    knots = sorted(set(knots + extra))
    return mp.quad(f, knots)


def divergence(name, a, P, Q, cut=None, gap=None):
    lp, plo, phi, ppts = P
    lq, qlo, qhi, qpts = Q
    lo, hi = min(plo, qlo), max(phi, qhi)
    pts = [plo, phi, qlo, qhi] + ppts + qpts
    ilo, ihi = max(plo, qlo), min(phi, qhi)

    def P_(x):
        return mp.exp(lp(x)) if plo < x < phi else mp.mpf(0)

    def Q_(x):
        return mp.exp(lq(x)) if qlo < x < qhi else mp.mpf(0)

    def onboth(g):
        return pair_integral(g, ilo, ihi, pts, cut, gap)

    p_in_q = qlo <= plo and phi <= qhi
    q_in_p = plo <= qlo and qhi <= phi
    if name == "kl":
        if not p_in_q:
            return mp.inf
        return pair_integral(lambda x: mp.exp(lp(x)) * (lp(x) - lq(x)), plo, phi, pts, cut)
    if name == "reverse_kl":
        if not q_in_p:
            return mp.inf
        return pair_integral(lambda x: mp.exp(lq(x)) * (lq(x) - lp(x)), qlo, qhi, pts, cut)
    if name == "js":
        def g(x):
            p, q = P_(x), Q_(x)
            m = (p + q) / 2
            s = 0
            if p > 0:
                s += p * mp.log(p / m)
            if q > 0:
                s += q * mp.log(q / m)
            return s / 2
        return pair_integral(g, lo, hi, pts, cut)
    if name == "hellinger":
        return 1 - onboth(lambda x: mp.exp((lp(x) + lq(x)) / 2))
    if name == "tv":
        # split at the crossings of p and q, found on a fine scan
        scan_lo = lo if lo != -mp.inf else -60
        scan_hi = hi if hi != mp.inf else 60
        xs = [scan_lo + (scan_hi - scan_lo) * i / 4000 for i in range(1, 4000)]
        d = [P_(x) - Q_(x) for x in xs]
        cross = []
        for i in range(len(xs) - 1):
            if d[i] * d[i + 1] < 0:
                cross.append(mp.findroot(lambda x: lp(x) - lq(x), (xs[i], xs[i + 1]), solver="anderson")
                             if ilo < xs[i] and xs[i + 1] < ihi else xs[i])
        return pair_integral(lambda x: abs(P_(x) - Q_(x)), lo, hi, pts + cross, cut) / 2
    a = f64(a)
    if name in ("renyi", "alpha"):
        if a > 1 and not p_in_q:
            return mp.inf
        if a < 0 and not q_in_p:
            return mp.inf
        s = onboth(lambda x: mp.exp(a * lp(x) + (1 - a) * lq(x)))
        if name == "renyi":
            return mp.log(s) / (a - 1)
        return (1 - s) / (a * (1 - a))
    raise ValueError(name)


PAIRS = [
    ("beta(alpha=3, beta=3)", "exponential(rate=2)"),
    ("beta(alpha=3, beta=1)", "normal(mean=0.3, variance=0.5)"),
    ("beta(alpha=0.5, beta=0.5)", "normal(mean=0.5, variance=1)"),
    ("beta(alpha=2, beta=5)", "gamma(shape=2, rate=3)"),
    ("gamma(shape=0.5, rate=1)", "exponential(rate=1)"),
    ("exponential(rate=1)", "normal(mean=0, variance=1)"),
    ("exponential(rate=1)", "laplace(loc=0.5, scale=1)"),
    ("lognormal(mu=0, sigma=0.5)", "gamma(shape=2, rate=2)"),
    ("weibull(shape=1.5, scale=1)", "gamma(shape=2, rate=1)"),
    ("weibull(shape=0.7, scale=1)", "student_t(df=3, loc=1, scale=1)"),
    ("student_t(df=5, loc=0, scale=1)", "normal(mean=0, variance=1)"),
    ("student_t(df=3, loc=0, scale=1)", "normal(mean=0, variance=1)"),
    ("student_t(df=2, loc=0, scale=1)", "normal(mean=0, variance=1)"),
    ("cauchy(loc=0, scale=1)", "normal(mean=0, variance=1)"),
    ("logistic(loc=0, scale=1)", "normal(mean=0, variance=2)"),
    ("laplace(loc=0, scale=1)", "cauchy(loc=0, scale=1)"),
    ("gumbel(loc=0, scale=1)", "normal(mean=0, variance=2)"),
    ("skew_normal(loc=0, scale=1, alpha=3)", "normal(mean=0.5, variance=1)"),
    ("normal(mean=0, variance=1)", "student_t(df=2, loc=0, scale=1)"),
    ("normal(mean=0, variance=1)", "normal(mean=0, variance=10)"),
]
DIVS = [("kl", ""), ("reverse_kl", ""), ("js", ""), ("hellinger", ""), ("tv", ""),
        ("renyi", 0.5), ("renyi", 2), ("alpha", 0.5), ("alpha", -0.5), ("alpha", 2)]


def pair_rows():
    rows = []
    for ps, qs in PAIRS:
        P, Q = logpdf(*parse(ps)), logpdf(*parse(qs))
        for name, a in DIVS:
            v = None
            if name in ("kl", "reverse_kl", "renyi", "alpha"):
                # An integral still growing with the window diverges: its
                # increments from |x| < 1e2 to 1e4 to 1e6 shrink by 1e-2
                # or more for a tail falling like 1/x^2 or faster, and
                # not at all for one growing like log x or faster.
                v1 = divergence(name, a, P, Q, cut=mp.mpf(10) ** 2)
                v2 = divergence(name, a, P, Q, cut=mp.mpf(10) ** 4)
                if mp.inf in (v1, v2) or abs(v2 - v1) > 1e6 * (1 + abs(v1)):
                    v = mp.inf  # exploding already: no need to go further
                else:
                    v3 = divergence(name, a, P, Q, cut=mp.mpf(10) ** 6)
                    if v3 == mp.inf or abs(v3 - v2) > mp.mpf("0.1") * abs(v2 - v1) and abs(v3 - v2) > mp.mpf("1e-30"):
                        v = mp.inf
            if v is None and name in ("renyi", "alpha") and (P[1] != -mp.inf or Q[1] != -mp.inf or P[2] != mp.inf or Q[2] != mp.inf):
                # The same test near the finite bounds: the integral kept
                # 1e-10, 1e-20, 1e-30 away from them (a density growing
                # like t^-1 there adds the same amount each time).
                g1, g2, g3 = (divergence(name, a, P, Q, gap=mp.mpf(10) ** -k) for k in (10, 20, 30))
                if abs(g3 - g2) > mp.mpf("0.1") * abs(g2 - g1) and abs(g3 - g2) > mp.mpf("1e-25"):
                    v = mp.inf
            if v is None:
                v = divergence(name, a, P, Q)
                if abs(v) > mp.mpf("1e300"):
                    # beyond float64: an integral that blows up at a
                    # bound (a lognormal's p^-0.5 at 0 grows faster than
                    # any power), which quadrature cannot converge on
                    v = mp.inf
            rows.append([ps, qs, name, a, v])
            print(ps, qs, name, a, mp.nstr(v, 12), flush=True)
    return rows


def fmt(v):
    if v == mp.inf:
        return "inf"
    return mp.nstr(v, 40)


if __name__ == "__main__":
    import sys
    with open(os.path.join(HERE, "closedforms.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["divergence", "alpha", "family", "p", "q", "value"])
        for div, a, fam, p, q, v in closed_rows():
            w.writerow([div, a, fam, " ".join(repr(float(x)) for x in p), " ".join(repr(float(x)) for x in q), fmt(v)])
    if sys.argv[1:] == ["closed"]:
        sys.exit(0)
    mp.mp.dps = 40
    with open(os.path.join(HERE, "pairs.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["p", "q", "divergence", "alpha", "value"])
        for row in pair_rows():
            w.writerow(row[:4] + [fmt(row[4])])
