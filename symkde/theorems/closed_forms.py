"""Closed forms behind ``symkde.numeric.exact``: each antiderivative differentiated back by SymPy.

Per segment between breakpoints the density has a simple form derived from
:mod:`symkde.symbolic.kernels` (Laplace: ``exp(lB - s) + exp(lA - (d - s))``; boxcar: a constant;
triangle: a linear function), and the loss and every responsibility integral have
elementary or dilogarithm antiderivatives.  Each theorem differentiates its antiderivative
back to the integrand and then checks the stable form that ``symkde/numeric/exact.py`` evaluates.
``tests/test_exact.py`` evaluates the numeric functions against the expressions returned by
:func:`antiderivatives` at 50 digits.

Notation: ``s = (t - lo)/h`` on a segment of length ``d`` (in bandwidths), ``lB``, ``lA`` the
log-masses of the points left and right (Laplace); ``s* = (lB - lA + d)/2`` where the two
exponentials cross; ``P0 = e^{l0}``, ``P1 = e^{l1}`` the end values of a linear density.

Two statements name a quantity by a placeholder symbol (``2h p``; ``P_log(d^2, T)``,
``R_log``, ``M_11``).  Each is defined once here (:func:`_segment_density_meaning`,
:func:`_short_segment_meaning`), and the proof checks the statement with the definitions
substituted.

>>> [t.name for t in THEOREMS][:2]
['laplace_segment_density', 'laplace_log_segment']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.theorems._core import (
    Step,
    Theorem,
    citing,
    equal,
    evaluates,
    holds_true,
    numeric_witness,
    rewritten,
    series_by_partial_sums,
)

__all__ = [
    "SHORT_SEGMENT",
    "SHORT_SERIES_ORDER",
    "THEOREMS",
    "antiderivatives",
    "half_dilog",
    "short_segment_series",
]

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
    """The statement of this module's theorem ``name`` (for a step that checks it as written)."""
    return next(t.statement for t in THEOREMS if t.name == name)


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
    # The statement itself, its symbols replaced by what they stand for (0 <= s <= d).
    yield citing(
        _by_definition(
            "the statement with 2h p = 2h x the mixture, lB = log B, lA = log A, at a point "
            "s = s_in, d = s_in + r_in (s_in, r_in >= 0) of the segment",
            _statement("laplace_segment_density"),
            _segment_density_meaning(),
        ),
        sp.Q.nonnegative(s),
        sp.Q.le(s, d),
    )


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


# --- Laplace, short segments: midpoint series (the compiled fast path of symkde.numeric.compiled)
# ------

#: Segments up to this length (in bandwidths) are integrated by the midpoint series below.
SHORT_SEGMENT = sp.Rational(1, 10)
#: The series keeps the Taylor terms of the integrand below ``u**SHORT_SERIES_ORDER``.
SHORT_SERIES_ORDER = 12

#: ``T = (A - B)/(A + B)`` and ``q = B/(A + B)``, the shapes of a segment; ``d2 = d**2``.
T_shape = sp.Symbol("T", real=True)
q_shape = sp.Symbol("q", positive=True)
d2 = sp.Symbol("d2", nonnegative=True)
_v = sp.Symbol("v", real=True)  # the offset from the segment's midpoint, s = d/2 + v


def _tanh_derivative(k: int) -> sp.Expr:
    """``d^k/dx^k tanh x`` as a polynomial in ``T = tanh x`` (``T' = 1 - T^2``)."""
    poly = T_shape
    for _ in range(k):
        poly = sp.expand(sp.diff(poly, T_shape) * (1 - T_shape**2))
    return poly


