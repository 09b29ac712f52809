"""Deliberately wrong theorems, built through the public machinery: every one is rejected.

Each case is one claim an auditor could try (issue 13): a typed wrong conclusion, a wrong
constant, a placeholder hypothesis, a fake counterexample, a refutation of a true claim.  A
case passes when ``Theorem.verdict_ok`` is False for it (its wrong verdict is not reached).
"""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from symkde import theorems
from symkde.theorems import special_functions
from symkde.theorems._core import (
    Lemma,
    Parametrisation,
    Step,
    Theorem,
    absolute_bound,
    by_identity,
    by_lemma,
    by_parity,
    citing,
    equal,
    evaluates,
    follows,
    for_every_positive,
    holds_true,
    instantiate,
    integral_nonnegative,
    integral_of_nonnegative,
    nonnegative,
    refutation,
    unchecked,
    under_integral,
    under_integral_between,
    verdict_text,
)

x = sp.Symbol("x", real=True)
y = sp.Symbol("y", real=True)
q = sp.Symbol("q", positive=True)
r = sp.Symbol("r", real=True)
e = sp.Symbol("e", nonnegative=True)
S, g = sp.symbols("S g", real=True)


def _thm(statement, steps, hypotheses=(), expected=True):
    return Theorem(
        "adv", "adversarial", statement, tuple(hypotheses), lambda: list(steps), expected
    )


def _typed(description, claim, premises):
    return follows(description, claim, premises)


