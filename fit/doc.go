// Package fit runs the fitting loop: it minimizes a divergence from a target
// to a model family on a grid with a gradient method, and records every
// state it visits.
//
// One evaluation is one pass over the grid. The model's log-density l_i and
// score s_i come from the family; its grid masses are normalized in log
// space, log Q_i = l_i - logsumexp(l); the divergence supplies its value and
// h_i = dD/dlogQ_i; and the chain rule gives the gradient
//
//	dD/dtheta = sum_i h_i (s_i - sbar),  sbar = sum_j Q_j s_j.
//
// The optimizer moves an unconstrained vector u with theta = T(u) (the
// identity for raw parameters), so the gradient is pulled back through T.
//
// The optimizers are GD, Momentum, Adam and RMSprop (PyTorch's formulas,
// step for step), LBFGS (gonum's, one iteration per epoch) and
// NaturalGradient; each is registered by name for specs. Stop holds the
// stopping rules besides the number of epochs.
//
// Run never loses work: a state that is not usable (a NaN, a variance
// below zero) stops the fit with every earlier state kept, or, with
// Backtrack, is undone at a halved learning rate; a cancelled context stops
// it between epochs; a Checkpoint written while it runs resumes it exactly;
// and CSVStreamer writes the history as it grows.
package fit
