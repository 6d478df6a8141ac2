package fit

import (
	"context"
	"math"
	"runtime"
	"sync"
	"time"
)

// Trial is one fit of a comparison: a name, its problem and its options
// (each trial needs its own optimizer: optimizers keep state).
type Trial struct {
	Name    string
	Problem *Problem
	Options Options
}

// TrialResult is the outcome of a Trial.
type TrialResult struct {
	Name   string
	Result *Result
	// Err is set when the fit could not start.
	Err error
	// Seconds holds the wall time at which each history row was
	// recorded, from the trial's start.
	Seconds []float64
}

// RunTrials runs the trials in parallel, at most GOMAXPROCS at a time,
// each on one thread (Engine.Threads 1: the trials themselves share the
// cores), and returns their results in the trials' order. Each fit is
// computed exactly as it would be alone, to the bit: only the wall times
// depend on what else runs. Trials may share a Problem.
func RunTrials(ctx context.Context, trials []Trial) []TrialResult {
	out := make([]TrialResult, len(trials))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, tr := range trials {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			tr.Options.Observers = append([]Observer(nil), tr.Options.Observers...)
			r := &out[i]
			r.Name = tr.Name
			start := time.Now()
			tr.Options.Observers = append(tr.Options.Observers, ObserverFunc(func(*Event) {
				r.Seconds = append(r.Seconds, time.Since(start).Seconds())
			}))
			if len(trials) > 1 {
				tr.Options.Engine.Threads = 1
			}
			r.Result, r.Err = Run(ctx, tr.Problem, tr.Options)
		}()
	}
	wg.Wait()
	return out
}

// ReachTolerance is how close to the best loss a comparison counts a fit
// as arrived: within 1e-6 of it, relative to max(|best|, 1).
const ReachTolerance = 1e-6

// ReachThreshold returns the lowest loss of any of the histories and the
// loss a fit must get down to to count as having reached it:
// best + ReachTolerance * max(|best|, 1).
func ReachThreshold(hs ...*History) (best, threshold float64) {
	best = math.Inf(1)
	for _, h := range hs {
		for _, l := range h.Losses() {
			best = math.Min(best, l)
		}
	}
	return best, best + ReachTolerance*math.Max(math.Abs(best), 1)
}

// FirstBelow returns the first row whose loss is at most threshold, or -1.
func FirstBelow(h *History, threshold float64) int {
	for r, l := range h.Losses() {
		if l <= threshold {
			return r
		}
	}
	return -1
}
