package fit

import (
	"runtime"
	"sync/atomic"
	"time"
)

// pool runs a job made of a fixed number of chunks on a fixed set of
// goroutines, without allocating per run. Each chunk writes its own
// results; the caller combines them in chunk order afterwards, so results
// do not depend on which goroutine ran which chunk, nor on how many there
// are.
//
// Chunks are not dealt out in advance: the caller and the workers claim
// them one at a time from a shared counter, and the caller runs chunks
// too. A worker that is late, because it is parked or because another
// process holds its core, takes fewer chunks or none, and the run is not
// held up by it: the caller only ever waits for chunks a worker is
// actually running, at most one per worker.
//
// Whether the workers are asked at all is decided run by run from the
// runs' times (see chooser): on a machine where another process holds a
// core, a worker is often descheduled in the middle of a chunk, and the
// caller then waits a scheduler time slice for it, so that two threads
// can be several times slower than one. The pool runs the job on the
// caller alone while that is faster, and tries the workers again now and
// then.
//
// Between runs a worker spins for a budget, then parks. Waking a parked
// goroutine's thread costs 150 to 250 µs on a virtual machine (measured
// here), more than a whole epoch on 10^5 points, so a worker that parked
// in every gap between two runs would never help. The budget follows the
// gaps the caller measures between runs (see spinFor), so that a worker
// spins through the short serial part of an epoch but not through long
// serial stretches, where spinning would only take a core from the caller
// or from another process; and a worker's wait starts when it finds no
// chunk left, up to a chunk's time before the others finish theirs, so
// the budget holds a chunk's time too (with 12 µs chunks and a 5 µs
// budget the worker parked in every epoch, and two threads ran 1.6x one
// where they now run 1.85x).
type pool struct {
	job    func(w, chunk int) // runs one chunk with worker w's buffers
	chunks int

	// next is the run's generation (high 32 bits) and the next chunk to
	// claim (low 32 bits).
	next atomic.Uint64
	// done counts the chunks of the current run that have finished.
	done atomic.Int64
	// waiting is set while the caller is parked on finished.
	waiting  atomic.Bool
	finished chan struct{}
	// spin is how long, in ns, an idle worker polls before it parks.
	spin    atomic.Int64
	quit    atomic.Bool
	workers []worker
	gen     uint64
	lastEnd time.Time // when the previous run returned
	// chunkTime is the last team run's time per chunk and goroutine.
	chunkTime time.Duration
	// choose decides, once a cycle of runs (see run), whether the workers
	// take part: solo is the current cycle's way, probe whether it is a
	// probe; clock is the kind of run that starts a cycle (-1 before the
	// first run) and cycleStart when the current cycle started.
	choose      chooser
	solo, probe bool
	clock       int
	cycleStart  time.Time
	// cycles counts the cycles run as a team (0) and solo (1).
	cycles [2]int
	// quiet is set while the cycles run solo: idle workers then park at
	// once rather than spin, which would take a core from the caller
	// where another process holds the other.
	quiet atomic.Bool
}

// teamShare returns the share of the cycles run so far that the workers
// took part in (1 before any; 0 for a pool of one).
func (p *pool) teamShare() float64 {
	if len(p.workers) == 1 {
		return 0
	}
	if n := p.cycles[0] + p.cycles[1]; n > 0 {
		return float64(p.cycles[0]) / float64(n)
	}
	return 1
}

type worker struct {
	parked atomic.Bool
	wake   chan struct{} // buffered: a wake-up is never lost, may be stale
	_      [48]byte      // keeps two workers' flags off one cache line
}

// Bounds of an idle worker's spin before it parks. A worker spins for
// spinGaps times the gap the caller measured before the last run, within
// these bounds: a gap longer than maxWorkerSpin is left to parking.
const (
	minWorkerSpin = 5 * time.Microsecond
	maxWorkerSpin = 200 * time.Microsecond
	spinGaps      = 4
)

// Bounds of the caller's wait for the last chunks, in polls before it
// parks: about the time of 2 chunks, as the caller measured its own.
const (
	minCallerSpin = 2 * time.Microsecond
	maxCallerSpin = 100 * time.Microsecond
)

