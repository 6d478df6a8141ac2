package spec

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/klfit/klfit/internal/suggest"
	"go.yaml.in/yaml/v3"
)

// Parse decodes a spec from YAML or JSON. It is strict: an unknown key, a
// value of the wrong type, a duplicate key or a missing required key is an
// *Error naming the key and its line. Parse checks the spec's shape only;
// Build checks its values. A spec whose YAML aliases stand for many more
// values than it writes out is refused before it is decoded (see
// MaxAliasValues).
func Parse(data []byte) (*Spec, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, syntaxError(err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &Error{Msg: "the spec is empty"}
	}
	if err := checkExpansion(&root); err != nil {
		return nil, err
	}
	d := &decoder{lines: map[string]int{}}
	s := &Spec{lines: d.lines}
	if err := d.spec(s, root.Content[0]); err != nil {
		return nil, err
	}
	return s, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

func syntaxError(err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Line: line, Msg: "not valid YAML or JSON: " + msg[len(m[0]):], Err: err}
	}
	return &Error{Msg: "not valid YAML or JSON: " + strings.TrimPrefix(msg, "yaml: "), Err: err}
}

// decoder walks a YAML node tree, recording the line of every key.
type decoder struct {
	lines map[string]int
}

// object is a YAML mapping being decoded.
type object struct {
	d    *decoder
	path string
	node *yaml.Node
	vals map[string]*yaml.Node
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) errorf(n *yaml.Node, key, format string, args ...any) *Error {
	return &Error{Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// object decodes n as a mapping whose keys must be among allowed (any key
// when allowed is nil).
func (d *decoder) object(n *yaml.Node, path string, allowed []string) (*object, error) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return nil, d.errorf(n, path, "must be a mapping of keys to values, got %s", describe(n))
	}
	o := &object{d: d, path: path, node: n, vals: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, d.errorf(k, path, "keys must be plain names, got %s", describe(k))
		}
		key := join(path, k.Value)
		if _, dup := o.vals[k.Value]; dup {
			return nil, d.errorf(k, key, "duplicate key")
		}
		if allowed != nil && !contains(allowed, k.Value) {
			return nil, d.errorf(k, key, "unknown key (known here: %s)%s", strings.Join(allowed, ", "), suggest.Hint(k.Value, allowed))
		}
		o.vals[k.Value] = v
		d.lines[key] = k.Line
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return deref(n.Content[0])
	}
	return n
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!null":
			return "nothing"
		case "!!bool":
			return "the boolean " + n.Value
		}
		return n.Value
	}
	return "an unexpected value"
}

// require returns an error for the first of keys that is missing.
func (o *object) require(keys ...string) error {
	for _, k := range keys {
		if _, ok := o.vals[k]; !ok {
			return o.d.errorf(o.node, join(o.path, k), "required key is missing")
		}
	}
	return nil
}

func (o *object) has(key string) bool {
	_, ok := o.vals[key]
	return ok
}

// number decodes n as a finite float64.
func (d *decoder) number(n *yaml.Node, key string) (float64, error) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		return 0, d.errorf(n, key, "must be a number, got %s", describe(n))
	}
	var v float64
	if err := n.Decode(&v); err != nil {
		return 0, d.errorf(n, key, "must be a number, got %s", describe(n))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, d.errorf(n, key, "must be a finite number, got %s", n.Value)
	}
	return v, nil
}

func (o *object) float(key string, dst *float64) error {
	n, ok := o.vals[key]
	if !ok {
		return nil
	}
	v, err := o.d.number(n, join(o.path, key))
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// int decodes a whole number; 1e6 is accepted as 1000000.
func (o *object) int(key string, dst *int) error {
	var v float64
	if err := o.float(key, &v); err != nil || !o.has(key) {
		return err
	}
	if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
		return o.d.errorf(o.vals[key], join(o.path, key), "must be a whole number, got %s", o.vals[key].Value)
	}
	*dst = int(v)
	return nil
}

