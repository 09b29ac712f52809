"""The O(n log n) compact-kernel derivatives against the direct forms and mpmath.

Issue 14 ("the exact method stays O(n log n)"): the triangle's dL/dx, dL/dh and the boxcar's
jump terms are log-space window sums (:mod:`symkde.numeric.derivative_compact`).  Checked:

* against the direct ``O(n * segments)`` forms (:mod:`symkde.numeric.derivative_triangle`,
  every point summed at every edge) through ``symkde.derivatives`` on seeded random rows with
  masked points, points ``1e4 h`` away, logits ``+-700``, ties, points ``2^-40`` apart and the
  circle, within the contract's ``1e-12 * max(|v|, 1/h)`` (both sides are float64; the worst
  case measured 0.25 of it);
* against ``symkde.reference.derivatives`` (mpmath, REF_DPS = 30 digits, error ~1e-25) where
  its adaptive quadrature is fast enough;
* at logits ``+-700``, where the reference's quadrature runs for minutes, against
  :func:`_mp_triangle` below: the contract's integrals for the triangle in mpmath at 50
  digits (``p`` linear between the kinks at their exact positions, each segment's
  ``int 1/p`` and ``int log p`` in closed form, no window sums); it is itself checked
  against the reference on a moderate row, and a wrong value is rejected.
"""

from __future__ import annotations

import itertools
import math
import time

import mpmath
import numpy as np
import pytest

import symkde
from symkde import reference
from symkde.numeric import derivative_compact, derivative_triangle
from tests.test_derivatives import REF_DPS, TOL, assert_derivatives_close


def _units(got, want, h: float) -> float:
    """Worst ``|got - want|`` of ``x`` and ``bandwidth`` in units of the contract's tolerance
    ``1e-12 * max(|want|, 1/h)``."""
    pairs = [*zip(got.x.tolist(), want.x.tolist(), strict=True), (got.bandwidth, want.bandwidth)]
    return max(abs(g - w) / (TOL * max(abs(w), 1.0 / h)) for g, w in pairs)


def _row(rng: np.random.Generator, circular: bool) -> tuple[np.ndarray, np.ndarray, float, float]:
    """A seeded random row ``(z, x, h, b)`` with ``a = 0``, drawn from the hard regimes."""
    n = int(rng.integers(1, 10))
    b = 2 * math.pi if circular else 1.0
    h = float(rng.choice([0.6, 1.5, 2.5] if circular else [0.05, 0.3, 1.0]))
    x = rng.uniform(-0.5 * b, 1.5 * b, n)
    x = np.concatenate((x, np.arange(0.0, b + h, 0.9 * h)))  # supports that cover [a, b]
    z = rng.normal(0.0, 1.0, x.size) * float(rng.choice([1.0, 30.0, 700.0]))
    k = x.size  # only the first n points move: the covering ones stay (one may be masked)
    if rng.random() < 0.4:
        x[int(rng.integers(n))] = (1e4 if rng.random() < 0.5 else -1e4) * h
    if rng.random() < 0.4:
        j = int(rng.integers(n))
        i = int(rng.choice(np.delete(np.arange(k), j)))
        x[j] = x[i] if rng.random() < 0.5 else x[i] + 2.0**-40
    if rng.random() < 0.4:
        z[int(rng.integers(k))] = -np.inf  # masked
    return z, x, h, b


def _direct(monkeypatch, *args, **kwargs):
    """``symkde.derivatives`` with the direct forms in place of the window sums."""
    with monkeypatch.context() as patch:
        patch.setattr(
            derivative_compact,
            "triangle_position_bandwidth",
            derivative_triangle.triangle_position_bandwidth,
        )
        patch.setattr(
            derivative_compact,
            "boxcar_jumps",
            derivative_triangle.boxcar_jumps_direct,
        )
        return symkde.derivatives(*args, **kwargs)


@pytest.mark.parametrize("circular", [False, True])
def test_triangle_window_sums_match_the_direct_form(monkeypatch, circular):
    rng = np.random.default_rng(14 + circular)
    worst = 0.0
    for _ in range(25):
        z, x, h, b = _row(rng, circular)
        options = {"kernel": "triangle", "bandwidth": h, "circular": circular}
        fast = symkde.derivatives(z, x, 0.0, b, **options)
        slow = _direct(monkeypatch, z, x, 0.0, b, **options)
        assert np.isfinite(fast.x).all() and math.isfinite(fast.bandwidth)
        worst = max(worst, _units(fast, slow, h))
    print(f"triangle window sums vs direct (circular={circular}): {worst:.3g} x tolerance")
    assert worst <= 1.0


