"""Compiled loops of the exact Laplace loss on the line: the fast path of ``symkde.numeric.exact``.

Why compiled code (numba): the exact loss is a handful of running sums over the sorted
points, each a first-order recurrence ``acc = acc * decay + w``.  NumPy can only evaluate
such a recurrence as a log-depth tree of whole-array passes (``symkde.numeric.scans._prefix_scan``,
about ``2 log2 n`` passes, each with an ``exp`` and a ``log1p``); a compiled loop does it in
one pass with one multiply-add per point, which is what brings the whole loss and gradient
within a few times the cost of the sort.

The loops run in *linear* space, on weights ``w = exp(log_w - c)`` scaled by the largest
log-mass ``c``.  :func:`symkde.numeric.exact_laplace._laplace_fast` calls them only under the
conditions that make that safe (every weight and each outside mass that matters at least
``e^{-500}`` after scaling, such a side within 64 bandwidths of its end, ``(b - a)/h <= 1e15``;
proof in its docstring) and otherwise falls back to the log-space scans.  Short segments
(``d <= SHORT_SEGMENT`` bandwidths) are integrated here by the midpoint series printed from
SymPy (``symkde/numeric/_generated/laplace_forms.py``, theorem ``laplace_short_segment``): one
``log`` per segment for the loss and none for the gradient.  The caller overwrites the longer
segments with the dilogarithm forms of ``symkde.numeric.segment_forms``.

Compiled once per machine: ``cache=True`` keeps the machine code in a user cache directory
(see :func:`_user_cache_dir`), never inside the installed package.
"""

from __future__ import annotations

import math
import os
import threading
from typing import Any

import numba
import numpy as np

from symkde.numeric._generated import laplace_forms


