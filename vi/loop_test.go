package vi_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/vi"
)

// TestFitLoop runs a reverse-KL objective through the fit loop with
// resampled draws and Adam: the history has the loss's standard error as
// a column, and two runs are byte-identical (the draws of epoch n depend
// only on the seed and n, which the loop passes through StartEpoch).
func TestFitLoop(t *testing.T) {
	tg, err := vi.NewNormalTarget([]float64{1, -2, 0.5}, sym([][]float64{{2, 0.5, 0}, {0.5, 1, 0.2}, {0, 0.2, 0.5}}))
	if err != nil {
		t.Fatal(err)
	}
	run := func() []byte {
		model, _ := vi.NewMVNormal(3)
		obj, err := vi.NewReverseKL(model, tg, vi.Options{Samples: 64, Seed: 3, Resample: true})
		if err != nil {
			t.Fatal(err)
		}
		res, err := fit.RunEvaluable(context.Background(), obj, "reverse_kl", fit.Options{Optimizer: &fit.Adam{LearningRate: 0.05}, Epochs: 100})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != fit.MaxEpochs || len(res.History.Report) != 1 || res.History.Report[0] != "loss_stderr" {
			t.Fatalf("status %s, report columns %v", res.Status, res.History.Report)
		}
		if se := res.History.ReportRow(res.History.Len() - 1)[0]; !(se > 0) {
			t.Errorf("standard error %v", se)
		}
		var b bytes.Buffer
		res.History.WriteCSV(&b)
		return b.Bytes()
	}
	if a, b := run(), run(); !bytes.Equal(a, b) {
		t.Error("two runs of the same seed differ")
	}
	model, _ := vi.NewMVNormal(3)
	obj, _ := vi.NewReverseKL(model, tg, vi.Options{Samples: 64, Seed: 3})
	if _, err := fit.RunEvaluable(context.Background(), obj, "reverse_kl", fit.Options{Optimizer: &fit.NaturalGradient{}, Epochs: 1}); err == nil {
		t.Error("the natural gradient ran without a grid problem")
	}
}
