package fmath

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// bigExp returns exp x to 256 bits: the series of exp(x/2^20), squared
// 20 times.
func bigExp(x float64) *big.Float {
	const prec = 256
	y := new(big.Float).SetPrec(prec).SetFloat64(x)
	y.SetMantExp(y, -20)
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for k := int64(1); k < 40; k++ {
		term.Mul(term, y)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(k))
		sum.Add(sum, term)
	}
	for range 20 {
		sum.Mul(sum, sum)
	}
	return sum
}

// TestExpUlps measures Exp against exp computed to 256 bits, at the ends
// of the table's steps, near 0 and across its range: every result within
// 0.55 units in the last place, as its documentation says.
func TestExpUlps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var xs []float64
	for j := -64 * 1000; j <= 64*1000; j += 97 {
		c := float64(j) * math.Ln2 / 64
		xs = append(xs, c, math.Nextafter(c, 0), c+math.Ln2/128, c-math.Ln2/128)
	}
	for range 20_000 {
		xs = append(xs, -700+1400*rng.Float64(), (rng.Float64()-0.5)*1e-3)
	}
	worst := 0.0
	for _, x := range xs {
		if !(x > -700 && x < 700) {
			continue
		}
		got := Exp(x)
		want := bigExp(x)
		ulp := math.Nextafter(got, math.Inf(1)) - got
		d := new(big.Float).Sub(new(big.Float).SetFloat64(got), want)
		e, _ := d.Float64()
		if u := math.Abs(e) / ulp; u > worst {
			worst = u
		}
	}
	t.Logf("worst error %.4f ulp over %d points", worst, len(xs))
	if worst > 0.55 {
		t.Errorf("worst error %.4f ulp, documented within 0.55", worst)
	}
}

var sink float64

// BenchmarkExp measures Exp and math.Exp on the same arguments, as
// latency (each argument depends on the previous result) and as
// throughput.
func BenchmarkExp(b *testing.B) {
	xs := make([]float64, 1024)
	for i := range xs {
		xs[i] = float64(i%200) - 100.5
	}
	for _, f := range []struct {
		name string
		exp  func(float64) float64
	}{{"fmath", Exp}, {"math", math.Exp}} {
		b.Run(f.name+"/latency", func(b *testing.B) {
			acc := 0.0
			for b.Loop() {
				for _, x := range xs {
					acc = f.exp(x + acc*1e-300)
				}
			}
			sink += acc
		})
		b.Run(f.name+"/throughput", func(b *testing.B) {
			acc := 0.0
			for b.Loop() {
				for _, x := range xs {
					acc += f.exp(x)
				}
			}
			sink += acc
		})
	}
}
