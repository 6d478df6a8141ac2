package plot_test

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/plot"
)

// TestCompareFigures checks the comparison's data: one curve per run in
// each panel, the loss above the best floored at float64's resolution,
// long runs thinned, the wall-time panel on the runs' own times.
func TestCompareFigures(t *testing.T) {
	long := make([]float64, 20001)
	secs := make([]float64, 20001)
	for i := range long {
		long[i] = 23 + math.Exp(-float64(i)/100)
		secs[i] = float64(i) * 1e-4
	}
	runs := []plot.Run{
		{Name: "gd", Loss: long, Seconds: secs},
		{Name: "lbfgs", Loss: []float64{30, 24, 23}, Seconds: []float64{0, 0.001, 0.002}},
	}
	byEpoch, byTime := plot.CompareFigures(runs, 23)
	if len(byEpoch.Curves) != 2 || len(byTime.Curves) != 2 || !byEpoch.LogY || !byTime.LogX {
		t.Fatalf("panels %+v %+v", byEpoch, byTime)
	}
	lb := byEpoch.Curves[1]
	if lb.Label != "lbfgs" || lb.Y[0] != 7 || lb.Y[1] != 1 || lb.Y[2] != 23e-16 {
		t.Errorf("lbfgs curve %v", lb.Y)
	}
	gd := byEpoch.Curves[0]
	if n := len(gd.X); n > 4001 || gd.X[n-1] != 20000 {
		t.Errorf("gd curve: %d points, last at epoch %v", n, gd.X[n-1])
	}
	if tc := byTime.Curves[0]; len(tc.X) != len(gd.X) || tc.X[len(tc.X)-1] != 2 {
		t.Errorf("time curve of %d points ending at %v s", len(tc.X), tc.X[len(tc.X)-1])
	}
}

// TestLRFindFigure checks that stable and unstable rates are drawn apart
// and the suggestion marked at its rate.
func TestLRFindFigure(t *testing.T) {
	pts := []fit.LRPoint{
		{Rate: 0.01, Final: 10, Stable: true}, {Rate: 0.1, Final: 5, Stable: true},
		{Rate: 1, Final: 50, Stable: false}, {Rate: 10, Final: math.NaN(), Stable: false},
	}
	f := plot.LRFindFigure(pts, 1)
	if len(f.Curves) != 4 {
		t.Fatalf("%d curves", len(f.Curves))
	}
	if st := f.Curves[0]; len(st.X) != 2 || st.X[1] != 0.1 {
		t.Errorf("stable curve %v", st.X)
	}
	if un := f.Curves[2]; len(un.X) != 1 || un.X[0] != 1 || !un.Points {
		t.Errorf("unstable dots %v", un.X)
	}
	if s := f.Curves[3]; s.X[0] != 0.1 || s.X[1] != 0.1 || s.Y[0] != 5 || s.Y[1] != 50 || !strings.Contains(s.Label, "0.1") {
		t.Errorf("suggestion %+v", s)
	}
}

// TestWriteRow draws two panels side by side, with log axes and points
// that a log axis must leave out, as PNG (twice a figure's width) and SVG.
func TestWriteRow(t *testing.T) {
	a, b := plot.CompareFigures([]plot.Run{{Name: "x", Loss: []float64{2, 1, 1}, Seconds: []float64{0, 0.5, 1}}}, 1)
	var buf bytes.Buffer
	if err := plot.WriteRow(&buf, "png", a, b); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 2*int(float64(plot.Width/vg.Inch)*plot.DPI) || h != int(float64(plot.Height/vg.Inch)*plot.DPI) {
		t.Errorf("image %dx%d", w, h)
	}
	buf.Reset()
	if err := plot.WriteRow(&buf, "svg", a, b); err != nil || !bytes.Contains(buf.Bytes(), []byte("<svg")) {
		t.Errorf("svg: %v", err)
	}
	if err := plot.WriteRow(&buf, "gif", a); err == nil {
		t.Error("gif accepted")
	}
}
