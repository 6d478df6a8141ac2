#!/usr/bin/env python3
"""Reference log-densities and scores for the dist tests, computed with
mpmath at 40 significant digits, independently of the Go code: each
log-density is written here from its textbook formula, and each score is
mpmath's numerical derivative of that log-density (mpmath.diff), not an
analytic formula.

Run from the repository root:

    /usr/bin/python3 dist/testdata/reference.py > dist/testdata/reference.csv

Columns: family, parameters (';'-separated), x, y (empty in 1-D), log-density,
scores (';'-separated, one per parameter, in the family's order). Numbers are
printed with 20 significant digits.
"""
import sys
import mpmath as mp

mp.mp.dps = 40


def normal(t, x):
    m, v = t
    return -(x - m) ** 2 / (2 * v) - mp.log(2 * mp.pi * v) / 2


def laplace(t, x):
    m, b = t
    return -abs(x - m) / b - mp.log(2 * b)


def student_t(t, x):
    nu, m, s = t
    z = (x - m) / s
    return (mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2) - mp.log(nu * mp.pi) / 2
            - mp.log(s) - (nu + 1) / 2 * mp.log(1 + z * z / nu))


def cauchy(t, x):
    m, s = t
    z = (x - m) / s
    return -mp.log(mp.pi * s) - mp.log(1 + z * z)


def logistic(t, x):
    m, s = t
    z = (x - m) / s
    return -z - mp.log(s) - 2 * mp.log(1 + mp.exp(-z))


def gumbel(t, x):
    m, s = t
    z = (x - m) / s
    return -mp.log(s) - z - mp.exp(-z)


def skew_normal(t, x):
    m, s, a = t
    z = (x - m) / s
    return mp.log(2) - mp.log(s) + mp.log(mp.npdf(z)) + mp.log(mp.ncdf(a * z))


def exponential(t, x):
    (r,) = t
    return mp.log(r) - r * x


def gamma(t, x):
    k, r = t
    return k * mp.log(r) - mp.loggamma(k) + (k - 1) * mp.log(x) - r * x


def lognormal(t, x):
    mu, s = t
    d = mp.log(x) - mu
    return -mp.log(x) - mp.log(s) - mp.log(2 * mp.pi) / 2 - d * d / (2 * s * s)


def weibull(t, x):
    k, lam = t
    return mp.log(k / lam) + (k - 1) * mp.log(x / lam) - (x / lam) ** k


def beta(t, x):
    a, b = t
    return ((a - 1) * mp.log(x) + (b - 1) * mp.log(1 - x)
            - (mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)))


def von_mises(t, x):
    mu, k = t
    return k * mp.cos(x - mu) - mp.log(2 * mp.pi * mp.besseli(0, k))


def mvnormal(t, x, y):
    mx, my, a, b, d = t
    det = a * d - b * b
    rx, ry = x - mx, y - my
    q = (d * rx * rx - 2 * b * rx * ry + a * ry * ry) / det
    return -mp.log(2 * mp.pi) - mp.log(det) / 2 - q / 2


def mixture_normal(t, x):
    # weights (3), means (3), variances (3)
    w, m, v = t[0:3], t[3:6], t[6:9]
    return mp.log(sum(w[c] * mp.exp(normal((m[c], v[c]), x)) for c in range(3)))


CASES = [
    ("normal", normal, [(0, 1), (5, 1), (-2, 1e-3), (0.1, 50)], [-4, -1, 0, 0.3, 2, 7]),
    ("laplace", laplace, [(0, 1), (3, 0.01), (-1, 40)], [-5, -0.5, 0.25, 2.9, 3.1, 60]),
    ("student_t", student_t, [(3, 0, 1), (0.5, 1, 2), (1e5, 0, 1), (30, -2, 0.05), (200, 1, 3)],
     [-40, -2, 0, 0.7, 3, 100]),
    ("cauchy", cauchy, [(0, 1), (2, 1e-3), (-5, 20)], [-300, -5, 0, 1.5, 2.01, 40]),
    ("logistic", logistic, [(0, 1), (1, 0.02), (-3, 8)], [-60, -3, 0, 0.9, 1.1, 25]),
    ("gumbel", gumbel, [(0, 1), (2, 0.05), (-1, 10)], [-8, -1, 0, 1.9, 2.2, 50]),
    ("skew_normal", skew_normal, [(0, 1, 0), (0, 1, 4), (1, 2, -3), (0, 1, 1e-6), (-1, 0.1, 20)],
     [-9, -1.2, -1, 0, 0.5, 2, 6]),
    ("exponential", exponential, [(1,), (0.01,), (50,)], [0, 0.001, 0.5, 3, 200]),
    ("gamma", gamma, [(2, 1), (0.3, 2), (50, 10), (1, 1)], [1e-4, 0.2, 1, 4.5, 30]),
    ("lognormal", lognormal, [(0, 1), (2, 0.05), (-1, 3)], [1e-3, 0.3, 1, 7.3, 100]),
    ("weibull", weibull, [(1.5, 1), (0.4, 2), (20, 3)], [1e-3, 0.5, 1, 2.9, 3.1, 8]),
    ("beta", beta, [(2, 3), (0.5, 0.5), (0.05, 2), (80, 20)], [1e-6, 0.01, 0.3, 0.5, 0.8, 0.999]),
    ("von_mises", von_mises, [(0, 1), (1, 1e-4), (-2, 30), (3, 500), (0.5, 15)],
     [-3.1, -2, -0.01, 0, 1, 3]),
]

MV = [(0, 0, 1, 0, 1), (1, -2, 2, 0.7, 1.5), (0, 0, 0.01, -0.0099, 0.01)]
MVPTS = [(0, 0), (1, 1), (-2.5, 3), (0.3, -0.1)]

MIX = [(0.2, 0.5, 0.3, -3, 0, 4, 1, 0.5, 2), (0.01, 0.01, 0.98, -1, 1, 10, 1e-2, 3, 0.7)]
MIXPTS = [-20, -3, -1, 0, 2.5, 10]


def fmt(v):
    return mp.nstr(v, 20)


def row(name, f, theta, x, y=None):
    args = (x,) if y is None else (x, y)
    t = [mp.mpf(v) for v in theta]
    lp = f(t, *[mp.mpf(a) for a in args])
    scores = []
    for j in range(len(t)):
        def g(h, j=j):
            u = list(t)
            u[j] = h
            return f(u, *[mp.mpf(a) for a in args])
        scores.append(mp.diff(g, t[j]))
    cols = [name, ";".join(repr(float(v)) for v in theta), repr(float(x)),
            "" if y is None else repr(float(y)), fmt(lp), ";".join(fmt(s) for s in scores)]
    print(",".join(cols))


def main():
    print("family,theta,x,y,logp,scores")
    for name, f, thetas, xs in CASES:
        for theta in thetas:
            for x in xs:
                row(name, f, theta, x)
    for theta in MV:
        for x, y in MVPTS:
            row("mvnormal", mvnormal, theta, x, y)
    for theta in MIX:
        for x in MIXPTS:
            row("mixture_normal_3", mixture_normal, theta, x)


if __name__ == "__main__":
    sys.exit(main())
