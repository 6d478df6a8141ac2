package fit

import (
	"fmt"
	"math"

	"github.com/klfit/klfit/divergence"
)

// A bounded divergence (divergence.Bounded: Jensen-Shannon, squared
// Hellinger, an alpha-divergence of order in (0, 1)) takes its largest
// value where the model and the target have no mass in common, and its
// gradient vanishes there: no gradient method can move the model toward
// the target from there, and near there a vanished gradient or a loss
// that no longer changes says nothing of a minimum.
const (
	// supRounding is the share of the largest value within which a loss
	// is that value to rounding: a sum over the grid's points rounds
	// to about 3e-14 of it at 2e5 points; measured at 1e-12 below it, a
	// model's gradient is about 1e-12, pure rounding in most of its
	// digits, and under L-BFGS's default gradient threshold. A state
	// there is not usable (*NoOverlapError): a fit cannot start from it,
	// and a step that lands there is a divergence.
	supRounding = 1e-12
	// nearSup is the share of the largest value within which a stopping
	// rule's verdict (converged, or L-BFGS's stalled) is not believed: a
	// model there overlaps the target by next to nothing, and its
	// gradient is of the order of the share (a JS fit of a normal 0.1
	// wide, 8 widths of the target from it, is 3e-9 below log 2 with a
	// gradient of 1e-8), which a gradient_tolerance, a tolerance or a
	// patience can take for a minimum. Such a fit ends with status
	// NoOverlap; one that ends there at max_epochs, max_time or
	// interrupted keeps its status, with the same Reason.
	nearSup = 1e-6
)

// supOf returns the largest value of prob's divergence, +Inf when it has
// none, or when the target's masses do not sum to 1 (the bound holds for
// probability vectors).
func supOf(prob *Problem) float64 {
	b, ok := prob.Divergence.(divergence.Bounded)
	if !ok {
		return math.Inf(1)
	}
	sup, ok := b.Sup()
	if !ok {
		return math.Inf(1)
	}
	var sum float64
	for _, p := range prob.P {
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 {
		return math.Inf(1)
	}
	return sup
}

// NoOverlapError reports a state at or next to a bounded divergence's
// largest value (see divergence.Bounded), where the model and the target
// have (next to) no mass in common on the grid and the gradient vanishes.
type NoOverlapError struct {
	// Divergence is the divergence's symbol, e.g. "JS(P,Q)".
	Divergence string
	// Loss is the state's loss and Sup the divergence's largest value.
	Loss, Sup float64
	// Rule names the stopping rule that found the fit done there (a
	// fit with status NoOverlap), or "max_epochs", "max_time" or
	// "interrupted" for a fit that ended there so (its status kept);
	// empty for a state refused as unusable.
	Rule string
}

// Error implements error.
func (e *NoOverlapError) Error() string {
	at := fmt.Sprintf("is within %.2g of its largest value, %v,", (e.Sup-e.Loss)/e.Sup, e.Sup)
	if e.Loss >= e.Sup {
		at = fmt.Sprintf("is its largest value, %v, to rounding,", e.Sup)
	}
	verdict := ": the fit cannot tell which way the target lies"
	switch e.Rule {
	case "":
	case string(MaxEpochs), string(MaxTime), string(Interrupted):
		verdict = ", so where the fit ended (" + e.Rule + ") says nothing of a minimum"
	default:
		verdict = ", so the " + e.Rule + " rule's verdict says nothing of a minimum"
	}
	return fmt.Sprintf("the model and the target have next to no mass in common on the grid: %s = %v %s where its gradient all but vanishes%s; "+
		"start the model closer to the target, or fit forward KL (kl) first, whose gradient pulls the model toward the target from anywhere, and start from its result",
		e.Divergence, e.Loss, at, verdict)
}

// checkSup returns a *NoOverlapError when loss is sup to rounding; d
// names the divergence then.
func checkSup(loss, sup float64, d divergence.Divergence) error {
	if !math.IsInf(sup, 1) && loss >= sup-supRounding*sup {
		return &NoOverlapError{Divergence: d.Symbol(), Loss: loss, Sup: sup}
	}
	return nil
}
