package vi_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
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

// TestResumeIsExact runs a reverse-KL fit straight through, and the same
// fit interrupted at epoch stopAt, its checkpoint written to a file and
// resumed with a fresh objective: the histories must agree bit for bit,
// with draws fixed, drawn afresh at each epoch, and quasi-Monte Carlo
// (drawn afresh too), from the interruption's checkpoint and from the
// periodic ones.
func TestResumeIsExact(t *testing.T) {
	const epochs, stopAt, every = 40, 13, 5
	tg, err := vi.NewFormula("-x1^2/2 - (x2 - x1^2)^2", 2)
	if err != nil {
		t.Fatal(err)
	}
	for name, opt := range map[string]vi.Options{
		"fixed":    {Samples: 64, Seed: 1},
		"resample": {Samples: 64, Seed: 1, Resample: true},
		"qmc":      {Samples: 64, Seed: 1, Resample: true, QMC: true},
	} {
		t.Run(name, func(t *testing.T) {
			fresh := func() *vi.ReverseKL {
				model, _ := vi.NewMVNormal(2)
				obj, err := vi.NewReverseKL(model, tg, opt)
				if err != nil {
					t.Fatal(err)
				}
				return obj
			}
			adam := func() fit.Optimizer { return &fit.Adam{LearningRate: 0.05} }
			want, err := fit.RunEvaluable(context.Background(), fresh(), "reverse_kl", fit.Options{Optimizer: adam(), Epochs: epochs})
			if err != nil || want.Status != fit.MaxEpochs {
				t.Fatal(err, want.Status)
			}
			dir := t.TempDir()
			var paths []string
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stop := fit.ObserverFunc(func(ev *fit.Event) {
				if ev.Epoch == stopAt {
					cancel()
				}
			})
			save := func(cp *fit.Checkpoint) error {
				path := filepath.Join(dir, fmt.Sprintf("cp%d-%s.json", cp.Epoch, cp.Status))
				paths = append(paths, path)
				return cp.WriteFile(path)
			}
			part, err := fit.RunEvaluable(ctx, fresh(), "reverse_kl", fit.Options{Optimizer: adam(), Epochs: epochs,
				Observers: []fit.Observer{stop}, Checkpoint: save, CheckpointEvery: every})
			if err != nil || part.CheckpointErr != nil || part.Status != fit.Interrupted || len(paths) != 1+stopAt/every {
				t.Fatalf("%v %v: %s, checkpoints %v", err, part.CheckpointErr, part.Status, paths)
			}
			for _, path := range paths {
				cp, err := fit.ReadCheckpoint(path)
				if err != nil {
					t.Fatal(err)
				}
				got, err := fit.RunEvaluable(context.Background(), fresh(), "reverse_kl", fit.Options{Optimizer: adam(), Epochs: epochs, Resume: cp})
				if err != nil {
					t.Fatalf("resumed from epoch %d: %v", cp.Epoch, err)
				}
				if got.Status != want.Status || !slices.Equal(got.History.Losses(), want.History.Losses()) ||
					!slices.Equal(got.History.Thetas(), want.History.Thetas()) || !slices.Equal(got.History.Reports(), want.History.Reports()) {
					t.Errorf("resumed from epoch %d: the history differs from the uninterrupted fit's", cp.Epoch)
				}
			}
		})
	}
}