func (o *object) str(key string, dst *string) error {
	n, ok := o.vals[key]
	if !ok {
		return nil
	}
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return o.d.errorf(n, join(o.path, key), "must be a name, got %s", describe(n))
	}
	*dst = n.Value
	return nil
}

func (d *decoder) spec(s *Spec, n *yaml.Node) error {
	o, err := d.object(n, "", []string{"grid", "target", "target_weights", "divergence", "report", "model", "optimizer", "epochs",
		"stop", "on_divergence", "max_backtracks", "estimator"})
	if err != nil {
		return err
	}
	// Decode in a fixed order, each required key when its turn comes, so
	// that the first error reported is the first a reader meets.
	if n, ok := o.vals["grid"]; ok { // else chosen from the target (see AutoGrid)
		if err := d.grid(&s.Grid, n); err != nil {
			return err
		}
	}
	if err := o.require("target"); err != nil {
		return err
	}
	if err := d.target(&s.Target, o.vals["target"]); err != nil {
		return err
	}
	if err := o.str("target_weights", &s.TargetWeights); err != nil {
		return err
	}
	if n, ok := o.vals["divergence"]; ok {
		if err := d.divergence(&s.Divergence, n); err != nil {
			return err
		}
	}
	if n, ok := o.vals["report"]; ok {
		if s.Report, err = d.report(n); err != nil {
			return err
		}
	}
	if n, ok := o.vals["estimator"]; ok {
		if err := d.estimator(&s.Estimator, n); err != nil {
			return err
		}
	}
	if err := o.require("model"); err != nil {
		return err
	}
	if err := d.model(&s.Model, o.vals["model"]); err != nil {
		return err
	}
	if n, ok := o.vals["optimizer"]; ok {
		if err := d.optimizer(&s.Optimizer, n); err != nil {
			return err
		}
	}
	s.Epochs = DefaultEpochs
	if err := o.int("epochs", &s.Epochs); err != nil {
		return err
	}
	if n, ok := o.vals["stop"]; ok {
		if err := d.stop(s, n, o.has("epochs")); err != nil {
			return err
		}
	}
	if err := o.str("on_divergence", &s.OnDivergence); err != nil {
		return err
	}
	return o.int("max_backtracks", &s.MaxBacktracks)
}

// stop decodes the stop mapping; its max_epochs is the epochs key's long
// form.
func (d *decoder) stop(s *Spec, n *yaml.Node, haveEpochs bool) error {
	o, err := d.object(n, "stop", []string{"max_epochs", "tolerance", "gradient_tolerance", "patience", "max_time"})
	if err != nil {
		return err
	}
	if o.has("max_epochs") && haveEpochs {
		return d.errorf(o.vals["max_epochs"], "stop.max_epochs", "give epochs or stop.max_epochs, not both")
	}
	if err := firstErr(o.int("max_epochs", &s.Epochs), o.float("tolerance", &s.Stop.Tolerance),
		o.float("gradient_tolerance", &s.Stop.GradientTolerance), o.int("patience", &s.Stop.Patience)); err != nil {
		return err
	}
	if v, ok := o.vals["max_time"]; ok {
		v = deref(v)
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
			dur, err := time.ParseDuration(v.Value)
			if err != nil {
				return d.errorf(v, "stop.max_time", "must be seconds or a duration like 90s or 1h30m, got %q", v.Value)
			}
			s.Stop.MaxTime = dur.Seconds()
			return nil
		}
		return o.float("max_time", &s.Stop.MaxTime)
	}
	return nil
}

// DefaultEpochs is the number of epochs of a spec that does not say.
const DefaultEpochs = 1000

func (d *decoder) axis(a *Axis, n *yaml.Node, path string) error {
	o, err := d.object(n, path, []string{"start", "stop", "step"})
	if err != nil {
		return err
	}
	if err := o.require("start", "stop", "step"); err != nil {
		return err
	}
	return firstErr(o.float("start", &a.Start), o.float("stop", &a.Stop), o.float("step", &a.Step))
}

