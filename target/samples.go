package target

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"

	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/internal/plural"
)

// Estimators of a density from samples.
const (
	// EstimatorHistogram counts the samples in the grid's cells (centred on
	// the grid points): forward KL to it is maximum likelihood on the cells.
	EstimatorHistogram = "histogram"
	// EstimatorKDE is a Gaussian kernel density estimate.
	EstimatorKDE = "kde"
)

// Bandwidth rules of the KDE, as scipy.stats.gaussian_kde defines them
// (sigma is the samples' standard deviation with n-1, n their number).
const (
	// BandwidthScott is sigma * n^(-1/5).
	BandwidthScott = "scott"
	// BandwidthSilverman is sigma * (3n/4)^(-1/5).
	BandwidthSilverman = "silverman"
)

// Samples is a 1-D target estimated from samples in a file: a CSV file with
// a header (Column picks the column; a single column needs no name) or one
// number per line. The file is streamed once per Density call, so memory
// does not grow with its length: the histogram accumulates counts and the
// KDE works from the samples binned linearly on the grid (Wand's binned
// KDE, exact to O(step^2)). Samples outside the grid are counted and
// dropped, with a warning.
type Samples struct {
	Path string
	// Column names the CSV column holding the samples ("" for a file with
	// one column).
	Column string
	// Estimator is EstimatorHistogram (the default when "") or
	// EstimatorKDE.
	Estimator string
	// Bandwidth is BandwidthScott (the default when ""),
	// BandwidthSilverman, or a positive number, for the KDE.
	Bandwidth string
	// SkipInvalid skips lines that are not numbers, counting them, instead
	// of stopping at the first with an error.
	SkipInvalid bool
	// Progress, when set, is told how far the reading has got.
	Progress Progress
	// FS is where Path is read from; nil means the operating system's
	// files.
	FS fs.FS

	// Stats describes the samples read by the last Density call.
	Stats SampleStats

	warnings []string
	reader   io.Reader // for tests: read this instead of Path
}

// SampleStats describes the samples read.
type SampleStats struct {
	// N counts the samples read; Below and Above those left and right of
	// the grid; Skipped the invalid lines skipped.
	N, Below, Above, Skipped int
	// Mean and Variance (with n-1) are over every sample read.
	Mean, Variance float64
	// Bandwidth is the KDE's bandwidth (0 for a histogram).
	Bandwidth float64
}

// Check validates the estimator and bandwidth settings, returning an
// error naming the setting.
func (s *Samples) Check() error {
	switch s.Estimator {
	case "", EstimatorHistogram, EstimatorKDE:
	default:
		return &SettingError{Setting: "estimator", Msg: fmt.Sprintf("unknown estimator %q (known: histogram, kde)", s.Estimator)}
	}
	if s.Bandwidth != "" && s.Estimator != EstimatorKDE {
		return &SettingError{Setting: "bandwidth", Msg: "a bandwidth is for estimator: kde only"}
	}
	switch s.Bandwidth {
	case "", BandwidthScott, BandwidthSilverman:
		return nil
	}
	v, err := strconv.ParseFloat(s.Bandwidth, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return &SettingError{Setting: "bandwidth", Msg: fmt.Sprintf("must be scott, silverman or a number > 0, got %q", s.Bandwidth)}
	}
	return nil
}

// SettingError is a target setting that is not valid.
type SettingError struct {
	Setting string
	Msg     string
}

// Error implements error.
func (e *SettingError) Error() string { return e.Setting + ": " + e.Msg }

// Dim returns 1.
func (s *Samples) Dim() int { return 1 }

// String returns the one-line syntax, e.g.
// samples(data.csv, column=x, estimator=kde).
func (s *Samples) String() string {
	out := "samples(" + Quote(s.Path)
	if s.Column != "" {
		out += ", column=" + Quote(s.Column)
	}
	if s.Estimator != "" {
		out += ", estimator=" + s.Estimator
	}
	if s.Bandwidth != "" {
		out += ", bandwidth=" + s.Bandwidth
	}
	if s.SkipInvalid {
		out += ", skip_invalid=true"
	}
	return out + ")"
}

// Warnings returns what the last Density call had to say.
func (s *Samples) Warnings() []string { return s.warnings }

// Density reads the samples and estimates their density on g.
func (s *Samples) Density(dst []float64, g *grid.Grid) error {
	return s.DensityContext(context.Background(), dst, g)
}

