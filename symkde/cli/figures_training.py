"""The training figure of the report: plain gradient descent on the logits from a far start.

Owns :func:`logit_descent_data` (the numbers) and :func:`fig_training_curves` (the figure),
registered as ``training_curves`` in :data:`symkde.cli.figures.FIGURES`.  It imports only the
public numeric API (``symkde.loss_and_grad``) and matplotlib's Agg canvas; like the other
``figures_*`` modules it is a module of its own by concern.

The setting (the seed's puzzle in training): target ``[-1/2, 1/2]``, bandwidth 1, one point
at the target's centre whose logit starts at ``-30`` (weight ~1e-13) and three points at
``D + (0, 1/2, 3/2)`` (the far-field configuration of ``symkde.theorems.far_field``) holding
the rest of the mass, for ``D`` in 10, 100, 1000 bandwidths.  Each step is
``z <- z - step * dL/dz``; by the theorem ``gradient_bounds`` every component of ``dL/dz``
lies in ``[S_i - 1, S_i]``, so one step moves a logit by at most ``step``.

>>> data = logit_descent_data(steps=3, kernels=("boxcar",), methods=(("exact", None),))
>>> data["mass"][("boxcar", "exact")].shape
(3, 3)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import symkde

__all__ = ["FAR_START", "fig_training_curves", "logit_descent_data"]

#: Logits at step 0: the centre point (index 0) nearly masked (weight ~1e-13), the far points
#: at the witness logits of ``symkde.theorems.far_field`` (so its limits apply unchanged).
FAR_START = (-30.0, 2 / 3, -1 / 4, 1.0)
TARGET = (-0.5, 0.5)
FAR_OFFSETS = (0.0, 0.5, 1.5)
KERNELS = ("laplace", "gaussian", "cauchy", "boxcar")
METHODS: tuple[tuple[str, int | None], ...] = (("exact", None), ("bins", 32), ("bins", 256))
COLORS = {"laplace": "#1f77b4", "gaussian": "#d62728", "cauchy": "#2ca02c", "boxcar": "#9467bd"}


def _positions(distances: np.ndarray) -> np.ndarray:
    """Rows ``(0, D, D + 1/2, D + 3/2)``, one per distance."""
    far = distances[:, None] + np.asarray(FAR_OFFSETS)[None, :]
    return np.concatenate([np.zeros((len(distances), 1)), far], axis=1)


def logit_descent_data(
    distances: Sequence[float] = (10.0, 100.0, 1000.0),
    kernels: Iterable[str] = KERNELS,
    methods: Iterable[tuple[str, int | None]] = METHODS,
    steps: int = 60,
    step_size: float = 1.0,
) -> dict[str, Any]:
    """Loss and target mass along plain gradient descent on ``z``, every distance at once.

    Args:
        distances: distance D (bandwidths) of the nearest far point; one batch row each.
        kernels: kernel names of ``symkde.loss_and_grad``.
        methods: ``("exact", None)`` (the API's ``"auto"``) or ``("bins", M)``.
        steps: number of descent steps recorded (step 0 is the start).
        step_size: the fixed step; chosen empirically (no Hessian bound in the registry yet).

    Returns:
        ``{"distance", "step", "loss", "mass", "logits"}``; ``loss``/``mass`` map
        ``(kernel, label)`` to arrays of shape ``(steps, len(distances))``, ``logits`` to
        ``(steps, len(distances), 4)``; ``mass`` is the softmax weight of the centre point.
    """
    dist = np.asarray(distances, dtype=float)
    x = _positions(dist)
    out: dict[str, Any] = {"distance": dist, "step": np.arange(steps), "loss": {}, "mass": {}}
    out["logits"] = {}
    for kernel in kernels:
        for method, bins in methods:
            label = "exact" if method == "exact" else f"M={bins}"
            z = np.tile(np.asarray(FAR_START), (len(dist), 1))
            losses, masses, logits = [], [], []
            for _ in range(steps):
                api_method = "auto" if method == "exact" else method
                loss, grad = symkde.loss_and_grad(
                    z, x, *TARGET, kernel=kernel, method=api_method, bins=bins
                )
                weights = np.exp(z - z.max(axis=1, keepdims=True))
                weights /= weights.sum(axis=1, keepdims=True)
                losses.append(loss)
                masses.append(weights[:, 0])
                logits.append(z.copy())
                z = z - step_size * grad
            out["loss"][(kernel, label)] = np.array(losses)
            out["mass"][(kernel, label)] = np.array(masses)
            out["logits"][(kernel, label)] = np.array(logits)
    return out


def fig_training_curves(data: dict[str, Any] | None = None) -> Figure:
    """Mass on the target's centre point vs step, per kernel and distance; dashed: binned."""
    data = logit_descent_data() if data is None else data
    fig = Figure(figsize=(11.0, 4.6), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    styles = {"exact": "-", "M=32": ":", "M=256": "--"}
    widths = {10.0: 1.0, 100.0: 2.0, 1000.0: 3.5}
    for (kernel, label), mass in data["mass"].items():
        for column, distance in enumerate(data["distance"]):
            name = f"{kernel}, D={distance:g}" if label == "exact" else None
            left.plot(
                data["step"],
                mass[:, column],
                color=COLORS.get(kernel, "k"),
                ls=styles.get(label, "-."),
                lw=widths.get(float(distance), 1.5),
                alpha=0.8,
                label=name,
            )
        if label == "exact":
            right.plot(data["step"], data["loss"][(kernel, label)][:, -1], color=COLORS[kernel])
    left.set_xlabel("gradient step (fixed step 1, chosen empirically)")
    left.set_ylabel("weight of the point at the target's centre")
    left.set_title("Far start: who escapes (solid exact, dotted M=32, dashed M=256)")
    left.legend(fontsize=6, ncols=2)
    right.set_yscale("log")
    right.set_xlabel("gradient step")
    right.set_ylabel("cross-entropy L (exact), D = 1000")
    right.set_title("Loss along the descent, farthest start")
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
    return fig
