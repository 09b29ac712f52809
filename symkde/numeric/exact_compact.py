"""The exact boxcar and triangle losses on the line: window sums of the covering supports.

Owns :func:`_boxcar` and :func:`_triangle` (the segments between ``a``, every ``x_j +- h``
and, for the triangle, every ``x_j``; the points whose support covers a segment summed by
:func:`symkde.numeric.scans._window_reduce`), the circle's constant floor of wide kernels
(``floor_items``), and what an uncovered segment means (:func:`_uncovered_run`; rounding
artefacts of a covered target dropped by :func:`_drop_artefacts`).  Imports NumPy,
:mod:`symkde.numeric.scans` and :mod:`symkde.numeric.segment_forms` only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from symkde.numeric.scans import _knots, _lse_combine, _moment_left, _moment_right, _window_reduce
from symkde.numeric.segment_forms import (
    _logaddexp,
    _logsumexp,
    log_linear_mean,
    reciprocal_linear_integrals,
)

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------------------------
# The two compact kernels.  Each returns (loss, log int R_i per sorted point) or
# ((lo, hi), None) for an uncovered sub-interval.


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
