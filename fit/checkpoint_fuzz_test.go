package fit_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/klfit/klfit/fit"
)

// FuzzCheckpoint checks that no checkpoint file makes the reader or a
// resumed fit panic, and that a checkpoint that reads writes back to one
// that reads the same.
func FuzzCheckpoint(f *testing.F) {
	prob := notebookProblem(f)
	for _, opt := range []fit.Optimizer{&fit.GD{LearningRate: 0.01}, &fit.Adam{LearningRate: 0.05, Beta1: 0.9, Beta2: 0.999}, &fit.LBFGS{Store: 2}} {
		fit.Run(context.Background(), prob, fit.Options{Optimizer: opt, Epochs: 4, Checkpoint: func(cp *fit.Checkpoint) error {
			data, err := json.Marshal(cp)
			f.Add(data)
			return err
		}})
	}
	f.Add([]byte(`{"format":"klfit-checkpoint","version":1,"optimizer":"*fit.LBFGS","epoch":0,"u":[5,1],"loss":1,"grad":[1,1],"optimizer_state":[1e300],"backtracks":0,"elapsed_ns":0,"history":{"loss_name":"kl","names":["mean","variance"],"loss":[1],"theta":[5,1]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var cp fit.Checkpoint
		if err := json.Unmarshal(data, &cp); err != nil {
			return
		}
		again, err := json.Marshal(&cp)
		if err != nil {
			return // a non-finite number read from a file cannot be written
		}
		var back fit.Checkpoint
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatalf("a written checkpoint does not read: %v", err)
		}
		if back.Epoch != cp.Epoch || !slices.Equal(back.U, cp.U) || !slices.Equal(back.History.Losses(), cp.History.Losses()) || !slices.Equal(back.History.Thetas(), cp.History.Thetas()) {
			t.Fatal("the checkpoint changed on a round trip")
		}
		for _, opt := range []fit.Optimizer{&fit.GD{LearningRate: 0.01}, &fit.Adam{LearningRate: 0.05}, &fit.LBFGS{Store: 2}, &fit.Momentum{LearningRate: 0.01, Momentum: 0.9}} {
			fit.Run(context.Background(), prob, fit.Options{Optimizer: opt, Epochs: cp.Epoch + 2, Resume: &cp})
		}
	})
}
