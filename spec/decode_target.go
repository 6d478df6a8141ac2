package spec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// targetKeys are the keys that each name a kind of target.
var targetKeys = []string{"family", "mixture", "expression", "log_density", "table", "samples", "histogram", "sql", "postgres"}

// samplesKeys are the settings of a samples target.
var samplesKeys = []string{"column", "columns", "estimator", "bandwidth", "skip_invalid"}

// logDensityKeys are the settings of a log_density target.
var logDensityKeys = []string{"dims"}

// postgresKeys are the settings of a postgres target.
var postgresKeys = []string{"dsn", "statement_timeout"}

// targetKinds decodes a target: a mapping with exactly one kind key, or a
// string in the one-line syntax.
func (d *decoder) targetKinds(t *Target, n *yaml.Node) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		d.lines["target"] = n.Line
		pt, err := ParseTarget(n.Value)
		if err != nil {
			return &Error{Line: n.Line, Key: "target", Msg: err.Error(), Err: err}
		}
		*t = pt
		return nil
	}
	allowed := append(append(append(append([]string{"params", "component"}, targetKeys...), samplesKeys...), postgresKeys...), logDensityKeys...)
	o, err := d.object(n, "target", allowed)
	if err != nil {
		return err
	}
	var kinds []string
	for _, k := range targetKeys {
		if o.has(k) {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		return d.errorf(o.node, "target", "say what to fit with one of %s (or a one-line target such as \"normal(mean=0, variance=1)\")", strings.Join(targetKeys, ", "))
	case 1:
	default:
		return d.errorf(o.vals[kinds[1]], "target."+kinds[1], "a target is one of %s; this one already has %s", strings.Join(targetKeys, ", "), kinds[0])
	}
	kind := kinds[0]
	settingOf := map[string]string{"params": "family", "component": "family"}
	for _, k := range samplesKeys {
		settingOf[k] = "samples"
	}
	for _, k := range postgresKeys {
		settingOf[k] = "postgres"
	}
	for _, k := range logDensityKeys {
		settingOf[k] = "log_density"
	}
	for _, k := range append(append(append([]string{"params", "component"}, samplesKeys...), postgresKeys...), logDensityKeys...) {
		if !o.has(k) {
			continue
		}
		if settingOf[k] != kind {
			return d.errorf(o.vals[k], "target."+k, "%s is not a setting of a %s target", k, kind)
		}
	}
	switch kind {
	case "family":
		if err := o.require("params"); err != nil {
			return err
		}
		if err := firstErr(o.str("family", &t.Family), o.str("component", &t.Component)); err != nil {
			return err
		}
		t.Params, err = d.params(o.vals["params"], "target.params")
		return err
	case "mixture":
		t.Mixture, err = d.mixture(o.vals["mixture"])
		if err == nil && t.Mixture == nil {
			t.Mixture = []Component{}
		}
		return err
	case "expression":
		return o.text("expression", &t.Expression)
	case "log_density":
		if err := firstErr(o.text("log_density", &t.LogDensity), o.require("dims")); err != nil {
			return err
		}
		return o.int("dims", &t.Dims)
	case "table":
		return o.text("table", &t.Table)
	case "histogram":
		return o.text("histogram", &t.Histogram)
	case "sql":
		return o.text("sql", &t.SQL)
	case "postgres":
		if err := firstErr(o.text("postgres", &t.Postgres), o.text("dsn", &t.DSN)); err != nil {
			return err
		}
		if v, ok := o.vals["statement_timeout"]; ok {
			v = deref(v)
			if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
				dur, err := time.ParseDuration(v.Value)
				if err != nil {
					return d.errorf(v, "target.statement_timeout", "must be seconds or a duration like 90s or 1h30m, got %q", v.Value)
				}
				t.StatementTimeout = dur.Seconds()
				return nil
			}
			return o.float("statement_timeout", &t.StatementTimeout)
		}
		return nil
	}
	if err := firstErr(o.text("samples", &t.Samples), o.text("column", &t.Column), o.str("estimator", &t.Estimator), o.boolean("skip_invalid", &t.SkipInvalid)); err != nil {
		return err
	}
	if cn, ok := o.vals["columns"]; ok {
		if t.Columns, err = d.names(cn, "target.columns"); err != nil {
			return err
		}
	}
	if bn, ok := o.vals["bandwidth"]; ok {
		bn = deref(bn)
		switch {
		case bn.Kind == yaml.ScalarNode && (bn.ShortTag() == "!!int" || bn.ShortTag() == "!!float"):
			v, err := d.number(bn, "target.bandwidth")
			if err != nil {
				return err
			}
			t.Bandwidth = strconv.FormatFloat(v, 'g', -1, 64)
		case bn.Kind == yaml.ScalarNode && bn.ShortTag() == "!!str":
			t.Bandwidth = bn.Value
		default:
			return d.errorf(bn, "target.bandwidth", "must be scott, silverman or a number, got %s", describe(bn))
		}
	}
	return nil
}

