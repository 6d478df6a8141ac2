package spec

import (
	"errors"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
)

// newFamily builds the family name for the spec section at prefix
// ("target" or "model") with the settings cfg, mapping errors to keys.
func (s *Spec) newFamily(prefix, name string, cfg dist.Config) (dist.Family, error) {
	f, err := dist.New(name, cfg)
	var ce *dist.ConfigError
	switch {
	case errors.As(err, &ce) && ce.Key != "":
		return nil, s.errorf(prefix+"."+ce.Key, "%s", ce.Msg)
	case errors.As(err, &ce):
		return nil, s.errorf(prefix+".family", "%s", ce.Msg)
	case err != nil:
		return nil, s.wrap(prefix+".family", err)
	}
	return f, nil
}

// targetFamily builds the target's family on grid g (nil when the target
// is built on its own: a categorical target then cannot be). A mixture
// target has as many components as its weights.
func (s *Spec) targetFamily(g *grid.Grid) (dist.Family, error) {
	t := s.Target
	cfg := dist.Config{Component: t.Component}
	if g != nil {
		cfg.Axes = g.Axes
	}
	if t.Family == "mixture" {
		w, ok := t.Params.Get("weights")
		if !ok {
			return nil, s.errorf("target.params", "missing parameter weights (a mixture takes weights and the component's parameters, one value per component)")
		}
		cfg.Components = len(w.Value)
		if len(w.Shape) != 1 {
			return nil, s.errorf("target.params.weights", "must be a list of numbers, one per component")
		}
	} else if t.Component != "" {
		return nil, s.errorf("target.component", "only a mixture takes a component family, not %s", t.Family)
	}
	f, err := s.newFamily("target", t.Family, cfg)
	if err != nil || g == nil {
		return f, err
	}
	return f, s.checkCircular("target.family", f, g)
}

// modelFamily builds the model's family on grid g.
func (s *Spec) modelFamily(g *grid.Grid) (dist.Family, error) {
	m := s.Model
	if m.Family == "mixture" {
		if m.Components == 0 {
			return nil, s.errorf("model", "a mixture model needs components: the number of components")
		}
	} else if m.Components != 0 {
		return nil, s.errorf("model.components", "only a mixture model takes components, not %s", m.Family)
	} else if m.Component != "" {
		return nil, s.errorf("model.component", "only a mixture model takes a component family, not %s", m.Family)
	}
	f, err := s.newFamily("model", m.Family, dist.Config{Components: m.Components, Component: m.Component, Axes: g.Axes})
	if err != nil {
		return nil, err
	}
	if f.Dim() != g.Dim() {
		return nil, s.errorf("model.family", "the %s family is %d-D but the grid is %d-D", f.Name(), f.Dim(), g.Dim())
	}
	return f, s.checkCircular("model.family", f, g)
}

// checkCircular checks that a family of angles is on a circular grid and
// that a circular grid holds families of angles.
func (s *Spec) checkCircular(key string, f dist.Family, g *grid.Grid) error {
	switch {
	case dist.IsCircular(f) && !g.Circular():
		return s.errorf(key, "the %s family lives on the circle: use a circular grid, e.g. grid: {circular: true, points: 360}", describeFamily(f))
	case !dist.IsCircular(f) && g.Circular():
		return s.errorf(key, "the grid is circular but the %s family is not: on the circle use von_mises, a mixture of von_mises or categorical", describeFamily(f))
	}
	return nil
}

func describeFamily(f dist.Family) string {
	if mx, ok := f.(*dist.Mixture); ok {
		return "mixture of " + mx.Component().Name()
	}
	return f.Name()
}

// modelInit returns the model's initial parameters: those of the spec, or,
// when it gives none, a guess from the target masses p on g, which it
// records in s.Model.Init (except for a categorical model, whose guess,
// equal masses, is one number per grid point).
func (s *Spec) modelInit(f dist.Family, g *grid.Grid, p []float64) ([]float64, error) {
	if len(s.Model.Init) > 0 {
		return s.theta(f, s.Model.Init, "model.init")
	}
	theta, err := dist.Guess(f, g.X, g.Y, p)
	if err != nil {
		return nil, s.errorf("model.init", "none given, and none could be guessed from the target: %v; give one", err)
	}
	if _, cat := f.(*dist.Categorical); !cat {
		var ps Params
		vals := dist.Unpack(f, theta)
		for b, blk := range dist.Blocks(f) {
			ps = append(ps, Param{Name: blk.Name, Shape: blk.Shape, Value: vals[b]})
		}
		s.Model.Init = ps
	}
	return theta, nil
}

// checkRaw refuses the raw parameterization for families whose parameters
// include a probability vector: no step can keep it on the simplex.
func (s *Spec) checkRaw(f dist.Family) error {
	for _, b := range dist.Blocks(f) {
		if b.Constraint == dist.Simplex {
			return s.errorf("model.parameterization", "raw steps cannot keep the %s family's %s on the simplex: use unconstrained", f.Name(), b.Name)
		}
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// shapeHint says what a parameter's leading dimension counts.
func shapeHint(f dist.Family) string {
	switch f.(type) {
	case *dist.Mixture:
		return " (one per component)"
	case *dist.Categorical:
		return " (one per grid point)"
	}
	return ""
}
