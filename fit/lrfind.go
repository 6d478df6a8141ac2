package fit

import (
	"context"
	"fmt"
	"math"
)

// LRPoint is one learning rate of a sweep and what a short fit at that
// rate did.
type LRPoint struct {
	Rate   float64
	Status Status
	// Epochs is the number of epochs the fit ran.
	Epochs int
	// Initial, Final and Max are the first, last and largest losses of
	// its history.
	Initial, Final, Max float64
	// Stable is true when the fit did not diverge, its loss never rose
	// above the initial loss, and it ended below it.
	Stable bool
}

// LRRates returns the learning rates from lo to hi (both included, when
// hi is on the grid) spaced perDecade to a factor of ten, as powers of
// ten: 10^(k/perDecade).
func LRRates(lo, hi float64, perDecade int) ([]float64, error) {
	if !(lo > 0) || !(hi >= lo) || math.IsInf(hi, 0) || perDecade < 1 {
		return nil, fmt.Errorf("learning rates from %v to %v, %d per decade: need 0 < min <= max and at least 1 per decade", lo, hi, perDecade)
	}
	k0 := int(math.Ceil(math.Log10(lo)*float64(perDecade) - 1e-9))
	k1 := int(math.Floor(math.Log10(hi)*float64(perDecade) + 1e-9))
	if k1-k0 > 1000 {
		return nil, fmt.Errorf("learning rates from %v to %v, %d per decade: more than 1000 rates", lo, hi, perDecade)
	}
	var rates []float64
	for k := k0; k <= k1; k++ {
		rates = append(rates, math.Pow(10, float64(k)/float64(perDecade)))
	}
	if len(rates) == 0 {
		return nil, fmt.Errorf("no power of ten with %d per decade between %v and %v", perDecade, lo, hi)
	}
	return rates, nil
}

// LRFind runs a short fit at each rate of an increasing list (newTrial
// builds its problem and options, with the rate set) in parallel, and
// returns what each did and the index of the suggested rate (see
// SuggestLR), or -1 when there is none.
func LRFind(ctx context.Context, rates []float64, newTrial func(rate float64) Trial) ([]LRPoint, int, error) {
	trials := make([]Trial, len(rates))
	for i, r := range rates {
		trials[i] = newTrial(r)
	}
	pts := make([]LRPoint, len(rates))
	for i, tr := range RunTrials(ctx, trials) {
		if tr.Err != nil {
			return nil, -1, fmt.Errorf("learning rate %v: %w", rates[i], tr.Err)
		}
		res := tr.Result
		p := LRPoint{Rate: rates[i], Status: res.Status, Epochs: res.Epochs,
			Initial: math.NaN(), Final: math.NaN(), Max: math.NaN()}
		if h := res.History; h.Len() > 0 {
			p.Initial, p.Final, p.Max = h.Loss(0), h.Loss(h.Len()-1), h.Loss(0)
			for _, l := range h.Losses() {
				p.Max = math.Max(p.Max, l)
			}
		}
		p.Stable = res.Status != Diverged && res.Status != Interrupted && p.Max <= p.Initial && p.Final < p.Initial
		pts[i] = p
	}
	return pts, SuggestLR(pts), nil
}

// SuggestLR returns the index of the rate a sweep (points in increasing
// rate) suggests, or -1 when it suggests none. The suggestion is the
// largest stable rate that ends lower than every smaller rate: beyond it
// a rate is unstable or, though stable, overshoots to where the fit ends
// higher after the same epochs (a raw variance sent far out by a first
// step too large, and crawling back). Only the first run of stable rates
// is considered: a rate stable beyond an unstable one is not trusted. An
// interrupted sweep suggests none: a rate it did not finish might have
// been stable and ended lower, or been unstable and ended the run of
// stable rates before the one that would be suggested.
func SuggestLR(pts []LRPoint) int {
	for _, p := range pts {
		if p.Status == Interrupted {
			return -1
		}
	}
	suggest, best := -1, math.Inf(1)
	for i, p := range pts {
		if !p.Stable {
			if suggest >= 0 {
				break
			}
			continue
		}
		if p.Final <= best {
			suggest, best = i, p.Final
		}
	}
	return suggest
}
