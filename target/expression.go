package target

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/klfit/klfit/grid"
)

// Expression is an unnormalized density written as a formula of x (and y on
// a 2-D grid), e.g. "exp(-x^2/2) * (1 + sin(3*x)^2)". Formulas are compiled
// by github.com/expr-lang/expr: numbers, + - * / % and ^ (or **) for powers,
// comparisons and the conditional "c ? a : b", and the functions listed by
// ExpressionFunctions. The value must be a finite number >= 0 at every grid
// point and not zero everywhere (target.Masses checks).
type Expression struct {
	// Source is the formula as written.
	Source  string
	program *vm.Program
	dim     int
}

type exprEnv struct {
	X  float64 `expr:"x"`
	Y  float64 `expr:"y"`
	Pi float64 `expr:"pi"`
	E  float64 `expr:"e"`
}

type mathFunc struct {
	name, doc string
	args      int
	f         func(a []float64) float64
}

var mathFuncs = []mathFunc{
	{"exp", "exp(a)", 1, func(a []float64) float64 { return math.Exp(a[0]) }},
	{"log", "natural logarithm", 1, func(a []float64) float64 { return math.Log(a[0]) }},
	{"log1p", "log(1+a)", 1, func(a []float64) float64 { return math.Log1p(a[0]) }},
	{"sqrt", "square root", 1, func(a []float64) float64 { return math.Sqrt(a[0]) }},
	{"abs", "absolute value", 1, func(a []float64) float64 { return math.Abs(a[0]) }},
	{"sin", "sine", 1, func(a []float64) float64 { return math.Sin(a[0]) }},
	{"cos", "cosine", 1, func(a []float64) float64 { return math.Cos(a[0]) }},
	{"tan", "tangent", 1, func(a []float64) float64 { return math.Tan(a[0]) }},
	{"atan", "arc tangent", 1, func(a []float64) float64 { return math.Atan(a[0]) }},
	{"sinh", "hyperbolic sine", 1, func(a []float64) float64 { return math.Sinh(a[0]) }},
	{"cosh", "hyperbolic cosine", 1, func(a []float64) float64 { return math.Cosh(a[0]) }},
	{"tanh", "hyperbolic tangent", 1, func(a []float64) float64 { return math.Tanh(a[0]) }},
	{"floor", "largest integer <= a", 1, func(a []float64) float64 { return math.Floor(a[0]) }},
	{"ceil", "smallest integer >= a", 1, func(a []float64) float64 { return math.Ceil(a[0]) }},
	{"erf", "error function", 1, func(a []float64) float64 { return math.Erf(a[0]) }},
	{"pow", "pow(a, b) = a^b", 2, func(a []float64) float64 { return math.Pow(a[0], a[1]) }},
	{"min", "min(a, b)", 2, func(a []float64) float64 { return math.Min(a[0], a[1]) }},
	{"mod", "mod(a, b) = a % b: the remainder of a/b with a's sign, as math.Mod", 2, func(a []float64) float64 { return math.Mod(a[0], a[1]) }},
	{"max", "max(a, b)", 2, func(a []float64) float64 { return math.Max(a[0], a[1]) }},
	{"normal_pdf", "normal_pdf(x, mean, variance): the normal density", 3, func(a []float64) float64 {
		d := a[0] - a[1]
		return math.Exp(-d*d/(2*a[2])) / math.Sqrt(2*math.Pi*a[2])
	}},
	{"laplace_pdf", "laplace_pdf(x, loc, scale): the Laplace density", 3, func(a []float64) float64 {
		return math.Exp(-math.Abs(a[0]-a[1])/a[2]) / (2 * a[2])
	}},
}

// ExpressionFunctions returns the names of the functions a formula may
// call, with a short description each, sorted; the constants pi and e are
// also defined.
func ExpressionFunctions() []string {
	out := make([]string, len(mathFuncs))
	for i, f := range mathFuncs {
		out[i] = f.name + ": " + f.doc
	}
	sort.Strings(out)
	return out
}

var exprOptions = FormulaOptions(exprEnv{})

// FormulaOptions returns the expr options that compile a formula over the
// variables of env (a struct or map, as expr.Env takes): the numeric
// operators, % as mod, and the functions of ExpressionFunctions, with
// expr's own builtins disabled and the result converted to float64.
func FormulaOptions(env any) []expr.Option {
	opts := []expr.Option{
		expr.Env(env),
		expr.DisableAllBuiltins(),
		expr.AsFloat64(),
		expr.MaxNodes(10000),
	}
	one := new(func(float64) float64)
	two := new(func(float64, float64) float64)
	three := new(func(float64, float64, float64) float64)
	for _, mf := range mathFuncs {
		f := mf.f
		n := mf.args
		types := []any{[]any{one, two, three}[n-1]}
		if mf.name == "mod" {
			// % on numbers that are not both whole: mod is the operator's
			// overload for every mix of float and int operands.
			types = append(types, new(func(float64, int) float64), new(func(int, float64) float64))
		}
		opts = append(opts, expr.Function(mf.name, func(params ...any) (any, error) {
			var a [3]float64
			for i, p := range params {
				a[i] = toFloat(p)
			}
			return f(a[:n]), nil
		}, types...))
	}
	return append(opts, expr.Operator("%", "mod"))
}

