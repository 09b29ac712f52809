"""Per-segment closed forms of the exact method and the stable pieces they are built from.

Owns the float64 elementary pieces (:func:`_logaddexp`, :func:`_logsumexp`, softplus and
``log(e^v - 1)`` forms, the half dilogarithm :func:`_half_dilog`), the :func:`_quiet` wrapper
that silences NumPy's warnings inside masked closed forms, and the segment integrals of
:mod:`symkde.numeric.exact`: :func:`laplace_segment_log_integral`,
:func:`laplace_segment_log_resp`, :func:`log_linear_mean`, :func:`reciprocal_linear_integrals`
(each checked term by term against :mod:`symkde.theorems.closed_forms` at 50 digits by
``tests/test_exact.py``).  Imports NumPy and the generated ``laplace_forms`` only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symkde.numeric._generated import laplace_forms as _forms

__all__ = [
    "laplace_segment_log_integral",
    "laplace_segment_log_resp",
    "log_linear_mean",
    "log_reciprocal_factor",
    "reciprocal_linear_integrals",
]

FloatArray = NDArray[np.float64]


_LOG2 = float(np.log(2.0))


#: Below this ``D`` the reciprocal-linear integrals use their power series in ``q = 1 - e^{-D}``
#: (the closed forms cancel like ``2 / D``); 26 terms reach ``q**26 < 1e-17`` at ``D = 0.25``.
_SERIES_D = 0.25


_SERIES_TERMS = 26


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
def log_reciprocal_factor(gap: FloatArray) -> FloatArray:
    """``log(D/q)``, ``q = 1 - e^{-D}``, for the gaps ``D >= 0`` between the log ends of a
    linear ``P`` (0 at ``D = 0``): ``int_0^1 ds/P = e^{-max} D/q`` (theorem
    ``triangle_resp_integrals``; the ``log_j0`` of :func:`reciprocal_linear_integrals` but
    for ``max``, formed as one quotient).

    >>> gap = np.array([1e-8, 2.0, 700.0])
    >>> expected = reciprocal_linear_integrals(-gap, np.zeros(3))[0]  # max = 0
    >>> bool(np.allclose(log_reciprocal_factor(gap), expected, rtol=1e-15, atol=1e-14))
    True
    >>> log_reciprocal_factor(np.array([0.0])).tolist()
    [0.0]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(gap > 0.0, gap / -np.expm1(-gap), 1.0)
    return np.log(factor)  # type: ignore[no-any-return]


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
