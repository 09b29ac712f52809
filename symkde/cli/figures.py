"""The figures of the report and the notebooks, computed from symkde's own API.

Each ``fig_<name>(...)`` returns a :class:`matplotlib.figure.Figure` drawn with the Agg
canvas (no display, no pyplot state); each ``<name>_data(...)`` returns the numbers it plots,
so notebooks can assert on them.  Numbers come from the numeric API (``symkde.loss``/
``grad``), symbolic limits from the theorems (``symkde.theorems``), high-precision values
from ``symkde.reference``; nothing is re-derived here.  The one exception is
:func:`naive_loss_and_grad`, a deliberately naive linear-space KDE kept only as the
comparison in :func:`fig_far_field_stability`.

This module owns the registry :data:`FIGURES` (name -> figure function, used by ``symkde
report``) and the far-field, Laplace-shift, bins-convergence and derivative figures; the
others live beside it: the float64 accuracy figures (:mod:`symkde.cli.figures_accuracy`), the
circle figures (:mod:`symkde.cli.figures_circle`), the training figure
(:mod:`symkde.cli.figures_training`), and what they share (:mod:`symkde.cli.figures_common`).
Imports NumPy, matplotlib, the public ``symkde`` API and those modules.

matplotlib is needed only here (extras ``test``/``report``), never by ``import symkde``.

>>> sorted(FIGURES)[:3]
['bins_convergence', 'circle_antipode', 'circle_kernels']
>>> fig_circle_kernels(points=64).get_size_inches().tolist()
[11.0, 4.6]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

import symkde
from symkde.cli.figures_accuracy import fig_far_field_stability, fig_ulp_errors
from symkde.cli.figures_circle import fig_circle_antipode, fig_circle_kernels
from symkde.cli.figures_common import COLORS, EPS, FAR_LOGITS, FAR_OFFSETS, _bin_at, _figure
from symkde.cli.figures_training import fig_training_curves

__all__ = [
    "FIGURES",
    "bins_convergence_data",
    "derivatives_far_field_data",
    "far_field_data",
    "far_field_limits",
    "fig_bins_convergence",
    "fig_derivatives_far_field",
    "fig_far_field",
    "fig_laplace_shift",
    "laplace_shift_data",
]


#: The seed's center-claim configuration (``center_claim_interval``'s counterexample).
SHIFT_CONFIG: dict[str, Any] = dict(z=(0.0, 0.0), x=(3.0, 5.0), a=-1.0, b=1.0, bandwidth=1.0)


# --------------------------------------------------------------------------- far field
def far_field_limits(kernel: str, bandwidth: float = 1.0) -> np.ndarray:
    """The gradient's limit as D -> oo, read from the theorem ``far_field_<kernel>``.

    The theorem's statement is ``And(Eq(Limit(g_k, D, oo), limit_k), ...)``; the limits are
    SymPy's (its proof checks them by ``sympy.limit``), evaluated here at the witness logits.

    >>> far_field_limits("cauchy").tolist()
    [0.0, 0.0, 0.0]
    """
    import sympy as sp

    from symkde import theorems
    from symkde.symbolic.kernels import h
    from symkde.theorems import far_field

    statement = theorems.get(f"far_field_{kernel}").statement
    gradient = far_field.far_gradient(kernel)
    values = {sym: sp.nsimplify(v) for sym, v in zip(far_field.logits, FAR_LOGITS, strict=True)}
    values[h] = sp.nsimplify(bandwidth)
    limits: list[float | None] = [None] * len(gradient)
    for eq in statement.args:
        position = next(k for k, g in enumerate(gradient) if eq.lhs.args[0] == g)
        limits[position] = float(sp.N(eq.rhs.subs(values), 30))
    if any(v is None for v in limits):
        raise RuntimeError(f"far_field_{kernel}: statement does not cover every component")
    return np.array(limits, dtype=float)


def far_field_data(
    distances: Sequence[float] | None = None,
    kernels: Iterable[str] = ("laplace", "gaussian", "cauchy"),
    bandwidth: float = 1.0,
) -> dict[str, Any]:
    """Per-bin gradient (bin t = 0) with points at ``D + o_j``, for every distance D."""
    dist = np.geomspace(0.05, 1e4, 90) if distances is None else np.asarray(distances, float)
    out: dict[str, Any] = {"distance": dist, "gradients": {}, "limits": {}}
    for kernel in kernels:
        out["gradients"][kernel] = np.array(
            [
                symkde.grad(
                    FAR_LOGITS,
                    d + np.array(FAR_OFFSETS),
                    kernel=kernel,
                    bandwidth=bandwidth,
                    **_bin_at(0.0),
                )
                for d in dist
            ]
        )
        out["limits"][kernel] = far_field_limits(kernel, bandwidth)
    return out


def fig_far_field(data: dict[str, Any] | None = None) -> Figure:
    """Gradient magnitude vs distance for laplace/gaussian/cauchy, with the SymPy limits."""
    data = far_field_data() if data is None else data
    fig, ax = _figure(8.5, 5.2)
    dist = data["distance"]
    for kernel, grads in data["gradients"].items():
        norm = np.linalg.norm(grads, axis=1)
        ax.loglog(dist, norm, color=COLORS[kernel], lw=2, label=f"{kernel} (symkde.grad)")
        limit = float(np.linalg.norm(data["limits"][kernel]))
        if limit > 0:
            ax.axhline(limit, color=COLORS[kernel], ls="--", lw=1)
            label, at, rise = f"SymPy limit {limit:.4f}", (dist[-1], limit), 4
        else:
            label, at, rise = "SymPy limit 0 (slope -1)", (dist[-1], norm[-1]), 6
        ax.annotate(
            label,
            at,
            xytext=(-4, rise),
            textcoords="offset points",
            ha="right",
            va="bottom",
            color=COLORS[kernel],
            fontsize=9,
        )
    ax.set_xlabel("distance D of the nearest point from the bin (bandwidths, h = 1)")
    ax.set_ylabel(r"gradient magnitude $\|\partial L_t / \partial z\|_2$ (dimensionless)")
    ax.set_title("Far field: points at D + (0, 1/2, 3/2) recede from the bin t = 0 (n = 3)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left")
    return fig


# --------------------------------------------------------------------------- laplace shift
def laplace_shift_data(shifts: Sequence[float] | None = None) -> dict[str, Any]:
    """Gradient of point 1 vs common shift s toward the centre: integrated loss and centre bin.

    Configuration of ``center_claim_interval``: h = 1, [a, b] = [-1, 1], z = (0, 0),
    x = (3, 5) moved to (3 - s, 5 - s); s = 3 is the seed's shift (point 1 at the centre).
    """
    cfg = SHIFT_CONFIG
    s = np.linspace(0.0, 3.0, 121) if shifts is None else np.asarray(shifts, float)
    x0 = np.array(cfg["x"])
    integrated = np.array(
        [
            symkde.grad(cfg["z"], x0 - v, cfg["a"], cfg["b"], bandwidth=cfg["bandwidth"])[0]
            for v in s
        ]
    )
    centre = 0.5 * (cfg["a"] + cfg["b"])
    single = np.array(
        [symkde.grad(cfg["z"], x0 - v, bandwidth=cfg["bandwidth"], **_bin_at(centre))[0] for v in s]
    )
    edge = x0[0] - cfg["b"]  # shift at which point 1 reaches the edge b
    return {"shift": s, "integrated": integrated, "centre_bin": single, "edge_shift": edge}


def fig_laplace_shift(data: dict[str, Any] | None = None, counterexample: Any = None) -> Figure:
    """Gradient vs shift: flat until point 1 reaches the edge, then bending (integrated)."""
    data = laplace_shift_data() if data is None else data
    fig, ax = _figure(8.5, 5.2)
    s = data["shift"]
    ax.plot(s, data["integrated"], color="#1f77b4", lw=2.5, label="loss integrated over [-1, 1]")
    ax.plot(
        s,
        data["centre_bin"],
        color="#2ca02c",
        lw=2,
        ls="--",
        label="single bin at the centre t = 0",
    )
    edge = data["edge_shift"]
    ax.axvspan(edge, s[-1], color="0.9", zorder=0)
    ax.axvline(edge, color="0.4", ls=":", lw=1)
    ax.annotate(
        "point 1 reaches the edge b = 1",
        (edge, 0.98),
        xycoords=("data", "axes fraction"),
        xytext=(-4, 0),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=9,
        color="0.3",
    )
    if counterexample is not None:
        values = sorted(
            (float(counterexample.lhs), float(counterexample.rhs)),
            key=lambda v: abs(v - data["integrated"][0]),
        )
        before, after = values  # the one matching s = 0 first
        ax.plot(
            [s[0], s[-1]],
            [before, after],
            "ko",
            ms=6,
            zorder=5,
            label="counterexample of center_claim_interval (SymPy/mpmath)",
        )
        ax.annotate(
            f"{before:.5f}", (s[0], before), xytext=(6, -12), textcoords="offset points", fontsize=9
        )
        ax.annotate(
            f"{after:.5f}",
            (s[-1], after),
            xytext=(-6, -14),
            textcoords="offset points",
            fontsize=9,
            ha="right",
        )
    ax.set_xlabel("common shift s toward the centre (bandwidths, h = 1); x = (3 - s, 5 - s)")
    ax.set_ylabel(r"$\partial L / \partial z_1$ (dimensionless)")
    ax.set_title("Laplace shift invariance: the seed's centre claim, [a, b] = [-1, 1], z = (0, 0)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="center left")
    return fig


# --------------------------------------------------------------------------- bins vs exact
def bins_convergence_data(
    bandwidths: Sequence[float] = (0.2, 0.05, 0.01),
    bins: Sequence[int] | None = None,
    n: int = 50,
    seed: int = 20261126,
) -> dict[str, Any]:
    """Binned (midpoint) Laplace loss/gradient error vs the exact closed form, per h and M."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.2, 1.2, n)
    z = rng.normal(0.0, 1.0, n)
    m = np.array([2**k for k in range(1, 15)] if bins is None else bins)
    loss_err: dict[float, np.ndarray] = {}
    grad_err: dict[float, np.ndarray] = {}
    for h in bandwidths:
        exact_l, exact_g = symkde.loss_and_grad(z, x, 0.0, 1.0, bandwidth=h, method="exact")
        le, ge = [], []
        for count in m:
            lm, gm = symkde.loss_and_grad(
                z, x, 0.0, 1.0, bandwidth=h, method="bins", bins=int(count)
            )
            le.append(abs(lm - exact_l) / abs(exact_l))
            ge.append(float(np.max(np.abs(gm - exact_g))))
        loss_err[h], grad_err[h] = np.array(le), np.array(ge)
    return {"bins": m, "loss_err": loss_err, "grad_err": grad_err, "n": n}


