package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/klfit/klfit/target"
)

// YAML returns the spec as YAML that Parse reads back to the same spec,
// but for the password of a postgres target's dsn, which is left out.
// Numbers are written in the shortest form that reads back to the same
// float64.
func (s *Spec) YAML() []byte {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s.node()); err != nil {
		panic("spec: encoding a node tree cannot fail: " + err.Error())
	}
	return buf.Bytes()
}

// MarshalJSON returns the spec as a JSON object with the same keys as its
// YAML form.
func (s *Spec) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	writeJSON(&buf, s.node())
	return buf.Bytes(), nil
}

// UnmarshalJSON parses a JSON spec strictly, like Parse.
func (s *Spec) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err != nil {
		return err
	}
	*s = *p
	return nil
}

func (s *Spec) node() *yaml.Node {
	m := block()
	if !s.Grid.IsZero() { // else chosen when the spec is built
		add(m, "grid", s.Grid.node())
	}
	add(m, "target", s.Target.node())
	if s.TargetWeights != "" {
		add(m, "target_weights", str(s.TargetWeights))
	}
	if s.Divergence.Name != "" {
		add(m, "divergence", s.Divergence.node())
	}
	if len(s.Report) > 0 {
		l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, d := range s.Report {
			l.Content = append(l.Content, d.node())
		}
		add(m, "report", l)
	}
	add(m, "model", s.Model.node())
	if s.Estimator != (Estimator{}) {
		add(m, "estimator", s.Estimator.node())
	}
	if s.Optimizer.Name != "" {
		add(m, "optimizer", s.Optimizer.node())
	}
	add(m, "epochs", num(float64(s.Epochs)))
	if !s.Stop.IsZero() {
		add(m, "stop", s.Stop.node())
	}
	if s.OnDivergence != "" {
		add(m, "on_divergence", str(s.OnDivergence))
	}
	if s.MaxBacktracks != 0 {
		add(m, "max_backtracks", num(float64(s.MaxBacktracks)))
	}
	return m
}

func (e Estimator) node() *yaml.Node {
	m := flow()
	add(m, "name", str(e.Name))
	if e.settings() {
		add(m, "samples", num(float64(e.Samples)))
		add(m, "seed", num(float64(e.Seed)))
		add(m, "resample", boolean(e.Resample))
		add(m, "qmc", boolean(e.QMC))
	}
	return m
}

func (st Stop) node() *yaml.Node {
	m := flow()
	if st.Tolerance != 0 {
		add(m, "tolerance", num(st.Tolerance))
	}
	if st.GradientTolerance != 0 {
		add(m, "gradient_tolerance", num(st.GradientTolerance))
	}
	if st.Patience != 0 {
		add(m, "patience", num(float64(st.Patience)))
	}
	if st.MaxTime != 0 {
		add(m, "max_time", num(st.MaxTime))
	}
	return m
}

