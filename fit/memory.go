package fit

import "math"

// The memory of the parts of a run that grow with its parameters, in
// float64s (counted as float64s, which do not overflow), to estimate before a run what it will need (klfit refuses a
// Monte Carlo fit that would not fit in memory). The tests check each
// count against the heap a run actually holds.

// HistoryFloats returns the float64s a History holds for k parameters
// and report reported columns once a run has filled rows rows of it, as
// the run allocates its blocks: rows rows when they are fewer than 64
// (the loop reserves the epochs' rows, see History.Reserve), else the
// first 64 rows, then blocks doubling up to 4096 rows. The count is a
// float64, which does not overflow.
func HistoryFloats(rows, k, report int) float64 {
	var n float64 // rows allocated
	switch {
	case rows <= 0:
	case rows < firstBlock:
		n = float64(rows)
	case rows <= smallRows:
		last, _ := locate(rows - 1)
		blocks := 1<<(last+1) - 1 // in units of the first block: 1 + 2 + ... + 2^last
		n = float64(firstBlock * blocks)
	default:
		n = smallRows + math.Ceil(float64(rows-smallRows)/historyBlock)*historyBlock
	}
	return n * (1 + float64(k) + float64(report))
}

// unknownOptimizerVectors is what RunFloats counts for an optimizer it
// does not know: as many vectors of the parameters' length as Adam holds
// with its saved state.
const unknownOptimizerVectors = 4

// RunFloats returns the float64s a run of opt on k parameters holds
// beyond its history and its objective: the loop's vectors (the state's
// point and gradient, the parameters, the observers' copy of the
// gradient, the last evaluated point and its parameters, the copies a
// failure keeps of the states it names, and, with keepGood, the last good state and the optimizer's state saved with it:
// a run keeps them when it writes checkpoints or backtracks), and the
// optimizer's own (Adam's two moments, L-BFGS's 2 store pairs in gonum's
// memory and store+1 points of its own for resuming, the natural
// gradient's three k x k matrices, without the grid's scores). known is
// false for an optimizer of a type it does not know, counted as
// unknownOptimizerVectors vectors.
func RunFloats(opt Optimizer, k int, keepGood bool) (n float64, known bool) {
	kf := float64(k)
	loop := 6*kf + 4*kf    // and a failure's: the refused point, the last one, its gradient, the last good row
	var own, saved float64 // the optimizer's vectors, and its saved state
	known = true
	switch o := opt.(type) {
	case *GD:
	case *Momentum:
		own, saved = kf, kf+1
	case *Adam:
		own, saved = 2*kf, 2*kf+1
	case *RMSprop:
		own, saved = kf, kf
	case *LBFGS:
		m := float64(o.store())
		// gonum: s and y (store each), x and the gradient; its line
		// search: x and the direction; ours: the location's point and
		// gradient, the last point, and store+1 points of 2k.
		own, saved = (4*m+9)*kf, 2*(m+1)*kf+1
	case *NaturalGradient:
		own = 3*kf*kf + 5*kf
	default:
		own, saved, known = unknownOptimizerVectors*kf/2, unknownOptimizerVectors*kf/2, false
	}
	if keepGood {
		loop += 2*kf + saved
	}
	return loop + own, known
}