def _cases():
    yield (
        "typed wrong bound S - 1/2 <= g",
        _thm(
            sp.Le(S - sp.Rational(1, 2), g),
            [_typed("S - 1/2 <= g", sp.Le(S - sp.Rational(1, 2), g), [sp.Le(S - 1, g)])],
            [sp.Le(S - 1, g)],
        ),
    )
    yield (
        "typed wrong upper bound g <= S - 1",
        _thm(
            sp.Le(g, S - 1), [_typed("g <= S - 1", sp.Le(g, S - 1), [sp.Le(g, S)])], [sp.Le(g, S)]
        ),
    )
    yield (
        "wrong gradient sign",
        _thm(
            sp.Eq(sp.diff(-sp.log(x**2 + 1), x), 2 * x / (x**2 + 1)),
            [equal("d/dx", sp.diff(-sp.log(x**2 + 1), x), 2 * x / (x**2 + 1))],
        ),
    )
    yield (
        "wrong one-hot",
        _thm(
            sp.Eq(sp.diff(-sp.log(sp.exp(x) / (sp.exp(x) + sp.exp(y))), x), 1 - sp.exp(x)),
            [
                equal(
                    "one-hot",
                    sp.diff(-sp.log(sp.exp(x) / (sp.exp(x) + sp.exp(y))), x),
                    1 - sp.exp(x),
                )
            ],
        ),
    )
    k = sp.Symbol("k", positive=True)
    gauss = sp.exp(-((q + k) ** 2))
    yield (
        "gaussian contraction",
        _thm(
            sp.Eq(gauss.subs(k, 1) / gauss.subs(k, 2), gauss.subs(k, 2) / gauss.subs(k, 3)),
            [
                equal(
                    "ratio",
                    gauss.subs(k, 1) / gauss.subs(k, 2),
                    gauss.subs(k, 2) / gauss.subs(k, 3),
                )
            ],
        ),
    )
    cauchy = 1 / (1 + (q + k) ** 2)
    yield (
        "cauchy contraction",
        _thm(
            sp.Eq(cauchy.subs(k, 1) / cauchy.subs(k, 2), cauchy.subs(k, 2) / cauchy.subs(k, 3)),
            [
                equal(
                    "ratio",
                    cauchy.subs(k, 1) / cauchy.subs(k, 2),
                    cauchy.subs(k, 2) / cauchy.subs(k, 3),
                )
            ],
        ),
    )
    D = sp.Symbol("D", positive=True)
    yield (
        "wrong far-field limit (laplace -> 0)",
        _thm(
            sp.Eq(sp.Limit(sp.exp(-D) / (sp.exp(-D) + sp.exp(-D - 1)), D, sp.oo), 0),
            [evaluates("limit", sp.Limit(sp.exp(-D) / (sp.exp(-D) + sp.exp(-D - 1)), D, sp.oo), 0)],
        ),
    )
    yield (
        "wrong far-field limit (cauchy -> 1/2 + 1)",
        _thm(
            sp.Eq(sp.Limit(D**-2 / (D**-2 + (D + 1) ** -2), D, sp.oo), 1),
            [evaluates("limit", sp.Limit(D**-2 / (D**-2 + (D + 1) ** -2), D, sp.oo), 1)],
        ),
    )
    h = sp.Symbol("h", positive=True)
    yield (
        "wrong normalisation constant",
        _thm(
            sp.Eq(sp.Integral(sp.exp(-abs(x) / h) / h, (x, -sp.oo, sp.oo)), 1),
            [evaluates("int", sp.Integral(sp.exp(-abs(x) / h) / h, (x, -sp.oo, sp.oo)), 1)],
        ),
    )
    yield (
        "wrong gaussian constant",
        _thm(
            sp.Eq(sp.Integral(sp.exp(-(x**2) / 2) / sp.pi, (x, -sp.oo, sp.oo)), 1),
            [evaluates("int", sp.Integral(sp.exp(-(x**2) / 2) / sp.pi, (x, -sp.oo, sp.oo)), 1)],
        ),
    )
    m = sp.Symbol("m", integer=True, nonnegative=True)
    yield (
        "wrong geometric series",
        _thm(
            sp.Eq(sp.Sum(sp.Rational(1, 2) ** m, (m, 0, sp.oo)), 3),
            [evaluates("sum", sp.Sum(sp.Rational(1, 2) ** m, (m, 0, sp.oo)), 3)],
        ),
    )
    yield (
        "wrong series bound",
        _thm(
            sp.Le(sp.Sum(sp.Rational(1, 2) ** m, (m, 0, sp.oo)), 1),
            [holds_true("bound", sp.Le(sp.Sum(sp.Rational(1, 2) ** m, (m, 0, sp.oo)), 1))],
        ),
    )
    yield "hard-coded True step", _thm(sp.Ge(x, 0), [holds_true("x >= 0", True)])
    yield "hand-built Step", _thm(sp.Ge(x, 0), [Step("x >= 0", sp.Ge(x, 0), sp.true, True)])
    yield (
        "hand-built Step via replace",
        _thm(
            sp.Ge(x, 0),
            [dataclasses.replace(holds_true("x>=0?", sp.Ge(x, 0)), holds=True)],
        ),
    )
    yield (
        "placeholder hypothesis",
        _thm(
            sp.Ge(q, 1),
            [follows("q >= 1", sp.Ge(q, 1), [sp.Ge(q, sp.Symbol("min_j |c - x_j|"))])],
            [sp.Ge(q, sp.Symbol("min_j |c - x_j|"))],
        ),
    )
    yield (
        "placeholder equality D = min",
        _thm(sp.Ge(D, 1), [], [sp.Eq(D, sp.Symbol("min_j |c - x_j|"))]),
    )
    yield (
        "cited-only label used as the proof",
        _thm(sp.Ge(x, 1), [citing(holds_true("1 > 0", sp.Gt(1, 0)), sp.Ge(x, 1))], [sp.Ge(x, 1)]),
    )
    yield (
        "weakened hypothesis d <= 10**6",
        _thm(
            sp.Ge(r**2, 1),
            [
                Parametrisation(sp.Ge(r, 1), r, 1 + e, e, r - 1).lift(
                    holds_true("(1+e)^2 >= 1", sp.Ge((1 + e) ** 2, 1, evaluate=False)),
                    sp.Ge(r**2, 1),
                )
            ],
            [sp.Le(r, 10**6)],
        ),
    )
    yield (
        "parametrisation not covering its hypothesis",
        _thm(
            sp.Ge(r**2, 1),
            [
                Parametrisation(sp.Ge(r, 0), r, 1 + e, e, r - 1).lift(
                    holds_true("(1+e)^2 >= 1", sp.Ge((1 + e) ** 2, 1, evaluate=False)),
                    sp.Ge(r**2, 1),
                )
            ],
            [sp.Ge(r, 0)],
        ),
    )
    yield (
        "hypothesis not needed by the inference",
        _thm(
            sp.Ge(x**2 + 1, 1, evaluate=False),
            [follows("x^2 + 1 >= 1", sp.Ge(x**2 + 1, 1, evaluate=False), [sp.Ge(x, 5)])],
            [sp.Ge(x, 5)],
        ),
    )
    yield (
        "wrong certificate",
        _thm(sp.Ge(x**2 - 2 * x, 0), [nonnegative("cert", x**2 - 2 * x, (x - 1) ** 2)]),
    )
    bad_lemma = Lemma("L-bad", sp.Eq(sp.Integral(sp.exp(-x), (x, 0, 1)), 1), "made up", {})
    yield (
        "lemma with a false witness",
        _thm(sp.Eq(sp.Integral(sp.exp(-x), (x, 0, 1)), 1), [by_lemma(bad_lemma, {})]),
    )
    good = Lemma("L-ok", sp.Eq(sp.Integral(sp.exp(-y * x), (x, 0, sp.oo)), 1 / y), "c", {y: 2})
    yield (
        "lemma instance that is not the statement",
        _thm(sp.Eq(sp.Integral(sp.exp(-2 * x), (x, 0, sp.oo)), 1), [by_lemma(good, {y: 2})]),
    )
    yield (
        "numeric witness closing a statement",
        _thm(
            sp.Eq(sp.pi, sp.Rational(355, 113)),
            [equal("close enough?", sp.pi, sp.Rational(355, 113))],
        ),
    )

    def fake_reference(values):
        return 1, 2

    yield (
        "refuting a true claim with 1 != 2",
        _thm(
            sp.Eq((x + 1) ** 2, x**2 + 2 * x + 1),
            [
                refutation(
                    "1 != 2",
                    sp.Eq(sp.Integer(1), sp.Integer(2), evaluate=False),
                    {},
                    fake_reference,
                )
            ],
            expected=False,
        ),
    )

    def honest(values):
        v = values[x]
        return (v + 1) ** 2, v**2 + 2 * v + 1

    yield (
        "refuting a true claim at a point",
        _thm(
            sp.Eq((x + 1) ** 2, x**2 + 2 * x + 1, evaluate=False),
            [
                refutation(
                    "at x = 3",
                    sp.Eq((x + 1) ** 2, x**2 + 2 * x + 1, evaluate=False),
                    {x: 3},
                    honest,
                )
            ],
            expected=False,
        ),
    )

    def lying(values):
        return 16, 18

    yield (
        "reference that disagrees with SymPy",
        _thm(
            sp.Eq((x + 1) ** 2, x**2 + 2 * x + 2),
            [refutation("x = 3", sp.Eq((x + 1) ** 2, x**2 + 2 * x + 2), {x: 3}, lying)],
            expected=False,
        ),
    )

    def right(values):
        v = values[x]
        return (v + 1) ** 2, v**2 + 2 * v + 2

    yield (
        "stored sides that do not reproduce (doubled)",
        _thm(
            sp.Eq((x + 1) ** 2, x**2 + 2 * x + 2),
            [
                refutation(
                    "x = 3", sp.Eq((x + 1) ** 2, x**2 + 2 * x + 2), {x: 3}, right, stored=(32, 34)
                )
            ],
            expected=False,
        ),
    )
    yield (
        "counterexample outside the hypotheses",
        _thm(
            sp.Eq((x + 1) ** 2, x**2 + 2 * x + 2),
            [refutation("x = 3", sp.Eq((x + 1) ** 2, x**2 + 2 * x + 2), {x: 3}, right)],
            [sp.Lt(x, 0)],
            expected=False,
        ),
    )
    yield (
        "refutation of another relation",
        _thm(
            sp.Eq((x + 1) ** 2, x**2 + 2 * x + 1),
            [refutation("x = 3", sp.Eq((x + 1) ** 2, x**2 + 2 * x + 2), {x: 3}, right)],
            expected=False,
        ),
    )
    yield (
        "proof of something else",
        _thm(
            sp.Eq(sp.sin(2 * x), 2 * sp.sin(x)),
            [equal("ok", sp.sin(2 * x), 2 * sp.sin(x) * sp.cos(x))],
        ),
    )
    yield (
        "premise that fails",
        _thm(
            sp.Ge(x + 1, 1),
            [follows("from x >= 0", sp.Ge(x + 1, 1), [holds_true("x >= 0?", sp.Ge(x, 0))])],
        ),
    )

    # --- the checks added with the second pass of issue 13
    kappa = sp.Symbol("kappa", positive=True)
    u = sp.Symbol("u", real=True)
    bessel_i1 = Lemma(
        "L-bessel-wrong",
        sp.Eq(
            sp.Integral(sp.exp(kappa * sp.cos(u)), (u, -sp.pi, sp.pi)),
            2 * sp.pi * sp.besseli(1, kappa),
            evaluate=False,
        ),
        "a wrong Bessel integral (I1 for I0)",
        {kappa: sp.Rational(3, 2)},
    )
    yield (
        "lemma with a wrong Bessel function (its witness fails)",
        _thm(bessel_i1.statement, [by_lemma(bessel_i1, {})]),
    )
    w = sp.Symbol("w", positive=True)
    a_, b_ = sp.symbols("a b", real=True)
    gap = sp.Symbol("I", real=True)  # an integral known only to be >= 0
    on_w = {b_: a_ + w}
    steps_w = [
        equal("S - g = I/w", (S - g).subs(on_w), (gap / w).subs(on_w)),
        holds_true("I >= 0", sp.Ge(sp.Abs(gap), 0)),
    ]
    yield (
        "division by b - a with a multiplier of undecided sign",
        _thm(
            sp.Le(g, S),
            [
                follows(
                    "g <= S",
                    sp.Le(g, S),
                    [steps_w[0], sp.Ge(gap, 0)],
                    multipliers=[1, 1 / (b_ - a_)],
                )
            ],
            [sp.Lt(a_, b_), sp.Ge(gap, 0)],
        ),
    )
    t_, d_ = sp.Symbol("t", real=True), sp.Symbol("d", positive=True)
    xs = sp.IndexedBase("x", real=True)
    k = sp.Symbol("j", integer=True)
    sigma = sp.IndexedBase("sigma", integer=True)
    ex = sp.IndexedBase("e", nonnegative=True)
    swapped = Parametrisation(
        sp.Le(d_, sp.Abs(t_ - xs[k])),
        xs[k],
        t_ - (-1) ** sigma[k] * (d_ + ex[k]),
        ex[k],
        sp.Abs(t_ - xs[k]) - d_,
        branches=(
            ({sigma[k]: 0}, sp.Q.nonnegative(xs[k] - t_)),  # the branches swapped
            ({sigma[k]: 1}, sp.Q.nonnegative(t_ - xs[k])),
        ),
    )
    inner = holds_true("0 <= e_j", sp.Ge(ex[k], 0))
    yield (
        "sign-branch parametrisation with the branches swapped",
        _thm(
            sp.Ge(sp.Abs(t_ - xs[k]) - d_, 0),
            [swapped.lift(inner, sp.Ge(sp.Abs(t_ - xs[k]) - d_, 0))],
            [sp.Le(d_, sp.Abs(t_ - xs[k]))],
        ),
    )

    # for_every_positive: universal instantiation needs a fresh positive symbol and atom > 0
    atom = sp.Function("A")(x)
    c_pos = sp.Symbol("c", positive=True)
    inner_c = holds_true("c > 0", sp.Gt(c_pos, 0))
    yield (
        "universal instantiation from a positivity step that proves only >= 0",
        _thm(
            sp.Gt(atom, 0),
            [
                for_every_positive(
                    "A > 0", inner_c, sp.Gt(atom, 0), atom, c_pos,
                    holds_true("A^2 >= 0", sp.Ge(atom**2, 0)),
                )
            ],
        ),
    )  # fmt: skip
    c_int = sp.Symbol("c", positive=True, integer=True)
    yield (
        "universal instantiation over a fresh symbol with extra assumptions (integer)",
        _thm(
            sp.Eq(sp.sin(sp.pi * q), 0),
            [
                for_every_positive(
                    "sin(pi q) = 0", equal("sin(pi c) = 0", sp.sin(sp.pi * c_int), 0),
                    sp.Eq(sp.sin(sp.pi * q), 0), q, c_int, holds_true("q > 0", sp.Gt(q, 0)),
                )
            ],
        ),
    )  # fmt: skip
    yield (
        "strict integral positivity over an empty interval",
        _thm(
            sp.Gt(sp.Integral(sp.exp(x), (x, q, q)), 0),
            [
                integral_nonnegative(
                    "int_q^q e^x > 0", sp.Integral(sp.exp(x), (x, q, q)), strict=True
                )
            ],
        ),
    )

    # instantiate: fresh symbols assumed only positive/nonnegative, values their bounds prove
    yield from _instantiate_cases()
    # by_parity, by_identity, under_integral_between: case splits, identities per index,
    # identities on [a, b] only
    yield from _case_split_cases()
    # absolute_bound: |X| <= B needs both X <= B and -B <= X
    upper = follows("x <= y", sp.Le(x, y), [sp.Le(x, y)])
    yield (
        "|x| <= y from x <= y alone (x = -2, y = 1 is a counterexample)",
        _thm(sp.Le(sp.Abs(x), y), [absolute_bound("|x| <= y", sp.Le(sp.Abs(x), y), upper, upper)],
             [sp.Le(x, y)]),
    )  # fmt: skip
    lower_2 = follows("-2y <= x", sp.Le(-2 * y, x), [sp.Le(-2 * y, x)])
    yield (
        "|x| <= y from x <= y and -2y <= x (the lower side is for another bound)",
        _thm(sp.Le(sp.Abs(x), y),
             [absolute_bound("|x| <= y", sp.Le(sp.Abs(x), y), upper, lower_2)],
             [sp.Le(x, y), sp.Le(-2 * y, x)]),
    )  # fmt: skip

    # under_integral: an identity used inside an integrand must hold for every value of the
    # integration variable over the limits
    sv = sp.Symbol("s", positive=True)
    fn = sp.Function("f")
    at_one = follows("f(s) = 0 when s = 1", sp.Eq(fn(sv), 0), [sp.Eq(sv, 1), sp.Eq(fn(1), 0)])
    wrong_zero = sp.Eq(sp.Integral(fn(sv), (sv, 0, q)), 0)
    under = under_integral("f = 0 under the integral", wrong_zero.lhs, at_one, wrong_zero)
    yield (
        "an identity shown at one s (s = 1) used under the integral over s",
        _thm(
            wrong_zero,
            [under, evaluates("int 0 = 0", under.rhs, 0)],
            [sp.Eq(sv, 1), sp.Eq(fn(1), 0)],
        ),
    )
    one = equal("cos^2 + sin^2 = 1", sp.cos(sv) ** 2 + sp.sin(sv) ** 2, 1)
    across = sp.Integral(sp.cos(sv) ** 2 + sp.sin(sv) ** 2, (sv, -1, q))
    outside = under_integral("limits outside s > 0", across, one)
    yield (
        "an identity for s > 0 used over limits reaching s < 0 (int_-1^q 1 = q)",
        _thm(sp.Eq(across, q), [outside, evaluates("int_-1^q 1", outside.rhs, q)]),
    )
    # only_exponential_kernels' closing step with the factor e^(lambda r0) dropped
    lam, r0_ = sp.Symbol("lambda", positive=True), sp.Symbol("r0", positive=True)
    grown = fn(sv) * sp.exp(lam * sv)
    ftc = evaluates(
        "FTC", sp.Integral(sp.Derivative(grown, sv), (sv, r0_, q)),
        grown.subs(sv, q) - grown.subs(sv, r0_), lambda e: e.doit(deep=False),
    )  # fmt: skip
    no_factor = sp.Eq(fn(q), fn(r0_) * sp.exp(-lam * q))
    yield (
        "f(r) = f(r0) e^(-lambda r) (the factor e^(lambda r0) dropped) from the FTC identity",
        _thm(
            no_factor,
            [follows("no factor", no_factor, [ftc], multipliers=[-sp.exp(-lam * q)])],
        ),
    )

    # integral_of_nonnegative: monotonicity needs the integrand's sign for every value of the
    # integration variable, that integrand, and upper >= lower
    square = nonnegative("(s - 1)^2 >= 0", sv**2 - 2 * sv + 1, (sv - 1) ** 2)
    other = sp.Integral(sv**2 - 2 * sv, (sv, 0, q))
    yield (
        "int_0^q (s^2 - 2s) >= 0 from the sign of another integrand (s - 1)^2",
        _thm(sp.Ge(other, 0), [integral_of_nonnegative("int >= 0", other, square)]),
    )
    backwards = sp.Integral(sv**2 - 2 * sv + 1, (sv, q + 1, 1))
    yield (
        "int_(q+1)^1 (s - 1)^2 >= 0 (limits reversed: the integral is negative)",
        _thm(sp.Ge(backwards, 0), [integral_of_nonnegative("int >= 0", backwards, square)]),
    )
    shifted = sp.Integral(sv**2 - 2 * sv + 1, (sv, 0, q - 1))
    wrong_bound = holds_true("q - 1 >= 0", sp.Ge(q - 1, 0))
    yield (
        "int_0^(q-1) (s - 1)^2 >= 0 with upper >= lower from a bound step that does not hold",
        _thm(
            sp.Ge(shifted, 0),
            [integral_of_nonnegative("int >= 0", shifted, square, bounds=[wrong_bound])],
        ),
    )
    # dilog_series_remainder's floor with a wrong constant: G(U) >= U from the same steps
    floor_steps = list(special_functions._floor_steps())
    premises = [st for st in floor_steps if st.description.startswith(("fund", "the integrand at",
                "substituting", "so the integral"))]  # fmt: skip
    too_high = sp.Ge(special_functions.tail_in_u(), special_functions.log_one_plus)
    yield (
        "G(U) >= U (the floor U/2 doubled) from the FTC and the integral's sign",
        _thm(too_high, [follows("G >= U", too_high, premises, multipliers=[-1, 1, 1, 1])]),
    )