def _midpoint_mean(derivatives: list[sp.Expr]) -> sp.Expr:
    """``(1/d) int_{-d/2}^{d/2} sum_k f^(k)(0) v^k / k! dv`` from ``f^(k)(0)``, in ``d2``.

    Odd ``k`` integrate to 0; even ``k`` give ``f^(k)(0) (d/2)^k / (k + 1)!``.
    """
    return sp.expand(
        sum(
            derivatives[k] * d2 ** (k // 2) / (2**k * sp.factorial(k + 1))
            for k in range(0, len(derivatives), 2)
        )
    )


def short_segment_series() -> dict[str, sp.Expr]:
    """The midpoint series of a short Laplace segment, ``B, A > 0``, ``d <= SHORT_SEGMENT``.

    ``log``: ``(1/d) int_0^d log(B e^{-s} + A e^{s-d}) ds - log(A + B) + d/2``, a polynomial
    in ``d2 = d**2`` and ``T = (A - B)/(A + B)``; ``resp``: ``((A + B)/d) int_0^d ds /
    (B + A e^{2s-d})``, a polynomial in ``d2`` and ``q = B/(A + B)`` (the right-hand twin,
    ``int e^{s-d}/(..)``, is the same polynomial at ``1 - q``).  About the midpoint
    ``s = d/2 + v`` the integrands are ``log cosh(v + phi) - log cosh(phi)`` (``tanh phi =
    T``) and ``(1 - tanh(v + psi))/(2q)`` (``tanh psi = 1 - 2q``), so every Taylor
    coefficient is a tanh-derivative polynomial (theorem ``laplace_short_segment`` proves
    both forms and bounds the truncation); ``symkde.symbolic.codegen`` prints the two polynomials
    into ``symkde/numeric/_generated/laplace_forms.py``.

    >>> short_segment_series()["resp"].subs(d2, 0)
    1
    >>> short_segment_series()["log"].coeff(d2, 1)
    1/24 - T**2/24
    """
    order = SHORT_SERIES_ORDER
    log_derivs = [sp.Integer(0)] + [_tanh_derivative(k - 1) for k in range(1, order)]
    resp_derivs = [sp.Integer(1)] + [
        sp.cancel(-_tanh_derivative(k).subs(T_shape, 1 - 2 * q_shape) / (2 * q_shape))
        for k in range(1, order)
    ]
    return {"log": _midpoint_mean(log_derivs), "resp": _midpoint_mean(resp_derivs)}


def _max_abs_on_unit_interval(poly: sp.Expr, digits: int = 40) -> sp.Float:
    """``max |poly(T)|`` over ``[-1, 1]``: at the ends or at a real root of ``poly'``.

    The roots are SymPy's exact isolated real roots, evaluated to 60 digits; at a critical
    point the value's error is second order in the root's, far below ``digits``.
    """
    roots = [r.evalf(60) for r in sp.Poly(sp.diff(poly, T_shape), T_shape).real_roots()]
    candidates = [sp.Integer(-1), sp.Integer(1), *[r for r in roots if -1 <= r <= 1]]
    return max(sp.Abs(poly.subs(T_shape, c)).evalf(digits) for c in candidates)


#: Placeholders of ``laplace_short_segment`` (defined by :func:`_short_segment_meaning`): the
#: printed loss polynomial, the truncation error it leaves, and ``max |P_11|`` on ``[-1, 1]``.
P_LOG = sp.Symbol("P_log(d^2, T)")
R_LOG = sp.Symbol("R_log")
M_LOG = sp.Symbol("M_11", positive=True)


def _short_segment_statement() -> sp.And:
    """The loss integral of a short segment: the printed series plus its truncation error
    ``R_log``, and the bound that makes ``|R_log|`` below ``2e-20`` for ``d <= SHORT_SEGMENT``.

    By Taylor's theorem ``|R_log| <= M_11 (d/2)^12 / 13!``: ``R_log`` is the mean over the
    segment of ``g - g_11``, ``g(v) = log(cosh v + T sinh v)`` and ``g_11`` its Taylor
    polynomial through ``v^11``, and ``g^(12)(v) = P_11(tanh(v + phi))``, ``|tanh| < 1``.  The
    second conjunct bounds that at the longest short segment (the bound grows with ``d``).
    """
    order = SHORT_SERIES_ORDER
    integral = sp.Integral(sp.log(_segment_integrand()), (s, 0, d))
    bound = M_LOG * (SHORT_SEGMENT / 2) ** order / sp.factorial(order + 1)
    return sp.And(
        sp.Eq(integral, d * (sp.log(sp.exp(lA) + sp.exp(lB)) - d / 2 + P_LOG + R_LOG)),
        sp.Lt(bound, sp.Rational(2, 10**20)),
    )


def _short_segment_meaning() -> dict[sp.Basic, sp.Expr]:
    """What the placeholders of ``laplace_short_segment`` stand for, with ``A = e^{lA}``,
    ``B = e^{lB}`` and ``T = (A - B)/(A + B)``.

    ``P_log(d^2, T)``: the printed polynomial ``short_segment_series()["log"]`` at ``d2 =
    d^2``; ``R_log``: what it leaves out, ``(1/d) (int_0^d log(B e^{-s} + A e^{s-d}) ds -
    d (log(A + B) - d/2) - int_{-d/2}^{d/2} g_11(v) dv)``, ``g_11`` the Taylor polynomial
    (SymPy's ``series``) of ``g(v) = log(cosh v + T sinh v)`` through ``v^11``; ``M_11``: the
    maximum of ``|P_11|`` on ``[-1, 1]``, ``P_11(tanh x) = d^11/dx^11 tanh x``.
    """
    order = SHORT_SERIES_ORDER
    taylor = sp.series(sp.log(sp.cosh(_v) + T_shape * sp.sinh(_v)), _v, 0, order).removeO()
    integral = sp.Integral(sp.log(_segment_integrand()), (s, 0, d))
    midpoint = d * (sp.log(sp.exp(lA) + sp.exp(lB)) - d / 2)
    dropped = (integral - midpoint - sp.Integral(taylor, (_v, -d / 2, d / 2))) / d
    return {
        P_LOG: short_segment_series()["log"].subs(d2, d**2),
        R_LOG: dropped,
        M_LOG: _max_abs_on_unit_interval(_tanh_derivative(order - 1)),
    }


def _prove_laplace_short_segment() -> Iterator[Step]:
    big_a, big_b = sp.symbols("A B", positive=True)
    phi, v0 = sp.symbols("phi v_0", real=True)
    x = sp.Symbol("x", real=True)
    order = SHORT_SERIES_ORDER
    series = short_segment_series()
    # 1. The integrands about the midpoint s = d/2 + v.
    density = big_b * sp.exp(-(d / 2 + _v)) + big_a * sp.exp(d / 2 + _v - d)
    shape = (big_a - big_b) / (big_a + big_b)
    yield equal(
        "B e^{-s} + A e^{s-d} = (A + B) e^{-d/2} (cosh v + T sinh v), T = (A - B)/(A + B)",
        sp.expand(density.rewrite(sp.exp)),
        sp.expand(
            ((big_a + big_b) * sp.exp(-d / 2) * (sp.cosh(_v) + shape * sp.sinh(_v))).rewrite(sp.exp)
        ),
    )
    yield equal(
        "1/(B + A e^{2s-d}) = (1/(A + B)) / (q + (1 - q) e^{2v}), q = B/(A + B)",
        sp.cancel(1 / (big_b + big_a * sp.exp(2 * (d / 2 + _v) - d))),
        sp.cancel(
            (1 / (q_shape + (1 - q_shape) * sp.exp(2 * _v))).subs(q_shape, big_b / (big_a + big_b))
            / (big_a + big_b)
        ),
    )
    # 2. The log integrand is log cosh(v + phi) - log cosh(phi) with T = tanh(phi): its
    #    derivatives are those of tanh, polynomials in tanh.
    yield equal(
        "d/dv log(cosh v + T sinh v) = tanh(v + phi) when T = tanh(phi)",
        sp.simplify(
            sp.diff(sp.log(sp.cosh(_v) + T_shape * sp.sinh(_v)), _v).subs(T_shape, sp.tanh(phi))
            - sp.tanh(_v + phi)
        ),
        0,
    )
    top = _tanh_derivative(order - 1)
    yield equal(
        f"d^{order - 1}/dx^{order - 1} tanh x is the polynomial P(tanh x) used below",
        sp.diff(sp.tanh(x), x, order - 1),
        top.subs(T_shape, sp.tanh(x)),
    )
    meaning = _short_segment_meaning()
    parts = _statement("laplace_short_segment").args  # And keeps its arguments sorted
    identity = next(c for c in parts if isinstance(c, sp.Equality))
    bound = next(c for c in parts if not isinstance(c, sp.Equality))
    # The printed polynomial is the mean of the Taylor polynomial: with R_log what it leaves
    # out, the loss identity holds -- for every T (so at T = (A - B)/(A + B)).
    yield _by_definition(
        "int_0^d log(..) ds = d (log(A + B) - d/2 + P_log(d^2, T) + R_log): the mean of the "
        f"Taylor polynomial through v^{order - 1} about the midpoint is P_log (for every T)",
        identity,
        {P_LOG: meaning[P_LOG], R_LOG: meaning[R_LOG]},
        # linearity (the exact integral cancels), then the polynomial integrals
        lambda e: sp.expand(sp.expand(e).doit()),
    )
    m_log = meaning[M_LOG]
    # The midpoint rule's remainder after the v^{order-2} term:
    # int_{-d/2}^{d/2} |v|^order/order! dv * max|f^(order)| = d (d/2)^order/(order+1)! * max|..|.
    c_log = m_log / (2**order * sp.factorial(order + 1))
    yield citing(
        _by_definition(
            f"loss: |R_log| <= M_11 (d/2)^{order}/{order + 1}! = {sp.N(c_log, 4)} d^{order} "
            f"<= 2e-20 for d <= {SHORT_SEGMENT} (M_11 = max |P| on [-1, 1] = {sp.N(m_log, 8)})",
            bound,
            {M_LOG: m_log},
        ),
        sp.Q.le(d, SHORT_SEGMENT),
    )
    # 3. The responsibility integrand is (1 - tanh(v - v0)) / (2 q) with e^{2 v0} = q/(1-q).
    yield equal(
        "1/(q + (1 - q) e^{2v}) = (1 - tanh(v - v0))/(2q) when e^{2 v0} = q/(1 - q)",
        sp.simplify(
            (
                (1 - sp.tanh(_v - v0)) / (2 * q_shape)
                - 1 / (q_shape + (1 - q_shape) * sp.exp(2 * _v))
            )
            .rewrite(sp.exp)
            .subs(sp.exp(2 * v0), q_shape / (1 - q_shape))
            .subs(sp.exp(-2 * v0), (1 - q_shape) / q_shape)
        ),
        0,
    )
    yield equal(
        "tanh(v0) = 2q - 1 when e^{2 v0} = q/(1 - q): the series evaluates P_k at T = 1 - 2q",
        sp.cancel(sp.tanh(v0).rewrite(sp.exp).subs(sp.exp(v0), sp.sqrt(q_shape / (1 - q_shape)))),
        2 * q_shape - 1,
    )
    top_r = _tanh_derivative(order)
    rest = sp.cancel(top_r / (1 - T_shape**2))
    yield equal(
        f"d^{order}/dx^{order} tanh x = (1 - T^2) R(T), R a polynomial",
        sp.expand((1 - T_shape**2) * rest),
        top_r,
    )
    yield equal(
        "(1 - T) - (1 - T^2)/2 = (1 - T)^2/2 >= 0: |f^(12)| <= 2 max|R| f (and alike for 1 + T)",
        sp.expand((1 - T_shape) - (1 - T_shape**2) / 2),
        sp.expand((1 - T_shape) ** 2 / 2),
    )
    m_resp = _max_abs_on_unit_interval(rest)
    # f varies over the segment by at most e^{2d} (its denominator B + A e^{2s-d} does), so
    # |dropped| <= d (d/2)^order/(order+1)! * 2 max|R| * max f <= [..] e^{2d} * int f.
    c_resp = 2 * m_resp / (2**order * sp.factorial(order + 1))
    resp_bound = c_resp * SHORT_SEGMENT**order * sp.exp(2 * SHORT_SEGMENT)
    yield citing(
        holds_true(
            f"responsibility: relative |dropped| <= {sp.N(c_resp, 4)} d^{order} e^{{2d}} <= "
            f"3e-19 for d <= {SHORT_SEGMENT} (max |R| on [-1, 1] = {sp.N(m_resp, 8)})",
            resp_bound < sp.Rational(3, 10**19),
        ),
        sp.Q.le(d, SHORT_SEGMENT),
    )
    # 4. Witnesses: the printed polynomials against quadrature at a concrete segment.
    at = {T_shape: sp.Rational(-2, 7), q_shape: sp.Rational(9, 14), d2: sp.Rational(1, 100)}
    d_at = sp.Rational(1, 10)
    yield numeric_witness(
        "loss series at d = 1/10, T = -2/7 against quadrature (within the bound)",
        series["log"].subs(at),
        sp.Integral(sp.log(sp.cosh(_v) + T_shape * sp.sinh(_v)), (_v, -d_at / 2, d_at / 2)).subs(at)
        / d_at,
        {},
        tol_digits=19,
    )
    yield numeric_witness(
        "responsibility series at d = 1/10, q = 9/14 against quadrature (within the bound)",
        series["resp"].subs(at),
        sp.Integral(1 / (q_shape + (1 - q_shape) * sp.exp(2 * _v)), (_v, -d_at / 2, d_at / 2)).subs(
            at
        )
        / d_at,
        {},
        tol_digits=18,
    )


# --- boxcar and triangle ----------------------------------------------------------------------


def _resolve(expr: sp.Expr) -> sp.Expr:
    """Pick the Piecewise branch whose condition SymPy decides is true (sign of lhs - rhs).

    A condition SymPy cannot decide leaves the Piecewise in place, so the step fails.
    """

    def decide(cond: sp.Basic) -> bool | None:
        if cond is sp.true or cond is sp.false:
            return bool(cond)
        if isinstance(
            cond, sp.GreaterThan | sp.LessThan | sp.StrictGreaterThan | sp.StrictLessThan
        ):
            gap = sp.factor(cond.gts - cond.lts)
            strict = isinstance(cond, sp.StrictGreaterThan | sp.StrictLessThan)
            return gap.is_positive if strict else gap.is_nonnegative
        return None

    def pick(pw: sp.Piecewise) -> sp.Expr:
        for value, cond in pw.args:
            verdict = decide(cond)
            if verdict is None:
                return pw
            if verdict:
                return value
        return pw

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), pick)