def test_boxcar_window_sums_match_the_direct_form(monkeypatch):
    # no exact ties here: the direct form decides a tie at an edge by rounding (below)
    rng = np.random.default_rng(41)
    worst = 0.0
    for _ in range(25):
        z, x, h, b = _row(rng, False)
        x = x + rng.uniform(0.0, 1e-3, x.size) * (np.abs(x) < 10)  # breaks exact ties
        options = {"kernel": "boxcar", "bandwidth": h}
        fast = symkde.derivatives(z, x, 0.0, b, **options)
        slow = _direct(monkeypatch, z, x, 0.0, b, **options)
        worst = max(worst, _units(fast, slow, h))
    print(f"boxcar jump window sums vs direct: {worst:.3g} x tolerance")
    assert worst <= 1.0


@pytest.mark.parametrize(
    ("kernel", "z", "x", "h"),
    [
        # masked point, a point 1e4 h away, a tie and a pair 2^-40 apart
        ("triangle", [0.5, -np.inf, 1.0, -0.3, 0.2], [0.3, 0.5, 4e3, 0.7, 0.7], 0.4),
        ("triangle", [1.0, -2.0, 0.5], [0.2, 0.2 + 2.0**-40, 0.75], 0.45),
        # a tie whose support ends inside the target: q counts the tied support (closed)
        ("boxcar", [0.5, -1.0, 0.3], [0.3, 0.3, 0.55], 0.45),
        ("boxcar", [0.2, -np.inf, 1.0, -0.5], [0.1, 0.5, 0.65, -4e3], 0.4),
    ],
)
def test_compact_window_sums_against_reference(kernel, z, x, h):
    options = {"kernel": kernel, "bandwidth": h}
    got = symkde.derivatives(z, x, 0.0, 1.0, **options)
    ref = reference.derivatives(z, x, 0.0, 1.0, dps=REF_DPS, **options)
    assert_derivatives_close(got, ref, h=h, a=0.0, b=1.0, what=f"{kernel} z={z} x={x}")


# --------------------------------------------------------------------------------------------
# The triangle's contract integrals in mpmath, for rows the reference's quadrature cannot do.


def _mp_triangle(z, x, h, a, b, dps: int = 50):
    """``(loss, dL/dx, dL/dh, dL/da, dL/db)`` of the triangle on the line at ``dps`` digits.

    ``h^2 p(t) = sum_j S_j (h - |t - x_j|)_+`` is linear between the sorted kinks (exact:
    sums of doubles at 50 digits), so per segment ``int 1/p = L (log p1 - log p0)/(p1 - p0)``
    and ``int log p = L (p1 log p1 - p0 log p0)/(p1 - p0) - L``.
    """
    with mpmath.workdps(dps):
        zs = [mpmath.mpf(v) for v in z]
        top = max(zs)
        w = [mpmath.exp(v - top) for v in zs]
        s = [v / mpmath.fsum(w) for v in w]
        xs, hh, am, bm = [mpmath.mpf(v) for v in x], mpmath.mpf(h), mpmath.mpf(a), mpmath.mpf(b)

        def p(t):
            return (
                mpmath.fsum(sj * max(hh - abs(t - xj), 0) for sj, xj in zip(s, xs, strict=True))
                / hh**2
            )

        kinks = {am, bm} | {xj + c * hh for xj in xs for c in (-1, 0, 1) if am < xj + c * hh < bm}
        edges = sorted(kinks)
        inv, logs = [], []
        for t0, t1 in itertools.pairwise(edges):
            p0, p1, length = p(t0), p(t1), t1 - t0
            if p0 == p1:
                inv.append(length / p0)
                logs.append(length * mpmath.log(p0))
            else:
                inv.append(length * (mpmath.log(p1) - mpmath.log(p0)) / (p1 - p0))
                logs.append(
                    length * (p1 * mpmath.log(p1) - p0 * mpmath.log(p0)) / (p1 - p0) - length
                )
        loss = -mpmath.fsum(logs) / (bm - am)

        def half(lo, hi):
            return mpmath.fsum(
                v
                for v, (t0, t1) in zip(inv, itertools.pairwise(edges), strict=True)
                if lo <= t0 and t1 <= hi
            )

        rising = [half(xj - hh, xj) for xj in xs]
        falling = [half(xj, xj + hh) for xj in xs]
        d_x = [
            sj * (r - f) / (hh**2 * (bm - am)) for sj, r, f in zip(s, rising, falling, strict=True)
        ]
        total = mpmath.fsum(sj * (r + f) for sj, r, f in zip(s, rising, falling, strict=True))
        d_h = -(total / (hh**2 * (bm - am)) - 2 / hh)
        d_a = (mpmath.log(p(am)) + loss) / (bm - am)
        d_b = -(mpmath.log(p(bm)) + loss) / (bm - am)
        return loss, d_x, d_h, d_a, d_b


