"""symkde.derivatives against the mpmath reference, and the reference against differences.

Contract (API.md, "Derivatives with respect to every argument"): each entry within
``1e-12 * max(|true|, s)``, ``s = 1/h`` for ``x`` and ``bandwidth``, ``s = (1 + |L|)/(b - a)``
for ``a`` and ``b``; ``loss`` and ``z`` as for ``loss_and_grad``.  The reference runs at
REF_DPS = 30 digits with its self-check, so its error (1e-25) is far below the tolerance.
The worst error on the grid, in units of the tolerance, is printed (``pytest -s``).
"""

from __future__ import annotations

import importlib
import math

import mpmath
import numpy as np
import pytest

import symkde
from symkde import reference
from tests.helpers import GRAD_ATOL, LOSS_RTOL, SUMMARY, argument_grid, assert_close

reference_derivatives_module = importlib.import_module("symkde.reference.derivatives")

REF_DPS = 30
TOL = 1e-12  # API.md: 1e-12 * max(|true|, scale)
WORST: dict[tuple[str, str, str], float] = {}


def assert_derivatives_close(got, ref, *, h: float, a: float, b: float, what: str) -> float:
    """Assert the contract entry by entry; returns the worst error in units of the tolerance."""
    assert_close(got.loss, ref.loss, rtol=LOSS_RTOL, ref_dps=REF_DPS, what=f"{what} loss")
    assert_close(got.z, ref.z, atol=GRAD_ATOL, ref_dps=REF_DPS, what=f"{what} dL/dz")
    s_ab = (1 + abs(float(ref.loss))) / (b - a)
    entries = [("x", float(g), float(r), 1 / h) for g, r in zip(got.x, ref.x, strict=True)]
    entries += [
        ("bandwidth", got.bandwidth, float(ref.bandwidth), 1 / h),
        ("a", got.a, float(ref.a), s_ab),
        ("b", got.b, float(ref.b), s_ab),
    ]
    worst = 0.0
    bad = []
    for name, g, r, scale in entries:
        units = abs(g - r) / (TOL * max(abs(r), scale))
        worst = max(worst, units)
        if not units <= 1.0:
            bad.append(f"  {name}: got {g!r} ref {r!r} ({units:.3g} x tolerance)")
    if bad:
        raise AssertionError(
            f"{what}: {len(bad)} entries off (ref at {REF_DPS} digits)\n" + "\n".join(bad)
        )
    return worst


def _grid_cases():
    """One case per kernel x method x regime of the accuracy grid (n <= 3, for time)."""
    seen = set()
    for case in argument_grid(quick=True):
        if case.z.size > 3:
            continue
        for kernel in case.kernels:
            methods = [("quadrature", None), ("bins", 29)]
            if kernel in ("laplace", "boxcar", "triangle"):
                methods.append(("exact", None))
            for method, bins in methods:
                key = (kernel, method, case.regime, case.bandwidth)
                if key not in seen:
                    seen.add(key)
                    yield pytest.param(
                        case, kernel, method, bins, id=f"{case.id}-{kernel}-{method}"
                    )


def check(z, x, a, b, *, kernel, h, method, bins=None, circular=False, regime="") -> None:
    kw = dict(kernel=kernel, bandwidth=h, circular=circular)
    got = symkde.derivatives(z, x, a, b, method=method, bins=bins, **kw)
    ref_method = "bins" if method == "bins" else "integral"
    ref = reference.derivatives(z, x, a, b, method=ref_method, bins=bins, dps=REF_DPS, **kw)
    worst = assert_derivatives_close(got, ref, h=h, a=a, b=b, what=f"{kernel} {method}")
    key = (kernel + (" circle" if circular else ""), method, regime)
    WORST[key] = max(WORST.get(key, 0.0), worst)


@pytest.mark.parametrize(("case", "kernel", "method", "bins"), list(_grid_cases()))
def test_line_derivatives_match_reference(case, kernel, method, bins):
    check(
        case.z,
        case.x,
        case.a,
        case.b,
        kernel=kernel,
        h=case.bandwidth,
        method=method,
        bins=bins,
        regime=case.regime,
    )


