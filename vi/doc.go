// Package vi fits a Gaussian to a distribution in any number of
// dimensions by Monte Carlo: variational inference with a deterministic,
// self-diagnosing objective.
//
// The target is a log-density known up to a constant: a Go value
// implementing [LogDensity] (a Bayesian model, an energy), or a formula
// over x1 ... xd compiled by [NewFormula], whose gradient comes from
// reverse-mode automatic differentiation of the formula. The model is a
// multivariate normal, full rank through its Cholesky factor
// ([NewMVNormal]) or mean-field ([NewMVNormalDiag]).
//
// [ReverseKL] minimizes KL(q || p) through the reparameterization
// gradient of E_q[log q - log p~] over draws that stay fixed for the
// whole fit (a sample-average objective, as in DADVI: Giordano, Ingram
// and Broderick, "Black Box Variational Inference with a Deterministic
// Objective"), so a quasi-Newton method converges to a definite optimum
// and a run is reproducible to the bit, on any number of threads. Its
// loss is KL(q || p) - log Z, where Z is the target's unknown
// normalizing constant. [ForwardKL] minimizes KL(p || q) from samples of
// p (maximum likelihood); for a Gaussian model only the samples' mean and
// covariance matter, read in one streamed pass by [Moments].
//
// Both objectives have the method set the optimizers of package fit
// drive: Eval has the signature of fit.Evaluator. [Diagnose] says whether
// a fit can be trusted: the ELBO and its standard error, an
// importance-sampling estimate of log Z, and the Pareto k̂ of the
// importance ratios p~/q over fresh draws (Yao, Vehtari, Simpson and
// Gelman, "Yes, but Did It Work?: Evaluating Variational Inference").
package vi