def _assert_mp(got, want, h: float, a: float, b: float) -> float:
    """The contract against :func:`_mp_triangle`; returns the worst error in tolerance units."""
    loss, d_x, d_h, d_a, d_b = want
    s_ab = (1 + abs(float(loss))) / (b - a)
    entries = [(g, float(r), 1 / h) for g, r in zip(got.x.tolist(), d_x, strict=True)]
    entries += [(got.bandwidth, float(d_h), 1 / h), (got.a, float(d_a), s_ab)]
    entries += [(got.b, float(d_b), s_ab), (got.loss, float(loss), abs(float(loss)))]
    units = max(abs(g - r) / (TOL * max(abs(r), scale)) for g, r, scale in entries)
    assert units <= 1.0, (units, got, want)
    return units


def test_mp_triangle_agrees_with_the_reference():
    z, x, h = [4.0, -4.0, 0.0, 1.0], [0.1, 0.45, 0.8, 0.6], 0.35
    ref = reference.derivatives(z, x, 0.0, 1.0, kernel="triangle", bandwidth=h, dps=REF_DPS)
    mp = _mp_triangle(z, x, h, 0.0, 1.0)
    values = [ref.loss, *ref.x, ref.bandwidth, ref.a, ref.b]
    mine = [mp[0], *mp[1], mp[2], mp[3], mp[4]]
    assert max(abs(v - m) for v, m in zip(values, mine, strict=True)) < mpmath.mpf(10) ** -25


def test_mp_check_rejects_a_wrong_value():
    z, x, h = [700.0, -700.0, 0.0], [0.3, 0.5, 0.7], 0.4
    got = symkde.derivatives(z, x, 0.0, 1.0, kernel="triangle", bandwidth=h)
    wrong = got._replace(bandwidth=got.bandwidth * (1 + 1e-11))
    with pytest.raises(AssertionError):
        _assert_mp(wrong, _mp_triangle(z, x, h, 0.0, 1.0), h, 0.0, 1.0)


@pytest.mark.parametrize("method", ["exact", "auto", "quadrature"])
def test_triangle_extreme_logits_every_method_fast_and_exact(method):
    # the quadrature's panels multiplied without converging (minutes) where the dominant
    # support ends; it now takes the closed form there (derivatives._TRIANGLE_PANEL_STEP)
    z, x, h = [700.0, -700.0, 0.0], [0.3, 0.5, 0.7], 0.4
    options = {"kernel": "triangle", "bandwidth": h, "method": method}
    symkde.derivatives([0.0, 0.0, 0.0], x, 0.0, 1.0, **options)  # imports, caches
    start = time.perf_counter()
    got = symkde.derivatives(z, x, 0.0, 1.0, **options)
    seconds = time.perf_counter() - start
    assert seconds < 1.0, f"{method}: {seconds:.2f} s"
    units = _assert_mp(got, _mp_triangle(z, x, h, 0.0, 1.0), h, 0.0, 1.0)
    print(f"triangle +-700 {method}: {seconds * 1e3:.1f} ms, {units:.3g} x tolerance")


