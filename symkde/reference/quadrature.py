"""The reference's quadrature: panels cut at every feature, tanh-sinh on each, never silent.

Owns where ``[a, b]`` is cut (:func:`_breakpoints`: kinks, peaks and the antipode;
:func:`_dominance_splits`: where the dominant term changes, :func:`_crossing`), which parts a
compact kernel leaves uncovered (:func:`_support_intervals`, :func:`_gaps`), the tanh-sinh
rule with nodes shared by all integrands (:func:`_tanh_sinh`) and the adaptive panel driver
(:func:`_integrate`), with :class:`ReferenceAccuracyError`, raised when a panel does not
converge.  Imports mpmath, :mod:`symkde.symbolic.kernels` and
:mod:`symkde.reference.problem` only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import mpmath

from symkde.reference.problem import _Model, _Problem
from symkde.symbolic.kernels import KERNELS

__all__ = ["ReferenceAccuracyError"]

mp = mpmath.mp
Real = Any  # an mpmath.mpf


#: Tanh-sinh levels (step ``2**-level``) tried on a panel before it is halved.
MAX_LEVEL = 10


#: How many times a panel may be halved before the quadrature gives up (a panel that keeps
#: failing only because it contains a jump is halved further, down to the tolerance).
MAX_SPLIT_DEPTH = 24


_TINY_PANEL_FACTOR = 10**20


class ReferenceAccuracyError(ArithmeticError):
    """The reference could not certify its own digits (self-check or quadrature failed)."""


# --------------------------------------------------------------------------- breakpoints


def _support_intervals(problem: _Problem, model: _Model) -> list[tuple[Real, Real]]:
    """Supports ``[x_j - h, x_j + h]`` (+ 2 pi k on the circle) that meet the target, sorted."""
    h, lo, hi = problem.bandwidth, model.a, model.b
    intervals = []
    for xj in model.centres:
        left, right = mp.fsub(xj, h, exact=True), mp.fadd(xj, h, exact=True)
        if not problem.circular:
            shifts = [mp.zero]
        else:
            two_pi = 2 * mp.pi
            first = int(mp.floor((lo - right) / two_pi)) - 1
            last = int(mp.ceil((hi - left) / two_pi)) + 1
            shifts = [two_pi * k for k in range(first, last + 1)]
        for shift in shifts:
            start, end = left + shift, right + shift
            if end >= lo and start <= hi:
                intervals.append((start, end))
    return sorted(intervals)


def _gaps(problem: _Problem, model: _Model) -> list[tuple[Real, Real]]:
    """Sub-intervals of the target where a compact kernel leaves ``p = 0`` (positive length)."""
    if not KERNELS[problem.kernel].compact:
        return []
    if problem.circular and 2 * problem.bandwidth >= 2 * mp.pi:
        return []  # one support already wraps the whole circle
    gaps = []
    reach = model.a
    for start, end in _support_intervals(problem, model):
        if start > reach:
            gaps.append((reach, min(start, model.b)))
        reach = max(reach, end)
        if reach >= model.b:
            break
    if reach < model.b:
        gaps.append((reach, model.b))
    return [(lo, hi) for lo, hi in gaps if hi > lo]


def _breakpoints(problem: _Problem, model: _Model) -> list[Real]:
    """``a``, every kink, peak (and antipode on the circle) inside ``(a, b)``, and ``b``."""
    kernel = KERNELS[problem.kernel]
    offsets = sorted(set(kernel.kinks) | {0})
    h = problem.bandwidth
    points = []
    for xj in model.centres:
        marks = [mp.fadd(xj, mp.fmul(o, h, exact=True), exact=True) for o in offsets]
        if not problem.circular:
            points.extend(marks)
            continue
        if not kernel.compact:
            marks.append(xj + mp.pi)
        two_pi = 2 * mp.pi
        for mark in marks:
            first = int(mp.ceil((model.a - mark) / two_pi))
            last = int(mp.floor((model.b - mark) / two_pi))
            points.extend(mark + two_pi * k for k in range(first, last + 1))
    inside = sorted({p for p in points if model.a < p < model.b})
    return [model.a, *inside, model.b]


def _crossing(gap: Callable[[Real], Real], lo: Real, hi: Real, g_lo: Real, g_hi: Real) -> Real:
    """A point of ``(lo, hi)`` where ``gap`` (> 0 at lo, < 0 at hi) is near 0 (Illinois)."""
    side = 0
    for _ in range(200):
        t = (lo * g_hi - hi * g_lo) / (g_hi - g_lo)
        if not lo < t < hi:
            t = (lo + hi) / 2
        g_t = gap(t)
        if abs(g_t) < 0.25:
            return t
        if g_t > 0:
            lo, g_lo = t, g_t
            if side == 1:
                g_hi /= 2
            side = 1
        else:
            hi, g_hi = t, g_t
            if side == -1:
                g_lo /= 2
            side = -1
    return (lo + hi) / 2


def _dominance_splits(model: _Model, lo: Real, hi: Real, depth: int = 0) -> list[Real]:
    """Interior points of ``[lo, hi]`` where the dominant term of the mixture changes.

    Within a panel (no kinks or peaks inside) the log-ratio of two terms is monotone for the
    laplace and gaussian kernels, so a change of the dominant term between the ends is
    bracketed by them; a switch within about two e-folds of an end needs no split (tanh-sinh
    nodes cluster at the ends).
    """
    terms_lo, terms_hi = model.log_terms(lo), model.log_terms(hi)
    i = max(range(len(terms_lo)), key=terms_lo.__getitem__)
    j = max(range(len(terms_hi)), key=terms_hi.__getitem__)
    if i == j or depth > 60:
        return []
    if terms_lo[i] - terms_lo[j] < 2 or terms_hi[j] - terms_hi[i] < 2:
        return []
    kern, xi, xj = model.log_kernel, model.centres[i], model.centres[j]
    offset = model.log_weights[i] - model.log_weights[j]

    def gap(t: Real) -> Real:
        return offset + kern(t - xi) - kern(t - xj)

    mid = _crossing(gap, lo, hi, terms_lo[i] - terms_lo[j], terms_hi[i] - terms_hi[j])
    return [
        *_dominance_splits(model, lo, mid, depth + 1),
        mid,
        *_dominance_splits(model, mid, hi, depth + 1),
    ]


@lru_cache(maxsize=64)
# --------------------------------------------------------------------------- quadrature


def _tanh_sinh_level(prec: int, level: int) -> tuple[tuple[Real, Real, int], ...]:
    """Nodes of one tanh-sinh level on [-1, 1] as ``(1 - |x|, weight, side)``.

    Level 0 has the nodes ``s = k`` (step 1), level ``l > 0`` adds ``s = odd / 2**l``; the node
    is ``x = tanh(pi/2 sinh s)``, stored as its distance ``1 - |x|`` to the nearer end so that
    nodes close to an end keep their digits.  Nodes stop where ``1 - |x|`` drops below
    ``2**-(prec + 20)``: the weight there is as small, and the integrands are bounded (log p
    grows only logarithmically at a zero of p).
    """
    with mp.workprec(prec + 20):
        step = mp.ldexp(1, -level)
        reach = mp.asinh((prec + 21) * mp.ln2 / mp.pi)
        nodes = []
        index = 0 if level == 0 else 1
        while True:
            s = index * step
            if s > reach:
                break
            v = mp.pi / 2 * mp.sinh(s)
            complement = 2 / (1 + mp.exp(2 * v))
            weight = mp.pi / 2 * mp.cosh(s) / mp.cosh(v) ** 2
            if index == 0:
                nodes.append((mp.one, weight, 0))
            else:
                nodes.append((complement, weight, -1))
                nodes.append((complement, weight, 1))
            index += 1 if level == 0 else 2
    with mp.workprec(prec):
        return tuple((+c, +w, side) for c, w, side in nodes)


def _tanh_sinh(
    lo: Real, hi: Real, f: Callable[[Real], list[Real] | None], width: int, tol: Real
) -> tuple[list[Real], Real] | None:
    """Integrate the vector ``f`` (first component 1) over ``[lo, hi]``; None if not converged.

    The rule is normalized to be exact for constants: component ``c`` is estimated as
    ``(hi - lo) * Q[f_c] / Q[1]`` with the same nodes (``Q[1]`` is the first component), so a
    panel where the integrand is constant (boxcar) converges at once and the responsibilities
    of one live point integrate to exactly the panel length.  Convergence: ``d_l`` is the
    largest change of these estimates between levels, per unit length (``log p`` also per
    its size); the error of level ``l`` is extrapolated as ``d_l ** (log d_l / log d_{l-1})``
    (quadratic convergence gives ``d_l**2``, stagnation ``d_l``), and the panel is accepted
    at level >= 2 once that is below ``tol``.  Returns the estimates (first: ``hi - lo``).
    """
    half = (hi - lo) / 2
    length = hi - lo
    raw: list[Real] | None = None
    estimate: list[Real] | None = None
    previous_change: Real | None = None
    floor = mp.ldexp(1, -mp.prec + 12)
    for level in range(MAX_LEVEL + 1):
        sums = [mp.zero] * width
        for complement, weight, side in _tanh_sinh_level(mp.prec, level):
            t = lo + half * complement if side <= 0 else hi - half * complement
            row = f(t)
            if row is None:
                continue
            for c in range(width):
                sums[c] += weight * row[c]
        step = mp.ldexp(1, -level)
        if raw is None:
            raw = [step * s for s in sums]
        else:
            raw = [e / 2 + step * s for e, s in zip(raw, sums, strict=True)]
        if raw[0] == 0:  # every node so far fell where p = 0 (only at a panel's very ends)
            continue
        new = [length] + [v * length / raw[0] for v in raw[1:]]
        if estimate is not None:
            size = max(1, abs(new[1]) / length)
            change = max(
                abs(n - e) / (length * (size if c == 1 else 1))
                for c, (n, e) in enumerate(zip(new, estimate, strict=True))
            )
            if change <= floor:
                error = change
            elif previous_change is not None and previous_change > change:
                power = min(2, mp.log(change) / mp.log(previous_change))
                error = change ** max(1, power)
            else:
                error = change
            if level >= 2 and error <= tol:
                return new, error
            previous_change = change
        estimate = new
    return None


def _integrate(
    lo: Real,
    hi: Real,
    f: Callable[[Real], list[Real] | None],
    width: int,
    tol: Real,
    depth: int = 0,
) -> list[Real]:
    length = hi - lo
    if length <= _TINY_PANEL_FACTOR * tol:
        # A panel this short only arises around a kink computed a few units of the working
        # precision away from where the kernel actually jumps (e.g. x + 2 pi k - h on the
        # circle).  Tanh-sinh cannot converge across the jump.  Instead: the midpoint value
        # against the mean of the quarter points (they differ by ~f'' length^2 / 32 where f
        # is smooth, by O(1) across a jump); accepted when length * difference <= tol,
        # otherwise the panel is halved, so a jump ends up in a panel shorter than tol.
        first, middle, last = (
            f(lo + length * q) for q in (mp.mpf(0.25), mp.mpf(0.5), mp.mpf(0.75))
        )
        if first is not None and middle is not None and last is not None:
            mean = [(p + q) / 2 for p, q in zip(first, last, strict=True)]
            gap = max(abs(p - q) for p, q in zip(mean, middle, strict=True))
            if length * gap <= tol:
                return [length * (2 * p + q) / 3 for p, q in zip(mean, middle, strict=True)]
        if depth >= MAX_SPLIT_DEPTH + 200:
            raise ReferenceAccuracyError(
                f"no convergence on the tiny panel [{mp.nstr(lo, 17)}, {mp.nstr(hi, 17)}]"
            )
    else:
        result = _tanh_sinh(lo, hi, f, width, tol)
        if result is not None:
            return result[0]
        if depth >= MAX_SPLIT_DEPTH:
            raise ReferenceAccuracyError(
                f"tanh-sinh did not converge on [{mp.nstr(lo, 17)}, {mp.nstr(hi, 17)}]"
            )
    mid = (lo + hi) / 2
    left = _integrate(lo, mid, f, width, tol, depth + 1)
    right = _integrate(mid, hi, f, width, tol, depth + 1)
    return [p + q for p, q in zip(left, right, strict=True)]
