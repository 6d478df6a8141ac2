package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/klfit/klfit/target"
)

// buildInfo describes the running binary, from the build information Go
// records in it (see runtime/debug.ReadBuildInfo).
type buildInfo struct {
	// Version is the module's version: a tag such as v1.2.0 for go
	// install module@version, "(devel)" for a build from a checkout.
	Version string
	// Commit, Time and Modified describe the checkout built from: the
	// revision, its commit time, and whether the tree had changes; empty
	// when the build did not record them (go run, go test, -buildvcs=false,
	// a build outside a git clone; a git worktree is not recognized).
	Commit, Time string
	Modified     bool
	GoVersion    string
	Platform     string
	// DuckDB reports whether the binary was built with the duckdb tag,
	// which sql targets need.
	DuckDB bool
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: "(unknown)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		DuckDB: target.DuckDBAvailable}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if info.Main.Version != "" {
		b.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String writes the build's description, one fact a line:
//
//	klfit (devel)
//	commit 7d5fb6b1c2... (2026-11-30T07:00:00Z, modified)
//	go1.26.8 linux/amd64
//	sql targets: no (built without -tags duckdb)
func (b buildInfo) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "klfit %s\n", b.Version)
	switch {
	case b.Commit == "":
		s.WriteString("commit unknown (not recorded: go run, go test, -buildvcs=false, or not built in a git clone)\n")
	default:
		extra := b.Time
		if b.Modified {
			extra += ", modified"
		}
		fmt.Fprintf(&s, "commit %s (%s)\n", b.Commit, strings.TrimPrefix(extra, ", "))
	}
	fmt.Fprintf(&s, "%s %s\n", b.GoVersion, b.Platform)
	if b.DuckDB {
		s.WriteString("sql targets: yes (built with -tags duckdb)\n")
	} else {
		s.WriteString("sql targets: no (built without -tags duckdb)\n")
	}
	return s.String()
}

func newVersionCmd(ios *IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print klfit's version, commit, Go version and build tags",
		Long: `version prints what the binary was built from: the module version, the
commit (with its time, and "modified" when the checkout had changes), the
Go version and platform, and whether sql targets are in (the duckdb build
tag). klfit --version prints the same.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprint(ios.Out, readBuildInfo())
			return err
		},
	}
}
