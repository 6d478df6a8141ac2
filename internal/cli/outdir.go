package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// manifestName is the file in an output directory that lists the files
// klfit wrote there, one relative path a line.
const manifestName = ".klfit-files"

// outDir is the one owner of a command's output directory. Opening it
// checks that it can be written; claim then removes the files that klfit
// wrote there for an earlier command (the ones its manifest lists, and
// nothing else: a file klfit did not write is never deleted), so that the
// directory holds one command's files; every file written is recorded in
// the manifest before it is created, so a command killed at any moment
// leaves a manifest that the next one cleans up by.
type outDir struct {
	dir   string
	files []string
	// root and prefix make a subdirectory's outDir record its files in
	// root's manifest, as prefix/name.
	root   *outDir
	prefix string
}

// sub returns the outDir of the subdirectory name, created, whose files
// are recorded in o's manifest.
func (o *outDir) sub(name string) (*outDir, error) {
	d := filepath.Join(o.dir, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	return &outDir{dir: d, root: o, prefix: name}, nil
}

// openOutDir creates dir and checks that files can be written in it, so
// that a fit never runs only to fail at the end. Call it only once
// everything that can refuse the command has been checked.
func openOutDir(dir string) (*outDir, error) {
	if err := prepareDir(dir); err != nil {
		return nil, err
	}
	return &outDir{dir: dir}, nil
}

// prepareDir creates dir and checks that files can be written in it.
func prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".klfit-probe-*")
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", dir, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// claim removes the files of the previous command the manifest lists
// (regular files only: klfit writes no other kind) and the directories
// they leave empty, and records names, the files this command is about
// to write.
func (o *outDir) claim(names ...string) error {
	data, err := os.ReadFile(filepath.Join(o.dir, manifestName))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("output directory: %w", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	var dirs []string
	for sc.Scan() {
		name := filepath.Clean(strings.TrimSpace(sc.Text()))
		if name == "." || !filepath.IsLocal(name) {
			continue // never outside the directory
		}
		if st, err := os.Lstat(filepath.Join(o.dir, name)); err != nil || !st.Mode().IsRegular() {
			// Gone, or not a file klfit writes (a directory, a link): a
			// hand-edited manifest's entry, left alone rather than
			// failing half-way through the removals.
			continue
		}
		if err := os.Remove(filepath.Join(o.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing the previous fit's %s: %w", name, err)
		}
		if d := filepath.Dir(name); d != "." {
			dirs = append(dirs, d)
		}
	}
	for _, d := range dirs {
		os.Remove(filepath.Join(o.dir, d)) // only when empty
	}
	o.files = nil
	return o.record(names...)
}

// record adds names (relative paths) to the manifest and writes it.
func (o *outDir) record(names ...string) error {
	if o.root != nil {
		full := make([]string, len(names))
		for i, n := range names {
			full[i] = o.prefix + "/" + n
		}
		return o.root.record(full...)
	}
	for _, n := range names {
		if !slices.Contains(o.files, n) {
			o.files = append(o.files, n)
		}
	}
	data := strings.Join(o.files, "\n") + "\n"
	tmp := filepath.Join(o.dir, manifestName+".tmp")
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	return os.Rename(tmp, filepath.Join(o.dir, manifestName))
}

// path returns the path of the file name in the directory.
func (o *outDir) path(name string) string { return filepath.Join(o.dir, name) }