CIRCLE = [
    ("laplace", 0.4),
    ("gaussian", 0.4),
    ("cauchy", 0.3),
    ("vonmises", 0.5),
    ("boxcar", 2.0),
    ("triangle", 2.5),
]


@pytest.mark.parametrize(("kernel", "h"), CIRCLE)
def test_circle_derivatives_match_reference(kernel, h):
    z, x = [0.3, -1.0, 2.0], [-2.9, 0.4, 3.0]
    methods = [("quadrature", None), ("bins", 17)]
    if kernel in ("laplace", "boxcar", "triangle"):
        methods.append(("exact", None))
    for method, bins in methods:
        check(
            z,
            x,
            2.5,
            5.0,
            kernel=kernel,
            h=h,
            method=method,
            bins=bins,
            circular=True,
            regime="arc across pi",
        )


def test_check_rejects_a_perturbed_value():
    """The comparison above fails for an entry 2e-12 (in units of its scale) off."""
    z, x, h = [0.0, 1.0], [0.2, 0.9], 0.5
    got = symkde.derivatives(z, x, 0.0, 1.0, bandwidth=h)
    ref = reference.derivatives(z, x, 0.0, 1.0, bandwidth=h, dps=REF_DPS)
    assert assert_derivatives_close(got, ref, h=h, a=0.0, b=1.0, what="ok") < 0.5
    for field, delta in (("bandwidth", 2e-12 / h), ("a", 2e-12 * (1 + abs(got.loss)))):
        wrong = got._replace(**{field: getattr(got, field) + delta})
        with pytest.raises(AssertionError, match="entries off"):
            assert_derivatives_close(wrong, ref, h=h, a=0.0, b=1.0, what="perturbed")
    wrong_x = got._replace(x=got.x + np.array([0.0, 2e-12 * max(abs(got.x[1]), 1 / h)]))
    with pytest.raises(AssertionError, match="entries off"):
        assert_derivatives_close(wrong_x, ref, h=h, a=0.0, b=1.0, what="perturbed")


# ------------------------------------------------------------------ the reference itself


def central_differences(z, x, a, b, *, kernel, h, circular=False, dps=40):
    """``dL/dx_j``, ``dL/dh``, ``dL/da``, ``dL/db`` by central differences of reference.loss.

    Step 1e-12 at 40 digits: truncation ~ step^2 * L''' ~ 1e-24, rounding ~ 1e-40 / 1e-12.
    """
    with mpmath.workdps(dps + 10):
        step = mpmath.mpf(10) ** -12
        xs = [mpmath.mpf(v) for v in x]
        kw = dict(kernel=kernel, circular=circular, dps=dps, check=False)

        def loss(xv=xs, av=a, bv=b, hv=h):
            return reference.loss(z, xv, av, bv, bandwidth=hv, **kw)

        def diff(shift):
            return (shift(step) - shift(-step)) / (2 * step)

        d_x = [
            diff(lambda s, j=j: loss(xv=[v + (s if k == j else 0) for k, v in enumerate(xs)]))
            for j in range(len(xs))
        ]
        d_h = diff(lambda s: loss(hv=mpmath.mpf(h) + s))
        d_a = diff(lambda s: loss(av=mpmath.mpf(a) + s))
        d_b = diff(lambda s: loss(bv=mpmath.mpf(b) + s))
        return d_x, d_h, d_a, d_b


@pytest.mark.parametrize(
    ("kernel", "h", "circular"),
    [
        ("laplace", 0.3, False),
        ("boxcar", 0.8, False),
        ("cauchy", 0.5, True),
        ("triangle", 1.5, True),
    ],
)
def test_reference_matches_central_differences_of_reference_loss(kernel, h, circular):
    z, x, a, b = [0.5, -0.2, 0.0], [0.1, 0.65, 1.3], 0.0, 1.0
    ref = reference.derivatives(z, x, a, b, kernel=kernel, bandwidth=h, circular=circular, dps=30)
    d_x, d_h, d_a, d_b = central_differences(z, x, a, b, kernel=kernel, h=h, circular=circular)
    for got, want in [
        *zip(ref.x, d_x, strict=True),
        (ref.bandwidth, d_h),
        (ref.a, d_a),
        (ref.b, d_b),
    ]:
        assert abs(got - want) < mpmath.mpf(10) ** -18, (kernel, got, want)


