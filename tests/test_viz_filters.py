"""Tests for course.viz.plot_filters and plot_feature_maps."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course.viz import plot_feature_maps, plot_filters


def image_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible() and ax.images]


def test_filters_of_a_conv_layer_share_one_symmetric_colour_scale():
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 6, 5)
    fig = plot_filters(conv, title="first layer")
    assert isinstance(fig, Figure) and fig._suptitle.get_text() == "first layer"
    axes = image_axes(fig)
    assert len(axes) == 6
    limit = conv.weight.abs().max().item()
    for i, ax in enumerate(axes):
        image = ax.images[0]
        assert image.get_clim() == pytest.approx((-limit, limit))
        assert image.get_cmap().name == "RdBu_r"
        np.testing.assert_allclose(image.get_array(), conv.weight[i, 0].detach().numpy(), rtol=1e-6)
    assert any(ax.get_ylabel() == "weight" for ax in fig.axes)  # the colour bar


def test_filters_from_a_tensor_with_several_input_channels():
    weight = torch.randn(3, 2, 3, 3)
    fig = plot_filters(weight)
    axes = image_axes(fig)
    assert len(axes) == 6  # one kernel per (filter, input channel)
    np.testing.assert_allclose(axes[3].images[0].get_array(), weight[1, 1].numpy(), rtol=1e-6)
    assert "2 input channels" in fig._suptitle.get_text()
    assert len(image_axes(plot_filters(torch.randn(4, 3, 3)))) == 4  # (out, h, w)


def test_filters_reject_wrong_shapes_and_types():
    with pytest.raises(ValueError, match=r"\(out, in, h, w\)"):
        plot_filters(torch.randn(4, 9))
    with pytest.raises(TypeError, match="nn.Conv2d or a weight tensor"):
        plot_filters(nn.Linear(3, 3))


def make_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 20, 3, padding=1), nn.Flatten())


def test_feature_maps_by_module_and_by_name_show_the_layer_output():
    model = make_cnn()
    model.train()
    x = torch.rand(1, 1, 8, 8)
    expected = model[1](model[0](x)).detach()
    for layer in (model[1], "1"):
        fig = plot_feature_maps(model, layer, x)
        axes = image_axes(fig)
        assert len(axes) == 1 + 4  # the input and four channels
        np.testing.assert_allclose(axes[0].images[0].get_array(), x[0, 0].numpy(), rtol=1e-6)
        for c in range(4):
            np.testing.assert_allclose(axes[1 + c].images[0].get_array(), expected[0, c].numpy(), rtol=1e-5)
        assert "'1'" in fig._suptitle.get_text()
    assert model.training
    assert not any(m._forward_hooks for m in model.modules())
    many = plot_feature_maps(model, model[2], x, max_maps=6)
    assert len(image_axes(many)) == 1 + 6 and "6 of 20 channels" in many._suptitle.get_text()
    signed = many.axes[1].images[0]
    assert signed.get_cmap().name == "RdBu_r" and signed.get_clim()[0] == -signed.get_clim()[1]


def test_feature_maps_explain_bad_arguments():
    model = make_cnn()
    x = torch.rand(1, 1, 8, 8)
    with pytest.raises(ValueError, match="no layer named 'conv9'"):
        plot_feature_maps(model, "conv9", x)
    with pytest.raises(ValueError, match="not a layer of this model"):
        plot_feature_maps(model, nn.Conv2d(1, 1, 1), x)
    with pytest.raises(ValueError, match="one image"):
        plot_feature_maps(model, "0", torch.rand(2, 1, 8, 8))
    with pytest.raises(ValueError, match="pick a convolutional layer"):
        plot_feature_maps(model, "3", x)
    assert not any(m._forward_hooks for m in model.modules())
