"""The derivative theorems (issue 14): each proves; wrong variants are rejected; the translation
and scaling identities hold for central differences of the mpmath reference loss."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from symkde import reference, theorems
from symkde.symbolic.kernels import h
from symkde.symbolic.model import a, b, i, n
from symkde.theorems import (
    derivatives,
    derivatives_compact,
    derivatives_far_field,
    derivatives_identities,
)
from symkde.theorems._core import (
    evaluates,
    hypotheses_accounted_for,
    nonnegative,
    statement_proved,
)

NAMES = [
    "derivative_position",
    "derivative_bandwidth",
    "derivative_ends",
    "derivative_position_sum",
    "derivative_translation",
    "derivative_translation_circle",
    "derivative_scaling",
    "far_field_positions_laplace",
    "far_field_psi",
    "derivative_position_compact",
]


_PROOFS: dict = {}


def _proof(name):
    """Each theorem is proved once per session (the wrong variants reuse its steps)."""
    if name not in _PROOFS:
        _PROOFS[name] = theorems.get(name).prove()
    return _PROOFS[name]


@pytest.mark.parametrize("name", NAMES)
def test_theorem_proves(name):
    proof = _proof(name)
    assert proof.holds, [(s.description, s.detail[:200]) for s in proof.failed_steps]


def test_differentiations_rest_on_the_interchange_lemma():
    assert [lemma.name for lemma in _proof("derivative_position").lemmas] == ["L-interchange"]


# --------------------------------------------------------------------------- wrong variants


def _proves(name, statement):
    """Whether the steps of ``name``'s proof prove ``statement`` (the closing check)."""
    return statement_proved(statement, _proof(name).steps).holds


def test_position_wrong_sign_is_rejected():
    wrong = sp.Eq(derivatives.POSITION.lhs, -derivatives.POSITION.rhs)
    steps = derivatives.derived_under_lemma("wrong sign", wrong, derivatives._differentiate)
    assert not steps[1].holds  # SymPy's derivative is not the negated formula
    assert not _proves("derivative_position", wrong)


def test_position_dropped_factor_is_rejected():
    wrong = sp.Eq(derivatives.POSITION.lhs, derivatives.POSITION.rhs * (b - a))
    steps = derivatives.derived_under_lemma("no 1/(b-a)", wrong, derivatives._differentiate)
    assert not steps[1].holds


def test_position_missing_hypothesis_is_rejected():
    closing = hypotheses_accounted_for((), _proof("derivative_position").steps)
    assert not closing.holds
    assert "used but not a hypothesis" in closing.detail


def test_bandwidth_wrong_sign_is_rejected():
    wrong = sp.Eq(derivatives.BANDWIDTH.lhs, -derivatives.BANDWIDTH.rhs)
    steps = derivatives.derived_under_lemma(
        "wrong sign", wrong, derivatives._differentiate, free_index=False
    )
    assert not steps[1].holds


def test_ends_wrong_sign_is_rejected():
    upper = next(c for c in derivatives.ENDS.args if c.lhs.variables == (b,))
    wrong = sp.And(sp.Eq(upper.lhs, -upper.rhs), *[c for c in derivatives.ENDS.args if c != upper])
    assert not _proves("derivative_ends", wrong)


def test_interchange_witness_rejects_a_wrong_formula():
    step = derivatives.interchange_witness("twice", 2 * derivatives.POSITION.rhs, "x")
    assert not step.holds


def test_translation_without_an_end_is_rejected():
    found = derivatives_identities.translation_sum()
    dropped = found - found.args[-1]  # one of the three terms missing
    assert not _proves("derivative_translation", sp.Eq(dropped, 0))


def test_position_sum_wrong_orientation_is_rejected():
    stated = derivatives_identities.POSITION_SUM
    assert not _proves("derivative_position_sum", sp.Eq(stated.lhs, -stated.rhs))


def test_fundamental_theorem_is_sympys():
    t = sp.Symbol("t", real=True)
    value = derivatives_identities.fundamental_theorem(
        sp.Integral(sp.Derivative(sp.exp(t) * t, t), (t, 0, 1))
    )
    assert sp.simplify(value - sp.E) == 0


