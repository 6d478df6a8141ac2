package target

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
)

// lineGen produces n lines of pseudo-random normal numbers without holding
// them: a file of any length, streamed.
type lineGen struct {
	rng  *rand.Rand
	left int
	buf  []byte
}

func (g *lineGen) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.left > 0 {
		g.buf = strconv.AppendFloat(g.buf, g.rng.NormFloat64()*2+1, 'f', 6, 64)
		g.buf = append(g.buf, '\n')
		g.left--
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	return n, nil
}

// samplesChildEnv, when set, makes TestSamplesTenMillionLines the child
// whose peak memory the parent measures: "base" only sets up, "stream"
// streams the ten million lines into a histogram, "hold" keeps them as
// float64s (80 MB: the control that shows the measure can fail).
const samplesChildEnv = "KLFIT_SAMPLES_CHILD"

// TestSamplesTenMillionLines streams a 10-million-line file (about 100 MB
// of text, generated as it is read) into a histogram, in a child process
// of its own, and checks that its peak memory exceeds that of a child that
// only sets up by far less than the 80 MB the samples would take as
// float64s, and that the histogram has every sample. A third child holds
// the samples: its peak must exceed the bound, or the measure measures
// nothing.
func TestSamplesTenMillionLines(t *testing.T) {
	if mode := os.Getenv(samplesChildEnv); mode != "" {
		samplesChild(t, mode)
		return
	}
	if testing.Short() {
		t.Skip("reads 10 million lines, three times, in child processes")
	}
	peak := func(mode string) int64 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSamplesTenMillionLines$")
		cmd.Env = append(os.Environ(), samplesChildEnv+"="+mode)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the %s child failed: %v\n%s", mode, err, out)
		}
		return int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) * 1024 // kilobytes on Linux
	}
	base, stream, hold := peak("base"), peak("stream"), peak("hold")
	const bound = 40 << 20
	if stream-base > bound {
		t.Errorf("streaming took %d MB more than setting up", (stream-base)>>20)
	}
	if hold-base <= bound {
		t.Errorf("holding 80 MB of samples took only %d MB more than setting up: the measure cannot see memory", (hold-base)>>20)
	}
	t.Logf("peak memory: setting up %d MB, streaming %+d MB, holding the samples %+d MB", base>>20, (stream-base)>>20, (hold-base)>>20)
}

