// Command klfit fits a distribution to another by minimizing a divergence
// with gradient methods. Run without arguments, it reproduces the notebook
// it grew from; see klfit --help.
package main

import (
	"os"

	"github.com/klfit/klfit/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
