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

>>> import numpy as np
>>> L, g = exact_loss_grad("laplace", np.array([0.0]), np.array([0.5]), 0.0, 1.0, 1.0)
>>> round(L, 15), g  # log 2 + 1/4, one point: zero gradient
(0.943147180559945, array([0.]))
>>> exact_loss_grad("boxcar", np.array([0.0]), np.array([5.0]), 0.0, 1.0, 1.0, with_grad=False)
(inf, None)
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symkde.errors import UncoveredTargetError
from symkde.numeric._generated import laplace_forms as _forms
from symkde.numeric.angles import TWO_PI, turns_to
from symkde.numeric.angles import TWO_PI_LO as _TWO_PI_LO
from symkde.numeric.angles import two_sum as _two_sum

__all__ = ["EXACT_KERNELS", "exact_loss_grad"]

FloatArray = NDArray[np.float64]
State = tuple[FloatArray, ...]
Combine = Callable[[State, State], State]

#: Kernels with a closed-form segment integral (on the line and, wrapped, on the circle).
EXACT_KERNELS = frozenset({"laplace", "boxcar", "triangle"})

_LOG2 = float(np.log(2.0))
#: Below this ``D`` the reciprocal-linear integrals use their power series in ``q = 1 - e^{-D}``
#: (the closed forms cancel like ``2 / D``); 26 terms reach ``q**26 < 1e-17`` at ``D = 0.25``.
_SERIES_D = 0.25
_SERIES_TERMS = 26


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
            supports cover ``[a, b]`` (``numeric._uncovered``).  The closed forms work in
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

_TWO_PI = TWO_PI


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


# --------------------------------------------------------------------------------------------
# Stable elementary pieces (float64, vectorized; -inf/inf handled by the callers' masks).


def _logaddexp(p: FloatArray, q: FloatArray) -> FloatArray:
    """``log(e^p + e^q)``; exact at +-inf (about 3x faster than ``np.logaddexp``)."""
    top = np.maximum(p, q)
    out = top + np.log1p(np.exp(-np.abs(p - q)))
    return np.where(np.isinf(top), top, out)


def _logsumexp(v: FloatArray) -> float:
    """``log sum e^v`` (``-inf`` for an empty or all ``-inf`` array)."""
    if not v.size:
        return -np.inf
    top = float(np.max(v))
    if top == -np.inf:
        return -np.inf
    return top + float(np.log(np.sum(np.exp(v - top))))


def _softplus(v: FloatArray) -> FloatArray:
    """``log(1 + e^v)``."""
    return np.maximum(v, 0.0) + np.log1p(np.exp(-np.abs(v)))


def _log_softplus(v: FloatArray) -> FloatArray:
    """``log(log(1 + e^v))``, finite for ``v`` far below 0 (where it is ``v - e^v / 2``)."""
    return np.where(v < -30.0, v - 0.5 * np.exp(v), np.log(_softplus(v)))


def _log_expm1(v: FloatArray) -> FloatArray:
    """``log(e^v - 1)`` for ``v > 0``."""
    return np.where(v < 1.0, np.log(np.expm1(v)), v + np.log1p(-np.exp(-v)))


def _half_dilog(w: FloatArray) -> FloatArray:
    """``H(w) = int_0^w log(1 + e^{-2|v|}) dv = sign(w) (Li2(-e^{-2|w|}) + pi^2/12) / 2``.

    Printed from SymPy (``symkde/numeric/_generated/laplace_forms.py``, theorem
    ``laplace_log_correction``): ``Li2(-y) = spence(1 + y)`` with ``y = e^{-2|w|}`` in
    ``[0, 1]``; for ``|w| < 0.1``, where its two terms cancel to about eps absolute, the
    Taylor polynomial of ``H`` instead (relative accuracy).  Odd in ``w``,
    ``H(+-inf) = +-pi^2/24``.
    """
    v = np.abs(w)
    near = v < 0.1
    return np.sign(w) * np.where(
        near, _forms.laplace_half_dilog_series(v), _forms.laplace_half_dilog(v)
    )


