"""Pictures of models and training: decision boundaries, gradients, filters, optimisers, curves, images."""

from course.viz._figure import CourseFigure
from course.viz.boundary import plot_decision_boundary
from course.viz.curves import plot_history
from course.viz.filters import plot_feature_maps, plot_filters
from course.viz.histograms import plot_activation_histograms, plot_dead_units, plot_gradient_histograms
from course.viz.hooks import dead_units, layer_activations, layer_gradients, weight_gradients
from course.viz.images import image_grid
from course.viz.latent import plot_latent
from course.viz.optim import (
    elongated_bowl,
    lr_sweep,
    optimizer_trajectories,
    plot_lr_curves,
    plot_trajectories,
    rosenbrock,
)

__all__ = [
    "CourseFigure",
    "dead_units",
    "elongated_bowl",
    "image_grid",
    "layer_activations",
    "layer_gradients",
    "lr_sweep",
    "optimizer_trajectories",
    "plot_activation_histograms",
    "plot_dead_units",
    "plot_decision_boundary",
    "plot_feature_maps",
    "plot_filters",
    "plot_gradient_histograms",
    "plot_history",
    "plot_latent",
    "plot_lr_curves",
    "plot_trajectories",
    "rosenbrock",
    "weight_gradients",
]
