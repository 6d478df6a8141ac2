package spec

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/target"
)

// targetKey is the spec key errors about the target's data are reported
// under: target.samples, target.expression, ...
func (s *Spec) targetKey() string {
	switch k := s.Target.Kind(); k {
	case "", "family":
		return "target"
	default:
		return "target." + k
	}
}

// path resolves a data file name: as it is in env.FS, else against
// env.Dir.
func (s *Spec) path(name string) string {
	if s.env.FS != nil || s.env.Dir == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(s.env.Dir, name)
}

// BuildTarget validates a target on its own (as `klfit div` needs) and
// returns it. Data files are read through env; the spec's other keys are
// not looked at.
func (s *Spec) BuildTarget(env Env) (target.Target, error) {
	n := *s
	n.env = env
	return n.buildTarget(nil, false) // every family but categorical, which needs a grid
}

// buildOtherTarget builds a target other than a family member; with
// checkOnly set it reads no file (tables and histograms are then nil).
func (s *Spec) buildOtherTarget(checkOnly bool) (target.Target, error) {
	t := s.Target
	switch t.Kind() {
	case "mixture":
		cs := make([]target.Component, len(t.Mixture))
		for i, c := range t.Mixture {
			key := fmt.Sprintf("target.mixture[%d]", i)
			f, err := dist.Lookup(c.Family)
			if err != nil {
				return nil, s.wrap(key+".family", err)
			}
			theta, err := s.theta(f, c.Params, key+".params")
			if err != nil {
				return nil, err
			}
			cs[i] = target.Component{Weight: c.Weight, Family: target.Family{Family: f, Theta: theta}}
		}
		m, err := target.NewMixture(cs)
		var we *target.WeightError
		if errors.As(err, &we) {
			if we.Index >= 0 {
				return nil, s.errorf(fmt.Sprintf("target.mixture[%d].weight", we.Index), "%s", we.Msg)
			}
			return nil, s.errorf("target.mixture", "%s", we.Msg)
		}
		return m, err
	case "expression":
		e, err := target.NewExpression(t.Expression)
		if err != nil {
			return nil, s.wrap("target.expression", err)
		}
		return e, nil
	case "table":
		if checkOnly {
			return nil, nil
		}
		tb, err := target.ReadTable(s.env.FS, s.path(t.Table))
		if err != nil {
			return nil, s.wrap("target.table", err)
		}
		return tb, nil
	case "histogram":
		if checkOnly {
			return nil, nil
		}
		h, err := target.ReadHistogram(s.env.FS, s.path(t.Histogram))
		if err != nil {
			return nil, s.wrap("target.histogram", err)
		}
		return h, nil
	case "samples":
		if len(t.Columns) > 0 {
			return nil, s.errorf("target.columns", "samples in columns are fitted by Monte Carlo (klfit fit) from their mean and covariance; name one column for a 1-D density")
		}
		sm := &target.Samples{Path: s.path(t.Samples), Column: t.Column, Estimator: t.Estimator, Bandwidth: t.Bandwidth, SkipInvalid: t.SkipInvalid, Progress: s.env.Progress, FS: s.env.FS}
		if err := sm.Check(); err != nil {
			var se *target.SettingError
			if errors.As(err, &se) {
				return nil, s.errorf("target."+se.Setting, "%s", se.Msg)
			}
			return nil, s.wrap("target.samples", err)
		}
		return sm, nil
	case "sql":
		q, err := target.NewSQL(t.SQL)
		if err != nil {
			return nil, s.wrap("target.sql", err)
		}
		q.Progress = s.env.Progress
		return q, nil
	case "postgres":
		return s.buildPostgres()
	case "log_density":
		return nil, s.errorf("target.log_density", "a log-density in d dimensions is fitted by Monte Carlo (klfit fit), not evaluated on a grid; write a 1-D or 2-D density as an expression")
	}
	return nil, s.errorf("target", "say what to fit: a family, a mixture, an expression, a table, samples, a histogram, sql or postgres")
}

// buildPostgres builds a postgres target, with the connection of the
// spec's dsn or else of the environment's, and the environment's
// progress. Its queries run under the build's context (see
// target.Postgres.DensityContext).
func (s *Spec) buildPostgres() (*target.Postgres, error) {
	t := s.Target
	dsn, key := t.DSN, "target.dsn"
	if dsn == "" {
		dsn, key = s.env.DSN, "target.postgres"
	}
	q, err := target.NewPostgres(t.Postgres, dsn)
	if err != nil {
		if strings.HasPrefix(err.Error(), "dsn:") {
			return nil, s.errorf(key, "%s", strings.TrimPrefix(err.Error(), "dsn: "))
		}
		return nil, s.wrap("target.postgres", err)
	}
	switch st := t.StatementTimeout; {
	case st < 0 || st > 1e9 || st != st:
		return nil, s.errorf("target.statement_timeout", "must be from 0 to 1e9 seconds, got %v", st)
	case st > 0:
		q.StatementTimeout = max(time.Duration(st*float64(time.Second)), time.Millisecond)
	}
	q.Progress = s.env.DatabaseProgress
	return q, nil
}

// divergenceAt builds the divergence dv names, filling its options with
// their defaults so that the spec records them.
func (s *Spec) divergenceAt(dv *Divergence, key string) (divergence.Divergence, error) {
	opts := map[string]float64{}
	for _, o := range dv.Options {
		if o.Bool { // no divergence has a true/false option
			return nil, s.errorf(key+"."+o.Name, "must be a number, got the boolean %v", o.Value != 0)
		}
		opts[o.Name] = o.Value
	}
	d, err := divergence.New(dv.Name, opts)
	if err != nil {
		var oe *divergence.OptionError
		if errors.As(err, &oe) {
			return nil, s.errorf(key+"."+oe.Option, "%s", oe.Msg)
		}
		return nil, s.wrap(key, err)
	}
	if c, ok := d.(divergence.Configurable); ok {
		dv.Options = dv.Options[:0:0]
		for i, st := range c.Settings() {
			dv.Options = append(dv.Options, Option{Name: st.Name, Value: c.Values()[i]})
		}
	}
	return d, nil
}

// buildReport builds the divergences of report:, which must not repeat.
func (s *Spec) buildReport(w target.Weights) ([]divergence.Divergence, error) {
	var out []divergence.Divergence
	seen := map[string]bool{}
	report := append([]Divergence(nil), s.Report...)
	for i := range report {
		key := fmt.Sprintf("report[%d]", i)
		d, err := s.divergenceAt(&report[i], key)
		if err != nil {
			return nil, err
		}
		if d.Name() != "kl" && w == target.Density {
			return nil, s.errorf(key, "%s compares probability vectors; with target_weights: density only kl can be reported", d.Name())
		}
		col := fit.ReportColumn(d)
		if seen[col] {
			return nil, s.errorf(key, "%s is reported twice", col)
		}
		seen[col] = true
		out = append(out, d)
	}
	s.Report = report
	return out, nil
}
