package fmath

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"
)

// TestErfcx checks ErfSmall, ErfcxMid, ErfcxLarge and Erfcx against
// mpmath's erf and exp(x^2) erfc(x) at 40 digits (testdata/erfcx.py), from
// 0 through every interval and across its ends to 1.7e308, in units of
// 2^-52 relative. Cody's approximations are good to about 18 digits; what
// is left is the rounding of their evaluation. Both sums of a rational
// have positive terms, so each is within as many half-units (2^-53) as
// the roundings on a term's way: after k Horner steps (a product and a
// sum each) k units. ErfSmall's sums (k = 4), with x^2, the product by x
// and the division, are within 9.5 units; ErfcxMid's, by Estrin's scheme,
// within 11 half-units each (x^8 by three squarings takes 7, its product
// and the last sum 2 more, and the terms of lower powers fewer), 11.5
// units with the division; ErfcxLarge, (Q/sqrt(pi) - s P)/(x Q), is
// (1/sqrt(pi) - s P/Q)/x, where s P/Q is at most 3% of 1/sqrt(pi)
// (x >= 4), so the 12 units of s, P and Q count for 0.4 and the other
// five roundings for 2.5: within 3 in all. Erfcx adds an exp and a
// product on [0, ErfSmallMax]: 12 there. (Measured, the worst are 1.8,
// 2.6 and 1.9 units.)
func TestErfcx(t *testing.T) {
	f, err := os.Open("testdata/erfcx.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ulps := func(got, want float64) float64 {
		if got == want {
			return 0
		}
		return math.Abs(got-want) / math.Abs(want) / 0x1p-52
	}
	var worstErf, worstMid, worstLarge float64
	for _, r := range rows[1:] {
		x, erf, erfcx := num(r[0]), num(r[1]), num(r[2])
		limit := 11.5
		if x <= ErfSmallMax {
			u := ulps(ErfSmall(x), erf)
			worstErf = max(worstErf, u)
			if u > 9.5 {
				t.Errorf("ErfSmall(%v) = %.17g, want %.17g (%.2f ulps)", x, ErfSmall(x), erf, u)
			}
			if u := ulps(-ErfSmall(-x), erf); u > 9.5 {
				t.Errorf("-ErfSmall(-%v) = %.17g, want %.17g (%.2f ulps)", x, -ErfSmall(-x), erf, u)
			}
			limit = 12
		}
		if x >= ErfSmallMax && x <= ErfcxMidMax {
			u := ulps(ErfcxMid(x), erfcx)
			worstMid = max(worstMid, u)
			if u > 11.5 {
				t.Errorf("ErfcxMid(%v) = %.17g, want %.17g (%.2f ulps)", x, ErfcxMid(x), erfcx, u)
			}
		}
		if x >= ErfcxMidMax {
			u := ulps(ErfcxLarge(x), erfcx)
			if erfcx < 0x1p-1022 { // subnormal: an absolute ulp
				u = math.Abs(ErfcxLarge(x)-erfcx) / 0x1p-1074
			}
			worstLarge = max(worstLarge, u)
			if u > 3 {
				t.Errorf("ErfcxLarge(%v) = %.17g, want %.17g (%.2f ulps)", x, ErfcxLarge(x), erfcx, u)
			}
		}
		if erfcx >= 0x1p-1022 {
			if u := ulps(Erfcx(x), erfcx); u > limit {
				t.Errorf("Erfcx(%v) = %.17g, want %.17g (%.2f ulps)", x, Erfcx(x), erfcx, u)
			}
		}
	}
	t.Logf("worst ulps: ErfSmall %.2f, ErfcxMid %.2f, ErfcxLarge %.2f", worstErf, worstMid, worstLarge)
	// Below 0: 2 exp(x^2) - erfcx(-x), against the identity itself.
	for _, x := range []float64{-0.1, -1, -3, -10} {
		want := 2*math.Exp(x*x) - Erfcx(-x)
		if got := Erfcx(x); got != want {
			t.Errorf("Erfcx(%v) = %v, want %v", x, got, want)
		}
	}
	if !math.IsNaN(Erfcx(math.NaN())) {
		t.Error("Erfcx(NaN) is not NaN")
	}
	if got := Erfcx(math.Inf(1)); got != 0 {
		t.Errorf("Erfcx(+Inf) = %v, want 0", got)
	}
}
