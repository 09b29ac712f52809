"""The figures of the report and the notebooks, computed from symkde's own API.

Each ``fig_<name>(...)`` returns a :class:`matplotlib.figure.Figure` drawn with the Agg
canvas (no display, no pyplot state); each ``<name>_data(...)`` returns the numbers it plots,
so notebooks can assert on them.  Numbers come from the numeric API (``symkde.loss``/
``grad``), symbolic limits from the theorems (``symkde.theorems``), high-precision values
from ``symkde.reference``; nothing is re-derived here.  The one exception is
:func:`naive_loss_and_grad`, a deliberately naive linear-space KDE kept only as the
comparison in :func:`fig_far_field_stability`.

matplotlib is needed only here (extras ``test``/``report``), never by ``import symkde``.

>>> sorted(FIGURES)[:3]
['bins_convergence', 'circle_antipode', 'circle_kernels']
>>> fig_circle_kernels(points=64).get_size_inches().tolist()
[11.0, 4.6]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import symkde
from symkde.cli.figures_training import fig_training_curves

__all__ = [
    "FIGURES",
    "bins_convergence_data",
    "circle_antipode_data",
    "circle_kernels_data",
    "derivatives_far_field_data",
    "far_field_data",
    "far_field_limits",
    "far_field_stability_data",
    "fig_bins_convergence",
    "fig_circle_antipode",
    "fig_circle_kernels",
    "fig_derivatives_far_field",
    "fig_far_field",
    "fig_far_field_stability",
    "fig_laplace_shift",
    "fig_ulp_errors",
    "laplace_shift_data",
    "naive_loss_and_grad",
    "ulp_errors_data",
]

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
#: The seed's center-claim configuration (``center_claim_interval``'s counterexample).
SHIFT_CONFIG: dict[str, Any] = dict(z=(0.0, 0.0), x=(3.0, 5.0), a=-1.0, b=1.0, bandwidth=1.0)


def _figure(width: float, height: float, ncols: int = 1) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols)
    return fig, axes


def _bin_at(t: float = 0.0, half_width: float = 1.0) -> dict[str, Any]:
    """Arguments that make the API's binned loss the single-bin loss ``-log p(t)``."""
    return dict(a=t - half_width, b=t + half_width, method="bins", bins=1)


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
            ax.annotate(
                f"SymPy limit {limit:.4f}",
                (dist[-1], limit),
                xytext=(-4, 4),
                textcoords="offset points",
                ha="right",
                va="bottom",
                color=COLORS[kernel],
                fontsize=9,
            )
        else:
            ax.annotate(
                "SymPy limit 0 (slope -1)",
                (dist[-1], norm[-1]),
                xytext=(-4, 6),
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


#: Every figure of the report: name -> builder with no required arguments.


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
