"""Claims of Unit 11 (lectures/11_recurrent_networks.ipynb): gradient decay over time, the adding problem."""

import math

import pytest
import torch
from torch import nn

from course.experiments import u11

pytestmark = pytest.mark.usefixtures("one_thread_per_module")  # as the lecture runs (tests/conftest.py)


def _lstm(forget_bias=None):
    torch.manual_seed(0)
    lstm = nn.LSTM(2, 32, batch_first=True)
    if forget_bias is not None:
        with torch.no_grad():
            lstm.bias_ih_l0[32:64] = forget_bias
            lstm.bias_hh_l0[32:64] = 0.0
    return lstm


def test_the_adding_batch_has_two_markers_one_per_half_and_the_sum_as_target():
    x, y = u11.adding_batch(200, 50, torch.Generator().manual_seed(0))
    assert x.shape == (200, 50, 2) and y.shape == (200, 1)
    markers = x[..., 1]
    assert torch.equal(markers.sum(1), torch.full((200,), 2.0))
    assert torch.equal(markers[:, :25].sum(1), torch.ones(200))
    assert torch.allclose(y[:, 0], (x[..., 0] * markers).sum(1))
    # the trivial baseline: predicting 1 gives an MSE near the variance 1/6
    big_x, big_y = u11.adding_batch(20000, 50, torch.Generator().manual_seed(1))
    assert ((big_y - 1) ** 2).mean().item() == pytest.approx(1 / 6, abs=0.01)


def test_vanilla_rnn_input_gradient_decays_exponentially_and_lstm_with_forget_bias_one_much_slower():
    torch.manual_seed(0)
    rnn_norms = u11.gradient_norms(nn.RNN(2, 32, batch_first=True))
    default_norms = u11.gradient_norms(_lstm())
    forget_norms = u11.gradient_norms(_lstm(1.0))
    rnn_rate, default_rate, forget_rate = (u11.decay_rate(n) for n in (rnn_norms, default_norms, forget_norms))
    # the lecture: -0.47, -0.46 and -0.16 per step
    assert -0.65 < rnn_rate < -0.3
    assert -0.25 < forget_rate < -0.08 and forget_rate > 2 * rnn_rate
    assert -0.65 < default_rate < -0.3  # at PyTorch's default initialisation the LSTM has no advantage
    assert rnn_norms[59] < 1e-8 and forget_norms[59] > 1e-6
    # exponential: the log-norm is close to a straight line over lags 1..39
    lag = torch.arange(1, 40, dtype=torch.float32)
    residual = rnn_norms[1:40].log() - rnn_rate * lag
    assert (residual - residual.mean()).abs().max() < 2.5


def test_lstm_learns_the_adding_problem_with_lag_50_and_a_vanilla_rnn_does_not():
    lstm, lstm_history = u11.train_adding("lstm", seed=0)
    rnn, rnn_history = u11.train_adding("rnn", seed=0)
    baseline = 1 / 6
    assert lstm_history[-1] < 0.02 < 0.2 * baseline  # the lecture: about 0.0003
    assert min(rnn_history) > 0.12  # the lecture: 0.156 to 0.163, the trivial level
    # after training the LSTM's gradient no longer decays; the vanilla RNN's still does
    assert u11.decay_rate(u11.gradient_norms(lstm.rnn)) > -0.1
    assert u11.decay_rate(u11.gradient_norms(rnn.rnn)) < -0.3
    assert all(math.isfinite(v) for v in lstm_history + rnn_history)
