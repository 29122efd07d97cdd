"""Interactive explorers for the lectures: learning rates, gradient flow, decision boundaries.

Each explorer returns a widget (controls + a plot that redraws when a control changes) when
a person is looking at the notebook, and otherwise draws its default setting once and
returns that Figure. That way a notebook executed in the background (tests, grading,
conversion to HTML) still stores a picture instead of a dead widget.
"""

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from torch import nn

from course.viz._figure import new_figure
from course.viz.boundary import plot_decision_boundary
from course.viz.histograms import plot_gradient_histograms
from course.viz.optim import OPTIMIZERS, elongated_bowl, optimizer_trajectories, plot_trajectories

BOUNDARY_EPOCHS = 200  # full-batch steps per setting of boundary_explorer (well under a second on a CPU)


def has_widget_frontend() -> bool:
    """True inside a Jupyter kernel whose output a person sees (Jupyter server, Colab, VS Code).

    The environment variable COURSE_WIDGETS=static or =interactive overrides the detection.
    Kernels started by a Jupyter server get JPY_SESSION_NAME in their environment; kernels that
    execute a notebook in the background (nbclient, nbval, nbgrader, nbconvert) do not.
    """
    mode = os.environ.get("COURSE_WIDGETS", "").strip().lower()
    if mode in ("static", "interactive"):
        return mode == "interactive"
    if mode not in ("", "auto"):
        raise ValueError(f"COURSE_WIDGETS must be 'static', 'interactive' or 'auto', got {mode!r}")
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    return bool(os.environ.get("JPY_SESSION_NAME")) or "google.colab" in sys.modules or "VSCODE_PID" in os.environ


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread: tiny networks train faster without thread hand-offs, even more so on a busy CPU."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _draw(draw: Callable[..., Figure], controls: dict[str, widgets.ValueWidget]) -> Figure:
    """Call draw with the current value of every control."""
    with _one_thread():
        return draw(**{name: control.value for name, control in controls.items()})


def _explorer(draw: Callable[..., Figure], controls: dict[str, widgets.ValueWidget]) -> Figure | widgets.VBox:
    """Controls above an Output that shows draw(**values), redrawn whenever a value changes.

    Without a widget front end, return draw(**default values) instead. The returned box has
    attributes `controls` (name -> widget), `update()` (redraw now) and `figure` (the last Figure).
    """
    if not has_widget_frontend():
        return _draw(draw, controls)
    from IPython.display import display

    output = widgets.Output()
    box = widgets.VBox([widgets.HBox(list(controls.values())), output])

    def update(change: object = None) -> None:
        box.figure = _draw(draw, controls)
        with output:
            output.clear_output(wait=True)
            display(box.figure)

    for control in controls.values():
        control.observe(update, names="value")
    box.controls, box.update = controls, update
    update()
    return box


def _style() -> dict:
    return {"style": {"description_width": "initial"}, "continuous_update": False}


# ---- learning rate -------------------------------------------------------------------------

LR_OPTIMIZERS = {
    "SGD": "sgd",
    "SGD + momentum": "momentum",
    "Nesterov": "nesterov",
    "RMSprop": "rmsprop",
    "Adam": "adam",
}
LR_START, LR_STEPS = (-4.0, 1.5), 60


def draw_lr(lr: float, optimizer: str) -> Figure:
    """Path and loss per step of one optimiser on a fixed elongated bowl, for one learning rate."""
    make = OPTIMIZERS[LR_OPTIMIZERS[optimizer]]
    path = optimizer_trajectories(elongated_bowl, LR_START, {optimizer: lambda p: make(p, lr)}, steps=LR_STEPS)
    fig = new_figure(11, 4.2)
    surface_ax, loss_ax = fig.subplots(1, 2, width_ratios=[3, 2])
    plot_trajectories(
        elongated_bowl,
        path,
        (-5, 5),
        (-2.5, 2.5),
        ax=surface_ax,
        resolution=120,
        title="Path on the loss surface 0.5 (x² + 25 y²)",
    )
    with torch.no_grad():
        losses = elongated_bowl(torch.tensor(path[optimizer])).numpy()
    loss_ax.plot(range(len(losses)), losses, color="C1", marker=".", markersize=3)
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel("step")
    loss_ax.set_ylabel("loss")
    loss_ax.set_title("Loss per step")
    fig.suptitle(f"{optimizer} with learning rate {lr:.3g}")
    return fig


