"""Exact triangle and boxcar derivatives in ``O(n log n)``: log-space window sums, no subtraction.

Owns :func:`triangle_position_bandwidth` (``dL/dx_j`` and ``dL/dh`` of the triangle kernel,
method exact/auto and the quadrature's route, line and circle through the images on the
line) and :func:`boxcar_jumps` (the boxcar's jump terms at the support edges inside the
target).  The direct forms of :mod:`symkde.numeric.derivative_triangle` (``O(n * segments)``)
compute the same numbers and are the tests' independent check.

Triangle.  Inside ``x_j``'s support ``(d/du log K)(u) = -sign(u)/(h - |u|)``, so with
``p`` linear between the sorted kinks ``x_k``, ``x_k +- h`` (and ``a``, ``b``)::

    dL/dx_j = S_j/(h^2 (b-a)) [sum_{segments in (x_j-h, x_j)} V - sum_{segments in (x_j, x_j+h)} V]
    (1/(b-a)) int sum_j R_j d/dh log K = (1/(b-a)) sum_j S_j/h^2 (both sums) - 2/h

with ``V = int_segment 1/p = L (log p1 - log p0)/(p1 - p0)``.  With logits ``+-700`` the
``V`` span ``e^1400`` (beyond float64) and prefix sums would cancel, so each half-support's
sum is a window reduction of ``log V`` (:func:`symkde.numeric.scans._window_reduce`, van Herk
/ Gil-Werman blocks: ``logaddexp`` of positive terms only), and ``log S_j`` is added after.
``p`` at each kink is a window reduction too: at ``t = q + s h`` (``q`` a point or an end,
``s`` in ``{-1, 0, 1}``) the points rising into ``t`` (``x_j`` in ``(t - h, t]``) give
``sum S_j (x_j - x_first) + (x_first - (t - h)) sum S_j`` and the falling ones likewise
(the moments of :func:`symkde.numeric.scans._moment_left` and ``_moment_right``, here on
compensated logs), all terms positive; which points are in a window is decided on the
exact positions ``q + c h`` (two-sum), and the one gap per window, ``x_first - (t - h)``,
is formed Sterbenz-exactly, so where a dominant support ends the remainder of the others
keeps its relative accuracy.  Every log in these chains is compensated (``hi + lo``, the
rounding of each ``logaddexp`` carried by two-sum): logs near ``+-700`` would otherwise
lose ulp(700) = 1e-13 at every level of the scans, and ``S_j`` times a half-support's sum,
``e^{log S_j + log sum V}``, cancels two such logs.
The log-weights are first measured from the heaviest point that reaches the target
(``S_j / p`` does not change), so a far heavier point out of reach costs nothing.

Boxcar.  The jump at an edge ``e = x_j +- h`` inside ``(a, b)`` is
``log(q + S_j/(2h)) - log q``, ``q`` the other supports closed at ``e``: the points with
``x_i`` in ``[x_j, x_j + 2h]`` (right edge; ``[x_j - 2h, x_j]`` left), decided exactly, less
``x_j`` itself: the window of sorted points on the far side of ``j`` and the points tied
with ``x_j`` on the near side (scans restarted per tie group).

Cost: a sort and a few ``O(n log n)`` scans.  Imports NumPy, :mod:`symkde.errors` and
:mod:`symkde.numeric.scans` / :mod:`symkde.numeric.segment_forms` (the segment's ``int 1/P``
of theorem ``triangle_resp_integrals``) and Knuth's two-sum of :mod:`symkde.numeric.angles`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from symkde.errors import UncoveredTargetError
from symkde.numeric.angles import two_sum as _two_sum
from symkde.numeric.scans import (
    _lse_combine,
    _prefix_scan,
    _suffix_scan,
    _window_reduce,
)
from symkde.numeric.segment_forms import _logaddexp, _softplus, log_reciprocal_factor

__all__ = ["boxcar_jumps", "triangle_log_density_step", "triangle_position_bandwidth"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def _search(xs: FloatArray, q: FloatArray, c: FloatArray, strict: bool) -> IntArray:
    """First index of the sorted ``xs`` with ``xs > q + c`` (``strict``) or ``>= q + c``,
    decided on the exact sum: ``q + c = v + e``; ``xs == v`` is above it iff ``e < 0``."""
    v, e = _two_sum(q, c)
    right = np.searchsorted(xs, v, side="right")
    left = np.searchsorted(xs, v, side="left")
    at_v_above = (e < 0.0) | ((e == 0.0) & (not strict))  # does xs == v count?
    return np.where(at_v_above, left, right)


def _lse2_combine(left: tuple[FloatArray, ...], right: tuple[FloatArray, ...]):  # type: ignore[no-untyped-def]
    """``log(e^A + e^B)`` on compensated logs ``(hi, lo)``, ``A = hi + lo``: the rounding of
    ``top + log1p(e^-d)`` is carried in ``lo`` (two-sum), so a chain of combines of values
    near ``+-700`` keeps ~ulp(1) instead of losing ulp(700) = 1e-13 at every level."""
    (ha, la), (hb, lb) = left, right
    first = ha >= hb
    th, tl = np.where(first, ha, hb), np.where(first, la, lb)
    oh, ol = np.where(first, hb, ha), np.where(first, lb, la)
    with np.errstate(invalid="ignore"):
        d = (oh - th) + (ol - tl)  # <= 0; oh - th Sterbenz-exact where it matters
        hi, err = _two_sum(th, np.log1p(np.exp(d)))
    empty = th == -np.inf
    return np.where(empty, -np.inf, hi), np.where(empty, 0.0, err + tl)


def _gap(x: FloatArray, q: FloatArray, c: FloatArray) -> FloatArray:
    """``x - q + c`` to a few ulps of itself (``>= 0`` where exactly so): the difference is
    carried by two-sum, ``c + d`` is Sterbenz-exact where it cancels (``c``: 0, h or 2h)."""
    d, err = _two_sum(x, -q)
    return np.maximum((c + d) + err, 0.0)


def _finite_lo(hi: FloatArray, lo: FloatArray) -> tuple[FloatArray, FloatArray]:
    """A compensated log with ``lo = -inf`` (a zero factor) written as ``(-inf, 0)``."""
    zero = lo == -np.inf
    return np.where(zero, -np.inf, hi), np.where(zero, 0.0, lo)


def _moment2(right_end: bool):  # type: ignore[no-untyped-def]
    """:func:`symkde.numeric.scans._moment_left` (``right_end`` False) or ``_moment_right``
    on compensated logs: state ``(S_hi, S_lo, M_hi, M_lo, q)``."""

    def combine(left: tuple[FloatArray, ...], right: tuple[FloatArray, ...]):  # type: ignore[no-untyped-def]
        (sl, sll, ml, mll, ql), (sr, srl, mr, mrl, qr) = left, right
        s_hi, s_lo = _lse2_combine((sl, sll), (sr, srl))
        m_hi, m_lo = _lse2_combine((ml, mll), (mr, mrl))
        moved = (sl, sll) if right_end else (sr, srl)  # re-referenced to the kept end
        with np.errstate(divide="ignore"):
            shift = _finite_lo(moved[0], moved[1] + np.log(qr - ql))
        m_hi, m_lo = _lse2_combine((m_hi, m_lo), shift)
        return s_hi, s_lo, m_hi, m_lo, (qr if right_end else ql)

    return combine


_MOMENT2_LEFT = _moment2(False)
_MOMENT2_RIGHT = _moment2(True)


def _log_density_at(
    lws: FloatArray, xs: FloatArray, h: float, q: FloatArray, s: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``log p`` at the exact positions ``q + s h`` (``xs`` sorted, ``lws`` their log-weights),
    compensated: ``hi + lo`` (log values near ``-700`` keep ~ulp(1), not ulp(700))."""
    lower = _search(xs, q, (s - 1.0) * h, strict=True)  # x_j > t - h
    mid = _search(xs, q, s * h, strict=True)  # x_j > t: falling side starts
    upper = _search(xs, q, (s + 1.0) * h, strict=False)  # x_j >= t + h: outside
    none, zero = np.full_like(lws, -np.inf), np.zeros_like(lws)
    state = (lws, zero, none, zero, xs)
    # empty halves combine -inf positions (nan, never selected): hence "invalid" ignored
    with np.errstate(divide="ignore", invalid="ignore"):
        (rs, rsl, rm, rml, first), rise_empty = _window_reduce(
            state, xs, lower, mid, q + (s - 0.5) * h, h, _MOMENT2_LEFT
        )
        (fs, fsl, fm, fml, last), fall_empty = _window_reduce(
            state, xs, mid, upper, q + (s + 0.5) * h, h, _MOMENT2_RIGHT
        )
        # rising: S_j (x_j - (t - h)) = S_j ((x_j - first) + (first - q + (1 - s) h))
        first = np.where(rise_empty, q, first)
        lift = _finite_lo(rs, rsl + np.log(_gap(first, q, (1.0 - s) * h)))
        up = _lse2_combine((rm, rml), lift)
        # falling: S_j ((t + h) - x_j) = S_j ((last - x_j) + (q - last + (1 + s) h))
        last = np.where(fall_empty, q, last)
        drop = _finite_lo(fs, fsl + np.log(_gap(q, last, (1.0 + s) * h)))
        down = _lse2_combine((fm, fml), drop)
        up = (np.where(rise_empty, -np.inf, up[0]), np.where(rise_empty, 0.0, up[1]))
        down = (np.where(fall_empty, -np.inf, down[0]), np.where(fall_empty, 0.0, down[1]))
        hi, lo = _lse2_combine(up, down)
    return hi, lo - 2.0 * math.log(h)