def test_scaling_wrong_constant_is_rejected():
    lhs = derivatives_identities.SCALING.lhs
    wrong = sp.And(derivatives_identities.SCALE_LOSS, sp.Eq(lhs, 2))
    assert not _proves("derivative_scaling", wrong)
    by_c = sp.Subs(
        sp.Derivative(derivatives_identities.scaled_loss(), derivatives_identities.scale),
        derivatives_identities.scale,
        1,
    )
    assert not evaluates("d/dc at 1 is 2?", by_c, 2, derivatives_identities._rescaled).holds


def test_far_field_general_wrong_sign_is_rejected():
    far = derivatives_far_field
    wrong = sp.Eq(far.GENERAL.lhs, -far.GENERAL.rhs)
    assert not _proves("far_field_positions", wrong)
    step = evaluates(
        "psi with the wrong sign",
        far._F_SUM,
        wrong.rhs,
        lambda e: (
            far.plain(
                far.sum_of_integrals(
                    sp.Sum(
                        far._from_edge(far.collapse(e.function.doit(deep=False)), "right"),
                        *e.limits,
                    )
                )
                - wrong.rhs
            )
            + wrong.rhs
        ),
    )
    assert not step.holds


def test_far_field_laplace_wrong_sign_is_rejected():
    far = derivatives_far_field
    claim = sp.Eq(sp.Derivative(far._RIGHT, far.offsets[i]), -far.far_responsibility / h)
    left = derivatives.IN_RANGE.apply(claim.lhs)
    right = derivatives.IN_RANGE.apply(claim.rhs)
    derive = far._laplace_derivative("right")
    step = evaluates("wrong sign", left, right, far._against(derive, right))
    assert not step.holds
    summed = sp.Sum(sp.Derivative(far._RIGHT, far.offsets[i]), (i, 1, n))
    wrong_sum = sp.And(*[c for c in far.LAPLACE.args if c.lhs != summed], sp.Eq(summed, 2 / h))
    assert not _proves("far_field_positions_laplace", wrong_sum)


def test_far_field_cauchy_wrong_bound_is_rejected():
    far = derivatives_far_field
    psi = far.psi("cauchy").subs(far.r, far.gap + far.q)
    certificate = (
        2 * ((far.gap + far.q) * far.q + h**2) / (far.gap * ((far.gap + far.q) ** 2 + h**2))
    )
    assert not nonnegative("1/D bound", 1 / far.gap - psi, certificate).holds
    wrong = sp.And(*far.PSI.args[:-1], sp.Eq(far.PSI.args[-1].lhs, 1))
    assert not _proves("far_field_psi", wrong)


def test_compact_dropped_jump_is_rejected():
    compact = derivatives_compact
    lower = compact.position - h
    jump = sp.log(compact.others(lower) + compact.weight * compact.on_support.subs(
        compact.u, -h)) - sp.log(compact.others(lower))  # fmt: skip
    wrong = compact.COMPACT.rhs - jump / (b - a)
    step = evaluates(
        "no left jump",
        compact.COMPACT.lhs,
        wrong,
        lambda e: compact._together(e.doit(deep=False)),
    )
    assert not step.holds


# --------------------------------------------------------------------------- numbers

DPS = 30
#: Central-difference step: truncation ~STEP^2 * |L'''| ~ 1e-20, rounding ~1e-30 / STEP
#: = 1e-20 at 30 digits; the identities are asserted to 1e-15 (five digits of margin).
STEP = mpmath.mpf("1e-10")
TOL = mpmath.mpf("1e-15")


def _partials(z, x, lower, upper, bandwidth, **options):
    """Central differences of ``reference.loss`` in every x_j, a, b and the bandwidth."""

    def value(xs, lo, hi, bw):
        return reference.loss(z, xs, lo, hi, bandwidth=bw, dps=DPS, check=False, **options)

    def central(moved):
        return (moved(STEP) - moved(-STEP)) / (2 * STEP)

    with mpmath.workdps(DPS):
        dx = [
            central(lambda e, k=k: value([*x[:k], x[k] + e, *x[k + 1 :]], lower, upper, bandwidth))
            for k in range(len(x))
        ]
        da = central(lambda e: value(x, lower + e, upper, bandwidth))
        db = central(lambda e: value(x, lower, upper + e, bandwidth))
        dh = central(lambda e: value(x, lower, upper, bandwidth + e))
    return dx, da, db, dh


