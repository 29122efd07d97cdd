"""Tests for course.viz.hooks and the histogram plots built on it."""

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import nn

from course.viz import (
    dead_units,
    layer_activations,
    layer_gradients,
    plot_activation_histograms,
    plot_dead_units,
    plot_gradient_histograms,
    weight_gradients,
)


pytestmark = pytest.mark.usefixtures("one_thread_per_module")


def batch(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)
    return x, (x[:, 0] * x[:, 1] > 0).long()


def deep_mlp(activation, he=False, depth=6, width=32, seed=0):
    torch.manual_seed(seed)
    layers, d = [], 2
    for _ in range(depth):
        linear = nn.Linear(d, width)
        if he:
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
        layers += [linear, activation()]
        d = width
    return nn.Sequential(*layers, nn.Linear(width, 2))


def all_hooks(model):
    return [h for m in model.modules() for h in
            (m._forward_hooks, m._forward_pre_hooks, m._backward_hooks, m._backward_pre_hooks) if h]


def test_sigmoid_gradients_vanish_toward_the_input_but_relu_with_he_init_does_not():
    x, y = batch()
    for seed in range(3):
        sig = {k: v.abs().mean().item() for k, v in layer_gradients(deep_mlp(nn.Sigmoid, seed=seed), x, y).items()}
        relu = {k: v.abs().mean().item() for k, v in layer_gradients(deep_mlp(nn.ReLU, he=True, seed=seed), x, y).items()}
        assert list(sig) == [f"Linear {i}" for i in range(1, 8)]
        # first hidden layer versus last hidden layer (the output layer's error is the loss derivative itself)
        assert sig["Linear 1"] / sig["Linear 6"] < 0.01
        assert sig["Linear 1"] / sig["Linear 7"] < 0.1
        assert all(a < b for a, b in zip(list(sig.values()), list(sig.values())[1:]))  # shrinks at every layer
        assert 0.3 < relu["Linear 1"] / relu["Linear 6"] < 3


def test_layer_gradients_match_closed_form_and_autograd():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3))
    x, _ = batch(16)
    y = torch.arange(16) % 3
    grads = layer_gradients(model, x, y)
    logits = model(x)
    expected_out = (torch.softmax(logits, 1) - F.one_hot(y, 3)) / len(x)  # d mean-CE / d logits
    torch.testing.assert_close(grads["Linear 2"], expected_out.detach())
    h = model[0](x)
    h.retain_grad()
    F.cross_entropy(model[2](torch.tanh(h)), y).backward()
    torch.testing.assert_close(grads["Linear 1"], h.grad)
    assert all(p.grad is not None for p in model.parameters())  # our manual backward above


def test_gradients_leave_parameter_grads_buffers_and_hooks_untouched():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(inplace=True), nn.Linear(8, 2))
    x, y = batch(32)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    grads = layer_gradients(model, x, y)
    wgrads = weight_gradients(model, x, y)
    assert all(p.grad is None for p in model.parameters())
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), f"{key} changed"
    assert all_hooks(model) == []
    # the same gradients as an ordinary backward pass
    F.cross_entropy(model(x), y).backward()
    torch.testing.assert_close(wgrads["Linear 1"], model[0].weight.grad)
    torch.testing.assert_close(wgrads["Linear 2"], model[3].weight.grad)
    # the in-place ReLU after the first layer does not change that layer's output gradient
    plain = nn.Sequential(model[0], model[1], nn.ReLU(), model[3])
    model.load_state_dict(before)
    torch.testing.assert_close(grads["Linear 1"], layer_gradients(plain, x, y)["Linear 1"])


def test_hooks_are_removed_even_when_the_loss_fails():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    x, y = batch(8)

    def broken_loss(out, target):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        layer_gradients(model, x, y, loss_fn=broken_loss)
    assert all_hooks(model) == []
    with pytest.raises(ValueError, match="scalar"):
        layer_gradients(model, x, y, loss_fn=lambda out, t: (out - 1) ** 2)
    assert all_hooks(model) == []


def test_layers_are_named_in_call_order_not_definition_order():
    class Backwards(nn.Module):
        def __init__(self):
            super().__init__()
            self.last = nn.Linear(16, 2)  # defined first, called last
            self.first = nn.Linear(2, 16)
            self.act = nn.ReLU()  # one module called twice

        def forward(self, x):
            return self.act(self.last(self.act(self.first(x))))

    x, y = batch(10)
    grads = layer_gradients(Backwards(), x, y)
    assert list(grads) == ["Linear 1", "Linear 2"]
    assert grads["Linear 1"].shape == (10, 16) and grads["Linear 2"].shape == (10, 2)
    acts = layer_activations(Backwards(), x)
    assert list(acts) == ["ReLU 1", "ReLU 2"] and acts["ReLU 1"].shape == (10, 16)


def test_layer_activations_values_and_helpful_error():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 3), nn.Tanh())
    x, _ = batch(5)
    acts = layer_activations(model, x)
    torch.testing.assert_close(acts["Sigmoid 1"], torch.sigmoid(model[0](x)).detach())
    torch.testing.assert_close(acts["Tanh 1"], model(x).detach())
    assert all_hooks(model) == []
    with pytest.raises(ValueError, match="ReLU"):
        layer_activations(nn.Sequential(nn.Linear(2, 2)), x, layers=nn.ReLU)
    with pytest.raises(TypeError, match="nn.Module classes"):
        layer_activations(model, x, layers=["relu"])


def test_dead_units_counts_units_that_are_zero_for_every_input():
    linear = nn.Linear(2, 8)
    with torch.no_grad():
        linear.weight.fill_(0.1)
        linear.bias.fill_(1.0)
        linear.bias[[1, 4, 6]] = -100.0  # never positive for inputs of moderate size
    model = nn.Sequential(linear, nn.ReLU(), nn.Linear(8, 2))
    x, _ = batch(64)
    assert dead_units(model, x) == {"ReLU 1": 3}
    # channels of a conv layer count as units
    conv = nn.Conv2d(1, 4, 3)
    with torch.no_grad():
        conv.weight.fill_(0.05)
        conv.bias.copy_(torch.tensor([-50.0, 0.5, -50.0, 0.5]))
    cnn = nn.Sequential(conv, nn.ReLU())
    assert dead_units(cnn, torch.rand(3, 1, 6, 6)) == {"ReLU 1": 2}
    fig = plot_dead_units(model, x)
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert heights == pytest.approx([100 * 3 / 8])
    assert all_hooks(model) == []


def test_histogram_plots_are_figures_with_one_entry_per_layer():
    x, y = batch(64)
    model = deep_mlp(nn.Sigmoid, depth=3)
    fig = plot_gradient_histograms(model, x, y, title="three layers")
    assert isinstance(fig, Figure) and fig._suptitle.get_text() == "three layers"
    hist_ax, mean_ax = fig.axes
    assert [t.get_text() for t in hist_ax.get_legend().get_texts()] == ["Linear 1", "Linear 2", "Linear 3", "Linear 4"]
    expected = [g.abs().mean().item() for g in layer_gradients(model, x, y).values()]
    assert [b.get_height() for b in mean_ax.patches] == pytest.approx(expected, rel=1e-5)
    assert mean_ax.get_yscale() == "log"
    fig = plot_activation_histograms(model, x)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3 and visible[0].get_title().startswith("Sigmoid 1")
    assert all_hooks(model) == []
