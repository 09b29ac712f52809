"""Far-field bounds at general n: Laplace |dL/dx_i| <= 1/h (checked steps, lemma L-share),
Gaussian mean pull >= D/h^2, Cauchy <= 2/D; each proves, and a wrong bound is rejected."""

from __future__ import annotations

import dataclasses

import sympy as sp

from symkde import theorems
from symkde.theorems import derivatives_far_bounds as bounds
from symkde.theorems import derivatives_far_field as far
from symkde.theorems._core import Lemma


def test_registered():
    assert {"far_field_mean_bounds", "far_field_positions_laplace"} <= set(theorems.names())


def test_mean_bounds_prove():
    proof = theorems.get("far_field_mean_bounds").prove()
    assert proof.holds and not proof.lemmas, [(s.description, s.detail) for s in proof.failed_steps]


def test_mean_bounds_reject_wrong_bounds():
    theorem = theorems.get("far_field_mean_bounds")
    L, D, h = bounds.length, bounds.gap, bounds.h
    too_strong = sp.And(
        sp.Ge(bounds.mean_pull("gaussian"), L * (D + 1) / h**2),
        sp.Le(bounds.mean_pull("cauchy"), L / D),
    )
    assert not dataclasses.replace(theorem, statement=too_strong).prove().holds
    cauchy_1_over_d = sp.And(
        sp.Ge(bounds.mean_pull("gaussian"), L * D / h**2),
        sp.Le(bounds.mean_pull("cauchy"), L / D),
    )
    assert not dataclasses.replace(theorem, statement=cauchy_1_over_d).prove().holds


def test_laplace_bound_is_a_checked_step():
    """|dL/dd_i| <= 1/h is a conjunct proved from the derivative and lemma L-share; with the
    bound halved the proof fails."""
    theorem = theorems.get("far_field_positions_laplace")
    proof = theorem.prove()
    assert proof.holds
    assert [m.name for m in proof.lemmas] == ["L-interchange", "L-share"]
    bound_steps = [
        s for s in proof.steps if s.holds and s.rhs is sp.true and s.lhs.has(sp.Derivative)
    ]
    assert any(isinstance(s.lhs, sp.LessThan) and s.lhs.rhs == 1 / far.h for s in bound_steps)
    halved = sp.And(
        *[
            sp.Le(c.lhs, 1 / (2 * far.h)) if isinstance(c, sp.LessThan) else c
            for c in theorem.statement.args
        ]
    )
    assert not dataclasses.replace(theorem, statement=halved).prove().holds


def test_share_lemma_witness_rejects_a_wrong_statement():
    wrong = Lemma(
        "L-share-quarter",
        sp.Le(far.SHARE.statement.lhs, sp.Rational(1, 4), evaluate=False),  # 0.31 at the witness
        far.SHARE.citation,
        far.SHARE.witness,
    )
    assert far.SHARE.check_witness()[0]
    assert not wrong.check_witness()[0]


def test_circle_translation_covers_the_wrapped_kernels():
    """derivative_translation_circle states the identity for the wrapped Cauchy and wrapped
    Laplace families and that symkde's wrapped kernels are members; a wrong member (beta =
    rho instead of 2 rho) is rejected by the step the proof uses."""
    from symkde.symbolic.kernels import h, wrapped_density
    from symkde.theorems import derivatives_identities as identities
    from symkde.theorems._core import equal

    statement = theorems.get("derivative_translation_circle").statement
    for family in (identities.WRAPPED_CAUCHY_FAMILY, identities.WRAPPED_LAPLACE_FAMILY):
        assert sp.Eq(identities.translation_sum(family), 0) in statement.args
    assert all(member in statement.args for member in identities.MEMBERS)
    rho = sp.exp(-h)
    wrong = identities.WRAPPED_CAUCHY_FAMILY.subs(
        {
            identities._alpha: (1 - rho) ** 2,
            identities._beta: rho,
            identities._const: (1 - rho**2) / (2 * sp.pi),
        }
    )
    assert not equal("wrong member", wrapped_density("cauchy"), wrong).holds
    assert equal("member", *identities.MEMBERS[0].args).holds
