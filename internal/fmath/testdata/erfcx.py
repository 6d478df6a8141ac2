#!/usr/bin/env python3
"""Reference values of erf and the scaled complementary error function
erfcx(x) = exp(x^2) erfc(x), computed with mpmath at 40 significant digits,
for TestErfcx. Run from the repository root:

    /usr/bin/python3 internal/fmath/testdata/erfcx.py > internal/fmath/testdata/erfcx.csv

Columns: x (exactly as written, a float64 printed with 17 significant
digits), erf(x), erfcx(x), each to 20 significant digits.
"""
import mpmath as mp

mp.mp.dps = 40

xs = set()
for i in range(0, 1201):  # 0 to 12 by 0.01: every interval, densely
    xs.add(float(mp.mpf(i) / 100))
for i in range(1, 400):  # 0.001 to 0.4 by 0.001: erf near 0
    xs.add(i / 1000)
for b in (0.46875, 4.0):  # the switches, and an ulp or so around them
    for k in range(-4, 5):
        xs.add(float(mp.mpf(b) * (1 + k * mp.mpf(2) ** -52)))
        xs.add(b + k * 1e-9)
for e in range(-300, 301, 7):  # tiny to huge
    xs.add(float(mp.mpf(10) ** (mp.mpf(e) / 2)))
xs.update([1e-300, 5e-324, 26.5, 27.0, 28.0, 38.0, 1e7, 6.71e7, 1e8, 1e154, 1e155, 1e300, 1.7e308])

print("x,erf,erfcx")
for x in sorted(xs):
    m = mp.mpf(x)
    erf = mp.erf(m)
    if x < 1e6:
        erfcx = mp.exp(m * m) * mp.erfc(m)
    else:
        # mpmath's erfc fails for huge x: the asymptotic series
        # 1/(x sqrt(pi)) sum_k (-1)^k (2k-1)!!/(2x^2)^k, whose terms
        # past the third are below 1e-36 here.
        erfcx = mp.nsum(lambda k: (-1) ** k * mp.fac2(2 * k - 1) / (2 * m * m) ** k, [0, 6]) / (m * mp.sqrt(mp.pi))
    print("%s,%s,%s" % (repr(x), mp.nstr(erf, 20, strip_zeros=False), mp.nstr(erfcx, 20, strip_zeros=False)))
