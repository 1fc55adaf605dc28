"""labutils.plots: every plot has a title and axis labels; PNG rendering; argument checks."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from labutils import plots as P
from labutils import surfaces as S

HISTORY = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6],
           "accuracy": [0.5, 0.8, 0.9], "val_accuracy": [0.4, 0.7, 0.8]}
PNG = b"\x89PNG"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def assert_labelled(ax) -> None:
    """The course rule: a title and both axis labels, non-empty."""
    assert ax.get_title().strip(), "missing title"
    assert ax.get_xlabel().strip() and ax.get_ylabel().strip(), "missing axis label"


def _quadratic_path() -> dict[str, np.ndarray]:
    return {"gd": S.run_trajectory(S.quadratic(), "gd", learning_rate=0.05, steps=10)}


@pytest.mark.parametrize("draw", [
    lambda: P.plot_history(HISTORY),
    lambda: P.plot_history(HISTORY, ("loss", "accuracy")),
    lambda: P.plot_confusion_matrix(np.array([[5, 1], [2, 7]])),
    lambda: P.plot_confusion_matrix(np.array([[5, 1], [2, 7]]), normalize=True),
    lambda: P.plot_activation("tanh", z_max=5.0),
    lambda: P.plot_activation("softmax"),
    lambda: P.plot_surface(S.rosenbrock()),
    lambda: P.plot_trajectories(S.quadratic(), _quadratic_path()),
], ids=["history", "history-2", "confusion", "confusion-norm", "activation", "softmax",
        "surface", "trajectories"])
def test_every_axes_plot_is_titled_and_labelled(draw) -> None:
    ax = draw()
    assert_labelled(ax)


def test_lr_grid_returns_a_figure_with_labelled_panels() -> None:
    fig = P.plot_lr_grid(S.quadratic(), "gd", [0.01, 0.05, 0.11], steps=10)
    panels = [a for a in fig.axes if a.get_title()]
    assert len(panels) == 3
    for ax in panels:
        assert_labelled(ax)
        assert "learning rate" in ax.get_title()


def test_figure_png_and_render_trajectory_png_return_png_bytes() -> None:
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    assert P.figure_png(fig).startswith(PNG)
    png = P.render_trajectory_png(S.rosenbrock(), "gd", 1e-3, steps=3)
    assert png.startswith(PNG)
    assert plt.get_fignums() == []  # rendered off-screen, no pyplot figure left open


def test_history_plot_details() -> None:
    ax = P.plot_history(HISTORY, metrics=("loss", "accuracy"))
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "value"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["train loss", "validation loss", "train accuracy", "validation accuracy"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    _, given = plt.subplots()
    assert P.plot_history(HISTORY, "loss", ax=given, title="t") is given
    assert given.get_ylabel() == "loss" and given.get_title() == "t"


def test_confusion_matrix_details() -> None:
    cm = np.array([[5, 1], [2, 7]])
    ax = P.plot_confusion_matrix(cm, labels=["no", "yes"])
    assert ax.get_xlabel() == "predicted label" and ax.get_ylabel() == "true label"
    assert ax.get_title() == "Confusion matrix"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["no", "yes"]
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "5", "7"]
    ax = P.plot_confusion_matrix(cm, normalize=True)
    assert "0.83" in [t.get_text() for t in ax.texts]  # 5 / 6 of the true "0" row
    empty_row = P.plot_confusion_matrix(np.array([[0, 0], [1, 3]]), normalize=True)
    assert sorted(t.get_text() for t in empty_row.texts) == ["0.00", "0.00", "0.25", "0.75"]


def test_activation_and_trajectory_details() -> None:
    ax = P.plot_activation("tanh", z_max=5.0)
    assert "tanh" in ax.get_title() and len(ax.get_lines()) == 2
    assert ax.get_legend() is not None
    q = S.quadratic()
    paths = {"gd": S.run_trajectory(q, "gd", learning_rate=0.2, steps=20)}  # diverges
    ax = P.plot_trajectories(q, paths, title="demo")
    assert ax.get_title() == "demo"
    assert any("diverged" in t.get_text() for t in ax.get_legend().get_texts())
    assert P.plot_trajectories(q, _quadratic_path()).get_title() == q.name


def test_set_plot_style() -> None:
    with mpl.rc_context():
        mpl.rcParams["axes.grid"] = False
        P.set_plot_style()
        assert mpl.rcParams["axes.grid"] is True
        assert mpl.rcParams["axes.spines.top"] is False


@pytest.mark.parametrize("call, error, match", [
    (lambda: P.plot_history({}), ValueError, "history must be a keras History"),
    (lambda: P.plot_history([1.0, 0.5]), TypeError, "history must be a keras History"),
    (lambda: P.plot_history(HISTORY, metrics=("mae",)), ValueError,
     "metrics must be names recorded.*'loss', 'accuracy'"),
    (lambda: P.plot_confusion_matrix(np.zeros((2, 3))), ValueError, "cm must be a square"),
    (lambda: P.plot_confusion_matrix(np.eye(2), labels=["a"]), ValueError, "one entry per row"),
    (lambda: P.plot_activation("rleu"), ValueError, "name must be one of"),
    (lambda: P.plot_surface("quadratic"), TypeError, "surface must be a Surface"),
    (lambda: P.plot_surface(S.quadratic(), levels=0), ValueError, "levels must be a positive"),
    (lambda: P.plot_trajectories(S.quadratic(), {}), ValueError,
     "paths must be a non-empty mapping"),
    (lambda: P.plot_trajectories(S.quadratic(), [np.zeros((3, 2))]), TypeError,
     "paths must be a non-empty mapping"),
    (lambda: P.plot_trajectories(S.quadratic(), {"a": np.zeros(3)}), ValueError,
     r"path 'a' must have shape \(steps \+ 1, 2\)"),
    (lambda: P.plot_lr_grid(S.quadratic(), "gd", []), ValueError, "learning_rates must list"),
    (lambda: P.render_trajectory_png(S.rosenbrock(), "sgdd", 1e-3), ValueError,
     "optimizer must be one of"),
])
def test_invalid_arguments(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
