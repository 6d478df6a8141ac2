package fit_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"

	"github.com/klfit/klfit/fit"
)

// bowl is the loss sum (u_i - i/k)^2 / 2 over k parameters, evaluated
// without allocating; its names are made once.
type bowl struct {
	names []string
	c     []float64
}

func newBowl(k int) *bowl {
	b := &bowl{names: make([]string, k), c: make([]float64, k)}
	for i := range k {
		b.names[i] = "p" + strconv.Itoa(i)
		b.c[i] = float64(i) / float64(k)
	}
	return b
}

func (b *bowl) Names() []string          { return b.names }
func (b *bowl) Init(u []float64)         { clear(u) }
func (b *bowl) Theta(theta, u []float64) { copy(theta, u) }
func (b *bowl) Eval(u, grad []float64) (float64, error) {
	var loss float64
	for i, v := range u {
		d := v - b.c[i]
		loss += d * d / 2
		if grad != nil {
			grad[i] = d
		}
	}
	return loss, nil
}

// TestRunFloatsIsTheHeap checks fit.RunFloats and fit.HistoryFloats, the
// memory estimate of a run, against the heap a run holds at its end, for
// every registered optimizer (its defaults), with and without the last
// good state kept (a checkpoint): the estimate must cover the heap, and
// be within twice it (it counts the copies a failure keeps, which these
// runs do not make). An optimizer that needs a grid problem (a Binder)
// is only required to be known: its matrices are k x k.
func TestRunFloatsIsTheHeap(t *testing.T) {
	const k, epochs = 20000, 5
	for _, name := range fit.OptimizerNames() {
		info, err := fit.LookupOptimizer(name)
		if err != nil {
			t.Fatal(err)
		}
		settings := map[string]float64{}
		for _, s := range info.Settings {
			settings[s.Name] = s.Default
		}
		opt := info.New(settings)
		for _, keep := range []bool{false, true} {
			est, known := fit.RunFloats(opt, k, keep)
			if !known {
				t.Errorf("%s: fit.RunFloats does not know it", name)
			}
			if _, ok := opt.Fresh().(fit.Binder); ok {
				continue
			}
			obj := newBowl(k)
			opts := fit.Options{Optimizer: opt, Epochs: epochs}
			if keep {
				opts.Checkpoint = func(*fit.Checkpoint) error { return nil }
			}
			var before, after runtime.MemStats
			settle()
			runtime.ReadMemStats(&before)
			loop, err := fit.StartEvaluable(obj, "loss", opts)
			if err != nil {
				t.Fatal(err)
			}
			res := loop.Run(context.Background())
			settle()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(loop)
			runtime.KeepAlive(obj)
			hist := int64(8 * fit.HistoryFloats(epochs+1, k, len(res.History.Report))) // the rows the run reserved
			live := int64(after.HeapAlloc) - int64(before.HeapAlloc) - hist
			if res.Epochs < 1 {
				t.Fatalf("%s: %d epochs (%s)", name, res.Epochs, res.Status)
			}
			if e := int64(8 * est); e < live || e > 2*live+1<<20 {
				t.Errorf("%s, keep good %v: estimated %d bytes, the run holds %d beyond its history's %d", name, keep, e, live, hist)
			}
		}
	}
}

// TestHistoryFloatsIsTheHeap checks fit.HistoryFloats against the heap a
// history holds, at row counts on both sides of its blocks' edges.
func TestHistoryFloatsIsTheHeap(t *testing.T) {
	const k = 100
	names := newBowl(k).names
	theta := make([]float64, k)
	for _, rows := range []int{1, 3, 63, 64, 65, 4032, 4033, 9000} {
		var before, after runtime.MemStats
		settle()
		runtime.ReadMemStats(&before)
		h := fit.NewHistory("loss", names)
		h.Reserve(rows) // as a run of rows-1 epochs does
		for range rows {
			h.Append(1, theta)
		}
		settle()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(h)
		live := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		// Beyond the floats: the blocks' slices, and each large block
		// rounded up to the allocator's 8 KiB pages.
		if est := int64(8 * fit.HistoryFloats(rows, k, 0)); live < est || live > est+est/100+32<<10 {
			t.Errorf("%d rows: estimated %d bytes, the history holds %d", rows, est, live)
		}
	}
}

// settle collects garbage twice: sync.Pool's victims go at the second.
func settle() {
	runtime.GC()
	runtime.GC()
}
