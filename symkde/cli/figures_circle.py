"""The circle figures of the report: wrapped kernels and the antipode.

Owns :func:`circle_kernels_data` / :func:`fig_circle_kernels` (every wrapped kernel's density
on the circle) and :func:`circle_antipode_data` / :func:`fig_circle_antipode` (the loss as a
point moves round the circle past the target's antipode).  Imports NumPy, matplotlib, the
public ``symkde`` API and :mod:`symkde.cli.figures_common`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

import symkde
from symkde.cli.figures_common import COLORS, _bin_at, _figure

__all__ = [
    "circle_antipode_data",
    "circle_kernels_data",
    "fig_circle_antipode",
    "fig_circle_kernels",
]


# --------------------------------------------------------------------------- circle
def _circle_density(
    kernel: str, angles: np.ndarray, bandwidth: float, circular: bool
) -> np.ndarray:
    """``K(t)`` for a single point at 0, as ``exp(-L)`` of the API's one-bin loss at t."""
    return np.array(
        [
            math.exp(
                -symkde.loss(
                    [0.0],
                    [0.0],
                    kernel=kernel,
                    bandwidth=bandwidth,
                    circular=circular,
                    **_bin_at(float(t), 1e-3),
                )
            )
            for t in angles
        ]
    )


def circle_kernels_data(
    bandwidths: Sequence[float] = (0.5, 1.5),
    kernels: Sequence[str] = ("laplace", "gaussian", "cauchy", "vonmises"),
    points: int = 361,
) -> dict[str, Any]:
    """Wrapped kernel densities on [-pi, pi] (and the line kernels) from the numeric API."""
    t = np.linspace(-math.pi, math.pi, points)
    out: dict[str, Any] = {"angle": t, "wrapped": {}, "line": {}}
    for h in bandwidths:
        for kernel in kernels:
            out["wrapped"][(kernel, h)] = _circle_density(kernel, t, h, True)
            if kernel != "vonmises":
                out["line"][(kernel, h)] = _circle_density(kernel, t, h, False)
    return out


def fig_circle_kernels(data: dict[str, Any] | None = None, points: int = 361) -> Figure:
    """Wrapped laplace/gaussian/cauchy and von Mises on [-pi, pi], line kernels dashed."""
    data = circle_kernels_data(points=points) if data is None else data
    bandwidths = list(dict.fromkeys(h for _, h in data["wrapped"]))
    fig, axes = _figure(11.0, 4.6, ncols=len(bandwidths))
    axes = np.atleast_1d(axes)
    t = data["angle"]
    for ax, h in zip(axes, bandwidths, strict=True):
        for (kernel, hh), values in data["wrapped"].items():
            if hh != h:
                continue
            ax.plot(t, values, color=COLORS[kernel], lw=2, label=f"{kernel} (wrapped)")
            if (kernel, h) in data["line"]:
                ax.plot(t, data["line"][(kernel, h)], color=COLORS[kernel], lw=1, ls="--")
        ax.set_xticks(
            [-math.pi, -math.pi / 2, 0, math.pi / 2, math.pi],
            [r"$-\pi$", r"$-\pi/2$", "0", r"$\pi/2$", r"$\pi$"],
        )
        ax.set_xlim(-math.pi, math.pi)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("angle u (radians)")
        ax.set_ylabel(r"density $K_h(u)$ (1/radian)")
        kappa = 1 / h**2
        ax.set_title(f"h = {h:g} rad (von Mises kappa = 1/h^2 = {kappa:.3g})")
        ax.grid(True, alpha=0.3)
    axes[0].legend(loc="upper left", fontsize=9, title="dashed: line kernel", title_fontsize=8)
    fig.suptitle("Kernels on the circle: one point at 0 (exp(-loss) of a one-bin target)")
    return fig


