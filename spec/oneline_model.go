package spec

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/klfit/klfit/dist"
)

// modelKeys are the settings a model written in the one-line syntax takes
// besides its initial parameters: those of a spec's model.
var modelKeys = []string{"components", "component", "parameterization"}

// ParseModel parses a model written in the one-line syntax, as --model
// takes it:
//
//	normal
//	normal(mean=5, variance=1)
//	mixture(components=2, component=normal)
//	mixture(components=2, component=normal, weights=[0.5, 0.5], mean=[-1, 1], variance=[1, 1])
//	0.3*normal(mean=-2, variance=1) + 0.7*normal(mean=3, variance=0.5)
//
// In parentheses, components, component and parameterization are the
// model's settings, as a spec's model takes them, and the other names its
// initial parameters (model.init); a mixture given its weights but not
// components has as many components as weights. A sum of weighted members
// of one family is the mixture model of that family started at those
// weights and parameters: the last example is
//
//	{family: mixture, components: 2, component: normal,
//	 init: {weights: [0.3, 0.7], mean: [-2, 3], variance: [1, 0.5]}}
//
// A model without parameters starts from a guess made from the target, as
// in a spec. Family names and parameters are checked later, by Build.
func ParseModel(s string) (Model, error) {
	p := &lineParser{src: s, model: true}
	p.space()
	if name := p.word(); name != "" {
		if p.space(); !p.more() {
			return Model{Family: name}, nil
		}
	}
	p.pos = 0
	terms, err := p.sum()
	if err != nil {
		return Model{}, err
	}
	for _, tm := range terms {
		if slices.Contains(targetKinds, tm.name) {
			return Model{}, p.errAt(tm.pos, "%s(...) is a target, not a model: a model is a family, as in normal(mean=0, variance=1) or mixture(components=2, component=normal)", tm.name)
		}
	}
	if len(terms) == 1 && !terms[0].weighted {
		return p.modelCall(terms[0])
	}
	return p.modelSum(terms)
}

// modelCall reads family(settings and parameters).
func (p *lineParser) modelCall(tm term) (Model, error) {
	m := Model{Family: tm.name}
	seen := map[string]bool{}
	for _, a := range tm.args {
		if a.name == "" {
			return Model{}, p.errAt(a.pos, "write name=value, as in %s(mean=0, variance=1) or mixture(components=2, component=normal)", tm.name)
		}
		if seen[a.name] {
			return Model{}, p.errAt(a.pos, "%s is given twice", a.name)
		}
		seen[a.name] = true
		v := a.val
		switch a.name {
		case "components":
			if v.kind != valNumber || v.num != math.Trunc(v.num) || v.num < 1 || v.num > 1e9 {
				return Model{}, p.errAt(v.pos, "components must be a whole number of components, at least 1, as in components=2")
			}
			m.Components = int(v.num)
		case "component":
			if !isNameValue(v) {
				return Model{}, p.errAt(v.pos, "component must be a family name, as in component=normal")
			}
			m.Component = v.str
		case "parameterization":
			if !isNameValue(v) {
				return Model{}, p.errAt(v.pos, "parameterization must be unconstrained or raw")
			}
			m.Parameterization = v.str
		default:
			prm, err := p.param(v)
			if err != nil {
				return Model{}, err
			}
			prm.Name = a.name
			m.Init = append(m.Init, prm)
		}
	}
	if w, ok := m.Init.Get("weights"); ok && m.Family == "mixture" && m.Components == 0 && len(w.Shape) == 1 {
		m.Components = len(w.Value)
	}
	return m, nil
}