func toFloat(v any) float64 {
	switch t := v.(type) {
	case float64:
		return t
	case int:
		return float64(t)
	}
	return math.NaN()
}

// ExprError is a formula that does not compile, with the position of the
// problem.
type ExprError struct {
	// Line and Column locate the problem in the formula (1-based line,
	// 0-based column as expr reports it; 0 when unknown).
	Line, Column int
	Msg          string
}

// Error implements error.
func (e *ExprError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("formula error at line %d, column %d: %s", e.Line, e.Column+1, e.Msg)
	}
	return "formula error: " + e.Msg
}

// NewExpression compiles a formula of x, and of y when it is a 2-D density.
// Errors are *ExprError values giving the position.
func NewExpression(src string) (*Expression, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &ExprError{Msg: "the formula is empty"}
	}
	prog, err := compile(src)
	if err != nil {
		return nil, err
	}
	e := &Expression{Source: src, program: prog, dim: 1}
	v := &names{callees: map[ast.Node]bool{}}
	node := prog.Node()
	ast.Walk(&node, v)
	// expr's checker misses an unknown name inside a call's arguments
	// when an operator is overloaded (as % is): look for one here.
	for _, id := range v.ids {
		switch {
		case v.callees[id]:
		case id.Value == "y":
			e.dim = 2
		case id.Value != "x" && id.Value != "pi" && id.Value != "e":
			line, col := position(src, id.Location().From)
			return nil, &ExprError{Line: line, Column: col, Msg: "unknown name " + id.Value}
		}
	}
	return e, nil
}

// position turns a byte offset in src into a 1-based line and a 0-based
// column, as expr reports them.
func position(src string, offset int) (line, col int) {
	offset = min(max(offset, 0), len(src))
	before := src[:offset]
	line = 1 + strings.Count(before, "\n")
	return line, offset - (strings.LastIndexByte(before, '\n') + 1)
}

func compile(src string) (*vm.Program, error) { return CompileFormula(src, exprOptions) }

// CompileFormula compiles src with opts (see FormulaOptions), turning
// expr's errors into *ExprError values with the position, and its panics
// on pathological input into errors.
func CompileFormula(src string, opts []expr.Option) (prog *vm.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, &ExprError{Msg: fmt.Sprint(r)}
		}
	}()
	prog, err = expr.Compile(src, opts...)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, &ExprError{Line: fe.Line, Column: fe.Column, Msg: fe.Message}
		}
		return nil, &ExprError{Msg: err.Error()}
	}
	return prog, nil
}

// names collects a formula's identifiers and which of them name a
// function called.
type names struct {
	ids     []*ast.IdentifierNode
	callees map[ast.Node]bool
}

func (v *names) Visit(n *ast.Node) {
	switch t := (*n).(type) {
	case *ast.IdentifierNode:
		v.ids = append(v.ids, t)
	case *ast.CallNode:
		v.callees[t.Callee] = true
	}
}

// Dim returns 2 when the formula uses y, else 1.
func (e *Expression) Dim() int { return e.dim }

// String returns the formula in the one-line syntax: expr("...").
func (e *Expression) String() string { return fmt.Sprintf("expr(%q)", e.Source) }

// Density evaluates the formula at every point of g. A value that is
// negative, NaN or infinite is an error naming the point.
func (e *Expression) Density(dst []float64, g *grid.Grid) error {
	return e.DensityContext(context.Background(), dst, g)
}

// DensityContext is Density, stopping with ctx's error when ctx ends (it
// looks every 16 points: a slow formula on a large grid is stopped
// within a few milliseconds).
func (e *Expression) DensityContext(ctx context.Context, dst []float64, g *grid.Grid) error {
	var machine vm.VM
	env := exprEnv{Pi: math.Pi, E: math.E}
	for i, x := range g.X {
		if i%16 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("evaluating the formula: %w", err)
			}
		}
		env.X = x
		if g.Y != nil {
			env.Y = g.Y[i]
		}
		v, err := e.eval(&machine, &env)
		if err != nil {
			return fmt.Errorf("the formula fails at %s: %w", PointString(g, i), err)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("the formula is %v at %s: a density must be finite and >= 0", v, PointString(g, i))
		}
		dst[i] = v
	}
	return nil
}

// DensityAt evaluates the formula at the points (x[i], y[i]); y is nil in
// 1-D. Unlike Density it returns the values unchecked.
func (e *Expression) DensityAt(dst, x, y []float64) error {
	var machine vm.VM
	env := exprEnv{Pi: math.Pi, E: math.E}
	for i := range x {
		env.X = x[i]
		if y != nil {
			env.Y = y[i]
		}
		v, err := e.eval(&machine, &env)
		if err != nil {
			return err
		}
		dst[i] = v
	}
	return nil
}

func (e *Expression) eval(machine *vm.VM, env *exprEnv) (v float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	out, err := machine.Run(e.program, *env)
	if err != nil {
		return 0, err
	}
	return toFloat(out), nil
}
