"""The numeric API: loss and gradient of the softmax-KDE cross-entropy in float64.

Everything here runs on NumPy and the generated kernels (``symkde/numeric/_generated``); importing
it never imports SymPy.  The formulas are the theorems of ``symkde.theorems``
(``derivations/gradient.py`` walks through them):

* ``log p(t) = LogSumExp_j(log S_j + log K_h(t - x_j))`` with ``log S = log_softmax(z)``;
* ``L = -mean_t log p(t)`` over the target (midpoint bins, Gauss-Legendre nodes or a closed
  form), and ``dL/dz_i = S_i - mean_t R_i(t)`` with the responsibilities
  ``R_i(t) = S_i K_h(t - x_i) / p(t) = softmax_i(log S + log K_h(t - x))`` (theorem
  ``gradient``).

All of it is evaluated in log space.  A node ``t`` whose dominant term has a large
``|log K|`` (points hundreds of bandwidths away) is recomputed from the generated
*log-kernel ratios* ``log K(t - x_j) - log K(t - x_ref)``, which carry no cancellation, so
far-away points neither underflow nor lose digits.

Before anything else, positions are measured from ``a`` (on the circle: ``x - a`` taken
exactly, then whole turns off, :mod:`symkde.numeric.angles`), and whether compact kernels cover the
target is decided exactly on the caller's positions (:func:`_uncovered`).

>>> import numpy as np
>>> round(loss([0.0, 0.0], [0.0, 1.0], 0.0, 1.0), 12)  # mpmath: 1.1524753240992...
1.152475324099
>>> grad([0.0, 0.0], [0.0, 1.0], 0.0, 1.0).round(12)
array([0., 0.])
>>> loss([0.0], [5.0], 0.0, 1.0, kernel="boxcar")
inf
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symkde.errors import UncoveredTargetError
from symkde.numeric._generated.log_kernels import (
    KERNEL_INFO,
    LOG_KERNEL_RATIOS,
    LOG_KERNELS,
    WRAPPED_LOG_KERNELS,
)
from symkde.numeric.angles import TWO_PI, difference_turned, minus_turns, turns_to, two_sum
from symkde.numeric.batch import Batch, run
from symkde.numeric.validate import Problem

__all__ = ["QuadratureError", "grad", "loss", "loss_and_grad"]

FloatArray = NDArray[np.float64]

#: Elements per block of the (nodes x points) array: 2**16 float64 = 512 KiB stays in L2
#: cache, so the dozen passes over a block run at cache speed (benchmarks/bench_numeric.py).
_BLOCK_ELEMENTS = 1 << 16
#: A node is recomputed from log-kernel ratios when the dominant ``|log K|`` plus the spread of
#: log-weights exceeds this: rounding in ``log K`` is then ``> 32 * eps``, i.e. a few 1e-15 in
#: each responsibility (the contract allows 1e-12; the slow path keeps it near 1e-16).
_CAREFUL_LOG_KERNEL = 32.0
#: Gauss-Legendre order of one quadrature panel; each panel is compared with its two halves.
_GL_ORDER = 16
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_GL_ORDER)
#: Quadrature: a panel is accepted when whole and halves agree to this (relative for the loss,
#: absolute for the gradient, both scaled by the panel's share of [a, b]).
_QUAD_TOL = 1e-14
_QUAD_MAX_LEVELS = 60
#: A panel whose normalised error stops shrinking under halving (ratio >= 0.9) is at the
#: rounding floor of its integrand; it is accepted if that floor is below 1e-13 (the contract
#: is 1e-12).  Seen on the circle with h = 1e-3, where float64 angles carry ~ulp(2 pi)/h.
_QUAD_NOISE_FLOOR = 1e-13
_QUAD_STAGNATION = 0.9
#: A panel whose error estimate, in units of the loss (and of each mean responsibility), is
#: below this is accepted whatever its normalised error: next to the end of a compact
#: support ``h - |t - x|`` carries ~ulp(h) of absolute noise, which no halving removes.
#: Seen with triangle, two heavy points at ``a`` and a light one inside: panels of 1e-8 near
#: the support end kept a normalised error of ~4e-12 and refined until memory ran out.
#: Even 1e6 such panels add at most 1e-13.
_QUAD_ABS_FLOOR = 1e-19
_TWO_PI = TWO_PI
#: Image sums on the circle drop a tail below this, relative to the kernel's value.
_IMAGE_TAIL = 1e-17


class QuadratureError(RuntimeError):
    """The adaptive quadrature did not reach its tolerance (never returned silently)."""


@dataclass(frozen=True)
class _Mixture:
    """The unmasked points: their log-weights and positions, and where they sit in ``z``."""

    log_w: FloatArray
    x: FloatArray
    index: NDArray[np.intp]
    size: int  # n, masked points included
    kernel: str
    h: float
    circular: bool = False

    @functools.cached_property
    def weights_full(self) -> FloatArray:
        """``S = softmax(z)`` for all ``n`` points (0 where masked)."""
        weights = np.zeros(self.size)
        weights[self.index] = np.exp(self.log_w)
        return weights

    def scatter(self, values: FloatArray) -> FloatArray:
        """``values`` of the unmasked points placed in a length-``n`` array (0 elsewhere)."""
        if self.index.size == self.size:
            return values
        full = np.zeros(self.size)
        full[self.index] = values
        return full

    @property
    def log_w_spread(self) -> float:
        return float(self.log_w.max() - self.log_w.min())


def _mixture(problem: Problem) -> _Mixture:
    z = problem.z
    everywhere = bool(z.min() > -np.inf)  # validated: no NaN or +inf, only -inf masks
    finite = None if everywhere else np.isfinite(z)
    live_z = z if finite is None else z[finite]
    with np.errstate(over="ignore"):  # z = (1e308, -1e308): the difference is -inf, weight 0
        shifted = live_z - live_z.max()
    # np.sum sums pairwise: positive terms, relative error below (16 + log2 n) eps (8e-15 at
    # n = 1e6, far inside the 1e-12 contract), and 50x faster than math.fsum.
    log_w = shifted - math.log(float(np.sum(np.exp(shifted))))
    return _Mixture(
        log_w,
        problem.x if finite is None else problem.x[finite],
        np.arange(z.size) if finite is None else np.flatnonzero(finite),
        z.size,
        problem.kernel,
        problem.bandwidth,
        problem.circular,
    )


def image_count(kernel: str, h: float) -> int:
    """Images ``k = -K..K`` of ``sum_k K_h(r + 2 pi k)``, ``|r| <= pi``, that matter.

    Compact kernels: every image that can reach (exact).  Laplace and Gaussian: the smallest
    ``K`` whose dropped tail is below ``1e-17`` of the ``k = 0`` term, from the bound
    ``sum_{|k|>K} a_k <= 2 a_{K+1} / (1 - q)`` with ``a_k`` the largest possible value of the
    ``k``-th image (``|r + 2 pi k| >= (2|k| - 1) pi``) and ``q`` the ratio of its successors.

    >>> image_count("boxcar", 1.0), image_count("gaussian", 1.0), image_count("laplace", 1.0)
    (1, 2, 7)
    """
    if KERNEL_INFO[kernel]["compact"]:
        count = math.ceil((h + math.pi) / _TWO_PI)
        if count >= 1 << 20:
            raise ValueError(
                f"bandwidth: {h!r} needs more than 2**20 images on the circle; "
                "method='exact' has the closed form for any bandwidth"
            )
        return count
    log_tail_bound = math.log(_IMAGE_TAIL)
    for count in range(1, 1 << 20):
        nearest = (2 * count + 1) * math.pi  # distance of image count + 1, at worst
        if kernel == "gaussian":
            log_a = -(nearest**2 - math.pi**2) / (2 * h * h)  # relative to the k = 0 term
            log_q = -8 * (count + 1) * math.pi**2 / (2 * h * h)
        else:  # laplace
            log_a = -(nearest - math.pi) / h
            log_q = -_TWO_PI / h
        if math.log(2) + log_a - math.log(-math.expm1(log_q)) < log_tail_bound:
            return count
    raise ValueError(f"bandwidth: {h!r} needs more than 2**20 images on the circle")


def _wrap(angle: FloatArray) -> FloatArray:
    """``angle`` reduced to [-pi, pi] (the nearest image)."""
    return angle - _TWO_PI * np.round(angle / _TWO_PI)


def _log_kernel_values(mix: _Mixture, tb: FloatArray) -> FloatArray:
    """``log K_h(t - x_j)`` for a block of nodes, wrapped on the circle."""
    diff = np.subtract.outer(tb, mix.x)
    if not mix.circular:
        return LOG_KERNELS[mix.kernel](diff, mix.h)
    if mix.kernel in WRAPPED_LOG_KERNELS:
        return WRAPPED_LOG_KERNELS[mix.kernel](diff, mix.h)
    r = _wrap(diff)
    log_kernel = LOG_KERNELS[mix.kernel]
    total = log_kernel(r, mix.h)
    for k in range(1, image_count(mix.kernel, mix.h) + 1):
        np.logaddexp(total, log_kernel(r + k * _TWO_PI, mix.h), out=total)
        np.logaddexp(total, log_kernel(r - k * _TWO_PI, mix.h), out=total)
    return total


def _careful_logits(mix: _Mixture, tb: FloatArray, ref: NDArray[np.intp]) -> FloatArray:
    """``log w_j + log K(t - x_j) - (log w_ref + log K(t - x_ref))`` without cancellation.

    From the generated ratios ``log K(t - x) - log K(t - y)`` (``d = x - y``, ``s = x + y``
    formed first).  On the circle each point is moved to its nearest image and the image sum
    ``log sum_k K(t - x - 2 pi k)`` is taken over ratios, so nothing large is subtracted.
    """
    ratio = LOG_KERNEL_RATIOS[mix.kernel]
    t_col = tb[:, None]
    log_w_diff = mix.log_w - mix.log_w[ref][:, None]
    if not mix.circular or mix.kernel not in ("laplace", "gaussian"):
        return ratio(t_col, mix.x, mix.x[ref][:, None], mix.h) + log_w_diff
    x_near = t_col - _wrap(np.subtract.outer(tb, mix.x))  # nearest image of each point
    y_near = x_near[np.arange(tb.size), ref][:, None]
    num = ratio(t_col, x_near, y_near, mix.h)
    den = np.zeros_like(y_near)
    for k in range(1, image_count(mix.kernel, mix.h) + 1):
        for shift in (k * _TWO_PI, -k * _TWO_PI):
            np.logaddexp(num, ratio(t_col, x_near + shift, y_near, mix.h), out=num)
            np.logaddexp(den, ratio(t_col, y_near + shift, y_near, mix.h), out=den)
    return num - den + log_w_diff


def _blocks(mix: _Mixture, t: FloatArray, rows_multiple: int = 1) -> Iterator[tuple[slice, Any]]:
    """Yield ``(rows, (lse, E, esum))`` for blocks of nodes.

    ``lse[m] = log p(t_m)``; ``E[m, j] = exp(logit_j(t_m) - max_j logit_j(t_m))`` so that
    ``R[m, j] = E[m, j] / esum[m]``.  Rows where ``p = 0`` (a compact kernel that does not
    reach ``t_m``) have ``lse = -inf``, ``E = 0`` and ``esum = 0``.
    """
    info = KERNEL_INFO[mix.kernel]
    k = mix.x.shape[0]
    rows_per_block = max(
        rows_multiple, (_BLOCK_ELEMENTS // max(k, 1)) // rows_multiple * rows_multiple
    )
    spread = mix.log_w_spread
    for start in range(0, t.shape[0], rows_per_block):
        rows = slice(start, min(start + rows_per_block, t.shape[0]))
        tb = t[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            log_k = _log_kernel_values(mix, tb)
        logits = np.add(log_k, mix.log_w, out=log_k if log_k.flags.writeable else None)
        ref = np.argmax(logits, axis=1)
        top = logits[np.arange(tb.shape[0]), ref]
        covered = top > -np.inf
        logits -= np.where(covered, top, 0.0)[:, None]
        if info["stable_ratio"]:
            dominant_log_k = np.abs(top - mix.log_w[ref])
            careful = np.flatnonzero(covered & (dominant_log_k + spread > _CAREFUL_LOG_KERNEL))
            if careful.size:
                # numpy.select evaluates every branch: 0/0 in the unused one is harmless
                with np.errstate(invalid="ignore", divide="ignore"):
                    logits[careful] = _careful_logits(mix, tb[careful], ref[careful])
        np.exp(logits, out=logits)
        esum = logits.sum(axis=1)
        with np.errstate(divide="ignore"):
            lse = top + np.log(esum)
        yield rows, (lse, logits, esum)


def _images(mix: _Mixture, lo: float, hi: float) -> FloatArray:
    """Every position the points take that can matter on [lo, hi]: ``x_j`` on the line,
    ``x_j + 2 pi k`` for the ``k`` that reach [lo, hi] on the circle."""
    if not mix.circular:
        return mix.x
    return _image_owners(mix, lo, hi)[0]


def _image_owners(mix: _Mixture, lo: float, hi: float) -> tuple[FloatArray, NDArray[np.intp]]:
    """The circle's images ``x_j + 2 pi k`` that reach [lo, hi], and each one's point ``j``."""
    return _periodic_copies(mix.x, lo, hi)


def _periodic_copies(
    positions: FloatArray, lo: float, hi: float
) -> tuple[FloatArray, NDArray[np.intp]]:
    """``positions + 2 pi k`` within [lo, hi] (one more each side), and whose copy each is."""
    k_lo = np.floor((lo - positions) / _TWO_PI)
    k_hi = np.ceil((hi - positions) / _TWO_PI)
    counts = (k_hi - k_lo + 1).astype(np.intp)
    steps = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    turns = np.repeat(k_lo, counts) + steps
    # x + k (2 pi) with one rounding, and k = 0 exactly x: supports that touch on the arc
    # must still touch (a base x + k_lo 2 pi stepped back by 2 pi rounds twice)
    owners = np.repeat(np.arange(positions.size), counts)
    return np.repeat(positions, counts) + turns * _TWO_PI, owners


def _exceeds(p: FloatArray, q: FloatArray, bound: float) -> NDArray[np.bool_]:
    """``p - q > bound`` decided exactly (the difference as ``hi + lo`` by TwoSum)."""
    with np.errstate(over="ignore", invalid="ignore"):
        hi, lo = two_sum(p, -q)
    return (hi > bound) | ((hi == bound) & (lo > 0.0))


def _uncovered(mix: _Mixture, a: float, b: float) -> tuple[float, float] | None:
    """The first sub-interval of [a, b] of positive length where a compact kernel gives p = 0.

    Decided exactly on the positions (every support has the same half-width ``h``): a gap
    lies between sorted neighbours with ``x_{i+1} - x_i > 2h``, before the first if
    ``x_0 - a > h``, after the last if ``b - x_last > h``; supports that touch cover.  On the
    circle the positions are the images ``x + 2 pi k`` as floats (``x`` itself for ``k = 0``).
    The interval reported is rounded.
    """
    if not KERNEL_INFO[mix.kernel]["compact"]:
        return None
    if mix.circular and mix.h >= math.pi:
        return None  # every point's support is the whole circle
    h = mix.h
    centres = np.sort(_images(mix, a - h, b + h))
    centres = centres[~_exceeds(centres, np.full_like(centres, b), h)]  # x - h > b: beyond
    centres = centres[~_exceeds(np.full_like(centres, a), centres, h)]  # x + h < a: before
    if centres.size == 0:
        return (a, b)
    if _exceeds(centres[:1], np.array([a]), h)[0]:
        return (a, min(float(centres[0] - h), b))
    gaps = np.flatnonzero(_exceeds(centres[1:], centres[:-1], 2.0 * h))
    if gaps.size:
        g = int(gaps[0])
        return (max(float(centres[g] + h), a), min(float(centres[g + 1] - h), b))
    if _exceeds(np.array([b]), centres[-1:], h)[0]:
        return (max(float(centres[-1] + h), a), b)
    return None


def _if_uncovered(mix: _Mixture, a: float, b: float, with_grad: bool) -> tuple[float, None] | None:
    """``(inf, None)`` if the supports leave part of ``[a, b]`` uncovered (with the gradient:
    raises :class:`UncoveredTargetError`); None if they cover it.

    Decided exactly on the caller's positions (:func:`_uncovered`), for every method but
    ``bins`` alike, before any shift: a shift by ``a`` may round a gap of an ulp away, or open
    one between supports that touch.
    """
    gap = _uncovered(mix, a, b)
    if gap is None:
        return None
    if not with_grad:
        return math.inf, None
    raise UncoveredTargetError(gap)


def _raise_uncovered(mix: _Mixture, a: float, b: float, t_bad: float) -> None:
    gap = _uncovered(mix, a, b)
    if gap is None or not gap[0] <= t_bad <= gap[1]:
        gap = (t_bad, t_bad)  # a node exactly where a triangle kernel reaches zero
    raise UncoveredTargetError(gap)


def _finish(mix: _Mixture, neg_loss: float, mean_r: FloatArray) -> tuple[float, FloatArray]:
    gradient = mix.weights_full.copy()
    gradient[mix.index] -= mean_r
    return -neg_loss, gradient


def _bins(mix: _Mixture, problem: Problem, with_grad: bool) -> tuple[float, FloatArray | None]:
    m = problem.bins
    assert m is not None
    a, b = problem.a, problem.b
    t: FloatArray = a + (np.arange(m, dtype=np.float64) + 0.5) * ((b - a) / m)
    parts = []
    mean_r = np.zeros_like(mix.log_w)
    for rows, (lse, e, esum) in _blocks(mix, t):
        if not np.isfinite(lse).all():
            if not with_grad:
                return math.inf, None
            _raise_uncovered(mix, a, b, float(t[rows][np.argmin(np.isfinite(lse))]))
        parts.append(math.fsum(lse))
        if with_grad:
            mean_r += (1.0 / (m * esum)) @ e
    neg_loss = math.fsum(parts) / m
    if not with_grad:
        return -neg_loss, None
    return _finish(mix, neg_loss, mean_r)


def _upper_envelope_breaks(slopes: FloatArray, intercepts: FloatArray) -> FloatArray:
    """Abscissae where the argmax of the lines ``intercepts + slopes * t`` changes."""
    order = np.lexsort((intercepts, slopes))
    hull_s: list[float] = []
    hull_c: list[float] = []
    for s_j, c_j in zip(slopes[order].tolist(), intercepts[order].tolist(), strict=True):
        if hull_s and hull_s[-1] == s_j:
            hull_s.pop()  # same slope: the later one has the larger intercept
            hull_c.pop()
        while len(hull_s) >= 2:
            # the middle line is never on top if the outer two meet above it
            s1, c1, s2, c2 = hull_s[-2], hull_c[-2], hull_s[-1], hull_c[-1]
            if (c1 - c_j) * (s2 - s1) <= (c1 - c2) * (s_j - s1):
                hull_s.pop()
                hull_c.pop()
            else:
                break
        hull_s.append(s_j)
        hull_c.append(c_j)
    s_arr, c_arr = np.array(hull_s), np.array(hull_c)
    return (c_arr[:-1] - c_arr[1:]) / (s_arr[1:] - s_arr[:-1])


def _dominance_switches(mix: _Mixture, a: float, b: float) -> tuple[FloatArray, FloatArray]:
    """Where the dominant term of the mixture changes inside [a, b], and how sharply.

    Returns ``(points, widths)``: the responsibilities switch over about ``width`` around each
    point.  Gaussian: ``log w_j - (t - x_j)^2 / 2h^2`` is, up to a term common to all ``j``,
    a line in ``t``; the switches are the breaks of the upper envelope of those lines, and
    two points ``x_i, x_j`` trade places within ``h^2 / |x_i - x_j|``.  Laplace: between
    consecutive points the best left and best right terms meet once, over a width ``h``.
    """
    empty = np.empty(0)
    if mix.circular:
        return _circle_switches(mix, a, b)
    if mix.x.size < 2 or mix.kernel not in ("laplace", "gaussian"):
        return empty, empty
    centre = 0.5 * (a + b)
    xc = mix.x - centre  # centred, so intercepts stay small where it matters
    if mix.kernel == "gaussian":
        inv = 1.0 / mix.h**2
        breaks = _upper_envelope_breaks(xc * inv, mix.log_w - 0.5 * xc * xc * inv)
        order = np.argsort(xc)
        gaps = np.diff(xc[order])
        spacing = gaps[gaps > 0].min() if (gaps > 0).any() else 1.0
        # the sharpest possible switch is between the two closest distinct points' images
        widths = np.full(breaks.shape, mix.h**2 / max(np.abs(xc).max() * 2, spacing))
        points = breaks + centre
    else:
        order = np.argsort(xc)
        xs, ws = xc[order], mix.log_w[order]
        left_best = np.maximum.accumulate(ws + xs / mix.h)[:-1]
        right_best = np.maximum.accumulate((ws - xs / mix.h)[::-1])[::-1][1:]
        t_star = 0.5 * mix.h * (left_best - right_best)
        inside = (t_star > xs[:-1]) & (t_star < xs[1:])
        points = t_star[inside] + centre
        widths = np.full(points.shape, mix.h)
    keep = (points > a) & (points < b)
    return points[keep], widths[keep]


#: Von Mises switches are found exactly among all pairs of points, up to this many points.
_VONMISES_PAIRS_MAX = 256


def _circle_switches(mix: _Mixture, a: float, b: float) -> tuple[FloatArray, FloatArray]:
    """Dominance switches on the arc ``[a, b]`` of a wrapped kernel.

    The wrapped Gaussian and Laplace densities are the line densities of the images
    ``x_j + 2 pi k``, so their switches are those of the line mixture of every image within
    ``pi`` of the arc.  Von Mises terms ``log w_j + kappa cos(t - x_j)`` of two points are
    equal where ``sin(t - m) = (log w_i - log w_j) / (2 kappa sin(D/2))`` (``m`` their
    midpoint, ``D = x_j - x_i``): every such point where the pair is also the largest term
    is a switch (all pairs, up to ``_VONMISES_PAIRS_MAX`` points).  Without these features a
    switch ~1e-5 wide (h = 0.0033) fell between the nodes of a panel whose two estimates
    then agreed on a wrong value (tools/MUTATION.md, survivors #232 and #407).
    """
    empty = np.empty(0)
    n = mix.x.size
    if n < 2 or mix.kernel not in ("laplace", "gaussian", "vonmises"):
        return empty, empty
    if mix.kernel != "vonmises":
        images, owner = _image_owners(mix, a - math.pi, b + math.pi)
        proxy = _Mixture(
            mix.log_w[owner],
            images,
            np.arange(images.size),
            images.size,
            mix.kernel,
            mix.h,
        )
        return _dominance_switches(proxy, a, b)
    if n > _VONMISES_PAIRS_MAX:
        return empty, empty
    kappa = 1.0 / mix.h**2
    i, j = np.triu_indices(n, 1)
    gap = mix.x[j] - mix.x[i]
    mid = 0.5 * (mix.x[i] + mix.x[j])
    with np.errstate(divide="ignore", invalid="ignore"):
        sine = (mix.log_w[i] - mix.log_w[j]) / (2 * kappa * np.sin(0.5 * gap))
    ok = np.abs(sine) <= 1.0
    root = np.arcsin(sine[ok])
    t = np.concatenate((mid[ok] + root, mid[ok] + math.pi - root))
    i = np.concatenate((i[ok], i[ok]))
    gap = np.concatenate((gap[ok], gap[ok]))
    mid = np.concatenate((mid[ok], mid[ok]))
    t = a + np.mod(t - a, _TWO_PI)  # the representative in [a, a + 2 pi)
    # which pair is on top: the generated log-kernel (its constant is common to all terms)
    log_k = LOG_KERNELS["vonmises"]
    terms = mix.log_w[None, :] + log_k(t[:, None] - mix.x[None, :], mix.h)
    pair = mix.log_w[i] + log_k(t - mix.x[i], mix.h)
    top = terms.max(axis=1)
    dominant = pair >= top - 1e-9 * np.maximum(1.0, np.abs(top))
    slope = 2 * kappa * np.abs(np.sin(0.5 * gap) * np.cos(t - mid))
    with np.errstate(divide="ignore"):
        width = np.where(slope > 0, 1.0 / slope, mix.h)
    keep = dominant & (t > a) & (t < b)
    return t[keep], np.minimum(width[keep], mix.h)


def _breakpoints(mix: _Mixture, a: float, b: float) -> FloatArray:
    """Panel edges for the quadrature: kinks, peaks and switches, with a graded mesh.

    Every kink of the integrand (``x_j + offset * h``), every peak ``x_j`` and every
    dominance switch is an edge; around each, edges are added at distances
    ``w, 4w, 16w, ...`` (``w`` the feature's width) up to the next feature.  A whole-vs-halves
    error estimate cannot see a feature narrower than the node spacing near a panel's end;
    the graded mesh makes every panel no wider than a few times the distance to its nearest
    feature, where the integrand is smooth on the panel's own scale.
    """
    info = KERNEL_INFO[mix.kernel]
    kinks: tuple[int, ...] = info["kinks"]  # type: ignore[assignment]
    if not mix.circular:
        centres = mix.x
        feats = [centres] + [centres + offset * mix.h for offset in kinks if offset != 0]
    else:
        # Features repeat every 2 pi: the copies within one turn (or h) of [a, b] are all the
        # mesh needs, also when h spans many turns.  A kink x + offset h is placed from the
        # offset reduced to within pi of 0 (exactly offset h when it is that small already).
        reach = min(mix.h, _TWO_PI)
        feats = [_periodic_copies(mix.x, a - reach, b + reach)[0]]
        for offset in kinks:
            if offset != 0:
                (turned,), _ = turns_to(np.array([offset * mix.h]))
                feats.append(_periodic_copies(mix.x + turned, a - reach, b + reach)[0])
    widths = [np.full(f.shape, mix.h) for f in feats]
    # Log-weights near -1e308 (z = (1e308, 0)) overflow a switch position to +-inf or nan:
    # such a switch is outside (a, b) and _dominance_switches drops it.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        switch, switch_w = _dominance_switches(mix, a, b)
    feats.append(switch)
    widths.append(switch_w)
    feat = np.concatenate(feats)
    width = np.concatenate(widths)
    order = np.argsort(feat, kind="stable")
    feat, width = feat[order], width[order]
    fence = np.concatenate(([a], feat[(feat > a) & (feat < b)], [b]))
    edges = [fence]
    # distance from each feature to its neighbours (other features, a and b)
    everything = np.unique(np.concatenate((feat, [a, b])))
    pos = np.searchsorted(everything, feat)
    left_gap = feat - everything[np.maximum(pos - 1, 0)]
    right_gap = everything[np.minimum(pos + 1, everything.size - 1)] - feat
    left_gap = np.where(left_gap > 0, left_gap, np.inf)
    right_gap = np.where(right_gap > 0, right_gap, np.inf)
    step = width.copy()
    for _ in range(48):
        left_ok, right_ok = step < left_gap, step < right_gap
        if not (left_ok.any() or right_ok.any()):
            break
        edges.append((feat - step)[left_ok])
        edges.append((feat + step)[right_ok])
        step *= 4.0
    pts = np.concatenate(edges)
    pts = pts[np.isfinite(pts) & (pts >= a) & (pts <= b)]
    return np.unique(pts)


def _quadrature(
    mix: _Mixture, problem: Problem, with_grad: bool
) -> tuple[float, FloatArray | None]:
    a, b = problem.a, problem.b  # covered, if the kernel is compact: _compute has checked
    edges = _breakpoints(mix, a, b)
    lo, hi, kind = _initial_panels(mix, edges)
    # a panel this narrow where p evaluates to 0 inside is a rounding artefact of the move
    # (supports that touch before it); p = 0 on a wider one contradicts the coverage check
    artefact = 8.0 * math.ulp(abs(a) + abs(b) + 2.0 * mix.h)
    neg_loss_parts: list[float] = []
    mean_r = np.zeros_like(mix.log_w)
    zero_end = kind != _REGULAR
    if zero_end.any():
        part, part_r = _zero_end_panels(mix, lo[zero_end], hi[zero_end], kind[zero_end], a, b)
        neg_loss_parts.append(part)
        mean_r += part_r
        lo, hi = lo[~zero_end], hi[~zero_end]
    k = mix.x.size
    per_panel = 3 * _GL_ORDER  # whole panel, left half, right half
    previous = np.full(lo.size, np.inf)  # each panel's parent's normalised error
    for _level in range(_QUAD_MAX_LEVELS):
        t, wt = _panel_nodes(lo, hi)
        wt /= b - a
        share = (hi - lo) / (b - a)
        done = np.zeros(lo.size, dtype=bool)
        error = np.zeros(lo.size)
        # Each block holds whole panels, so a panel is judged, and if accepted summed, in its
        # own block: nothing of size (panels x points) is ever stored.
        for rows, (lse, e, esum) in _blocks(mix, t, rows_multiple=per_panel):
            panels = slice(rows.start // per_panel, rows.stop // per_panel)
            w_rows = wt[rows]
            if not np.isfinite(lse).all():
                # p > 0 at both ends of every panel here (the zeros' panels were taken out),
                # and a compact kernel's p is linear or constant between edges
                bad = ~np.isfinite(lse)
                wide = np.repeat((hi[panels] - lo[panels]) > artefact, per_panel)
                if np.any(bad & wide):
                    raise QuadratureError(f"log p is not finite at a node in [{a}, {b}]")
                w_rows = np.where(bad, 0.0, w_rows)
                lse = np.where(bad, 0.0, lse)
                esum = np.where(bad, 1.0, esum)
                e = np.where(bad[:, None], 0.0, e)
            weighted = (w_rows * lse).reshape(-1, 3, _GL_ORDER).sum(axis=2)
            whole_l, halves_l = weighted[:, 0], weighted[:, 1] + weighted[:, 2]
            err = np.abs(whole_l - halves_l) / np.maximum(share[panels], np.abs(halves_l))
            if with_grad:
                scale = (w_rows / esum).reshape(-1, per_panel)
                r = e.reshape(-1, per_panel, k)
                whole = np.einsum("pq,pqk->pk", scale[:, :_GL_ORDER], r[:, :_GL_ORDER])
                halves = np.einsum("pq,pqk->pk", scale[:, _GL_ORDER:], r[:, _GL_ORDER:])
                err = np.maximum(err, np.abs(whole - halves).max(axis=1) / share[panels])
            # Converged; or at the rounding floor: halving no longer shrinks the normalised
            # error (a smooth integrand gains ~2**32 per halving, an unresolved kink 2x), and
            # it is already far below the contract's 1e-12.
            ok = (
                (err <= _QUAD_TOL)
                | ((err <= _QUAD_NOISE_FLOOR) & (err >= _QUAD_STAGNATION * previous[panels]))
                | (err * np.maximum(share[panels], np.abs(halves_l)) <= _QUAD_ABS_FLOOR)
            )
            if with_grad:
                mean_r += halves[ok].sum(axis=0)
            neg_loss_parts.extend(halves_l[ok].tolist())
            done[panels] = ok
            error[panels] = err
        if done.all():
            neg_loss = math.fsum(neg_loss_parts)
            if not with_grad:
                return -neg_loss, None
            return _finish(mix, neg_loss, mean_r)
        lo, hi, error = lo[~done], hi[~done], error[~done]
        mid = 0.5 * (lo + hi)
        if np.any(mid <= lo) or np.any(mid >= hi):
            break  # panels cannot be split further in float64
        lo, hi = np.concatenate([lo, mid]), np.concatenate([mid, hi])
        previous = np.concatenate([error, error])
    raise QuadratureError(
        f"quadrature did not converge to {_QUAD_TOL} on {lo.size} panels of [{a}, {b}] "
        f"(kernel={mix.kernel!r}, bandwidth={mix.h!r})"
    )


_REGULAR, _ZERO_AT_LO, _ZERO_AT_HI = 0, 1, 2
_GL_S = 0.5 * (_GL_X + 1.0)
_GL_WS = 0.5 * _GL_W


def _initial_panels(
    mix: _Mixture, edges: FloatArray
) -> tuple[FloatArray, FloatArray, NDArray[np.int8]]:
    """Panels between edges, marked where p vanishes at an end (then split in two)."""
    lo, hi = edges[:-1], edges[1:]
    # Panels thinner than 1e-30 of [a, b] (a point a subnormal distance from a) contribute
    # below 1e-30 * max|log p| and cannot be subdivided in float64: they are left out.
    keep = hi - lo > 1e-30 * (edges[-1] - edges[0])
    lo, hi = lo[keep], hi[keep]
    kind = np.zeros(lo.size, dtype=np.int8)
    if mix.kernel != "triangle" or lo.size == 0:
        # only a triangle's p can vanish at a point it is positive next to; a boxcar's
        # p = 0 at an edge is a rounding artefact of that edge (_quadrature integrates it)
        return lo, hi, kind
    lse_edges = np.concatenate([parts[0] for _, parts in _blocks(mix, edges)])
    zero = ~np.isfinite(lse_edges)
    zero_lo, zero_hi = zero[:-1][keep], zero[1:][keep]
    both = zero_lo & zero_hi
    kind[zero_lo & ~both] = _ZERO_AT_LO
    kind[zero_hi & ~both] = _ZERO_AT_HI
    if both.any():  # split so that each child has its zero at one end
        mid = 0.5 * (lo[both] + hi[both])
        lo = np.concatenate([lo[~both], lo[both], mid])
        hi = np.concatenate([hi[~both], mid, hi[both]])
        kind = np.concatenate(
            [
                kind[~both],
                np.full(mid.size, _ZERO_AT_LO, np.int8),
                np.full(mid.size, _ZERO_AT_HI, np.int8),
            ]
        )
    return lo, hi, kind


def _panel_nodes(lo: FloatArray, hi: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Nodes and weights (in t units) of each panel, its left half and its right half."""
    mid = 0.5 * (lo + hi)
    seg_lo = np.stack([lo, lo, mid], axis=1)[:, :, None]  # (P, 3, 1)
    seg_hi = np.stack([hi, mid, hi], axis=1)[:, :, None]
    length = seg_hi - seg_lo
    t = seg_lo + length * _GL_S
    w = np.broadcast_to(length * _GL_WS, t.shape).copy()
    return t.reshape(-1), w.reshape(-1)


def _zero_end_panels(
    mix: _Mixture, lo: FloatArray, hi: FloatArray, kind: NDArray[np.int8], a: float, b: float
) -> tuple[float, FloatArray]:
    """``(int log p, int R)`` over panels with ``p = 0`` at one end, divided by ``b - a``.

    Only the triangle kernel has such panels (a boxcar is positive at its support's ends), and
    its density is linear between edges (every kink ``x_j``, ``x_j +- h`` is an edge): with
    ``s`` the distance from the zero, ``p = p(far) s / L`` on a panel of length ``L``.  So
    ``int log p = L (log p(far) - 1)`` (theorem ``triangle_zero_end_panel``), and each
    ``R_j = w_j K_j / p`` is constant: every ``K_j`` nonzero on the panel is linear and
    vanishes at the zero, since ``p`` does.  ``int R_j = L R_j(far)``.

    Evaluated at the far end only: a quadrature node near the zero rounds onto it when
    ``|t|`` is large (``p`` evaluates to 0 within an ulp of ``t``), which no mapping of the
    nodes can avoid.  A panel with ``p = 0`` at its far end too is a rounding artefact (``p``
    linear and zero at both ends is zero); it is refused unless it is narrower than 1e-14 of
    ``[a, b]`` (then its part is below 1e-14 * 40 in the loss).
    """
    if mix.kernel != "triangle":
        raise QuadratureError(f"p = 0 at a panel's end for kernel {mix.kernel!r}")
    far = np.where(kind == _ZERO_AT_LO, hi, lo)
    share = (hi - lo) / (b - a)
    parts: list[float] = []
    mean_r = np.zeros_like(mix.log_w)
    for rows, (lse, e, esum) in _blocks(mix, far):
        zero = ~np.isfinite(lse)
        if np.any(share[rows][zero] > 1e-14):
            raise QuadratureError(f"p = 0 at both ends of a panel in [{a}, {b}]")
        use = ~zero
        parts.extend((share[rows][use] * (lse[use] - 1.0)).tolist())
        mean_r += ((share[rows][use] / esum[use])[:, None] * e[use]).sum(axis=0)
    return math.fsum(parts), mean_r


def _exact(mix: _Mixture, problem: Problem, with_grad: bool) -> tuple[float, FloatArray | None]:
    from symkde.numeric.exact import exact_loss_grad

    compact = bool(KERNEL_INFO[mix.kernel]["compact"])  # covered: _compute has checked
    value, mean_grad = exact_loss_grad(
        mix.kernel,
        mix.log_w,
        mix.x,
        problem.a,
        problem.b,
        mix.h,
        with_grad=with_grad,
        circular=mix.circular,
        covered=compact,
    )
    if mean_grad is None:
        return value, None
    return value, mix.scatter(mean_grad)


def _has_exact(kernel: str, circular: bool) -> bool:
    try:
        from symkde.numeric.exact import EXACT_KERNELS
    except ImportError:  # pragma: no cover - the closed forms ship with the package
        return False
    return kernel in EXACT_KERNELS  # on the line and on the circle


def _turned(problem: Problem) -> Problem:
    """The circle problem with every angle within a few turns of 0.

    The target is turned by ``2 pi K`` (``K`` nearest ``a / 2 pi``), each point by its own
    number of turns to within ``pi`` of the target's middle; the loss and gradient do not
    change.  Done to an ulp of the results (:mod:`symkde.numeric.angles`), never with ``k fl(2
    pi)``,
    which is off by ``k * 2.4e-16``: the quadrature at ``a = 1e4`` was off by 2e-12, at
    ``1e16`` by 0.3.  Angles that need no turn are left exactly as they are.
    """
    (a,), (turns,) = turns_to(np.array([problem.a]))
    # a valid arc has ulp(a) <= 2 pi: |a| < 6e16, so the turn count is an exact float
    b = problem.b if turns == 0.0 else float(minus_turns(np.array([problem.b]), turns)[0])
    x = turns_to(problem.x, 0.5 * (a + b))[0]  # any number of turns, one rounding
    return replace(problem, a=float(a), b=b, x=x)


#: The closed forms of boxcar and triangle sum weights in log space per segment and add the
#: point's own log-weight back: with log-weights ``S`` apart that costs ``ulp(S)`` in the
#: exponent (1.7e-13 on the gradient at ``S = 5000``; at ``z = (0, 1e308)`` the loss came out
#: inf and the gradient 0.5 off, found by the fuzz test).  Beyond this spread the quadrature,
#: which subtracts the largest logit at every node, answers ``method="exact"`` too.
_EXACT_COMPACT_SPREAD = 1e4


def _shifted(problem: Problem) -> Problem:
    """The line problem moved by ``-a`` (``a = 0``); the circle's is ``difference_turned``.

    Every position is then measured from the target, to an ulp of itself: at ``a = 2**20``,
    nodes and kinks in absolute coordinates are off by an ulp of ``2**20`` (1.2e-10), which
    moved the quadrature of a boxcar by 1.6e-10 and the binned Gaussian by 1.7e-11.
    """
    a = problem.a
    if a == 0.0:
        return problem
    return replace(problem, a=0.0, b=problem.b - a, x=problem.x - a)


def _row_engine(problem: Problem, with_grad: bool) -> tuple[float, FloatArray | None] | None:
    """The exact Laplace row by the compiled row engine (:mod:`symkde.numeric.rows`) as a
    batch of one row, or None where the engine hands it back (then the paths below answer).
    A batch runs the same engine on all its rows: row r is bit for bit this call."""
    from symkde.numeric.rows import laplace_exact_rows

    loss = np.empty(1)
    gradient = np.empty((1, problem.n) if with_grad else (1, 0))
    handed_back = laplace_exact_rows(
        problem.z[None, :],
        problem.x[None, :],
        np.array([problem.a]),
        np.array([problem.b]),
        np.array([problem.bandwidth]),
        problem.circular,
        with_grad,
        loss,
        gradient,
    )
    if handed_back[0]:
        return None
    return float(loss[0]), (gradient[0] if with_grad else None)


def uses_row_engine(kernel: str, method: str, n: int) -> bool:
    """Whether rows of ``n`` points go to the compiled row engine first."""
    from symkde.numeric.rows import ROW_ENGINE_MAX_N

    return kernel == "laplace" and method in ("auto", "exact") and n <= ROW_ENGINE_MAX_N


def _compiled_rows(batch: Batch, outputs: tuple[FloatArray, ...]) -> NDArray[np.bool_]:
    """The batch front's compiled engine (:func:`symkde.numeric.batch.apply_rows`): every
    exact Laplace row in one parallel call; returns the rows left to :func:`_compute`."""
    if not uses_row_engine(batch.kernel, batch.method, batch.n):
        return np.ones(batch.size, dtype=bool)
    from symkde.numeric.rows import laplace_exact_rows

    with_grad = len(outputs) == 2
    return laplace_exact_rows(
        batch.z,
        batch.x,
        batch.a,
        batch.b,
        batch.bandwidth,
        batch.circular,
        with_grad,
        outputs[0],
        outputs[1] if with_grad else np.empty((batch.size, 0)),
    )


#: Kernels whose ``method="auto"`` rows go to :mod:`symkde.numeric.smooth` (fast integrals;
#: that module hands rows outside its range back to :func:`_quadrature`).
_SMOOTH_KERNELS = frozenset({"gaussian", "cauchy", "vonmises"})


def _compute(problem: Problem, with_grad: bool) -> tuple[float, FloatArray | None]:
    method = problem.method
    if uses_row_engine(problem.kernel, method, problem.n):
        done = _row_engine(problem, with_grad)
        if done is not None:
            return done
    if method == "auto":
        method = "exact" if _has_exact(problem.kernel, problem.circular) else "quadrature"
    if method == "exact" and not _has_exact(problem.kernel, problem.circular):
        raise ValueError(
            f"method: 'exact' needs a kernel with a closed form (laplace, boxcar, triangle); "
            f"got kernel={problem.kernel!r}, use 'quadrature' or 'auto'"
        )
    if (
        method == "exact"
        and KERNEL_INFO[problem.kernel]["compact"]
        and _mixture(problem).log_w_spread > _EXACT_COMPACT_SPREAD
    ):
        method = "quadrature"  # see _EXACT_COMPACT_SPREAD
    # Coverage is judged on the caller's positions (on the circle: turned by whole turns,
    # which leaves every angle that needs none as it is); everything else is computed from
    # positions measured from a.
    if problem.circular:
        judged = _turned(problem)
        moved = replace(
            problem,
            a=0.0,
            b=problem.b - problem.a,
            x=difference_turned(problem.x, problem.a, 0.5 * (problem.b - problem.a)),
        )
    else:
        judged = problem
        moved = _shifted(problem)

    def in_callers_coordinates(interval: tuple[float, float], origin: float) -> tuple[float, float]:
        if origin == problem.a:
            return interval
        lo, hi = (min(max(v + (problem.a - origin), problem.a), problem.b) for v in interval)
        return lo, hi

    if KERNEL_INFO[problem.kernel]["compact"] and method != "bins":
        # Coverage is decided before the move (_if_uncovered); after it, a segment the move
        # leaves uncovered is a rounding artefact a few ulps wide.
        try:
            uncovered = _if_uncovered(_mixture(judged), judged.a, judged.b, with_grad)
        except UncoveredTargetError as error:
            if judged.a == problem.a:
                raise
            raise UncoveredTargetError(in_callers_coordinates(error.interval, judged.a)) from None
        if uncovered is not None:
            return uncovered
    try:
        mix = _mixture(moved)
        if method == "exact":
            return _exact(mix, moved, with_grad)
        if method == "bins":
            return _bins(mix, moved, with_grad)
        if problem.method == "auto" and problem.kernel in _SMOOTH_KERNELS:  # issue 18 hook
            from symkde.numeric.smooth import loss_and_grad_smooth_row

            return loss_and_grad_smooth_row(moved, with_grad)
        return _quadrature(mix, moved, with_grad)
    except UncoveredTargetError as error:
        if moved.a == problem.a:
            raise
        raise UncoveredTargetError(in_callers_coordinates(error.interval, moved.a)) from None


def loss(
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1.0,
    circular: bool = False,
    method: str = "auto",
    bins: int | None = None,
) -> float:
    """Cross-entropy between the uniform target on ``[a, b]`` and a softmax-weighted KDE.

    ``L(z) = -(1/(b - a)) * integral_a^b log p(t) dt`` with ``p(t) = sum_j S_j K_h(t - x_j)``
    and ``S = softmax(z)``; ``method="bins"`` replaces the integral by the midpoint rule
    ``L_M = -(1/M) sum_m log p(t_m)``, ``t_m = a + (m - 1/2)(b - a)/M``.

    Parameters
    ----------
    z : array_like, shape (n,) or (..., n)
        Logits of the points, any real dtype (computed in float64). ``-inf`` masks a point
        (weight 0); ``+inf`` and NaN are errors, and so is a problem whose logits are all
        ``-inf``.
    x : array_like, shape (n,) or broadcastable to ``z``
        Positions of the kernel centres. With ``circular=True``, angles in radians (any real
        value: ``x`` and ``x + 2 pi`` are the same point).
    a, b : float or array_like, broadcastable to ``z.shape[:-1]``
        The target interval, ``a < b``. On the circle, the arc from ``a`` counter-clockwise to
        ``b``: any real ``a`` and ``0 < b - a <= 2 pi`` (up to 4 ulps above ``2 pi`` counts as
        the full circle). An arc crossing +-pi is written with ``b > pi``: from 2.8 through pi
        to -2.68 is ``a=2.8, b=-2.68 + 2 pi``.
    kernel : {"laplace", "gaussian", "boxcar", "triangle", "cauchy", "vonmises"}, optional
        The normalised kernel ``K_h`` (default ``"laplace"``), ``h = bandwidth``:
        ``laplace`` ``exp(-|u|/h) / (2h)``; ``gaussian`` ``exp(-u^2/(2h^2)) / (h sqrt(2 pi))``
        (h is the standard deviation); ``boxcar`` ``1/(2h)`` for ``|u| <= h``, else 0;
        ``triangle`` ``(1 - |u|/h) / h`` for ``|u| <= h``, else 0; ``cauchy``
        ``h / (pi (u^2 + h^2))``; ``vonmises`` ``exp(kappa cos u) / (2 pi I0(kappa))`` with
        ``kappa = 1/h^2``, on the circle only. With ``circular=True`` the others are wrapped,
        ``sum_k K_h(u + 2 pi k)``.
    bandwidth : float or array_like, broadcastable to ``z.shape[:-1]``, optional
        ``h > 0`` in the units of ``x`` (radians on the circle); default 1.0.
    circular : bool, optional
        Positions are angles, the kernel is wrapped and the target is an arc (default False).
    method : {"auto", "exact", "quadrature", "bins"}, optional
        ``"auto"`` (default): ``"exact"`` where a closed form exists (laplace, boxcar,
        triangle, on the line and on the circle), else ``"quadrature"``. See Notes.
    bins : int, optional
        The number of midpoint nodes ``M >= 1``, required by ``method="bins"`` and an error
        with any other method.

    Returns
    -------
    float
        The loss (an array of shape ``z.shape[:-1]`` for a batch). ``inf`` when a compact
        kernel (boxcar, triangle) leaves part of the target uncovered, where ``p(t) = 0``.

    Raises
    ------
    ValueError
        With a message naming the argument (and, for a batch, the row): ``z`` and ``x`` of
        different shapes or ``n == 0``; non-finite ``x``, ``a``, ``b`` or ``bandwidth``; NaN,
        ``+inf`` or only ``-inf`` in ``z``; ``a >= b``; ``bandwidth <= 0``; an unknown kernel or
        method; ``"vonmises"`` without ``circular``; an arc longer than ``2 pi``;
        ``method="exact"`` for a kernel without a closed form; ``bins`` missing or invalid for
        ``"bins"`` or given for another method; values outside float64 headroom
        (``|x|, |a|, |b| <= 1e50``, ``1e-50 <= bandwidth <= 1e50``, ``b - a >= 1e-50``,
        ``bins <= 2**26``), where an answer could be silently wrong. An argument of the wrong
        type (a string, complex numbers) raises an error that is both a ``ValueError`` and a
        ``TypeError``.

    See Also
    --------
    grad, loss_and_grad
    symkde.reference.loss : the same quantity in mpmath, at any precision.

    Notes
    -----
    Methods and their cost, for ``n`` points:

    - ``"exact"``: a closed form on each segment between consecutive kinks (the points and
      their support ends), ``O(n log n)``: a sort, then running sums in log space (for the
      Laplace kernel on the line, compiled loops). For boxcar and triangle with log-weights
      more than 1e4 apart the closed form would lose ``ulp(spread)``, and the quadrature
      answers instead.
    - ``"quadrature"``: adaptive 16-node Gauss-Legendre, each panel checked against its two
      halves, panels split at every kink of the integrand and where the dominant point
      changes; about ``16 n`` kernel evaluations per panel, the panels growing with the
      number of points near the target.
    - ``"bins"``: ``n M`` kernel evaluations in log space. It is the binned loss, not the
      integral: the binning error falls like ``M^-2`` only once ``(b - a)/M`` is well below
      ``h`` (the Laplace kernel has a kink at every point).

    Accuracy: for ``"auto"``, ``"exact"`` and ``"quadrature"`` the loss is within
    ``1e-12 * max(1, |L|)`` of the true value; ``"bins"`` is within the same bound of the exact
    midpoint sum. Both are measured against :func:`symkde.reference.loss` at 30-50 digits
    (worst seen on the test grid: about 1.5 eps), including points thousands of bandwidths
    from the target, where a linear-space KDE underflows to 0: everything is computed in log
    space, and positions are measured from ``a`` before anything else.

    Examples
    --------
    >>> import numpy as np, symkde
    >>> z = np.array([0.3, -1.0, 2.0]); x = np.array([0.1, 2.5, -0.7])
    >>> round(symkde.loss(z, x, 0.0, 1.0, bandwidth=0.5), 12)  # exact Laplace closed form
    1.963981645363
    >>> round(symkde.loss(z, x, 0.0, 1.0, bandwidth=0.5, method="bins", bins=1024), 12)
    1.963981521826
    >>> round(symkde.loss(z, x, 0.0, 1.0, kernel="gaussian", bandwidth=0.5), 12)  # quadrature
    2.180917527452

    Angles, with an arc that crosses +-pi (from 2.8 rad to 3.6 - 2 pi = -2.68 rad):

    >>> round(symkde.loss(z, x, 2.8, 3.6, kernel="vonmises", bandwidth=0.3, circular=True), 12)
    5.773379980232

    A boxcar on ``[4, 6]`` leaves ``[0, 1]`` uncovered; points 3000 bandwidths away stay finite:

    >>> symkde.loss([0.0], [5.0], 0.0, 1.0, kernel="boxcar")
    inf
    >>> round(symkde.loss([0.0, 0.0], [-3000.0, 3000.0], 0.0, 1.0), 9)
    3000.540567087
    """
    value, _ = run(
        _compute,
        z,
        x,
        a,
        b,
        with_grad=False,
        compiled=_compiled_rows,
        kernel=kernel,
        bandwidth=bandwidth,
        circular=circular,
        method=method,
        bins=bins,
    )
    return value  # type: ignore[no-any-return]


def grad(
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1.0,
    circular: bool = False,
    method: str = "auto",
    bins: int | None = None,
) -> FloatArray:
    """Gradient of :func:`loss` with respect to the logits.

    ``dL/dz_i = S_i - (1/(b - a)) * integral_a^b R_i(t) dt`` with the responsibilities
    ``R_i(t) = S_i K_h(t - x_i) / p(t)`` (for ``method="bins"``: the exact gradient of the
    binned loss, the mean of ``R_i`` over the nodes).

    Parameters
    ----------
    z, x, a, b, kernel, bandwidth, circular, method, bins
        As in :func:`loss`.

    Returns
    -------
    numpy.ndarray
        ``dL/dz``, float64, of ``z``'s shape (``(n,)``, or ``(..., n)`` for a batch). Each
        component lies in ``[S_i - 1, S_i]``, the components sum to 0, and a masked
        (``-inf``) logit gets 0.

    Raises
    ------
    UncoveredTargetError
        When the loss is infinite (a compact kernel leaves part of ``[a, b]`` uncovered); a
        ``ValueError`` whose ``interval`` is that sub-interval.
    ValueError
        For bad arguments, as :func:`loss`.

    See Also
    --------
    loss_and_grad : the loss and this gradient for the price of the gradient.
    symkde.reference.grad : the same gradient in mpmath, at any precision.

    Notes
    -----
    Every component is within ``1e-12`` (absolute) of the true value for ``"auto"``,
    ``"exact"`` and ``"quadrature"``, and of the exact gradient of the midpoint sum for
    ``"bins"``, measured against :func:`symkde.reference.grad` at 30-50 digits (worst seen on
    the test grid: about 1.4 eps). The cost is that of :func:`loss` plus the ``n``
    responsibilities integrated alongside; :func:`loss_and_grad` gives both for that price.

    Examples
    --------
    >>> import numpy as np, symkde
    >>> z = np.array([0.3, -1.0, 2.0]); x = np.array([0.1, 2.5, -0.7])
    >>> symkde.grad(z, x, 0.0, 1.0, bandwidth=0.5).round(6)
    array([-0.317416,  0.031004,  0.286412])
    >>> symkde.grad([0.3, -np.inf, 2.0], x, 0.0, 1.0, bandwidth=0.5).round(6)  # masked point
    array([-0.315633,  0.      ,  0.315633])
    >>> symkde.grad([0.0], [5.0], 0.0, 1.0, kernel="boxcar")
    Traceback (most recent call last):
    symkde.errors.UncoveredTargetError: a, b: the density is zero on [0.0, 1.0] inside the ...
    """
    return loss_and_grad(
        z, x, a, b, kernel=kernel, bandwidth=bandwidth, circular=circular, method=method, bins=bins
    )[1]


def loss_and_grad(
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1.0,
    circular: bool = False,
    method: str = "auto",
    bins: int | None = None,
) -> tuple[float, FloatArray]:
    """:func:`loss` and :func:`grad` together, in one pass.

    Parameters
    ----------
    z, x, a, b, kernel, bandwidth, circular, method, bins
        The problem, exactly as for :func:`loss` and :func:`grad`.

    Returns
    -------
    loss : float
        As :func:`loss` (an array of the batch shape for a batch).
    grad : numpy.ndarray
        As :func:`grad`, of ``z``'s shape.

    Raises
    ------
    UncoveredTargetError, ValueError
        As :func:`grad`: when the loss is infinite, and for bad arguments.

    See Also
    --------
    loss, grad

    Notes
    -----
    The loss and the responsibilities come from the same pass over the points, so this costs
    about as much as :func:`grad` alone. Accuracy as :func:`loss` and :func:`grad`.

    Examples
    --------
    >>> import symkde
    >>> L, g = symkde.loss_and_grad([0.3, -1.0, 2.0], [0.1, 2.5, -0.7], 0.0, 1.0,
    ...                             kernel="triangle", bandwidth=2.0)
    >>> round(L, 12), g.round(6)
    (1.552896020886, array([-0.128926,  0.031395,  0.097532]))
    """
    value, gradient = run(
        _compute,
        z,
        x,
        a,
        b,
        with_grad=True,
        compiled=_compiled_rows,
        kernel=kernel,
        bandwidth=bandwidth,
        circular=circular,
        method=method,
        bins=bins,
    )
    assert gradient is not None
    return value, gradient
