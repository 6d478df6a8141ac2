package fit

// NewGeneralObjective is NewObjectiveWith without the passes of their own
// that forward KL, Rényi and Hellinger take for some families: the general
// pass, which they hand an evaluation they cannot do.
func NewGeneralObjective(prob *Problem, eng Engine) *Objective { return newObjective(prob, eng, false) }

// RenyiPass reports whether o evaluates by the Rényi and Hellinger pass,
// and when it does, whether that pass evaluates u itself (rather than
// handing it to the general pass).
func (o *Objective) RenyiPass(u []float64) (taken, evaluates bool) {
	r, isRenyi := o.kl.(*renyiPass)
	if !isRenyi {
		return false, false
	}
	o.prob.Transform.Theta(o.theta, u)
	_, ok := r.eval(o.theta, nil)
	return true, ok
}