def fig_bins_convergence(data: dict[str, Any] | None = None) -> Figure:
    """log-log error of the binned loss/gradient vs M for several h, with the M^-2 slope."""
    data = bins_convergence_data() if data is None else data
    fig, axes = _figure(11.0, 4.8, ncols=2)
    m = data["bins"].astype(float)
    floor = EPS / 4
    shades = ["#08306b", "#2171b5", "#6baed6", "#9ecae1"]
    for ax, key, label in (
        (axes[0], "loss_err", r"relative loss error $|L_M - L| / |L|$"),
        (axes[1], "grad_err", r"gradient error $\max_i |g_{M,i} - g_i|$"),
    ):
        for color, (h, err) in zip(shades, data[key].items(), strict=False):
            ax.loglog(m, np.maximum(err, floor), "o-", ms=3, color=color, label=f"h = {h:g}")
        anchor = max(err[-1] for err in data[key].values())
        slope = anchor * (m / m[-1]) ** -2.0
        ax.loglog(m, slope, "k--", lw=1, label=r"slope $M^{-2}$")
        lowest = min(float(np.min(err)) for err in data[key].values())
        ax.set_ylim(max(floor / 2, lowest / 10), 10)
        ax.set_xlabel("number of bins M on [0, 1]")
        ax.set_ylabel(label + " (dimensionless)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower left", fontsize=9)
    axes[0].set_title("Binned (midpoint) Laplace loss vs the exact integral")
    axes[1].set_title(f"... and its gradient (n = {data['n']} points, seeded)")
    return fig


