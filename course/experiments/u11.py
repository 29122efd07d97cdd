"""Unit 11 (lectures/11_recurrent_networks.ipynb): the adding problem and gradient decay over time.

The lecture writes all of this out in its own cells; tests/test_claims_u11.py uses these copies to assert the
lecture's claims.
"""

from __future__ import annotations

import torch
from torch import nn


def adding_batch(n: int, length: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n sequences of the adding problem: inputs (n, length, 2) of (value, marker), targets (n, 1).

    One marker sits in the first half, one in the second; the target is the sum of the two marked values.
    """
    values = torch.rand(n, length, generator=generator)
    markers = torch.zeros(n, length)
    first = torch.randint(0, length // 2, (n,), generator=generator)
    second = torch.randint(length // 2, length, (n,), generator=generator)
    rows = torch.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    return torch.stack([values, markers], dim=-1), (values * markers).sum(dim=1, keepdim=True)


class SequenceRegressor(nn.Module):
    """A one-layer nn.RNN (tanh) or nn.LSTM read by a linear layer at the last time step."""

    def __init__(self, kind: str, n_hidden: int = 32, n_in: int = 2):
        super().__init__()
        recurrent = {"rnn": nn.RNN, "lstm": nn.LSTM}[kind]
        self.rnn = recurrent(n_in, n_hidden, batch_first=True)
        self.readout = nn.Linear(n_hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.rnn(x)
        return self.readout(outputs[:, -1])


def train_adding(
    kind: str, seed: int, steps: int = 1200, length: int = 50, batch: int = 64, lr: float = 1e-2, clip: float = 1.0
) -> tuple[SequenceRegressor, list[float]]:
    """Train on fresh batches of the adding problem; return the model and the test MSE every 100 steps."""
    torch.manual_seed(seed)
    model = SequenceRegressor(kind)
    data = torch.Generator().manual_seed(100 + seed)
    x_test, y_test = adding_batch(1000, length, torch.Generator().manual_seed(123))
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for step in range(1, steps + 1):
        model.train()
        x, y = adding_batch(batch, length, data)
        loss = ((model(x) - y) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimiser.step()
        if step % 100 == 0:
            model.eval()
            with torch.no_grad():
                history.append(float(((model(x_test) - y_test) ** 2).mean()))
    return model, history


def gradient_norms(rnn: nn.RNNBase, length: int = 60, batch: int = 16, seed: int = 0) -> torch.Tensor:
    """||d h_T / d x_t|| (Frobenius, root mean square over a batch of random inputs) for lags T - t = 0..length-1."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, length, rnn.input_size, generator=g).requires_grad_()
    outputs, _ = rnn(x)
    last = outputs[:, -1]
    squared = torch.zeros(length)
    for k in range(rnn.hidden_size):
        (grad_x,) = torch.autograd.grad(last[:, k].sum(), x, retain_graph=True)
        squared += (grad_x**2).sum(dim=(0, 2))
    return (squared / batch).sqrt().flip(0)


def decay_rate(norms: torch.Tensor, first: int = 1, last: int = 40) -> float:
    """The slope of log ||d h_T / d x_t|| against the lag, fitted by least squares over lags first..last-1."""
    lag = torch.arange(len(norms), dtype=torch.float32)[first:last]
    design = torch.stack([lag, torch.ones_like(lag)], dim=1)
    solution = torch.linalg.lstsq(design, norms[first:last].log()[:, None]).solution
    return float(solution[0, 0])
