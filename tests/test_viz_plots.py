"""Tests for the simple plots (history, image grid, latent codes) and the figure type they return."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from course.viz import CourseFigure, image_grid, plot_history, plot_latent


class FakeHistory(dict):
    best_epoch = 1
    stopped_early = True


def test_history_has_one_panel_per_metric_with_training_and_validation():
    history = FakeHistory(train_loss=[1.0, 0.5, 0.4], val_loss=[1.1, 0.7, 0.8],
                          train_accuracy=[0.5, 0.8, 0.9], val_accuracy=[0.4, 0.7, 0.7])
    fig = plot_history(history)
    assert isinstance(fig, Figure)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "Loss" and acc_ax.get_title() == "Accuracy"
    train, val = loss_ax.get_lines()[:2]
    np.testing.assert_allclose(train.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(train.get_ydata(), history["train_loss"])
    np.testing.assert_allclose(val.get_ydata(), history["val_loss"])
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == ["training", "validation", "best epoch (2)"]
    assert "stopped early" in fig._suptitle.get_text()
    assert loss_ax.get_xlabel() == "epoch"


def test_history_metric_choice_plain_dicts_and_errors():
    fig = plot_history({"train_loss": [3, 2], "train_accuracy": [0.1, 0.2]}, metrics=["loss"])
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 1
    gan = plot_history({"d_loss": [1.0, 0.9], "g_loss": [2.0, 1.5]})
    assert [ax.get_title() for ax in gan.axes] == ["D loss", "G loss"]
    with pytest.raises(ValueError, match="available"):
        plot_history({"train_loss": [1]}, metrics=["accuracy"])
    with pytest.raises(ValueError, match="empty"):
        plot_history({})


def test_image_grid_shows_each_image_with_its_label():
    images = torch.rand(5, 1, 6, 6)
    fig = image_grid(images, labels=torch.tensor([3, 1, 4, 1, 5]), ncols=3, title="digits",
                     classes=[f"c{i}" for i in range(10)])
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 6 and len(shown) == 5
    assert [ax.get_title() for ax in shown] == ["c3", "c1", "c4", "c1", "c5"]
    for ax, image in zip(shown, images):
        np.testing.assert_allclose(ax.images[0].get_array(), image[0].numpy(), rtol=1e-6)
        assert ax.images[0].get_clim() == (0.0, 1.0) and ax.images[0].get_cmap().name == "gray"
    assert fig._suptitle.get_text() == "digits"
    assert [ax.get_title() for ax in image_grid(np.zeros((2, 4, 4)), labels=["a", "b"]).axes] == ["a", "b"]


def test_image_grid_colour_images_and_errors():
    rgb = torch.rand(2, 3, 4, 4)
    fig = image_grid(rgb)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), rgb[0].permute(1, 2, 0).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="one label per image"):
        image_grid(torch.rand(3, 4, 4), labels=[1, 2])
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        image_grid(torch.rand(2, 5, 4, 4))


def test_latent_scatter_with_class_legend_or_colour_bar():
    g = torch.Generator().manual_seed(0)
    codes = torch.randn(30, 2, generator=g)
    labels = torch.arange(30) % 3
    fig = plot_latent(codes, labels, classes=["zero", "one", "two"], title="codes")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["zero", "one", "two"]
    np.testing.assert_allclose(ax.collections[1].get_offsets(), codes[labels == 1].numpy(), rtol=1e-6)
    assert ax.get_title() == "codes" and ax.get_xlabel() and ax.get_ylabel()
    continuous = plot_latent(codes, torch.linspace(0, 1, 30))
    assert len(continuous.axes) == 2  # scatter and colour bar
    assert continuous.axes[0].collections[0].get_cmap().name == "viridis"
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_latent(torch.randn(10, 3), None)
    with pytest.raises(ValueError, match="one label per code"):
        plot_latent(codes, labels[:5])


def test_figures_render_as_png_without_pyplot():
    before = plt.get_fignums()
    fig = image_grid(torch.rand(2, 1, 4, 4))
    assert isinstance(fig, CourseFigure)
    assert fig._repr_png_()[0].startswith(b"\x89PNG\r\n\x1a\n")
    assert plt.get_fignums() == before  # nothing registered with pyplot, so nothing shown twice or leaked
