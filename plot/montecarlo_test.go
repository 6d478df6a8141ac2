package plot_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/plot"
	"github.com/klfit/klfit/vi"
	"gonum.org/v1/gonum/mat"
)

// TestMonteCarloFigures checks the figures of a fit without a grid: a
// trace per mean and per variance (not the covariances off the diagonal)
// and the loss with its band of two standard errors, whose edges are the
// loss minus and plus twice the loss_stderr column.
func TestMonteCarloFigures(t *testing.T) {
	tg, err := vi.NewNormalTarget([]float64{1, 2}, mat.NewSymDense(2, []float64{2, 0.5, 0.5, 1}))
	if err != nil {
		t.Fatal(err)
	}
	model, _ := vi.NewMVNormal(2)
	obj, _ := vi.NewReverseKL(model, tg, vi.Options{Samples: 16, Seed: 1})
	res, err := fit.RunEvaluable(context.Background(), obj, "reverse_kl", fit.Options{Optimizer: &fit.GD{LearningRate: 0.1}, Epochs: 3})
	if err != nil {
		t.Fatal(err)
	}
	h := res.History
	figs := plot.MonteCarloFigures(fit.NewHistory("kl", []string{"mean[0]", "variance[0]"}), "KL")
	if figs != nil {
		t.Errorf("an empty history gave %d figures", len(figs))
	}
	names := func(figs []plot.Figure) []string {
		var out []string
		for _, f := range figs {
			out = append(out, f.Name)
		}
		return out
	}
	h2 := fit.NewHistory("kl", []string{"mean[0]", "variance[0]"})
	h2.Append(1, []float64{0, 1})
	if got := names(plot.MonteCarloFigures(h2, "KL(P||Q) + H(P)")); !slices.Equal(got, []string{"mean_0", "variance_0", "loss"}) {
		t.Errorf("figures %v", got)
	}
	figs = plot.MonteCarloFigures(h, "KL(Q||P) - log Z")
	if got := names(figs); !slices.Equal(got, []string{"mean_0", "mean_1", "covariance_0_0", "covariance_1_1", "loss"}) {
		t.Fatalf("figures %v", got)
	}
	loss := figs[4].Curves
	if len(loss) != 3 {
		t.Fatalf("the loss figure has %d curves, want the band's two and the loss", len(loss))
	}
	for r := range h.Len() {
		l, se := h.Loss(r), h.ReportRow(r)[0]
		if !(se > 0) || loss[0].Y[r] != l-2*se || loss[1].Y[r] != l+2*se || loss[2].Y[r] != l {
			t.Errorf("epoch %d: loss %v ± 2 x %v, curves %v %v %v", r, l, se, loss[0].Y[r], loss[1].Y[r], loss[2].Y[r])
		}
	}
}

// TestSaveGrid draws a corner of figures with a blank cell and checks
// both files are written and not empty.
func TestSaveGrid(t *testing.T) {
	dir := t.TempDir()
	f := &plot.Figure{Curves: []plot.Curve{{X: []float64{0, 1}, Y: []float64{1, 0}}}}
	paths, err := plot.SaveGrid(dir, "corner", [][]*plot.Figure{{f, nil}, {f, f}})
	if err != nil || len(paths) != 2 {
		t.Fatalf("%v, %v", paths, err)
	}
	for _, ext := range []string{"png", "svg"} {
		st, err := os.Stat(filepath.Join(dir, "corner."+ext))
		if err != nil || st.Size() < 1000 {
			t.Errorf("corner.%s: %v", ext, err)
		}
	}
}
