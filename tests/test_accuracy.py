"""Accuracy of the NumPy code against the mpmath reference on a seeded argument grid.

Contract (API.md): loss within 1e-12 * max(1, |L|), every gradient entry within 1e-12
absolute, for every kernel x method x regime.  The reference runs at REF_DPS = 30 digits with
its self-check (dps and dps + 15 agree), and its own error estimate is asserted to be far
below the tolerance.  A summary of the errors in units of eps per kernel, method and regime
is printed (``pytest -s``) and kept in ERRORS for the closing note.
"""

from __future__ import annotations

from collections import defaultdict

import mpmath
import numpy as np
import pytest

import symkde
from symkde import reference
from tests.helpers import EPS, GRAD_ATOL, LOSS_RTOL, SUMMARY, argument_grid, assert_close, ulps

REF_DPS = 30
ERRORS: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)


def methods(kernel: str, circular: bool = False) -> list[tuple[str, int | None]]:
    out: list[tuple[str, int | None]] = [("quadrature", None), ("bins", 29)]
    if kernel in ("laplace", "boxcar", "triangle") and not circular:
        out.append(("exact", None))
    return out


CASES = [
    pytest.param(case, kernel, method, bins, id=f"{case.id}-{kernel}-{method}")
    for case in argument_grid(quick=True)
    for kernel in case.kernels
    for method, bins in methods(kernel)
]


def check_against_reference(case, kernel, method, bins, circular=False):
    kw = dict(kernel=kernel, bandwidth=case.bandwidth, circular=circular)
    got_loss, got_grad = symkde.loss_and_grad(
        case.z, case.x, case.a, case.b, method=method, bins=bins, **kw
    )
    ref_method = "bins" if method == "bins" else "integral"
    ref_loss, ref_grad, ref_err = reference.loss_grad_error(
        case.z, case.x, case.a, case.b, method=ref_method, bins=bins, dps=REF_DPS, **kw
    )
    # the reference must be far more accurate than the tolerance it judges
    assert ref_err < mpmath.mpf(10) ** -(REF_DPS - 5)
    assert_close(got_loss, ref_loss, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="loss")
    assert_close(got_grad, ref_grad, atol=GRAD_ATOL, ref_dps=REF_DPS, what="gradient")
    loss_ulps = float(ulps(got_loss, ref_loss)[0])
    grad_ulps = float(np.abs(got_grad - np.array([float(g) for g in ref_grad])).max() / EPS)
    ERRORS[(kernel, method, case.regime)].append((loss_ulps, grad_ulps))


@pytest.mark.parametrize(("case", "kernel", "method", "bins"), CASES)
def test_line_matches_reference(case, kernel, method, bins):
    check_against_reference(case, kernel, method, bins)


def test_assert_close_rejects_a_perturbed_value():
    # the comparison above can fail: a loss 2e-12 relative off, a gradient entry 2e-12 off
    ref = [mpmath.mpf("1.25"), mpmath.mpf("-0.5")]
    with pytest.raises(AssertionError, match="1 of 2 entries off"):
        assert_close([1.25 * (1 + 2e-12), -0.5], ref, rtol=LOSS_RTOL, ref_dps=REF_DPS)
    with pytest.raises(AssertionError, match="entries off"):
        assert_close([1.25, -0.5 + 2e-12], ref, atol=GRAD_ATOL, ref_dps=REF_DPS)
    assert_close([1.25, -0.5 + 5e-13], ref, atol=GRAD_ATOL, ref_dps=REF_DPS)


def test_print_error_summary_in_eps(record_property):
    """Report max and mean errors in eps per kernel, method and regime (Boost style)."""
    if not ERRORS:
        pytest.fail("run with the grid tests: no errors were recorded")
    header = f"{'kernel':<9} {'method':<11} {'regime':<16}"
    lines = [f"{header} {'loss max/mean eps':>20} {'grad max/mean eps':>20}"]
    for (kernel, method, regime), errs in sorted(ERRORS.items()):
        arr = np.array(errs)
        lines.append(
            f"{kernel:<9} {method:<11} {regime:<16} "
            f"{arr[:, 0].max():>10.1f}/{arr[:, 0].mean():<9.1f}"
            f" {arr[:, 1].max():>10.1f}/{arr[:, 1].mean():<9.1f}"
        )
    record_property(SUMMARY, "\n".join(lines))  # printed by conftest's terminal summary


@pytest.mark.parametrize("kernel", ["triangle", "boxcar"])
def test_quadrature_terminates_at_a_noisy_support_end(kernel):
    """Two heavy points on ``a`` whose support ends inside [a, b], a light one further in.

    Just left of ``a + h`` the heavy terms ``h - |t - x|`` vanish and carry ~ulp(h) of noise
    that no halving removes; the quadrature used to refine there until memory ran out (found
    by hypothesis in tests/test_properties.py).  It must stop and still meet the contract.
    """
    z, x = [-5.0, 0.0, 4.0], [0.3625, -0.5, -0.5]
    got_l, got_g = symkde.loss_and_grad(
        z, x, -0.5, 2.5, kernel=kernel, bandwidth=2.25, method="quadrature"
    )
    ref_l, ref_g = reference.loss_and_grad(
        z, x, -0.5, 2.5, kernel=kernel, bandwidth=2.25, dps=REF_DPS
    )
    assert_close(got_l, ref_l, rtol=LOSS_RTOL, ref_dps=REF_DPS, what=f"{kernel} loss")
    assert_close(got_g, ref_g, atol=GRAD_ATOL, ref_dps=REF_DPS, what=f"{kernel} grad")


@pytest.mark.parametrize("kernel", ["laplace", "gaussian"])
def test_quadrature_switch_features_survive_logits_of_1e308(kernel):
    """z = (1e308, 0, -1e308): the dominance switch positions overflow; no warning escapes
    (pytest turns warnings into errors) and quadrature still agrees with the exact form."""
    z, x = [1e308, 0.0, -1e308], [0.0, 0.3, 0.9]
    got = symkde.loss(z, x, 0.0, 1.0, kernel=kernel, bandwidth=4.0, method="quadrature")
    ref = reference.loss(z, x, 0.0, 1.0, kernel=kernel, bandwidth=4.0, dps=REF_DPS)
    assert_close(got, ref, rtol=LOSS_RTOL, ref_dps=REF_DPS, what=f"{kernel} loss")