def lr_explorer() -> Figure | widgets.VBox:
    """Learning-rate slider and optimiser menu: watch the path and the loss on a fixed 2-D problem."""
    controls = {
        "lr": widgets.FloatLogSlider(
            value=0.03,
            base=10,
            min=-3,
            max=0.5,
            step=0.05,
            description="learning rate",
            readout_format=".3g",
            **_style(),
        ),
        "optimizer": widgets.Dropdown(
            options=list(LR_OPTIMIZERS), value="SGD", description="optimiser", style={"description_width": "initial"}
        ),
    }
    return _explorer(draw_lr, controls)


# ---- gradient flow -------------------------------------------------------------------------

INITS = {
    "PyTorch default": None,
    "Xavier (Glorot)": lambda w: nn.init.xavier_normal_(w),
    "He (Kaiming)": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
}


def draw_gradient_flow(activation: str, depth: int, init: str = "PyTorch default") -> Figure:
    """Gradient histograms of a fresh MLP (width 32, `depth` hidden layers) on a batch of two moons."""
    from course.data import two_moons
    from course.models import MLP

    x, y = two_moons(256, seed=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = MLP(2, [32] * depth, 2, activation=activation)
        init_weight = INITS[init]
        if init_weight is not None:
            for linear in model.linears:
                init_weight(linear.weight)
                nn.init.zeros_(linear.bias)
    return plot_gradient_histograms(model, x, y, title=f"{depth} hidden {activation} layers, {init} initialisation")


def gradient_flow_explorer() -> Figure | widgets.VBox:
    """Activation menu, depth slider and initialisation menu: see gradients vanish (or not) layer by layer."""
    controls = {
        "activation": widgets.Dropdown(
            options=["sigmoid", "tanh", "relu", "leaky_relu", "gelu"],
            value="sigmoid",
            description="activation",
            style={"description_width": "initial"},
        ),
        "depth": widgets.IntSlider(value=6, min=1, max=20, description="hidden layers", **_style()),
        "init": widgets.Dropdown(
            options=list(INITS),
            value="PyTorch default",
            description="initialisation",
            style={"description_width": "initial"},
        ),
    }
    return _explorer(draw_gradient_flow, controls)


# ---- decision boundary ---------------------------------------------------------------------


@lru_cache(maxsize=32)
def _trained(dataset: str, width: int, depth: int, weight_decay: float) -> tuple[nn.Module, float]:
    """Train (once per setting) a small MLP full-batch with Adam; returns it and its training loss."""
    from course.models import MLP
    from course.train import fit

    x, y = _boundary_data(dataset)
    with torch.random.fork_rng(devices=[]):  # the initial weights; fit leaves the global generator alone itself
        torch.manual_seed(0)
        model = MLP(2, [width] * depth, int(y.max()) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=weight_decay)
    history = fit(
        model,
        (x, y),
        epochs=BOUNDARY_EPOCHS,
        batch_size=len(x),
        optimizer=optimizer,
        metrics=(),
        seed=0,
        progress=False,
    )
    return model, history["train_loss"][-1]


def _boundary_data(dataset: str) -> tuple[torch.Tensor, torch.Tensor]:
    from course.data import spirals, two_moons

    return two_moons(400, noise=0.2, seed=0) if dataset == "two moons" else spirals(450, classes=3, seed=0)


def draw_boundary(dataset: str, width: int, depth: int, weight_decay: float) -> Figure:
    """Train a small MLP on two moons or spirals and draw its decision boundary."""
    from course.train import accuracy

    x, y = _boundary_data(dataset)
    model, loss = _trained(dataset, width, depth, weight_decay)
    title = (
        f"{depth} hidden layer(s) of width {width}, weight decay {weight_decay:g}\n"
        f"training loss {loss:.3f}, training accuracy {accuracy(model, x, y):.1%}"
    )
    return plot_decision_boundary(model, x, y, resolution=150, title=title)


def boundary_explorer() -> Figure | widgets.VBox:
    """Width, depth and weight-decay controls: retrain a small network and redraw its decision boundary."""
    controls = {
        "dataset": widgets.Dropdown(
            options=["two moons", "spirals"],
            value="two moons",
            description="data",
            style={"description_width": "initial"},
        ),
        "width": widgets.SelectionSlider(options=[2, 4, 8, 16, 32, 64], value=16, description="width", **_style()),
        "depth": widgets.IntSlider(value=2, min=1, max=4, description="hidden layers", **_style()),
        "weight_decay": widgets.SelectionSlider(
            options=[0.0, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1], value=0.0, description="weight decay", **_style()
        ),
    }
    return _explorer(draw_boundary, controls)
