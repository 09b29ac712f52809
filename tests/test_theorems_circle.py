"""The circle theorems: one test per theorem, and negative tests that show the checks can fail.

Each theorem must come out as expected (proved, or refuted with a counterexample for the false
contraction claim); the negative tests feed the provers' own tools a wrong closed form or a
false invariance and require a failed step or a counterexample.
"""

from __future__ import annotations

import time

import sympy as sp

from symkde import theorems
from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.model import K
from symkde.theorems._core import counterexample, equal, refutation
from symkde.theorems.circle import (
    THEOREMS,
    _distance_gradient,
    geometric_series,
    reduced,
    term_index,
    wrapped_laplace_of_distance,
)
from symkde.theorems.gradient import derive_bin_gradient, equal_after
from symkde.theorems.laplace import prove_contraction_invariance

NAMES = [
    "circle_wrapped_laplace_closed_form",
    "circle_wrapped_cauchy_closed_form",
    "circle_scale_invariance",
    "circle_gradient_sum_zero",
    "circle_one_hot",
    "circle_partial_labels",
    "circle_laplace_contraction",
    "circle_laplace_contraction_bound",
    "circle_vonmises_no_far_field",
    "circle_vonmises_concentration",
]

_PROOFS: dict[str, theorems.Proof] = {}


def _check(name: str) -> theorems.Proof:
    theorem = theorems.get(name)
    if name not in _PROOFS:
        _PROOFS[name] = theorem.prove()
    proof = _PROOFS[name]
    assert theorem.verdict_ok(proof), [(s.description, s.detail) for s in proof.failed_steps]
    if theorem.expected:
        assert proof.holds and not proof.failed_steps
    else:
        # only the counterexample step fails; every derivation step before it closed
        assert proof.refuted and not proof.holds
        assert [s.counterexample is not None for s in proof.failed_steps] == [True]
    return proof


def test_registered_in_order() -> None:
    assert [t.name for t in THEOREMS] == NAMES
    assert all(name in theorems.names() for name in NAMES)


def test_circle_wrapped_laplace_closed_form() -> None:
    _check("circle_wrapped_laplace_closed_form")


def test_circle_wrapped_cauchy_closed_form() -> None:
    proof = _check("circle_wrapped_cauchy_closed_form")
    assert [lemma.name for lemma in proof.lemmas] == ["L-poisson"]


def test_circle_scale_invariance() -> None:
    _check("circle_scale_invariance")


def test_circle_gradient_sum_zero() -> None:
    _check("circle_gradient_sum_zero")


def test_circle_one_hot() -> None:
    _check("circle_one_hot")


def test_circle_partial_labels() -> None:
    _check("circle_partial_labels")


def test_circle_laplace_contraction() -> None:
    proof = _check("circle_laplace_contraction")
    assert proof.counterexample is not None
    assert abs(proof.counterexample.lhs - proof.counterexample.rhs) > sp.Rational(1, 20)
    assert abs(proof.counterexample.reference_lhs - proof.counterexample.lhs) < 1e-30


def test_circle_laplace_contraction_bound() -> None:
    _check("circle_laplace_contraction_bound")


def test_circle_vonmises_no_far_field() -> None:
    _check("circle_vonmises_no_far_field")


def test_circle_vonmises_concentration() -> None:
    _check("circle_vonmises_concentration")


def test_all_circle_theorems_prove_within_budget() -> None:
    start = time.process_time()
    for theorem in THEOREMS:
        theorem.prove()
    # 15 CPU seconds for the whole module on the 2-core VM (measured about 6-7 s)
    assert time.process_time() - start < 15


# --------------------------------------------------------------------------- negative tests


