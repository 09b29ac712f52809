"""Closed forms for the Laplace kernel per segment (density, log, correction, responsibilities).

Part of :mod:`symkde.theorems.closed_forms` (which re-exports its names and assembles the
registry); also holds the notation shared by the other closed-form modules and
:func:`antiderivatives`.  Imports SymPy, :mod:`symkde.symbolic.kernels` and the proof machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.theorems._core import (
    Parametrisation,
    Step,
    Theorem,
    equal,
    evaluates,
    holds_true,
    numeric_witness,
    rewritten,
)

s = sp.Symbol("s", real=True)
lB, lA = sp.symbols("l_B l_A", real=True)
d = sp.Symbol("d", positive=True)
s_star = sp.Symbol("s_star", real=True)
w = sp.Symbol("w", positive=True)
l0, l1 = sp.symbols("l_0 l_1", real=True)
D = sp.Symbol("D", positive=True)
q = sp.Symbol("q", positive=True)
#: positive offsets: a point ``delta`` (in t units) beyond a segment end; ``kappa`` places u
#: strictly inside (``kappa/(1+kappa) < 1``) or outside (``1 + kappa > 1``) a compact support.
delta, kappa = sp.symbols("delta kappa", positive=True)


def _softplus(v: sp.Expr) -> sp.Expr:
    return sp.log(1 + sp.exp(v))


def _crossing() -> sp.Expr:
    return (lB - lA + d) / 2


def _segment_integrand() -> sp.Expr:
    """``2 h p`` on a Laplace segment: ``e^{lB - s} + e^{lA - (d - s)}``."""
    return sp.exp(lB - s) + sp.exp(lA - (d - s))


def antiderivatives() -> dict[str, tuple[sp.Expr, tuple[sp.Symbol, ...]]]:
    """Every antiderivative used, as ``name -> (expression, its free symbols in order)``.

    ``laplace_log``: ``F(s)`` with ``F' = log(e^{lB-s} + e^{lA-d+s})`` (one dilogarithm
    formula, valid for every real ``s``); ``laplace_resp_left``/``_right``: the
    antiderivatives of ``e^{-s}/f`` and ``e^{s-d}/f``; ``linear_log``: of ``log P`` with
    ``P = P0 + (P1 - P0) s``; ``linear_recip``, ``linear_s_recip``: of ``1/P`` and ``s/P``.

    >>> sorted(antiderivatives())[:2]
    ['laplace_log', 'laplace_resp_left']
    """
    star = _crossing()
    p0, p1 = sp.exp(l0), sp.exp(l1)
    dp = p1 - p0
    lin = p0 + dp * s
    return {
        "laplace_log": (
            lB * s - s**2 / 2 - sp.polylog(2, -sp.exp(2 * (s - star))) / 2,
            (s, lB, lA, d),
        ),
        "laplace_resp_left": (-sp.exp(-lB) * _softplus(2 * (star - s)) / 2, (s, lB, lA, d)),
        "laplace_resp_right": (sp.exp(-lA) * _softplus(2 * (s - star)) / 2, (s, lB, lA, d)),
        "linear_log": ((lin * sp.log(lin) - dp * s) / dp, (s, l0, l1)),
        "linear_recip": (sp.log(lin) / dp, (s, l0, l1)),
        "linear_s_recip": (s / dp - p0 * sp.log(lin) / dp**2, (s, l0, l1)),
    }


def _differentiated(e: sp.Basic) -> sp.Basic:
    """``e.doit()``, then ``expand_func``: ``polylog(1, z) -> -log(1 - z)``, the derivative of
    Li2 in elementary form."""
    return sp.expand_func(e.doit())


def _logs_combined(
    description: str,
    unevaluated: sp.Expr,
    value: sp.Expr,
    evaluate: Callable[[sp.Basic], sp.Basic] = lambda e: e,
) -> Step:
    """Step ``unevaluated == value``, closed once ``logcombine`` merges the logarithms of the
    difference ``evaluate(unevaluated) - value`` into one.

    Without ``force``, ``logcombine`` merges ``log a + log b`` only when SymPy knows ``a, b >
    0``, so the combined difference equals the difference; the step records ``unevaluated``
    and ``value`` themselves (as :func:`evaluates` does), so that a statement can chain them.
    """
    return rewritten(
        description,
        unevaluated,
        value,
        lambda e: sp.logcombine(sp.sympify(evaluate(e))),
        "logcombine",
    )


def _by_definition(
    description: str,
    claim: sp.Basic,
    meaning: Mapping[sp.Basic, sp.Expr],
    evaluate: Callable[[sp.Basic], sp.Basic] | None = None,
) -> Step:
    """Step for ``claim``, part of a statement written with placeholder symbols.

    SymPy checks ``claim`` with every symbol of ``meaning`` replaced by its definition
    (``xreplace``): for an ``Eq`` the two sides with :func:`equal` (or, given ``evaluate``, an
    equivalence-preserving evaluation, ``evaluate(lhs - rhs)`` against 0), any other
    relational must evaluate to True.  The step records ``claim`` as written, so that the
    statement's closing step can match it.
    """
    if isinstance(claim, sp.Equality):
        run = evaluate or (lambda e: e)
        return rewritten(
            description, claim.lhs, claim.rhs, lambda e: run(e.xreplace(meaning)), "definitions"
        )
    return rewritten(description, claim, None, lambda e: e.xreplace(meaning), "definitions")


def _statement(name: str) -> sp.Basic:
    """The statement of the closed-form theorem ``name`` (for a step that checks it as written)."""
    from symkde.theorems import closed_forms  # the registry of all closed-form modules

    return next(t.statement for t in closed_forms.THEOREMS if t.name == name)


def _derivative_steps(name: str, integrand: sp.Expr, combine_logs: bool = False) -> Iterator[Step]:
    """``Derivative(F, s) = integrand`` for the antiderivative ``F`` called ``name``."""
    expr, _ = antiderivatives()[name]
    description = f"d/ds of the {name} antiderivative is the integrand"
    if combine_logs:
        # log of a sum of exponentials: the difference closes once its logs are one log
        yield _logs_combined(description, sp.Derivative(expr, s), integrand, _differentiated)
    else:
        yield evaluates(description, sp.Derivative(expr, s), integrand, _differentiated)


# --- Laplace --------------------------------------------------------------------------------


#: Placeholder of ``laplace_segment_density``: twice the bandwidth times the mixture density
#: at ``t = lo + h s`` (see :func:`_segment_density_meaning`).
TWO_H_P = sp.Symbol("2h p")
_s_in, _r_in = sp.symbols("s r", nonnegative=True)  # 0 <= s <= d as s = s_in, d = s_in + r_in
#: The hypotheses of ``laplace_segment_density``: the point ``t = lo + h s`` is in the segment.
_S_FROM_LO = sp.Q.nonnegative(s)
_S_WITHIN = sp.Le(s, d)
_w_mix = sp.symbols("w1:5", positive=True)
_delta_mix = sp.symbols("delta1:5", positive=True)


def _segment_mixture() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """The mixture density on a segment ``[lo, lo + h d]`` at ``t = lo + h s``, and ``B``, ``A``.

    Two points per side (weights ``w1..w4``): ``delta1``, ``delta2`` left of ``lo``
    (``u = delta_i + h s``), ``delta3``, ``delta4`` right of ``hi = lo + h d`` (``u = -(delta_i
    + h r)``, ``r = d - s``), in the segment's coordinates ``s = s_in``, ``d = s_in + r_in``
    (``s_in, r_in >= 0``: exactly ``0 <= s <= d``).  ``B``, ``A``: the decayed masses of the
    points left and right.
    """
    kernel = KERNELS["laplace"].density
    w1, w2, w3, w4 = _w_mix
    e1, e2, e3, e4 = _delta_mix
    mix = (
        w1 * kernel.subs(u, e1 + h * _s_in)
        + w2 * kernel.subs(u, e2 + h * _s_in)
        + w3 * kernel.subs(u, -(e3 + h * _r_in))
        + w4 * kernel.subs(u, -(e4 + h * _r_in))
    )
    mass_b = w1 * sp.exp(-e1 / h) + w2 * sp.exp(-e2 / h)
    mass_a = w3 * sp.exp(-e3 / h) + w4 * sp.exp(-e4 / h)
    return mix, mass_b, mass_a


def _segment_density_meaning() -> dict[sp.Basic, sp.Expr]:
    """What the symbols of ``laplace_segment_density`` stand for: ``2h p`` is ``2h`` times the
    mixture of :func:`_segment_mixture`, ``lB = log B``, ``lA = log A``, at ``s = s_in``,
    ``d = s_in + r_in`` (a point of the segment)."""
    mix, mass_b, mass_a = _segment_mixture()
    return {
        TWO_H_P: 2 * h * mix,
        lB: sp.log(mass_b),
        lA: sp.log(mass_a),
        s: _s_in,
        d: _s_in + _r_in,
    }


def _prove_laplace_density() -> Iterator[Step]:
    kernel = KERNELS["laplace"].density
    # A point delta left of lo, t = lo + h s (s >= 0): u = delta + h s > 0.
    s_pos = sp.Symbol("s", positive=True)
    left = kernel.subs(u, delta + h * s_pos)
    yield equal(
        "a point left of the segment contributes e^{-delta/h} e^{-s} / (2h)",
        left,
        sp.exp(-delta / h) * sp.exp(-s_pos) / (2 * h),
    )
    # A point delta right of hi = lo + h d, t = hi - h r (r >= 0): u = -(delta + h r).
    r = sp.Symbol("r", positive=True)
    right = kernel.subs(u, -(delta + h * r))
    yield equal(
        "a point right of the segment contributes e^{-delta/h} e^{s - d} / (2h), s = d - r",
        right,
        (sp.exp(-delta / h) * sp.exp((d - r) - d) / (2 * h)),
    )
    # Two points per side: the mixture is (B e^{-s} + A e^{s-d}) / (2h).
    mix, mass_b, mass_a = _segment_mixture()
    yield equal(
        "the mixture is (B e^{-s} + A e^{s-d})/(2h) with B, A the decayed masses of each side",
        sp.expand(mix),
        sp.expand((mass_b * sp.exp(-_s_in) + mass_a * sp.exp(-_r_in)) / (2 * h)),
    )
    # The statement itself, its symbols replaced by what they stand for, at a point of the
    # segment: 0 <= s <= d as d = s + r_in (r_in >= 0), then s = s_in (s_in >= 0), each a
    # checked Parametrisation lifted back (so the step uses both hypotheses).
    statement = _statement("laplace_segment_density")
    meaning = _segment_density_meaning()
    within = Parametrisation(_S_WITHIN, d, s + _r_in, _r_in, d - s)
    from_lo = Parametrisation(_S_FROM_LO, s, _s_in, _s_in, s)
    inner = _by_definition(
        "the statement with 2h p = 2h x the mixture, lB = log B, lA = log A, at a point "
        "s = s_in, d = s_in + r_in (s_in, r_in >= 0) of the segment",
        from_lo.apply(within.apply(statement)),
        {key: value for key, value in meaning.items() if key not in (s, d)},
    )
    lifted = from_lo.lift(inner, within.apply(statement), "for every s >= 0 [at d = s + r_in]")
    yield from (inner, lifted, within.lift(lifted, statement, "for every 0 <= s <= d"))


def _dilog_inversion_steps() -> Iterator[Step]:
    """Lemma: ``Li2(-e^x) + Li2(-e^{-x}) = -pi^2/6 - x^2/2`` (derivative 0, value at 0)."""
    x = sp.Symbol("x", real=True)
    lhs = sp.polylog(2, -sp.exp(x)) + sp.polylog(2, -sp.exp(-x)) + x**2 / 2
    yield equal(
        "inversion lemma: d/dx [Li2(-e^x) + Li2(-e^-x) + x^2/2] = 0",
        sp.expand_func(sp.diff(lhs, x)),
        0,
    )
    yield equal("inversion lemma at x = 0: 2 Li2(-1) = -pi^2/6", lhs.subs(x, 0), -(sp.pi**2) / 6)


def _invert_dilogs(expr: sp.Expr) -> sp.Expr:
    """Rewrite ``Li2(-e^A)``, ``A > 0``, by the inversion lemma: only ``Li2(-e^{-A})`` remains."""

    def is_large(e: sp.Basic) -> bool:
        if not (isinstance(e, sp.polylog) and e.args[0] == 2):
            return False
        arg = sp.powsimp(-e.args[1])
        return isinstance(arg, sp.exp) and bool(arg.args[0].is_positive)

    def invert(e: sp.Basic) -> sp.Expr:
        big = sp.powsimp(-e.args[1]).args[0]
        return -(sp.pi**2) / 6 - big**2 / 2 - sp.polylog(2, -sp.exp(-big))

    return expr.replace(is_large, invert)


def _prove_laplace_log_segment() -> Iterator[Step]:
    yield from _derivative_steps("laplace_log", sp.log(_segment_integrand()), combine_logs=True)
    yield from _dilog_inversion_steps()
    expr, _ = antiderivatives()["laplace_log"]

    # The stable assembly used numerically: broken line + H(s*) + H(d - s*),
    # H(w) = sign(w) (Li2(-e^{-2|w|}) + pi^2/12)/2.
    def half_dilog(v: sp.Expr, sign: int) -> sp.Expr:
        return sign * (sp.polylog(2, -sp.exp(-2 * v)) + sp.pi**2 / 12) / 2

    definite = (expr.subs(s, d) - expr.subs(s, 0)).subs(lA, lB + d - 2 * s_star)
    # 0 < s* < d: write d = s* + w.
    inside = definite.subs(d, s_star + w)
    stable_inside = (
        s_star * (lB - s_star / 2)
        + w * ((lB + w - s_star) - w / 2)
        + half_dilog(s_star, 1)
        + half_dilog(w, 1)
    ).subs(s_star, sp.Symbol("s_star", positive=True))
    inside = inside.subs(s_star, sp.Symbol("s_star", positive=True))
    yield equal(
        "0 < s* < d: F(d) - F(0) = broken line + H(s*) + H(d - s*) (by the inversion lemma)",
        sp.expand(_invert_dilogs(sp.expand(inside))),
        sp.expand(stable_inside),
    )
    # s* = -w <= 0: only the rising line; H(s*) = -H(w).
    below = definite.subs(s_star, -w)
    stable_below = d * ((lB + d + 2 * w) - d / 2) - half_dilog(w, 1) + half_dilog(d + w, 1)
    yield equal(
        "s* <= 0: F(d) - F(0) = d (lA - d/2) + H(s*) + H(d - s*) (by the inversion lemma)",
        sp.expand(_invert_dilogs(sp.expand(below))),
        sp.expand(stable_below),
    )
    # s* = d + w >= d: only the falling line; H(d - s*) = -H(w).
    above = definite.subs(s_star, d + w)
    stable_above = d * (lB - d / 2) + half_dilog(d + w, 1) - half_dilog(w, 1)
    yield equal(
        "s* >= d: F(d) - F(0) = d (lB - d/2) + H(s*) + H(d - s*)",
        sp.expand(_invert_dilogs(sp.expand(above))),
        sp.expand(stable_above),
    )


def half_dilog() -> dict[str, sp.Expr]:
    """The dilogarithm pieces ``symkde.numeric.exact`` evaluates on long Laplace segments, in ``w``.

    ``H``: ``H(w) = (Li2(-e^{-2w}) + pi^2/12)/2 = int_0^w log(1 + e^{-2v}) dv`` for
    ``w >= 0`` (theorem ``laplace_log_correction``); ``half_li2``: ``Li2(-e^{-2w})/2``, whose
    differences ``H(w1) - H(w0)`` need no constant; ``H_series``: H's Taylor polynomial
    through ``w^11``, for small ``w`` where the two terms of ``H`` cancel.
    ``symkde.symbolic.codegen``
    prints all three (Li2 as ``scipy.special.spence``) into
    ``symkde/numeric/_generated/laplace_forms.py``.

    >>> half_dilog()["H"].subs(w, 0)
    0
    """
    half_li2 = sp.polylog(2, -sp.exp(-2 * w)) / 2
    # Near 0 the two terms of H cancel: integrate log(1 + e^{-2w}) = log 2 - w + log cosh w
    # term by term instead (relative accuracy; used for w < 0.1).
    series = sp.integrate(
        sp.log(2) - w + sp.series(sp.log(sp.cosh(w)), w, 0, 12).removeO(), (w, 0, w)
    )
    return {
        "H": sp.simplify(half_li2 + sp.pi**2 / 24),
        "half_li2": half_li2,
        "H_series": sp.expand(series),
    }


#: ``H(w)`` as theorem ``laplace_log_correction`` states it.
_H_STATED = (sp.polylog(2, -sp.exp(-2 * w)) + sp.pi**2 / 12) / 2


def _prove_laplace_correction() -> Iterator[Step]:
    half = half_dilog()["H"]
    yield equal(
        "the printed pieces: H(w) = Li2(-e^{-2w})/2 + pi^2/24",
        half,
        half_dilog()["half_li2"] + sp.pi**2 / 24,
    )
    yield equal("the printed H is the H of the statement", half, _H_STATED)
    yield evaluates(
        "H'(w) = log(1 + e^{-2w}) for w > 0",
        sp.Derivative(_H_STATED, w),
        sp.log(1 + sp.exp(-2 * w)),
        _differentiated,
    )
    yield equal("H(0) = 0 (Li2(-1) = -pi^2/12)", half.subs(w, 0), 0)
    yield equal("H(oo) = pi^2/24", sp.limit(half, w, sp.oo), sp.pi**2 / 24)
    # The small-|w| branch of exact._half_dilog: H(w) = w log 2 - w^2/2 + int_0^w log cosh.
    series = half_dilog()["H_series"]
    coefficients = [
        sp.log(2),
        -sp.Rational(1, 2),
        sp.Rational(1, 6),
        0,
        -sp.Rational(1, 60),
        0,
        sp.Rational(1, 315),
        0,
        -sp.Rational(17, 22680),
        0,
        sp.Rational(31, 155925),
    ]
    yield equal(
        "small-w series of H used numerically (through w^11)",
        sp.expand(series),
        sum(c * w ** (k + 1) for k, c in enumerate(coefficients)),
    )


def _prove_laplace_one_sided() -> Iterator[Step]:
    yield equal(
        "no right points: the integrand log(e^{lB - s}) is lB - s (a real exponent)",
        sp.log(sp.exp(lB - s), evaluate=False),
        lB - s,
    )
    yield evaluates(
        "int_0^d (lB - s) ds = d (lB - d/2)", sp.Integral(lB - s, (s, 0, d)), d * (lB - d / 2)
    )


def _prove_laplace_resp() -> Iterator[Step]:
    f = _segment_integrand()
    left, _ = antiderivatives()["laplace_resp_left"]
    right, _ = antiderivatives()["laplace_resp_right"]
    yield evaluates("d/ds G_L = e^{-s} / f", sp.Derivative(left, s), sp.exp(-s) / f)
    yield evaluates("d/ds G_R = e^{s-d} / f", sp.Derivative(right, s), sp.exp(s - d) / f)
    star = _crossing()
    yield equal(
        "int_0^d e^{-s}/f = e^{-lB} (softplus(2 s*) - softplus(2 s* - 2 d)) / 2",
        left.subs(s, d) - left.subs(s, 0),
        sp.exp(-lB) * (_softplus(2 * star) - _softplus(2 * star - 2 * d)) / 2,
    )
    yield numeric_witness(
        "the left responsibility integral at a point (quadrature)",
        left.subs(s, d) - left.subs(s, 0),
        sp.Integral(sp.exp(-s) / f, (s, 0, d)),
        {lB: sp.Rational(-3, 2), lA: sp.Rational(1, 3), d: sp.Rational(5, 4)},
    )


#: The softplus argument of ``softplus_difference`` (real: softplus and sigmoid of a real).
_y = sp.Symbol("y", real=True)


def _softplus_difference() -> sp.Equality:
    """``softplus(y + 2d) - softplus(y) = log1p(sigmoid(y) expm1(2d))`` as an ``Eq``."""
    return sp.Eq(
        _softplus(_y + 2 * d) - _softplus(_y),
        sp.log(1 + (sp.exp(2 * d) - 1) / (1 + sp.exp(-_y))),
    )


def _prove_softplus_difference() -> Iterator[Step]:
    y = _y
    sigmoid = 1 / (1 + sp.exp(-y))
    # exp of both sides: (1 + e^{y+2d}) / (1 + e^y) = 1 + sigmoid(y) (e^{2d} - 1).
    yield equal(
        "exp(softplus(y + 2d) - softplus(y)) = 1 + sigmoid(y) expm1(2d)",
        sp.cancel(sp.expand((1 + sp.exp(y + 2 * d)) / (1 + sp.exp(y)))),
        sp.cancel(sp.expand(1 + sigmoid * (sp.exp(2 * d) - 1))),
    )
    yield holds_true("sigmoid(y) > 0", sigmoid > 0)
    yield equal(
        "expm1(2d) = 2 e^d sinh(d)", sp.exp(2 * d) - 1, (2 * sp.exp(d) * sp.sinh(d)).rewrite(sp.exp)
    )
    yield holds_true(
        "sinh(d) > 0 for d > 0: the log1p argument is a sum of positive terms", sp.sinh(d) > 0
    )
    claim = _softplus_difference()
    yield _logs_combined(
        "softplus(y + 2d) - softplus(y) - log1p(sigmoid(y) expm1(2d)) is one log, of 1",
        claim.lhs,
        claim.rhs,
    )


THEOREMS: list[Theorem] = [
    Theorem(
        name="laplace_segment_density",
        title="Laplace mixture on a segment is B e^{-s} + A e^{s-d} (over 2h)",
        statement=sp.Eq(TWO_H_P, _segment_integrand()),
        # on the segment: 0 <= s <= d (outside it, points change sides)
        hypotheses=(sp.Q.positive(h), sp.Q.positive(delta), _S_FROM_LO, _S_WITHIN),
        prover=_prove_laplace_density,
        explanation="Derived from `KERNELS['laplace'].density`: points left of a segment decay "
        "as `e^{-s}`, points right as `e^{s-d}`; `lB`, `lA` are the logs of the decayed masses.",
    ),
    Theorem(
        name="laplace_log_segment",
        title="int log(e^{lB-s} + e^{lA-d+s}) ds via the dilogarithm, and its stable split",
        statement=sp.Eq(
            sp.Derivative(antiderivatives()["laplace_log"][0], s), sp.log(_segment_integrand())
        ),
        hypotheses=(sp.Q.real(lB), sp.Q.real(lA), sp.Q.positive(d)),
        prover=_prove_laplace_log_segment,
        explanation="`exact.laplace_segment_log_integral` evaluates the broken line "
        "`max(lB - s, lA - d + s)` plus `H(s*) + H(d - s*)`; Li2 is only evaluated on [-1, 0].",
    ),
    Theorem(
        name="laplace_log_correction",
        title="H(w) = (Li2(-e^{-2w}) + pi^2/12)/2 integrates log(1 + e^{-2w})",
        statement=sp.Eq(
            sp.Derivative((sp.polylog(2, -sp.exp(-2 * w)) + sp.pi**2 / 12) / 2, w),
            sp.log(1 + sp.exp(-2 * w)),
        ),
        hypotheses=(sp.Q.positive(w),),
        prover=_prove_laplace_correction,
    ),
    Theorem(
        name="laplace_one_sided",
        title="one-sided Laplace segment: int (lB - s) ds = d (lB - d/2)",
        statement=sp.Eq(sp.Integral(lB - s, (s, 0, d)), d * (lB - d / 2)),
        hypotheses=(sp.Q.positive(d),),
        prover=_prove_laplace_one_sided,
    ),
    Theorem(
        name="laplace_resp_integral",
        title="int e^{-+s}/(e^{lB-s} + e^{lA-d+s}) ds by softplus",
        statement=sp.Eq(
            sp.Derivative(antiderivatives()["laplace_resp_left"][0], s),
            sp.exp(-s) / _segment_integrand(),
        ),
        hypotheses=(sp.Q.real(lB), sp.Q.real(lA), sp.Q.positive(d)),
        prover=_prove_laplace_resp,
        explanation="The gradient needs `int R_i`; for a point left of the segment it is its "
        "decayed weight times `h int e^{-s}/f`.",
    ),
    Theorem(
        name="softplus_difference",
        title="softplus(y + 2d) - softplus(y) = log1p(sigmoid(y) expm1(2d))",
        # y is real (as the proof assumes: sigmoid(y) > 0); it was an assumption-free symbol
        statement=_softplus_difference(),
        hypotheses=(sp.Q.positive(d), sp.Q.real(_y)),
        prover=_prove_softplus_difference,
        explanation="A sum of positive terms: no cancellation when both softplus values are large.",
    ),
]
