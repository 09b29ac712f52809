"""Behaviour the mutation run (tools/mutation.py, tools/MUTATION.md) found untested in the
theorem machinery: the closed-form theorems' proofs (run by no test before), and the
tolerances of numeric witnesses and counterexamples."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from symkde import theorems
from symkde.theorems import closed_forms
from symkde.theorems._core import counterexample, numeric_witness, refutation

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


def _shifted_reference(gap):
    """x and x + gap at the point, by mpmath (independent of SymPy's evaluation)."""

    def sides(values):
        with mpmath.workdps(60):
            value = mpmath.mpf(1) / 3 if values[X] == sp.Rational(1, 3) else mpmath.nan
            return value, value + mpmath.mpf(gap.p) / gap.q

    return sides


def test_refutation_needs_the_sides_to_differ():
    # 1e-20 apart is a counterexample to x = x + 1e-20; 1e-45 is inside the 1e-30 bound
    wide = sp.Rational(1, 10**20)
    differ = refutation("differ", sp.Eq(X, X + wide, evaluate=False), AT, _shifted_reference(wide))
    assert not differ.holds and differ.counterexample is not None
    assert differ.counterexample.values == {X: sp.Rational(1, 3)}
    narrow = sp.Rational(1, 10**45)
    same = refutation("same", sp.Eq(X, X + narrow, evaluate=False), AT, _shifted_reference(narrow))
    assert not same.holds and same.counterexample is None


def test_refutation_needs_the_reference_to_agree():
    # a reference that disagrees with SymPy's 50-digit sides refutes nothing
    wide = sp.Rational(1, 10**20)
    off = refutation("differ", sp.Eq(X, X + wide, evaluate=False), AT, _shifted_reference(2 * wide))
    assert not off.holds and off.counterexample is None and "disagree" in off.detail


def test_deprecated_counterexample_refutes_nothing():
    typed = counterexample("differ", X, X + sp.Rational(1, 10**20), AT)
    assert not typed.holds and typed.counterexample is None


@pytest.mark.parametrize("theorem", closed_forms.THEOREMS, ids=lambda t: t.name)
def test_closed_form_theorem_proves_as_expected(theorem):
    # these back symkde.numeric.exact's closed forms; all are expected to hold (~4 s together)
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


def test_contraction_placement_puts_even_sigma_left_and_odd_sigma_right():
    # prove_contraction_invariance covers points on both sides of the bin only if _place
    # really puts them there: x_j = t - (d + e_j) for even sigma_j, t + (d + e_j) for odd
    from symkde.symbolic.model import t, x
    from symkde.theorems import laplace

    step, gap = sp.Symbol("d", positive=True), laplace.excess[1]
    placed = laplace._place(x[1], t, step)
    assert sp.simplify(placed.subs(laplace.sigma[1], 0) - (t - step - gap)) == 0
    assert sp.simplify(placed.subs(laplace.sigma[1], 1) - (t + step + gap)) == 0


@pytest.mark.parametrize(
    ("positions", "lower", "upper"),
    [
        ([sp.Rational(5, 2), 4], 2, 3),  # a kink inside an interval away from 0
        ([-3, sp.Rational(1, 2)], -1, 1),
        ([0, 2, 5], 1, 4),
    ],
)
def test_exact_integrated_gradient_matches_mpmath_quadrature(positions, lower, upper):
    # exact_integrated_gradient resolves every |t - x_j| on each piece between kinks; a wrong
    # sign on any piece changes the value, which mpmath's independent quadrature catches
    from symkde.theorems import laplace

    exact = laplace.exact_integrated_gradient([0] * len(positions), positions, lower, upper)
    reference = laplace._quadrature([0] * len(positions), positions, lower, upper)
    assert abs(sp.N(exact, 40) - sp.Float(reference, 40)) < sp.Float(10) ** -35


# --------------------------------------------------------------------------- statement and proof
# Theorem.prove ends with two closing steps (symkde/theorems/_core.py): the steps prove the
# statement as written, and the hypotheses are exactly those the proof assumes.  The mutation
# run found both unchecked (a statement or hypothesis could be edited without any check
# noticing); these tests feed the closing steps wrong statements and hypotheses.

_PROOFS: dict[str, theorems.Proof] = {}


def _proved(name: str) -> theorems.Proof:
    if name not in _PROOFS:
        _PROOFS[name] = theorems.get(name).prove()
    return _PROOFS[name]


def _perturbed(conjunct: sp.Basic) -> sp.Basic:
    if isinstance(conjunct, sp.Equality):
        return sp.Eq(conjunct.lhs, conjunct.rhs + 1, evaluate=False)
    return conjunct.negated


@pytest.mark.parametrize("name", [t.name for t in theorems.all() if t.expected])
def test_every_proof_closes_on_its_statement_and_on_no_perturbed_one(name):
    from symkde.theorems._core import conjuncts, statement_proved

    theorem, proof = theorems.get(name), _proved(name)
    closing = proof.steps[-2]
    assert closing.description == "the steps prove the statement" and closing.holds
    steps = proof.steps[:-2]
    parts = conjuncts(theorem.statement)
    for k, part in enumerate(parts):
        wrong = sp.And(*parts[:k], _perturbed(part), *parts[k + 1 :], evaluate=False)
        assert not statement_proved(wrong, steps).holds, (name, part)


@pytest.mark.parametrize("name", [t.name for t in theorems.all() if t.expected])
def test_every_hypothesis_is_needed_and_no_other_is_used(name):
    from symkde.theorems._core import hypotheses_accounted_for

    theorem, proof = theorems.get(name), _proved(name)
    closing = proof.steps[-1]
    assert closing.description == "the hypotheses are the proof's" and closing.holds
    steps = proof.steps[:-1]
    spare = sp.Lt(sp.Symbol("unused", real=True), 0)
    assert not hypotheses_accounted_for((*theorem.hypotheses, spare), steps).holds
    for cited in {h for s in steps for h in s.uses}:
        kept = tuple(h for h in theorem.hypotheses if h != cited)
        assert not hypotheses_accounted_for(kept, steps).holds, (name, cited)


@pytest.mark.parametrize("name", REFUTED)
def test_a_refuted_claim_is_refuted_where_its_hypotheses_hold(name):
    # the refutation counts only at a point where every hypothesis holds: a hypothesis that
    # fails at the counterexample, or a statement the counterexample does not refute, breaks it
    from symkde.theorems._core import refutes_statement

    theorem, proof = theorems.get(name), _proved(name)
    closing = proof.steps[-1]
    assert closing.description == "the counterexample refutes the statement" and closing.holds
    example = proof.counterexample
    assert example is not None
    steps = [s for s in proof.steps if s.counterexample is not None]
    assert refutes_statement(theorem.statement, theorem.hypotheses, steps).holds
    symbol, value = next((k, v) for k, v in example.values.items() if isinstance(k, sp.Symbol))
    violated = sp.Lt(symbol, value)
    assert not refutes_statement(theorem.statement, (*theorem.hypotheses, violated), steps).holds
    other = sp.Eq(example.relation.lhs, example.relation.rhs + 1, evaluate=False)
    assert not refutes_statement(other, theorem.hypotheses, steps).holds


def test_a_narrowed_hypothesis_fails_the_theorem():
    # the mutant that survived before: one_hot stated for labels l >= 2 only
    import dataclasses

    from symkde.symbolic.model import n
    from symkde.theorems.gradient import l_index

    theorem = theorems.get("one_hot")
    narrowed = tuple(sp.Le(2, l_index) if h == sp.Le(1, l_index) else h for h in theorem.hypotheses)
    assert narrowed != theorem.hypotheses and sp.Le(l_index, n) in narrowed
    wrong = dataclasses.replace(theorem, hypotheses=narrowed)
    assert not wrong.verdict_ok(wrong.prove())


def test_an_edited_statement_fails_the_theorem():
    # the mutant that survived before: pi^2/12 -> pi^2*12 inside laplace_log_correction
    import dataclasses

    theorem = theorems.get("laplace_log_correction")
    edited = theorem.statement.xreplace({sp.pi**2 / 12: sp.pi**2 * 12})
    if edited == theorem.statement:  # the statement is written with H(w) = Li2/2 + pi^2/24
        edited = theorem.statement.xreplace({sp.pi**2 / 24: sp.pi**2 * 24})
    assert edited != theorem.statement
    wrong = dataclasses.replace(theorem, statement=edited)
    assert not wrong.verdict_ok(wrong.prove())


def test_rational_points_of_positive_symbols_are_positive():
    # a witness at 0 for a positive symbol would test a degenerate point (or divide by 0)
    import random

    from symkde.theorems.gradient import rational_point

    positive, real = sp.Symbol("p", positive=True), sp.Symbol("r", real=True)
    rng = random.Random(0)
    draws = [rational_point(rng, [positive, real], low=-1, high=1) for _ in range(400)]
    assert all(0 < d[positive] <= 1 for d in draws)
    assert any(d[real] == 0 for d in draws) and any(d[real] < 0 for d in draws)


def test_the_laplace_quadrature_check_reads_the_first_component_with_unequal_logits():
    # _quadrature (the independent mpmath check of exact_integrated_gradient) with z = (1, 0):
    # the first component's softmax weight is e/(e + 1), not 1/2
    from symkde.theorems import laplace

    logits, positions = [1, 0], [sp.Rational(-1, 2), 2]
    exact = laplace.exact_integrated_gradient(logits, positions, -1, 1)
    reference = laplace._quadrature(logits, positions, -1, 1)
    assert abs(sp.N(exact, 40) - sp.Float(reference, 40)) < sp.Float(10) ** -35


def test_a_numeric_witness_never_links_a_statement_chain():
    # a witness agrees to 40 digits, it is not an identity: the closing step must not use it
    from symkde.theorems._core import statement_proved

    witness = numeric_witness("1e-45 apart", X, X + sp.Rational(1, 10**45), AT)
    assert witness.holds
    claim = sp.Eq(witness.lhs, witness.rhs, evaluate=False)
    assert not statement_proved(claim, [witness]).holds
