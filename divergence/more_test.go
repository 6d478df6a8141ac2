package divergence_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/klfit/klfit/divergence"
)

func exps(l []float64) []float64 {
	out := make([]float64, len(l))
	for i, v := range l {
		out[i] = math.Exp(v)
	}
	return out
}

func mustNew(t *testing.T, name string, opts map[string]float64) divergence.Divergence {
	t.Helper()
	d, err := divergence.New(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// allDifferentiable returns every divergence that can be minimized, with
// several orders for the parametrized ones.
func allDifferentiable(t *testing.T) []divergence.Divergence {
	return []divergence.Divergence{
		divergence.ForwardKL{}, divergence.ReverseKL{}, divergence.JS{}, divergence.Hellinger{},
		mustNew(t, "renyi", map[string]float64{"alpha": 0.3}),
		mustNew(t, "renyi", map[string]float64{"alpha": 2.5}),
		mustNew(t, "alpha", map[string]float64{"alpha": -0.5}),
		mustNew(t, "alpha", map[string]float64{"alpha": 0.5}),
		mustNew(t, "alpha", map[string]float64{"alpha": 1.7}),
	}
}

// TestDerivatives checks every h_i = dD/dlogq_i against central finite
// differences in the free log-masses, on probability vectors with and
// without zeros in P (Q keeps full support so that no divergence is
// infinite). Step 1e-6 on values of order 1 gives a truncation error of
// order 1e-12 and a rounding error of order 1e-16/1e-6 = 1e-10, so 1e-8
// (scaled by the value, whose rounding it is) has a wide margin and still
// catches any wrong term.
func TestDerivatives(t *testing.T) {
	cases := []struct{ p, q []float64 }{
		{[]float64{0.1, 0.4, 0.3, 0.2}, []float64{0.3, 0.3, 0.2, 0.2}},
		{[]float64{0.05, 0.6, 0.35, 0}, []float64{0.1, 0.2, 0.3, 0.4}},
		{[]float64{1e-9, 0.5, 0.5 - 1e-9}, []float64{0.7, 0.2, 0.1}},
	}
	for _, d := range allDifferentiable(t) {
		for ci, c := range cases {
			if c.p[len(c.p)-1] == 0 && (d.Name() == "reverse_kl" || divergence.Label(d) == "alpha(alpha=-0.5)") {
				continue // infinite where P is 0 and Q is not: TestSupport checks that
			}
			logp, logq := logs(c.p), logs(c.q)
			h := make([]float64, len(c.q))
			v, err := d.Eval(c.p, logp, c.q, logq, h)
			if err != nil || math.IsNaN(v) {
				t.Fatalf("%s case %d: %v, %v", divergence.Label(d), ci, v, err)
			}
			for i := range logq {
				const step = 1e-6
				up, dn := append([]float64(nil), logq...), append([]float64(nil), logq...)
				up[i] += step
				dn[i] -= step
				fu, _ := d.Eval(c.p, logp, exps(up), up, nil)
				fd, _ := d.Eval(c.p, logp, exps(dn), dn, nil)
				// Rounding in fu - fd grows with the value (|v| eps / step).
				if fdiff := (fu - fd) / (2 * step); math.Abs(fdiff-h[i]) > 1e-8*max(1, math.Abs(v)) {
					t.Errorf("%s case %d: h[%d] = %v, finite differences %v", divergence.Label(d), ci, i, h[i], fdiff)
				}
			}
		}
	}
}

// TestValues checks each divergence against its formula written out
// naively (plain products and logs, fine on these well-scaled vectors) and
// the identities between them: D(P,P) = 0, Rényi and Amari tend to KL as
// alpha -> 1, Amari to reverse KL as alpha -> 0, Amari(1/2) = 4 H^2.
func TestValues(t *testing.T) {
	p := []float64{0.1, 0.4, 0.3, 0.2}
	q := []float64{0.25, 0.25, 0.3, 0.2}
	lp, lq := logs(p), logs(q)
	var kl, rkl, js, hel, tv, bc, s2 float64
	for i := range p {
		m := (p[i] + q[i]) / 2
		kl += p[i] * math.Log(p[i]/q[i])
		rkl += q[i] * math.Log(q[i]/p[i])
		js += 0.5*p[i]*math.Log(p[i]/m) + 0.5*q[i]*math.Log(q[i]/m)
		hel += 0.5 * math.Pow(math.Sqrt(p[i])-math.Sqrt(q[i]), 2)
		tv += 0.5 * math.Abs(p[i]-q[i])
		bc += math.Pow(p[i], 0.3) * math.Pow(q[i], 0.7)
		s2 += math.Pow(p[i], 2) * math.Pow(q[i], -1)
	}
	eval := func(d divergence.Divergence) float64 {
		v, err := d.Eval(p, lp, q, lq, nil)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name      string
		got, want float64
		tol       float64 // 1e-14: a few roundings of order-1 sums; 1e-5 or so for limits, see below
	}{
		{"reverse_kl", eval(divergence.ReverseKL{}), rkl, 1e-14},
		{"js", eval(divergence.JS{}), js, 1e-14},
		{"hellinger", eval(divergence.Hellinger{}), hel, 1e-14},
		{"tv", eval(divergence.TV{}), tv, 1e-14},
		{"renyi 0.3", eval(divergence.Renyi{Alpha: 0.3}), math.Log(bc) / (0.3 - 1), 1e-14},
		{"renyi 2", eval(divergence.Renyi{Alpha: 2}), math.Log(s2), 1e-14},
		{"amari 0.3", eval(divergence.Alpha{Alpha: 0.3}), (1 - bc) / (0.3 * 0.7), 1e-13},
		{"amari 0.5 = 4 H^2", eval(divergence.Alpha{Alpha: 0.5}), 4 * hel, 1e-14},
		// The limits are first order in (1 - alpha) or alpha: with 1e-6
		// the gap is about 1e-6 times a third-moment term of order 1.
		{"renyi -> kl", eval(divergence.Renyi{Alpha: 1 - 1e-6}), kl, 1e-5},
		{"amari -> kl", eval(divergence.Alpha{Alpha: 1 - 1e-6}), kl, 1e-5},
		{"amari -> reverse kl", eval(divergence.Alpha{Alpha: 1e-6}), rkl, 1e-5},
	} {
		if math.Abs(c.got-c.want) > c.tol {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for _, d := range append(allDifferentiable(t), divergence.TV{}) {
		if v, err := d.Eval(p, lp, p, lp, nil); err != nil || math.Abs(v) > 1e-15 {
			t.Errorf("%s(P, P) = %v, %v", divergence.Label(d), v, err)
		}
	}
	if js > math.Ln2 {
		t.Errorf("JS %v above log 2", js)
	}
	// Disjoint supports: JS is log 2, Hellinger and TV are 1.
	a, b := []float64{1, 0}, []float64{0, 1}
	for _, c := range []struct {
		d    divergence.Divergence
		want float64
	}{{divergence.JS{}, math.Ln2}, {divergence.Hellinger{}, 1}, {divergence.TV{}, 1}} {
		if v, err := c.d.Eval(a, logs(a), b, logs(b), nil); err != nil || math.Abs(v-c.want) > 1e-15 {
			t.Errorf("%s on disjoint supports = %v, %v; want %v", c.d.Name(), v, err, c.want)
		}
	}
}

// TestSupport checks the +Inf cases and their reasons, and that the 0 log 0
// convention keeps the other cases finite.
func TestSupport(t *testing.T) {
	p := []float64{0.5, 0.5, 0}     // target without mass at index 2
	q := []float64{0.5, 0.25, 0.25} // model with full support
	r := []float64{0, 0.5, 0.5}     // model without mass at index 0
	for _, c := range []struct {
		d      divergence.Divergence
		p, q   []float64
		index  int
		reason string
	}{
		{divergence.ReverseKL{}, p, q, 2, "the model has mass where the target has none"},
		{divergence.ForwardKL{}, p, r, 0, "the target has mass where the model has none"},
		{divergence.Renyi{Alpha: 2}, p, r, 0, "the target has mass where the model has none"},
		{divergence.Renyi{Alpha: 0.5}, []float64{1, 0}, []float64{0, 1}, 0, "no mass in common"},
		{divergence.Alpha{Alpha: 2}, p, r, 0, "the target has mass where the model has none"},
		{divergence.Alpha{Alpha: -1}, p, q, 2, "the model has mass where the target has none"},
	} {
		v, err := c.d.Eval(c.p, logs(c.p), c.q, logs(c.q), nil)
		var se *divergence.SupportError
		if !math.IsInf(v, 1) || !errors.As(err, &se) || se.Index != c.index || !strings.Contains(se.Reason, c.reason) {
			t.Errorf("%s: %v, %v; want +Inf at %d (%s)", divergence.Label(c.d), v, err, c.index, c.reason)
		}
	}
	// Finite where the zero is on the harmless side.
	for _, c := range []struct {
		d    divergence.Divergence
		p, q []float64
	}{
		{divergence.ReverseKL{}, q, r}, {divergence.Renyi{Alpha: 0.5}, p, r}, {divergence.Alpha{Alpha: 0.5}, p, r},
		{divergence.JS{}, p, r}, {divergence.Hellinger{}, p, r},
	} {
		h := make([]float64, 3)
		v, err := c.d.Eval(c.p, logs(c.p), c.q, logs(c.q), h)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s: %v, %v", divergence.Label(c.d), v, err)
		}
		for i, x := range h {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Errorf("%s: h[%d] = %v", divergence.Label(c.d), i, x)
			}
		}
	}
}

func TestTVReportOnly(t *testing.T) {
	p := []float64{0.5, 0.5}
	_, err := divergence.TV{}.Eval(p, logs(p), p, logs(p), make([]float64, 2))
	if err == nil || !strings.Contains(err.Error(), "reported") {
		t.Errorf("TV with a gradient: %v", err)
	}
	if _, ok := any(divergence.TV{}).(divergence.ReportOnly); !ok {
		t.Error("TV is not ReportOnly")
	}
}

func TestNew(t *testing.T) {
	for _, c := range []struct {
		name  string
		opts  map[string]float64
		label string
		err   string
	}{
		{"renyi", nil, "renyi(alpha=0.5)", ""},
		{"renyi", map[string]float64{"alpha": 2}, "renyi(alpha=2)", ""},
		{"alpha", map[string]float64{"alpha": -1}, "alpha(alpha=-1)", ""},
		{"js", nil, "js", ""},
		{"renyi", map[string]float64{"alpha": 1}, "", "use kl"},
		{"renyi", map[string]float64{"alpha": -2}, "", "must be > 0, got -2"},
		{"alpha", map[string]float64{"alpha": 0}, "", "use reverse_kl"},
		{"alpha", map[string]float64{"alpha": math.NaN()}, "", "finite"},
		{"renyi", map[string]float64{"beta": 1}, "", "unknown option for renyi (known: alpha)"},
		{"hellinger", map[string]float64{"alpha": 1}, "", "takes no options"},
		{"bhattacharyya", nil, "", "unknown divergence"},
	} {
		d, err := divergence.New(c.name, c.opts)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("New(%s, %v): error %v, want %q", c.name, c.opts, err, c.err)
		case c.err == "" && (err != nil || divergence.Label(d) != c.label):
			t.Errorf("New(%s, %v) = %v, %v; want %s", c.name, c.opts, d, err, c.label)
		}
	}
	for _, name := range divergence.Names() {
		d, _ := divergence.Lookup(name)
		if d.Direction() == "" || d.Symbol() == "" {
			t.Errorf("%s: no direction or symbol", name)
		}
	}
}
