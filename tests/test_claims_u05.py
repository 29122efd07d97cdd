"""Unit 5 claims: sigmoid networks stall where ReLU networks fit (with vanishing gradients to show why),
and a deep plain network trains worse than a shallow one while the same depth with skip connections trains well.

Each test runs the same library code with the same seeds as lectures/05_deep_networks.ipynb and checks the
numbers the notebook prints (within a tolerance) and the claim they support.
"""

import math

import pytest
import torch
from torch import nn

from course.experiments import u05
from course.models import MLP
from course.viz import layer_activations

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread_per_module")]


@pytest.fixture(scope="module")
def spirals():
    return u05.two_spirals()


def test_two_spirals_is_deterministic_and_balanced(spirals):
    x, y = spirals
    assert x.shape == (400, 2) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert int(y.sum()) == 200
    assert torch.equal(u05.two_spirals()[0], x)
    assert not torch.equal(u05.two_spirals(seed=1)[0], x)
    with pytest.raises(ValueError, match="turns"):
        u05.two_spirals(turns=0)


def test_activation_derivatives():
    x = (torch.arange(-800, 801) / 100).requires_grad_(True)
    (sigmoid,) = torch.autograd.grad(torch.sigmoid(x).sum(), x)
    (tanh,) = torch.autograd.grad(torch.tanh(x).sum(), x)
    (relu,) = torch.autograd.grad(torch.relu(x).sum(), x)
    assert sigmoid.max().item() == pytest.approx(0.25, abs=1e-7) and x[sigmoid.argmax()].item() == 0
    assert tanh.max().item() == pytest.approx(1.0, abs=1e-6)
    assert sigmoid[x.detach() == 5].item() == pytest.approx(0.00665, rel=1e-3)  # saturated
    assert torch.all(relu[x.detach() > 0] == 1) and torch.all(relu[x.detach() < 0] == 0)


def test_sigmoid_networks_stall_where_relu_networks_fit(spirals):
    runs = u05.compare_activations(seed=0)
    accuracy = {name: run.accuracy for name, run in runs.items()}
    assert accuracy["sigmoid, 1 layer"] == pytest.approx(0.625, abs=0.02)  # the notebook's numbers
    assert accuracy["sigmoid, 4 layers"] == pytest.approx(0.647, abs=0.02)
    assert accuracy["sigmoid, 1 layer"] < 0.7 and accuracy["sigmoid, 4 layers"] < 0.7  # fails; depth does not help
    assert accuracy["ReLU, 3 layers"] > 0.98 and accuracy["ReLU, 4 layers"] > 0.98  # fits


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradients_vanish_through_sigmoid_layers_much_more_than_through_relu(spirals, seed):
    x, y = spirals
    sigmoid = u05.first_to_last_hidden(u05.make_mlp("sigmoid", [32] * 6, seed=seed), x, y)
    relu = u05.first_to_last_hidden(u05.make_mlp("relu", [32] * 6, seed=seed), x, y)
    if seed == 0:  # the notebook's numbers
        assert sigmoid == pytest.approx(3.4e-5, rel=0.05) and relu == pytest.approx(0.012, rel=0.05)
    assert sigmoid < 1e-4 < 5e-3 < relu
    means = list(u05.mean_abs_gradients(u05.make_mlp("sigmoid", [32] * 6, seed=seed), x, y).values())
    assert all(a < b for a, b in zip(means, means[1:]))  # smaller at every step toward the input


def _initialised(activation: str, init) -> MLP:
    torch.manual_seed(0)
    model = MLP(256, [256] * 20, 10, activation=activation)
    with torch.no_grad():
        for linear in model.linears:
            init(linear.weight)
            linear.bias.zero_()
    return model