def _parity_claims():
    sgn = sp.Symbol("s", integer=True)
    both = sp.Eq(sp.Abs(q + (-1) ** sgn * q) + sp.Abs(q - (-1) ** sgn * q), 2 * q)
    cases = [equal(f"s = {v}", both.lhs.subs(sgn, v), both.rhs) for v in (0, 1)]
    return sgn, both, cases


def _between_setup():
    t_, a_, b_ = sp.symbols("t a b", real=True)
    gaps = sp.Symbol("tau", nonnegative=True), sp.Symbol("kappa", nonnegative=True)
    inside = sp.Abs(t_ - a_) + sp.Abs(b_ - t_)  # b - a on [a, b] only
    at = {t_: a_ + gaps[0], b_: a_ + gaps[0] + gaps[1]}
    premise = equal("at t = a + tau", inside.subs(at, simultaneous=True), gaps[0] + gaps[1])
    order = follows("b >= a", sp.Ge(b_ - a_, 0), [sp.Lt(a_, b_)])
    return t_, a_, b_, gaps, inside, premise, order


def _case_split_cases():
    sgn, _, cases = _parity_claims()
    one_side = sp.Eq(sp.Abs(q + (-1) ** sgn * q), 2 * q)  # 0 for odd s
    yield (
        "|q + (-1)^s q| = 2q for every integer s from two cases of another claim",
        _thm(one_side, [by_parity("both parities", one_side, sgn, *cases)]),
    )
    bent = sp.cos(sp.pi * sgn / 2) ** 2  # 1 for even s, 0 for odd s
    even_only = sp.Eq(sp.Abs(q + (-1) ** sgn * q) + bent, 2 * q + 1)
    yield (
        "a claim depending on s other than through (-1)^s (cos(pi s/2)^2) split by parity",
        _thm(even_only, [by_parity("parity", even_only, sgn,
                                   equal("s = 0", 2 * q + 1, 2 * q + 1),
                                   equal("s = 1", 2 * q + 1, 2 * q + 1))]),
    )  # fmt: skip
    k_any = sp.Symbol("k", integer=True)
    w = sp.IndexedBase("w", real=True)
    pythagoras = sp.sin(w[k_any]) ** 2 + sp.cos(w[k_any]) ** 2
    one = equal("sin^2 + cos^2 = 1", pythagoras, 1)
    yield (
        "exp(sin^2 w_k + cos^2 w_k) = e^2 by replacing the identity (the result is e)",
        _thm(sp.Eq(sp.exp(pythagoras), sp.E**2),
             [by_identity("replace", sp.exp(pythagoras), sp.E**2, one, k_any)]),
    )  # fmt: skip
    k_pos = sp.Symbol("k", integer=True, positive=True)
    sizes = sp.IndexedBase("c", real=True)
    absolute = equal("|k| = k for a positive k", sp.Abs(k_pos) * sizes[k_pos], k_pos * sizes[k_pos])
    yield (
        "|m| c_m = m c_m for every integer m, from the identity proved for positive k",
        _thm(sp.Eq(sp.Abs(k_any) * sizes[k_any], k_any * sizes[k_any]),
             [by_identity("replace", sp.Abs(k_any) * sizes[k_any], k_any * sizes[k_any],
                          absolute, k_pos)]),
    )  # fmt: skip
    t_, a_, b_, gaps, inside, premise, order = _between_setup()
    longer = sp.Integral(inside, (t_, a_, b_ + 1))
    yield (
        "int_a^(b+1) (|t - a| + |b - t|) = int_a^(b+1) (b - a): the identity holds on [a, b] only",
        _thm(sp.Eq(longer, sp.Integral(b_ - a_, (t_, a_, b_ + 1))),
             [under_integral_between("on [a, b + 1]", longer, b_ - a_, premise, gaps, order)],
             [sp.Lt(a_, b_)]),
    )  # fmt: skip
    reversed_ = sp.Integral(inside, (t_, a_, b_))
    no_order = follows("b >= a", sp.Ge(b_ - a_, 0), [sp.Le(a_ + 1, b_)])
    yield (
        "int_a^b of an identity on [a, b] with the order b >= a from another hypothesis",
        _thm(sp.Eq(reversed_, sp.Integral(b_ - a_, (t_, a_, b_))),
             [under_integral_between("on [a, b]", reversed_, b_ - a_, premise, gaps, no_order)],
             [sp.Lt(a_, b_)]),
    )  # fmt: skip
    free_gap = sp.Symbol("tau", real=True)
    loose = equal("at t = a + tau, any real tau", (sp.Abs(free_gap) + sp.Abs(gaps[1])).subs(
        free_gap, free_gap), sp.Abs(free_gap) + gaps[1])  # fmt: skip
    yield (
        "an identity on [a, b] whose gap tau is not assumed nonnegative",
        _thm(sp.Eq(reversed_, sp.Integral(b_ - a_, (t_, a_, b_))),
             [under_integral_between("gap real", reversed_, b_ - a_, loose, (free_gap, gaps[1]),
                                     order)],
             [sp.Lt(a_, b_)]),
    )  # fmt: skip