def _prove_boxcar_segment() -> Iterator[Step]:
    kernel = KERNELS["boxcar"].density
    inside = h * kappa / (1 + kappa)
    yield evaluates(
        "inside the support (|u| < h) K = 1/(2h)", kernel.subs(u, inside), 1 / (2 * h), _resolve
    )
    yield equal("inside the support, left side", _resolve(kernel.subs(u, -inside)), 1 / (2 * h))
    yield equal("outside the support (|u| > h) K = 0", _resolve(kernel.subs(u, h * (1 + kappa))), 0)
    mass = sp.Symbol("M", positive=True)
    t, wi = sp.symbols("t w_i", positive=True)
    yield equal(
        "p = M/(2h) on a segment: d/dt [t (log M - log 2h)] = log p",
        sp.diff(t * (sp.log(mass) - sp.log(2 * h)), t),
        sp.expand_log(sp.log(mass / (2 * h)), force=True),
    )
    yield equal(
        "responsibility on a segment: w_i K / p = w_i / M (the integral is len w_i / M)",
        _resolve(wi * kernel.subs(u, inside) / (mass / (2 * h))),
        wi / mass,
    )


def _prove_triangle_density() -> Iterator[Step]:
    kernel = KERNELS["triangle"].density
    t, xj = sp.symbols("t x_j", real=True)
    inside = h * kappa / (1 + kappa)
    # rising side: u = t - x_j = -inside  =>  K = (t - (x_j - h)) / h^2
    rising = ((t - (xj - h)) / h**2).subs(t, xj - inside)
    yield evaluates(
        "rising side (x_j - h < t < x_j): K = (t - (x_j - h))/h^2",
        kernel.subs(u, -inside),
        rising,
        _resolve,
    )
    yield equal(
        "at t = x_j - h kappa/(1 + kappa): K = 1/(h (1 + kappa))", rising, 1 / (h * (1 + kappa))
    )
    yield equal(
        "falling side (x_j < t < x_j + h): K = ((x_j + h) - t)/h^2",
        _resolve(kernel.subs(u, inside)),
        (((xj + h) - t) / h**2).subs(t, xj + inside),
    )
    yield equal("outside the support K = 0", _resolve(kernel.subs(u, -h * (1 + kappa))), 0)


