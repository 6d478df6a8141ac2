package target_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

func TestMasses(t *testing.T) {
	a, _ := grid.Arange(-10, 10, 0.1)
	g := grid.New1D(a)
	tg := target.Family{Family: dist.Normal{}, Theta: []float64{0, 7}}
	dens, err := target.Masses(tg, g, target.Density)
	if err != nil {
		t.Fatal(err)
	}
	// The notebook's p_pdf: 1/sqrt(7)/sqrt(2 pi) exp(-x^2/14).
	var sum float64
	for i, x := range g.X {
		want := 1 / math.Sqrt(7) / math.Sqrt(2*math.Pi) * math.Exp(-x*x/14)
		if math.Abs(dens[i]-want) > 1e-15 {
			t.Errorf("density at %v: %v, want %v", x, dens[i], want)
		}
		sum += dens[i]
	}
	// sum p_i is about 1/step: 9.998 for this grid.
	if math.Abs(sum-9.998) > 1e-3 {
		t.Errorf("sum of density values %v, want about 9.998", sum)
	}
	norm, err := target.Masses(tg, g, target.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for i := range norm {
		total += norm[i]
		if math.Abs(norm[i]-dens[i]/sum) > 1e-17 {
			t.Fatalf("normalized mass %d: %v, want %v", i, norm[i], dens[i]/sum)
		}
	}
	if math.Abs(total-1) > 1e-14 {
		t.Errorf("normalized masses sum to %v", total)
	}
}

// constant is a target with given values, for the error tests.
type constant []float64

func (c constant) Dim() int       { return 1 }
func (c constant) String() string { return "constant" }
func (c constant) Density(dst []float64, _ *grid.Grid) error {
	copy(dst, c)
	return nil
}

func TestMassesErrors(t *testing.T) {
	a, _ := grid.Arange(0, 3, 1)
	g := grid.New1D(a)
	for _, tc := range []struct {
		values []float64
		want   string
	}{
		{[]float64{1, -1, 1}, "x=1"},
		{[]float64{1, math.NaN(), 1}, "x=1"},
		{[]float64{1, 1, math.Inf(1)}, "x=2"},
		{[]float64{0, 0, 0}, "zero at every grid point"},
	} {
		_, err := target.Masses(constant(tc.values), g, target.Normalized)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("values %v: error %v, want one mentioning %q", tc.values, err, tc.want)
		}
	}
}

func TestParseWeights(t *testing.T) {
	for _, w := range []target.Weights{target.Normalized, target.Density} {
		got, err := target.ParseWeights(w.String())
		if err != nil || got != w {
			t.Errorf("ParseWeights(%q) = %v, %v", w.String(), got, err)
		}
	}
	if _, err := target.ParseWeights("raw"); err == nil {
		t.Error("unknown weights accepted")
	}
}

func ExampleFamily_String() {
	fmt.Println(target.Family{Family: dist.Normal{}, Theta: []float64{0, 7}})
	// Output: normal(mean=0, variance=7)
}