def test_triangle_extreme_logits_bins_fast():
    # the binned loss differs from the integral; it must finish and stay finite
    z, x, h = [700.0, -700.0, 0.0], [0.3, 0.5, 0.7], 0.4
    options = {"kernel": "triangle", "bandwidth": h, "method": "bins", "bins": 64}
    symkde.derivatives([0.0, 0.0, 0.0], x, 0.0, 1.0, **options)
    start = time.perf_counter()
    got = symkde.derivatives(z, x, 0.0, 1.0, **options)
    assert time.perf_counter() - start < 1.0
    assert np.isfinite(got.x).all() and math.isfinite(got.bandwidth)


def test_triangle_quadrature_moderate_row_keeps_its_panels(monkeypatch):
    """Below the step threshold the quadrature still integrates by panels (and agrees)."""
    from symkde.numeric import derivatives as module

    z, x, h = [0.5, -1.0, 0.3], [0.3, 0.5, 0.7], 0.4
    calls = []
    original = module._integrals
    monkeypatch.setattr(module, "_integrals", lambda *a, **k: calls.append(1) or original(*a, **k))
    got = symkde.derivatives(z, x, 0.0, 1.0, kernel="triangle", bandwidth=h, method="quadrature")
    assert calls, "the quadrature method did not use its panels"
    _assert_mp(got, _mp_triangle(z, x, h, 0.0, 1.0), h, 0.0, 1.0)


def test_direct_comparison_rejects_a_wrong_value(monkeypatch):
    z, x, h = [0.5, -1.0, 0.3], [0.3, 0.5, 0.7], 0.4
    options = {"kernel": "triangle", "bandwidth": h}
    slow = _direct(monkeypatch, z, x, 0.0, 1.0, **options)
    fast = symkde.derivatives(z, x, 0.0, 1.0, **options)
    assert _units(fast, slow, h) <= 1.0
    wrong = fast._replace(x=fast.x + np.array([0.0, 3e-12 / h, 0.0]))
    assert _units(wrong, slow, h) > 1.0


def test_triangle_random_rows_against_mp():
    """Rows of ~30 to ~70 points with logits spread to ``+-1400`` inside the target, where
    each log in the scans sits near ``+-700``: within the contract of the 50-digit values
    (the compensated logs measured at most 0.49 of it on 80 such rows; without them, 3.8)."""
    rng = np.random.default_rng(5)
    worst = 0.0
    for _ in range(6):
        z, x, h, b = _row(rng, False)
        extra = rng.uniform(-0.2, 1.2, int(rng.integers(20, 60)))
        x = np.concatenate((x, extra))
        z = np.concatenate((z, rng.normal(0.0, 1.0, extra.size) * 700.0))
        got = symkde.derivatives(z, x, 0.0, b, kernel="triangle", bandwidth=h)
        keep = np.isfinite(z)
        _, d_x, d_h, _, _ = _mp_triangle(z[keep].tolist(), x[keep].tolist(), h, 0.0, b, dps=40)
        want = np.zeros(z.size)
        want[keep] = [float(v) for v in d_x]
        entries = [*zip(got.x.tolist(), want.tolist(), strict=True), (got.bandwidth, float(d_h))]
        worst = max(worst, *(abs(g - w) / (TOL * max(abs(w), 1 / h)) for g, w in entries))
    print(f"triangle, many points at logits ~700 vs mpmath: {worst:.3g} x tolerance")
    assert worst <= 1.0


def test_triangle_quadrature_over_its_panel_budget_takes_the_closed_form(monkeypatch):
    from symkde.numeric import derivatives as module

    z, x, h = [3.0, -3.0, 0.0], [0.3, 0.5, 0.7], 0.4  # log p steps by 2.3: panels refine
    options = {"kernel": "triangle", "bandwidth": h, "method": "quadrature"}
    monkeypatch.setattr(module, "_TRIANGLE_PANEL_BUDGET", 0)  # any refinement is too many
    closed = []
    original = derivative_compact.triangle_position_bandwidth
    monkeypatch.setattr(
        derivative_compact,
        "triangle_position_bandwidth",
        lambda *a: closed.append(1) or original(*a),
    )
    got = symkde.derivatives(z, x, 0.0, 1.0, **options)
    assert closed, "the closed form was not used past the budget"
    _assert_mp(got, _mp_triangle(z, x, h, 0.0, 1.0), h, 0.0, 1.0)
