package spec

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// matrices decodes a list of equally shaped matrices (lists of lists of
// numbers), such as the covariances of a mixture's components, into a
// Param of shape [k, rows, cols].
func (d *decoder) matrices(n *yaml.Node, key string) (Param, error) {
	first := deref(n.Content[0])
	rows := len(first.Content)
	cols := len(deref(first.Content[0]).Content)
	p := Param{Shape: []int{len(n.Content), rows, cols}}
	for m, mat := range n.Content {
		mat = deref(mat)
		mkey := fmt.Sprintf("%s[%d]", key, m)
		if mat.Kind != yaml.SequenceNode || len(mat.Content) != rows {
			return Param{}, d.errorf(mat, mkey, "must be a %dx%d matrix, like the first one", rows, cols)
		}
		for i, row := range mat.Content {
			row = deref(row)
			if row.Kind != yaml.SequenceNode || len(row.Content) != cols {
				return Param{}, d.errorf(row, fmt.Sprintf("%s[%d]", mkey, i), "must be a list of %d numbers, like the first row", cols)
			}
			for j, e := range row.Content {
				v, err := d.number(e, fmt.Sprintf("%s[%d][%d]", mkey, i, j))
				if err != nil {
					return Param{}, err
				}
				p.Value = append(p.Value, v)
			}
		}
	}
	return p, nil
}

// circle decodes a circular grid: {circular: true, points: N}.
func (d *decoder) circle(g *Grid, n *yaml.Node) error {
	o, err := d.object(n, "grid", []string{"circular", "points"})
	if err != nil {
		return err
	}
	if err := o.require("circular", "points"); err != nil {
		return err
	}
	c := deref(o.vals["circular"])
	if c.Kind != yaml.ScalarNode || c.ShortTag() != "!!bool" || c.Value != "true" {
		return d.errorf(c, "grid.circular", "must be true (a linear grid is written {start, stop, step}), got %s", describe(c))
	}
	g.Circular = true
	return o.int("points", &g.Points)
}
