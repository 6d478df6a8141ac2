package divergence_test

import (
	"errors"
	"math"
	"testing"

	"github.com/klfit/klfit/divergence"
)

func logs(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Log(x)
	}
	return out
}

// TestForwardKLValue checks the value against the sum written out, the
// 0 log 0 = 0 rule, and KL(P||P) = 0.
func TestForwardKLValue(t *testing.T) {
	p := []float64{0.5, 0.25, 0.25, 0}
	q := []float64{0.25, 0.25, 0.25, 0.25}
	got, err := divergence.ForwardKL{}.Eval(p, logs(p), q, logs(q), nil)
	want := 0.5*math.Log(2) + 0.25*math.Log(1) + 0.25*math.Log(1)
	if err != nil || math.Abs(got-want) > 1e-16 {
		t.Errorf("KL = %v, %v; want %v", got, err, want)
	}
	if self, _ := (divergence.ForwardKL{}).Eval(q, logs(q), q, logs(q), nil); self != 0 {
		t.Errorf("KL(Q||Q) = %v", self)
	}
}

// TestForwardKLDerivative checks h_i = dD/dlogq_i by central differences in
// log q (the divergence is treated as a function of free log-masses).
func TestForwardKLDerivative(t *testing.T) {
	p := []float64{0.1, 0.4, 0.3, 0.2}
	logq := logs([]float64{0.3, 0.3, 0.2, 0.2})
	exp := func(l []float64) []float64 {
		out := make([]float64, len(l))
		for i, v := range l {
			out[i] = math.Exp(v)
		}
		return out
	}
	h := make([]float64, 4)
	if _, err := (divergence.ForwardKL{}).Eval(p, logs(p), exp(logq), logq, h); err != nil {
		t.Fatal(err)
	}
	for i := range logq {
		const d = 1e-6
		up, dn := append([]float64(nil), logq...), append([]float64(nil), logq...)
		up[i] += d
		dn[i] -= d
		fu, _ := divergence.ForwardKL{}.Eval(p, logs(p), exp(up), up, nil)
		fd, _ := divergence.ForwardKL{}.Eval(p, logs(p), exp(dn), dn, nil)
		if fdiff := (fu - fd) / (2 * d); math.Abs(fdiff-h[i]) > 1e-8 {
			t.Errorf("h[%d] = %v, finite differences %v", i, h[i], fdiff)
		}
	}
}

func TestForwardKLSupport(t *testing.T) {
	p := []float64{0.5, 0.5, 0}
	q := []float64{0, 0.5, 0.5}
	got, err := divergence.ForwardKL{}.Eval(p, logs(p), q, logs(q), nil)
	var se *divergence.SupportError
	if !math.IsInf(got, 1) || !errors.As(err, &se) || se.Index != 0 {
		t.Errorf("got %v, %v; want +Inf and a support error at index 0", got, err)
	}
	// Mass of Q where P has none is fine for the forward direction.
	got, err = divergence.ForwardKL{}.Eval(q[1:], logs(q[1:]), p[:2], logs(p[:2]), nil)
	if err != nil || math.IsInf(got, 0) || math.IsNaN(got) {
		t.Errorf("got %v, %v", got, err)
	}
}

func TestLookup(t *testing.T) {
	if d, err := divergence.Lookup("kl"); err != nil || d.Name() != "kl" {
		t.Errorf("Lookup(kl) = %v, %v", d, err)
	}
	if _, err := divergence.Lookup("kullback"); err == nil {
		t.Error("unknown divergence accepted")
	}
}
