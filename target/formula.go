package target

import (
	"github.com/expr-lang/expr/ast"
)

// FormulaFunc is a function a formula may call (see ExpressionFunctions).
type FormulaFunc struct {
	// Name is the function's name in formulas, e.g. "normal_pdf".
	Name string
	// Doc describes it in a few words.
	Doc string
	// Args is its number of arguments.
	Args int
	// F evaluates it at the Args values of a.
	F func(a []float64) float64
}

// FormulaFuncs returns the functions a formula may call, in a fixed order.
// Packages that evaluate formulas their own way (for instance with
// derivatives) take the list from here, so that every formula compiles
// and means the same everywhere.
func FormulaFuncs() []FormulaFunc {
	out := make([]FormulaFunc, len(mathFuncs))
	for i, f := range mathFuncs {
		out[i] = FormulaFunc{Name: f.name, Doc: f.doc, Args: f.args, F: f.f}
	}
	return out
}

// Identifier is a name a formula uses as a value (not as a function
// called), with its position.
type Identifier struct {
	Name string
	// Line (1-based) and Column (0-based, as expr reports it) locate the
	// name in the formula.
	Line, Column int
}

// FormulaIdentifiers returns the names that the parsed formula node, from
// the source src, uses as values, in the order they appear. The names of
// functions called are left out. A caller checks them against the names
// it defines: expr's checker misses an unknown name inside a call's
// arguments when an operator is overloaded (as % is).
func FormulaIdentifiers(src string, node ast.Node) []Identifier {
	v := &names{callees: map[ast.Node]bool{}}
	ast.Walk(&node, v)
	var out []Identifier
	for _, id := range v.ids {
		if v.callees[id] {
			continue
		}
		line, col := position(src, id.Location().From)
		out = append(out, Identifier{Name: id.Value, Line: line, Column: col})
	}
	return out
}
