"""Derivatives of the loss with respect to every argument: ``z``, ``x``, ``h``, ``a``, ``b``.

Owns :func:`symkde.derivatives`, its single-row core :func:`derivatives_row` (validated 1-D
float64 inputs; the batch front calls it per row) and the :class:`Derivatives` record.
The formulas (docs/contract.md, "Derivatives with respect to every argument";
``derivations/`` and the
theorems of the derivatives issue derive them from the loss) are::

    dL/dx_j = (1/(b-a)) int_a^b R_j(t) (d/du log K_h)(t - x_j) dt  [+ jump terms, boxcar]
    dL/dh   = -(1/(b-a)) int_a^b sum_j R_j(t) (d/dh log K_h)(t - x_j) dt  [+ jump terms]
    dL/db   = -(log p(b) + L)/(b - a),   dL/da = (log p(a) + L)/(b - a)

with ``d/du log K`` and ``d/dh log K`` differentiated and printed by SymPy
(``symkde/numeric/_generated/log_kernel_derivatives.py``).  ``L`` and ``dL/dz`` come from the
loss's own code (:func:`symkde.numeric.api._compute`, every method).  The two integrals:

* exact Laplace (line and circle, ``method`` exact or auto): every derivative in the loss's
  own compiled linear-space passes, ``O(n log n)``, single rows and batches
  (:mod:`symkde.numeric.derivative_rows`; theorems ``laplace_bandwidth_segment``,
  ``laplace_bandwidth_by_parts``, ``laplace_bandwidth_short_series``); a row outside the fast
  path's guards (weights spread beyond ``e^500``, a side that matters far beyond an end) takes,
  on the line, the log-space per-segment forms (:mod:`symkde.numeric.derivative_forms`,
  theorems ``laplace_position_slope``, ``laplace_decayed_mass_rate``,
  ``laplace_segment_bandwidth``), on the circle the quadrature below;
* boxcar (every method but bins): none needed (``d/du log K = 0``, ``d/dh log K = -1/h`` inside
  the support), only the jump terms (theorem ``boxcar_edge_jump``), each edge's other
  supports a log-space window sum of the sorted points
  (:mod:`symkde.numeric.derivative_compact`, ``O(n log n)``);
* exact triangle (line, and circle through its images on the line): ``p`` is linear between
  kinks, so each segment's ``int 1/p`` is closed, and each half-support's sum is a log-space
  window sum (:mod:`symkde.numeric.derivative_compact`, ``O(n log n)``; logits ``+-700`` cost
  nothing extra).  The quadrature method takes the same closed form where ``log p`` steps by
  more than :data:`_TRIANGLE_PANEL_STEP` over a segment (``1/p`` peaks where a dominant
  support ends; the adaptive panels multiply without converging), or when its panels outgrow
  :data:`_TRIANGLE_PANEL_BUDGET`: the contract defines the same integrals for every method;
* everything else (quadrature): the loss's adaptive Gauss-Legendre quadrature on the same
  kink-split, graded panels, nodes evaluated in log space with the far-field ratio path, so
  points ``10^4`` bandwidths away are exact (``O(n * panels)``).

``method="bins"`` differentiates the binned loss exactly (its nodes move with ``a`` and ``b``).

On the circle, kernels with a closed wrapped form (laplace, cauchy, vonmises) use the
derivatives of that form; gaussian, boxcar and triangle are written as their images
``x_j + 2 pi k`` on the line (exactly the wrapped sum on an arc of length ``<= 2 pi``) and the
images' position derivatives are summed per point.

Measure-zero coincidences (the loss is not differentiable there; docs/contract.md accepts any value
between the one-sided derivatives).  What is returned:

* boxcar: a support edge ``x_j +- h`` exactly at ``a`` or ``b`` contributes no jump term (the
  one-sided derivative that keeps the edge outside the target); at an edge inside, the jump
  ``log(q + S_j/(2h)) - log q`` takes ``q`` from the other supports *closed* at the edge, which
  equals one of the one-sided values whenever other edges coincide with it;
* ``dL/da`` uses ``p(a+)`` (the density just inside the target), ``dL/db`` uses ``p(b-)``;
* boxcar: with edges at both ``a`` and ``b`` the returned 0 lies between the two one-sided
  values (one edge enters the target whichever way the point moves);
* triangle: where ``p`` vanishes at a point of the target, ends included (supports that just
  touch, or a support that starts at ``a``), a one-sided derivative is infinite:
  :class:`symkde.UncoveredTargetError` names that point.

Imports NumPy and the numeric layer only (never SymPy or mpmath).

>>> d = derivatives([0.0, 0.0], [0.0, 1.0], 0.0, 1.0)
>>> abs(float(d.x.sum() + d.a + d.b)) < 1e-15  # translation: sum dL/dx_j + dL/da + dL/db = 0
True
>>> far = derivatives([0.0], [-1e4], 0.0, 1.0, bandwidth=1.0)  # Laplace far field: -1/h
>>> round(float(far.x[0]), 12)
-1.0
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from symkde.errors import UncoveredTargetError
from symkde.numeric._generated.log_kernel_derivatives import (
    LOG_KERNEL_DH,
    LOG_KERNEL_DU,
    WRAPPED_LOG_KERNEL_DH,
    WRAPPED_LOG_KERNEL_DU,
)
from symkde.numeric._generated.log_kernels import KERNEL_INFO, LOG_KERNELS, WRAPPED_LOG_KERNELS
from symkde.numeric.angles import TWO_PI, difference_turned
from symkde.numeric.api import _compute, _has_exact, _shifted
from symkde.numeric.batch import Batch, Layout, apply_rows, assembled, validate_batch
from symkde.numeric.images import _wrap, image_count
from symkde.numeric.mixture import _blocks, _Mixture, _mixture
from symkde.numeric.quadrature import (
    _GL_ORDER,
    _QUAD_ABS_FLOOR,
    _QUAD_MAX_LEVELS,
    _QUAD_NOISE_FLOOR,
    _QUAD_STAGNATION,
    _QUAD_TOL,
    _REGULAR,
    QuadratureError,
    _breakpoints,
    _initial_panels,
    _panel_nodes,
)
from symkde.numeric.validate import Problem, validate

__all__ = ["Derivatives", "derivatives", "derivatives_row"]

FloatArray = NDArray[np.float64]


#: Where each field of :class:`Derivatives` lives in a batch: per row or per point.
LAYOUT: tuple[Layout, ...] = ("batch", "point", "point", "batch", "batch", "batch")


class Derivatives(NamedTuple):
    """The loss and its derivatives: ``dL/dz`` and ``dL/dx`` (``z``'s shape), ``dL/dh``,
    ``dL/da``, ``dL/db`` (floats for one problem, arrays of the batch shape for a batch)."""

    loss: float
    z: FloatArray
    x: FloatArray
    bandwidth: float
    a: float
    b: float


def _moved(problem: Problem) -> Problem:
    """Positions measured from ``a`` (on the circle: turned to within pi of the arc's middle),
    as the loss computes them; every derivative is unchanged by the move."""
    if not problem.circular:
        return _shifted(problem)
    length = problem.b - problem.a
    return replace(
        problem, a=0.0, b=length, x=difference_turned(problem.x, problem.a, 0.5 * length)
    )


class _Line(NamedTuple):
    """The problem's mixture as the integrals see it, and which point each entry belongs to."""

    mix: _Mixture
    owner: NDArray[np.intp]  # entry -> index into the unmasked points of the original mixture
    wrapped: bool  # evaluate the closed-form wrapped derivatives (laplace, cauchy, vonmises)


def _line(mix: _Mixture, a: float, b: float) -> _Line:
    """The mixture itself, or, on the circle for image-sum kernels, its images on the line."""
    identity = np.arange(mix.x.size)
    if not mix.circular:
        return _Line(mix, identity, False)
    if mix.kernel in WRAPPED_LOG_KERNELS:
        return _Line(mix, identity, True)
    if KERNEL_INFO[mix.kernel]["compact"]:
        turns = math.ceil((mix.h + math.pi) / TWO_PI) + 1
    else:  # gaussian: image_count is taken from |r| <= pi; nodes are within 2 pi of x_near
        turns = image_count(mix.kernel, mix.h) + 2
    centre = 0.5 * (a + b)
    near = centre + _wrap(mix.x - centre)
    k = np.arange(-turns, turns + 1, dtype=np.float64)
    images = (near[:, None] + TWO_PI * k[None, :]).reshape(-1)
    owner = np.repeat(identity, k.size)
    if KERNEL_INFO[mix.kernel]["compact"]:
        keep = (images + mix.h >= a) & (images - mix.h <= b)
        images, owner = images[keep], owner[keep]
    log_w = mix.log_w[owner]
    line = _Mixture(log_w, images, np.arange(images.size), images.size, mix.kernel, mix.h)
    return _Line(line, owner, False)


def _log_kernel_derivatives(line: _Line, t: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``(d/du log K, d/dh log K)`` at ``t - x_j`` for a block of nodes ``t``."""
    mix = line.mix
    diff = np.subtract.outer(t, mix.x)
    du_table, dh_table = (
        (WRAPPED_LOG_KERNEL_DU, WRAPPED_LOG_KERNEL_DH)
        if line.wrapped and mix.kernel != "vonmises"
        else (LOG_KERNEL_DU, LOG_KERNEL_DH)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        du = np.broadcast_to(du_table[mix.kernel](diff, mix.h), diff.shape)
        dh = np.broadcast_to(dh_table[mix.kernel](diff, mix.h), diff.shape)
    return du, dh


#: The triangle's quadrature hands its position and bandwidth integrals to the closed form
#: where ``log p`` steps by more than this over one segment between kinks (``1/p`` peaks by
#: ``e^step`` where a dominant support ends).  Measured on ``z = (k, -k, 0)``,
#: ``x = (.3, .5, .7)``, ``h = .4``: the panels converged at step 6.3 (k = 7, 7 ms) and
#: multiplied past 10^5 without converging at step 7.3 (k = 8); 4 leaves a margin.
_TRIANGLE_PANEL_STEP = 4.0

#: Panels beyond which the triangle's quadrature gives up for the closed form (the guard for
#: rows under :data:`_TRIANGLE_PANEL_STEP` whose panels still multiply).
_TRIANGLE_PANEL_BUDGET = 4096


class _PanelBudget(Exception):
    """The adaptive panels outgrew their budget (internal: the caller takes the closed form)."""


def _integrals(
    line: _Line, a: float, b: float, max_panels: int | None = None
) -> tuple[FloatArray, float]:
    """``(1/(b-a)) int R_j (log K)'`` per entry and ``(1/(b-a)) int sum_j R_j d/dh log K``.

    The loss's adaptive quadrature (quadrature._quadrature) with the same panels, acceptance rules
    and tolerances, applied to these integrands; each is judged in units of the contract's scale
    ``1/h`` (or of its own size when larger).  With ``max_panels``, raises :class:`_PanelBudget`
    when a level holds more panels.
    """
    mix = line.mix
    edges = _breakpoints(mix, a, b)
    lo, hi, kind = _initial_panels(mix, edges)
    if np.any(kind != _REGULAR):
        zero = np.where(kind[kind != _REGULAR] == 1, lo[kind != _REGULAR], hi[kind != _REGULAR])
        raise UncoveredTargetError((float(zero[0]), float(zero[0])))
    k = mix.x.size
    per_panel = 3 * _GL_ORDER
    scale = 1.0 / mix.h
    totals = np.zeros(k + 1)
    previous = np.full(lo.size, np.inf)
    for _level in range(_QUAD_MAX_LEVELS):
        t, wt = _panel_nodes(lo, hi)
        wt /= b - a
        share = (hi - lo) / (b - a)
        done = np.zeros(lo.size, dtype=bool)
        error = np.zeros(lo.size)
        for rows, (lse, e, esum) in _blocks(mix, t, rows_multiple=per_panel):
            panels = slice(rows.start // per_panel, rows.stop // per_panel)
            if not np.isfinite(lse).all():
                raise QuadratureError(f"log p is not finite at a node in [{a}, {b}]")
            resp = e / esum[:, None]
            du, dh = _log_kernel_derivatives(line, t[rows])
            values = np.empty((resp.shape[0], k + 1))
            live = resp > 0.0  # outside a compact support the derivative is not defined
            values[:, :k] = 0.0
            np.multiply(resp, du, out=values[:, :k], where=live)
            # masked before multiplying: 0 * inf at a support's end would warn (and be nan)
            values[:, k] = np.multiply(resp, dh, out=np.zeros_like(resp), where=live).sum(axis=1)
            weighted = (wt[rows, None] * values).reshape(-1, 3, _GL_ORDER, k + 1).sum(axis=2)
            whole, halves = weighted[:, 0], weighted[:, 1] + weighted[:, 2]
            size = np.maximum(share[panels, None] * scale, np.abs(halves))
            err = (np.abs(whole - halves) / size).max(axis=1)
            ok = (
                (err <= _QUAD_TOL)
                | ((err <= _QUAD_NOISE_FLOOR) & (err >= _QUAD_STAGNATION * previous[panels]))
                | ((err * size.max(axis=1)) <= _QUAD_ABS_FLOOR * scale)
            )
            totals += halves[ok].sum(axis=0)
            done[panels] = ok
            error[panels] = err
        if done.all():
            return totals[:k], float(totals[k])
        lo, hi, error = lo[~done], hi[~done], error[~done]
        mid = 0.5 * (lo + hi)
        if np.any(mid <= lo) or np.any(mid >= hi):
            break
        lo, hi = np.concatenate([lo, mid]), np.concatenate([mid, hi])
        previous = np.concatenate([error, error])
        if max_panels is not None and lo.size > max_panels:
            raise _PanelBudget
    raise QuadratureError(
        f"derivative quadrature did not converge on {lo.size} panels of [{a}, {b}] "
        f"(kernel={mix.kernel!r}, bandwidth={mix.h!r})"
    )


def _log_density_inside(line: _Line, t: float, side: float) -> float:
    """``log p(t)`` with compact supports that only touch ``t`` from the outer side left out
    (``side = +1``: the limit from the right, used at ``a``; ``-1``: from the left, at ``b``)."""
    mix = line.mix
    if not KERNEL_INFO[mix.kernel]["compact"]:
        return float(next(_blocks(mix, np.array([t])))[1][0][0])
    u = t - mix.x
    with np.errstate(invalid="ignore", divide="ignore"):  # log(h - |u|) outside the support
        logits = mix.log_w + LOG_KERNELS[mix.kernel](u, mix.h)
    logits = np.where(side * u == mix.h, -np.inf, logits)  # support ends exactly at t
    top = float(logits.max())
    if top == -np.inf:
        return -math.inf
    return top + math.log(float(np.exp(logits - top).sum()))


def _bins(line: _Line, problem: Problem) -> tuple[FloatArray, float, float, float]:
    """Exact derivatives of ``L_M = -(1/M) sum_m log p(t_m)``, ``t_m = a + (m - 1/2)(b-a)/M``."""
    m = problem.bins
    assert m is not None
    a, b = problem.a, problem.b
    theta = (np.arange(m, dtype=np.float64) + 0.5) / m
    t = a + theta * (b - a)
    mix = line.mix
    d_x = np.zeros(mix.x.size)
    d_h = 0.0
    d_a = d_b = 0.0
    for rows, (_lse, e, esum) in _blocks(mix, t):
        resp = e / esum[:, None]
        du, dh = _log_kernel_derivatives(line, t[rows])
        live = resp > 0.0
        g = np.multiply(resp, du, out=np.zeros_like(resp), where=live)
        slope = g.sum(axis=1)  # d/dt log p(t_m)
        d_x += g.sum(axis=0) / m
        d_h -= float(np.multiply(resp, dh, out=np.zeros_like(resp), where=live).sum()) / m
        d_a -= float(slope @ (1.0 - theta[rows])) / m
        d_b -= float(slope @ theta[rows]) / m
    return d_x, d_h, d_a, d_b


def _integral_method(
    problem: Problem, line: _Line, a: float, b: float, loss: float
) -> tuple[FloatArray, float, float, float]:
    """``(dL/dx per entry, dL/dh, dL/da, dL/db)`` for the exact and quadrature methods."""
    mix = line.mix
    method = problem.method
    if method == "auto":
        method = "exact" if _has_exact(problem.kernel, problem.circular) else "quadrature"
    closed = None
    if method == "exact" and problem.kernel == "laplace" and not problem.circular:
        from symkde.numeric.derivative_forms import laplace_position_bandwidth

        closed = laplace_position_bandwidth(mix.log_w, mix.x, a, b, mix.h, loss)
    elif method == "exact" and mix.kernel == "triangle":
        # closed form per segment (p is linear between kinks): no adaptive quadrature, which
        # crawled towards the log singularities of 1/p where a dominant support ends
        from symkde.numeric.derivative_compact import triangle_position_bandwidth

        closed = triangle_position_bandwidth(mix.log_w, mix.x, a, b, mix.h)
    elif mix.kernel == "triangle":  # quadrature: panels where they resolve 1/p, else closed
        from symkde.numeric.derivative_compact import (
            triangle_log_density_step,
            triangle_position_bandwidth,
        )

        if triangle_log_density_step(mix.log_w, mix.x, a, b, mix.h) > _TRIANGLE_PANEL_STEP:
            closed = triangle_position_bandwidth(mix.log_w, mix.x, a, b, mix.h)
        else:
            try:
                closed = _integrals(line, a, b, max_panels=_TRIANGLE_PANEL_BUDGET)
            except _PanelBudget:
                closed = triangle_position_bandwidth(mix.log_w, mix.x, a, b, mix.h)
    elif mix.kernel == "boxcar":
        # d/du log K = 0 and d/dh log K = -1/h inside the support (generated), and the
        # responsibilities sum to 1 on the covered target: the integrals need no quadrature
        slope = float(np.broadcast_to(LOG_KERNEL_DH["boxcar"](0.0, mix.h), ()))
        closed = (np.zeros(mix.x.size), slope)
    d_line, d_h_integral = closed if closed is not None else _integrals(line, a, b)
    d_h = -d_h_integral
    if mix.kernel == "boxcar":
        from symkde.numeric.derivative_compact import boxcar_jumps

        jump_x, jump_h = boxcar_jumps(mix.log_w, mix.x, a, b, mix.h)
        d_line = d_line - jump_x / (b - a)
        d_h -= jump_h / (b - a)
    d_a = (_log_density_inside(line, a, 1.0) + loss) / (b - a)
    d_b = -(_log_density_inside(line, b, -1.0) + loss) / (b - a)
    return d_line, d_h, d_a, d_b


def derivatives_row(problem: Problem) -> Derivatives:
    """The derivatives of one validated problem (1-D float64 ``z``, ``x``; scalars).

    Raises :class:`symkde.UncoveredTargetError` where the loss is infinite.
    """
    if problem.kernel == "laplace" and problem.method in ("auto", "exact"):
        from symkde.numeric.derivative_rows import laplace_derivative_single

        done = laplace_derivative_single(
            problem.z, problem.x, problem.a, problem.b, problem.bandwidth, problem.circular
        )
        if done is not None:
            return Derivatives(*done)
    return _derivatives_general(problem)


def _derivatives_general(problem: Problem) -> Derivatives:
    """:func:`derivatives_row` by the loss's own code and the integrals above (every kernel
    and method; the rows the compiled Laplace path hands back)."""
    loss, grad_z = _compute(problem, with_grad=True)
    assert grad_z is not None
    moved = _moved(problem)
    mix = _mixture(moved)
    a, b = moved.a, moved.b
    line = _line(mix, a, b)
    if problem.method == "bins":
        d_line, d_h, d_a, d_b = _bins(line, moved)
    else:
        d_line, d_h, d_a, d_b = _integral_method(problem, line, a, b, loss)
    d_points = np.zeros(mix.x.size)
    np.add.at(d_points, line.owner, d_line)
    return Derivatives(
        float(loss), grad_z, mix.scatter(d_points), float(d_h), float(d_a), float(d_b)
    )


def _compiled_rows(batch: Batch, outputs: tuple[FloatArray, ...]) -> NDArray[np.bool_]:
    """Every exact Laplace row in one parallel call (:mod:`symkde.numeric.derivative_rows`);
    returns the rows left to :func:`derivatives_row` (each of which is then handed back
    again by the same code, so row r is the single call on row r)."""
    if batch.kernel != "laplace" or batch.method not in ("auto", "exact"):
        return np.ones(batch.size, dtype=bool)
    from symkde.numeric.derivative_rows import laplace_derivative_rows

    return laplace_derivative_rows(
        batch.z, batch.x, batch.a, batch.b, batch.bandwidth, batch.circular, outputs
    )


def derivatives(
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    *,
    kernel: str = "laplace",
    bandwidth: Any = 1.0,
    circular: bool = False,
    method: str = "auto",
    bins: int | None = None,
) -> Derivatives:
    """``Derivatives(loss, z, x, bandwidth, a, b)``: the loss and ``dL/d`` every argument.

    Same options, batch rules and errors as :func:`symkde.loss_and_grad`: ``z`` of shape
    ``(..., n)``, ``x`` broadcastable to it, ``a``, ``b``, ``bandwidth`` broadcastable to the
    batch shape ``z.shape[:-1]``.  ``loss``, ``bandwidth``, ``a`` and ``b`` have the batch shape
    (Python floats for a 1-D ``z``), ``z`` and ``x`` have ``z``'s shape (``x`` per row, not
    summed over a shared grid).  Row r is exactly the single call on row r; a bad value or an
    uncovered target names the first offending row.  Accuracy: each entry within
    ``1e-12 * max(|true|, s)``, ``s = 1/h`` for ``x`` and ``bandwidth``, ``(1 + |L|)/(b - a)``
    for ``a`` and ``b``.  See the module docstring for the value returned at measure-zero
    coincidences of a compact support's edges.

    >>> import numpy as np
    >>> d = derivatives(np.zeros((2, 2)), [0.0, 1.0], 0.0, [1.0, 2.0])
    >>> np.shape(d.loss), d.x.shape, np.shape(d.bandwidth)
    ((2,), (2, 2), (2,))
    >>> bool(np.allclose(d.x.sum(axis=-1) + d.a + d.b, 0.0, atol=1e-12))  # translation
    True
    """
    options: dict[str, Any] = {
        "kernel": kernel,
        "bandwidth": bandwidth,
        "circular": circular,
        "method": method,
        "bins": bins,
    }
    try:
        one_row = np.ndim(z) == 1
    except (ValueError, TypeError):  # a ragged list: the single call names the problem
        one_row = True
    if one_row:
        return derivatives_row(validate(z, x, a, b, **options))
    batch = validate_batch(z, x, a, b, **options)
    outputs = apply_rows(
        batch, lambda problem: tuple(derivatives_row(problem)), LAYOUT, compiled=_compiled_rows
    )
    return Derivatives(*assembled(batch, outputs, LAYOUT))
