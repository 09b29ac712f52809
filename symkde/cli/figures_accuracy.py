"""The float64 accuracy figures of the report: ulp errors and far-field stability.

Owns :func:`ulp_errors_data` / :func:`fig_ulp_errors` (the numeric API against the mpmath
reference, in ulps) and :func:`far_field_stability_data` / :func:`fig_far_field_stability`
(the log-space loss against :func:`naive_loss_and_grad`, a deliberately naive linear-space KDE
kept only as this comparison, and :func:`first_nan_distance`).  Imports NumPy, matplotlib,
the public ``symkde`` API, ``symkde.reference`` and :mod:`symkde.cli.figures_common`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

import symkde
from symkde.cli.figures_common import COLORS, CONTRACT, EPS, FAR_LOGITS, FAR_OFFSETS, _figure

__all__ = [
    "far_field_stability_data",
    "fig_far_field_stability",
    "fig_ulp_errors",
    "first_nan_distance",
    "naive_loss_and_grad",
    "ulp_errors_data",
]


# --------------------------------------------------------------------------- ulps vs mpmath
def ulp_errors_data(checks: Iterable[Any] | None = None) -> list[Any]:
    """The ``symkde.cli.verification`` grid (float64 API vs the mpmath reference) as a list."""
    if checks is None:
        from symkde.cli.verification import numeric_checks

        checks = numeric_checks(quick=True)
    return list(checks)


def fig_ulp_errors(checks: Iterable[Any] | None = None) -> Figure:
    """Float64 error in units of eps vs the mpmath reference, per regime, kernel and method."""
    rows = ulp_errors_data(checks)
    regimes = list(dict.fromkeys(c.regime for c in rows))
    kernels = list(dict.fromkeys(c.kernel for c in rows))
    markers = {"exact": "o", "quadrature": "s", "bins": "^", "auto": "D"}
    fig, axes = _figure(12.0, 5.2, ncols=2)
    floor = 0.1
    width = 0.8 / max(1, len(kernels))
    for ax, attr, title in (
        (axes[0], "loss_err", "loss: |L - L_ref| / max(1, |L_ref|)"),
        (axes[1], "grad_err", r"gradient: $\max_i |g_i - g_{ref,i}|$"),
    ):
        seen: set[str] = set()
        for c in rows:
            offset = kernels.index(c.kernel) - (len(kernels) - 1) / 2
            xpos = regimes.index(c.regime) + offset * width
            value = getattr(c, attr) / EPS
            label = None
            if c.kernel not in seen and c.method == "quadrature":
                seen.add(c.kernel)
                label = c.kernel
            ax.semilogy(
                xpos,
                max(value, floor),
                markers.get(c.method, "x"),
                color=COLORS.get(c.kernel, "k"),
                mfc="none" if value == 0 else COLORS.get(c.kernel, "k"),
                ms=6,
                label=label,
            )
        ax.axhline(CONTRACT / EPS, color="k", ls="--", lw=1)
        ax.annotate(
            "contract bound 1e-12",
            (len(regimes) - 0.5, CONTRACT / EPS),
            xytext=(0, 3),
            textcoords="offset points",
            ha="right",
            fontsize=9,
        )
        ax.set_xticks(range(len(regimes)), regimes, rotation=20)
        ax.set_xlim(-0.6, len(regimes) - 0.4)
        ax.set_ylim(floor / 2, 3e4)
        ax.set_ylabel(f"error in units of eps = {EPS:.2e} (0 drawn hollow at {floor})")
        ax.set_xlabel("regime")
        ax.set_title(title)
        ax.grid(True, axis="y", which="major", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    from matplotlib.lines import Line2D

    for method, marker in markers.items():
        if any(c.method == method for c in rows):
            handles.append(Line2D([], [], color="0.3", marker=marker, ls="none"))
            labels.append(f"method={method}")
    axes[1].legend(handles, labels, loc="upper left", fontsize=8, ncols=2)
    fig.suptitle("float64 API vs mpmath reference (30 digits), quick verification grid")
    return fig


# --------------------------------------------------------------------------- far-field stability
def naive_loss_and_grad(
    z: Any,
    x: Any,
    a: float,
    b: float,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1.0,
    bins: int = 64,
) -> tuple[float, np.ndarray]:
    """A deliberately naive binned loss in linear space: ``p = K @ softmax(z)``.

    This is how the loss is usually first written; its kernel values underflow to 0 once
    the points are far from the bins, and the gradient becomes ``0/0 = nan``.  The kernel
    formula is SymPy's (``symkde.symbolic.kernels``), lambdified for NumPy; it is a comparison only.
    """
    import sympy as sp

    from symkde.symbolic.kernels import KERNELS, h, u

    density = sp.lambdify((u, h), KERNELS[kernel].density, "numpy")
    z = np.asarray(z, float)
    x = np.asarray(x, float)
    weights = np.exp(z - z.max())
    weights /= weights.sum()
    t = a + (np.arange(bins) + 0.5) * (b - a) / bins
    with np.errstate(all="ignore"):
        kernel_values = density(t[:, None] - x[None, :], bandwidth)
        p = kernel_values @ weights
        value = float(-np.mean(np.log(p)))
        gradient = weights - np.mean(weights * kernel_values / p[:, None], axis=0)
    return value, gradient


def far_field_stability_data(
    distances: Sequence[float] | None = None,
    kernels: Iterable[str] = ("laplace", "gaussian"),
    bins: int = 64,
    dps: int = 30,
) -> dict[str, Any]:
    """Gradient error vs the mpmath reference: symkde and the naive KDE, points D away."""
    from symkde import reference

    dist = np.geomspace(1.0, 1e4, 33) if distances is None else np.asarray(distances, float)
    a, b, h = 0.0, 1.0, 1.0
    out: dict[str, Any] = {"distance": dist, "symkde": {}, "naive": {}, "bins": bins}
    for kernel in kernels:
        ours, naive = [], []
        for d in dist:
            x = b + d + np.array(FAR_OFFSETS)
            ref = np.array(
                [
                    float(v)
                    for v in reference.grad(
                        FAR_LOGITS,
                        x,
                        a,
                        b,
                        kernel=kernel,
                        bandwidth=h,
                        method="bins",
                        bins=bins,
                        dps=dps,
                    )
                ]
            )
            g = symkde.grad(
                FAR_LOGITS, x, a, b, kernel=kernel, bandwidth=h, method="bins", bins=bins
            )
            ours.append(float(np.max(np.abs(g - ref))))
            _, gn = naive_loss_and_grad(FAR_LOGITS, x, a, b, kernel=kernel, bandwidth=h, bins=bins)
            naive.append(float(np.max(np.abs(gn - ref))))
        out["symkde"][kernel], out["naive"][kernel] = np.array(ours), np.array(naive)
    return out


def first_nan_distance(data: dict[str, Any], kernel: str) -> float:
    """The smallest distance at which the naive gradient is NaN (``inf`` if never)."""
    bad = np.isnan(data["naive"][kernel])
    return float(data["distance"][bad][0]) if bad.any() else math.inf


def fig_far_field_stability(data: dict[str, Any] | None = None) -> Figure:
    """symkde vs a naive linear-space KDE: gradient error vs distance; the naive one goes NaN."""
    data = far_field_stability_data() if data is None else data
    kernels = list(data["symkde"])
    fig, axes = _figure(5.6 * len(kernels), 4.8, ncols=len(kernels))
    axes = np.atleast_1d(axes)
    dist = data["distance"]
    floor, nan_level = EPS / 100, 1.0
    for ax, kernel in zip(axes, kernels, strict=True):
        ours, naive = data["symkde"][kernel], data["naive"][kernel]
        ax.loglog(
            dist,
            np.maximum(ours, floor),
            "o-",
            ms=3,
            color=COLORS[kernel],
            label="symkde (log space)",
        )
        finite = ~np.isnan(naive)
        ax.loglog(
            dist[finite],
            np.maximum(naive[finite], floor),
            "s--",
            ms=3,
            color="0.35",
            label="naive linear-space KDE",
        )
        if (~finite).any():
            ax.loglog(
                dist[~finite],
                np.full((~finite).sum(), nan_level),
                "x",
                color="k",
                ms=6,
                label="naive: NaN gradient",
            )
            start = first_nan_distance(data, kernel)
            ax.axvspan(start, dist[-1], color="#fdd0a2", alpha=0.5, zorder=0)
            ax.annotate(
                f"NaN from D = {start:.0f} h",
                (start, nan_level),
                xytext=(4, -14),
                textcoords="offset points",
                fontsize=9,
            )
        ax.axhline(CONTRACT, color="k", ls=":", lw=1)
        ax.annotate(
            "contract bound 1e-12",
            (dist[0], CONTRACT),
            xytext=(2, 3),
            textcoords="offset points",
            fontsize=8,
        )
        ax.set_ylim(floor / 2, 10)
        ax.set_xlabel("distance D of the points beyond b (bandwidths, h = 1)")
        ax.set_ylabel(r"gradient error $\max_i |g_i - g_{ref,i}|$ vs mpmath")
        ax.set_title(f"{kernel}: n = 3 points right of [0, 1], M = {data['bins']} bins")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="center left", fontsize=9)
    fig.suptitle(f"Far-field stability (exact zeros drawn at {floor:.0e})")
    return fig
