"""The compiled exact Laplace derivatives (symkde.numeric.derivative_rows) and their theorems.

Accuracy is the contract's, ``1e-12 * max(|true|, s)`` (``s = 1/h`` for ``x`` and ``h``,
``(1 + |L|)/(b - a)`` for ``a``, ``b``), measured against two references: the mpmath oracle
``symkde.reference.derivatives`` at 30 digits (its own integrals; error ~1e-25) on a few cases,
and, on many random cases, the log-space path of ``symkde.numeric.derivatives`` that the
compiled one replaces (itself checked against the oracle in tests/test_derivatives.py); the
two share no code beyond the loss's segment forms.
"""

from __future__ import annotations

import dataclasses

import mpmath
import numpy as np
import pytest
import sympy as sp

import symkde
from symkde import reference, theorems
from symkde.numeric import derivative_long
from symkde.numeric import derivative_rows as rows
from symkde.numeric import derivatives as numeric_derivatives
from symkde.numeric._generated import laplace_forms
from symkde.numeric.validate import validate
from symkde.theorems import derivatives_bandwidth as dbw

TOL = 1e-12


def _units(got, ref, h: float, a: float, b: float) -> float:
    """The worst entry of ``got`` against ``ref`` in units of the contract's tolerance."""
    s_ab = (1 + abs(float(ref.loss))) / (b - a)
    worst = abs(got.loss - float(ref.loss)) / (TOL * max(abs(float(ref.loss)), 1.0))
    for field, scale in (("z", 1.0), ("x", 1 / h)):
        g, r = np.asarray(getattr(got, field), float), np.asarray(getattr(ref, field), float)
        worst = max(worst, float(np.max(np.abs(g - r) / (TOL * np.maximum(np.abs(r), scale)))))
    for field, scale in (("bandwidth", 1 / h), ("a", s_ab), ("b", s_ab)):
        g, r = float(getattr(got, field)), float(getattr(ref, field))
        worst = max(worst, abs(g - r) / (TOL * max(abs(r), scale)))
    return worst


def _random_case(rng, circular: bool, n: int):
    h = float(10 ** rng.uniform(-2, 0.7))
    if circular:
        a = float(rng.uniform(-4, 4))
        b = a + float(rng.uniform(0.1, 2 * np.pi))
        x = rng.uniform(-7, 7, n)
    else:
        a = float(rng.uniform(-2, 2))
        b = a + float(10 ** rng.uniform(-1, 1))
        x = rng.uniform(a - 3 * h, b + 3 * h, n)
    z = rng.normal(0, 3, n)
    return z, x, a, b, h


@pytest.mark.parametrize("circular", [False, True])
def test_compiled_matches_the_log_space_path(circular):
    """60 random rows (masked points, far points): compiled vs the path it replaces."""
    rng = np.random.default_rng(14 + circular)
    worst, answered = 0.0, 0
    for trial in range(60):
        z, x, a, b, h = _random_case(rng, circular, int(rng.integers(1, 30)))
        if trial % 4 == 0 and z.size > 2:
            z[1] = -np.inf
        if trial % 5 == 0 and not circular:
            x[0] = a - 1e4 * h
        problem = validate(z, x, a, b, kernel="laplace", bandwidth=h, circular=circular)
        done = rows.laplace_derivative_single(problem.z, problem.x, a, b, h, circular)
        if done is None:  # handed back (a lone point far away: the guard of the fast path)
            continue
        answered += 1
        got = numeric_derivatives.Derivatives(*done)
        worst = max(worst, _units(got, numeric_derivatives._derivatives_general(problem), h, a, b))
    print(f"\ncompiled vs log-space, circular={circular}: worst {worst:.3g} x tolerance")
    assert worst <= 1.0 and answered >= 50


@pytest.mark.parametrize(
    ("z", "x", "a", "b", "h", "circular"),
    [
        ([0.3, -1.0, 2.0, 0.0], [0.1, 0.45, 0.5, 1.4], 0.0, 1.0, 0.2, False),
        ([0.0, 700.0, -700.0], [-3.0, 0.2, 0.7], -0.5, 0.9, 0.05, False),
        ([1.0, 0.0, -0.5], [0.4, 2.9, -2.0], 0.3, 2.5, 0.6, True),
        ([0.0, 0.2], [0.0, 3.0], 0.0, 2 * np.pi, 1.5, True),
    ],
)
def test_compiled_against_the_oracle(z, x, a, b, h, circular):
    got = symkde.derivatives(z, x, a, b, bandwidth=h, circular=circular)
    ref = reference.derivatives(z, x, a, b, bandwidth=h, circular=circular, dps=30)
    assert _units(got, ref, h, a, b) <= 1.0


