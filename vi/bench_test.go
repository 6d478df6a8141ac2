package vi_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/vi"
)

// benchTarget returns N(mu, sigma) in d dimensions with sigma = A A^T/d +
// I for a standard normal A, as bench/vi_step.py builds it.
func benchTarget(b *testing.B, d int) *vi.NormalTarget {
	rng := rand.New(rand.NewPCG(1, uint64(d)))
	a := mat.NewDense(d, d, nil)
	mu := make([]float64, d)
	for i := range d {
		mu[i] = rng.NormFloat64()
		for j := range d {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	sigma := mat.NewSymDense(d, nil)
	sigma.SymOuterK(1/float64(d), a)
	for i := range d {
		sigma.SetSym(i, i, sigma.At(i, i)+1)
	}
	nt, err := vi.NewNormalTarget(mu, sigma)
	if err != nil {
		b.Fatal(err)
	}
	return nt
}

// BenchmarkReverseKLStep times one reverse-KL step of a full-rank normal
// model to a normal target: 64 fixed draws, the loss, its standard error
// and its gradient, and a gradient-descent update (fit.GD's Step). The
// PyTorch equivalent is bench/vi_step.py.
func BenchmarkReverseKLStep(b *testing.B) {
	for _, d := range []int{10, 100} {
		b.Run(fmt.Sprintf("d=%d", d), func(b *testing.B) {
			m, _ := vi.NewMVNormal(d)
			obj, err := vi.NewReverseKL(m, benchTarget(b, d), vi.Options{Samples: 64, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			s := &fit.State{U: make([]float64, obj.Len()), Grad: make([]float64, obj.Len())}
			obj.Init(s.U)
			if s.Loss, err = obj.Eval(s.U, s.Grad); err != nil {
				b.Fatal(err)
			}
			opt := &fit.GD{LearningRate: 1e-4}
			b.ReportAllocs()
			for b.Loop() {
				if err := opt.Step(s, obj.Eval); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