def test_the_new_rules_do_not_launder_an_unchecked_inference() -> None:
    """A typed (unchecked) step fed to instantiate stays unchecked in the verdict."""
    pz = sp.Symbol("z", positive=True)
    typed = unchecked("z > 1 (typed)", sp.Gt(pz, 1, evaluate=False),
                      [holds_true("z > 0", sp.Gt(pz, 0, evaluate=False))], "typed")  # fmt: skip
    claim = sp.Gt(x**2 + 1, 1, evaluate=False)
    above = holds_true("x^2 + 1 > 0", sp.Gt(x**2 + 1, 0, evaluate=False))
    theorem = _thm(claim, [instantiate("at x^2 + 1", typed, claim, {pz: (x**2 + 1, above)})])
    proof = theorem.prove()
    assert "unchecked inference" in verdict_text(theorem, proof)


def _laundering_cases():
    """Each rule fed a typed (unchecked) premise, the typed step itself not yielded."""
    pos = sp.Symbol("c", positive=True)
    start = holds_true("x^2 >= 0", sp.Ge(x**2, 0, evaluate=False))
    typed = unchecked("x^2 >= 1 (typed, false at x = 0)", sp.Ge(x**2, 1, evaluate=False),
                      [start], "typed")  # fmt: skip
    yield "follows", sp.Ge(x**2 + 1, 2), [follows("+1", sp.Ge(x**2 + 1, 2), [typed])]
    rr, ee = sp.Symbol("r", real=True), sp.Symbol("e", nonnegative=True)
    typed_e = unchecked("(1 + e)^2 >= 4 (typed)", sp.Ge((1 + ee) ** 2, 4, evaluate=False),
                        [holds_true("e >= 0", sp.Ge(ee, 0))], "typed")  # fmt: skip
    lifted = Parametrisation(sp.Ge(rr, 1), rr, 1 + ee, ee, rr - 1).lift(typed_e, sp.Ge(rr**2, 4))
    yield "Parametrisation.lift", sp.Ge(rr**2, 4), [lifted], [sp.Ge(rr, 1)]
    typed_c = unchecked("c^2 >= 1 (typed)", sp.Ge(pos**2, 1, evaluate=False),
                        [holds_true("c > 0", sp.Gt(pos, 0))], "typed")  # fmt: skip
    yield (
        "for_every_positive",
        sp.Ge(q**2, 1),
        [
            for_every_positive(
                "q^2 >= 1",
                typed_c,
                sp.Ge(q**2, 1),
                q,
                pos,
                holds_true("q > 0", sp.Gt(q, 0, evaluate=False)),
            )
        ],
    )
    sv = sp.Symbol("s", real=True)
    typed_s = unchecked("s - 1 >= 0 (typed)", sp.Ge(sv - 1, 0, evaluate=False),
                        [holds_true("1 > 0", sp.Gt(1, 0))], "typed")  # fmt: skip
    integral = sp.Integral(sv - 1, (sv, 0, q))
    yield (
        "integral_of_nonnegative",
        sp.Ge(integral, 0),
        [integral_of_nonnegative("int_0^q (s - 1) >= 0", integral, typed_s)],
    )
    typed_eq = unchecked("s^2 = s (typed)", sp.Eq(sv**2, sv),
                         [holds_true("1 > 0", sp.Gt(1, 0))], "typed")  # fmt: skip
    squares = sp.Integral(sv**2, (sv, 0, 1))
    under = under_integral("int s^2 = int s", squares, typed_eq)
    yield "under_integral", sp.Eq(squares, sp.Integral(sv, (sv, 0, 1)), evaluate=False), [under]
    cited = citing(holds_true("x^2 >= 0", sp.Ge(x**2, 0, evaluate=False)), sp.Ge(x, 1))
    yield (
        "a cited label",
        sp.Ge(x**2 + 1, 1),
        [follows("+1", sp.Ge(x**2 + 1, 1), [cited])],
        [sp.Ge(x, 1)],
    )