def test_initialisation_scale_controls_vanishing_and_exploding():
    x = torch.randn(256, 256, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 10, (256,), generator=torch.Generator().manual_seed(1))

    def stds(model):
        return [a.std().item() for a in layer_activations(model, x).values()]

    small = stds(_initialised("relu", lambda w: nn.init.normal_(w, std=0.01)))
    large = stds(_initialised("relu", lambda w: nn.init.normal_(w, std=0.2)))
    xavier = stds(_initialised("relu", nn.init.xavier_normal_))
    he_model = _initialised("relu", lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"))
    he = stds(he_model)
    assert small[-1] < 1e-15 and large[-1] > 1e6 and 1e-4 < xavier[-1] < 1e-2
    assert all(0.5 < s < 1.5 for s in he)  # He keeps the ReLU activations' size through 20 layers
    assert 0.3 < u05.first_to_last_hidden(he_model, x, y) < 3  # ... and the errors' size
    tanh_xavier = stds(_initialised("tanh", nn.init.xavier_normal_))
    assert tanh_xavier[-1] > 0.1


def test_batch_norm_train_and_eval_statistics():
    generator = torch.Generator().manual_seed(0)
    scale, shift = torch.tensor([1.0, 5.0, 0.2]), torch.tensor([2.0, -3.0, 10.0])
    batch = torch.randn(8, 3, generator=generator) * scale + shift
    bn = nn.BatchNorm1d(3)
    out = bn(batch)
    assert torch.allclose(out.mean(0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(bn.running_mean, 0.1 * batch.mean(0))
    assert torch.allclose(bn.running_var, 0.9 + 0.1 * batch.var(0))
    bn.eval()
    assert (bn(batch) - out).abs().max() > 1  # eval mode uses the (still mostly initial) running statistics
    bn.train()
    for _ in range(200):
        bn(torch.randn(64, 3, generator=generator) * scale + shift)
    assert torch.allclose(bn.running_mean, shift, atol=0.2)
    assert torch.allclose(bn.running_var, scale**2, rtol=0.15)


def test_batch_norm_keeps_sigmoid_units_out_of_saturation(spirals):
    x, _ = spirals
    shares = {}
    for batch_norm in (False, True):
        model = u05.make_mlp("sigmoid", [32] * 6, seed=0, batch_norm=batch_norm)
        torch.manual_seed(0)
        with torch.no_grad():
            for linear in model.linears:
                nn.init.normal_(linear.weight, std=2.0)
        outputs = layer_activations(model, x, layers=(nn.Sigmoid,))
        shares[batch_norm] = [float(((s * (1 - s)) < 0.01).float().mean()) for s in outputs.values()]
    assert min(shares[False][1:]) > 0.3  # a third to a half of the units saturated without normalisation
    assert max(shares[True]) == 0.0


@pytest.fixture(scope="module")
def depth_runs():
    return {seed: u05.compare_depth(seed=seed) for seed in (0, 1, 2)}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_deep_plain_network_trains_worse_and_skip_connections_fix_it(depth_runs, seed):
    runs = depth_runs[seed]
    shallow, plain, residual = (runs[name] for name in u05.DEPTH_VARIANTS)
    assert shallow.accuracy > 0.97
    assert plain.accuracy < 0.6 and plain.loss > shallow.loss + 0.3  # deep and plain: does not train
    assert residual.accuracy > 0.97 and residual.loss < 0.1  # same depth with skip connections: trains
    if seed == 0:  # the notebook's numbers
        assert shallow.accuracy == pytest.approx(0.995, abs=0.01)
        assert plain.loss == pytest.approx(math.log(2), abs=0.01)
        assert residual.accuracy == pytest.approx(0.988, abs=0.01)


def test_skip_connections_carry_the_error_to_the_first_layer(spirals):
    x, y = spirals
    plain = u05.first_to_last_hidden(u05.make_deep(20, residual=False, seed=0), x, y)
    residual = u05.first_to_last_hidden(u05.make_deep(20, residual=True, seed=0), x, y)
    assert plain < 1e-6 and residual > 0.5


def test_deep_mlp_checks_its_arguments():
    with pytest.raises(ValueError, match="depth"):
        u05.DeepMLP(2, 8, -1, 2)
    with pytest.raises(ValueError, match="width"):
        u05.DeepMLP(2, 0, 3, 2)
    assert u05.DeepMLP(2, 8, 0, 2)(torch.zeros(5, 2)).shape == (5, 2)


def test_batch_norm_gradient_through_the_batch_statistics():
    # the lecture's derived input gradient equals autograd's, sums to zero over the batch and is orthogonal to a_hat;
    # treating mu_B and sigma_B as constants gives a different gradient
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(32, 5, generator=generator) * 3 + 1
    gamma, grad_y = torch.rand(5, generator=generator) + 0.5, torch.randn(32, 5, generator=generator)
    leaf = a.clone().requires_grad_(True)
    (autograd,) = torch.autograd.grad(
        nn.functional.batch_norm(leaf, None, None, gamma, torch.zeros(5), training=True), leaf, grad_y
    )
    s = torch.sqrt(a.var(0, unbiased=False) + 1e-5)
    a_hat, g = (a - a.mean(0)) / s, gamma * grad_y
    derived = (32 * g - g.sum(0) - a_hat * (g * a_hat).sum(0)) / (32 * s)
    assert torch.allclose(derived, autograd, rtol=1e-4, atol=1e-5)
    assert torch.allclose(derived.sum(0), torch.zeros(5), atol=1e-5)
    assert torch.allclose((derived * a_hat).sum(0), torch.zeros(5), atol=1e-4)
    assert (g / s - autograd).norm() > 0.05 * autograd.norm()
