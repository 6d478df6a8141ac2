#!/usr/bin/python3
"""Reference trajectories of PyTorch's optimizers on the notebook problem.

The notebook problem: a normal model with raw parameters (mean, variance)
starting at (5, 1), fitted to the raw N(0, 7) density values p on the 200
points of numpy.arange(-10, 10, 0.1) by minimizing
sum p * (log p - log Q), with log Q the model's log-density normalized over
the grid by logsumexp. Everything is float64; gradients come from autograd.

Each run writes <name>.csv with columns epoch,kl,mean,variance: row 0 is the
initial state, row k the state after k optimizer steps, with the loss at
that state. Floats are written with repr (shortest round trip).

Run from this directory with Debian's python3-torch:
    /usr/bin/python3 torch_trajectories.py
"""
import math

import numpy as np
import torch

EPOCHS = 300

# Each run: file name, optimizer class, keyword arguments. foreach=False
# selects the single-tensor implementations, whose formulas klfit follows.
RUNS = [
    ("torch_momentum", torch.optim.SGD, dict(lr=0.01, momentum=0.9)),
    ("torch_nesterov", torch.optim.SGD, dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("torch_dampening", torch.optim.SGD, dict(lr=0.01, momentum=0.5, dampening=0.3)),
    ("torch_adam", torch.optim.Adam, dict(lr=0.05, betas=(0.9, 0.999), eps=1e-8)),
    ("torch_rmsprop", torch.optim.RMSprop, dict(lr=0.01, alpha=0.99, eps=1e-8)),
    # A large epsilon, so that where it is added shows in the trajectory.
    ("torch_adam_eps", torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), eps=0.5)),
    ("torch_rmsprop_eps", torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, eps=0.5)),
]


def main():
    x = torch.from_numpy(np.arange(-10, 10, 0.1))  # numpy's arange rule
    assert x.dtype == torch.float64 and len(x) == 200
    p = torch.exp(-x * x / 14) / math.sqrt(2 * math.pi * 7)
    logp = torch.log(p)

    def loss_fn(theta):
        mu, v = theta[0], theta[1]
        logq = -(x - mu) ** 2 / (2 * v) - 0.5 * torch.log(2 * math.pi * v)
        logQ = logq - torch.logsumexp(logq, 0)
        return torch.sum(p * (logp - logQ))

    print("torch", torch.__version__)
    for name, cls, kwargs in RUNS:
        theta = torch.tensor([5.0, 1.0], dtype=torch.float64, requires_grad=True)
        opt = cls([theta], foreach=False, **kwargs)
        rows = ["epoch,kl,mean,variance"]
        for epoch in range(EPOCHS + 1):
            opt.zero_grad()
            loss = loss_fn(theta)
            loss.backward()
            mu, v = theta.detach().tolist()
            rows.append(f"{epoch},{loss.item()!r},{mu!r},{v!r}")
            if epoch < EPOCHS:
                opt.step()
        with open(name + ".csv", "w") as f:
            f.write("\n".join(rows) + "\n")
        print(name, rows[-1])


if __name__ == "__main__":
    main()