class _Edges(NamedTuple):
    """The sorted distinct edges ``t + t_lo`` (exact) of the segments, ``log p`` at each, and
    the edge of every kink ``x_k + s h`` (index ``(s + 1) k + j`` in the sorted points)."""

    t: FloatArray
    t_lo: FloatArray
    log_p: FloatArray
    log_p_lo: FloatArray  # log p = log_p + log_p_lo (compensated)
    kink_edge: IntArray


def _triangle_edges(lws: FloatArray, xs: FloatArray, a: float, b: float, h: float) -> _Edges:
    """The edges of the sorted points ``xs``; raises :class:`symkde.UncoveredTargetError`
    where ``p`` vanishes at one."""
    k = xs.size
    shifts = np.repeat(np.array([-1.0, 0.0, 1.0]), k)
    base, offset = np.tile(xs, 3), shifts * h
    kinks, kinks_lo = _two_sum(base, offset)  # kinks + kinks_lo == x_k + s h exactly
    inside = (kinks > a) & (kinks < b)
    t = np.concatenate(([a], kinks[inside], [b]))
    t_lo = np.concatenate(([0.0], kinks_lo[inside], [0.0]))
    q = np.concatenate(([a], base[inside], [b]))
    shift = np.concatenate(([0.0], shifts[inside], [0.0]))
    order_t = np.lexsort((t_lo, t))
    t, t_lo, q, shift = t[order_t], t_lo[order_t], q[order_t], shift[order_t]
    # one edge per distinct exact position (a kink within an ulp of another bounds a segment
    # whose length is known only from the exact positions)
    first = np.concatenate(([True], (t[1:] > t[:-1]) | (t_lo[1:] > t_lo[:-1])))
    edge_sorted = np.cumsum(first) - 1
    t, t_lo, q, shift = t[first], t_lo[first], q[first], shift[first]
    edge_of = np.empty(edge_sorted.size, dtype=np.intp)
    edge_of[order_t] = edge_sorted
    kink_edge = np.where(kinks <= a, 0, t.size - 1)
    kink_edge[inside] = edge_of[1:-1]
    lp, lp_lo = _log_density_at(lws, xs, h, q, shift)
    if not np.isfinite(lp).all():
        zero = float(t[np.flatnonzero(~np.isfinite(lp))[0]])
        raise UncoveredTargetError((zero, zero))
    return _Edges(t, t_lo, lp, lp_lo, kink_edge)


