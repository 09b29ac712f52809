"""Cauchy sums on the line by box trees: ``sum_s c_s h / ((y - s)^2 + h^2)`` in ``~(n + m) log``.

Owns :func:`pole_sums` (used by :mod:`symkde.numeric.smooth_cauchy` for the forward sums at the
quadrature nodes and for the gradient's transposed sums at the points) and its compiled loops;
imports NumPy and numba only.

The kernel is ``Im 1/(s - y - ih)``.  Sources ``s`` (weights ``c_s >= 0``) and targets ``y`` are
put in dyadic box trees on one grid: level-0 boxes are ``h/2`` wide (half-width ``R_0 = h/4``),
level ``l`` boxes ``2^l`` times that.  A source box ``S`` and a target box ``T`` of one level
with centres ``c_S, c_T`` are *admissible* when ``R_S + R_T <= |D| / 4``, ``D = c_S - c_T - ih``:
then with ``d = (s - c_S) - (y - c_T)``, ``|d| <= R_S + R_T``,
``1/(D + d) = sum_{n < P} (-d)^n / D^{n+1} + (tail)``, the same pole expansion at ratio ``1/4``
as theorem ``cauchy_multipole_remainder`` (``P = CAUCHY_ORDER`` terms leave at most ``2**-60``
of the pair's own ``Im`` part while ``|D| <= CAUCHY_SPAN h``); ``(-d)^n`` expands exactly into
powers of ``y - c_T`` and moments of ``s - c_S`` (multipole-to-local).  Pairs that are not
admissible are split into their children; at level 0 (``|D| >= h = 4 R_0``) a pair is summed
by the source box's expansion at each target, by each source's expansion about the target
box, or point by point -- whichever is cheapest, all at ratio ``<= 1/4`` or exact.  Moments
move up the source tree and local expansions down the target tree by exact binomial
re-centring (no truncation).  Targets evaluate their level-0 box's local polynomial.

Only imaginary parts are carried: ``Im(q (R q)^n)`` by complex products whose two real terms
share a sign (a few ulps of itself, however far), and the local expansion at real ``y`` is the
real polynomial of the ``Im`` coefficients.  Each box pair's error is therefore relative to its
own (positive) contribution, and so to the whole sum.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["Tree", "pole_sums", "top_level"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _jit(signature: str) -> Any:
    return numba.njit(signature, cache=True, nogil=True, error_model="numpy")


class Tree:
    """Sorted positions in dyadic boxes, levels ``0..top`` stored level after level.

    ``key`` (box index on its level's grid), ``first``/``stop`` (its positions), ``child_lo``/
    ``child_hi`` (its children, flat indices), ``offset[l]`` (the first box of level ``l``).
    """

    def __init__(self, pos: FloatArray, width: float, top: int) -> None:
        key0 = np.floor(pos / width).astype(np.int64)
        keys, firsts, stops, lo, hi = [], [], [], [], []
        offset = [0]
        previous_first = None
        for level in range(top + 1):
            key = key0 >> level
            starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
            first = starts.astype(np.int64)
            stop = np.append(starts[1:], pos.size).astype(np.int64)
            keys.append(key[starts])
            firsts.append(first)
            stops.append(stop)
            if previous_first is None:
                lo.append(np.zeros(first.size, np.int64))
                hi.append(np.zeros(first.size, np.int64))
            else:
                base = offset[-2]
                lo.append(np.searchsorted(previous_first, first).astype(np.int64) + base)
                hi.append(np.searchsorted(previous_first, stop).astype(np.int64) + base)
            previous_first = first
            offset.append(offset[-1] + first.size)
        self.key = np.ascontiguousarray(np.concatenate(keys))
        self.first = np.ascontiguousarray(np.concatenate(firsts))
        self.stop = np.ascontiguousarray(np.concatenate(stops))
        self.child_lo = np.ascontiguousarray(np.concatenate(lo))
        self.child_hi = np.ascontiguousarray(np.concatenate(hi))
        self.offset = np.asarray(offset, dtype=np.int64)


def top_level(lo: float, hi: float, width: float) -> int:
    """The level at which ``[lo, hi]`` spans at most 4 boxes (both trees start there)."""
    k_lo, k_hi = math.floor(lo / width), math.floor(hi / width)
    level = 0
    while (k_hi >> level) - (k_lo >> level) > 3:
        level += 1
    return level


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _binomials(size):  # type: ignore[no-untyped-def]
    table = np.zeros((size, size))
    for i in range(size):
        table[i, 0] = 1.0
        for j in range(1, i + 1):
            table[i, j] = table[i - 1, j - 1] + table[i - 1, j]
    return table


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _im_powers(q, radius, out):  # type: ignore[no-untyped-def]
    """``out[n] = Im(q (radius q)^n)``, each by products of one sign (see the module)."""
    power = q
    step = radius * q
    for n in range(out.shape[0]):
        out[n] = power.imag
        power *= step


@_jit(
    "void(f8[::1], f8[::1], f8[::1], i8[::1], i8[::1], i8[::1], i8[::1], i8[::1], i8[::1],"
    " i8[::1], i8[::1], i8[::1], i8[::1], i8[::1], i8[::1], f8, f8, i8, f8[::1])"
)
def _tree_sums(  # type: ignore[no-untyped-def]
    src, c, tgt, s_key, s_first, s_stop, s_lo, s_hi, s_off,
    t_key, t_first, t_stop, t_lo, t_hi, t_off, width, h, order, out,
):  # fmt: skip
    """``out[i] = sum_s c_s h / ((tgt_i - s)^2 + h^2)`` (see the module docstring)."""
    top = s_off.shape[0] - 2
    binom = _binomials(2 * order + 1)
    # source moments m[B, k] = sum_s c_s ((s - c_B) / R_B)^k: level 0 directly, then upwards
    moments = np.zeros((s_key.shape[0], order))
    radius0 = 0.5 * width
    for box in range(s_off[0], s_off[1]):
        centre = (s_key[box] + 0.5) * width
        for j in range(s_first[box], s_stop[box]):
            u = (src[j] - centre) / radius0
            term = c[j]
            for k in range(order):
                moments[box, k] += term
                term *= u
    for level in range(1, top + 1):
        for box in range(s_off[level], s_off[level + 1]):
            for child in range(s_lo[box], s_hi[box]):
                sign = 1.0 if (s_key[child] & 1) == 1 else -1.0  # child centre = c -+ R/2
                for k in range(order):
                    total = 0.0
                    sign_power = 1.0
                    for i in range(k, -1, -1):  # binom(k, i) m_i sign^(k - i)
                        total += binom[k, i] * moments[child, i] * sign_power
                        sign_power *= sign
                    moments[box, k] += total * 0.5**k
    local = np.zeros((t_key.shape[0], order))
    direct = np.zeros(tgt.shape[0])
    im_pow = np.empty(order)
    stack_s = np.empty(64 * (top + 2) * 16, np.int64)
    stack_t = np.empty(64 * (top + 2) * 16, np.int64)
    stack_l = np.empty(64 * (top + 2) * 16, np.int64)
    depth = 0
    # start: every pair of top-level boxes (at most 4 x 4)
    for sb in range(s_off[top], s_off[top + 1]):
        for tb in range(t_off[top], t_off[top + 1]):
            stack_s[depth] = sb
            stack_t[depth] = tb
            stack_l[depth] = top
            depth += 1
    while depth > 0:
        depth -= 1
        sb, tb, level = stack_s[depth], stack_t[depth], stack_l[depth]
        box_w = width * 2.0**level
        radius = 0.5 * box_w
        d_re = (s_key[sb] - t_key[tb]) * box_w
        dist = math.sqrt(d_re * d_re + h * h)
        if 8.0 * radius * (1.0 + 1e-12) <= dist:  # admissible: multipole to local
            q = 1.0 / complex(d_re, -h)
            _im_powers(q, radius, im_pow)
            for ll in range(order):
                total = 0.0
                sign = 1.0
                for k in range(order - ll):
                    total += binom[k + ll, ll] * sign * moments[sb, k] * im_pow[k + ll]
                    sign = -sign
                local[tb, ll] += total
            continue
        if level > 0:
            for cs in range(s_lo[sb], s_hi[sb]):
                for ct in range(t_lo[tb], t_hi[tb]):
                    stack_s[depth] = cs
                    stack_t[depth] = ct
                    stack_l[depth] = level - 1
                    depth += 1
            continue
        # level 0, |D| >= h = 4 R_0: the cheapest of three sums
        n_s = s_stop[sb] - s_first[sb]
        n_t = t_stop[tb] - t_first[tb]
        c_s = (s_key[sb] + 0.5) * width
        c_t = (t_key[tb] + 0.5) * width
        if n_s * n_t <= order * min(n_s, n_t):
            for i in range(t_first[tb], t_stop[tb]):
                total = 0.0
                for j in range(s_first[sb], s_stop[sb]):
                    d = tgt[i] - src[j]
                    total += c[j] * h / (d * d + h * h)
                direct[i] += total
        elif n_t <= n_s:  # the source box's expansion at each target
            for i in range(t_first[tb], t_stop[tb]):
                q = 1.0 / complex(c_s - tgt[i], -h)
                _im_powers(q, radius0, im_pow)
                total = 0.0
                sign = 1.0
                for k in range(order):
                    total += sign * moments[sb, k] * im_pow[k]
                    sign = -sign
                direct[i] += total
        else:  # each source's expansion about the target box
            for j in range(s_first[sb], s_stop[sb]):
                q = 1.0 / complex(src[j] - c_t, -h)
                _im_powers(q, radius0, im_pow)
                for ll in range(order):
                    local[tb, ll] += c[j] * im_pow[ll]
    # local expansions down the target tree: p(u_parent) with u_parent = (u_child +- 1) / 2
    for level in range(top, 0, -1):
        for box in range(t_off[level], t_off[level + 1]):
            for child in range(t_lo[box], t_hi[box]):
                sign = 1.0 if (t_key[child] & 1) == 1 else -1.0
                for i in range(order):
                    total = 0.0
                    sign_power = 1.0
                    for ll in range(i, order):
                        total += local[box, ll] * binom[ll, i] * sign_power * 0.5**ll
                        sign_power *= sign
                    local[child, i] += total
    for box in range(t_off[0], t_off[1]):
        centre = (t_key[box] + 0.5) * width
        for i in range(t_first[box], t_stop[box]):
            u = (tgt[i] - centre) / radius0
            acc = local[box, order - 1]
            for ll in range(order - 2, -1, -1):
                acc = acc * u + local[box, ll]
            out[i] = acc + direct[i]


def pole_sums(
    src: FloatArray,
    c: FloatArray,
    tgt: FloatArray,
    h: float,
    order: int,
    top: int,
    src_tree: Tree | None = None,
    tgt_tree: Tree | None = None,
) -> FloatArray:
    """``sum_s c_s h / ((y - s)^2 + h^2)`` at every ``y`` in ``tgt`` (``src``, ``tgt`` sorted,
    within ``[lo, hi]`` of ``top = top_level(lo, hi, h / 2)``; trees of them may be passed)."""
    width = 0.5 * h
    s_tree = Tree(src, width, top) if src_tree is None else src_tree
    t_tree = Tree(tgt, width, top) if tgt_tree is None else tgt_tree
    out = np.empty(tgt.size)
    _tree_sums(
        src, c, tgt, s_tree.key, s_tree.first, s_tree.stop, s_tree.child_lo, s_tree.child_hi,
        s_tree.offset, t_tree.key, t_tree.first, t_tree.stop, t_tree.child_lo, t_tree.child_hi,
        t_tree.offset, width, h, order, out,
    )  # fmt: skip
    return out
