package spec

// Demo returns the notebook's experiment as a spec: a normal model with
// mean 5 and variance 1 pulled onto the raw N(0, 7) density values on the
// 200 points of arange(-10, 10, 0.1) by 1000 steps of gradient descent with
// learning rate 0.01 on the raw mean and variance, minimizing
// sum p log(p/q).
func Demo() *Spec {
	return &Spec{
		Grid: Grid{Start: -10, Stop: 10, Step: 0.1},
		Target: Target{
			Family: "normal",
			Params: Scalars([]string{"mean", "variance"}, []float64{0, 7}),
		},
		TargetWeights: "density",
		Divergence:    Divergence{Name: "kl"},
		Model: Model{
			Family:           "normal",
			Init:             Scalars([]string{"mean", "variance"}, []float64{5, 1}),
			Parameterization: "raw",
		},
		Optimizer: Optimizer{Name: "gd", Settings: Options{{Name: "learning_rate", Value: 0.01}}},
		Epochs:    1000,
	}
}