def _prove_triangle_log_segment() -> Iterator[Step]:
    p0, p1 = sp.exp(l0), sp.exp(l1)
    yield from _derivative_steps("linear_log", sp.log(p0 + (p1 - p0) * s))
    expr, _ = antiderivatives()["linear_log"]
    definite = sp.expand_log(expr.subs(s, 1) - expr.subs(s, 0), force=True)
    yield equal(
        "int_0^1 log P = (P1 log P1 - P0 log P0)/(P1 - P0) - 1",
        definite,
        (p1 * l1 - p0 * l0) / (p1 - p0) - 1,
    )
    stable = l1 - 1 + D / (sp.exp(D) - 1)
    yield equal(
        "with l0 = l1 - D: = max - 1 + D/expm1(D)",
        sp.simplify(definite.subs(l0, l1 - D) - stable),
        0,
    )


def _prove_triangle_resp() -> Iterator[Step]:
    p0, p1 = sp.exp(l0), sp.exp(l1)
    lin = p0 + (p1 - p0) * s
    yield from _derivative_steps("linear_recip", 1 / lin)
    yield from _derivative_steps("linear_s_recip", s / lin)
    # Normalised by the larger end: P = r + q s (increasing, r = 1 - q = e^{-D}) or 1 - q s.
    r = 1 - q
    big_d = -sp.log(1 - q)  # D = -log(1 - q), i.e. q = 1 - e^{-D}
    anti_f1 = s / q - r * sp.log(r + q * s) / q**2
    anti_f2 = -s / q - sp.log(1 - q * s) / q**2
    yield equal(
        "d/ds [s/q - r log(r + q s)/q^2] = s/(r + q s)", sp.diff(anti_f1, s), s / (r + q * s)
    )
    yield equal(
        "d/ds [-s/q - log(1 - q s)/q^2] = s/(1 - q s)", sp.diff(anti_f2, s), s / (1 - q * s)
    )
    # 0 < q < 1 is q = 1 - e^{-D} with D > 0: then r + q s >= r = e^{-D} > 0 on [0, 1], the
    # integral is proper, and D = -log(1 - q) is real.
    yield citing(
        evaluates(
            "int_0^1 s/(r + q s) ds = G(1) - G(0), G = s/q - r log(r + q s)/q^2 (q < 1: the "
            "denominator stays >= 1 - q > 0; integrated at q = 1 - e^{-D}, D > 0)",
            sp.Integral(s / (r + q * s), (s, 0, 1)),
            anti_f1.subs(s, 1) - anti_f1.subs(s, 0),
            lambda e: e.subs(q, 1 - sp.exp(-D)).doit().subs(D, big_d),
        ),
        sp.Q.lt(q, 1),
    )
    yield equal(
        "f1 = int_0^1 s/(r + q s) = (q - (1-q) D)/q^2",
        anti_f1.subs(s, 1) - anti_f1.subs(s, 0),
        (q - r * big_d) / q**2,
    )
    yield equal(
        "f2 = int_0^1 s/(1 - q s) = (D - q)/q^2",
        anti_f2.subs(s, 1) - anti_f2.subs(s, 0),
        (big_d - q) / q**2,
    )
    yield equal(
        "f1 + f2 = int 1/P = D/q",
        sp.simplify(((q - r * big_d) + (big_d - q)) / q**2 - big_d / q),
        0,
    )
    k = sp.Symbol("k", integer=True, nonnegative=True)
    series_f1 = sp.series((q - r * big_d) / q**2, q, 0, 8).removeO()
    series_f2 = sp.series((big_d - q) / q**2, q, 0, 8).removeO()
    yield equal(
        "f1 = sum_k q^k / ((k+1)(k+2)) (first 8 terms)",
        series_f1,
        sp.summation(q**k / ((k + 1) * (k + 2)), (k, 0, 7)),
    )
    yield equal(
        "f2 = sum_k q^k / (k+2) (first 8 terms)", series_f2, sp.summation(q**k / (k + 2), (k, 0, 7))
    )