def test_difference_check_rejects_a_missing_jump_term(monkeypatch):
    """Without the boxcar's jump terms the reference differs from the differences by O(1)."""
    z, x, a, b, h = [0.5, -0.2, 0.0], [0.1, 0.65, 1.3], 0.0, 1.0, 0.8
    monkeypatch.setattr(
        reference_derivatives_module,
        "_boxcar_jumps",
        lambda model: ([mpmath.mpf(0)] * len(model.index), mpmath.mpf(0)),
    )
    ref = reference.derivatives(z, x, a, b, kernel="boxcar", bandwidth=h, dps=20, check=False)
    d_x, _, _, _ = central_differences(z, x, a, b, kernel="boxcar", h=h, dps=25)
    assert max(abs(g - w) for g, w in zip(ref.x, d_x, strict=True)) > 1e-3


def test_reference_self_check_rejects_disagreeing_precisions(monkeypatch):
    original = reference_derivatives_module._evaluate

    def skewed(problem, working_dps, target_dps):
        values = list(original(problem, working_dps, target_dps))
        if working_dps < 45:  # the run at dps only (the check runs at dps + 15 + guard)
            values[-3] += mpmath.mpf(10) ** -20
        return tuple(values)

    monkeypatch.setattr(reference_derivatives_module, "_evaluate", skewed)
    with pytest.raises(reference.ReferenceAccuracyError, match="self-check"):
        reference.derivatives([0.0], [0.3], 0.0, 1.0, dps=30)


# ------------------------------------------------------------------ far field, identities


@pytest.mark.parametrize("kernel", ["laplace", "gaussian", "cauchy"])
def test_far_field_limits_and_no_nan(kernel):
    """Points 1e4 bandwidths away: finite, and the proved limits (Laplace -1/h exactly in the
    sum; Gaussian ~ -D/h^2; Cauchy ~ -2/D), with logits of +-700 and a masked point."""
    h, a, b = 0.01, 0.0, 1.0
    distance = 1e4 * h
    z = [700.0, -700.0, 0.0, -np.inf]
    x = [a - distance, a - distance - 3 * h, a - distance + h, 0.5]
    d = symkde.derivatives(z, x, a, b, kernel=kernel, bandwidth=h)
    values = [d.loss, *d.z, *d.x, d.bandwidth, d.a, d.b]
    assert all(math.isfinite(v) for v in values)
    assert d.x[3] == 0.0 and d.z[3] == 0.0
    total = d.x.sum()
    mean_distance = distance + 0.5  # from the dominant point to the middle of [a, b]
    if kernel == "laplace":
        assert total == pytest.approx(-1 / h, rel=1e-12)
    elif kernel == "gaussian":
        assert total == pytest.approx(-mean_distance / h**2, rel=1e-3)
    else:
        assert total == pytest.approx(-2 / mean_distance, rel=1e-3)
    assert abs(total + d.a + d.b) <= 1e-12 * max(abs(total), 1 / h)


@pytest.mark.parametrize(
    ("kernel", "method", "circular"),
    [
        ("laplace", "exact", False),
        ("gaussian", "quadrature", False),
        ("cauchy", "bins", False),
        ("triangle", "quadrature", False),
        ("boxcar", "exact", False),
        ("laplace", "exact", True),
        ("vonmises", "quadrature", True),
    ],
)
def test_translation_and_scaling_identities(kernel, method, circular):
    """sum_j dL/dx_j + dL/da + dL/db = 0 and, on the line,
    sum_j x_j dL/dx_j + a dL/da + b dL/db + h dL/dh = 1 (L(cx, ca, cb, ch) = L + log c)."""
    rng = np.random.default_rng(7)
    z, x, a, b, h = rng.normal(size=5), rng.uniform(-0.3, 1.3, 5), 0.0, 1.0, 0.9
    bins = 23 if method == "bins" else None
    d = symkde.derivatives(
        z, x, a, b, kernel=kernel, bandwidth=h, circular=circular, method=method, bins=bins
    )
    assert abs(d.x.sum() + d.a + d.b) <= 1e-13 / h
    if not circular:
        scaled = x @ d.x + a * d.a + b * d.b + h * d.bandwidth
        assert scaled == pytest.approx(1.0, abs=1e-12)


