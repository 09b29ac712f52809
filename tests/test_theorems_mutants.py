"""Behaviour the mutation run (tools/mutation.py, tools/MUTATION.md) found untested in the
theorem machinery: the closed-form theorems' proofs (run by no test before), and the
tolerances of numeric witnesses and counterexamples."""

from __future__ import annotations

import pytest
import sympy as sp

from symkde import theorems
from symkde.theorems import closed_forms
from symkde.theorems._core import counterexample, numeric_witness

X = sp.Symbol("x", real=True)
AT = {X: sp.Rational(1, 3)}


def test_numeric_witness_agrees_to_tol_digits_and_no_further():
    # the sides differ by 1.5e-40 (scale 1): a witness to 40 digits fails, to 39 it holds
    gap = sp.Rational(3, 2) * sp.Rational(1, 10**40)
    assert not numeric_witness("1.5e-40 apart", X, X + gap, AT).holds
    assert numeric_witness("1.5e-40 apart", X, X + gap, AT, tol_digits=39).holds
    assert numeric_witness("0.5e-40 apart", X, X + gap / 3, AT).holds


def test_numeric_witness_defaults_to_40_digits():
    # 5e-41 apart: within the default 40 digits, outside 41
    gap = sp.Rational(5, 10**41)
    assert numeric_witness("5e-41 apart", X, X + gap, AT).holds
    assert not numeric_witness("5e-41 apart", X, X + gap, AT, tol_digits=41).holds


def test_numeric_witness_is_relative_to_the_larger_side():
    # 1e30 and 1e30 + 1e-15: 1e-45 relative, a witness; on a scale of 1 it would not be
    big = sp.Integer(10) ** 30
    assert numeric_witness("relative", X * big, X * big + sp.Rational(1, 10**15), AT).holds


def test_counterexample_needs_the_sides_to_differ():
    differ = counterexample("differ", X, X + sp.Rational(1, 10**20), AT)
    assert not differ.holds and differ.counterexample is not None
    assert differ.counterexample["values"] == {"x": sp.Rational(1, 3)}
    same = counterexample("same", X, X + sp.Rational(1, 10**45), AT)
    assert not same.holds and same.counterexample is None


@pytest.mark.parametrize("theorem", closed_forms.THEOREMS, ids=lambda t: t.name)
def test_closed_form_theorem_proves_as_expected(theorem):
    # these back symkde.exact's closed forms; all are expected to hold (~4 s together)
    proof = theorem.prove()
    assert theorem.verdict_ok(proof), [(s.description, s.detail) for s in proof.failed_steps]
    assert theorem.expected and proof.holds and not proof.failed_steps


REFUTED = [name for name in theorems.names() if not theorems.get(name).expected]


def test_there_are_refuted_claims():
    assert {"center_claim_interval", "circle_laplace_contraction"} <= set(REFUTED)


@pytest.mark.parametrize("name", REFUTED)
def test_a_refuted_claim_fails_only_at_its_counterexample(name):
    # the steps around the counterexample (exact values, mpmath confirmations, the issue's
    # figures) must still hold: a wrong supporting step would not change the verdict
    proof = theorems.get(name).prove()
    assert proof.refuted and not proof.holds
    failing = [step for step in proof.steps if not step.holds]
    assert failing and all(step.counterexample is not None for step in failing), [
        (step.description, step.detail) for step in failing
    ]
