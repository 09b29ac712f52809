"""Exact loss and gradient on the line for the laplace, boxcar and triangle kernels.

No bins and no quadrature: ``[a, b]`` is cut at the kernel's breakpoints (the points, and
``x_j +- h`` for compact kernels) and each segment's integral is a closed form proved in
:mod:`symkde.theorems.closed_forms` (SymPy differentiates each antiderivative back to its
integrand; ``tests/test_exact.py`` checks every per-segment function below against those
SymPy expressions at 50 digits).  Cost: one sort plus ``O(n)`` vectorized work per scan,
``O(n log n)`` time and ``O(n)`` memory, no Python loop over points or segments.

Laplace on the line first tries the compiled fast path (:func:`_laplace_fast`,
:mod:`symkde.numeric.compiled`, numba): only the points inside ``(a, b)`` are sorted, the running
sums
are one linear-space pass each over weights scaled by the largest log-mass, and segments up
to 0.1 bandwidths use the midpoint series of theorem ``laplace_short_segment`` (one ``log``
per segment).  It runs only where it provably cannot overflow or lose a mass to underflow
(weights within ``e^500`` of the largest, target at most ``1e15`` bandwidths) and otherwise
hands over to the log-space scans below, which every other case uses.

The log-space scans: sums of the form ``sum_j w_j exp(-|t - x_j| / h)`` come from
associative scans (:func:`_prefix_scan`) whose combine step uses the *exact* distance
between the two groups' reference points, so a point ``10**4`` bandwidths away costs a
log-weight of ``-10**4`` (never an overflow) and rounding grows with that distance only,
not with ``|x| / h``.  Window sums (boxcar, triangle: the points whose support covers a
segment) are formed without subtraction by the van Herk / Gil-Werman split into a block
suffix and a block prefix (:func:`_window_reduce`).

Laplace segment (``s = (t - lo) / h``, ``d = (hi - lo) / h``; theorem
``laplace_segment_density``)::

    2 h p(t) = exp(lB - s) + exp(lA - (d - s))

with ``lB = log sum_{x_j <= lo} w_j e^{-(lo - x_j)/h}`` and
``lA = log sum_{x_j >= hi} w_j e^{-(x_j - hi)/h}``.  Its log integral is the broken line
``max(lB - s, lA - d + s)`` plus ``H(s*) + H(d - s*)`` with the dilogarithm
``H(w) = sign(w) (Li2(-e^{-2|w|}) + pi^2/12) / 2`` (``Li2(-y) = spence(1 + y)``, evaluated
only on ``y`` in ``[0, 1]``), ``s* = (lB - lA + d) / 2`` where the two exponentials cross.

The circle (``circular=True``, issue 5) reuses everything above unchanged: the arc becomes
``[0, L]``, each angle its representative in ``[0, 2 pi)`` measured from ``a`` (Cody-Waite
reduction, accurate to an ulp of the result), and the wrapped density on the arc is the line
density of a few images (:func:`_circle`): for laplace the point plus one image on each side
of weight ``w / (1 - e^{-2 pi/h})`` that stands for all the images beyond (theorem
``wrapped_laplace_image_sum``); for boxcar and triangle a constant floor (the full turns of a
wide kernel) plus the images of a narrow box or tent (:func:`_wrapped_compact`), so the cost
does not grow with ``h``.

This module owns the entry (:func:`exact_loss_grad`), the line problem's dispatch by kernel
(:func:`_items`) and the circle's images (:func:`_circle`); the kernels' segment sums live in
:mod:`symkde.numeric.exact_laplace` (with the compiled fast path) and
:mod:`symkde.numeric.exact_compact` (boxcar, triangle), the scans in
:mod:`symkde.numeric.scans` and the per-segment closed forms in
:mod:`symkde.numeric.segment_forms`.  Imports NumPy, ``symkde.errors``,
:mod:`symkde.numeric.angles` and those modules; never SymPy.

>>> import numpy as np
>>> L, g = exact_loss_grad("laplace", np.array([0.0]), np.array([0.5]), 0.0, 1.0, 1.0)
>>> round(L, 15), g  # log 2 + 1/4, one point: zero gradient
(0.943147180559945, array([0.]))
>>> exact_loss_grad("boxcar", np.array([0.0]), np.array([5.0]), 0.0, 1.0, 1.0, with_grad=False)
(inf, None)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symkde.errors import UncoveredTargetError
from symkde.numeric.angles import TWO_PI as _TWO_PI
from symkde.numeric.angles import TWO_PI_LO as _TWO_PI_LO
from symkde.numeric.angles import turns_to
from symkde.numeric.exact_compact import _boxcar, _triangle
from symkde.numeric.exact_laplace import _laplace, _laplace_fast

__all__ = ["EXACT_KERNELS", "exact_loss_grad"]

FloatArray = NDArray[np.float64]


#: Kernels with a closed-form segment integral (on the line and, wrapped, on the circle).
EXACT_KERNELS = frozenset({"laplace", "boxcar", "triangle"})


def exact_loss_grad(
    kernel: str,
    log_w: FloatArray,
    x: FloatArray,
    a: float,
    b: float,
    h: float,
    *,
    with_grad: bool = True,
    circular: bool = False,
    covered: bool = False,
) -> tuple[float, FloatArray | None]:
    """Exact ``(L, dL/dz)`` for weights ``exp(log_w)`` at points ``x`` on the target ``[a, b]``.

    Args:
        kernel: one of :data:`EXACT_KERNELS`.
        log_w: log-softmax weights, finite or ``-inf`` (masked: gradient exactly 0).
        x: finite point positions, any order.
        a, b: the target, ``a < b``.
        h: the bandwidth, ``h > 0``.
        with_grad: also return the gradient with respect to the logits.
        circular: positions are angles, the kernels wrapped, the target the arc from ``a``
            to ``b`` (``0 < b - a <= 2 pi``, up to 4 ulps over is the full circle).
        covered: the caller has found, in the input coordinates, that a compact kernel's
            supports cover ``[a, b]`` (``numeric.coverage._uncovered``).  The closed forms work in
            coordinates shifted by ``a``, where ``x - a +- h`` rounds: two supports that
            touch exactly may be an ulp apart there.  With ``covered``, such a segment is a
            rounding artefact; it contributes nothing (it must be narrower than 8 ulps of
            ``b - a + 2h``, else ``RuntimeError``).  Without it, it makes the loss infinite.

    Returns:
        ``(L, grad)``; ``grad`` is None when ``with_grad`` is False.  A compact kernel that
        leaves part of ``[a, b]`` uncovered gives ``(inf, None)`` without the gradient and
        raises :class:`~symkde.errors.UncoveredTargetError` with it.

    >>> exact_loss_grad("triangle", np.array([0.0]), np.array([0.0]), -1.0, 1.0, 1.0)[0]
    1.0
    """
    if kernel not in EXACT_KERNELS:
        raise ValueError(
            f"kernel: no closed form for {kernel!r}; expected one of {sorted(EXACT_KERNELS)}"
        )
    # contiguous float64: the compiled loops are built for exactly that (no recompiles)
    log_w = np.ascontiguousarray(log_w, dtype=np.float64)
    x = np.ascontiguousarray(x, dtype=np.float64)
    a, b, h = float(a), float(b), float(h)
    if kernel == "laplace" and not circular:
        if log_w.size and log_w.min() > -np.inf:  # nothing masked: no copies
            fast = _laplace_fast(log_w, x, a, b, h, with_grad)
            if fast is not None:
                return fast
        else:
            finite = np.isfinite(log_w)
            fast = _laplace_fast(log_w[finite], x[finite], a, b, h, with_grad)
            if fast is not None:
                if fast[1] is None:
                    return fast
                gradient = np.zeros_like(x)
                gradient[finite] = fast[1]
                return fast[0], gradient
    live = np.flatnonzero(np.isfinite(log_w))
    if circular:
        value, log_resp, length = _circle(
            kernel, log_w[live], x[live], a, b, h, with_grad, covered=covered
        )
    else:
        value, log_resp = _items(kernel, log_w[live], x[live], a, b, h, with_grad, covered=covered)
        length = b - a
    if isinstance(value, tuple):  # an uncovered sub-interval, in coordinates shifted by a
        if not with_grad:
            return float("inf"), None
        raise UncoveredTargetError((value[0] + a, value[1] + a))
    if not with_grad:
        return value, None
    assert log_resp is not None
    # dL/dz_i = w_i - (1/(b-a)) int R_i;  log_resp = log int R_i.
    gradient = np.zeros_like(x)
    gradient[live] = np.exp(log_w[live]) - np.exp(log_resp - np.log(length))
    return value, gradient


def _items(
    kernel: str,
    lw: FloatArray,
    x: FloatArray,
    a: float,
    b: float,
    h: float,
    with_grad: bool,
    **floor: Any,
) -> tuple[float | tuple[float, float], FloatArray | None]:
    """The line problem on ``[a, b]`` for items (log-weight ``lw``, position ``x``).

    Returns the loss (or an uncovered ``(lo, hi)`` shifted by ``-a``) and ``log int R``
    per item, in the items' order.
    """
    order = np.argsort(x)  # ties in any order: every sum below is symmetric in tied points
    xs, lws = x[order], lw[order]
    if "floor_items" in floor:
        floor["floor_items"] = floor["floor_items"][order]
    value: float | tuple[float, float]
    with np.errstate(all="ignore"):
        if kernel == "laplace":
            floor.pop("covered", None)  # never uncovered
            value, log_resp = _laplace(lws, xs, a, b, h, with_grad)
        elif kernel == "boxcar":
            value, log_resp = _boxcar(lws, xs - a, b - a, h, with_grad, **floor)
        else:
            value, log_resp = _triangle(lws, xs - a, b - a, h, with_grad, **floor)
    if log_resp is None:
        return value, None
    out = np.empty_like(log_resp)
    out[order] = log_resp
    return value, out


# --------------------------------------------------------------------------------------------
# The circle: the wrapped density on the arc is a line density of finitely many images.


def _reduce_angle(v: FloatArray) -> FloatArray:
    """``v - 2 pi k`` in about ``[-pi, pi]``, accurate to an ulp of the result (not of ``v``).

    >>> float(_reduce_angle(np.array([7.0]))[0])  # 0.71681469282041352307... (7 - 2*np.pi: ...38)
    0.7168146928204135
    """
    return turns_to(v)[0]


def _wrapped_compact(kernel: str, h: float) -> tuple[float, dict[str, Any]]:
    """A wide wrapped box or tent as a constant floor plus a narrow one (``h`` any size).

    boxcar: ``[x - h, x + h]`` wound round the circle covers it ``j = ceil(h/pi) - 1`` times
    and leaves a box of half-width ``h' = h - j pi`` in ``(0, pi]`` centred at ``x + j pi``:
    ``2h K_circ = j + 1[|u - j pi| <= h']`` (wrapped).  triangle: the tent is the convolution
    of two boxes of half-width ``h/2``, wrapping commutes with convolution, and each wrapped
    box is ``j'/h`` (``j' = ceil(h/(2 pi)) - 1``) plus a box of half-width
    ``h'' = h/2 - j' pi``, so ``h^2 K_circ = 2 pi j'^2 + 4 j' h'' + (H - |u|)_+`` (wrapped)
    with ``H = 2 h''`` in ``(0, 2 pi]``.  Each narrow kernel has at most a few images on the
    arc.  Returns the narrow support, and ``log_norm``, ``log_floor``, ``turns``.

    >>> _wrapped_compact("boxcar", 1.0)[0], _wrapped_compact("triangle", 10.0)[0] < 2 * np.pi
    (1.0, True)
    """
    if kernel == "boxcar":
        turns = max(math.ceil(h / math.pi) - 1, 0)
        support = h - turns * math.pi
        if not support > 0:  # h a hair above j pi in floats
            turns, support = turns - 1, support + math.pi
        floor = math.log(turns) if turns else -math.inf
        return support, {"log_norm": math.log(2.0 * h), "log_floor": floor, "turns": turns}
    turns = max(math.ceil(h / _TWO_PI) - 1, 0)
    half = 0.5 * h - turns * math.pi
    if not half > 0:
        turns, half = turns - 1, half + math.pi
    floor = math.log(_TWO_PI * turns * turns + 4.0 * turns * half) if turns else -math.inf
    return 2.0 * half, {"log_norm": 2.0 * math.log(h), "log_floor": floor, "turns": turns}


def _circle(
    kernel: str,
    lw: FloatArray,
    x: FloatArray,
    a: float,
    b: float,
    h: float,
    with_grad: bool,
    covered: bool = False,
) -> tuple[float | tuple[float, float], FloatArray | None, float]:
    """Wrapped kernels on the arc ``[a, b]``: the arc becomes ``[0, L]``, the points their
    representatives ``u`` in ``[0, 2 pi)`` measured from ``a``, and the wrapped density on
    ``[0, L]`` is the line density of a finite set of images:

    - laplace: ``u``, plus ``u - 2 pi`` and ``u + 2 pi`` with weight ``w / (1 - e^{-2 pi/h})``.
      The left image stands for all of ``u - 2 pi k`` (``k >= 1``): they lie left of the arc,
      so ``sum_k w e^{-(t - u + 2 pi k)/h} = w e^{-(t - u + 2 pi)/h} / (1 - e^{-2 pi/h})``
      there (theorem ``wrapped_laplace_image_sum``); likewise on the right.
    - boxcar, triangle: every image ``u + 2 pi k`` within ``h`` of the arc (``h > pi`` gives
      several per point).

    ``int R_i`` is the sum over the images of point ``i``.  Returns ``(value, log int R,
    L)``.  ``covered`` as in :func:`exact_loss_grad`.
    """
    length = b - a
    if not length > 0:
        raise ValueError(f"a, b: need a < b, got a={a!r}, b={b!r}")
    slack = 4 * np.spacing(_TWO_PI)
    if length > _TWO_PI + slack:
        raise ValueError(f"a, b: the arc b - a = {length!r} exceeds 2 pi")
    if length >= _TWO_PI - slack:  # the full circle (rounding forgiven, as in docs/contract.md)
        length = _TWO_PI
    u = _reduce_angle(x) - _reduce_angle(np.array([a]))[0]  # in [-2 pi, 2 pi], to an ulp
    u = np.where(u < 0.0, (u + _TWO_PI_LO) + _TWO_PI, u)
    u = np.where(u >= _TWO_PI, (u - _TWO_PI) - _TWO_PI_LO, u)
    u = np.minimum(np.maximum(u, 0.0), np.nextafter(_TWO_PI, 0.0))
    n = u.size
    if kernel == "laplace":
        log_geo = -float(np.log(-np.expm1(-_TWO_PI / h)))  # -log(1 - e^{-2 pi/h}) >= 0
        images = np.stack((u - _TWO_PI, u, u + _TWO_PI))
        image_lw = np.stack((lw + log_geo, lw, lw + log_geo))
        keep = np.ones(images.shape, dtype=bool)
        floor: dict[str, Any] = {}
        support = h
    else:
        support, floor = _wrapped_compact(kernel, h)
        if kernel == "boxcar" and floor["turns"] % 2:  # the residual box sits opposite x
            u = u + 0.5 * _TWO_PI_LO + 0.5 * _TWO_PI
            u = np.where(u >= _TWO_PI, (u - _TWO_PI) - _TWO_PI_LO, u)
        del floor["turns"]
        k_lo = int(np.floor((-support - _TWO_PI) / _TWO_PI))
        k_hi = int(np.ceil((length + support) / _TWO_PI))
        shifts = np.arange(k_lo, k_hi + 1, dtype=np.float64)[:, None] * _TWO_PI
        images = u[None, :] + shifts
        keep = (images >= -support) & (images <= length + support)
        keep[-k_lo] = True  # u itself: every point gets its floor term, covering or not
        floor["floor_items"] = (np.arange(images.shape[0]) == -k_lo)[:, None].repeat(n, 1)[keep]
        image_lw = np.broadcast_to(lw, images.shape)
    if kernel != "laplace":
        floor["covered"] = covered
    value, log_resp = _items(
        kernel, image_lw[keep], images[keep], 0.0, length, support, with_grad, **floor
    )
    if log_resp is None:
        return value, None, length
    per_image = np.full(images.shape, -np.inf)
    per_image[keep] = log_resp
    top = per_image.max(axis=0) if n else np.zeros(0)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        total = safe + np.log(np.sum(np.exp(per_image - safe), axis=0))
    return value, np.where(top == -np.inf, -np.inf, total), length