def circle_antipode_data(
    bandwidth: float = 0.5,
    starts: Sequence[float] = (math.pi - 0.05, 2.2, 1.4),
    shifts: Sequence[float] | None = None,
    sweep: Sequence[float] | None = None,
    sweep_shift: float = 0.5,
    other: float = -1.1,
) -> dict[str, Any]:
    """Per-bin gradient change of point 1 when every point moves toward the bin t = 0.

    Point 1 starts at angle ``start`` (``pi - 0.05`` is near the bin's antipode), point 2 at
    ``other``; both move toward 0 by ``d``.  On the line (Laplace) the change is zero
    (``laplace_contraction_bin``); on the circle the wrapped kernel is flat at the antipode
    and the change is not.  ``sweep`` varies the start at fixed ``d = sweep_shift``.
    """
    d = np.linspace(0.0, 1.0, 41) if shifts is None else np.asarray(shifts, float)
    sweep_starts = (
        np.linspace(sweep_shift + 0.05, math.pi - 1e-3, 60) if sweep is None else np.asarray(sweep)
    )
    z = (0.3, -0.2)

    def change(start: float, step: float, circular: bool) -> float:
        before = np.array([start, other])
        after = before - step * np.sign(before)
        kw = dict(kernel="laplace", bandwidth=bandwidth, circular=circular, **_bin_at(0.0, 1e-3))
        return float(symkde.grad(z, after, **kw)[0] - symkde.grad(z, before, **kw)[0])

    out: dict[str, Any] = {"shift": d, "bandwidth": bandwidth, "circle": {}, "line": {}}
    for start in starts:
        out["circle"][start] = np.array([change(start, v, True) for v in d])
        out["line"][start] = np.array([change(start, v, False) for v in d])
    out["sweep_start"] = sweep_starts
    out["sweep_shift"] = sweep_shift
    out["sweep_circle"] = np.array([change(s, sweep_shift, True) for s in sweep_starts])
    out["sweep_line"] = np.array([change(s, sweep_shift, False) for s in sweep_starts])
    return out


def fig_circle_antipode(data: dict[str, Any] | None = None) -> Figure:
    """Contraction fails on the circle, most for a point near the bin's antipode."""
    data = circle_antipode_data() if data is None else data
    fig, axes = _figure(11.0, 4.8, ncols=2)
    shades = ["#a50f15", "#fb6a4a", "#fcbba1"]
    d = data["shift"]
    for color, (start, change) in zip(shades, data["circle"].items(), strict=False):
        axes[0].plot(
            d, change, color=color, lw=2, label=f"circle, point 1 starts at {start:.2f} rad"
        )
    for start, change in data["line"].items():
        axes[0].plot(
            d,
            change,
            color="0.4",
            lw=1,
            ls="--",
            label="line (all starts)" if start == next(iter(data["line"])) else None,
        )
    axes[0].set_xlabel("common move d toward the bin t = 0 (radians)")
    axes[0].set_ylabel(r"change of $\partial L_t / \partial z_1$ (dimensionless)")
    axes[0].set_title(f"wrapped Laplace, h = {data['bandwidth']:g} rad: change vs move")
    axes[0].legend(loc="center right", fontsize=9)
    axes[0].grid(True, alpha=0.3)
    s = data["sweep_start"]
    axes[1].plot(s, data["sweep_circle"], color="#a50f15", lw=2, label="circle (wrapped Laplace)")
    axes[1].plot(s, data["sweep_line"], color="0.4", lw=1, ls="--", label="line (Laplace)")
    axes[1].axvline(math.pi, color="k", ls=":", lw=1)
    axes[1].annotate(
        "antipode of the bin",
        (math.pi, 0.5),
        xycoords=("data", "axes fraction"),
        xytext=(-4, 0),
        textcoords="offset points",
        ha="right",
        rotation=90,
        fontsize=9,
        va="center",
    )
    axes[1].set_xlabel("starting angle of point 1 (radians from the bin)")
    axes[1].set_ylabel(
        r"change of $\partial L_t / \partial z_1$ at d = " + f"{data['sweep_shift']:g}"
    )
    axes[1].set_title("the failure grows toward the antipode")
    axes[1].legend(loc="upper left", fontsize=9)
    axes[1].grid(True, alpha=0.3)
    fig.suptitle(
        "Laplace contraction invariance on the circle (point 2 at -1.1 rad, z = (0.3, -0.2))"
    )
    return fig
