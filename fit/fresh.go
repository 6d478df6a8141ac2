package fit

// settingOr returns v, or the registered default of the optimizer's
// setting when v is zero and zero is not a valid value of it: a zero
// learning rate means the default, a zero momentum means no momentum.
func settingOr(optimizer, setting string, v float64) float64 {
	if v != 0 {
		return v
	}
	info, ok := optimizers[optimizer]
	if !ok {
		return v
	}
	for _, st := range info.Settings {
		if st.Name == setting && st.Check != nil && st.Check(0) != nil {
			return st.Default
		}
	}
	return v
}

// Fresh implements Optimizer.
func (o *GD) Fresh() Optimizer {
	return &GD{LearningRate: settingOr("gd", "learning_rate", o.LearningRate)}
}

// Fresh implements Optimizer.
func (o *Momentum) Fresh() Optimizer {
	return &Momentum{LearningRate: settingOr("momentum", "learning_rate", o.LearningRate),
		Momentum: o.Momentum, Dampening: o.Dampening, Nesterov: o.Nesterov}
}

// Fresh implements Optimizer.
func (o *Adam) Fresh() Optimizer {
	return &Adam{LearningRate: settingOr("adam", "learning_rate", o.LearningRate),
		Beta1: o.Beta1, Beta2: o.Beta2, Epsilon: o.Epsilon}
}

// Fresh implements Optimizer.
func (o *RMSprop) Fresh() Optimizer {
	return &RMSprop{LearningRate: settingOr("rmsprop", "learning_rate", o.LearningRate),
		Alpha: o.Alpha, Epsilon: o.Epsilon}
}

// Fresh implements Optimizer.
func (o *LBFGS) Fresh() Optimizer {
	return &LBFGS{Store: o.Store, GradientThreshold: o.GradientThreshold}
}

// Fresh implements Optimizer.
func (o *NaturalGradient) Fresh() Optimizer {
	return &NaturalGradient{LearningRate: settingOr("natural_gradient", "learning_rate", o.LearningRate)}
}