# --- circle -----------------------------------------------------------------------------------


#: The image index of ``wrapped_laplace_image_sum``.
_k_image = sp.Symbol("k", integer=True, nonnegative=True)


#: A triangle panel with p = 0 at one end: the density at its far end, its length, and two
#: points' kernel slopes and weights (any number of points is the same algebra).
P_far, L_panel = sp.symbols("P L", positive=True)
c_1, c_2, w_1, w_2 = sp.symbols("c_1 c_2 w_1 w_2", positive=True)


def _zero_end_resp() -> sp.Expr:
    """``R_1 = w_1 K_1 / p`` with both kernels linear and zero at ``s = 0``."""
    return w_1 * c_1 * s / (w_1 * c_1 * s + w_2 * c_2 * s)


def _prove_triangle_zero_end_panel() -> Iterator[Step]:
    density = w_1 * c_1 * s + w_2 * c_2 * s
    yield equal(
        "p = sum_j w_j c_j s is P s / L with P = p(L), the density at the far end",
        density,
        (density.subs(s, L_panel) * s / L_panel),
    )
    yield evaluates(
        "int_0^L log(P s / L) ds = L (log P - 1): the log singularity at s = 0 is integrable",
        sp.Integral(sp.log(P_far * s / L_panel), (s, 0, L_panel)),
        L_panel * (sp.log(P_far) - 1),
    )
    yield evaluates(
        "R_1 = w_1 c_1 s / (w_1 c_1 s + w_2 c_2 s) does not depend on s, so int R_1 = L R_1(L)",
        sp.Derivative(_zero_end_resp(), s),
        0,
        lambda e: sp.simplify(e.doit()),
    )