func (g Grid) node() *yaml.Node {
	if g.Circular {
		m := flow()
		add(m, "circular", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
		add(m, "points", num(float64(g.Points)))
		return m
	}
	if g.X != nil && g.Y != nil {
		m := block()
		add(m, "x", g.X.node())
		add(m, "y", g.Y.node())
		return m
	}
	return Axis{g.Start, g.Stop, g.Step}.node()
}

func (a Axis) node() *yaml.Node {
	m := flow()
	add(m, "start", num(a.Start))
	add(m, "stop", num(a.Stop))
	add(m, "step", num(a.Step))
	return m
}

func (t Target) node() *yaml.Node {
	m := block()
	switch t.Kind() {
	case "family":
		add(m, "family", str(t.Family))
		if t.Component != "" {
			add(m, "component", str(t.Component))
		}
		add(m, "params", t.Params.node())
	case "mixture":
		l := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range t.Mixture {
			cm := flow()
			add(cm, "weight", num(c.Weight))
			add(cm, "family", str(c.Family))
			add(cm, "params", c.Params.node())
			l.Content = append(l.Content, cm)
		}
		add(m, "mixture", l)
	case "expression":
		add(m, "expression", str(t.Expression))
	case "log_density":
		add(m, "log_density", str(t.LogDensity))
		add(m, "dims", num(float64(t.Dims)))
	case "table":
		add(m, "table", str(t.Table))
	case "histogram":
		add(m, "histogram", str(t.Histogram))
	case "sql":
		add(m, "sql", str(t.SQL))
	case "postgres":
		add(m, "postgres", str(t.Postgres))
		if dsn := target.RedactDSN(t.DSN); dsn != "" {
			add(m, "dsn", str(dsn))
		}
		if t.StatementTimeout != 0 {
			add(m, "statement_timeout", num(t.StatementTimeout))
		}
	case "samples":
		add(m, "samples", str(t.Samples))
		if t.Column != "" {
			add(m, "column", str(t.Column))
		}
		if t.Columns != nil {
			l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, c := range t.Columns {
				l.Content = append(l.Content, str(c))
			}
			add(m, "columns", l)
		}
		if t.Estimator != "" {
			add(m, "estimator", str(t.Estimator))
		}
		if t.Bandwidth != "" {
			if _, err := strconv.ParseFloat(t.Bandwidth, 64); err == nil {
				add(m, "bandwidth", &yaml.Node{Kind: yaml.ScalarNode, Value: t.Bandwidth})
			} else {
				add(m, "bandwidth", str(t.Bandwidth))
			}
		}
		if t.SkipInvalid {
			add(m, "skip_invalid", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
		}
	}
	return m
}

func (md Model) node() *yaml.Node {
	m := block()
	add(m, "family", str(md.Family))
	if md.Components != 0 {
		add(m, "components", num(float64(md.Components)))
	}
	if md.Component != "" {
		add(m, "component", str(md.Component))
	}
	if len(md.Init) > 0 {
		add(m, "init", md.Init.node())
	}
	if md.Parameterization != "" {
		add(m, "parameterization", str(md.Parameterization))
	}
	return m
}

func (d Divergence) node() *yaml.Node {
	if len(d.Options) == 0 {
		return str(d.Name)
	}
	m := flow()
	add(m, "name", str(d.Name))
	d.Options.addTo(m)
	return m
}

func (o Optimizer) node() *yaml.Node {
	m := flow()
	add(m, "name", str(o.Name))
	o.Settings.addTo(m)
	return m
}

func (ps Params) node() *yaml.Node {
	m := flow()
	for _, p := range ps {
		add(m, p.Name, p.node())
	}
	return m
}

func (p Param) node() *yaml.Node {
	switch len(p.Shape) {
	case 0:
		return num(p.Value[0])
	case 1:
		return numList(p.Value)
	}
	l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	if len(p.Shape) == 3 { // a list of matrices
		size := p.Shape[1] * p.Shape[2]
		for m := 0; m < p.Shape[0]; m++ {
			l.Content = append(l.Content, Param{Shape: p.Shape[1:], Value: p.Value[m*size : (m+1)*size]}.node())
		}
		return l
	}
	cols := p.Shape[1]
	for r := 0; r < p.Shape[0]; r++ {
		l.Content = append(l.Content, numList(p.Value[r*cols:(r+1)*cols]))
	}
	return l
}

func (os Options) addTo(m *yaml.Node) {
	for _, o := range os {
		if o.Bool {
			add(m, o.Name, boolean(o.Value != 0))
			continue
		}
		add(m, o.Name, num(o.Value))
	}
}

// boolean is an untagged true or false scalar (valid YAML and JSON).
func boolean(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatBool(v)}
}

func block() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }
func flow() *yaml.Node  { return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle} }

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, str(key), v)
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// num is an untagged number scalar, written in the shortest form that reads
// back to the same float64.
func num(v float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(v, 'g', -1, 64)}
}

func numList(vs []float64) *yaml.Node {
	l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range vs {
		l.Content = append(l.Content, num(v))
	}
	return l
}

// writeJSON writes a node tree built by this package as JSON, keeping the
// order of mapping keys.
func writeJSON(buf *bytes.Buffer, n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSON(buf, n.Content[i])
			buf.WriteByte(':')
			writeJSON(buf, n.Content[i+1])
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSON(buf, e)
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		if n.Tag == "!!str" {
			b, _ := json.Marshal(n.Value)
			buf.Write(b)
		} else {
			buf.WriteString(n.Value) // a number in Go's shortest form: valid JSON
		}
	default:
		panic(fmt.Sprintf("spec: unexpected node kind %v", n.Kind))
	}
}
