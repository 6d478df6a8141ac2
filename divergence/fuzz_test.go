package divergence_test

import (
	"context"
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/target"
)

// FuzzGridContainsClosedForm draws a pair of members of a family with a
// closed form and a divergence, estimates it by grid quadrature alone,
// and requires a converged estimate to hold the closed form (the slow
// reference's stand-in, itself checked against mpmath) within its stated
// error, and a +Inf to agree with it. The seed corpus runs in go test.
func FuzzGridContainsClosedForm(f *testing.F) {
	f.Add(uint8(0), uint8(0), 0.0, 1.0, 1.0, 2.0)
	f.Add(uint8(1), uint8(2), 0.5, 0.3, 1.7, 0.1)
	f.Add(uint8(2), uint8(1), 3.0, 2.0, 2.0, 1.0)
	f.Add(uint8(3), uint8(0), 0.7, 2.5, 3.0, 3.0)
	f.Add(uint8(4), uint8(1), 0.0, 1.0, 0.5, 2.0)
	f.Add(uint8(5), uint8(0), 0.0, 0.5, 0.3, 0.7)
	f.Add(uint8(0), uint8(3), -1.0, 2.0, 1.0, 0.5)
	f.Add(uint8(0), uint8(4), 0.0, 1.0, 0.4, 3.0)
	f.Add(uint8(0), uint8(5), 0.0, 1.0, 0.0, 1.0)
	f.Add(uint8(0), uint8(6), 0.0, 4.0, 1.0, 1.0)
	f.Fuzz(func(t *testing.T, fam, div uint8, a, b, c, e float64) {
		type familyCase struct {
			name  string
			theta func(x, y float64) []float64
		}
		// Parameters squashed into ranges where the grid can afford the
		// window (scales from 0.05 to 20).
		pos := func(v float64) float64 { return 0.05 + 20/(1+math.Exp(-v)) }
		real := func(v float64) float64 { return 5 * math.Tanh(v/5) }
		fams := []familyCase{
			{"normal", func(x, y float64) []float64 { return []float64{real(x), pos(y)} }},
			{"exponential", func(x, _ float64) []float64 { return []float64{pos(x)} }},
			{"gamma", func(x, y float64) []float64 { return []float64{pos(x), pos(y)} }},
			{"beta", func(x, y float64) []float64 { return []float64{pos(x), pos(y)} }},
			{"laplace", func(x, y float64) []float64 { return []float64{real(x), pos(y)} }},
			{"lognormal", func(x, y float64) []float64 { return []float64{real(x) / 5, 0.1 + pos(y)/20} }},
		}
		for _, v := range []float64{a, b, c, e} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return
			}
		}
		fc := fams[int(fam)%len(fams)]
		divs := []string{"kl", "reverse_kl"}
		var d divergence.Divergence
		if fc.name == "normal" {
			all := []divergence.Divergence{divergence.ForwardKL{}, divergence.ReverseKL{}, divergence.Hellinger{},
				divergence.Renyi{Alpha: 0.5}, divergence.Renyi{Alpha: 2}, divergence.Alpha{Alpha: -0.5}, divergence.Alpha{Alpha: 2}}
			d = all[int(div)%len(all)]
		} else {
			d, _ = divergence.Lookup(divs[int(div)%2])
		}
		fm, err := dist.Lookup(fc.name)
		if err != nil {
			t.Fatal(err)
		}
		pt, qt := fc.theta(a, b), fc.theta(c, e)
		want, ok, err := divergence.ClosedForm(d, fc.name, pt, qt)
		if !ok {
			t.Fatalf("%s %s: no closed form", d.Name(), fc.name)
		}
		p, _ := divergence.FromTarget(target.Family{Family: fm, Theta: pt})
		q, _ := divergence.FromTarget(target.Family{Family: fm, Theta: qt})
		got, gerr := divergence.EstimateDivergence(context.Background(), d, p, q, divergence.Options{Method: divergence.MethodGrid, MaxPoints: 1 << 19})
		if gerr != nil {
			// A window the grid cannot find is an honest refusal.
			return
		}
		if err != nil || math.IsInf(want, 1) {
			if !math.IsInf(got.Value, 1) && got.Converged {
				t.Errorf("%s %s %v || %v: grid %.12g converged, closed form +Inf", divergence.Label(d), fc.name, pt, qt, got.Value)
			}
			return
		}
		if math.IsInf(got.Value, 1) {
			t.Errorf("%s %s %v || %v: grid +Inf (%s), closed form %.12g", divergence.Label(d), fc.name, pt, qt, got.Reason, want)
			return
		}
		if got.Converged && !(math.Abs(got.Value-want) <= got.Error) {
			t.Errorf("%s %s %v || %v: grid %.12g ± %.3g (%d points), closed form %.12g (off by %.3g)",
				divergence.Label(d), fc.name, pt, qt, got.Value, got.Error, got.Points, want, math.Abs(got.Value-want))
		}
	})
}
