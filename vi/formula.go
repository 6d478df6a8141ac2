package vi

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/klfit/klfit/target"
)

// Formula is an unnormalized log-density written as a formula of x1 ...
// xd, e.g. "-x1^2/2 - (x2 - x1^2)^2" with dims 2. It takes the syntax and
// the functions of target formulas (target.ExpressionFunctions; the
// constants pi and e), and its value is log p~(x), not a density.
//
// Its gradient is exact to rounding: the formula is compiled to a list of
// operations evaluated forward and then differentiated in reverse order
// (reverse-mode automatic differentiation), one pass each way, whatever
// the dimension. Where a function has no derivative (abs at 0, floor,
// the branch point of a comparison), the derivative used is that of the
// branch taken (0 for floor and ceil, comparisons and their conditions).
//
// A Formula is safe for concurrent use.
type Formula struct {
	src  string
	dims int
	code []instr
	ws   sync.Pool // *workspace
}

// op is an operation of a compiled formula.
type op uint8

const (
	opConst op = iota
	opVar      // x[a]
	opNeg
	opNot
	opAdd
	opSub
	opMul
	opDiv
	opPow
	opLT
	opLE
	opGT
	opGE
	opEQ
	opNE
	opAnd
	opOr
	opCond // vals[a] != 0 ? vals[b] : vals[c]
	opCall // funcs[fn](vals[a], vals[b], vals[c])
)

// instr is one operation; its value is vals[i] for the i-th instruction,
// and a, b, c index the values of its operands.
type instr struct {
	op      op
	a, b, c int32
	fn      int32
	k       float64
}

type workspace struct {
	vals, adj []float64
}

// funcDef is a formula function with its partial derivatives: d[i] gets
// the derivative of the value v = f(a) with respect to a[i].
type funcDef struct {
	name    string
	args    int
	f       func(a []float64) float64
	partial func(d, a []float64, v float64)
}

// derivatives holds the partial derivatives of every formula function, by
// name; TestDerivativesCoverFormulaFunctions checks that none is missing.
var derivatives = map[string]func(d, a []float64, v float64){
	"exp":   func(d, a []float64, v float64) { d[0] = v },
	"log":   func(d, a []float64, v float64) { d[0] = 1 / a[0] },
	"log1p": func(d, a []float64, v float64) { d[0] = 1 / (1 + a[0]) },
	"sqrt":  func(d, a []float64, v float64) { d[0] = 0.5 / v },
	"abs":   func(d, a []float64, v float64) { d[0] = sign(a[0]) },
	"sin":   func(d, a []float64, v float64) { d[0] = math.Cos(a[0]) },
	"cos":   func(d, a []float64, v float64) { d[0] = -math.Sin(a[0]) },
	"tan":   func(d, a []float64, v float64) { d[0] = 1 + v*v },
	"atan":  func(d, a []float64, v float64) { d[0] = 1 / (1 + a[0]*a[0]) },
	"sinh":  func(d, a []float64, v float64) { d[0] = math.Cosh(a[0]) },
	"cosh":  func(d, a []float64, v float64) { d[0] = math.Sinh(a[0]) },
	"tanh":  func(d, a []float64, v float64) { d[0] = 1 - v*v },
	"floor": func(d, a []float64, v float64) { d[0] = 0 },
	"ceil":  func(d, a []float64, v float64) { d[0] = 0 },
	"erf": func(d, a []float64, v float64) {
		d[0] = 2 / math.SqrtPi * math.Exp(-a[0]*a[0])
	},
	"pow": powPartial,
	"min": func(d, a []float64, v float64) {
		d[0], d[1] = 0, 0
		if a[0] <= a[1] {
			d[0] = 1
		} else {
			d[1] = 1
		}
	},
	"max": func(d, a []float64, v float64) {
		d[0], d[1] = 0, 0
		if a[0] >= a[1] {
			d[0] = 1
		} else {
			d[1] = 1
		}
	},
	"mod": func(d, a []float64, v float64) {
		// a - b*trunc(a/b), piecewise.
		d[0], d[1] = 1, -math.Trunc(a[0]/a[1])
	},
	"normal_pdf": func(d, a []float64, v float64) {
		z := (a[0] - a[1]) / a[2]
		d[0] = -v * z
		d[1] = v * z
		d[2] = v * (z*z/2 - 1/(2*a[2]))
	},
	"laplace_pdf": func(d, a []float64, v float64) {
		s := sign(a[0]-a[1]) / a[2]
		d[0] = -v * s
		d[1] = v * s
		d[2] = v * (math.Abs(a[0]-a[1])/a[2] - 1) / a[2]
	},
}