def _image_series() -> sp.Sum:
    """``sum_{k >= 0} K(delta + 2 pi k)``: the left images ``x - 2 pi (k + 1)`` of a point ``x``
    at distances ``delta + 2 pi k`` from ``t = x - 2 pi + delta``."""
    kernel = KERNELS["laplace"].density
    return sp.Sum(kernel.subs(u, delta + 2 * sp.pi * _k_image), (_k_image, 0, sp.oo))


def _image_closed_form() -> sp.Expr:
    """One image at distance ``delta`` of weight ``1 / (1 - e^{-2 pi/h})``."""
    return sp.exp(-delta / h) / (2 * h * (1 - sp.exp(-2 * sp.pi / h)))


def _series_by_partial_sums(
    description: str, series: sp.Sum, partial: sp.Expr, n_terms: sp.Symbol
) -> Step:
    """Step ``series = Limit(partial, n_terms, oo)`` (see
    :func:`symkde.theorems._core.series_by_partial_sums`)."""
    return series_by_partial_sums(description, series, partial, n_terms)


def _prove_wrapped_laplace_images() -> Iterator[Step]:
    """The left images ``x - 2 pi k`` (``k >= 1``) of a point ``x`` seen from ``t > x - 2 pi``."""
    series = _image_series()
    yield equal(
        "the image at distance delta + 2 pi k (k >= 0) contributes e^{-delta/h} e^{-2 pi k/h} "
        "/ (2h)",
        series.function,
        sp.exp(-delta / h) * sp.exp(-2 * sp.pi * _k_image / h) / (2 * h),
    )
    # Partial sums by induction (S_0 = 0, S_N - S_{N-1} = the term k = N - 1), then N -> oo.
    n_terms = sp.Symbol("N", integer=True, positive=True)
    partial = (
        sp.exp(-delta / h)
        * (1 - sp.exp(-2 * sp.pi * n_terms / h))
        / (2 * h * (1 - sp.exp(-2 * sp.pi / h)))
    )
    yield _series_by_partial_sums(
        "the series is the limit of its partial sums S_N = e^{-delta/h} (1 - e^{-2 pi N/h}) / "
        "(2h (1 - e^{-2 pi/h})) (S_0 = 0; S_N - S_{N-1} is the term k = N - 1)",
        series,
        partial,
        n_terms,
    )
    closed = _image_closed_form()
    yield evaluates(
        "N -> oo (h > 0): one image of weight w / (1 - e^{-2 pi/h}) at distance delta",
        sp.Limit(partial, n_terms, sp.oo),
        closed,
    )
    yield numeric_witness(
        "the image sum at h = 7/3, delta = 1/2 (400 terms against the closed form)",
        sp.Sum(series.function, (_k_image, 0, 399)).doit(),
        closed,
        {h: sp.Rational(7, 3), delta: sp.Rational(1, 2)},
        tol_digits=30,
    )