// newPool returns a pool of n goroutines (the caller's goroutine is
// worker 0) that run job on chunks 0 to chunks-1. A pool of one runs the
// chunks in order on the caller, with no timing and no atomics: the
// passes own a pool whatever their size, and a grid too small to split
// pays nothing for it.
func newPool(n, chunks int, job func(w, chunk int)) *pool {
	p := &pool{job: job, chunks: chunks, workers: make([]worker, n), finished: make(chan struct{}, 1), clock: -1}
	p.spin.Store(int64(maxWorkerSpin))
	for w := 1; w < n; w++ {
		p.workers[w].wake = make(chan struct{}, 1)
		go p.loop(w)
	}
	return p
}

// claim returns a chunk of the current run to run, or false when none is
// left.
func (p *pool) claim() (int, uint64, bool) {
	v := p.next.Add(1) - 1
	i := int(uint32(v))
	return i, v >> 32, i < p.chunks
}

func (p *pool) loop(w int) {
	me := &p.workers[w]
	var seen uint64 // the last generation this worker found no chunk in
	for {
		// Wait for a new run: spin for the budget, then park.
		idle := time.Now()
		budget := time.Duration(p.spin.Load())
		for i := 0; p.next.Load()>>32 == seen; i++ {
			if p.quit.Load() {
				return
			}
			if i%64 != 63 || time.Since(idle) < budget && !p.quiet.Load() {
				continue
			}
			// Park. run() publishes the generation before it looks at
			// parked, and this re-reads the generation after setting
			// parked: one of the two sees the other, so the worker
			// cannot sleep through a run.
			me.parked.Store(true)
			if p.next.Load()>>32 == seen && !p.quit.Load() {
				<-me.wake
			}
			me.parked.Store(false)
			if p.quit.Load() {
				return
			}
			idle = time.Now()
		}
		for {
			c, gen, ok := p.claim()
			if !ok {
				seen = gen
				break
			}
			p.job(w, c)
			if p.done.Add(1) == int64(p.chunks) && p.waiting.Load() {
				select {
				case p.finished <- struct{}{}:
				default: // a wake-up is already waiting
				}
				// Let the caller run on this thread at once rather than
				// wait for another thread to be woken to steal it.
				runtime.Gosched()
			}
		}
	}
}

// run runs every chunk of the job, on the caller's goroutine and on any
// worker that joins in time, and returns when all have finished. A pass
// that runs the pool several times an evaluation on different work
// (the general pass's phases) tells the runs apart by kind, 0 to
// maxRunKinds-1.
//
// Whether the workers take part is decided once a cycle, at each run of
// the kind the pool first ran (the clock), for every run until the next
// one; the cycle is timed from one clock run's start to the next's, so
// that it holds every run of the evaluation and the caller's serial work
// between them, which workers spinning for the next run slow down when
// another process holds a core.
func (p *pool) run(kind int) {
	if len(p.workers) == 1 {
		for c := range p.chunks {
			p.job(0, c)
		}
		return
	}
	start := time.Now()
	if p.clock < 0 {
		p.clock = kind
	}
	if kind == p.clock {
		ch := &p.choose
		if !p.cycleStart.IsZero() {
			ch.observe(p.solo, p.probe, start.Sub(p.cycleStart))
		}
		p.solo, p.probe = ch.next()
		p.quiet.Store(p.solo)
		p.cycleStart = start
		if p.solo {
			p.cycles[1]++
		} else {
			p.cycles[0]++
		}
	}
	if p.solo {
		for c := range p.chunks {
			p.job(0, c)
		}
	} else {
		p.runTeam(start)
	}
	p.lastEnd = time.Now()
}

