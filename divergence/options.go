package divergence

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Setting is one numeric option a divergence takes, such as Rényi's alpha.
type Setting struct {
	Name        string
	Default     float64
	Description string
}

// Configurable is implemented by divergences that take options. The value
// registered under the divergence's name holds the defaults.
type Configurable interface {
	Divergence
	// Settings lists the options with their defaults.
	Settings() []Setting
	// With returns the divergence with the given options (every one of
	// Settings, already checked for unknown names), or an error naming the
	// option whose value is out of range.
	With(opts map[string]float64) (Divergence, error)
	// Values returns the divergence's current option values, in the order
	// of Settings.
	Values() []float64
}

// ReportOnly is implemented by divergences that can be reported but not
// minimized, because they have no useful gradient (total variation).
type ReportOnly interface {
	// Why says why the divergence cannot be minimized.
	Why() string
}

// OptionError is an option value a divergence does not accept.
type OptionError struct {
	Option string
	Msg    string
}

// Error implements error.
func (e *OptionError) Error() string { return e.Option + ": " + e.Msg }

// New returns the registered divergence of the given name with the given
// options; options not given take their defaults. An unknown name lists the
// known divergences; an unknown or out-of-range option is an *OptionError.
func New(name string, opts map[string]float64) (Divergence, error) {
	d, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	c, ok := d.(Configurable)
	if !ok {
		for k := range opts {
			return nil, &OptionError{Option: k, Msg: fmt.Sprintf("the %s divergence takes no options", name)}
		}
		return d, nil
	}
	full := map[string]float64{}
	var known []string
	for _, s := range c.Settings() {
		full[s.Name] = s.Default
		known = append(known, s.Name)
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := full[k]; !ok {
			return nil, &OptionError{Option: k, Msg: fmt.Sprintf("unknown option for %s (known: %s)", name, strings.Join(known, ", "))}
		}
		full[k] = opts[k]
	}
	return c.With(full)
}

// Label returns the divergence as written in the one-line syntax: its name,
// followed by its options when it has any, e.g. "renyi(alpha=0.5)".
func Label(d Divergence) string {
	c, ok := d.(Configurable)
	if !ok {
		return d.Name()
	}
	parts := make([]string, 0, len(c.Settings()))
	for i, s := range c.Settings() {
		parts = append(parts, fmt.Sprintf("%s=%v", s.Name, c.Values()[i]))
	}
	return d.Name() + "(" + strings.Join(parts, ", ") + ")"
}

func checkAlpha(v float64, forbidden ...float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return &OptionError{Option: "alpha", Msg: fmt.Sprintf("must be a finite number, got %v", v)}
	}
	for _, f := range forbidden {
		if v == f {
			return &OptionError{Option: "alpha", Msg: fmt.Sprintf("must not be %v", v)}
		}
	}
	return nil
}