// modelSum reads w1*family(parameters) + w2*family(parameters) + ...: the
// mixture model of that family started at those weights and parameters.
func (p *lineParser) modelSum(terms []term) (Model, error) {
	first := terms[0]
	m := Model{Family: "mixture", Components: len(terms), Component: first.name}
	weights := Param{Name: "weights", Shape: []int{len(terms)}}
	var members []Params
	for _, tm := range terms {
		if !tm.weighted {
			return Model{}, p.errAt(tm.pos, "every member of a mixture needs a weight, as in 0.5*%s(...)", tm.name)
		}
		if tm.name != first.name {
			return Model{}, p.errAt(tm.pos, "the members of a mixture model are of one family: %s, not %s", first.name, tm.name)
		}
		weights.Value = append(weights.Value, tm.weight)
		var ps Params
		for _, a := range tm.args {
			switch {
			case a.name == "":
				return Model{}, p.errAt(a.pos, "parameters are name=value, as in %s(mean=0, variance=1)", tm.name)
			case a.name == "weights" || slices.Contains(modelKeys, a.name):
				return Model{}, p.errAt(a.pos, "the members of a mixture take their parameters only; its settings go in mixture(components=%d, component=%s, %s=..., weights=[...], ...)", len(terms), first.name, a.name)
			}
			if _, ok := ps.Get(a.name); ok {
				return Model{}, p.errAt(a.pos, "parameter %s given twice", a.name)
			}
			prm, err := p.param(a.val)
			if err != nil {
				return Model{}, err
			}
			prm.Name = a.name
			if len(members) > 0 {
				want, ok := members[0].Get(a.name)
				if !ok {
					return Model{}, p.errAt(a.pos, "the first member has no %s: the members give the same parameters", a.name)
				}
				if !sameShape(prm.Shape, want.Shape) {
					return Model{}, p.errAt(a.val.pos, "%s must be %s, like the first member's", a.name, dist.Block{Shape: want.Shape}.ShapeString())
				}
			}
			ps = append(ps, prm)
		}
		if len(ps) == 0 {
			return Model{}, p.errAt(tm.pos, "give every member's parameters, as in 0.5*%s(mean=0, variance=1), or start from a guess: mixture(components=%d, component=%s)", tm.name, len(terms), first.name)
		}
		if len(members) > 0 {
			for _, want := range members[0] {
				if _, ok := ps.Get(want.Name); !ok {
					return Model{}, p.errAt(tm.pos, "%s(...) has no %s, which the first member gives", tm.name, want.Name)
				}
			}
		}
		members = append(members, ps)
	}
	m.Init = Params{weights}
	for _, prm := range members[0] {
		stacked := Param{Name: prm.Name, Shape: append([]int{len(terms)}, prm.Shape...)}
		for _, ps := range members {
			q, _ := ps.Get(prm.Name)
			stacked.Value = append(stacked.Value, q.Value...)
		}
		m.Init = append(m.Init, stacked)
	}
	return m, nil
}

// isNameValue reports whether v is a name: letters, digits and underscores,
// bare or quoted.
func isNameValue(v value) bool {
	if v.kind != valWord && v.kind != valString || v.str == "" {
		return false
	}
	for i := 0; i < len(v.str); i++ {
		if !isNameByte(v.str[i]) {
			return false
		}
	}
	return true
}

// OneLine returns the model in the one-line syntax, its settings first,
// then its initial parameters: ParseModel reads what it returns back to
// the same model (a mixture written as a sum reads back written as
// mixture(...)).
func (m Model) OneLine() string {
	var parts []string
	if m.Components != 0 {
		parts = append(parts, "components="+strconv.Itoa(m.Components))
	}
	if m.Component != "" {
		parts = append(parts, "component="+nameText(m.Component))
	}
	if m.Parameterization != "" {
		parts = append(parts, "parameterization="+nameText(m.Parameterization))
	}
	for _, p := range m.Init {
		parts = append(parts, p.Name+"="+paramText(p))
	}
	if len(parts) == 0 {
		return m.Family
	}
	return m.Family + "(" + strings.Join(parts, ", ") + ")"
}

// nameText writes a name as a value: bare, unless it would read as a
// number.
func nameText(s string) string {
	if c := s[0]; c >= '0' && c <= '9' {
		return strconv.Quote(s)
	}
	return s
}