# ------------------------------------------------------------------ density, responsibilities


def test_log_density_and_responsibilities_match_mpmath():
    z, x, h = [0.0, 700.0, -700.0], [0.0, -40.0, 3.0], 0.5
    t = np.array([-0.3, 0.2, 4.0])
    got_log_p = symkde.log_density(t, z, x, kernel="gaussian", bandwidth=h)
    got_r = symkde.responsibilities(t, z, x, kernel="gaussian", bandwidth=h)
    with mpmath.workdps(40):
        log_w = [
            mpmath.mpf(v) - mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(u)) for u in z)) for v in z
        ]
        for m, tm in enumerate(t):
            terms = [
                lw
                - (mpmath.mpf(tm) - xj) ** 2 / (2 * h * h)
                - mpmath.log(h * mpmath.sqrt(2 * mpmath.pi))
                for lw, xj in zip(log_w, x, strict=True)
            ]
            top = max(terms)
            log_p = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in terms))
            assert_close(got_log_p[m], log_p, rtol=1e-12, ref_dps=40, what="log p")
            assert_close(
                got_r[m], [mpmath.exp(v - log_p) for v in terms], atol=1e-12, ref_dps=40, what="R"
            )


def test_density_uncovered_and_errors():
    assert symkde.log_density([0.0, 5.0], [0.0], [0.0], kernel="boxcar")[1] == -np.inf
    with pytest.raises(symkde.UncoveredTargetError):
        symkde.responsibilities([5.0], [0.0], [0.0], kernel="triangle")
    with pytest.raises(ValueError, match=r"^t:"):
        symkde.log_density([np.nan], [0.0], [0.0])
    with pytest.raises(ValueError, match="bandwidth"):
        symkde.responsibilities([0.0], [0.0], [0.0], bandwidth=-1.0)


def test_derivatives_errors():
    with pytest.raises(symkde.UncoveredTargetError):
        symkde.derivatives([0.0], [5.0], 0.0, 1.0, kernel="boxcar")
    with pytest.raises(ValueError, match=r"^a, b"):
        symkde.derivatives([0.0], [0.0], 1.0, 0.0)
    with pytest.raises(ValueError, match=r"^method"):
        symkde.derivatives([0.0], [0.0], 0.0, 1.0, kernel="cauchy", method="exact")


def test_boxcar_edge_at_the_target_end_takes_the_outer_one_sided_derivative():
    """A support edge exactly at b: no jump term there (the one-sided derivative that moves
    the edge outside; the other side uncovers [b - d, b] and is infinite)."""
    z, h = [0.0, 0.0], 0.4
    x = [0.2, 0.6]  # point 1's support is [0.2, 1.0]: its right edge is exactly b = 1
    assert x[1] + h == 1.0
    d = symkde.derivatives(z, x, 0.0, 1.0, kernel="boxcar", bandwidth=h)

    def loss_at(x1):
        return symkde.loss(z, [0.2, x1], 0.0, 1.0, kernel="boxcar", bandwidth=h)

    step = 1e-7
    right = (loss_at(0.6 + step) - loss_at(0.6)) / step
    assert loss_at(0.6 - step) == np.inf
    assert d.x[1] == pytest.approx(right, abs=1e-6)


def test_print_worst_error_in_units_of_the_tolerance(record_property):
    if not WORST:
        pytest.fail("run with the grid tests: no errors were recorded")
    lines = [f"{'kernel':<16} {'method':<11} {'regime':<16} worst/tolerance"]
    lines += [f"{k:<16} {m:<11} {r:<16} {v:.2e}" for (k, m, r), v in sorted(WORST.items())]
    record_property(SUMMARY, "\n".join(lines))  # printed by conftest's terminal summary