@pytest.mark.parametrize("case", list(_laundering_cases()), ids=lambda c: c[0])
def test_no_rule_launders_a_debt_hidden_in_a_premise(case) -> None:
    """A debt (an unchecked inference, a cited label) reached only through a rule's premise
    still shows in the verdict: no rule turns it into a plain "proved"."""
    name, statement, steps, *hypotheses = case
    theorem = _thm(statement, steps, *hypotheses)
    proof = theorem.prove()
    assert all(s.holds for s in steps), name  # the rule itself accepted its (typed) input
    text = verdict_text(theorem, proof)
    assert text != "proved" and ("unchecked" in text), (name, text)


def test_a_debt_reached_twice_counts_once() -> None:
    start = holds_true("x^2 >= 0", sp.Ge(x**2, 0, evaluate=False))
    typed = unchecked("x^2 >= 1 (typed)", sp.Ge(x**2, 1, evaluate=False), [start], "typed")
    one = follows("+1", sp.Ge(x**2 + 1, 2), [typed])
    two = follows("+2", sp.Ge(x**2 + 2, 3), [typed])
    theorem = _thm(sp.And(sp.Ge(x**2 + 1, 2), sp.Ge(x**2 + 2, 3)), [typed, one, two])
    assert verdict_text(theorem, theorem.prove()).endswith("(with 1 unchecked inference)")


