package fit

import (
	"sync/atomic"
)

// pool runs one job on a fixed set of goroutines, each knowing its index,
// without allocating per run. Results must not depend on which goroutine
// does what: jobs split work into fixed chunks and leave the combining of
// chunk results, in chunk order, to the caller.
//
// Between runs a worker spins for a while before it parks. A fit calls run
// once an epoch, microseconds apart, and waking a parked goroutine's thread
// costs 150 to 250 µs on a virtual machine (measured here): more than a
// whole epoch on 10^5 points. A worker that finds no run within about
// spinLimit polls parks on its channel, so an idle pool costs nothing.
type pool struct {
	job     func(w, workers int)
	gen     atomic.Uint64 // incremented by each run
	done    chan struct{} // one token per worker and run
	quit    atomic.Bool
	workers []worker
}

type worker struct {
	parked atomic.Bool
	wake   chan struct{} // buffered: a wake-up is never lost, may be stale
}

// spinLimit is how many times an idle worker polls for a new run before it
// parks: some tens of microseconds.
const spinLimit = 1 << 15

// newPool returns a pool of n workers (the caller's goroutine is worker 0)
// that run job.
func newPool(n int, job func(w, workers int)) *pool {
	p := &pool{job: job, workers: make([]worker, n), done: make(chan struct{}, n)}
	for w := 1; w < n; w++ {
		p.workers[w].wake = make(chan struct{}, 1)
		go p.loop(w)
	}
	return p
}

func (p *pool) loop(w int) {
	me := &p.workers[w]
	var seen uint64
	for {
		for i := 0; p.gen.Load() == seen; i++ {
			if p.quit.Load() {
				return
			}
			if i < spinLimit {
				continue
			}
			// Park. run() increments gen before it looks at parked, and
			// this re-reads gen after setting parked: one of the two sees
			// the other, so the worker cannot sleep through a run.
			me.parked.Store(true)
			if p.gen.Load() == seen && !p.quit.Load() {
				<-me.wake
			}
			me.parked.Store(false)
			i = 0
		}
		seen = p.gen.Load()
		p.job(w, len(p.workers))
		p.done <- struct{}{}
	}
}

// run runs the job on every worker and waits for all of them: by polling
// for a while (the others usually finish within microseconds of this
// one), then by blocking, so that a machine whose cores are busy with
// other work is not made busier.
func (p *pool) run() {
	n := len(p.workers)
	p.gen.Add(1)
	p.wakeParked()
	p.job(0, n)
	for i := 0; len(p.done) < n-1 && i < spinLimit; i++ {
	}
	for w := 1; w < n; w++ {
		<-p.done
	}
}

func (p *pool) wakeParked() {
	for w := 1; w < len(p.workers); w++ {
		if p.workers[w].parked.Load() {
			select {
			case p.workers[w].wake <- struct{}{}:
			default: // a wake-up is already waiting
			}
		}
	}
}

// close stops the workers.
func (p *pool) close() {
	p.quit.Store(true)
	p.wakeParked()
}
