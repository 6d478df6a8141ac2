package divergence

import (
	"errors"
	"fmt"
	"math"
)

// The divergences other than forward KL compare probability vectors: P
// must sum to 1 (the spec's "normalized" target weights). Every one of them
// follows the 0 log 0 = 0 convention, works from log-masses so that
// nothing underflows, and reports +Inf with a *SupportError when the
// supports of P and Q make it infinite. A model mass that underflows to 0
// in float64 counts as no mass.

func init() {
	Register(ReverseKL{})
	Register(JS{})
	Register(Hellinger{})
	Register(Renyi{Alpha: 0.5})
	Register(Alpha{Alpha: 0.5})
	Register(TV{})
}

const (
	reasonModelMass  = "the model has mass where the target has none"
	reasonTargetMass = "the target has mass where the model has none"
)

// ReverseKL is KL(Q||P) = sum_{Q_i>0} Q_i log(Q_i/P_i), the "exclusive"
// direction used by variational inference. Minimized over Q it is
// mode-seeking: Q must put no mass where P has none and settles on one
// mode of a multimodal P rather than covering them all.
//
// h_i = Q_i (log Q_i - log P_i + 1). Special cases: +Inf with a
// *SupportError when Q_i > 0 and P_i = 0 at some point.
type ReverseKL struct{}

// Additive marks the divergence as a sum of pointwise terms.
func (ReverseKL) Additive() {}

// Name returns "reverse_kl".
func (ReverseKL) Name() string { return "reverse_kl" }

// Symbol returns "KL(Q||P)".
func (ReverseKL) Symbol() string { return "KL(Q||P)" }

// Direction describes the direction of the divergence.
func (ReverseKL) Direction() string {
	return "reverse KL(Q||P) = sum Q log(Q/P), P the target, Q the model: mode-seeking"
}

// Eval implements Divergence.
func (ReverseKL) Eval(p, logp, q, logq, h []float64) (float64, error) {
	var sum float64
	bad := -1
	for i, qi := range q {
		if qi > 0 {
			// The target's support, by its log-mass: a mass that
			// underflowed to 0 still has a finite log.
			if math.IsInf(logp[i], -1) && bad < 0 {
				bad = i
			}
			d := logq[i] - logp[i]
			sum += qi * d
			if h != nil {
				h[i] = qi * (d + 1)
			}
		} else if h != nil {
			h[i] = 0
		}
	}
	if bad >= 0 {
		return math.Inf(1), &SupportError{Index: bad, Reason: reasonModelMass}
	}
	return sum, nil
}

// JS is the Jensen-Shannon divergence
//
//	JS(P, Q) = KL(P||M)/2 + KL(Q||M)/2,  M = (P+Q)/2,
//
// symmetric and bounded by log 2 whatever the supports, so it never is
// infinite.
//
// h_i = Q_i (log Q_i - log M_i)/2.
type JS struct{}

// Additive marks the divergence as a sum of pointwise terms.
func (JS) Additive() {}

// Name returns "js".
func (JS) Name() string { return "js" }

// Symbol returns "JS(P,Q)".
func (JS) Symbol() string { return "JS(P,Q)" }

// Direction describes the divergence.
func (JS) Direction() string {
	return "Jensen-Shannon JS(P,Q) = KL(P||M)/2 + KL(Q||M)/2, M = (P+Q)/2: symmetric, between 0 and log 2"
}

// Eval implements Divergence.
func (JS) Eval(p, logp, q, logq, h []float64) (float64, error) {
	var sum float64
	for i := range p {
		lm := logAddExp(logp[i], logq[i]) - math.Ln2
		if p[i] > 0 {
			sum += p[i] * (logp[i] - lm)
		}
		var hi float64
		if q[i] > 0 {
			d := logq[i] - lm
			sum += q[i] * d
			hi = q[i] * d / 2
		}
		if h != nil {
			h[i] = hi
		}
	}
	return sum / 2, nil
}

