package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/target"
)

// The one-line syntax writes a target (or a divergence) on the command line
// the way the spec writes it in YAML:
//
//	normal(mean=0, variance=7)
//	0.3*normal(mean=-2, variance=1) + 0.7*laplace(loc=3, scale=0.5)
//	expr("exp(-abs(x))")
//	logdensity("-x1^2/2 - (x2 - x1^2)^2", dims=2)
//	table(density.csv)
//	samples(data.csv, column=x, estimator=kde, bandwidth=silverman)
//	samples(data.csv, columns=[a, b, c])
//	histogram(bins.csv)
//	sql("SELECT x FROM 'events.parquet'")
//	postgres("SELECT amount FROM events", dsn="host=db dbname=shop", statement_timeout=60)
//	renyi(alpha=0.5)
//
// Strings are quoted with double quotes (Go escapes) or single quotes (no
// escapes); file names and names may be written bare. Parameters are
// numbers or bracketed lists of numbers: mvnormal(mean=[0, 0],
// covariance=[[1, 0], [0, 1]]).

// SyntaxError is a one-line expression that does not parse. Column is the
// 1-based position of the problem.
type SyntaxError struct {
	Input  string
	Column int
	Msg    string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%q: column %d: %s", e.Input, e.Column, e.Msg)
}

// The callables that are not family names.
var targetKinds = []string{"expr", "logdensity", "table", "samples", "histogram", "sql", "postgres"}

// ParseTarget parses a target written in the one-line syntax. Family names
// and parameters are checked later, by Build, against the registered
// families.
func ParseTarget(s string) (Target, error) {
	p := &lineParser{src: s}
	terms, err := p.sum()
	if err != nil {
		return Target{}, err
	}
	if len(terms) == 1 && !terms[0].weighted {
		return terms[0].target, nil
	}
	var t Target
	for _, tm := range terms {
		if tm.target.Family == "" {
			return Target{}, p.errAt(tm.pos, "only families can be mixture components, got %s(...)", tm.name)
		}
		if !tm.weighted {
			return Target{}, p.errAt(tm.pos, "every mixture component needs a weight, as in 0.5*%s(...)", tm.name)
		}
		t.Mixture = append(t.Mixture, Component{Weight: tm.weight, Family: tm.target.Family, Params: tm.target.Params})
	}
	return t, nil
}

// ParseDivergence parses a divergence in the one-line syntax: a name, with
// its options in parentheses if any, e.g. "kl" or "renyi(alpha=0.5)".
func ParseDivergence(s string) (Divergence, error) {
	name, opts, err := parseCallOptions(s, "divergence", false)
	if err != nil {
		return Divergence{}, err
	}
	return Divergence{Name: name, Options: opts}, nil
}

// ParseOptimizer parses an optimizer in the one-line syntax: a name, with
// its settings in parentheses if any, e.g. "adam" or
// "momentum(learning_rate=0.05, nesterov=true)". A setting is a number,
// or true or false; Build checks the names and kinds against the
// optimizer's, as it does a spec's.
func ParseOptimizer(s string) (Optimizer, error) {
	name, opts, err := parseCallOptions(s, "optimizer", true)
	if err != nil {
		return Optimizer{}, err
	}
	return Optimizer{Name: name, Settings: opts}, nil
}

// parseCallOptions parses name or name(key=value, ...), the values numbers
// or, when bools is set, true or false; what names the thing in messages.
func parseCallOptions(s, what string, bools bool) (string, Options, error) {
	p := &lineParser{src: s}
	p.space()
	start := p.pos
	name := p.word()
	if name == "" {
		example := map[string]string{"divergence": "kl", "optimizer": "adam"}[what]
		return "", nil, p.errAt(start, "expected %s name such as %s", article(what), example)
	}
	var opts Options
	p.space()
	if p.more() && p.peek() == '(' {
		args, err := p.args()
		if err != nil {
			return "", nil, err
		}
		for _, a := range args {
			opt := Option{Name: a.name, Value: a.val.num}
			switch {
			case a.name == "":
			case a.val.kind == valNumber:
				opts = append(opts, opt)
				continue
			case bools && a.val.kind == valWord && (a.val.str == "true" || a.val.str == "false"):
				opt.Bool = true
				if a.val.str == "true" {
					opt.Value = 1
				}
				opts = append(opts, opt)
				continue
			}
			if bools {
				return "", nil, p.errAt(a.pos, "%s settings are name=number or name=true|false, as in learning_rate=0.1 or nesterov=true", what)
			}
			return "", nil, p.errAt(a.pos, "%s options are name=number, as in alpha=0.5", what)
		}
		for i, o := range opts {
			for _, prev := range opts[:i] {
				if prev.Name == o.Name {
					return "", nil, p.errAt(args[i].pos, "%s is given twice", o.Name)
				}
			}
		}
	}
	p.space()
	if p.more() {
		return "", nil, p.errAt(p.pos, "unexpected %q after the %s", p.rest(), what)
	}
	return name, opts, nil
}

