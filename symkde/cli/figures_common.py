"""What the report's figures share: the canvas, the colours, the accuracy contract.

Owns :func:`_figure` (a :class:`matplotlib.figure.Figure` on the Agg canvas, no pyplot
state), :data:`COLORS` (one colour per kernel), :data:`EPS`, :data:`CONTRACT` (the accuracy
contract the figures draw), the far-field configuration of ``symkde.theorems.far_field``
(:data:`FAR_OFFSETS`, :data:`FAR_LOGITS`) and :func:`_bin_at`.  Imports NumPy and
matplotlib only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["COLORS", "CONTRACT", "EPS", "FAR_LOGITS", "FAR_OFFSETS"]


EPS = float(np.finfo(np.float64).eps)


#: docs/contract.md accuracy contract: loss within 1e-12 relative, gradient within 1e-12 absolute.
CONTRACT = 1e-12


COLORS = {
    "laplace": "#1f77b4",
    "gaussian": "#d62728",
    "cauchy": "#2ca02c",
    "boxcar": "#9467bd",
    "triangle": "#8c564b",
    "vonmises": "#ff7f0e",
}


#: The far-field configuration of ``symkde.theorems.far_field``: bin t = 0, points at
#: ``D + o_j`` with offsets ``o = (0, 1/2, 3/2)``, and the logits of its numeric witness.
FAR_OFFSETS = (0.0, 0.5, 1.5)


FAR_LOGITS = (2 / 3, -1 / 4, 1.0)


def _figure(width: float, height: float, ncols: int = 1) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols)
    return fig, axes


def _bin_at(t: float = 0.0, half_width: float = 1.0) -> dict[str, Any]:
    """Arguments that make the API's binned loss the single-bin loss ``-log p(t)``."""
    return dict(a=t - half_width, b=t + half_width, method="bins", bins=1)