// DensityContext is Density, stopping with ctx's error when ctx ends.
func (s *Samples) DensityContext(ctx context.Context, dst []float64, g *grid.Grid) error {
	s.warnings = nil
	s.Stats = SampleStats{}
	if err := s.Check(); err != nil {
		return err
	}
	if g.Dim() != 1 {
		return fmt.Errorf("a samples target is 1-D but the grid is %d-D", g.Dim())
	}
	ax := g.Axes[0]
	kde := s.Estimator == EstimatorKDE
	counts := make([]float64, ax.N)
	st := &s.Stats
	var mean, m2 float64
	edge0 := ax.At(0) - ax.Delta/2
	x0, last := ax.At(0), ax.At(ax.N-1)
	var src *csvSource // set below; add skips through it
	add := func(line int, v []float64) error {
		x := v[0]
		if math.IsNaN(x) || math.IsInf(x, 0) {
			if s.SkipInvalid { // as a value that is not a number is
				src.skip(line, fmt.Sprintf("sample %v is not finite", x))
				return nil
			}
			return fmt.Errorf("sample %v is not finite (skip_invalid: true skips such lines)", x)
		}
		st.N++
		d := x - mean // Welford's update
		mean += d / float64(st.N)
		m2 += d * (x - mean)
		if !kde {
			k := int(math.Floor((x - edge0) / ax.Delta))
			switch {
			case x < edge0 || k < 0:
				st.Below++
			case k >= ax.N:
				st.Above++
			default:
				counts[k]++
			}
			return nil
		}
		// Linear binning: split the sample between its two neighbouring
		// grid points.
		if x < x0 {
			st.Below++
			return nil
		}
		if x > last {
			st.Above++
			return nil
		}
		t := (x - x0) / ax.Delta
		k := int(t)
		if k >= ax.N-1 {
			counts[ax.N-1]++
			return nil
		}
		f := t - float64(k)
		counts[k] += 1 - f
		counts[k+1] += f
		return nil
	}
	src = &csvSource{path: s.Path, fsys: s.FS, ctx: ctx, want: []string{s.Column}, skipInvalid: s.SkipInvalid, progress: s.Progress, byName: s.Column != "", anyColumn: s.Column == ""}
	if s.Column == "" {
		src.want = []string{"samples"}
	}
	var err error
	if s.reader != nil {
		err = src.read(s.reader, wrapLine(s.Path, add))
	} else {
		err = src.each(wrapLine(s.Path, add))
	}
	st.Skipped = src.skipped
	if err != nil {
		return err
	}
	st.Mean = mean
	if st.N > 1 {
		st.Variance = m2 / float64(st.N-1)
	}
	if st.Skipped > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("%s: skipped %d invalid %s (the first at line %d: %s)", s.Path, st.Skipped, plural.Word(st.Skipped, "line", "lines"), src.firstBad, src.firstBadMsg))
	}
	if w := st.outsideWarning(); w != "" {
		s.warnings = append(s.warnings, s.Path+": "+w)
	}
	if kde {
		h, err := s.bandwidth()
		if err != nil {
			return err
		}
		st.Bandwidth = h
		return binnedKDE(ctx, dst, counts, ax.Delta, h, float64(st.N))
	}
	histogramDensity(dst, counts, st.N, ax.Delta)
	return nil
}

// outsideWarning says how many samples fell outside the grid, or "" when
// none did.
func (st *SampleStats) outsideWarning() string {
	out := st.Below + st.Above
	if out == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d samples (%.3g%%) fall outside the grid and are dropped (%d below, %d above)",
		out, st.N, 100*float64(out)/float64(st.N), st.Below, st.Above)
}

// histogramDensity turns the counts of n samples in cells of width delta
// into a density.
func histogramDensity(dst, counts []float64, n int, delta float64) {
	for i, c := range counts {
		dst[i] = c / (float64(n) * delta)
	}
}

func wrapLine(path string, fn func(int, []float64) error) func(int, []float64) error {
	return func(line int, v []float64) error {
		if err := fn(line, v); err != nil {
			return &FileError{Path: path, Line: line, Msg: err.Error()}
		}
		return nil
	}
}

func (s *Samples) bandwidth() (float64, error) {
	st := s.Stats
	if v, err := strconv.ParseFloat(s.Bandwidth, 64); err == nil {
		return v, nil
	}
	sigma := math.Sqrt(st.Variance)
	if st.N < 2 || sigma == 0 {
		return 0, fmt.Errorf("%s: the samples have no spread (n = %d, standard deviation %v), so no bandwidth rule applies: give bandwidth: explicitly", s.Path, st.N, sigma)
	}
	n := float64(st.N)
	if s.Bandwidth == BandwidthSilverman {
		return sigma * math.Pow(3*n/4, -0.2), nil
	}
	return sigma * math.Pow(n, -0.2), nil
}

// kernelReach is how many bandwidths the Gaussian kernel is summed over:
// exp(-8^2/2) is 1.3e-14 of the peak.
const kernelReach = 8

// binnedKDE sets dst[j] = sum_i counts[i] phi((x_j - x_i)/h) / (n h) on a
// uniform grid of step d. Its work is the occupied bins times twice the
// kernel's reach, which a fine grid makes large (10^10 multiply-adds for
// 10^6 points and a reach of 32000): it checks ctx every kdeCheckEvery of
// them and returns its error when ctx has ended.
func binnedKDE(ctx context.Context, dst, counts []float64, d, h, n float64) error {
	reach := int(math.Ceil(kernelReach * h / d))
	reach = min(reach, len(counts))
	kern := make([]float64, reach+1)
	c := 1 / (n * h * math.Sqrt(2*math.Pi))
	for k := range kern {
		u := float64(k) * d / h
		kern[k] = c * math.Exp(-u*u/2)
	}
	for j := range dst {
		dst[j] = 0
	}
	work := 0
	for i, ci := range counts {
		if ci == 0 {
			continue
		}
		lo, hi := max(i-reach, 0), min(i+reach, len(dst)-1)
		if work += hi - lo + 1; work >= kdeCheckEvery {
			work = 0
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("the kernel density estimate: %w", err)
			}
		}
		for j := lo; j <= hi; j++ {
			k := j - i
			if k < 0 {
				k = -k
			}
			dst[j] += ci * kern[k]
		}
	}
	return nil
}

// kdeCheckEvery is how many multiply-adds binnedKDE does between checks
// of its context: about a millisecond's work.
const kdeCheckEvery = 1 << 20
