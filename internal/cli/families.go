package cli

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/klfit/klfit/dist"
)

// examples holds one example spec per family, examples/NAME.yaml: a
// target of the family and a model of it, with settings that converge.
//
//go:embed examples/*.yaml
var examples embed.FS

// Example returns the example spec of the named family, if it has one.
func example(name string) (string, bool) {
	b, err := examples.ReadFile("examples/" + name + ".yaml")
	return string(b), err == nil
}

type familiesOptions struct {
	JSON    bool
	Example bool
	Name    string
}

func newFamiliesCmd(ios *IOStreams) *cobra.Command {
	o := &familiesOptions{}
	cmd := &cobra.Command{
		Use:   "families [NAME]",
		Short: "List the model families, or show one with an example spec",
		Long: `families lists every family a target or a model can be: its parameters
with their constraints, its support and a one-line description. With a NAME
it shows that family and an example spec that fits it to a member of itself
(--example prints the spec alone, ready for klfit fit -).

--json prints the list as JSON: [{"name", "params": [{"name", "constraint"}],
"support", "description"}]; with a NAME, that family's object with its
"example" spec.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError(fmt.Errorf("families takes at most one family name, got %d", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Name = args[0]
			}
			return runFamilies(ios, o)
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&o.Example, "example", false, "print only the example spec of the family NAME")
	return cmd
}

// familyJSON is a family as `klfit families --json` prints it.
type familyJSON struct {
	Name        string      `json:"name"`
	Params      []paramJSON `json:"params"`
	Support     string      `json:"support"`
	Description string      `json:"description"`
	Example     string      `json:"example,omitempty"`
}

type paramJSON struct {
	Name       string `json:"name"`
	Constraint string `json:"constraint"`
}

func toJSON(in dist.Info) familyJSON {
	f := familyJSON{Name: in.Name, Support: in.Support, Description: in.Description, Params: []paramJSON{}}
	for _, b := range in.Params {
		f.Params = append(f.Params, paramJSON{Name: b.Name, Constraint: b.Constraint.String()})
	}
	return f
}

func runFamilies(ios *IOStreams, o *familiesOptions) error {
	if o.Name == "" {
		if o.Example {
			return usageError(fmt.Errorf("--example needs a family NAME"))
		}
		cat := dist.Catalog()
		if o.JSON {
			list := make([]familyJSON, len(cat))
			for i, in := range cat {
				list[i] = toJSON(in)
			}
			return writeJSONTo(ios.Out, list)
		}
		return writeTable(ios.Out, cat)
	}
	in, err := dist.Describe(o.Name)
	if err != nil {
		return usageError(err)
	}
	ex, _ := example(in.Name)
	switch {
	case o.Example:
		if ex == "" {
			return usageError(fmt.Errorf("the %s family has no example spec", in.Name))
		}
		_, err := io.WriteString(ios.Out, ex)
		return err
	case o.JSON:
		f := toJSON(in)
		f.Example = ex
		return writeJSONTo(ios.Out, f)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\nsupport: %s\nparameters:\n", in.Name, in.Description, in.Support)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, p := range in.Params {
		fmt.Fprintf(tw, "  %s\t%s\n", p.Name, p.Constraint)
	}
	tw.Flush()
	if ex != "" {
		fmt.Fprintf(&b, "\nexample spec (klfit families %s --example | klfit fit -):\n\n%s", in.Name, ex)
	}
	_, err = io.WriteString(ios.Out, b.String())
	return err
}

func writeTable(w io.Writer, cat []dist.Info) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAMILY\tPARAMETERS\tSUPPORT\tDESCRIPTION")
	for _, in := range cat {
		ps := make([]string, len(in.Params))
		for i, p := range in.Params {
			ps[i] = fmt.Sprintf("%s (%s)", p.Name, p.Constraint)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", in.Name, strings.Join(ps, ", "), in.Support, in.Description)
	}
	return tw.Flush()
}

func writeJSONTo(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