# --------------------------------------------------------------------------- derivatives
def derivatives_far_field_data(
    distances: Sequence[float] | None = None,
    kernels: Iterable[str] = ("laplace", "gaussian", "cauchy"),
    bandwidth: float = 1.0,
) -> dict[str, Any]:
    """``symkde.derivatives`` on [0, 1] with points at ``-(D + o_j)`` (all on one side).

    Returns, per kernel, ``sum_j dL/dx_j``, each ``dL/dx_j``, ``dL/dh``, ``dL/da``, ``dL/db``
    and the two identities' residuals (translation; scaling ``sum x dL/dx + a dL/da +
    b dL/db + h dL/dh - 1``), for every distance ``D`` (in bandwidths).
    """
    dist = np.geomspace(0.1, 1e4, 25) if distances is None else np.asarray(distances, float)
    h = bandwidth
    out: dict[str, Any] = {"distance": dist, "bandwidth": h, "kernels": {}}
    for kernel in kernels:
        rows = []
        for d in dist:
            x = -(d * h + h * np.array(FAR_OFFSETS))
            res = symkde.derivatives(FAR_LOGITS, x, 0.0, 1.0, kernel=kernel, bandwidth=h)
            translation = res.x.sum() + res.a + res.b
            scaling = x @ res.x + 0.0 * res.a + 1.0 * res.b + h * res.bandwidth - 1.0
            rows.append((res.x.sum(), *res.x, res.bandwidth, res.a, res.b, translation, scaling))
        arr = np.array(rows)
        out["kernels"][kernel] = {
            "sum_x": arr[:, 0],
            "x": arr[:, 1:4],
            "bandwidth": arr[:, 4],
            "a": arr[:, 5],
            "b": arr[:, 6],
            "translation": arr[:, 7],
            "scaling": arr[:, 8],
        }
    return out