// article returns "a" or "an" with the word that follows.
func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

type term struct {
	pos      int
	name     string
	weighted bool
	weight   float64
	target   Target
	args     []arg // a model's, read as they are (see ParseModel)
}

type lineParser struct {
	src string
	pos int
	// model says that the calls are a model's: their arguments are kept
	// in the terms, to be read by ParseModel, rather than as a target's.
	model bool
}

func (p *lineParser) errAt(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Input: p.src, Column: pos + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *lineParser) more() bool   { return p.pos < len(p.src) }
func (p *lineParser) peek() byte   { return p.src[p.pos] }
func (p *lineParser) rest() string { return p.src[p.pos:] }

func (p *lineParser) space() {
	for p.more() && (p.peek() == ' ' || p.peek() == '\t' || p.peek() == '\n' || p.peek() == '\r') {
		p.pos++
	}
}

func (p *lineParser) expect(c byte, what string) error {
	p.space()
	if !p.more() {
		return p.errAt(p.pos, "expected %q %s, got the end", c, what)
	}
	if p.peek() != c {
		return p.errAt(p.pos, "expected %q %s, got %q", c, what, p.peek())
	}
	p.pos++
	return nil
}

func isWordByte(c byte) bool {
	return c == '_' || c == '.' || c == '/' || c == '-' || c == '~' || c == ':' || c == '\\' ||
		c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isNameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// name reads an identifier: letters, digits and underscores.
func (p *lineParser) word() string {
	start := p.pos
	for p.more() && isNameByte(p.peek()) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *lineParser) sum() ([]term, error) {
	var terms []term
	for {
		t, err := p.term()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
		p.space()
		if !p.more() {
			return terms, nil
		}
		if p.peek() != '+' {
			return nil, p.errAt(p.pos, "expected \"+\" between mixture components or the end, got %q", p.rest())
		}
		p.pos++
	}
}

func (p *lineParser) term() (term, error) {
	p.space()
	t := term{pos: p.pos}
	if !p.more() {
		if p.model {
			return t, p.errAt(p.pos, "expected a model such as normal(mean=0, variance=1), got the end")
		}
		return t, p.errAt(p.pos, "expected a target such as normal(mean=0, variance=1), got the end")
	}
	if c := p.peek(); c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' {
		w, err := p.number()
		if err != nil {
			return t, err
		}
		if err := p.expect('*', "after a mixture weight"); err != nil {
			return t, err
		}
		t.weighted, t.weight = true, w
		p.space()
		t.pos = p.pos
	}
	name := p.word()
	if name == "" && p.model {
		if !p.more() {
			return t, p.errAt(p.pos, "expected a family name, got the end")
		}
		return t, p.errAt(p.pos, "expected a family name, got %q", p.rest())
	}
	if name == "" {
		if !p.more() {
			return t, p.errAt(p.pos, "expected a family name or expr, logdensity, table, samples, histogram, sql, postgres, got the end")
		}
		return t, p.errAt(p.pos, "expected a family name or expr, logdensity, table, samples, histogram, sql, postgres, got %q", p.rest())
	}
	t.name = name
	p.space()
	if !p.more() || p.peek() != '(' {
		return t, p.errAt(p.pos, "expected \"(\" after %s", name)
	}
	args, err := p.args()
	if err != nil {
		return t, err
	}
	if p.model {
		t.args = args
		return t, nil
	}
	t.target, err = p.call(t.pos, name, args)
	return t, err
}

type valKind int

const (
	valNumber valKind = iota
	valString
	valWord
	valList
)