def triangle_log_density_step(
    log_w: FloatArray, x: FloatArray, a: float, b: float, h: float
) -> float:
    """The largest ``|log p(t1) - log p(t0)|`` over the segments between kinks: ``1/p``'s
    peak over its ends on a segment where ``p`` is linear (adaptive panels need about
    ``log2`` of its exponential in bisections, and stall far sooner)."""
    order = np.argsort(x, kind="stable")
    edges = _triangle_edges(log_w[order], x[order], a, b, h)
    lp = edges.log_p + edges.log_p_lo
    return float(np.abs(np.diff(lp)).max()) if lp.size > 1 else 0.0


def triangle_position_bandwidth(
    log_w: FloatArray, x: FloatArray, a: float, b: float, h: float
) -> tuple[FloatArray, float]:
    """``((1/(b-a)) int R_j (log K)'  per point, (1/(b-a)) int sum_j R_j d/dh log K)``.

    Same arguments, results and errors as
    :func:`symkde.numeric.derivative_triangle.triangle_position_bandwidth`, in ``O(n log n)``.
    """
    k = x.size
    order = np.argsort(x, kind="stable")
    xs, lws = x[order], log_w[order]
    # S_j / p is unchanged by a common factor of the weights: measure the log-weights from the
    # largest that reaches the target (a point far heavier but out of reach, logits +-700,
    # would leave every log value near -700, where each rounding costs ulp(700) = 1e-13)
    reach = (xs + h > a) & (xs - h < b)
    if reach.any():
        lws = lws - lws[reach].max()
    t, t_lo, lp, lp_lo, kink_edge = _triangle_edges(lws, xs, a, b, h)
    length = np.diff(t) + np.diff(t_lo)  # Sterbenz-exact where edges are close
    step = (lp[1:] - lp[:-1]) + (lp_lo[1:] - lp_lo[:-1])  # Sterbenz where it matters
    right = step >= 0.0  # the larger end, on the compensated values (lo is not small)
    top = np.where(right, lp[1:], lp[:-1])
    top_lo = np.where(right, lp_lo[1:], lp_lo[:-1])
    gap = np.abs(step)
    # log int_segment 1/p, compensated: log_v + log_v_lo (-top exact, the rest near 0)
    log_v, log_v_lo = _two_sum(-top, (np.log(length) + log_reciprocal_factor(gap)) - top_lo)
    # segments of x_j's rising half [edge(x_j - h), edge(x_j)) and falling half
    e_minus, e_zero, e_plus = kink_edge[:k], kink_edge[k : 2 * k], kink_edge[2 * k :]
    starts = t[:-1]
    state = (log_v, log_v_lo)
    rising, _ = _window_reduce(state, starts, e_minus, e_zero, xs - 0.5 * h, h, _lse2_combine)
    falling, _ = _window_reduce(state, starts, e_zero, e_plus, xs + 0.5 * h, h, _lse2_combine)
    log_h2 = 2.0 * math.log(h)
    # int S_j/(h^2 p) <= int 1/(h - |u|): never overflows; lws + hi cancels Sterbenz-exactly
    with np.errstate(invalid="ignore"):  # empty half: -inf + -inf
        up = np.exp((lws + rising[0]) + (rising[1] - log_h2))
        down = np.exp((lws + falling[0]) + (falling[1] - log_h2))
    d_x = np.empty(k)
    d_x[order] = (up - down) / (b - a)
    return d_x, float(np.sum(up) + np.sum(down)) / (b - a) - 2.0 / h


