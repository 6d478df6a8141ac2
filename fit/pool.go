package fit

import (
	"sync/atomic"
	"time"
)

// pool runs one job on a fixed set of goroutines, each knowing its index,
// without allocating per run. Results must not depend on which goroutine
// does what: jobs split work into fixed chunks and leave the combining of
// chunk results, in chunk order, to the caller.
//
// Between runs a worker spins for a while before it parks. A fit calls run
// once an epoch, microseconds apart, and waking a parked goroutine's thread
// costs 150 to 250 µs on a virtual machine (measured here): more than a
// whole epoch on 10^5 points. A worker that finds no run within
// workerSpin parks on its channel, so an idle pool costs nothing.
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

// workerSpin is how long an idle worker polls for a new run before it
// parks. It covers the gap between two epochs' runs: the serial part of
// an evaluation, the optimizer's step, observers, and the wait for the
// slowest share of the previous run.
const workerSpin = time.Millisecond

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
		idle := time.Now()
		for i := 0; p.gen.Load() == seen; i++ {
			if p.quit.Load() {
				return
			}
			if i%256 != 255 || time.Since(idle) < workerSpin {
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
			idle = time.Now()
		}
		seen = p.gen.Load()
		p.job(w, len(p.workers))
		p.done <- struct{}{}
	}
}

// run runs the job on every worker and waits for all of them. It polls
// for their results for as long as its own share took (at least
// minSpin): shares are equal, so the others are about done when this one
// is. Only then does it block, so that a busy machine is not made busier.
// Blocking early would cost more than it saves: the worker that wakes this
// goroutine queues it on its own processor, where it waits to be stolen by
// a thread that has to be woken first.
func (p *pool) run() {
	n := len(p.workers)
	start := time.Now()
	p.gen.Add(1)
	p.wakeParked()
	p.job(0, n)
	limit := max(time.Since(start), minSpin)
	for i := 0; len(p.done) < n-1; i++ {
		if i%1024 == 1023 && time.Since(start) > 2*limit {
			break
		}
	}
	for w := 1; w < n; w++ {
		<-p.done
	}
}

// minSpin is the least time run polls for the workers' results.
const minSpin = 50 * time.Microsecond

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
