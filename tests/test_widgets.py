"""Tests for course.widgets: front-end detection, static fallback, and redrawing when a control changes."""

import matplotlib

matplotlib.use("Agg")

import sys
import types

import IPython
import ipywidgets
import numpy as np
import pytest
from matplotlib.figure import Figure

import course.widgets as w


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("COURSE_WIDGETS", "JPY_SESSION_NAME", "VSCODE_PID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(w, "BOUNDARY_EPOCHS", 40)  # enough to change the picture, fast in tests
    w._trained.cache_clear()
    yield
    w._trained.cache_clear()


@pytest.fixture
def kernel(monkeypatch):
    """Pretend to run inside an IPython kernel."""
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(kernel=object()))


def test_no_front_end_outside_a_kernel_even_with_jupyter_variables(monkeypatch):
    assert w.has_widget_frontend() is False
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/student/lecture.ipynb")
    assert w.has_widget_frontend() is False
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace())  # terminal IPython: no kernel
    assert w.has_widget_frontend() is False


def test_kernel_started_by_a_jupyter_server_colab_or_vscode_has_a_front_end(kernel, monkeypatch):
    assert w.has_widget_frontend() is False  # e.g. nbclient, nbval, nbgrader executing a notebook
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/student/lecture.ipynb")
    assert w.has_widget_frontend() is True
    monkeypatch.delenv("JPY_SESSION_NAME")
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert w.has_widget_frontend() is True
    monkeypatch.delitem(sys.modules, "google.colab")
    monkeypatch.setenv("VSCODE_PID", "1234")
    assert w.has_widget_frontend() is True


def test_environment_variable_overrides_the_detection(kernel, monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/student/lecture.ipynb")
    monkeypatch.setenv("COURSE_WIDGETS", "static")
    assert w.has_widget_frontend() is False
    assert isinstance(w.gradient_flow_explorer(), Figure)
    monkeypatch.setenv("COURSE_WIDGETS", "Interactive ")
    assert w.has_widget_frontend() is True
    monkeypatch.setenv("COURSE_WIDGETS", "sometimes")
    with pytest.raises(ValueError, match="static"):
        w.has_widget_frontend()


def test_jupyter_server_sets_the_variable_we_detect():
    from jupyter_server.services.sessions.sessionmanager import SessionManager

    env = SessionManager.get_kernel_env(types.SimpleNamespace(), "lectures/01.ipynb")  # path only: no manager used
    assert env["JPY_SESSION_NAME"] == "lectures/01.ipynb"


@pytest.mark.parametrize("explorer", [w.lr_explorer, w.gradient_flow_explorer, w.boundary_explorer])
def test_without_a_front_end_each_explorer_returns_its_default_figure(explorer):
    fig = explorer()
    assert isinstance(fig, Figure)
    assert fig._repr_png_()[0].startswith(b"\x89PNG")


def interactive(monkeypatch, explorer):
    monkeypatch.setattr(w, "has_widget_frontend", lambda: True)
    box = explorer()
    assert isinstance(box, ipywidgets.VBox)
    assert isinstance(box.children[-1], ipywidgets.Output)
    assert list(box.children[0].children) == list(box.controls.values())
    return box


def test_lr_explorer_redraws_the_path_when_the_learning_rate_or_optimiser_changes(monkeypatch):
    box = interactive(monkeypatch, w.lr_explorer)

    def path():
        line = box.figure.axes[0].get_lines()[0]
        return np.column_stack([line.get_xdata(), line.get_ydata()])

    first, first_figure = path(), box.figure
    np.testing.assert_allclose(first[0], w.LR_START)
    box.controls["lr"].value = 0.06
    assert box.figure is not first_figure
    second = path()
    assert second.shape == first.shape and not np.allclose(second, first)
    assert "0.06" in box.figure._suptitle.get_text()
    box.controls["optimizer"].value = "Adam"
    assert not np.allclose(path(), second) and box.figure._suptitle.get_text().startswith("Adam")


def test_gradient_flow_explorer_redraws_for_a_new_activation_and_depth(monkeypatch):
    box = interactive(monkeypatch, w.gradient_flow_explorer)

    def means():
        return [bar.get_height() for bar in box.figure.axes[1].patches]

    sigmoid = means()
    assert len(sigmoid) == 7 and sigmoid[0] < sigmoid[-2] / 100  # 6 hidden sigmoid layers: vanishing
    box.controls["activation"].value = "relu"
    relu = means()
    assert len(relu) == 7 and relu != pytest.approx(sigmoid)
    box.controls["depth"].value = 3
    assert len(means()) == 4


def test_boundary_explorer_retrains_when_weight_decay_changes(monkeypatch):
    box = interactive(monkeypatch, w.boundary_explorer)

    def boundary():
        ax = box.figure.axes[0]
        contour = [c for c in ax.collections if list(getattr(c, "levels", [])) == [0.5]][0]
        return np.concatenate([p.vertices for p in contour.get_paths()]), ax.get_title()

    (before, title_before) = boundary()
    box.controls["weight_decay"].value = 0.1
    after, title_after = boundary()
    assert "weight decay 0.1" in title_after and title_after != title_before
    assert before.shape != after.shape or not np.allclose(before, after)
    box.controls["dataset"].value = "spirals"
    assert box.figure.axes[0].get_title().startswith("2 hidden layer(s) of width 16")
    assert box.figure.axes[0].images  # three classes: argmax regions


@pytest.mark.slow
@pytest.mark.parametrize("session, expected", [(None, "image/png"), ("lecture.ipynb", "application/vnd.jupyter.widget-view+json")])
def test_in_a_real_kernel(monkeypatch, session, expected):
    """A background execution stores a PNG; a kernel started by a Jupyter server gets the widget."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if session:
        monkeypatch.setenv("JPY_SESSION_NAME", session)  # what jupyter_server puts in its kernels' environment
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("from course.widgets import gradient_flow_explorer\ngradient_flow_explorer()")]
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = notebook.cells[0].outputs
    assert len(outputs) == 1 and expected in outputs[0].data, outputs
    # A Figure is the cell's result. ipywidgets 8 returns a widget as the result too; ipywidgets 7 displays it.
    kinds = ("execute_result",) if session is None else ("execute_result", "display_data")
    assert outputs[0].output_type in kinds