// powPartial differentiates a^b: b a^(b-1) in a, and a^b log a in b (0
// where a^b is 0 and b > 0, so that a constant exponent never turns a
// zero base into NaN).
func powPartial(d, a []float64, v float64) {
	x, y := a[0], a[1]
	switch {
	case y == 0:
		d[0] = 0
	case y == 1:
		d[0] = 1
	case y == 2:
		d[0] = 2 * x
	default:
		d[0] = y * math.Pow(x, y-1)
	}
	switch {
	case v == 0 && y > 0:
		d[1] = 0
	default:
		d[1] = v * math.Log(x)
	}
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

var funcs, funcIndex = func() ([]funcDef, map[string]int) {
	var defs []funcDef
	index := map[string]int{}
	for _, f := range target.FormulaFuncs() {
		index[f.Name] = len(defs)
		defs = append(defs, funcDef{name: f.Name, args: f.Args, f: f.F, partial: derivatives[f.Name]})
	}
	return defs, index
}()

// maxDims bounds the dimension of a formula.
const maxDims = 100000

// MaxFormulaNodes bounds the size of a log-density formula, in the nodes
// of its syntax tree: 20 a coordinate of the largest model
// (MaxMeanFieldDims), room for a term per coordinate such as
// -(x1 - 1.5)^2 / (2 * 0.7), 9 nodes. The compiler's default, 10,000,
// refused a sum of -xi^2/2 over 1500 coordinates. At the bound a formula
// is about 300 KB of text, compiles in about 0.3 s and evaluates with its
// gradient in about 1.5 ms (2000 terms: 25 ms, 0.1 ms).
const MaxFormulaNodes = 20 * MaxMeanFieldDims

// NewFormula compiles src, a log-density over x1 ... xd with d = dims.
// Errors name the problem and its place in the formula: a syntax error, a
// name that is neither a coordinate x1 ... xd nor pi or e (x3 with dims
// 2), a construct that is not a number.
func NewFormula(src string, dims int) (*Formula, error) {
	if dims < 1 || dims > maxDims {
		return nil, fmt.Errorf("log-density formula: dims is %d, must be between 1 and %d", dims, maxDims)
	}
	if strings.TrimSpace(src) == "" {
		return nil, &target.ExprError{Msg: "the log-density formula is empty"}
	}
	// Check the names first, on the parsed tree, so that a coordinate out
	// of range gets its own message; a syntax error is left to the
	// compiler, which reports it with its position.
	if tree, err := parseFormula(src); err == nil {
		for _, id := range target.FormulaIdentifiers(src, tree.Node) {
			if err := checkName(id, dims); err != nil {
				return nil, err
			}
		}
	}
	env := map[string]any{"pi": math.Pi, "e": math.E}
	for i := 1; i <= dims; i++ {
		env["x"+strconv.Itoa(i)] = 0.0
	}
	prog, err := target.CompileFormula(src, append(target.FormulaOptions(env), expr.Optimize(false), expr.MaxNodes(MaxFormulaNodes)))
	var ee *target.ExprError
	if errors.As(err, &ee) && strings.Contains(ee.Msg, "exceeds maximum allowed nodes") {
		ee.Msg = fmt.Sprintf("the formula has more than %d nodes (numbers, names and operators), the most a log-density may have", MaxFormulaNodes)
	}
	if err != nil {
		return nil, err
	}
	f := &Formula{src: src, dims: dims}
	c := compiler{src: src, dims: dims}
	if _, err := c.node(prog.Node()); err != nil {
		return nil, err
	}
	f.code = c.code
	n := len(f.code)
	f.ws.New = func() any { return &workspace{vals: make([]float64, n), adj: make([]float64, n)} }
	return f, nil
}

// parseFormula parses src, turning a panic of the parser into an error.
func parseFormula(src string) (tree *parser.Tree, err error) {
	defer func() {
		if r := recover(); r != nil {
			tree, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return parser.Parse(src)
}

// checkName accepts x1 ... x<dims>, pi and e.
func checkName(id target.Identifier, dims int) error {
	if id.Name == "pi" || id.Name == "e" {
		return nil
	}
	if i, ok := coordinate(id.Name); ok {
		if i >= 1 && i <= dims {
			return nil
		}
		return &target.ExprError{Line: id.Line, Column: id.Column,
			Msg: fmt.Sprintf("%s is not a coordinate of a %d-D target: the coordinates are %s", id.Name, dims, coordinates(dims))}
	}
	return &target.ExprError{Line: id.Line, Column: id.Column,
		Msg: fmt.Sprintf("unknown name %s: a log-density formula uses the coordinates %s and the constants pi and e", id.Name, coordinates(dims))}
}

// coordinate parses "x<i>" with i a decimal number without a sign or
// leading zero.
func coordinate(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, "x")
	if !ok || digits == "" || digits[0] == '0' {
		return 0, false
	}
	i, err := strconv.Atoi(digits)
	if err != nil || digits[0] == '+' || digits[0] == '-' {
		return 0, false
	}
	return i, true
}

func coordinates(dims int) string {
	switch dims {
	case 1:
		return "x1"
	case 2:
		return "x1 and x2"
	}
	return fmt.Sprintf("x1 ... x%d", dims)
}

// compiler turns a checked expression tree into instructions.
type compiler struct {
	src  string
	dims int
	code []instr
}

func (c *compiler) emit(in instr) int32 {
	c.code = append(c.code, in)
	return int32(len(c.code) - 1)
}

func (c *compiler) fail(n ast.Node, format string, a ...any) error {
	e := &target.ExprError{Msg: fmt.Sprintf(format, a...)}
	if loc := n.Location(); loc.From > 0 || loc.To > 0 {
		e.Line, e.Column = lineCol(c.src, loc.From)
	}
	return e
}

// lineCol turns a byte offset into a 1-based line and a 0-based column.
func lineCol(src string, offset int) (int, int) {
	offset = min(max(offset, 0), len(src))
	before := src[:offset]
	return 1 + strings.Count(before, "\n"), offset - (strings.LastIndexByte(before, '\n') + 1)
}

var binaryOps = map[string]op{
	"+": opAdd, "-": opSub, "*": opMul, "/": opDiv, "^": opPow, "**": opPow,
	"<": opLT, "<=": opLE, ">": opGT, ">=": opGE, "==": opEQ, "!=": opNE,
	"&&": opAnd, "and": opAnd, "||": opOr, "or": opOr,
}

func (c *compiler) node(n ast.Node) (int32, error) {
	switch t := n.(type) {
	case *ast.IntegerNode:
		return c.emit(instr{op: opConst, k: float64(t.Value)}), nil
	case *ast.FloatNode:
		return c.emit(instr{op: opConst, k: t.Value}), nil
	case *ast.BoolNode:
		k := 0.0
		if t.Value {
			k = 1
		}
		return c.emit(instr{op: opConst, k: k}), nil
	case *ast.ConstantNode:
		switch v := t.Value.(type) {
		case float64:
			return c.emit(instr{op: opConst, k: v}), nil
		case int:
			return c.emit(instr{op: opConst, k: float64(v)}), nil
		}
	case *ast.IdentifierNode:
		switch t.Value {
		case "pi":
			return c.emit(instr{op: opConst, k: math.Pi}), nil
		case "e":
			return c.emit(instr{op: opConst, k: math.E}), nil
		}
		if i, ok := coordinate(t.Value); ok && i <= c.dims {
			return c.emit(instr{op: opVar, a: int32(i - 1)}), nil
		}
		return 0, c.fail(n, "unknown name %s", t.Value)
	case *ast.UnaryNode:
		a, err := c.node(t.Node)
		if err != nil {
			return 0, err
		}
		switch t.Operator {
		case "-":
			return c.emit(instr{op: opNeg, a: a}), nil
		case "+":
			return a, nil
		case "!", "not":
			return c.emit(instr{op: opNot, a: a}), nil
		}
		return 0, c.fail(n, "the operator %s is not supported in a log-density formula", t.Operator)
	case *ast.BinaryNode:
		o, ok := binaryOps[t.Operator]
		if !ok {
			return 0, c.fail(n, "the operator %s is not supported in a log-density formula", t.Operator)
		}
		a, err := c.node(t.Left)
		if err != nil {
			return 0, err
		}
		b, err := c.node(t.Right)
		if err != nil {
			return 0, err
		}
		return c.emit(instr{op: o, a: a, b: b}), nil
	case *ast.ConditionalNode:
		a, err := c.node(t.Cond)
		if err != nil {
			return 0, err
		}
		b, err := c.node(t.Exp1)
		if err != nil {
			return 0, err
		}
		d, err := c.node(t.Exp2)
		if err != nil {
			return 0, err
		}
		return c.emit(instr{op: opCond, a: a, b: b, c: d}), nil
	case *ast.CallNode:
		id, ok := t.Callee.(*ast.IdentifierNode)
		if !ok {
			break
		}
		fi, ok := funcIndex[id.Value]
		if !ok {
			return 0, c.fail(n, "unknown function %s", id.Value)
		}
		f := funcs[fi]
		if f.partial == nil {
			return 0, c.fail(n, "the function %s has no derivative", f.name)
		}
		if len(t.Arguments) != f.args {
			return 0, c.fail(n, "%s takes %d arguments, not %d", f.name, f.args, len(t.Arguments))
		}
		var args [3]int32
		for i, arg := range t.Arguments {
			a, err := c.node(arg)
			if err != nil {
				return 0, err
			}
			args[i] = a
		}
		return c.emit(instr{op: opCall, fn: int32(fi), a: args[0], b: args[1], c: args[2]}), nil
	}
	return 0, c.fail(n, "%s is not supported in a log-density formula", n.String())
}

// Dim returns the formula's dimension d.
func (f *Formula) Dim() int { return f.dims }

// Source returns the formula as written.
func (f *Formula) Source() string { return f.src }

// String returns the formula in the one-line syntax, e.g.
// logdensity("-x1^2/2", dims=1).
func (f *Formula) String() string { return fmt.Sprintf("logdensity(%q, dims=%d)", f.src, f.dims) }

// LogDensity implements [LogDensity]: the formula's value at x and, when
// grad is not nil, its gradient.
func (f *Formula) LogDensity(x, grad []float64) float64 {
	ws := f.ws.Get().(*workspace)
	v := f.forward(ws.vals, x)
	if grad != nil {
		f.backward(grad, ws)
	}
	f.ws.Put(ws)
	return v
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (f *Formula) forward(vals, x []float64) float64 {
	var args [3]float64
	for i, in := range f.code {
		var v float64
		switch in.op {
		case opConst:
			v = in.k
		case opVar:
			v = x[in.a]
		case opNeg:
			v = -vals[in.a]
		case opNot:
			v = b2f(vals[in.a] == 0)
		case opAdd:
			v = vals[in.a] + vals[in.b]
		case opSub:
			v = vals[in.a] - vals[in.b]
		case opMul:
			v = vals[in.a] * vals[in.b]
		case opDiv:
			v = vals[in.a] / vals[in.b]
		case opPow:
			v = math.Pow(vals[in.a], vals[in.b])
		case opLT:
			v = b2f(vals[in.a] < vals[in.b])
		case opLE:
			v = b2f(vals[in.a] <= vals[in.b])
		case opGT:
			v = b2f(vals[in.a] > vals[in.b])
		case opGE:
			v = b2f(vals[in.a] >= vals[in.b])
		case opEQ:
			v = b2f(vals[in.a] == vals[in.b])
		case opNE:
			v = b2f(vals[in.a] != vals[in.b])
		case opAnd:
			v = b2f(vals[in.a] != 0 && vals[in.b] != 0)
		case opOr:
			v = b2f(vals[in.a] != 0 || vals[in.b] != 0)
		case opCond:
			if vals[in.a] != 0 {
				v = vals[in.b]
			} else {
				v = vals[in.c]
			}
		case opCall:
			fd := &funcs[in.fn]
			args[0], args[1], args[2] = vals[in.a], vals[in.b], vals[in.c]
			v = fd.f(args[:fd.args])
		}
		vals[i] = v
	}
	return vals[len(vals)-1]
}

// backward propagates the adjoints from the last value to the
// coordinates, in reverse order, and stores the gradient in grad.
func (f *Formula) backward(grad []float64, ws *workspace) {
	vals, adj := ws.vals, ws.adj
	clear(adj)
	clear(grad)
	adj[len(adj)-1] = 1
	var args, d [3]float64
	for i := len(f.code) - 1; i >= 0; i-- {
		g := adj[i]
		if g == 0 {
			continue
		}
		in := &f.code[i]
		switch in.op {
		case opVar:
			grad[in.a] += g
		case opNeg:
			adj[in.a] -= g
		case opAdd:
			adj[in.a] += g
			adj[in.b] += g
		case opSub:
			adj[in.a] += g
			adj[in.b] -= g
		case opMul:
			adj[in.a] += g * vals[in.b]
			adj[in.b] += g * vals[in.a]
		case opDiv:
			q := 1 / vals[in.b]
			adj[in.a] += g * q
			adj[in.b] -= g * vals[i] * q
		case opPow:
			args[0], args[1] = vals[in.a], vals[in.b]
			powPartial(d[:2], args[:2], vals[i])
			adj[in.a] += g * d[0]
			adj[in.b] += g * d[1]
		case opCond:
			if vals[in.a] != 0 {
				adj[in.b] += g
			} else {
				adj[in.c] += g
			}
		case opCall:
			fd := &funcs[in.fn]
			args[0], args[1], args[2] = vals[in.a], vals[in.b], vals[in.c]
			fd.partial(d[:fd.args], args[:fd.args], vals[i])
			adj[in.a] += g * d[0]
			if fd.args > 1 {
				adj[in.b] += g * d[1]
			}
			if fd.args > 2 {
				adj[in.c] += g * d[2]
			}
		}
		// Constants, comparisons and logic have no derivative to pass on.
	}
}