def test_case_split_rules_accept_the_honest_claims() -> None:
    """The honest versions of the by_parity / by_identity / under_integral_between cases."""
    sgn, both, cases = _parity_claims()
    assert _thm(both, [by_parity("both parities", both, sgn, *cases)]).prove().holds
    k_any = sp.Symbol("k", integer=True)
    w = sp.IndexedBase("w", real=True)
    pythagoras = sp.sin(w[k_any]) ** 2 + sp.cos(w[k_any]) ** 2
    one = equal("sin^2 + cos^2 = 1", pythagoras, 1)
    total = sp.Sum(pythagoras, (k_any, 1, 3))
    assert by_identity("in a sum", total, sp.Sum(1, (k_any, 1, 3)), one, k_any).holds
    t_, a_, b_, gaps, inside, premise, order = _between_setup()
    integral = sp.Integral(inside, (t_, a_, b_))
    step = under_integral_between("on [a, b]", integral, b_ - a_, premise, gaps, order)
    assert _thm(sp.Eq(integral, sp.Integral(b_ - a_, (t_, a_, b_))), [step],
                [sp.Lt(a_, b_)]).prove().holds  # fmt: skip


def _instantiate_cases():
    ny, pz = sp.Symbol("y", nonnegative=True), sp.Symbol("z", positive=True)
    ratio = holds_true("y/z >= 0", sp.Ge(ny / pz, 0, evaluate=False))
    square = holds_true("x^2 >= 0", sp.Ge(x**2, 0, evaluate=False))
    above = holds_true("x^2 + 1 > 0", sp.Gt(x**2 + 1, 0, evaluate=False))
    odd = sp.Ge(x / (x**2 + 1), 0, evaluate=False)
    yield (
        "x/(x^2 + 1) >= 0 by instantiating y/z >= 0 at y = x with a bound proving x^2 >= 0",
        _thm(odd, [instantiate("at x", ratio, odd, {ny: (x, square), pz: (x**2 + 1, above)})]),
    )
    yield (
        "x/(x^2 + 1) >= 0 typed in place of the instance x^2/(x^2 + 1) >= 0",
        _thm(odd, [instantiate("at x", ratio, odd, {ny: (x**2, square), pz: (x**2 + 1, above)})]),
    )
    w_int = sp.Symbol("w", positive=True, integer=True)
    at_least_one = holds_true("w >= 1 for a positive integer", sp.Ge(w_int, 1, evaluate=False))
    half = sp.Ge(sp.Rational(1, 2), 1, evaluate=False)
    yield (
        "1/2 >= 1 by instantiating w >= 1 proved for a positive *integer* w",
        _thm(half, [instantiate("at 1/2", at_least_one, half,
                                {w_int: (sp.Rational(1, 2), holds_true("1/2 > 0", sp.Gt(
                                    sp.Rational(1, 2), 0, evaluate=False)))})]),
    )  # fmt: skip
    # a family bound proved for every positive index does not cover an index that may be <= 0
    fam = sp.IndexedBase("p", positive=True)
    k_any, k_pos = sp.Symbol("k", integer=True), sp.Symbol("k", integer=True, positive=True)
    some = holds_true("p_k > 0", sp.Gt(fam[k_any], 0, evaluate=False))
    index_positive = holds_true("k > 0 (k a positive integer)", sp.Gt(k_pos, 0, evaluate=False))
    yield (
        "k > 0 for every integer k, by instantiating p_k > 0 at p_m = m (bound for m >= 1 only)",
        _thm(sp.Gt(k_any, 0, evaluate=False),
             [instantiate("at p_m = m", some, sp.Gt(k_any, 0, evaluate=False),
                          {fam: (k_pos, k_pos, index_positive)})]),
    )  # fmt: skip


