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
