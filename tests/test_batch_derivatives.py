"""Batches of ``derivatives``, ``log_density`` and ``responsibilities``: row r is the single call.

Bit-for-bit equality with the single call on every row (same code path, so no tolerance), the
contract's shapes, and errors naming the first offending row.
"""

from __future__ import annotations

import numpy as np
import pytest

import symkde

RNG = np.random.default_rng(20261206)
Z = RNG.normal(size=(2, 3, 4))
X = np.array([-0.5, 0.2, 0.9, 1.7])
A = np.array([0.0, -0.3, 0.1])  # broadcast over the leading batch axis
B = 1.0
H = np.array([[0.2], [0.7]])  # broadcast over the trailing batch axis


@pytest.mark.parametrize(
    ("kernel", "method", "circular", "bins"),
    [
        ("laplace", "auto", False, None),
        ("gaussian", "auto", False, None),
        ("laplace", "quadrature", False, None),
        ("cauchy", "bins", False, 64),
        ("vonmises", "auto", True, None),
        ("laplace", "exact", True, None),
    ],
)
def test_derivatives_rows_are_single_calls(kernel, method, circular, bins):
    options = {"kernel": kernel, "method": method, "circular": circular, "bins": bins}
    got = symkde.derivatives(Z, X, A, B, bandwidth=H, **options)
    assert np.shape(got.loss) == (2, 3) and got.z.shape == got.x.shape == (2, 3, 4)
    assert np.shape(got.bandwidth) == np.shape(got.a) == np.shape(got.b) == (2, 3)
    for i in range(2):
        for j in range(3):
            one = symkde.derivatives(Z[i, j], X, A[j], B, bandwidth=H[i, 0], **options)
            for field, value in zip(symkde.Derivatives._fields, one, strict=True):
                batched = getattr(got, field)[i, j]
                np.testing.assert_array_equal(batched, value, err_msg=f"{field}[{i}, {j}]")


def test_derivatives_of_a_1d_problem_are_floats():
    one = symkde.derivatives(Z[0, 0], X, 0.0, 1.0)
    assert all(isinstance(v, float) for v in (one.loss, one.bandwidth, one.a, one.b))


def test_derivatives_name_the_bad_row():
    a = np.array([0.0, 0.0, 2.0])
    with pytest.raises(ValueError, match=r"a\[2\]"):
        symkde.derivatives(Z[0], X, a, 1.0)


def test_derivatives_name_the_uncovered_row():
    x = np.array([[0.5], [5.0]])
    with pytest.raises(symkde.UncoveredTargetError, match=r"row \[1\]"):
        symkde.derivatives(np.zeros((2, 1)), x, 0.0, 1.0, kernel="boxcar")


def test_derivatives_of_an_empty_batch_are_empty():
    got = symkde.derivatives(np.zeros((0, 4)), X, 0.0, 1.0)
    assert np.shape(got.loss) == (0,) and got.x.shape == (0, 4)


@pytest.mark.parametrize("shared_t", [True, False])
def test_density_rows_are_single_calls(shared_t):
    t = np.linspace(-0.2, 1.2, 5) if shared_t else RNG.uniform(-1, 2, size=(2, 3, 5))
    log_p = symkde.log_density(t, Z, X, kernel="gaussian", bandwidth=H)
    resp = symkde.responsibilities(t, Z, X, kernel="gaussian", bandwidth=H)
    assert log_p.shape == (2, 3, 5) and resp.shape == (2, 3, 5, 4)
    for i in range(2):
        for j in range(3):
            row_t = t if shared_t else t[i, j]
            one = symkde.log_density(row_t, Z[i, j], X, kernel="gaussian", bandwidth=H[i, 0])
            np.testing.assert_array_equal(log_p[i, j], one)
            one_r = symkde.responsibilities(row_t, Z[i, j], X, kernel="gaussian", bandwidth=H[i, 0])
            np.testing.assert_array_equal(resp[i, j], one_r)


def test_density_errors_name_the_row():
    t = np.array([[0.0, 1.0], [0.0, np.nan]])
    with pytest.raises(ValueError, match=r"t\[1\]"):
        symkde.log_density(t, np.zeros((2, 2)), [0.0, 1.0])
    with pytest.raises(symkde.UncoveredTargetError, match=r"row \[1\]"):
        symkde.responsibilities([0.0], np.zeros((2, 1)), [[0.0], [5.0]], kernel="boxcar")
    with pytest.raises(ValueError, match="t: expected shape"):
        symkde.log_density(np.zeros((4, 2)), np.zeros((3, 2)), [0.0, 1.0])