THEOREMS: list[Theorem] = [
    Theorem(
        name="laplace_segment_density",
        title="Laplace mixture on a segment is B e^{-s} + A e^{s-d} (over 2h)",
        statement=sp.Eq(TWO_H_P, _segment_integrand()),
        # on the segment: 0 <= s <= d (outside it, points change sides)
        hypotheses=(sp.Q.positive(h), sp.Q.positive(delta), sp.Q.nonnegative(s), sp.Q.le(s, d)),
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
    Theorem(
        name="boxcar_segment",
        title="boxcar: p constant per segment; loss len (log M - log 2h), responsibility w_i/M",
        statement=sp.Eq(KERNELS["boxcar"].density.subs(u, h * kappa / (1 + kappa)), 1 / (2 * h)),
        hypotheses=(sp.Q.positive(h), sp.Q.positive(kappa)),
        prover=_prove_boxcar_segment,
    ),
    Theorem(
        name="triangle_segment_density",
        title="triangle: each kernel is linear on a segment (rising or falling side)",
        statement=sp.Eq(
            KERNELS["triangle"].density.subs(u, -h * kappa / (1 + kappa)), 1 / (h * (1 + kappa))
        ),
        hypotheses=(sp.Q.positive(h), sp.Q.positive(kappa)),
        prover=_prove_triangle_density,
    ),
    Theorem(
        name="triangle_log_segment",
        title="int_0^1 log P (P linear) = max - 1 + D/expm1(D)  (the u log u form)",
        statement=sp.Eq(
            sp.Derivative(antiderivatives()["linear_log"][0], s),
            sp.log(sp.exp(l0) + (sp.exp(l1) - sp.exp(l0)) * s),
        ),
        hypotheses=(sp.Q.real(l0), sp.Q.real(l1)),
        prover=_prove_triangle_log_segment,
    ),
    Theorem(
        name="triangle_resp_integrals",
        title="int 1/P, int s/P for linear P: D/q, (q - (1-q)D)/q^2, (D - q)/q^2 and their series",
        statement=sp.Eq(
            sp.Integral(s / (1 - q + q * s), (s, 0, 1)), (q + (1 - q) * sp.log(1 - q)) / q**2
        ),
        hypotheses=(sp.Q.positive(q), sp.Q.lt(q, 1)),
        prover=_prove_triangle_resp,
    ),
    Theorem(
        name="triangle_zero_end_panel",
        title="triangle panel with p = 0 at one end: int log p = L (log p(far) - 1), R constant",
        statement=sp.And(
            sp.Eq(
                sp.Integral(sp.log(P_far * s / L_panel), (s, 0, L_panel)),
                L_panel * (sp.log(P_far) - 1),
            ),
            sp.Eq(sp.Derivative(_zero_end_resp(), s), 0),
        ),
        hypotheses=(
            sp.Q.positive(P_far),
            sp.Q.positive(L_panel),
            sp.Q.positive(c_1),
            sp.Q.positive(c_2),
            sp.Q.positive(w_1),
            sp.Q.positive(w_2),
        ),
        prover=_prove_triangle_zero_end_panel,
        explanation="`numeric._zero_end_panels`: between edges each triangle kernel is linear "
        "(`triangle_segment_density`); where p = 0 every kernel alive on the panel is 0 too, so "
        "with `s` the distance from the zero, `K_j = c_j s` and `p = P s / L`.  The quadrature "
        "integrates such panels in closed form from `p` and `R` at the far end: its nodes near "
        "the zero would round onto it when `|t|` is large.",
    ),
    Theorem(
        name="laplace_short_segment",
        title="short Laplace segment (d <= 1/10): midpoint series for the loss and "
        "responsibility integrals, truncation below 2e-20 d and 3e-19 relative",
        # The series is not exact: the statement carries its truncation error R_log and the
        # bound on it (see _short_segment_statement and _short_segment_meaning).
        statement=_short_segment_statement(),
        hypotheses=(sp.Q.positive(d), sp.Q.le(d, SHORT_SEGMENT)),
        prover=_prove_laplace_short_segment,
        explanation="The compiled fast path (`symkde.numeric.compiled`) integrates the smooth "
        "integrands "
        "about the segment's midpoint: the log term needs one `log(A + B)` and the "
        "responsibility terms none, with `T = (A - B)/(A + B)` and `q = B/(A + B)` formed "
        "without cancellation.  The printed polynomial `P_log` is the mean over the segment "
        "of the Taylor polynomial (through v^11) of `g(v) = log(cosh v + T sinh v)` about the "
        "midpoint; `R_log` is what it leaves out, the mean of `g` minus that polynomial.  "
        "Taylor's theorem bounds it by `M_11 (d/2)^12 / 13!`, since `g^(12)(v) = "
        "P_11(tanh(v + phi))` (the steps show `g' = tanh(v + phi)` and that the 11th "
        "derivative of tanh is `P_11(tanh)`), `|tanh| < 1` and `M_11` is the exact maximum of "
        "`|P_11|` on [-1, 1]; the bound grows with `d`, and the statement checks it at "
        "`d = 1/10`.  That last inference (Taylor's theorem, monotonicity in `d`) is argued "
        "here, not checked by SymPy.",
    ),
    Theorem(
        name="wrapped_laplace_image_sum",
        title="circle: all left (right) images of a point act as one image of weight "
        "w / (1 - e^{-2 pi/h})",
        statement=sp.Eq(_image_series(), _image_closed_form()),
        hypotheses=(sp.Q.positive(h), sp.Q.positive(delta)),
        prover=_prove_wrapped_laplace_images,
        explanation="On an arc of length at most 2 pi with the points' representatives in "
        "[a, a + 2 pi), every image u - 2 pi k (k >= 1) lies left of the arc and every "
        "u + 2 pi k right of it, so the wrapped Laplace density on the arc is the line density "
        "of 3n points: the per-segment closed forms apply unchanged.",
    ),
]