def _user_cache_dir() -> str:
    """Where numba keeps symkde's compiled code: ``$XDG_CACHE_HOME/symkde/numba``, else
    ``~/.cache/symkde/numba`` (``NUMBA_CACHE_DIR``, when set, wins: numba reads it itself).

    Not the package's ``__pycache__``: a cache written into ``site-packages/symkde`` outlives
    ``pip uninstall`` and then shadows a later editable install as an empty namespace package.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "symkde", "numba")


# Before anything below compiles: numba picks a function's cache directory when it is
# decorated. numba has one such setting per process, so numba code decorated later in the
# same process also caches there (outside its own package too). (numba sets its config
# attributes at run time, so mypy cannot see them.)
if not numba.config.CACHE_DIR:  # type: ignore[attr-defined]
    numba.config.CACHE_DIR = _user_cache_dir()  # type: ignore[attr-defined]

__all__ = [
    "BLOCK",
    "PARALLEL_LOCK",
    "SHORT_SEGMENT",
    "count_sides",
    "decayed_sums",
    "order_from_keys",
    "partition",
    "prepare",
    "scatter_gradient",
    "scatter_outside",
    "short_log_integrals",
    "short_resp_integrals",
    "sort_keys",
]

SHORT_SEGMENT = laplace_forms.SHORT_SEGMENT

#: One parallel region at a time, process-wide.  numba's ``workqueue`` threading layer (what
#: numba falls back to where neither TBB nor OpenMP is installed, or what
#: ``NUMBA_THREADING_LAYER=workqueue`` picks) aborts the whole process when two Python
#: threads enter ``parallel=True`` code at once ("Concurrent access has been detected"):
#: a data loader's threads or a framework's callbacks calling symkde together.  Every
#: row-parallel engine (``rows``, ``rows_compact``, ``derivative_rows``, ``bins_compiled``)
#: holds this lock while its parallel loop runs; one loop already spreads over every numba
#: thread, so running them one after another costs no throughput.  The serial variants (a
#: few rows) and everything else run without it.
PARALLEL_LOCK = threading.Lock()


def _fresh_parallel_lock() -> None:
    """In a forked child, a new lock: the parent's may have been held by a thread the child
    does not have (users read ``compiled.PARALLEL_LOCK`` at each call, so they see it)."""
    global PARALLEL_LOCK
    PARALLEL_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_fresh_parallel_lock)


#: ``contract``: a multiply-add may become one FMA (one rounding instead of two).
def _jit(signature: Any) -> Any:
    """Compile eagerly for exactly ``signature`` (C-contiguous arrays unless ``A``): one
    compilation per machine (cached), never a new one for another dtype or layout.

    Arrays the loops only read are typed read-only (:data:`_IN`): numba passes a writeable
    array there too, and a caller's read-only array (a memmap, ``np.asarray`` of a JAX array)
    needs no copy; a writeable-only signature refused it with a raw ``TypeError``.
    """
    return numba.njit(signature, cache=True, nogil=True, error_model="numpy", fastmath={"contract"})


#: A read-only C-contiguous float64 vector: the type of every array a loop only reads.
_IN = numba.types.Array(numba.types.float64, 1, "C", readonly=True)
_F8, _I8, _B1 = numba.types.float64, numba.types.int64, numba.types.boolean
_F8_OUT = numba.types.Array(numba.types.float64, 1, "C")
_I8_OUT = numba.types.Array(numba.types.int64, 1, "C")


_short_log = numba.njit(inline="always", error_model="numpy")(laplace_forms.laplace_short_log)
_short_resp = numba.njit(inline="always", error_model="numpy")(laplace_forms.laplace_short_resp)


#: Block length in bandwidths: offsets from a block's anchor stay in ``[0, BLOCK]``, so
#: each is rounded by at most ``ulp(2)/2`` (a longer block rounds longer offsets: with 16 the
#: masses were off by ~8 eps), and ``e^{offset} <= e^2``.  The carried mass crosses a block
#: boundary with ``e^{-gap} <= e^{-2}``, so older rounding fades geometrically.
BLOCK = 2.0


@_jit(numba.types.Tuple((_I8, _I8, _F8, _F8))(_IN, _F8, _F8))
def count_sides(x, a, b):  # type: ignore[no-untyped-def]
    """``(m, n_left, near_left, near_right)``: the points strictly inside ``(a, b)``, those
    at or left of ``a``, and the outside points nearest to ``a`` and to ``b`` (``a``, ``b``
    when a side has none).  Branch-free (selects, not jumps): the sides of random points
    are unpredictable, and mispredicted branches cost 6 ns a point."""
    n_left = 0
    n_right = 0
    near_left = -math.inf
    near_right = math.inf
    for i in range(x.shape[0]):
        xi = x[i]
        left = xi <= a
        right = xi >= b
        n_left += left
        n_right += right
        near_left = max(near_left, xi if left else -math.inf)
        near_right = min(near_right, xi if right else math.inf)
    m = x.shape[0] - n_left - n_right
    return m, n_left, min(near_left, a) if n_left else a, near_right if n_right else b


@_jit(
    numba.types.void(
        _IN,
        _IN,
        _F8,
        _F8,
        _F8,
        _I8,
        _I8,
        _F8,
        _F8,
        _I8_OUT,
        numba.types.Array(_F8, 2, "C"),
    )
)
def partition(x, log_w, a, b, h, m, n_left, near_left, near_right, index, pairs):  # type: ignore[no-untyped-def]
    """Split the points into inside ``(a, b)``, at or left of ``a``, at or right of ``b``.

    ``m``, ``n_left`` and the nearest outside points come from :func:`count_sides`.  Fills
    ``index`` (``n``) and ``pairs`` (``n x 2``) group by group, in that order: the points'
    indices; in ``pairs[:, 0]`` ``x`` for an inside point, else its log-weight decayed to the
    nearest point of its side, ``log w - |x - near|/h`` (a difference of nearby positions
    for a far cluster: no rounding of order ``eps |a - x|/h``); in ``pairs[:, 1]`` ``log w``.
    Position and weight side by side: the gather after the sort then misses the cache once
    per point, not twice.  Branch-free, as :func:`count_sides`.
    """
    fill_in, fill_left, fill_right = 0, m, m + n_left
    for i in range(x.shape[0]):
        xi = x[i]
        lw = log_w[i]
        left = xi <= a
        right = xi >= b
        k = fill_left if left else (fill_right if right else fill_in)
        fill_left += left
        fill_right += right
        fill_in += not (left or right)
        beyond = (near_left - xi) if left else (xi - near_right)  # >= 0 outside
        pairs[k, 0] = lw - beyond / h if (left or right) else xi
        pairs[k, 1] = lw
        index[k] = i


@_jit("b1(f8[:, ::1], i8[::1], f8, f8, f8, f8[::1], f8[::1], f8[::1], f8[::1])")
def prepare(pairs, order, a, b, h, log_ws, dist, offset, gap):  # type: ignore[no-untyped-def]
    """Gather the sorted inside points and cut ``[a, xs..., b]`` into anchored blocks.

    Args:
        pairs: the points strictly inside ``(a, b)`` (column 0) and their log-weights.
        order: the permutation that sorts them.

    Fills (the outputs; everything here writes into arrays it is given, so that one
    workspace serves the whole computation): ``log_ws = log_w[order]``; ``dist`` (the
    ``m + 1`` segment lengths in bandwidths, between ``a``, the sorted points and ``b``);
    ``offset`` and ``gap`` per coordinate of
        ``[a, xs..., b]``.  Blocks are at most ``BLOCK`` bandwidths long and anchored at
        their first coordinate: ``offset = (c - anchor)/h`` in ``[0, BLOCK]`` (a difference
        of nearby floats, so exact to an ulp of the offset however far ``c`` is from 0), and
        ``gap`` at a block's first coordinate is the distance in bandwidths from the previous
        anchor (0 elsewhere).  Returns False if ``order`` does not sort the positions.
    """
    m = order.shape[0]
    gap[:] = 0.0
    anchor = a
    previous = a
    offset[0] = 0.0
    in_order = True
    for i in range(1, m + 2):
        if i <= m:
            k = order[i - 1]
            c = pairs[k, 0]
            log_ws[i - 1] = pairs[k, 1]
        else:
            c = b
        if c < previous:
            in_order = False
        dist[i - 1] = (c - previous) / h  # a division: one rounding, not two
        previous = c
        o = (c - anchor) / h
        if o > BLOCK:
            gap[i] = o
            anchor = c
            o = 0.0
        offset[i] = o
    return in_order


@_jit(numba.types.void(_IN, _I8, _I8_OUT))
def sort_keys(x, index_bits, keys):  # type: ignore[no-untyped-def]
    """``keys``: each position's order-preserving 64-bit integer, its lowest ``index_bits``
    replaced by the point's index.

    Sorting these integers (NumPy's SIMD sort, about 3x faster than ``np.argsort`` of the
    floats) yields a permutation in which only positions that agree in all but their lowest
    ``index_bits`` bits (within ``2^(index_bits - 52)`` relative of each other) can be out of
    order; :func:`order_from_keys` re-sorts those runs.  The map: a
    non-negative float's bits as an integer, a negative one's with all but the sign bit
    flipped (``-0.0`` sorts just below ``+0.0``).
    """
    bits = x.view(np.int64)
    low = (np.int64(1) << index_bits) - 1
    for i in range(x.shape[0]):
        b = bits[i]
        if b < 0:
            b ^= np.int64(0x7FFFFFFFFFFFFFFF)
        keys[i] = (b & ~low) | i


@_jit(_B1(_I8_OUT, _IN, _I8, _I8_OUT))
def order_from_keys(keys, x, index_bits, order):  # type: ignore[no-untyped-def]
    """``order`` from the sorted :func:`sort_keys`: each key's index bits, with every run of
    keys that agree above those bits (near-ties, in index order) re-sorted by ``x``.

    Returns False, with ``order`` unfilled, when more than ``n/64`` keys are in such runs
    (positions crowded within ``n 2^-52`` relative): ``np.argsort`` is faster then.
    """
    low = (np.int64(1) << index_bits) - 1
    n = keys.shape[0]
    tied = 0
    for i in range(1, n):
        if (keys[i] & ~low) == (keys[i - 1] & ~low):
            tied += 1
    if tied * 64 > n:
        return False
    start = 0
    for i in range(n + 1):
        if i == n or (i > start and (keys[i] & ~low) != (keys[start] & ~low)):
            if i - start > 1:
                run = keys[start:i] & low
                ranks = np.argsort(x[run], kind="mergesort")
                for k in range(i - start):
                    order[start + k] = run[ranks[k]]
            elif i - start == 1:
                order[start] = keys[start] & low
            start = i
    return True


@_jit("void(f8[::1], f8[::1], f8[::1], f8[::1], f8[::1], f8[::1], f8[::1])")
def decayed_sums(grow, shrink, gap, u, v, left, right):  # type: ignore[no-untyped-def]
    """Fill ``left_i = sum_{j <= i} u_j e^{-(c_i - c_j)/h}``, ``right_i = sum_{j >= i} ..``.

    ``right_i = sum_{j >= i} v_j e^{-(c_j - c_i)/h}``; ``c`` are the coordinates
    ``[a, xs..., b]``.

    Args:
        grow, shrink: ``e^{offset}`` and ``e^{-offset}`` (see :func:`prepare`; two SIMD
            exponentials cost less than a division per point in this loop).
        gap: as returned by :func:`prepare`.
        u, v: non-negative weights per coordinate.

    Within a block ``L_i = shrink_i (C + sum_{j <= i} u_j grow_j)``: every term's decay is
    the product of two exponentials of exact offsets, never a product of many per-step
    decays, so the error of ``exp`` does not accumulate with the number of points (NumPy's
    SIMD ``exp`` is biased by about -0.07 ulp; a per-step recurrence over 5e4 points within
    a bandwidth turned that into a 4e-13 error of the loss).  ``C``, the earlier blocks'
    mass at the anchor, crosses each block boundary with one factor ``e^{-gap} <=
    e^{-16}``; ``R`` mirrors ``L`` from the right.  Both sums run in one loop, so their
    additions' latencies overlap.
    """
    count = u.shape[0]
    carry_l, run_l = 0.0, 0.0
    carry_r, run_r = 0.0, 0.0
    for step in range(count):
        i = step
        if gap[i] > 0.0:
            carry_l = (carry_l + run_l) * math.exp(-gap[i])
            run_l = 0.0
        run_l += u[i] * grow[i]
        left[i] = (carry_l + run_l) * shrink[i]
        j = count - 1 - step
        run_r += v[j] * shrink[j]
        right[j] = grow[j] * (carry_r + run_r)
        if gap[j] > 0.0:
            carry_r = (carry_r + run_r) * math.exp(-gap[j])
            run_r = 0.0


@_jit("void(f8[::1], f8[::1], f8[::1], f8[::1], f8[::1])")
def short_log_integrals(dist, left, right, log_total, out):  # type: ignore[no-untyped-def]
    """``int_0^d log(B e^{-s} + A e^{s-d}) ds`` by the midpoint series, every segment.

    ``log_total = log(A + B)``.  Only the values with ``d <= SHORT_SEGMENT`` are meant; the
    rest are finite placeholders (the series is evaluated at the cap) for the caller to
    overwrite.  A branch-free loop, so that it compiles to SIMD code.
    """
    for k in range(dist.shape[0]):
        dk = min(dist[k], SHORT_SEGMENT)
        shape = (right[k] - left[k]) / (right[k] + left[k])
        out[k] = dk * (log_total[k] - 0.5 * dk + _short_log(dk * dk, shape))


@_jit("void(f8[::1], f8[::1], f8[::1], f8[::1])")
def short_resp_integrals(dist, near, far, out):  # type: ignore[no-untyped-def]
    """``out = int_0^d e^{-s} / (B e^{-s} + A e^{s-d}) ds`` (``near = B``, ``far = A``), series.

    With ``near = A``, ``far = B`` it is the twin ``int e^{s-d}/(..)``.  As
    :func:`short_log_integrals`: meant for ``d <= SHORT_SEGMENT``, branch-free.
    """
    for k in range(dist.shape[0]):
        dk = min(dist[k], SHORT_SEGMENT)
        total = near[k] + far[k]
        out[k] = dk / total * _short_resp(dk * dk, near[k] / total)


@_jit("void(i8[::1], i8[::1], f8[::1], f8[::1], f8[::1], f8, f8, f8[::1])")
def scatter_gradient(index, order, w, from_left, from_right, weight_scale, resp_scale, out):  # type: ignore[no-untyped-def]
    """``out[index[order[k]]] = w_k (weight_scale - resp_scale (L_{k+1} + R_{k+1}))``.

    With ``w`` the scaled weights, ``weight_scale = e^c`` and ``resp_scale = h/(b - a)``
    this is ``dL/dz = W - (1/(b-a)) int W K/p`` for the inside points.  An empty ``index``
    stands for the identity (every point was inside).
    """
    identity = index.shape[0] == 0
    for k in range(order.shape[0]):
        total = from_left[k + 1] + from_right[k + 1]
        target = order[k] if identity else index[order[k]]
        out[target] = w[k] * (weight_scale - resp_scale * total)


@_jit("void(i8[::1], f8[:], f8[:], f8, f8[::1])")
def scatter_outside(index, own, share, factor, out):  # type: ignore[no-untyped-def]
    """``out[index[k]] = own_k - share_k factor`` (the points at or beyond an end)."""
    for k in range(index.shape[0]):
        out[index[k]] = own[k] - share[k] * factor