// Sup implements Bounded: log 2.
func (JS) Sup() (float64, bool) { return math.Ln2, true }

// logAddExp returns log(exp(a) + exp(b)) without overflow or underflow.
func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(a, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// Hellinger is the squared Hellinger distance
//
//	H^2(P, Q) = sum (sqrt P_i - sqrt Q_i)^2 / 2 = 1 - sum sqrt(P_i Q_i),
//
// symmetric, between 0 and 1, never infinite.
//
// h_i = (Q_i - sqrt(P_i Q_i))/2.
type Hellinger struct{}

// Additive marks the divergence as a sum of pointwise terms.
func (Hellinger) Additive() {}

// Name returns "hellinger".
func (Hellinger) Name() string { return "hellinger" }

// Symbol returns "H^2(P,Q)".
func (Hellinger) Symbol() string { return "H^2(P,Q)" }

// Direction describes the divergence.
func (Hellinger) Direction() string {
	return "squared Hellinger H^2(P,Q) = sum (sqrt P - sqrt Q)^2 / 2: symmetric, between 0 and 1"
}

// Eval implements Divergence.
func (Hellinger) Eval(p, logp, q, logq, h []float64) (float64, error) {
	var sum float64
	for i := range p {
		d := math.Sqrt(p[i]) - math.Sqrt(q[i])
		sum += d * d
		if h != nil {
			h[i] = (q[i] - math.Exp((logp[i]+logq[i])/2)) / 2
		}
	}
	return sum / 2, nil
}

// Sup implements Bounded: 1.
func (Hellinger) Sup() (float64, bool) { return 1, true }

// Renyi is the Rényi divergence of order Alpha (> 0, not 1)
//
//	D_alpha(P||Q) = log(sum P_i^alpha Q_i^(1-alpha)) / (alpha - 1),
//
// which tends to forward KL(P||Q) as alpha tends to 1. Minimized over Q,
// alpha < 1 leans toward mode-seeking (alpha -> 0 is -log Q(support of P))
// and alpha > 1 is more mass-covering than KL.
//
// With w_i = P_i^alpha Q_i^(1-alpha) / sum_j P_j^alpha Q_j^(1-alpha),
// h_i = -w_i. Special cases: +Inf with a *SupportError when alpha > 1 and
// the target has mass where the model has none, or when P and Q have no
// mass in common.
type Renyi struct {
	Alpha float64
}

// Name returns "renyi".
func (Renyi) Name() string { return "renyi" }

// Symbol returns e.g. "D_0.5(P||Q)".
func (r Renyi) Symbol() string { return fmt.Sprintf("D_%v(P||Q)", r.Alpha) }

// Direction describes the direction of the divergence.
func (r Renyi) Direction() string {
	return fmt.Sprintf("Renyi D_alpha(P||Q) = log(sum P^alpha Q^(1-alpha))/(alpha-1), alpha = %v, P the target, Q the model: "+
		"alpha -> 1 is forward KL; alpha < 1 leans toward mode-seeking, alpha > 1 is more mass-covering", r.Alpha)
}

// Settings returns alpha, default 0.5.
func (Renyi) Settings() []Setting {
	return []Setting{{Name: "alpha", Default: 0.5, Description: "order, > 0 and not 1 (1 is forward KL: use kl)"}}
}

// Values returns alpha.
func (r Renyi) Values() []float64 { return []float64{r.Alpha} }

// With returns the Rényi divergence of the given alpha.
func (Renyi) With(opts map[string]float64) (Divergence, error) {
	a := opts["alpha"]
	if err := checkAlpha(a, 1); err != nil {
		if a == 1 {
			return nil, &OptionError{Option: "alpha", Msg: "must not be 1 (the Renyi divergence of order 1 is forward KL: use kl)"}
		}
		return nil, err
	}
	if a <= 0 {
		return nil, &OptionError{Option: "alpha", Msg: fmt.Sprintf("must be > 0, got %v", a)}
	}
	return Renyi{Alpha: a}, nil
}

// Eval implements Divergence.
func (r Renyi) Eval(p, logp, q, logq, h []float64) (float64, error) {
	a := r.Alpha
	if !(a > 0) || a == 1 {
		return math.NaN(), errors.New("renyi: alpha must be > 0 and not 1")
	}
	// log S = logsumexp over the common support of alpha log P + (1-alpha) log Q.
	m := math.Inf(-1)
	for i := range p {
		if p[i] > 0 && q[i] > 0 {
			if t := a*logp[i] + (1-a)*logq[i]; t > m {
				m = t
			}
		} else if a > 1 && p[i] > 0 {
			return math.Inf(1), &SupportError{Index: i, Reason: reasonTargetMass}
		}
	}
	if math.IsInf(m, -1) {
		return math.Inf(1), &SupportError{Index: firstPositive(p), Reason: "the target and the model have no mass in common"}
	}
	// One exp per point: the terms exp(t - m), kept in h when it is
	// given, are scaled by -exp(m - log S) = -1/s afterwards.
	var s float64
	for i := range p {
		var e float64
		if p[i] > 0 && q[i] > 0 {
			e = math.Exp(a*logp[i] + (1-a)*logq[i] - m)
			s += e
		}
		if h != nil {
			h[i] = e
		}
	}
	logS := m + math.Log(s)
	if h != nil {
		f := -1 / s
		for i := range h {
			h[i] *= f
		}
	}
	return logS / (a - 1), nil
}

// Terms implements LogSum: u_i = alpha log P_i + (1-alpha) log Q_i over
// the common support.
func (r Renyi) Terms(p, logp, q, logq, u []float64) error {
	a := r.Alpha
	if !(a > 0) || a == 1 {
		return errors.New("renyi: alpha must be > 0 and not 1")
	}
	for i := range p {
		switch {
		case p[i] > 0 && q[i] > 0:
			u[i] = a*logp[i] + (1-a)*logq[i]
		case a > 1 && p[i] > 0:
			return &SupportError{Index: i, Reason: reasonTargetMass}
		default:
			u[i] = math.Inf(-1)
		}
	}
	return nil
}

// Finish implements LogSum: D = log S/(alpha - 1), and h_i = -S_i/S.
func (r Renyi) Finish(logS float64) (value, slope float64) {
	return logS / (r.Alpha - 1), -1
}

func firstPositive(p []float64) int {
	for i, v := range p {
		if v > 0 {
			return i
		}
	}
	return 0
}

// Alpha is Amari's alpha-divergence of order Alpha (not 0 or 1)
//
//	D_alpha(P||Q) = sum [alpha P_i + (1-alpha) Q_i - P_i^alpha Q_i^(1-alpha)] / (alpha (1-alpha)),
//
// which tends to forward KL(P||Q) as alpha tends to 1, to reverse KL(Q||P)
// as alpha tends to 0, and is four times the squared Hellinger distance at
// alpha = 1/2. Each term of the sum is >= 0, so the value is summed term by
// term without cancellation.
//
// h_i = (Q_i - P_i^alpha Q_i^(1-alpha))/alpha. Special cases: +Inf with a
// *SupportError when alpha > 1 and the target has mass where the model has
// none, or alpha < 0 and the model has mass where the target has none.
type Alpha struct {
	Alpha float64
}

// Name returns "alpha".
func (Alpha) Name() string { return "alpha" }

// Symbol returns e.g. "A_0.5(P||Q)".
func (d Alpha) Symbol() string { return fmt.Sprintf("A_%v(P||Q)", d.Alpha) }

// Direction describes the direction of the divergence.
func (d Alpha) Direction() string {
	return fmt.Sprintf("Amari alpha-divergence sum [alpha P + (1-alpha) Q - P^alpha Q^(1-alpha)]/(alpha(1-alpha)), alpha = %v, P the target, Q the model: "+
		"alpha -> 1 is forward KL(P||Q) (mass-covering), alpha -> 0 reverse KL(Q||P) (mode-seeking), 1/2 is 4 H^2", d.Alpha)
}

// Settings returns alpha, default 0.5.
func (Alpha) Settings() []Setting {
	return []Setting{{Name: "alpha", Default: 0.5, Description: "order, not 0 (reverse_kl) or 1 (kl)"}}
}

// Values returns alpha.
func (d Alpha) Values() []float64 { return []float64{d.Alpha} }

// With returns the alpha-divergence of the given alpha.
func (Alpha) With(opts map[string]float64) (Divergence, error) {
	a := opts["alpha"]
	switch a {
	case 0:
		return nil, &OptionError{Option: "alpha", Msg: "must not be 0 (the alpha-divergence of order 0 is reverse KL: use reverse_kl)"}
	case 1:
		return nil, &OptionError{Option: "alpha", Msg: "must not be 1 (the alpha-divergence of order 1 is forward KL: use kl)"}
	}
	if err := checkAlpha(a); err != nil {
		return nil, err
	}
	return Alpha{Alpha: a}, nil
}

// Eval implements Divergence.
func (d Alpha) Eval(p, logp, q, logq, h []float64) (float64, error) {
	a := d.Alpha
	if a == 0 || a == 1 || math.IsNaN(a) || math.IsInf(a, 0) {
		return math.NaN(), errors.New("alpha: alpha must be finite and not 0 or 1")
	}
	c := 1 / (a * (1 - a))
	var sum float64
	for i := range p {
		var t float64 // P^alpha Q^(1-alpha)
		switch {
		case p[i] > 0 && q[i] > 0:
			t = math.Exp(a*logp[i] + (1-a)*logq[i])
		case p[i] > 0 && a > 1:
			return math.Inf(1), &SupportError{Index: i, Reason: reasonTargetMass}
		case q[i] > 0 && a < 0:
			return math.Inf(1), &SupportError{Index: i, Reason: reasonModelMass}
		}
		sum += c * (a*p[i] + (1-a)*q[i] - t)
		if h != nil {
			h[i] = (q[i] - t) / a
		}
	}
	return sum, nil
}

// Sup implements Bounded: for 0 < alpha < 1, 1/(alpha (1-alpha)), the
// value where P and Q have no mass in common; none for other orders,
// where that value is +Inf.
func (d Alpha) Sup() (float64, bool) {
	a := d.Alpha
	if a > 0 && a < 1 {
		return 1 / (a * (1 - a)), true
	}
	return math.Inf(1), false
}

// TV is the total variation distance
//
//	TV(P, Q) = sum |P_i - Q_i| / 2,
//
// symmetric and between 0 and 1. Its derivative is a sign that carries no
// useful gradient, so it is reported only: Eval with h not nil returns an
// error.
type TV struct{}

// Additive marks the divergence as a sum of pointwise terms.
func (TV) Additive() {}

// Name returns "tv".
func (TV) Name() string { return "tv" }

// Symbol returns "TV(P,Q)".
func (TV) Symbol() string { return "TV(P,Q)" }

// Direction describes the divergence.
func (TV) Direction() string {
	return "total variation TV(P,Q) = sum |P - Q| / 2: symmetric, between 0 and 1; reported only, never minimized"
}

// Why says why TV cannot be minimized.
func (TV) Why() string {
	return "total variation has no useful gradient (it is piecewise linear in Q): it can be reported (report: [tv]) but not minimized"
}

// Sup implements Bounded: 1.
func (TV) Sup() (float64, bool) { return 1, true }

// Eval implements Divergence.
func (t TV) Eval(p, _, q, _, h []float64) (float64, error) {
	if h != nil {
		return math.NaN(), errors.New(t.Why())
	}
	var sum float64
	for i := range p {
		sum += math.Abs(p[i] - q[i])
	}
	return sum / 2, nil
}