def test_wrong_laplace_closed_form_is_rejected() -> None:
    # the sum derived as in the prover, compared with sinh(2 pi / h) in place of sinh(pi / h)
    right, _ = geometric_series(sp.exp(-(reduced + 2 * sp.pi * term_index) / h) / (2 * h))
    q = sp.Symbol("q", positive=True)
    left, _ = geometric_series(sp.exp(-(q + 2 * sp.pi * term_index) / h) / (2 * h))
    derived = right + left.subs(q, 2 * sp.pi - reduced)
    wrong = sp.cosh((sp.pi - reduced) / h) / (2 * h * sp.sinh(2 * sp.pi / h))
    right_form = sp.cosh((sp.pi - reduced) / h) / (2 * h * sp.sinh(sp.pi / h))
    assert not equal("wrong", derived.rewrite(sp.exp), wrong.rewrite(sp.exp)).holds
    assert equal("right", derived.rewrite(sp.exp), right_form.rewrite(sp.exp)).holds


def test_wrong_cauchy_closed_form_is_rejected() -> None:
    # rho = exp(-h / 2) instead of exp(-h): the Fourier-series sum must not match it
    rho = sp.exp(-h / 2)
    wrong = (1 - rho**2) / (2 * sp.pi * (1 + rho**2 - 2 * rho * sp.cos(u)))
    terms = [
        geometric_series(sp.exp(-h * (term_index + 1)) * sp.exp(s * sp.I * (term_index + 1) * u))[0]
        for s in (1, -1)
    ]
    derived = (1 + terms[0] + terms[1]) / (2 * sp.pi)
    assert not equal("wrong", sp.expand_complex(derived.rewrite(sp.exp)), wrong).holds


def test_divergent_series_is_not_summed() -> None:
    _, steps = geometric_series(sp.exp(h * term_index))
    assert not all(step.holds for step in steps)


def test_contraction_invariance_on_the_circle_is_refuted() -> None:
    # the line's contraction prover, fed the wrapped Laplace kernel of the circular distance,
    # cannot close its invariance step, and a concrete configuration refutes the claim
    kernel = wrapped_laplace_of_distance(sp.Abs(u))
    steps = list(prove_contraction_invariance(kernel))
    assert not all(step.holds for step in steps)
    before = _distance_gradient([0, 1], [sp.Rational(1, 2), 3], sp.Rational(1, 2))
    after = _distance_gradient([0, 1], [sp.Rational(1, 4), sp.Rational(11, 4)], sp.Rational(1, 2))
    claim = sp.Eq(after[0], before[0], evaluate=False)
    refuted = refutation("moved by 1/4", claim, {}, _one_bin_gradients)
    assert refuted.counterexample is not None, refuted.detail
    assert abs(refuted.counterexample.lhs - refuted.counterexample.rhs) > sp.Rational(1, 1000)
    # the deprecated typed-sides helper refutes nothing
    assert counterexample("moved by 1/4", after[0], before[0], {}).counterexample is None


def _one_bin_gradients(_: object) -> tuple[object, object]:
    """dL/dz_1 after and before the move, by symkde.reference (one bin at t = 0, h = 1/2)."""
    from symkde import reference

    sides = []
    for dists in ([0.25, 2.75], [0.5, 3.0]):
        _, g = reference.loss_and_grad(
            [0.0, 1.0], dists, -0.25, 0.25, kernel="laplace", bandwidth=0.5,
            circular=True, method="bins", bins=1, dps=50,
        )  # fmt: skip
        sides.append(g[0])
    return sides[0], sides[1]


def test_line_laplace_contraction_still_holds_with_the_same_tool() -> None:
    # control for the test above: the same prover closes with the line Laplace kernel
    steps = list(prove_contraction_invariance(KERNELS["laplace"].density))
    assert all(step.holds for step in steps)


def test_transfer_fails_for_a_wrong_kernel_substitution() -> None:
    # the "circle gradient = line gradient with K_j = K_circ(t - x_j)" step must be able to fail
    kc = sp.Function("K_circ", positive=True)(u)
    wrong = derive_bin_gradient(kc**2)
    assert not equal_after("wrong", wrong, derive_bin_gradient(kc)).holds
    assert K  # the abstract bin values the line proofs use