func (d *decoder) grid(g *Grid, n *yaml.Node) error {
	g.given = true // even all zeros: then an error, not the automatic grid
	o, err := d.object(n, "grid", nil)
	if err != nil {
		return err
	}
	if o.has("circular") || o.has("points") {
		return d.circle(g, n)
	}
	if o.has("x") || o.has("y") {
		if _, err := d.object(n, "grid", []string{"x", "y"}); err != nil {
			return err
		}
		if err := o.require("x", "y"); err != nil {
			return err
		}
		g.X, g.Y = new(Axis), new(Axis)
		if err := d.axis(g.X, o.vals["x"], "grid.x"); err != nil {
			return err
		}
		return d.axis(g.Y, o.vals["y"], "grid.y")
	}
	var a Axis
	if err := d.axis(&a, n, "grid"); err != nil {
		return err
	}
	g.Start, g.Stop, g.Step = a.Start, a.Stop, a.Step
	return nil
}

func (d *decoder) target(t *Target, n *yaml.Node) error {
	return d.targetKinds(t, n) // every kind of target: see decode_target.go
}

func (d *decoder) model(m *Model, n *yaml.Node) error {
	if n := deref(n); n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		// One line, as --model takes it: "normal", "mixture(components=2,
		// component=normal)" or "0.3*normal(...) + 0.7*normal(...)".
		d.lines["model"], d.lines["model.family"] = n.Line, n.Line
		p, err := ParseModel(n.Value)
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) {
				return &Error{Line: n.Line, Key: "model", Msg: err.Error(), Err: err}
			}
			return err
		}
		*m = p
		return nil
	}
	o, err := d.object(n, "model", []string{"family", "init", "parameterization", "components", "component"})
	if err != nil {
		return err
	}
	if err := o.require("family"); err != nil {
		return err
	}
	if err := firstErr(o.str("family", &m.Family), o.str("parameterization", &m.Parameterization),
		o.int("components", &m.Components), o.str("component", &m.Component)); err != nil {
		return err
	}
	if !o.has("init") {
		return nil
	}
	m.Init, err = d.params(o.vals["init"], "model.init")
	return err
}

// params decodes a mapping of parameter names to numbers, lists of numbers
// or lists of lists of numbers.
func (d *decoder) params(n *yaml.Node, path string) (Params, error) {
	o, err := d.object(n, path, nil)
	if err != nil {
		return nil, err
	}
	var ps Params
	for i := 0; i+1 < len(o.node.Content); i += 2 {
		name, v := o.node.Content[i].Value, deref(o.node.Content[i+1])
		p, err := d.array(v, join(path, name))
		if err != nil {
			return nil, err
		}
		p.Name = name
		ps = append(ps, p)
	}
	return ps, nil
}

// array decodes a number, a list of numbers or a list of equally long lists
// of numbers.
func (d *decoder) array(n *yaml.Node, key string) (Param, error) {
	if n.Kind != yaml.SequenceNode {
		v, err := d.number(n, key)
		return Param{Value: []float64{v}}, err
	}
	if len(n.Content) == 0 {
		return Param{}, d.errorf(n, key, "must not be an empty list")
	}
	if deref(n.Content[0]).Kind != yaml.SequenceNode {
		p := Param{Shape: []int{len(n.Content)}}
		for i, e := range n.Content {
			v, err := d.number(e, fmt.Sprintf("%s[%d]", key, i))
			if err != nil {
				return Param{}, err
			}
			p.Value = append(p.Value, v)
		}
		return p, nil
	}
	if first := deref(n.Content[0]); len(first.Content) > 0 && deref(first.Content[0]).Kind == yaml.SequenceNode {
		return d.matrices(n, key)
	}
	cols := len(deref(n.Content[0]).Content)
	p := Param{Shape: []int{len(n.Content), cols}}
	for i, row := range n.Content {
		row = deref(row)
		if row.Kind != yaml.SequenceNode || len(row.Content) != cols {
			return Param{}, d.errorf(row, fmt.Sprintf("%s[%d]", key, i), "must be a list of %d numbers, like the first row", cols)
		}
		for j, e := range row.Content {
			v, err := d.number(e, fmt.Sprintf("%s[%d][%d]", key, i, j))
			if err != nil {
				return Param{}, err
			}
			p.Value = append(p.Value, v)
		}
	}
	return p, nil
}