def test_instantiate_and_absolute_bound_accept_the_honest_claims() -> None:
    """The honest versions of the instantiate / absolute_bound cases are accepted."""
    ny, pz = sp.Symbol("y", nonnegative=True), sp.Symbol("z", positive=True)
    ratio = holds_true("y/z >= 0", sp.Ge(ny / pz, 0, evaluate=False))
    square = holds_true("x^2 >= 0", sp.Ge(x**2, 0, evaluate=False))
    above = holds_true("x^2 + 1 > 0", sp.Gt(x**2 + 1, 0, evaluate=False))
    even = sp.Ge(x**2 / (x**2 + 1), 0, evaluate=False)
    step = instantiate("at x", ratio, even, {ny: (x**2, square), pz: (x**2 + 1, above)})
    assert _thm(even, [step]).prove().holds
    fam = sp.IndexedBase("p", positive=True)
    k_pos = sp.Symbol("k", integer=True, positive=True)
    some = holds_true("p_k > 0", sp.Gt(fam[k_pos], 0, evaluate=False))
    bound = holds_true("k > 0", sp.Gt(k_pos, 0, evaluate=False))
    claim = sp.Gt(k_pos, 0, evaluate=False)
    assert instantiate("at p_m = m", some, claim, {fam: (k_pos, k_pos, bound)}).holds
    upper = follows("x <= y", sp.Le(x, y), [sp.Le(x, y)])
    lower = follows("-y <= x", sp.Le(-y, x), [sp.Le(-y, x)])
    both = _thm(sp.Le(sp.Abs(x), y), [absolute_bound("|x| <= y", sp.Le(sp.Abs(x), y), upper,
                lower)], [sp.Le(x, y), sp.Le(-y, x)])  # fmt: skip
    assert both.prove().holds