def test_long_rows_match_the_row_engine():
    """n > ROW_ENGINE_MAX_N takes the NumPy-orchestrated path: same values as the compiled
    row (within rounding), and as the log-space path, with masks, ties and far points."""
    rng = np.random.default_rng(7)
    n = rows.ROW_ENGINE_MAX_N + 900
    h, a, b = 0.01, -0.3, 0.8
    x = rng.uniform(a - 0.05, b + 0.05, n)
    x[::9] = x[4]  # ties
    x[:3] = a - 1e4 * h
    z = rng.normal(0, 2, n)
    z[::13] = -np.inf
    problem = validate(z, x, a, b, bandwidth=h)
    long_path = numeric_derivatives.Derivatives(
        *derivative_long.line_single(problem.z, problem.x, a, b, h)
    )
    fw, iw, pairs = rows._workspace(n, False)
    grad_z, grad_x = np.empty(n), np.empty(n)
    status, loss, d_h, d_a, d_b = rows._row(
        problem.z, problem.x, a, b, h, False, fw, iw, pairs, grad_z, grad_x
    )
    assert status == 0
    engine = numeric_derivatives.Derivatives(loss, grad_z, grad_x, d_h, d_a, d_b)
    assert _units(long_path, engine, h, a, b) <= 0.01
    general = numeric_derivatives._derivatives_general(problem)
    assert _units(long_path, general, h, a, b) <= 1.0
    assert np.all(long_path.x[::13] == 0.0) and np.all(long_path.z[::13] == 0.0)


def test_parallel_batch_rows_are_single_calls():
    """Twenty rows run in numba's prange; each row is bit for bit the single call."""
    rng = np.random.default_rng(3)
    z = rng.normal(size=(20, 6))
    x = rng.uniform(-0.5, 1.5, size=(20, 6))
    h = rng.uniform(0.05, 1.0, size=20)
    for circular in (False, True):
        got = symkde.derivatives(z, x, 0.0, 1.0, bandwidth=h, circular=circular)
        for r in range(20):
            one = symkde.derivatives(z[r], x[r], 0.0, 1.0, bandwidth=h[r], circular=circular)
            for field in one._fields:
                np.testing.assert_array_equal(getattr(got, field)[r], getattr(one, field))


def test_handed_back_rows_still_answer():
    """Weights spread beyond e^500 hand the row back; the log-space path answers."""
    z, x = np.array([0.0, -600.0, 3.0]), np.array([0.2, 0.5, 0.9])
    problem = validate(z, x, 0.0, 1.0, bandwidth=0.1)
    assert rows.laplace_derivative_single(problem.z, problem.x, 0.0, 1.0, 0.1, False) is None
    got = symkde.derivatives(z, x, 0.0, 1.0, bandwidth=0.1)
    ref = reference.derivatives(z, x, 0.0, 1.0, bandwidth=0.1, dps=30)
    assert _units(got, ref, 0.1, 0.0, 1.0) <= 1.0


# ---- the printed short-segment series and the theorems behind it


def _g_mpmath(d: float, shape: float) -> mpmath.mpf:
    """``G = int_0^d [s B e^-s + (d-s) A e^(s-d)]/f ds`` at 40 digits (``A + B = 2``)."""
    with mpmath.workdps(40):
        big_a, big_b = 1 + mpmath.mpf(shape), 1 - mpmath.mpf(shape)
        d = mpmath.mpf(d)

        def integrand(s):
            f = big_b * mpmath.exp(-s) + big_a * mpmath.exp(s - d)
            return (s * big_b * mpmath.exp(-s) + (d - s) * big_a * mpmath.exp(s - d)) / f

        return mpmath.quad(integrand, [0, d])


@pytest.mark.parametrize("d", [1e-3, 0.03, 0.1])
@pytest.mark.parametrize("shape", [-0.999, -0.4, 0.0, 0.8])
def test_short_bandwidth_series_truncation(d, shape):
    """The printed ``d^2/2 - d^3 P`` within 1e-15 relative of G (mpmath, 40 digits) for
    segments up to ``SHORT_SEGMENT``; doubles round the result at 1.1e-16."""
    series = d * d * (0.5 - d * laplace_forms.laplace_short_bandwidth(d * d, shape))
    exact = _g_mpmath(d, shape)
    assert abs(series - float(exact)) <= 1e-15 * float(exact)


DBW_NAMES = [t.name for t in dbw.THEOREMS]


def test_bandwidth_theorems_registered():
    assert set(DBW_NAMES) <= set(theorems.names())


@pytest.mark.parametrize("name", DBW_NAMES)
def test_bandwidth_theorems_prove(name):
    proof = theorems.get(name).prove()
    assert proof.holds, [(s.description, s.detail) for s in proof.failed_steps]


def test_by_parts_rejects_a_wrong_boundary_term():
    theorem = theorems.get("laplace_bandwidth_by_parts")
    statement = theorem.statement
    wrong = sp.Eq(statement.lhs, statement.rhs - dbw.d**2 / 4)
    assert not dataclasses.replace(theorem, statement=wrong).prove().holds


def test_segment_rejects_a_missing_moment():
    theorem = theorems.get("laplace_bandwidth_segment")
    lhs, rhs = dbw._segment_sides()
    moment_a = rhs.atoms(sp.Sum)
    dropped = rhs.subs(
        {m: 0 for m in moment_a if m.has(dbw.eps) and m.function.has(dbw.eps[dbw.k] * dbw.u[dbw.k])}
    )
    assert dropped != rhs
    assert not dataclasses.replace(theorem, statement=sp.Eq(lhs, dropped)).prove().holds


def test_short_series_rejects_a_perturbed_coefficient():
    theorem = theorems.get("laplace_bandwidth_short_series")
    first, second = theorem.statement.args
    wrong = sp.Eq(second.lhs, second.rhs + dbw.d**9 / 10**6)
    assert not dataclasses.replace(theorem, statement=sp.And(first, wrong)).prove().holds