// runTeam runs every chunk on the caller and the workers.
func (p *pool) runTeam(start time.Time) {
	if !p.lastEnd.IsZero() {
		p.spin.Store(int64(spinFor(start.Sub(p.lastEnd), p.chunkTime)))
	}
	p.done.Store(0)
	p.gen++
	p.next.Store(p.gen << 32)
	p.wakeParked()
	ran := 0
	for {
		c, _, ok := p.claim()
		if !ok {
			break
		}
		p.job(0, c)
		p.done.Add(1)
		ran++
	}
	n := int64(p.chunks)
	if p.done.Load() < n {
		// The others each finish at most one chunk: poll for about two
		// chunks' time, then park until the last one wakes this goroutine.
		limit := maxCallerSpin
		if ran > 0 {
			limit = min(max(2*time.Since(start)/time.Duration(ran), minCallerSpin), maxCallerSpin)
		}
		polled := time.Now()
		for i := 0; p.done.Load() < n; i++ {
			if i%64 == 63 && time.Since(polled) > limit {
				break
			}
		}
		for p.done.Load() < n {
			p.waiting.Store(true)
			if p.done.Load() < n {
				<-p.finished // may be a stale wake-up: the loop re-checks
			}
			p.waiting.Store(false)
		}
	}
	p.chunkTime = time.Since(start) * time.Duration(len(p.workers)) / time.Duration(p.chunks)
}

// chooser decides whether a pool's cycles of runs use the workers
// (team) or the caller alone (solo), from the cycles' times: it keeps to
// one way, averaging its times, and every interval runs probes the other
// way: three cycles, the first a warm-up (workers waking from a park, or
// parking), and when the next two take on average less than
// switchMargin of the average, it switches. Each probe that does not
// switch doubles the interval (up to doublingCap cycles), and makes it
// at least probeShare times the probe's own time in cycles of the way it
// keeps, so that probes take at most 1/probeShare of the time: a team
// probe on a busy machine can cost a scheduler time slice, many times a
// solo cycle. A switch sets the interval by the same rule, from the
// average of the way it leaves. It starts as a team and probes after
// firstProbe cycles.
type chooser struct {
	solo     bool
	avg      [2]time.Duration // team, solo: the average time of a cycle, 0 before any
	runs     int              // cycles since the last probe
	interval int              // cycles between probes; 0 means firstProbe
	probes   int              // probe cycles run so far in the current probe
	probeSum time.Duration    // the current probe's measured cycles (the warm-up left out)
	probeAll time.Duration    // and all its cycles
}

const (
	firstProbe   = 4
	doublingCap  = 1024
	probeShare   = 50
	maxInterval  = 1 << 20
	probeRuns    = 3 // the first a warm-up
	switchMargin = 0.95
)

// next returns whether the next run is solo and whether it is a probe.
func (c *chooser) next() (solo, probe bool) {
	if c.interval == 0 {
		c.interval = firstProbe
	}
	if c.runs >= c.interval {
		return !c.solo, true
	}
	return c.solo, false
}

// observe records the time d of a run next chose.
func (c *chooser) observe(solo, probe bool, d time.Duration) {
	i := 0
	if solo {
		i = 1
	}
	if !probe {
		if c.avg[i] == 0 {
			c.avg[i] = d
		} else {
			c.avg[i] += (d - c.avg[i]) / 8
		}
		c.runs++
		return
	}
	c.probeAll += d
	if c.probes > 0 {
		c.probeSum += d
	}
	if c.probes++; c.probes < probeRuns {
		return
	}
	cur := c.avg[1-i]
	mean := c.probeSum / (probeRuns - 1)
	if float64(mean) < switchMargin*float64(cur) {
		c.solo = solo
		c.avg[i] = mean
		// The way left behind is probed next in probeRuns cycles of
		// its last average: far enough off that they too take at most
		// 1/probeShare of the time (a team left on a busy machine costs
		// a time slice a cycle, not one solo cycle).
		c.interval = firstProbe
		if mean > 0 {
			c.interval = min(max(c.interval, int(probeShare*probeRuns*cur/mean)), maxInterval)
		}
	} else {
		c.interval = min(2*c.interval, doublingCap)
		if cur > 0 {
			c.interval = min(max(c.interval, int(probeShare*c.probeAll/cur)), maxInterval)
		}
	}
	c.runs, c.probes, c.probeSum, c.probeAll = 0, 0, 0, 0
}

// spinFor returns an idle worker's spin budget after a gap between runs,
// with chunks of the given time: a few times the gap and a chunk's time,
// or the least budget when the gap is too long to spin through.
func spinFor(gap, chunk time.Duration) time.Duration {
	if gap > maxWorkerSpin {
		return minWorkerSpin
	}
	return min(max(spinGaps*gap, minWorkerSpin)+chunk, maxWorkerSpin)
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