// names decodes a non-empty list of non-empty names (columns).
func (d *decoder) names(n *yaml.Node, key string) ([]string, error) {
	n = deref(n)
	d.lines[key] = n.Line
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return nil, d.errorf(n, key, "must be a list of column names, as in [a, b, c], got %s", describe(n))
	}
	out := make([]string, len(n.Content))
	for i, e := range n.Content {
		e = deref(e)
		if e.Kind != yaml.ScalarNode || e.ShortTag() == "!!null" || strings.TrimSpace(e.Value) == "" {
			return nil, d.errorf(e, fmt.Sprintf("%s[%d]", key, i), "must be a column name, got %s", describe(e))
		}
		out[i] = e.Value
	}
	return out, nil
}

// text decodes a non-empty string (a file name, a formula, a query).
func (o *object) text(key string, dst *string) error {
	n, ok := o.vals[key]
	if !ok {
		return nil
	}
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" || n.ShortTag() == "!!map" {
		return o.d.errorf(n, join(o.path, key), "must be text, got %s", describe(n))
	}
	if strings.TrimSpace(n.Value) == "" {
		return o.d.errorf(n, join(o.path, key), "must not be empty")
	}
	*dst = n.Value
	return nil
}

func (o *object) boolean(key string, dst *bool) error {
	n, ok := o.vals[key]
	if !ok {
		return nil
	}
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		return o.d.errorf(n, join(o.path, key), "must be true or false, got %s", describe(n))
	}
	return n.Decode(dst)
}

func (d *decoder) mixture(n *yaml.Node) ([]Component, error) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		return nil, d.errorf(n, "target.mixture", "must be a list of {weight, family, params}, got %s", describe(n))
	}
	if len(n.Content) == 0 {
		return nil, d.errorf(n, "target.mixture", "must have at least one component")
	}
	var cs []Component
	for i, e := range n.Content {
		path := fmt.Sprintf("target.mixture[%d]", i)
		o, err := d.object(e, path, []string{"weight", "family", "params"})
		if err != nil {
			return nil, err
		}
		d.lines[path] = deref(e).Line
		if err := o.require("weight", "family", "params"); err != nil {
			return nil, err
		}
		var c Component
		if err := firstErr(o.float("weight", &c.Weight), o.str("family", &c.Family)); err != nil {
			return nil, err
		}
		if c.Params, err = d.params(o.vals["params"], path+".params"); err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// report decodes a list of divergences: names, or mappings with a name and
// options.
func (d *decoder) report(n *yaml.Node) ([]Divergence, error) {
	n = deref(n)
	d.lines["report"] = n.Line
	if n.Kind != yaml.SequenceNode {
		return nil, d.errorf(n, "report", "must be a list of divergences, as in [js, hellinger], got %s", describe(n))
	}
	var out []Divergence
	for i, e := range n.Content {
		key := fmt.Sprintf("report[%d]", i)
		var dv Divergence
		if err := d.divergenceAt(&dv, e, key); err != nil {
			return nil, err
		}
		out = append(out, dv)
	}
	return out, nil
}

// divergenceAt decodes a divergence at the given key: a name, a one-line
// "renyi(alpha=0.5)", or a mapping with a name and options.
func (d *decoder) divergenceAt(dv *Divergence, n *yaml.Node, key string) error {
	n = deref(n)
	d.lines[key] = n.Line
	if n.Kind == yaml.ScalarNode {
		if n.ShortTag() != "!!str" {
			return d.errorf(n, key, "must be a name like kl, got %s", describe(n))
		}
		p, err := ParseDivergence(n.Value)
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) {
				return &Error{Line: n.Line, Key: key, Msg: err.Error(), Err: err}
			}
			return err
		}
		*dv = p
		return nil
	}
	o, err := d.object(n, key, nil)
	if err != nil {
		return err
	}
	if err := firstErr(o.require("name"), o.str("name", &dv.Name)); err != nil {
		return err
	}
	dv.Options, err = d.options(o, "name")
	return err
}