// options decodes the numeric (or true/false) keys of o other than skip.
func (d *decoder) options(o *object, skip string) (Options, error) {
	var opts Options
	for i := 0; i+1 < len(o.node.Content); i += 2 {
		name := o.node.Content[i].Value
		if name == skip {
			continue
		}
		if b := deref(o.node.Content[i+1]); b.Kind == yaml.ScalarNode && b.ShortTag() == "!!bool" {
			var v bool
			if err := b.Decode(&v); err != nil {
				return nil, d.errorf(b, join(o.path, name), "must be true or false, got %s", b.Value)
			}
			opt := Option{Name: name, Bool: true}
			if v {
				opt.Value = 1
			}
			opts = append(opts, opt)
			continue
		}
		v, err := d.number(o.node.Content[i+1], join(o.path, name))
		if err != nil {
			return nil, err
		}
		opts = append(opts, Option{Name: name, Value: v})
	}
	return opts, nil
}

func (d *decoder) divergence(dv *Divergence, n *yaml.Node) error {
	return d.divergenceAt(dv, n, "divergence") // see decode_target.go
}

// optimizer decodes the optimizer: a name (its settings at their
// defaults), a one-line "adam(learning_rate=0.01)" as --optimizer takes,
// or a mapping with a name and settings.
func (d *decoder) optimizer(op *Optimizer, n *yaml.Node) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		d.lines["optimizer"] = n.Line
		if n.ShortTag() != "!!str" {
			return d.errorf(n, "optimizer", "must be an optimizer's name or a mapping such as {name: adam, learning_rate: 0.01}, got %s", describe(n))
		}
		d.lines["optimizer.name"] = n.Line
		p, err := ParseOptimizer(n.Value)
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) {
				return &Error{Line: n.Line, Key: "optimizer", Msg: err.Error(), Err: err}
			}
			return err
		}
		*op = p
		return nil
	}
	o, err := d.object(n, "optimizer", nil)
	if err != nil {
		return err
	}
	if err := o.require("name"); err != nil {
		return err
	}
	if err := o.str("name", &op.Name); err != nil {
		return err
	}
	op.Settings, err = d.options(o, "name")
	return err
}

// firstErr returns the first non-nil error, so that messages stay one line.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// estimator decodes the estimator: a name, or a mapping with a name and
// the monte_carlo estimator's settings.
func (d *decoder) estimator(e *Estimator, n *yaml.Node) error {
	n = deref(n)
	d.lines["estimator"] = n.Line
	if n.Kind == yaml.ScalarNode {
		if n.ShortTag() != "!!str" {
			return d.errorf(n, "estimator", "must be grid or monte_carlo, or a mapping such as {name: monte_carlo, samples: 256, seed: 0}, got %s", describe(n))
		}
		d.lines["estimator.name"] = n.Line
		e.Name = n.Value
		return nil
	}
	o, err := d.object(n, "estimator", []string{"name", "samples", "seed", "resample", "qmc"})
	if err != nil {
		return err
	}
	if err := firstErr(o.require("name"), o.str("name", &e.Name), o.int("samples", &e.Samples), o.int("seed", &e.Seed),
		o.boolean("resample", &e.Resample), o.boolean("qmc", &e.QMC)); err != nil {
		return err
	}
	// Samples 0 means "not given" (the default) to the rest of the spec:
	// a 0 written out is refused here, as 1 is at the build.
	if o.has("samples") && e.Samples == 0 {
		return d.errorf(o.vals["samples"], "estimator.samples", "must be at least 2, got 0")
	}
	return nil
}
