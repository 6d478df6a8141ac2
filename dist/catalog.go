package dist

import (
	"fmt"
	"sort"
	"strings"

	"github.com/klfit/klfit/grid"

	"github.com/klfit/klfit/internal/suggest"
)

// Config holds the settings a family built by New may need. Families that
// take no settings ignore it.
type Config struct {
	// Components is the number of components of a mixture.
	Components int
	// Component names the family of a mixture's components.
	Component string
	// Axes are the axes of the grid the family lives on (one in 1-D, x and
	// y in 2-D): a categorical family has one mass per grid point.
	Axes []grid.Axis
}

// ConfigError reports a bad setting of a family built by New.
type ConfigError struct {
	// Key names the setting: "components" or "component"; empty when the
	// problem is with the grid.
	Key string
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *ConfigError) Error() string {
	if e.Key == "" {
		return e.Msg
	}
	return e.Key + ": " + e.Msg
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// Maker describes a family built from settings (a mixture of K components
// of some family, a categorical family on a grid) and builds its members.
type Maker struct {
	Name        string
	Description string
	Support     string
	// Params lists the parameters as users write them; their shapes depend
	// on the settings and are left nil.
	Params []Block
	// New builds the family from its settings; errors are *ConfigError.
	New func(c Config) (Family, error)
}

var makers = map[string]Maker{}

// RegisterMaker adds a family built from settings to those New knows. It
// panics on a name already taken.
func RegisterMaker(m Maker) {
	if _, dup := registry[m.Name]; dup {
		panic("dist: family " + m.Name + " registered twice")
	}
	if _, dup := makers[m.Name]; dup {
		panic("dist: family " + m.Name + " registered twice")
	}
	makers[m.Name] = m
}

// New returns the family of the given name: a registered family (c is then
// ignored) or one built from the settings in c. An unknown name gives an
// error listing the known ones; a bad setting a *ConfigError.
func New(name string, c Config) (Family, error) {
	if m, ok := makers[name]; ok {
		return m.New(c)
	}
	return Lookup(name)
}

// IsMade reports whether the family of the given name is built from
// settings by New rather than registered as a single value.
func IsMade(name string) bool {
	_, ok := makers[name]
	return ok
}

// Info describes a family for listings such as `klfit families`.
type Info struct {
	Name        string
	Description string
	Support     string
	// Dim is the dimension of the points: 1 or 2, or 0 when it depends on
	// the settings.
	Dim    int
	Params []Block
}

// Catalog describes every family New knows, sorted by name.
func Catalog() []Info {
	var out []Info
	for _, f := range registry {
		out = append(out, Info{Name: f.Name(), Description: f.Description(), Support: f.Support(), Dim: f.Dim(), Params: Blocks(f)})
	}
	for _, m := range makers {
		out = append(out, Info{Name: m.Name, Description: m.Description, Support: m.Support, Params: m.Params})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Describe returns the description of the named family; the error lists
// the known ones.
func Describe(name string) (Info, error) {
	for _, in := range Catalog() {
		if in.Name == name {
			return in, nil
		}
	}
	return Info{}, fmt.Errorf("unknown family %q%s (known: %s)", name, suggest.Hint(name, Names()), strings.Join(Names(), ", "))
}