def fig_derivatives_far_field(data: dict[str, Any] | None = None) -> Figure:
    """``|sum_j dL/dx_j|`` and ``|dL/dh|`` vs distance, with the far-field limits beside them.

    Position limits (issue 14's far-field theorems): Laplace ``1/h`` whatever the distance,
    Gaussian ``~ D/h^2``, Cauchy ``~ 2/D``.  Bandwidth: leading orders ``D/h^2`` (Laplace),
    ``D^2/h^3`` (Gaussian), ``1/h`` (Cauchy), from ``d/dh log K``.
    """
    data = derivatives_far_field_data() if data is None else data
    fig, (left, right) = _figure(11.0, 4.6, ncols=2)
    dist, h = data["distance"], data["bandwidth"]
    centre = dist * h + 0.5  # distance from the nearest point to the target's middle
    position_limit = {"laplace": np.full_like(dist, 1 / h), "gaussian": centre / h**2}
    position_limit["cauchy"] = 2 / centre
    width_limit = {"laplace": centre / h**2, "gaussian": centre**2 / h**3}
    width_limit["cauchy"] = np.full_like(dist, 1 / h)
    names = {"laplace": "1/h", "gaussian": "D/h²", "cauchy": "2/D"}
    for kernel, values in data["kernels"].items():
        color = COLORS[kernel]
        left.loglog(dist, np.abs(values["sum_x"]), color=color, lw=2, label=kernel)
        left.loglog(
            dist, position_limit[kernel], color=color, ls="--", lw=1, label=f"limit {names[kernel]}"
        )
        right.loglog(dist, np.abs(values["bandwidth"]), color=color, lw=2, label=kernel)
        right.loglog(dist, width_limit[kernel], color=color, ls="--", lw=1)
    left.set_ylabel(r"$|\sum_j \partial L/\partial x_j|$ (1/length)")
    right.set_ylabel(r"$|\partial L/\partial h|$ (1/length)")
    for ax in (left, right):
        ax.set_xlabel("distance D of the nearest point from the target (bandwidths, h = 1)")
        ax.grid(True, which="both", alpha=0.3)
    left.set_title("Position derivative: far points on one side of [0, 1]")
    right.set_title("Bandwidth derivative (dashed: leading order)")
    left.legend(loc="lower left", fontsize=8)
    return fig


FIGURES: dict[str, Callable[..., Figure]] = {
    "far_field": fig_far_field,
    "laplace_shift": fig_laplace_shift,
    "bins_convergence": fig_bins_convergence,
    "ulp_errors": fig_ulp_errors,
    "far_field_stability": fig_far_field_stability,
    "circle_kernels": fig_circle_kernels,
    "circle_antipode": fig_circle_antipode,
    "derivatives_far_field": fig_derivatives_far_field,
    "training_curves": fig_training_curves,
}
