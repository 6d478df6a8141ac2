package fit

import (
	"math"
	"strconv"

	"github.com/klfit/klfit/divergence"
)

// reporter evaluates the reported divergences at every recorded state. It
// has its own objective on the general pass (the fit's own may take a
// specialized pass that computes only its divergence), which normalizes the
// model once per state for all the reported divergences.
type reporter struct {
	obj  *Objective
	divs []divergence.Divergence
	hist *History
	vals []float64
}

func newReporter(prob *Problem, eng Engine, divs []divergence.Divergence, h *History) *reporter {
	r := &reporter{divs: divs, hist: h, vals: make([]float64, len(divs))}
	if len(divs) == 0 {
		return r
	}
	eng.Plain = true // h's report columns are NewHistoryFor's
	r.obj = NewObjectiveWith(prob, eng)
	return r
}

// ReportColumn returns the history column name of a reported divergence:
// its name, followed by its option values for divergences that take
// options (renyi_0.5).
func ReportColumn(d divergence.Divergence) string {
	name := d.Name()
	if c, ok := d.(divergence.Configurable); ok {
		for _, v := range c.Values() {
			name += "_" + strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	return name
}

// record appends the reported divergences at u to the history's last row
// and returns them (nil when none are reported; the slice is reused). A
// value that cannot be computed (an infinite divergence) is recorded as it
// came (+Inf) or as NaN; it does not stop the fit.
func (r *reporter) record(u []float64) []float64 {
	if len(r.divs) == 0 {
		return nil
	}
	r.obj.report(u, r.divs, r.vals)
	r.hist.appendReportRow(r.vals)
	return r.vals
}

func (r *reporter) close() {
	if r.obj != nil {
		r.obj.Close()
	}
}

// report evaluates each of divs at u, without gradients, into dst: +Inf
// for an infinite divergence, NaN when the model cannot be evaluated.
func (o *Objective) report(u []float64, divs []divergence.Divergence, dst []float64) {
	pr := o.prob
	pr.Transform.Theta(o.theta, u)
	if o.validate(o.theta) != nil || o.logNormalizer(false) != nil {
		for k := range dst {
			dst[k] = math.NaN()
		}
		return
	}
	o.runPhase(phaseNormalize)
	for k, d := range divs {
		v, err := d.Eval(pr.P, o.logp, o.q, o.logq, nil)
		if err != nil && !math.IsInf(v, 1) {
			v = math.NaN()
		}
		dst[k] = v
	}
}

// appendReport appends row r's reported values to a CSV row that ends
// with a newline.
func (h *History) appendReport(dst []byte, r int) []byte {
	if len(h.Report) == 0 {
		return dst
	}
	return appendColumns(dst, h.ReportRow(r))
}

// appendColumns appends vals as extra columns to a CSV row that ends with a
// newline.
func appendColumns(dst []byte, vals []float64) []byte {
	if len(vals) == 0 {
		return dst
	}
	dst = dst[:len(dst)-1]
	for _, v := range vals {
		dst = append(dst, ',')
		dst = strconv.AppendFloat(dst, v, 'g', -1, 64)
	}
	return append(dst, '\n')
}
