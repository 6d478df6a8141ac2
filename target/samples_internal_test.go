package target

import (
	"bufio"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

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

func maxRSS(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skip("getrusage:", err)
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

// TestSamplesTenMillionLines streams a 10-million-line file (about 100 MB
// of text, generated as it is read) into a histogram and checks that the
// process's peak memory grew by far less than the 80 MB the samples alone
// would take as float64s, and that the histogram has every sample.
func TestSamplesTenMillionLines(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 10 million lines")
	}
	const n = 10_000_000
	a, _ := grid.Arange(-15, 17, 0.01)
	g := grid.New1D(a)
	dst := make([]float64, g.Len())
	before := maxRSS(t)
	s := &Samples{Path: "generated", reader: &lineGen{rng: rand.New(rand.NewPCG(1, 2)), left: n}}
	if err := s.Density(dst, g); err != nil {
		t.Fatal(err)
	}
	grew := maxRSS(t) - before
	if grew > 40<<20 {
		t.Errorf("peak memory grew by %d MB while streaming", grew>>20)
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