def _quiet(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``func`` under ``np.errstate(all="ignore")``: infinities are handled by masks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return func(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------------------------
# Per-segment closed forms (each checked term by term against closed_forms.py at 50 digits).


@_quiet
def laplace_segment_log_integral(
    lB: FloatArray, lA: FloatArray, d: FloatArray, s_cross: FloatArray | None = None
) -> FloatArray:
    """``int_0^d log(exp(lB - s) + exp(lA - (d - s))) ds`` (theorem ``laplace_log_segment``).

    ``s_cross = (lB - lA + d) / 2`` (where the two terms cross) may be passed when the caller
    has it more accurately.  One-sided segments (``lA`` or ``lB`` is ``-inf``) reduce to the
    polynomial ``d (lB - d/2)`` (theorem ``laplace_one_sided``).
    """
    if s_cross is None:
        s_cross = 0.5 * (lB - lA + d)
    sc = np.clip(s_cross, 0.0, d)
    left = np.where(sc > 0, sc * (lB - 0.5 * sc), 0.0)
    right_len = d - sc
    right = np.where(right_len > 0, right_len * (lA - 0.5 * right_len), 0.0)
    corr = _log_correction(s_cross, d)
    return left + right + corr


#: Gauss-Legendre, 4 nodes on [0, 1]: for ``g(v) = log(1 + e^{-2v})`` on a smooth piece of
#: length ``L`` the error is ``L^9 (4!)^4 / (9 (8!)^3) max|g^(8)|`` with ``g^(8) = tanh^(7)``,
#: ``|tanh^(7)| <= 272``: at most ``1.6e-7 L^9``, i.e. below ``1.6e-15 L`` for ``L <= 0.1``.
_GL_NODES = np.array(
    [0.06943184420297371, 0.33000947820757187, 0.6699905217924281, 0.9305681557970262]
)
_GL_WEIGHTS = np.array(
    [0.17392742256872679, 0.3260725774312732, 0.3260725774312732, 0.17392742256872679]
)
_GL_D = 0.1


def _gauss_piece(v0: FloatArray, length: FloatArray) -> FloatArray:
    """``int_{v0}^{v0 + length} log(1 + e^{-2v}) dv`` by 4-node Gauss-Legendre (``v0 >= 0``)."""
    total = np.zeros_like(v0)
    for node, weight in zip(_GL_NODES, _GL_WEIGHTS, strict=True):
        total += weight * np.log1p(np.exp(-2.0 * (v0 + node * length)))
    return length * total


@_quiet
def _log_correction(s_cross: FloatArray, d: FloatArray) -> FloatArray:
    """``int_0^d log(1 + e^{-2|s - s*|}) ds`` (0 for a one-sided segment).

    ``d <= 0.1`` (most segments when points are dense): split at ``s*`` if it is inside, and
    each smooth piece by 4-node Gauss-Legendre (error below ``1.6e-15`` per unit length,
    see ``_GL_NODES``); no dilogarithm.  Longer segments: ``s*`` inside gives
    ``H(s*) + H(d - s*)``; outside, where the pi^2/12 constants of two H values would cancel,
    ``(Li2(-y_far) - Li2(-y_near)) / 2`` without the constant (cancellation at most
    ``1 / (1 - e^{-0.2})``, about 5.5).
    """
    s_cross, d = np.broadcast_arrays(np.asarray(s_cross, dtype=np.float64), d)
    out = np.zeros(s_cross.shape)
    finite = np.isfinite(s_cross)
    star = np.where(finite, s_cross, 0.0)
    inside = (star > 0) & (star < d)
    near = np.where(star <= 0, -star, star - d)  # distance from s* to the segment
    short = finite & (d <= _GL_D)
    if short.any():
        st, dd, ins, nr = star[short], d[short], inside[short], near[short]
        first = _gauss_piece(np.where(ins, 0.0, nr), np.where(ins, st, dd))
        second = np.where(ins, _gauss_piece(np.zeros_like(st), dd - st), 0.0)
        out[short] = first + second
    rest = finite & ~short & inside
    if rest.any():
        out[rest] = _half_dilog(star[rest]) + _half_dilog(d[rest] - star[rest])
    rest = finite & ~short & ~inside
    if rest.any():
        nr, dd = near[rest], d[rest]
        out[rest] = _forms.laplace_half_li2(nr + dd) - _forms.laplace_half_li2(nr)
    return out


@_quiet
def laplace_segment_log_resp(
    lB: FloatArray, lA: FloatArray, d: FloatArray, s_cross: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """``log int_0^d e^{-s}/f ds`` and ``log int_0^d e^{s-d}/f ds``, ``f = e^{lB-s} + e^{lA-d+s}``.

    Theorem ``laplace_resp_integral``: ``int_0^d e^{-s}/f = e^{-lB} (softplus(2s*) -
    softplus(2s* - 2d)) / 2`` and the difference of softplus values is
    ``log1p(sigmoid(y) expm1(2d))``, ``y = 2(s* - d)`` (theorem ``softplus_difference``),
    evaluated here as ``softplus(log sigmoid(y) + log expm1(2d))`` so nothing overflows.
    A side without points (``-inf``) gets ``-inf``.  Both results scale as ``e^{-lB}``,
    ``e^{-lA}``: shifting ``lB`` by ``c`` shifts the first by ``-c`` (the caller references
    ``lB``, ``lA`` at the nearest points and passes ``s_cross`` separately).
    """
    if s_cross is None:
        s_cross = 0.5 * (lB - lA + d)
    log_em1 = _log_expm1(2.0 * d)

    def log_diff(y: FloatArray) -> FloatArray:
        return _log_softplus(log_em1 - _softplus(-y))

    log_left = np.where(lB == -np.inf, -np.inf, -_LOG2 - lB + log_diff(2.0 * (s_cross - d)))
    log_right = np.where(lA == -np.inf, -np.inf, -_LOG2 - lA + log_diff(-2.0 * s_cross))
    return log_left, log_right


@_quiet
def log_linear_mean(l0: FloatArray, l1: FloatArray) -> FloatArray:
    """``int_0^1 log((1 - s) e^{l0} + s e^{l1}) ds = max - 1 + D / expm1(D)``, ``D = |l1 - l0|``.

    Theorem ``triangle_log_segment`` (the ``u log u`` form).  ``D = 0`` gives ``l0``;
    an endpoint with ``p = 0`` (``D = inf``) gives ``max - 1``.
    """
    top = np.maximum(l0, l1)
    gap = np.abs(l1 - l0)
    ratio = np.where(gap == 0, 1.0, np.where(np.isinf(gap), 0.0, gap / np.expm1(gap)))
    return top - 1.0 + ratio


def _q_series(q: FloatArray, coeff: Callable[[int], float]) -> FloatArray:
    """``sum_{k < _SERIES_TERMS} coeff(k) q^k`` by Horner."""
    total = np.full_like(q, coeff(_SERIES_TERMS - 1))
    for k in range(_SERIES_TERMS - 2, -1, -1):
        total = total * q + coeff(k)
    return total


@_quiet
def reciprocal_linear_integrals(
    l0: FloatArray, l1: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Logs of ``int_0^1 ds / P``, ``int_0^1 s ds / P``, ``int_0^1 (1-s) ds / P``.

    ``P(s) = (1 - s) e^{l0} + s e^{l1}`` (theorem ``triangle_resp_integrals``).  With
    ``D = |l1 - l0|``, ``q = 1 - e^{-D}``: ``int 1/P = e^{-max} D/q``; measured from the
    small end, ``int s/P = e^{-max} f1``, ``f1 = (q - (1-q) D)/q^2 = sum q^k/((k+1)(k+2))``;
    from the large end ``f2 = (D - q)/q^2 = sum q^k/(k+2)``.
    """
    top = np.maximum(l0, l1)
    gap = np.abs(l1 - l0)
    q = -np.expm1(-gap)
    small = gap < _SERIES_D
    qs = np.where(small, q, 0.0)
    f1 = np.where(
        small, _q_series(qs, lambda k: 1.0 / ((k + 1) * (k + 2))), (q - (1.0 - q) * gap) / (q * q)
    )
    f2 = np.where(small, _q_series(qs, lambda k: 1.0 / (k + 2)), (gap - q) / (q * q))
    f2 = np.where(np.isinf(gap), np.inf, f2)
    f1 = np.where(np.isinf(gap), 1.0, f1)
    log_psi = np.where(gap == 0, 0.0, np.log(gap) - np.log(q))
    log_j0 = log_psi - top
    rising = l1 >= l0
    log_js = np.log(np.where(rising, f1, f2)) - top
    log_j1ms = np.log(np.where(rising, f2, f1)) - top
    return log_j0, log_js, log_j1ms


# --------------------------------------------------------------------------------------------
# Associative scans in log space.


def _prefix_scan(state: State, combine: Combine, block: NDArray[np.int64] | None = None) -> State:
    """Inclusive prefix scan ``out_k = item_0 (+) ... (+) item_k`` by recursive pairing.

    ``2n`` combine evaluations in ``log2 n`` vectorized rounds.  With ``block``, the scan
    restarts wherever the (non-decreasing) block id changes.
    """
    n = state[0].shape[0]
    if n <= 1:
        return state
    m = n // 2
    left = tuple(s[0 : 2 * m : 2] for s in state)
    right = tuple(s[1 : 2 * m : 2] for s in state)
    pairs = combine(left, right)
    pair_block = None
    if block is not None:
        same = block[0 : 2 * m : 2] == block[1 : 2 * m : 2]
        pairs = tuple(np.where(same, p, r) for p, r in zip(pairs, right, strict=True))
        pair_block = block[1 : 2 * m : 2]
    pair_prefix = _prefix_scan(pairs, combine, pair_block)
    out = tuple(np.empty_like(s) for s in state)
    for o, s, pp in zip(out, state, pair_prefix, strict=True):
        o[1 : 2 * m : 2] = pp
        o[0] = s[0]
    k = (n - 1) // 2  # even indices 2, 4, ... below n
    if k:
        prev = tuple(pp[:k] for pp in pair_prefix)
        cur = tuple(s[2:n:2] for s in state)
        joined = combine(prev, cur)
        if block is not None:
            same = block[1 : 2 * k : 2] == block[2:n:2]
            joined = tuple(np.where(same, j, c) for j, c in zip(joined, cur, strict=True))
        for o, j in zip(out, joined, strict=True):
            o[2:n:2] = j
    return out


def _suffix_scan(state: State, combine: Combine, block: NDArray[np.int64] | None = None) -> State:
    """Inclusive suffix scan ``out_k = item_k (+) ... (+) item_{n-1}`` (same combine order)."""
    flipped = tuple(s[::-1] for s in state)
    rev_block = None if block is None else -block[::-1]
    scanned = _prefix_scan(flipped, lambda later, earlier: combine(earlier, later), rev_block)
    return tuple(s[::-1] for s in scanned)


def _decay_right(inv_h: float) -> Combine:
    """Laplace sums referenced at the right end: ``(v, q)``, ``v = log sum w e^{-(q - x)/h}``."""

    def combine(left: State, right: State) -> State:
        (vl, ql), (vr, qr) = left, right
        return _logaddexp(vl - (qr - ql) * inv_h, vr), qr

    return combine


def _decay_left(inv_h: float) -> Combine:
    """Laplace sums referenced at the left end: ``v = log sum w e^{-(x - q)/h}``."""

    def combine(left: State, right: State) -> State:
        (vl, ql), (vr, qr) = left, right
        return _logaddexp(vl, vr - (qr - ql) * inv_h), ql

    return combine


def _lse_combine(left: State, right: State) -> State:
    return (_logaddexp(left[0], right[0]),)


def _moment_right(left: State, right: State) -> State:
    """``(log S, log M, q)``: ``S = sum v``, ``M = sum (m + v (q - pos)) >= 0``, q the right end."""
    (sl, ml, ql), (sr, mr, qr) = left, right
    return _logaddexp(sl, sr), _logaddexp(_logaddexp(ml, mr), sl + np.log(qr - ql)), qr


def _moment_left(left: State, right: State) -> State:
    """``(log S, log M, q)`` with ``M = sum (m + v (pos - q)) >= 0``, q the left end."""
    (sl, ml, ql), (sr, mr, qr) = left, right
    return _logaddexp(sl, sr), _logaddexp(_logaddexp(ml, mr), sr + np.log(qr - ql)), ql


def _window_reduce(
    state: State,
    pos: FloatArray,
    lo_index: NDArray[np.intp],
    hi_index: NDArray[np.intp],
    centre: FloatArray,
    width: float,
    combine: Combine,
) -> tuple[State, NDArray[np.bool_]]:
    """Reduce items ``[lo_index, hi_index)`` for every query, without subtraction.

    Items are sorted by ``pos``; each query's items lie within ``centre +- width/2`` (up to
    rounding).  Van Herk / Gil-Werman: cut the line into blocks of length ``width``; a window
    then is a block suffix followed by the next block's prefix.  Two block grids offset by
    ``width/2`` are kept and each query uses the one with a cut nearest its centre (within
    ``width/4``), so rounding at the window ends can never push items past a block.
    Returns the reduced state and a mask of empty windows.
    """
    origin = min(float(pos[0]) if pos.size else 0.0, float(centre.min()) if centre.size else 0.0)
    t = (centre - origin) / width
    cut0 = np.rint(t)
    cut1 = np.rint(t - 0.5)
    use1 = np.abs(t - 0.5 - cut1) < np.abs(t - cut0)
    empty = hi_index <= lo_index
    out = tuple(np.full(centre.shape, -np.inf) for _ in state)
    item_t = (pos - origin) / width
    for grid, cut in ((0.0, cut0), (0.5, cut1)):
        queries = np.flatnonzero((use1 if grid else ~use1) & ~empty)
        if not queries.size:
            continue
        block = np.floor(item_t - grid).astype(np.int64)
        suffix = _suffix_scan(state, combine, block)
        prefix = _prefix_scan(state, combine, block)
        lo, hi, kb = lo_index[queries], hi_index[queries], cut[queries].astype(np.int64)
        split = np.clip(np.searchsorted(block, kb, side="left"), lo, hi)
        has_a, has_b = split > lo, hi > split
        ia, ib = np.minimum(lo, pos.size - 1), np.maximum(hi - 1, 0)
        if np.any(has_a & (block[ia] != kb - 1)) or np.any(has_b & (block[ib] != kb)):
            raise RuntimeError("internal: a window is wider than its block (please report)")
        part_a = tuple(s[ia] for s in suffix)
        part_b = tuple(s[ib] for s in prefix)
        joined = combine(part_a, part_b)
        for o, ja, jb, jj in zip(out, part_a, part_b, joined, strict=True):
            o[queries] = np.where(has_a & has_b, jj, np.where(has_a, ja, jb))
    return out, empty


# --------------------------------------------------------------------------------------------
# The three kernels.  Each returns (loss, log int R_i per sorted point) or ((lo, hi), None)
# for an uncovered sub-interval.


def _knots(inside: FloatArray, a: float, b: float) -> FloatArray:
    """``a``, the distinct breakpoints strictly inside ``(a, b)``, ``b``."""
    inside = np.sort(inside[(inside > a) & (inside < b)])
    if inside.size:
        inside = inside[np.concatenate(([True], inside[1:] != inside[:-1]))]
    return np.concatenate(([a], inside, [b]))


def _laplace(
    lws: FloatArray, xs: FloatArray, a: float, b: float, h: float, with_grad: bool
) -> tuple[float, FloatArray | None]:
    """Segments between ``a``, the points inside, and ``b``.

    Each side's sum is referenced at its nearest point (``x_L <= lo``, ``x_R >= hi``), so a
    cluster ``10**4`` bandwidths away enters only through ``(x_L + x_R - 2 lo) / h``, formed
    with TwoSum: the crossing ``s*`` and every point's share of its side carry no rounding
    of order ``eps * distance / h``.
    """
    n = xs.size
    inv_h = 1.0 / h
    prefix = _prefix_scan((lws, xs), _decay_right(inv_h))[0]  # log sum_{j<=k} w_j e^{-(x_k-x_j)/h}
    suffix = _suffix_scan((lws, xs), _decay_left(inv_h))[0]  # log sum_{j>=k} w_j e^{-(x_j-x_k)/h}
    knots = _knots(xs, a, b)
    lo, hi = knots[:-1], knots[1:]
    n_left = np.searchsorted(xs, lo, side="right")  # points <= lo
    first_right = np.searchsorted(xs, hi, side="left")  # first point >= hi
    has_left, has_right = n_left > 0, first_right < n
    il, ir = np.maximum(n_left - 1, 0), np.minimum(first_right, n - 1)
    x_left = np.where(has_left, xs[il], lo)
    x_right = np.where(has_right, xs[ir], hi)
    log_left = np.where(has_left, prefix[il], -np.inf)  # referenced at x_left
    log_right = np.where(has_right, suffix[ir], -np.inf)  # referenced at x_right
    lB = log_left - (lo - x_left) * inv_h
    lA = log_right - (x_right - hi) * inv_h
    d = (hi - lo) * inv_h
    # s* = (lB - lA + d)/2 = (log_left - log_right + (x_left + x_right - 2 lo)/h) / 2
    total, err = _two_sum(x_left, x_right)
    total, err2 = _two_sum(total, -2.0 * lo)
    s_cross = 0.5 * (log_left - log_right + (total + (err + err2)) * inv_h)
    # int_a^b log p = h * sum_k int_0^{d_k} log(2h p) ds - (b - a) log(2h)
    log_int = h * laplace_segment_log_integral(lB, lA, d, s_cross)
    value = float(np.log(2.0 * h) - np.sum(log_int) / (b - a))
    if not with_grad:
        return value, None
    log_il, log_ir = laplace_segment_log_resp(log_left, log_right, d, s_cross)
    log_h = np.log(h)
    # A point i left of segment k sees w_i e^{-(x_left_k - x_i)/h} * h e^{log_il_k}:
    # a suffix over segments referenced at x_left, a prefix referenced at x_right.
    from_right_segs = _suffix_scan((log_il + log_h, x_left), _decay_left(inv_h))[0]
    from_left_segs = _prefix_scan((log_ir + log_h, x_right), _decay_right(inv_h))[0]
    k_first = np.searchsorted(lo, xs, side="left")  # first segment with lo >= x_i
    k_last = np.searchsorted(hi, xs, side="right") - 1  # last segment with hi <= x_i
    kf, kl = np.minimum(k_first, lo.size - 1), np.maximum(k_last, 0)
    part_r = np.where(k_first < lo.size, from_right_segs[kf] - (x_left[kf] - xs) * inv_h, -np.inf)
    part_l = np.where(k_last >= 0, from_left_segs[kl] - (xs - x_right[kl]) * inv_h, -np.inf)
    return value, lws + _logaddexp(part_r, part_l)


#: The fast path's limits (see :func:`_laplace_fast`): scaled log-masses at least
#: ``-_FAST_LOG_FLOOR`` and a target at most ``_FAST_MAX_SPAN`` bandwidths long.
_FAST_LOG_FLOOR = 500.0
_FAST_MAX_SPAN = 1e15
#: ... and every side that matters (log-mass above ``top - 40``, a share above 4e-18) within
#: 8 bandwidths of its end, so no decay constant is rounded by more than ~4 eps.
_FAST_FAR = 8.0
_FAST_NEGLIGIBLE = -40.0
_NO_INDEX = np.zeros(0, dtype=np.int64)  # scatter_gradient: the points are not partitioned


_SCRATCH = threading.local()
#: Scratch arrays larger than this many elements (1 GiB of float64) are not kept.
_SCRATCH_KEEP = 1 << 27


def _scratch(name: str, size: int, dtype: type = np.float64) -> NDArray[Any]:
    """A scratch array of ``size`` elements, kept per thread and reused by later calls.

    Fresh memory costs a page fault and zeroing per page: at n = 1e6 the fast path's 88 MB
    of scratch took ~10 ms of a ~45 ms call when every call allocated it anew (and a third
    of the run time at n = 1e5 when every step had its own array).  Training calls the loss
    again and again with the same n, so the buffers are kept for the thread's next call, up
    to ``_SCRATCH_KEEP`` elements each; they hold no results (every entry is written before
    it is read) and the returned gradient is always a fresh array.
    """
    buffers = _SCRATCH.__dict__.setdefault("buffers", {})
    buffer = buffers.get(name)
    if buffer is None or buffer.size < size:
        buffer = np.empty(size, dtype=dtype)
        if size <= _SCRATCH_KEEP:
            buffers[name] = buffer
    return buffer[:size]


def _sorting_permutation(values: FloatArray) -> NDArray[np.int64]:
    """The permutation that sorts ``values`` (contiguous float64), up to near-ties.

    Sorts 64-bit integer keys that carry each value's order in their high bits and its index
    in the low ``ceil(log2 n)`` bits (:func:`symkde.numeric.compiled.sort_keys`): NumPy sorts
    integers
    about 3x faster than ``np.argsort`` sorts floats.  Keys that agree above the index bits
    (values within ``n 2^-52`` relative of each other) are then re-sorted by value
    (:func:`symkde.numeric.compiled.order_from_keys`), or, when there are many, ``np.argsort`` sorts
    instead; ``prepare`` checks the result once more.
    """
    n = values.size
    if n < 2:
        return np.arange(n, dtype=np.int64)
    from symkde.numeric import compiled as _fast  # compiled on first use (numba)

    bits = (n - 1).bit_length()
    keys = _scratch("keys", n, np.int64)
    _fast.sort_keys(values, bits, keys)
    keys.sort()
    order = np.empty(n, dtype=np.int64)
    if not _fast.order_from_keys(keys, values, bits, order):
        return np.argsort(values)
    return order


@_quiet
def _laplace_fast(
    lw: FloatArray, x: FloatArray, a: float, b: float, h: float, with_grad: bool
) -> tuple[float, FloatArray | None] | None:
    """``(L, dL/dz)`` for Laplace on the line by the compiled loops of
    :mod:`symkde.numeric.compiled`.

    ``lw`` must be finite (the caller drops masked points).  Only the points strictly inside
    ``(a, b)`` are sorted; the points at or beyond an end enter as one decayed log-mass per
    side (a log-sum-exp), and each one's responsibility is that side's sum decayed to it, in
    log space.  The sums run in linear space on weights scaled by ``e^{-c}``, ``c`` the
    largest of the inside log-weights and the two outside log-masses.  Returns None (the
    caller then takes the log-space scans) unless that is safe:

    every inside ``log w - c`` and each outside ``log M - c`` (when there are such points) is
    at least ``-500``, and ``(b - a)/h <= 1e15``.  Then every segment's ``B`` and ``A`` is
    0 exactly (no points on that side) or at least ``e^{-500}`` (each includes its nearest
    point undecayed) and at most ``n``; all that underflow can lose is below ``n 2^-1074``,
    a relative ``1e-100`` of the smallest mass; and each responsibility integral is at most
    ``d/B <= 1e15 e^{500}`` (``int_0^d e^{-s}/(B e^{-s} + ..) ds <= d/B``), so the block
    sums of :func:`symkde.numeric.compiled.decayed_sums` (terms scaled by at most ``e^16``, at most
    ``2^31`` of them) stay below ``1e245``: nothing overflows.

    Rounding: each term's decay is two exponentials of exact offsets (no product of per-step
    decays), so its relative error is a few ulps; the sums add positive terms; segments up
    to 0.1 bandwidths use the midpoint series of theorem ``laplace_short_segment``
    (truncation below 2e-20 d), longer ones the dilogarithm forms.
    """
    from symkde.numeric import (
        compiled as _fast,  # compiled on first use (numba): importing symkde stays light
    )

    span = b - a
    if span / h > _FAST_MAX_SPAN:
        return None
    n = x.size
    m, n_left, near_left, near_right = _fast.count_sides(x, a, b)
    pairs = _scratch("pairs", 2 * n).reshape(n, 2)
    if m == n:  # every point inside: no partition needed
        index, inside = _NO_INDEX, x
        pairs[:, 0], pairs[:, 1] = x, lw
    else:
        index = _scratch("index", n, np.int64)
        _fast.partition(x, lw, a, b, h, m, n_left, near_left, near_right, index, pairs)
        inside = _scratch("inside", m)
        inside[:] = pairs[:m, 0]  # contiguous for the sort
    values, logs = pairs[:, 0], pairs[:, 1]
    inside = np.ascontiguousarray(inside)
    order = _sorting_permutation(inside)
    # The points at or beyond an end: log-weights decayed to the side's nearest point (t),
    # one log-sum-exp per side, then the decay from that point to the end; ``values`` there
    # becomes e^{t - peak}, reused for the gradient.
    sides = []
    for part, reach in (
        (slice(m, m + n_left), (a - near_left) / h),
        (slice(m + n_left, n), (near_right - b) / h),
    ):
        decayed = values[part]
        peak = float(decayed.max()) if decayed.size else -np.inf
        np.subtract(decayed, peak, out=decayed)
        np.exp(decayed, out=decayed)
        mass = peak + math.log(float(decayed.sum())) - reach if decayed.size else -np.inf
        sides.append((part, peak - reach, mass, reach))
    mass_left, mass_right = sides[0][2], sides[1][2]
    # One workspace, rows reused once spent, kept for the next call (see _scratch).
    work = _scratch("work", 9 * (m + 2)).reshape(9, m + 2)
    u, v, grow, shrink, gap, dist, left_sum, right_sum, log_int = work
    w = u[1 : m + 1]  # the log-weights, then (in place) the scaled weights
    if not _fast.prepare(pairs, order, a, b, h, w, dist, grow, gap):
        raise RuntimeError("internal: the sorting permutation does not sort (please report)")
    top = max(float(w.max()) if m else -np.inf, mass_left, mass_right)
    if not math.isfinite(top):  # no points at all
        return None
    floor = top - _FAST_LOG_FLOOR
    if m and float(w.min()) < floor:
        return None
    for _, _, mass, reach in sides:
        if floor > mass > -np.inf:
            return None
        # A side far beyond its end that still matters: its decay |a - x|/h is rounded to
        # ~eps |a - x|/h, and the log-space scans (TwoSum crossings) are more accurate there.
        if reach > _FAST_FAR and mass - top > _FAST_NEGLIGIBLE:
            return None
    # u: the masses placed at [a, xs..., b] for the left sums, v for the right sums.
    np.subtract(w, top, out=w)
    np.exp(w, out=w)
    u[0], u[m + 1] = math.exp(mass_left - top), 0.0
    v[1 : m + 1] = w
    v[0], v[m + 1] = 0.0, math.exp(mass_right - top)
    np.negative(grow, out=shrink)
    np.exp(shrink, out=shrink)
    np.exp(grow, out=grow)  # the offsets, then e^{offset}
    _fast.decayed_sums(grow, shrink, gap, u, v, left_sum, right_sum)
    # Segment k = [coords[k], coords[k + 1]]: B_k at its left end, A_k at its right end.
    left, right, dist = left_sum[:-1], right_sum[1:], dist[:-1]
    log_total = v[:-1]  # v is spent
    np.add(left, right, out=log_total)
    np.log(log_total, out=log_total)
    seg_log = log_int[:-1]
    _fast.short_log_integrals(dist, left, right, log_total, seg_log)
    long = np.flatnonzero(dist > _fast.SHORT_SEGMENT)
    if long.size:  # the dilogarithm forms, on the (few) long segments
        lB, lA, d_long = np.log(left[long]), np.log(right[long]), dist[long]
        s_cross = 0.5 * (lB - lA + d_long)
        seg_log[long] = laplace_segment_log_integral(lB, lA, d_long, s_cross)
    value = float(np.log(2.0 * h) - top - h * np.sum(seg_log) / span)
    if not with_grad:
        return value, None
    # J-_k = int e^{-s}/(..) placed at segment k's left end, J+_k at its right end.
    resp_minus, resp_plus = v, log_int  # both spent
    resp_minus[-1] = resp_plus[0] = 0.0
    _fast.short_resp_integrals(dist, left, right, resp_minus[:-1])
    _fast.short_resp_integrals(dist, right, left, resp_plus[1:])
    if long.size:
        log_minus, log_plus = laplace_segment_log_resp(lB, lA, d_long, s_cross)
        resp_minus[long], resp_plus[long + 1] = np.exp(log_minus), np.exp(log_plus)
    # Point k (coordinate k + 1) sees segment j >= k + 1 through e^{-(coords[j] - x_k)/h} J-_j
    # and segment j <= k through e^{-(x_k - coords[j + 1])/h} J+_j: a right sum of J- and a
    # left sum of J+.  dL/dz_k = W_k - (h/(b-a)) w_k (P + Q), with W = e^c w the real weight.
    from_left, from_right = left_sum, right_sum  # B and A are spent
    _fast.decayed_sums(grow, shrink, gap, resp_plus, resp_minus, from_left, from_right)
    gradient = np.empty_like(x)
    scale = h / span
    _fast.scatter_gradient(index, order, w, from_left, from_right, math.exp(top), scale, gradient)
    # A point beyond an end: W - (h/(b-a)) e^{t - c} (that side's sum of J decayed to the
    # end), t its decayed log-weight: e^{t - c} = e^{t - peak} e^{peak - c}.
    for (part, peak, _, _), outer in zip(sides, (from_right[0], from_left[-1]), strict=True):
        if part.stop > part.start:
            own = logs[part]
            np.exp(own, out=own)
            factor = math.exp(peak - top + math.log(scale * outer))
            _fast.scatter_outside(index[part], own, values[part], factor, gradient)
    return value, gradient


def _drop_artefacts(
    kernel: str, lo: FloatArray, hi: FloatArray, bad: NDArray[np.bool_], b: float, h: float
) -> FloatArray:
    """Segment lengths with the ``bad`` ones (rounding artefacts of the shift) set to 0.

    Each endpoint ``x - a +- h`` is off by at most 2 ulps of ``b + 2h`` (the points that reach
    the target lie within ``h`` of it), so an artefact is narrower than 8 of them; a wider
    uncovered segment contradicts the caller's ``covered`` and raises.
    """
    length = hi - lo
    limit = 8.0 * np.spacing(b + 2.0 * h)
    if np.any(length[bad] > limit):
        lo_bad, hi_bad = _uncovered_run(lo, hi, bad)
        raise RuntimeError(
            f"exact {kernel}: [{lo_bad}, {hi_bad}] (shifted by -a) is uncovered, wider than "
            f"rounding ({limit:.3g}), on a target the input coordinates cover"
        )
    return np.where(bad, 0.0, length)


def _uncovered_run(lo: FloatArray, hi: FloatArray, bad: NDArray[np.bool_]) -> tuple[float, float]:
    """The first maximal run of uncovered segments, as ``(lo, hi)``."""
    first = int(np.argmax(bad))
    stop = first + int(np.argmin(bad[first:])) if not bad[first:].all() else bad.size
    return float(lo[first]), float(hi[stop - 1])


def _boxcar(
    lws: FloatArray,
    xs: FloatArray,
    b: float,
    h: float,
    with_grad: bool,
    log_norm: float | None = None,
    log_floor: float = -np.inf,
    floor_items: NDArray[np.bool_] | None = None,
    covered: bool = False,
) -> tuple[float | tuple[float, float], FloatArray | None]:
    """Coordinates shifted so that ``a = 0``; ``p`` is constant on each segment.

    ``p = (e^{log_floor} + sum_j w_j 1[|t - x_j| <= h]) / e^{log_norm}`` (default: no floor,
    ``log_norm = log 2h``); the circle passes the full turns of a wide wrapped box as the
    floor, each point's kernel being ``(floor + its indicator) / e^{log_norm}``; its
    ``w_i floor int 1/mass`` is added to the items marked in ``floor_items`` (one image of
    each point).  ``covered`` as in :func:`exact_loss_grad`.
    """
    xm, xp = xs - h, xs + h
    knots = _knots(np.concatenate((xm, xp)), 0.0, b)
    lo, hi = knots[:-1], knots[1:]
    mid = 0.5 * (lo + hi)
    first = np.searchsorted(xp, hi, side="left")  # x_j + h >= hi
    stop = np.searchsorted(xm, lo, side="right")  # x_j - h <= lo
    (log_mass,), _ = _window_reduce((lws,), xs, first, stop, mid, 2.0 * h, _lse_combine)
    log_mass = _logaddexp(log_mass, np.full_like(log_mass, log_floor))
    bad = log_mass == -np.inf
    length = hi - lo
    if bad.any():
        if not covered:
            return _uncovered_run(lo, hi, bad), None
        length = _drop_artefacts("boxcar", lo, hi, bad, b, h)
        log_mass = np.where(bad, 0.0, log_mass)  # any finite value: its length is 0
    if log_norm is None:
        log_norm = float(np.log(2.0 * h))
    value = float(log_norm - np.sum(length * log_mass) / b)
    if not with_grad:
        return value, None
    # int R_i = w_i sum_{segments k in supp(i)} len_k / mass_k
    seg_first = np.searchsorted(lo, xm, side="left")
    seg_stop = np.searchsorted(hi, xp, side="right")
    (log_sum,), _ = _window_reduce(
        (np.log(length) - log_mass,), mid, seg_first, seg_stop, xs, 2.0 * h, _lse_combine
    )
    if log_floor > -np.inf and floor_items is not None:  # + w_i floor int 1/mass
        everywhere = float(_logsumexp(np.log(length) - log_mass)) + log_floor
        log_sum = _logaddexp(log_sum, np.where(floor_items, everywhere, -np.inf))
    return value, lws + log_sum


def _triangle(
    lws: FloatArray,
    xs: FloatArray,
    b: float,
    h: float,
    with_grad: bool,
    log_norm: float | None = None,
    log_floor: float = -np.inf,
    floor_items: NDArray[np.bool_] | None = None,
    covered: bool = False,
) -> tuple[float | tuple[float, float], FloatArray | None]:
    """Coordinates shifted so that ``a = 0``; ``h^2 p`` is linear on each segment.

    Rising points (``x_j - h <= lo``, ``x_j >= hi``) contribute ``w_j (t - (x_j - h))``,
    falling points (``x_j <= lo``, ``x_j + h >= hi``) ``w_j (x_j + h - t)``.  ``log_norm``
    (default ``2 log h``) and ``log_floor`` (a constant added to ``h^2 p``) as in
    :func:`_boxcar`; ``covered`` as in :func:`exact_loss_grad`.
    """
    xm, xp = xs - h, xs + h
    knots = _knots(np.concatenate((xm, xs, xp)), 0.0, b)
    lo, hi = knots[:-1], knots[1:]
    mid = 0.5 * (lo + hi)
    none = np.full_like(lws, -np.inf)
    rise, rise_empty = _window_reduce(
        (lws, none, xm),
        xm,
        np.searchsorted(xs, hi, side="left"),
        np.searchsorted(xm, lo, side="right"),
        mid - 0.5 * h,
        h,
        _moment_right,
    )
    fall, fall_empty = _window_reduce(
        (lws, none, xp),
        xp,
        np.searchsorted(xp, hi, side="left"),
        np.searchsorted(xs, lo, side="right"),
        mid + 0.5 * h,
        h,
        _moment_left,
    )
    bad = (rise_empty | (rise[0] == -np.inf)) & (fall_empty | (fall[0] == -np.inf))
    bad &= log_floor == -np.inf
    length = hi - lo
    if bad.any():
        if not covered:
            return _uncovered_run(lo, hi, bad), None
        length = _drop_artefacts("triangle", lo, hi, bad, b, h)

    def log_h2p(t: FloatArray) -> FloatArray:
        up = _logaddexp(rise[1], rise[0] + np.log(t - rise[2]))
        down = _logaddexp(fall[1], fall[0] + np.log(fall[2] - t))
        sides = _logaddexp(np.where(rise_empty, -np.inf, up), np.where(fall_empty, -np.inf, down))
        return _logaddexp(sides, np.full_like(sides, log_floor))

    l0, l1 = log_h2p(lo), log_h2p(hi)
    if bad.any():  # any finite values: their segments have length 0
        l0, l1 = np.where(bad, 0.0, l0), np.where(bad, 0.0, l1)
    if log_norm is None:
        log_norm = float(2.0 * np.log(h))
    value = float(log_norm - np.sum(length * log_linear_mean(l0, l1)) / b)
    if not with_grad:
        return value, None
    # Per segment: J0 = int dt/(h^2 p), J_lo = int (t - lo)/(h^2 p), J_hi = int (hi - t)/(h^2 p).
    log_j0, log_js, log_j1ms = reciprocal_linear_integrals(l0, l1)
    log_len = np.log(length)
    log_j0 = log_j0 + log_len
    log_jlo, log_jhi = log_js + 2 * log_len, log_j1ms + 2 * log_len
    # Rising point i: sum over segments in [x_i - h, x_i] of J_lo + (lo - (x_i - h)) J0.
    up, up_empty = _window_reduce(
        (log_j0, log_jlo, lo),
        lo,
        np.searchsorted(lo, xm, side="left"),
        np.searchsorted(hi, xs, side="right"),
        xs - 0.5 * h,
        h,
        _moment_left,
    )
    shift_up = up[2] - xm
    up_total = np.where(shift_up > 0, _logaddexp(up[1], up[0] + np.log(shift_up)), up[1])
    # Falling point i: sum over segments in [x_i, x_i + h] of J_hi + ((x_i + h) - hi) J0.
    down, down_empty = _window_reduce(
        (log_j0, log_jhi, hi),
        hi,
        np.searchsorted(lo, xs, side="left"),
        np.searchsorted(hi, xp, side="right"),
        xs + 0.5 * h,
        h,
        _moment_right,
    )
    shift_down = xp - down[2]
    down_total = np.where(
        shift_down > 0, _logaddexp(down[1], down[0] + np.log(shift_down)), down[1]
    )
    total = _logaddexp(
        np.where(up_empty, -np.inf, up_total), np.where(down_empty, -np.inf, down_total)
    )
    if log_floor > -np.inf and floor_items is not None:  # + w_i floor int 1/P
        everywhere = float(_logsumexp(log_j0)) + log_floor
        total = _logaddexp(total, np.where(floor_items, everywhere, -np.inf))
    return value, lws + total