// samplesChild is the child's side of TestSamplesTenMillionLines.
func samplesChild(t *testing.T, mode string) {
	const n = 10_000_000
	a, _ := grid.Arange(-15, 17, 0.01)
	g := grid.New1D(a)
	dst := make([]float64, g.Len())
	gen := &lineGen{rng: rand.New(rand.NewPCG(1, 2)), left: n}
	switch mode {
	case "base":
		return
	case "hold":
		var all []float64
		src := &csvSource{path: "generated", want: []string{"samples"}, anyColumn: true}
		if err := src.read(gen, func(_ int, v []float64) error { all = append(all, v[0]); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(all) != n {
			t.Fatalf("held %d samples", len(all))
		}
		return
	}
	s := &Samples{Path: "generated", reader: gen}
	if err := s.Density(dst, g); err != nil {
		t.Fatal(err)
	}
	if s.Stats.N != n || s.Stats.Below+s.Stats.Above != 0 {
		t.Errorf("stats %+v", s.Stats)
	}
	var mass float64
	for _, v := range dst {
		mass += v * a.Delta
	}
	// The histogram's density integrates to 1 up to the rounding of 10^7
	// additions (1e-9 is far above 1e7 * 1e-16).
	if math.Abs(mass-1) > 1e-9 {
		t.Errorf("histogram integrates to %v", mass)
	}
	// Mean and variance over 10^7 N(1, 4) draws: standard errors 6e-4 and
	// 1.8e-3; 5 standard errors.
	if math.Abs(s.Stats.Mean-1) > 3e-3 || math.Abs(s.Stats.Variance-4) > 9e-3 {
		t.Errorf("mean %v variance %v", s.Stats.Mean, s.Stats.Variance)
	}
}

// BenchmarkSamplesFile measures reading a CSV file of one million samples
// (a header and one column of N(1, 4) draws written with 17 significant
// digits, as NumPy's savetxt does, about 20 bytes a line) into a
// histogram: the file is written once, then read from the page cache, so
// this is the parser's speed, the figure the MB/s column gives.
func BenchmarkSamplesFile(b *testing.B) {
	a, _ := grid.Arange(-15, 17, 0.01)
	g := grid.New1D(a)
	dst := make([]float64, g.Len())
	path := filepath.Join(b.TempDir(), "samples.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("x\n")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		w.WriteString(strconv.FormatFloat(1+2*rng.NormFloat64(), 'g', 17, 64))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		s := &Samples{Path: path}
		if err := s.Density(dst, g); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/line")
}

// BenchmarkSamplesRead measures the streaming read of one million lines
// into a histogram.
func BenchmarkSamplesRead(b *testing.B) {
	a, _ := grid.Arange(-15, 17, 0.01)
	g := grid.New1D(a)
	dst := make([]float64, g.Len())
	const n = 1_000_000
	var bytes int64
	for i := 0; i < b.N; i++ {
		gen := &lineGen{rng: rand.New(rand.NewPCG(1, 2)), left: n}
		cr := &countingReader{r: gen}
		s := &Samples{Path: "generated", reader: cr}
		if err := s.Density(dst, g); err != nil {
			b.Fatal(err)
		}
		bytes = cr.n
	}
	b.SetBytes(bytes)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/line")
}

// pollCtx is a context that ends at its n-th call of Err: a test of how
// often a long computation looks at its context, with no clock.
type pollCtx struct {
	context.Context
	n, polls int
}

func (c *pollCtx) Err() error {
	if c.polls++; c.polls >= c.n {
		return context.Canceled
	}
	return nil
}

// TestKDEStopsWhenContextEnds checks that the kernel density estimate, whose
// work a fine grid makes minutes long, looks at its context every
// kdeCheckEvery multiply-adds and stops with its error: here 200000
// occupied bins and a reach of 10000 (4e9 multiply-adds) stop at the third
// look.
func TestKDEStopsWhenContextEnds(t *testing.T) {
	const n, d = 200_000, 1e-4
	counts := make([]float64, n)
	for i := range counts {
		counts[i] = 1
	}
	dst := make([]float64, n)
	h := 10_000 * d / kernelReach
	ctx := &pollCtx{Context: context.Background(), n: 3}
	err := binnedKDE(ctx, dst, counts, d, h, n)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("binnedKDE returned %v, want the context's error", err)
	}
	if ctx.polls != 3 {
		t.Errorf("%d looks at the context, want 3", ctx.polls)
	}
	// And a context that never ends: the estimate completes, with the
	// kernel's mass (1 per sample, times d) on the grid away from its ends.
	small := make([]float64, 2001)
	small[1000] = 1
	out := make([]float64, len(small))
	if err := binnedKDE(context.Background(), out, small, 0.01, 0.1, 1); err != nil {
		t.Fatal(err)
	}
	var mass float64
	for _, v := range out {
		mass += v * 0.01
	}
	if math.Abs(mass-1) > 1e-12 {
		t.Errorf("the estimate's mass is %v, want 1", mass)
	}
}

// TestPointwiseTargetsStop checks that a family and a mixture target, whose
// evaluation on 10^7 points takes seconds, look at their context between
// blocks of points and stop with its error (here at the second look, of
// three blocks), and that in blocks they give what one pass over the grid
// gives.
func TestPointwiseTargetsStop(t *testing.T) {
	a, err := grid.Arange(-10, 10, 20/float64(3*densityBlock))
	if err != nil {
		t.Fatal(err)
	}
	g := grid.New1D(a)
	fam := Family{Family: dist.Normal{}, Theta: []float64{0, 2}}
	mix, err := NewMixture([]Component{{Weight: 0.3, Family: fam}, {Weight: 0.7, Family: Family{Family: dist.Normal{}, Theta: []float64{3, 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range []ContextDensity{fam, mix} {
		dst := make([]float64, g.Len())
		ctx := &pollCtx{Context: context.Background(), n: 2}
		if err := tg.DensityContext(ctx, dst, g); !errors.Is(err, context.Canceled) || ctx.polls != 2 {
			t.Errorf("%v: %v after %d looks at the context, want its error at the second", tg, err, ctx.polls)
		}
	}
	whole := make([]float64, g.Len())
	fam.Family.Eval(fam.Theta, g.X, nil, whole, nil)
	dst := make([]float64, g.Len())
	if err := fam.Density(dst, g); err != nil {
		t.Fatal(err)
	}
	for i := range dst {
		if dst[i] != math.Exp(whole[i]) {
			t.Fatalf("point %d: %v in blocks, %v in one pass", i, dst[i], math.Exp(whole[i]))
		}
	}
}