CASES = list(_cases())


def test_at_least_thirty_wrong_claims() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("name, theorem", CASES, ids=[c[0] for c in CASES])
def test_wrong_claim_rejected(name: str, theorem: Theorem) -> None:
    proof = theorem.prove()
    assert not theorem.verdict_ok(proof), f"{name}: accepted"


def test_the_honest_versions_pass() -> None:
    """The machinery is not rejecting everything: right versions of some cases are accepted."""
    assert _thm(sp.Le(S - 1, g), [follows("S - 1 <= g", sp.Le(S - 1, g), [sp.Le(S - 1, g)])],
                [sp.Le(S - 1, g)]).prove().holds  # fmt: skip
    floor = list(special_functions._floor_steps())[-1]  # G(U) >= U/2, from the same steps
    assert floor.holds and floor.claim == sp.Ge(
        special_functions.tail_in_u(), special_functions.log_one_plus / 2
    )

    def right(values):
        v = values[x]
        return (v + 1) ** 2, v**2 + 2 * v + 2

    wrong = sp.Eq((x + 1) ** 2, x**2 + 2 * x + 2)
    thm = _thm(wrong, [refutation("x = 3", wrong, {x: 3}, right, stored=(16, 17))], expected=False)
    assert thm.verdict_ok(thm.prove())


def test_registry_refuted_claims_are_real() -> None:
    """The registry's expected-false theorems refute their own statements (audit item 3)."""
    for name in ("center_claim_interval", "circle_laplace_contraction"):
        theorem = theorems.get(name)
        proof = theorem.prove()
        assert proof.refuted
        assert proof.counterexample.relation == theorem.statement
