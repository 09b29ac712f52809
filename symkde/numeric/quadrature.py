"""``method="quadrature"``: adaptive Gauss-Legendre panels over ``[a, b]``, never silent.

Owns the panel edges (:func:`_breakpoints`: every kink, peak and dominance switch of the
integrand with a graded mesh around each; :func:`_dominance_switches`,
:func:`_circle_switches`, :func:`_upper_envelope_breaks`), the panels (:func:`_initial_panels`,
:func:`_panel_nodes`, the triangle's zero-end panels in closed form, :func:`_zero_end_panels`),
the whole-versus-halves refinement (:func:`_quadrature`), its tolerances (``_QUAD_*``) and
:class:`QuadratureError`, raised whenever the tolerance is not reached.  The smooth-kernel
fast paths and the derivatives reuse its panel driver.  Imports NumPy, the generated log
kernels, :mod:`symkde.numeric.angles`, :mod:`symkde.numeric.images`,
:mod:`symkde.numeric.mixture` and :mod:`symkde.numeric.validate`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from symkde.numeric._generated.log_kernels import (
    KERNEL_INFO,
    LOG_KERNELS,
)
from symkde.numeric.angles import TWO_PI as _TWO_PI
from symkde.numeric.angles import turns_to
from symkde.numeric.images import _periodic_copies
from symkde.numeric.mixture import _blocks, _finish, _image_owners, _Mixture
from symkde.numeric.validate import Problem

__all__ = ["QuadratureError"]

FloatArray = NDArray[np.float64]


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


class QuadratureError(RuntimeError):
    """The adaptive quadrature did not reach its tolerance (never returned silently)."""


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