def boxcar_jumps(
    log_w: FloatArray, x: FloatArray, a: float, b: float, h: float
) -> tuple[FloatArray, float]:
    """Jump terms of the boxcar: ``(d/dx_j, d/dh)`` of ``int log p`` from the moving edges.

    At the right edge ``e = x_j + h`` (inside ``(a, b)``) the density drops by ``S_j/(2h)``:
    ``l_R = log(q + S_j/(2h)) - log q`` with ``q`` the other supports at ``e`` (closed); at the
    left edge ``x_j - h`` it rises by as much (``l_L``).  Moving ``x_j`` moves both edges
    (``+l_R - l_L``), widening ``h`` moves them apart (``+l_R + l_L``).
    """
    k = x.size
    order = np.argsort(x, kind="stable")
    xs, lws = x[order], log_w[order]
    here = np.arange(k)
    # points tied with x_j on either side of j in the sorted order (restarted per tie group)
    group = np.concatenate(([0], np.cumsum(xs[1:] != xs[:-1])))
    (tie_prefix,) = _prefix_scan((lws,), _lse_combine, group)
    (tie_suffix,) = _suffix_scan((lws,), _lse_combine, group)
    same_before = np.concatenate(([False], group[1:] == group[:-1]))
    same_after = np.concatenate((group[:-1] == group[1:], [False]))
    ties_before = np.where(same_before, np.roll(tie_prefix, 1), -np.inf)
    ties_after = np.where(same_after, np.roll(tie_suffix, -1), -np.inf)
    d_x = np.zeros(k)
    d_h = 0.0
    for sign in (1.0, -1.0):
        edge, _ = _two_sum(xs, np.full(k, sign * h))
        inside = (edge > a) & (edge < b)
        # the other supports closed at x_j + sign h: x_i in [x_j, x_j + 2h] (sign +1) or
        # [x_j - 2h, x_j] (sign -1), ends decided exactly.  The window on the far side of j
        # touches j and so the block cut (a window of _window_reduce must contain its cut);
        # the points tied with x_j on the near side come from the tie scans.
        if sign > 0:
            far = _search(xs, xs, np.full(k, 2.0 * h), strict=True)
            window, _ = _window_reduce((lws,), xs, here + 1, far, xs + h, 2.0 * h, _lse_combine)
            near = ties_before
        else:
            far = _search(xs, xs, np.full(k, -2.0 * h), strict=False)
            window, _ = _window_reduce((lws,), xs, far, here, xs - h, 2.0 * h, _lse_combine)
            near = ties_after
        with np.errstate(invalid="ignore"):  # no other support: log q = -inf, jump inf
            log_q = _logaddexp(window[0], near)  # log sum S_i over the others (2h cancels)
            jumps = np.where(inside, _softplus(lws - log_q), 0.0)  # ~1400 at logits +-700
        d_x[order] += sign * jumps
        d_h += float(np.sum(jumps))
    return d_x, d_h
