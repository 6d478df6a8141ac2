package dist

import (
	"fmt"
	"math"
	"strings"
)

// SimplexTolerance is how far from 1 the sum of a probability vector
// (mixture weights, categorical masses) may be.
const SimplexTolerance = 1e-9

// Block is a parameter as users write it: a number, a vector or a matrix,
// standing for one or more consecutive entries of the parameter vector
// theta. A normal's variance is a block of one entry; a bivariate normal's
// covariance is a 2x2 block whose three distinct entries are in theta.
type Block struct {
	Name string
	// Shape is nil for a number, [n] for a list of n numbers, [n, m] for
	// an n x m matrix, [k, n, m] for a list of k matrices.
	Shape []int
	// Constraint applies to every entry (Real, Positive, Simplex: the
	// block is one probability vector) or to every trailing square matrix
	// (SPD).
	Constraint Constraint
}

// Size returns the number of values written for the block: the product of
// its shape.
func (b Block) Size() int {
	n := 1
	for _, d := range b.Shape {
		n *= d
	}
	return n
}

// Entries returns the number of entries of theta the block stands for:
// its Size, except that an SPD block stores only the upper triangle (row by
// row) of each of its symmetric matrices.
func (b Block) Entries() int {
	if b.Constraint != SPD || len(b.Shape) < 2 {
		return b.Size()
	}
	n := b.Shape[len(b.Shape)-1]
	return b.Size() / (n * n) * n * (n + 1) / 2
}

// ShapeString describes the block's shape for messages: "a number", "a list
// of 3 numbers", "a 2x2 matrix", "a list of 3 2x2 matrices".
func (b Block) ShapeString() string {
	switch len(b.Shape) {
	case 0:
		return "a number"
	case 1:
		return fmt.Sprintf("a list of %d numbers", b.Shape[0])
	case 2:
		return fmt.Sprintf("a %dx%d matrix", b.Shape[0], b.Shape[1])
	}
	return fmt.Sprintf("a list of %d %dx%d matrices", b.Shape[0], b.Shape[1], b.Shape[2])
}

// Blocker is implemented by families whose parameters users write as
// vectors or matrices rather than one number each.
type Blocker interface {
	// Blocks lists the parameters as users write them, in the order of
	// their entries in theta.
	Blocks() []Block
}

// Blocks returns f's parameters as users write them: f's own blocks if it
// is a Blocker, else one number per parameter.
func Blocks(f Family) []Block {
	if b, ok := f.(Blocker); ok {
		return b.Blocks()
	}
	ps := f.Params()
	bs := make([]Block, len(ps))
	for i, p := range ps {
		bs[i] = Block{Name: p.Name, Constraint: p.Constraint}
	}
	return bs
}

// ConstraintError reports a vector or matrix parameter that violates its
// constraint as a whole: weights that do not sum to 1, a covariance that
// is not symmetric positive definite.
type ConstraintError struct {
	// Param names the block, e.g. "weights" or "covariance[1]" (the
	// covariance of a mixture's second component).
	Param string
	// Msg says what is wrong, e.g. "must be symmetric positive definite,
	// its determinant is -0.25".
	Msg string
}

// Error implements error.
func (e *ConstraintError) Error() string { return e.Param + " " + e.Msg }

// Pack turns parameter values as users write them (one slice per block of
// Blocks(f), row-major, of the block's Size) into a parameter vector, and
// validates it. Matrices of SPD blocks must be symmetric: their upper
// triangles are kept. Errors are *ParamError or *ConstraintError values
// naming the parameter. Pack panics if values do not have the blocks'
// sizes.
func Pack(f Family, values [][]float64) ([]float64, error) {
	bs := Blocks(f)
	if len(values) != len(bs) {
		panic(fmt.Sprintf("dist: Pack: %d blocks given, %s has %d", len(values), f.Name(), len(bs)))
	}
	theta := make([]float64, 0, len(f.Params()))
	for b, blk := range bs {
		v := values[b]
		if len(v) != blk.Size() {
			panic(fmt.Sprintf("dist: Pack: %s: %d values for %s", blk.Name, len(v), blk.ShapeString()))
		}
		if blk.Constraint != SPD || len(blk.Shape) < 2 {
			theta = append(theta, v...)
			continue
		}
		n := blk.Shape[len(blk.Shape)-1]
		for m := 0; m < len(v)/(n*n); m++ {
			a := v[m*n*n : (m+1)*n*n]
			name := blk.Name
			if len(blk.Shape) > 2 {
				name = fmt.Sprintf("%s[%d]", blk.Name, m)
			}
			for i := 0; i < n; i++ {
				for j := i; j < n; j++ {
					if !symmetricEqual(a[i*n+j], a[j*n+i]) {
						return nil, &ConstraintError{Param: name, Msg: fmt.Sprintf("must be symmetric: [%d][%d] is %v but [%d][%d] is %v", i, j, a[i*n+j], j, i, a[j*n+i])}
					}
					theta = append(theta, a[i*n+j])
				}
			}
		}
	}
	if err := Validate(f, theta); err != nil {
		return nil, err
	}
	return theta, nil
}

// symmetricEqual reports whether two mirror entries of a matrix are equal
// up to the rounding of a decimal written with about 15 digits.
func symmetricEqual(a, b float64) bool {
	return math.Abs(a-b) <= 1e-14*math.Max(math.Abs(a), math.Abs(b))
}

// Unpack is the inverse of Pack: it returns theta's values as users write
// them, one slice per block of Blocks(f), SPD matrices written in full.
func Unpack(f Family, theta []float64) [][]float64 {
	bs := Blocks(f)
	out := make([][]float64, len(bs))
	k := 0
	for b, blk := range bs {
		if blk.Constraint != SPD || len(blk.Shape) < 2 {
			out[b] = append([]float64(nil), theta[k:k+blk.Size()]...)
			k += blk.Size()
			continue
		}
		n := blk.Shape[len(blk.Shape)-1]
		v := make([]float64, blk.Size())
		for m := 0; m < len(v)/(n*n); m++ {
			a := v[m*n*n : (m+1)*n*n]
			for i := 0; i < n; i++ {
				for j := i; j < n; j++ {
					a[i*n+j], a[j*n+i] = theta[k], theta[k]
					k++
				}
			}
		}
		out[b] = v
	}
	return out
}

// checkSimplex checks that w is a probability vector; name names it in
// errors ("weights"), and entry i is called name[i].
func checkSimplex(name string, w []float64) error {
	var sum float64
	for i, v := range w {
		if ok, why := Simplex.Check(v); !ok {
			return &ParamError{Param: fmt.Sprintf("%s[%d]", name, i), Value: v, Msg: why}
		}
		sum += v
	}
	if d := sum - 1; !(math.Abs(d) <= SimplexTolerance) {
		return &ConstraintError{Param: name, Msg: fmt.Sprintf("must sum to 1 (within %g), they sum to %.12g: off by %.3g", SimplexTolerance, sum, d)}
	}
	return nil
}

// indexed inserts "[k]" into a parameter name after its block name:
// "variance" becomes "variance[k]", "covariance[0][1]" becomes
// "covariance[k][0][1]".
func indexed(name string, k int) string {
	i := strings.IndexByte(name, '[')
	if i < 0 {
		i = len(name)
	}
	return fmt.Sprintf("%s[%d]%s", name[:i], k, name[i:])
}
