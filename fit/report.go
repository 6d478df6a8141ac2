package fit

import (
	"math"
	"strconv"

	"github.com/klfit/klfit/divergence"
)

// reporter evaluates the reported divergences at every recorded state.
type reporter struct {
	obj  *Objective
	divs []divergence.Divergence
	hist *History
	vals []float64
}

func newReporter(obj *Objective, divs []divergence.Divergence, h *History) *reporter {
	r := &reporter{obj: obj, divs: divs, hist: h, vals: make([]float64, len(divs))}
	for _, d := range divs {
		h.Report = append(h.Report, ReportColumn(d))
	}
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

// record appends the reported divergences at u to the history. A value
// that cannot be computed (an infinite divergence) is recorded as it came
// (+Inf) or as NaN; it does not stop the fit.
func (r *reporter) record(u []float64) {
	if len(r.divs) == 0 {
		return
	}
	r.obj.Report(u, r.divs, r.vals)
	r.hist.ReportValues = append(r.hist.ReportValues, r.vals...)
}

// Report evaluates each of divs at u (without gradients) into dst: +Inf
// for an infinite divergence, NaN when the model cannot be evaluated.
func (o *Objective) Report(u []float64, divs []divergence.Divergence, dst []float64) {
	pr := o.prob
	saved := pr.Divergence
	defer func() { pr.Divergence = saved }()
	for k, d := range divs {
		pr.Divergence = d
		v, err := o.Eval(u, nil)
		if err != nil && !math.IsInf(v, 1) {
			v = math.NaN()
		}
		dst[k] = v
	}
}

// appendReport appends row r's reported values to a CSV row that ends
// with a newline.
func (h *History) appendReport(dst []byte, r int) []byte {
	k := len(h.Report)
	if k == 0 {
		return dst
	}
	dst = dst[:len(dst)-1]
	for _, v := range h.ReportValues[r*k : (r+1)*k] {
		dst = append(dst, ',')
		dst = strconv.AppendFloat(dst, v, 'g', -1, 64)
	}
	return append(dst, '\n')
}