def _mp(values):
    with mpmath.workdps(DPS):
        return [mpmath.mpf(v) for v in values]


@pytest.mark.parametrize(
    "options",
    [{"kernel": "laplace"}, {"kernel": "gaussian"}, {"kernel": "laplace", "circular": True}],
    ids=["laplace-line", "gaussian-line", "laplace-circle"],
)
def test_translation_identity_by_central_differences(options):
    z, x = _mp(["0.3", "-0.2"]), _mp(["-0.4", "1.7"])
    lower, upper, bandwidth = _mp(["-0.5", "1.25", "0.7"])
    dx, da, db, _ = _partials(z, x, lower, upper, bandwidth, **options)
    with mpmath.workdps(DPS):
        assert abs(mpmath.fsum(dx) + da + db) < TOL
        assert abs(mpmath.fsum(dx) + da) > mpmath.mpf("1e-3")  # the identity is not vacuous


@pytest.mark.parametrize("kernel", ["laplace", "gaussian"])
def test_scaling_identity_by_central_differences(kernel):
    z, x = _mp(["0.3", "-0.2", "0.1"]), _mp(["-0.4", "0.5", "1.7"])
    lower, upper, bandwidth = _mp(["-0.5", "1.25", "0.7"])
    dx, da, db, dh = _partials(z, x, lower, upper, bandwidth, kernel=kernel)
    with mpmath.workdps(DPS):
        total = mpmath.fsum(xj * d for xj, d in zip(x, dx, strict=True))
        total += lower * da + upper * db + bandwidth * dh
        assert abs(total - 1) < TOL
        assert abs(total - bandwidth * dh - 1) > mpmath.mpf("1e-3")  # dL/dh matters


def test_compact_jump_formula_matches_central_differences_boxcar():
    """Boxcar, n = 3, h = 1 on [0, 3]: point 2's edges 0.4 and 2.4 lie inside, points 1 and
    3 cover the ends; the theorem's jump formula (instantiated, 40 digits) against a central
    difference of ``reference.loss`` in x_2."""
    compact = derivatives_compact
    z, x = _mp(["0.3", "-0.2", "0.1"]), _mp(["0.5", "1.4", "2.3"])
    lower, upper, bandwidth = _mp(["0", "3", "1"])
    exact = [sp.Rational(3, 10), sp.Rational(-1, 5), sp.Rational(1, 10)]
    weights = [sp.exp(v) / sum(sp.exp(w) for w in exact) for v in exact]
    tt = sp.Symbol("tt", real=True)
    box = compact._kernel_on_support("boxcar").subs(h, 1)

    def covered(point, centre):
        return sp.Piecewise((box, abs(point - centre) <= 1), (0, True))

    rest = sp.Lambda(
        tt,
        weights[0] * covered(tt, sp.Rational(1, 2)) + weights[2] * covered(tt, sp.Rational(23, 10)),
    )
    formula = (
        compact.compact_derivative(compact._kernel_on_support("boxcar"))
        .replace(compact.others, rest)
        .subs(compact.weight, weights[1])
    )
    formula = formula.subs({h: 1, compact.position: sp.Rational(7, 5), a: 0, b: 3}).doit()
    with mpmath.workdps(DPS):

        def value(shift):
            moved = [x[0], x[1] + shift, x[2]]
            return reference.loss(
                z, moved, lower, upper, kernel="boxcar", bandwidth=bandwidth, dps=DPS, check=False
            )

        difference = (value(STEP) - value(-STEP)) / (2 * STEP)
        assert abs(difference - mpmath.mpf(str(sp.N(formula, DPS)))) < TOL
        assert abs(difference) > mpmath.mpf("1e-3")