type value struct {
	kind  valKind
	num   float64
	str   string
	items []value
	pos   int
}

type arg struct {
	pos  int
	name string // "" for a positional argument
	val  value
}

// args reads "(" [arg {"," arg}] ")".
func (p *lineParser) args() ([]arg, error) {
	p.pos++ // "("
	var out []arg
	p.space()
	if p.more() && p.peek() == ')' {
		p.pos++
		return nil, nil
	}
	for {
		p.space()
		a := arg{pos: p.pos}
		// name=value, or a positional value.
		save := p.pos
		if n := p.word(); n != "" {
			p.space()
			if p.more() && p.peek() == '=' {
				p.pos++
				a.name = n
			} else {
				p.pos = save
			}
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		a.val = v
		out = append(out, a)
		p.space()
		if !p.more() {
			return nil, p.errAt(p.pos, "expected \",\" or \")\", got the end")
		}
		switch p.peek() {
		case ',':
			p.pos++
		case ')':
			p.pos++
			return out, nil
		default:
			return nil, p.errAt(p.pos, "expected \",\" or \")\", got %q", p.peek())
		}
	}
}

func (p *lineParser) value() (value, error) {
	p.space()
	v := value{pos: p.pos}
	if !p.more() {
		return v, p.errAt(p.pos, "expected a value, got the end")
	}
	switch c := p.peek(); {
	case c == '"':
		end := p.pos + 1
		for end < len(p.src) && p.src[end] != '"' {
			if p.src[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(p.src) {
			return v, p.errAt(p.pos, "unterminated string")
		}
		s, err := strconv.Unquote(p.src[p.pos : end+1])
		if err != nil {
			return v, p.errAt(p.pos, "bad string: %v", err)
		}
		p.pos = end + 1
		v.kind, v.str = valString, s
	case c == '\'':
		end := strings.IndexByte(p.src[p.pos+1:], '\'')
		if end < 0 {
			return v, p.errAt(p.pos, "unterminated string")
		}
		v.kind, v.str = valString, p.src[p.pos+1:p.pos+1+end]
		p.pos += end + 2
	case c == '[':
		p.pos++
		v.kind = valList
		for {
			item, err := p.value()
			if err != nil {
				return v, err
			}
			v.items = append(v.items, item)
			p.space()
			if !p.more() {
				return v, p.errAt(p.pos, "expected \",\" or \"]\", got the end")
			}
			if p.peek() == ']' {
				p.pos++
				break
			}
			if p.peek() != ',' {
				return v, p.errAt(p.pos, "expected \",\" or \"]\", got %q", p.peek())
			}
			p.pos++
		}
	case c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.':
		// A number, unless it reads on as a word (a file name like 2024.csv).
		save := p.pos
		n, err := p.number()
		if !p.more() || !isWordByte(p.peek()) {
			if err != nil {
				return v, err
			}
			v.kind, v.num = valNumber, n
			return v, nil
		}
		p.pos = save
		v.kind, v.str = valWord, p.bare()
		if v.str == "" {
			return v, p.errAt(p.pos, "expected a value, got %q", p.rest())
		}
	case isWordByte(c):
		v.kind, v.str = valWord, p.bare()
		if p.space(); p.more() && p.peek() == '(' {
			return v, p.errAt(v.pos, "%s(...) cannot be an argument: write formulas in quotes, as in expr(\"exp(-x)\")", v.str)
		}
	default:
		return v, p.errAt(p.pos, "expected a value, got %q", c)
	}
	return v, nil
}

func (p *lineParser) bare() string {
	start := p.pos
	for p.more() && isWordByte(p.peek()) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// number reads a finite decimal number.
func (p *lineParser) number() (float64, error) {
	start := p.pos
	if p.more() && (p.peek() == '-' || p.peek() == '+') {
		p.pos++
	}
	for p.more() {
		c := p.peek()
		if c >= '0' && c <= '9' || c == '.' || c == '_' {
			p.pos++
			continue
		}
		if (c == 'e' || c == 'E') && p.pos > start {
			p.pos++
			if p.more() && (p.peek() == '-' || p.peek() == '+') {
				p.pos++
			}
			continue
		}
		break
	}
	text := p.src[start:p.pos]
	v, err := strconv.ParseFloat(text, 64)
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && math.IsInf(v, 0) {
		return 0, p.errAt(start, "%q is not a finite number", text)
	}
	if err != nil || strings.Contains(text, "_") {
		return 0, p.errAt(start, "%q is not a number", text)
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, p.errAt(start, "%q is not a finite number", text)
	}
	return v, nil
}

func (p *lineParser) call(pos int, name string, args []arg) (Target, error) {
	var t Target
	positional := func(what string) (string, error) {
		if len(args) == 0 || args[0].name != "" {
			return "", p.errAt(pos, "%s(...) needs %s as its first argument", name, what)
		}
		v := args[0].val
		if v.kind != valString && v.kind != valWord {
			return "", p.errAt(v.pos, "%s(...) needs %s, got a %s", name, what, kindName(v.kind))
		}
		if strings.TrimSpace(v.str) == "" {
			return "", p.errAt(v.pos, "%s(...) needs %s, got an empty string", name, what)
		}
		return v.str, nil
	}
	noMore := func(from int) error {
		if len(args) > from {
			return p.errAt(args[from].pos, "%s(...) takes one argument", name)
		}
		return nil
	}
	var err error
	switch name {
	case "expr":
		if t.Expression, err = positional("a formula in quotes"); err != nil {
			return t, err
		}
		if args[0].val.kind != valString {
			return t, p.errAt(args[0].val.pos, "write the formula in quotes: expr(\"%s\")", args[0].val.str)
		}
		return t, noMore(1)
	case "logdensity":
		if t.LogDensity, err = positional("a formula in quotes"); err != nil {
			return t, err
		}
		if args[0].val.kind != valString {
			return t, p.errAt(args[0].val.pos, "write the formula in quotes: logdensity(\"%s\", dims=2)", args[0].val.str)
		}
		if len(args) < 2 {
			return t, p.errAt(pos, "logdensity(...) needs its dimension: logdensity(\"...\", dims=2)")
		}
		for _, a := range args[1:] {
			if a.name != "dims" {
				return t, p.errAt(a.pos, "logdensity(...) takes a formula and dims=d")
			}
			if t.Dims != 0 {
				return t, p.errAt(a.pos, "dims is given twice")
			}
			if v := a.val; v.kind != valNumber || v.num != math.Trunc(v.num) || v.num < 1 || v.num > 1e9 {
				return t, p.errAt(v.pos, "dims must be a whole number of dimensions, at least 1")
			}
			t.Dims = int(a.val.num)
		}
		return t, nil
	case "table":
		if t.Table, err = positional("a file name"); err != nil {
			return t, err
		}
		return t, noMore(1)
	case "histogram":
		if t.Histogram, err = positional("a file name"); err != nil {
			return t, err
		}
		return t, noMore(1)
	case "sql":
		if t.SQL, err = positional("a query in quotes"); err != nil {
			return t, err
		}
		return t, noMore(1)
	case "postgres":
		if t.Postgres, err = positional("a query in quotes"); err != nil {
			return t, err
		}
		seen := map[string]bool{}
		for _, a := range args[1:] {
			v := a.val
			if seen[a.name] {
				return t, p.errAt(a.pos, "%s is given twice", a.name)
			}
			seen[a.name] = true
			switch a.name {
			case "dsn":
				if v.kind != valString && v.kind != valWord || strings.TrimSpace(v.str) == "" {
					return t, p.errAt(v.pos, "dsn must be a connection string in quotes, e.g. dsn=\"host=db dbname=shop\"")
				}
				t.DSN = v.str
			case "statement_timeout":
				if v.kind != valNumber {
					return t, p.errAt(v.pos, "statement_timeout must be a number of seconds")
				}
				t.StatementTimeout = v.num
			case "":
				return t, p.errAt(a.pos, "postgres(...) takes one query; name the other arguments: dsn=..., statement_timeout=...")
			default:
				return t, p.errAt(a.pos, "unknown argument %s of postgres(...) (known: dsn, statement_timeout)", a.name)
			}
		}
		return t, nil
	case "samples":
		if t.Samples, err = positional("a file name"); err != nil {
			return t, err
		}
		for _, a := range args[1:] {
			v := a.val
			str := func() (string, error) {
				switch v.kind {
				case valString, valWord:
					return v.str, nil
				case valNumber:
					return strconv.FormatFloat(v.num, 'g', -1, 64), nil
				}
				return "", p.errAt(v.pos, "%s must be a name or a number", a.name)
			}
			switch a.name {
			case "columns":
				if t.Columns, err = p.names(v); err != nil {
					return t, err
				}
			case "column":
				t.Column, err = str()
			case "estimator":
				t.Estimator, err = str()
			case "bandwidth":
				t.Bandwidth, err = str()
			case "skip_invalid":
				if v.kind != valWord || (v.str != "true" && v.str != "false") {
					return t, p.errAt(v.pos, "skip_invalid must be true or false")
				}
				t.SkipInvalid = v.str == "true"
			case "":
				return t, p.errAt(a.pos, "samples(...) takes one file name, then name=value settings")
			default:
				return t, p.errAt(a.pos, "unknown setting %s for samples (known: column, columns, estimator, bandwidth, skip_invalid)", a.name)
			}
			if err != nil {
				return t, err
			}
		}
		return t, nil
	}
	t.Family = name
	seen := map[string]bool{}
	for _, a := range args {
		if a.name == "" {
			return t, p.errAt(a.pos, "parameters are name=value, as in %s(mean=0, variance=1)", name)
		}
		if seen[a.name] {
			return t, p.errAt(a.pos, "parameter %s given twice", a.name)
		}
		seen[a.name] = true
		prm, err := p.param(a.val)
		if err != nil {
			return t, err
		}
		prm.Name = a.name
		t.Params = append(t.Params, prm)
	}
	return t, nil
}

func kindName(k valKind) string {
	switch k {
	case valNumber:
		return "number"
	case valString:
		return "string"
	case valWord:
		return "name"
	}
	return "list"
}

// names turns a value into a list of names: columns=[a, b, "c d"].
func (p *lineParser) names(v value) ([]string, error) {
	if v.kind != valList {
		return nil, p.errAt(v.pos, "columns must be a list of names, as in columns=[a, b, c]")
	}
	out := make([]string, len(v.items))
	for i, it := range v.items {
		if it.kind != valString && it.kind != valWord || strings.TrimSpace(it.str) == "" {
			return nil, p.errAt(it.pos, "columns must be a list of names, as in columns=[a, b, c]")
		}
		out[i] = it.str
	}
	return out, nil
}

// param turns a value into a parameter: a number, a list of numbers or a
// list of equally long lists of numbers.
func (p *lineParser) param(v value) (Param, error) {
	switch v.kind {
	case valNumber:
		return Param{Value: []float64{v.num}}, nil
	case valList:
		for _, it := range v.items {
			if it.kind == valString || it.kind == valWord {
				return Param{}, p.errAt(it.pos, "lists hold numbers or lists of numbers")
			}
		}
		if v.items[0].kind == valNumber {
			prm := Param{Shape: []int{len(v.items)}}
			for _, it := range v.items {
				if it.kind != valNumber {
					return Param{}, p.errAt(it.pos, "a list must hold only numbers or only lists")
				}
				prm.Value = append(prm.Value, it.num)
			}
			return prm, nil
		}
		if first := v.items[0]; first.kind == valList && first.items[0].kind == valList {
			return p.matrices(v)
		}
		cols := len(v.items[0].items)
		prm := Param{Shape: []int{len(v.items), cols}}
		for _, row := range v.items {
			if row.kind != valList || len(row.items) != cols {
				return Param{}, p.errAt(row.pos, "must be a list of %d numbers, like the first row", cols)
			}
			for _, it := range row.items {
				if it.kind != valNumber {
					return Param{}, p.errAt(it.pos, "matrices hold numbers")
				}
				prm.Value = append(prm.Value, it.num)
			}
		}
		return prm, nil
	}
	return Param{}, p.errAt(v.pos, "a parameter must be a number or a list of numbers, got a %s", kindName(v.kind))
}

// matrices turns a list of lists of lists into a parameter holding a list
// of equally shaped matrices, as a mixture's covariances.
func (p *lineParser) matrices(v value) (Param, error) {
	var prm Param
	for i, it := range v.items {
		if it.kind != valList {
			return Param{}, p.errAt(it.pos, "a list of matrices holds only matrices")
		}
		m, err := p.param(it)
		if err != nil {
			return Param{}, err
		}
		if i == 0 && len(m.Shape) == 2 {
			prm.Shape = append([]int{len(v.items)}, m.Shape...)
		}
		if len(m.Shape) > 2 {
			return Param{}, p.errAt(it.pos, "lists nest three deep at most")
		}
		if !sameShape(m.Shape, prm.Shape[1:]) {
			return Param{}, p.errAt(it.pos, "must be %s, like the first", dist.Block{Shape: prm.Shape[1:]}.ShapeString())
		}
		prm.Value = append(prm.Value, m.Value...)
	}
	return prm, nil
}

// OneLine returns the target in the one-line syntax; ParseTarget reads it
// back to the same target, but for the password of a postgres target's
// dsn, which is left out.
func (t Target) OneLine() string {
	switch t.Kind() {
	case "family":
		return familyCall(t.Family, t.Params)
	case "mixture":
		parts := make([]string, len(t.Mixture))
		for i, c := range t.Mixture {
			parts[i] = strconv.FormatFloat(c.Weight, 'g', -1, 64) + "*" + familyCall(c.Family, c.Params)
		}
		return strings.Join(parts, " + ")
	case "expression":
		return "expr(" + strconv.Quote(t.Expression) + ")"
	case "log_density":
		return "logdensity(" + strconv.Quote(t.LogDensity) + ", dims=" + strconv.Itoa(t.Dims) + ")"
	case "table":
		return "table(" + target.Quote(t.Table) + ")"
	case "histogram":
		return "histogram(" + target.Quote(t.Histogram) + ")"
	case "sql":
		return "sql(" + strconv.Quote(t.SQL) + ")"
	case "postgres":
		s := "postgres(" + strconv.Quote(t.Postgres)
		if dsn := target.RedactDSN(t.DSN); dsn != "" {
			s += ", dsn=" + strconv.Quote(dsn)
		}
		if t.StatementTimeout != 0 {
			s += ", statement_timeout=" + strconv.FormatFloat(t.StatementTimeout, 'g', -1, 64)
		}
		return s + ")"
	case "samples":
		s := "samples(" + target.Quote(t.Samples)
		if t.Column != "" {
			s += ", column=" + target.Quote(t.Column)
		}
		if t.Columns != nil {
			cs := make([]string, len(t.Columns))
			for i, c := range t.Columns {
				cs[i] = target.Quote(c)
			}
			s += ", columns=[" + strings.Join(cs, ", ") + "]"
		}
		if t.Estimator != "" {
			s += ", estimator=" + target.Quote(t.Estimator)
		}
		if t.Bandwidth != "" {
			s += ", bandwidth=" + target.Quote(t.Bandwidth)
		}
		if t.SkipInvalid {
			s += ", skip_invalid=true"
		}
		return s + ")"
	}
	return ""
}

func familyCall(name string, ps Params) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Name + "=" + paramText(p)
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}

func paramText(p Param) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	list := func(vs []float64) string {
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i] = f(v)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	switch len(p.Shape) {
	case 0:
		return f(p.Value[0])
	case 1:
		return list(p.Value)
	}
	size := len(p.Value) / p.Shape[0] // a row's, a matrix's
	rows := make([]string, p.Shape[0])
	for r := range rows {
		rows[r] = paramText(Param{Shape: p.Shape[1:], Value: p.Value[r*size : (r+1)*size]})
	}
	return "[" + strings.Join(rows, ", ") + "]"
}

// OneLine returns the divergence in the one-line syntax, e.g.
// "renyi(alpha=0.5)".
func (d Divergence) OneLine() string { return callOptions(d.Name, d.Options) }

// OneLine returns the optimizer in the one-line syntax, e.g.
// "momentum(learning_rate=0.05, nesterov=true)"; ParseOptimizer reads it
// back to the same optimizer.
func (o Optimizer) OneLine() string { return callOptions(o.Name, o.Settings) }

func callOptions(name string, opts Options) string {
	if len(opts) == 0 {
		return name
	}
	parts := make([]string, len(opts))
	for i, o := range opts {
		v := strconv.FormatFloat(o.Value, 'g', -1, 64)
		if o.Bool {
			v = strconv.FormatBool(o.Value != 0)
		}
		parts[i] = o.Name + "=" + v
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}
