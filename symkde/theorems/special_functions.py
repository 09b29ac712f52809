"""Special functions the array engine prints itself: the dilogarithm tail ``G`` and its series.

PyTorch has no dilogarithm, so the exact Laplace loss on accelerators
(:mod:`symkde.array`) evaluates ``G(v) = int_v^oo log(1 + e^{-2t}) dt = -Li2(-e^{-2v}) / 2``
(``v >= 0``) from a polynomial printed by :mod:`symkde.symbolic.codegen_array`.  With
``U = log(1 + e^{-2v})`` in ``[0, log 2]``, ``G`` is the integral of the Bernoulli generating
function ``U / (2 (1 - e^{-U}))``, so its Taylor polynomial ``P`` has the coefficients
``B_m / (2 (m + 1)!)`` and converges with ratio ``(U / 2 pi)^2 <= 0.0122``.  Theorems:

* ``dilog_tail_integral`` -- ``-Li2(-e^{-2v})/2`` has derivative ``-log(1 + e^{-2v})`` and
  tends to 0: it is the tail integral ``G`` that the per-segment Laplace forms need.
* ``dilog_series_remainder`` -- for ``0 < U <= log 2``, ``|G - P| <= 2^-59 G`` with
  ``P`` through ``U^(2 K + 2)`` (``K = 8``): truncation below 0.01 ulp of float64.  Every
  inference is checked: ``c U^19 +- (G - P)`` is the integral of ``K(s) +- h(s)`` over
  ``[0, U]``, taken by ``s = log 2 / (1 + tau)`` to a range of ``tau`` that lies in
  ``tau >= 0`` exactly when ``U <= log 2``; there the lemma ``|h| <= zeta(2) r^9 / (1 - r)``
  and ``r <= 1/50`` give ``K +- h >= 0``, so the integral is ``>= 0``; ``G >= U/2`` and
  ``U^18 <= (log 2)^18`` close the relative bound.

This module imports SymPy only; the numeric side imports the printed polynomial.
"""

from __future__ import annotations

from collections.abc import Iterator

import sympy as sp

from symkde.theorems._core import (
    Lemma,
    Step,
    Theorem,
    by_lemma,
    equal,
    evaluates,
    follows,
    integral_nonnegative,
    integral_of_nonnegative,
    nonnegative,
    under_integral,
)

__all__ = [
    "SERIES_HALF_ORDER",
    "THEOREMS",
    "TRUNCATION_BOUND",
    "log_one_plus",
    "series_coefficients",
    "tail_in_u",
]

#: ``K``: the Taylor polynomial of ``dG/dU`` keeps ``U^m`` for ``m <= 2 K``.
SERIES_HALF_ORDER = 8
#: Relative truncation bound proved by ``dilog_series_remainder``.
TRUNCATION_BOUND = sp.Rational(1, 2**59)

#: ``U = log(1 + e^{-2v})``, the series variable, in ``(0, log 2]``.
log_one_plus = sp.Symbol("U", positive=True)
_v = sp.Symbol("v", positive=True)
_y = sp.Symbol("y", positive=True)
_k = sp.Symbol("k", integer=True, positive=True)


#: Euler's formula for the even Bernoulli numbers: a classical theorem SymPy cannot prove for
#: symbolic ``k``; it enters as a lemma (and is checked exactly for the first dropped terms).
EULER_FORMULA = sp.Eq(
    sp.Abs(sp.bernoulli(2 * _k)) / sp.factorial(2 * _k),
    2 * sp.zeta(2 * _k) / (2 * sp.pi) ** (2 * _k),
)
EULER_LEMMA = Lemma(
    name="L-euler-bernoulli",
    statement=EULER_FORMULA,
    citation="Euler's formula |B_2k| / (2k)! = 2 zeta(2k) / (2 pi)^(2k), k >= 1 "
    "(e.g. Apostol, Introduction to Analytic Number Theory, Thm 12.17)",
    witness={_k: 9},
    why="SymPy evaluates B_2k and zeta(2k) only for numeric k",
)
#: The integration variable of the remainder: ``s = log 2 / (1 + tau)`` runs over ``(0, log 2)``
#: as ``tau`` runs over ``(0, oo)``, so facts "for every tau > 0" are facts on ``(0, log 2)``.
_tau = sp.Symbol("tau", positive=True)
_s_of_tau = sp.log(2) / (1 + _tau)


def _ratio(w: sp.Expr) -> sp.Expr:
    """``r = (w / 2 pi)^2``, the ratio of the Bernoulli series at ``w``."""
    return (w / (2 * sp.pi)) ** 2


def _series_remainder(w: sp.Expr) -> sp.Expr:
    """``h(w)``: the Bernoulli generating function minus its Taylor polynomial through
    ``w^(2K)`` (the remainder of ``dG/dU``)."""
    return w / (2 * (1 - sp.exp(-w))) - sum(
        sp.bernoulli(m) * w**m / (2 * sp.factorial(m)) for m in range(2 * SERIES_HALF_ORDER + 1)
    )


def _remainder_bound(w: sp.Expr) -> sp.Expr:
    """``zeta(2) r^(K+1) / (1 - r)``: the geometric bound on ``|h(w)|`` for ``0 < w < 2 pi``."""
    return sp.zeta(2) * _ratio(w) ** (SERIES_HALF_ORDER + 1) / (1 - _ratio(w))


#: The tail of the Bernoulli generating function after ``U^(2K)``, bounded term by term by
#: Euler's formula (``zeta(2k) <= zeta(2)``) and summed as a geometric series.  Stated on
#: ``(0, log 2)`` (``w = log 2 / (1 + tau)``, every ``tau > 0``), where the proof uses it, so
#: that the statement is true for every value of its symbol (it holds on ``(0, 2 pi)``).
TAIL_LEMMA = Lemma(
    name="L-bernoulli-tail",
    statement=sp.Le(sp.Abs(_series_remainder(_s_of_tau)), _remainder_bound(_s_of_tau)),
    citation="for 0 < w < 2 pi, w / (1 - e^-w) = sum_m B_m^+ w^m / m! (Bernoulli generating "
    "function); by L-euler-bernoulli each dropped term B_2k w^2k / (2 (2k)!) is at most "
    "zeta(2k) r^k <= zeta(2) r^k, r = (w / 2 pi)^2, and the geometric tail from k = 9 sums to "
    "zeta(2) r^9 / (1 - r); here at w = log 2 / (1 + tau) in (0, log 2)",
    witness={_tau: sp.Rational(1, 100)},
    why="SymPy does not bound the tail of a power series with symbolic coefficients",
)


def tail_in_u() -> sp.Expr:
    """``G`` in the series variable: ``-Li2(1 - e^U) / 2`` (``-y = 1 - e^U``)."""
    return -sp.polylog(2, 1 - sp.exp(log_one_plus)) / 2


def _generating_function() -> sp.Expr:
    return log_one_plus / (2 * (1 - sp.exp(-log_one_plus)))


def series_coefficients() -> list[sp.Rational]:
    """Exact coefficients ``c_m`` of ``P(U) = sum_m c_m U^(m+1)``, ``m = 0 .. 2K``.

    >>> series_coefficients()[:3]
    [1/2, 1/8, 1/72]
    """
    return [
        sp.Rational(sp.bernoulli(m), 2 * sp.factorial(m + 1))
        for m in range(2 * SERIES_HALF_ORDER + 1)
    ]


def _polynomial() -> sp.Expr:
    return sum(c * log_one_plus ** (m + 1) for m, c in enumerate(series_coefficients()))


def _bound_claim() -> sp.Expr:
    tail = tail_in_u()
    return sp.Le(sp.Abs(tail - _polynomial()), TRUNCATION_BOUND * tail)


def _prove_tail_integral() -> Iterator[Step]:
    tail = -sp.polylog(2, -sp.exp(-2 * _v)) / 2
    yield evaluates(
        "d/dv of -Li2(-e^{-2v})/2 is -log(1 + e^{-2v})",
        sp.Derivative(tail, _v),
        -sp.log(1 + sp.exp(-2 * _v)),
        evaluate=lambda e: sp.expand_func(e.doit()),
    )
    yield evaluates("it tends to 0 as v -> oo", sp.Limit(tail, _v, sp.oo), 0)


def _fundamental_theorem(integral: sp.Integral) -> sp.Expr:
    """``int_lo^hi F'(s) ds`` as ``F(hi) - F(lo)``: SymPy's rule for a generic ``C^1`` function
    ``G``, instantiated at ``F`` (the integral is returned unchanged unless its integrand is the
    derivative in its own variable)."""
    ((var, _, _),) = integral.limits
    function = integral.function
    if not (isinstance(function, sp.Derivative) and function.variables == (var,)):
        return integral
    generic = sp.Function("G")
    done = sp.Integral(sp.Derivative(generic(var), var), *integral.limits).doit()
    return done.replace(generic, sp.Lambda(var, function.expr))


def _floor_steps() -> Iterator[Step]:
    """``G(U) >= U/2``: ``G - U/2`` is the integral of ``dG/ds - 1/2``, which is
    ``f(y)/(2y(1+y)) >= 0`` at ``s = log(1 + y)``, ``f(y) = int_0^y log(1 + t) dt`` (the last
    step proves ``G(U) >= U/2``)."""
    u, s, t = log_one_plus, sp.Symbol("s", positive=True), sp.Symbol("t", positive=True)
    f = (1 + _y) * sp.log(1 + _y) - _y
    f_integral = sp.Integral(sp.log(1 + t), (t, 0, _y))
    f_value = evaluates("f(y) = (1+y) log(1+y) - y = int_0^y log(1 + t) dt", f_integral, f)
    f_sign = integral_nonnegative("log(1 + t) > 0 on [0, y]: the integral is >= 0", f_integral)
    f_floor = follows("so f(y) >= 0", sp.Ge(f, 0), [f_value, f_sign], multipliers=[-1, 1])
    at_u = sp.Rational(1, 2) * u / (1 - sp.exp(-u))
    at_y = equal(
        "with U = log(1 + y): dG/dU = (1+y) log(1+y) / (2y) = 1/2 + f(y)/(2y)",
        at_u.subs(u, sp.log(1 + _y)),
        sp.Rational(1, 2) + f / (2 * _y),
    )
    yield from (f_value, f_sign, f_floor, at_y)
    shifted = tail_in_u().subs(u, s) - s / 2
    whole = sp.Integral(sp.Derivative(shifted, s), (s, 0, u))
    ftc = evaluates(
        "fundamental theorem of calculus (G is C^1 on [0, log 2]): "
        "int_0^U (G(s) - s/2)' ds = G(U) - U/2 (G(0) = 0)",
        whole,
        tail_in_u() - u / 2,
        _fundamental_theorem,
    )
    derivative = evaluates(
        "d/ds (G(s) - s/2) = s / (2 (1 - e^-s)) - 1/2 (the slope above at s)",
        sp.Derivative(shifted, s),
        _generating_function().subs(u, s) - sp.Rational(1, 2),
        lambda e: sp.expand_func(e.doit()),
    )
    inside = under_integral("the integrand at every s in [0, U]", whole, derivative)
    in_y = inside.rhs.transform(s, sp.log(1 + _y))
    moved = evaluates(
        "substituting s = log(1 + y) (increasing, y from 0 to e^U - 1)",
        inside.rhs,
        in_y,
        lambda e: e.transform(s, sp.log(1 + _y)),
    )
    integrand_sign = follows(
        "the integrand in y is f(y) / (2 y (1 + y)) >= 0",
        sp.Ge(in_y.function, 0),
        [at_y, f_floor],
        multipliers=[1 / (1 + _y), 1 / (2 * _y * (1 + _y))],
    )
    exp_integral = sp.Integral(sp.exp(t), (t, 0, u))
    exp_value = evaluates("e^U - 1 = int_0^U e^t dt", exp_integral, sp.exp(u) - 1)
    exp_sign = integral_nonnegative("e^t > 0 on [0, U]: the integral is >= 0", exp_integral)
    upper = follows(
        "so e^U - 1 >= 0", sp.Ge(sp.exp(u) - 1, 0), [exp_value, exp_sign], multipliers=[-1, 1]
    )
    positive_integral = integral_of_nonnegative(
        "so the integral is >= 0 (e^U - 1 >= 0)", in_y, integrand_sign, bounds=[upper]
    )
    yield from (ftc, derivative, inside, moved, integrand_sign)
    yield from (exp_value, exp_sign, upper, positive_integral)
    floor = follows(
        "G(U) - U/2 is that integral: G(U) >= U/2",
        sp.Ge(tail_in_u(), u / 2),
        [ftc, inside, moved, positive_integral],
        multipliers=[-1, 1, 1, 1],
    )
    yield floor


def _prove_remainder() -> Iterator[Step]:
    u, m_top = log_one_plus, 2 * SERIES_HALF_ORDER
    tail = tail_in_u()
    slope = equal(
        "dG/dU is the Bernoulli generating function U / (2 (1 - e^{-U}))",
        sp.expand_func(sp.diff(tail, u)),
        _generating_function(),
    )
    yield slope
    yield equal("G(0) = 0", tail.subs(u, 0), 0)
    taylor = equal(
        f"its Taylor polynomial through U^{m_top} has coefficients B_m / (2 m!)",
        sp.series(_generating_function(), u, 0, m_top + 1).removeO(),
        sum(sp.bernoulli(m) * u**m / (2 * sp.factorial(m)) for m in range(m_top + 1)),
    )
    yield taylor
    printed = equal(
        "P is its integral from 0 (the printed coefficients)",
        sp.diff(_polynomial(), u),
        sum(sp.bernoulli(m) * u**m / (2 * sp.factorial(m)) for m in range(m_top + 1)),
    )
    yield printed
    witnesses = [
        equal(
            f"Euler's formula for B_{2 * k} (exact)",
            sp.Abs(sp.bernoulli(2 * k)) / sp.factorial(2 * k),
            2 * sp.zeta(2 * k) / (2 * sp.pi) ** (2 * k),
        )
        for k in range(SERIES_HALF_ORDER + 1, SERIES_HALF_ORDER + 4)
    ]
    yield from witnesses
    yield by_lemma(EULER_LEMMA, {}, "Euler's formula for the Bernoulli numbers")
    floor_steps = list(_floor_steps())
    yield from floor_steps
    yield from _remainder_steps(floor_steps[-1])


def _remainder_steps(floor: Step) -> Iterator[Step]:
    """``|G - P| <= 2^-59 G`` from the floor ``G >= U/2`` (the step ``floor``).

    For each sign, ``c U^19 +- (G - P)`` is the integral over ``[0, U]`` of ``K(s) +- h(s)``
    (``K = 19 c s^18``, ``h = (G - P)'``); ``s = log 2 / (1 + tau)`` takes it to ``tau`` in
    ``[log 2 / U - 1, oo)``, a range inside ``tau >= 0`` exactly when ``U <= log 2``, where
    ``|h| <= zeta(2) r^9 / (1 - r) <= K`` for every ``tau``: the integral is ``>= 0``.  Then
    ``c U^19 <= 2^-59 U / 2 <= 2^-59 G`` uses ``U <= log 2`` again."""
    u, s, tau = log_one_plus, sp.Symbol("s", positive=True), _tau
    below = sp.Le(u, sp.log(2))  # the hypothesis
    power = SERIES_HALF_ORDER + 1
    scale = sp.Rational(50, 49) * sp.zeta(2) / (19 * (2 * sp.pi) ** (2 * power))
    jacobian = sp.log(2) / (1 + tau) ** 2
    lower = sp.log(2) / u - 1
    lower_sign = follows(
        "log 2 / U - 1 >= 0: the range of tau lies in tau >= 0 (uses U <= log 2)",
        sp.Ge(lower, 0),
        [below],
        multipliers=[1 / u],
    )
    lemma = by_lemma(TAIL_LEMMA, {}, "|h(s)| <= zeta(2) r^9 / (1 - r), r = (s / 2 pi)^2")
    r, grow = _ratio(_s_of_tau), 4 * sp.pi**2 * tau * (2 + tau)
    bound = 19 * scale * _s_of_tau ** (2 * power)  # K = (50/49) zeta(2) r^9
    # (1 - 50 r) and (1 - r) times (2 pi (1 + tau))^2: a positive number + 4 pi^2 tau (2 + tau)
    margin = (2 * sp.pi - 5 * sp.sqrt(2) * sp.log(2)) * (2 * sp.pi + 5 * sp.sqrt(2) * sp.log(2))
    room = (2 * sp.pi - sp.log(2)) * (2 * sp.pi + sp.log(2))
    constant = nonnegative(
        "K - zeta(2) r^9 / (1 - r) = zeta(2) r^9 (1 - 50 r) / (49 (1 - r)) >= 0 for s <= log 2",
        bound - _remainder_bound(_s_of_tau),
        sp.zeta(2) * r**power * (margin + grow) / (49 * (room + grow)),
    )
    yield from (lower_sign, lemma, constant)
    h_tau = _series_remainder(_s_of_tau)
    sides = []
    for sign in (-1, 1):
        name = "K - h" if sign < 0 else "K + h"
        total = scale * s**19 + sign * (tail_in_u().subs(u, s) - _polynomial().subs(u, s))
        whole = sp.Integral(sp.Derivative(total, s), (s, 0, u))
        ftc = evaluates(
            f"fundamental theorem of calculus: int_0^U ({name})(s) ds = c U^19 "
            f"{'-' if sign < 0 else '+'} (G - P) (G(0) = P(0) = 0)",
            whole,
            total.subs(s, u),
            _fundamental_theorem,
        )
        slope = evaluates(
            f"d/ds (c s^19 {'-' if sign < 0 else '+'} (G - P)(s)) = {name}, h = (G - P)' the "
            "remainder of the Bernoulli series of dG/dU",
            sp.Derivative(total, s),
            19 * scale * s**18 + sign * _series_remainder(s),
            lambda e: sp.expand_func(e.doit()),
        )
        inside = under_integral("the integrand at every s in [0, U]", whole, slope)
        moved = evaluates(
            "substituting s = log 2 / (1 + tau) (decreasing; tau from log 2 / U - 1 to oo)",
            inside.rhs,
            inside.rhs.transform(s, _s_of_tau),
            lambda e: e.transform(s, _s_of_tau),
        )
        half = follows(
            f"{'h' if sign < 0 else '-h'} <= zeta(2) r^9 / (1 - r): a half of the lemma",
            sp.Ge(_remainder_bound(_s_of_tau) + sign * h_tau, 0),
            [lemma],
        )
        pointwise = follows(
            f"{name} >= 0 for every tau",
            sp.Ge(bound + sign * h_tau, 0),
            [constant, half],
            multipliers=[1, 1],
        )
        weighted = follows(
            f"({name}) ds/dtau-weight >= 0 for every tau",
            sp.Ge((bound + sign * h_tau) * jacobian, 0),
            [pointwise],
            multipliers=[jacobian],
        )
        positive = integral_of_nonnegative(
            f"so int ({name}) >= 0 (monotonicity of the integral; the range is in tau >= 0)",
            moved.rhs,
            weighted,
            bounds=[lower_sign],
        )
        side = follows(
            f"c U^19 {'-' if sign < 0 else '+'} (G - P) >= 0",
            sp.Ge(total.subs(s, u), 0),
            [positive, ftc, inside, moved],
            multipliers=[1, -1, 1, 1],
        )
        yield from (ftc, slope, inside, moved, half, pointwise, weighted, positive, side)
        sides.append(side)
    powers = follows(
        "(log 2)^18 - U^18 >= 0 (uses U <= log 2)",
        sp.Ge(sp.log(2) ** (2 * power) - u ** (2 * power), 0),
        [below],
        multipliers=[sum(sp.log(2) ** k * u ** (2 * power - 1 - k) for k in range(2 * power))],
    )
    relative = follows(
        "c U^19 <= c (log 2)^18 U <= 2^-59 U/2 <= 2^-59 G (the floor G >= U/2; what is left "
        "is U (2^-59 / 2 - c (log 2)^18), an exact positive number times U)",
        sp.Ge(TRUNCATION_BOUND * tail_in_u() - scale * u**19, 0),
        [floor, powers],
        multipliers=[TRUNCATION_BOUND, scale * u],
    )
    yield from (powers, relative)
    halves = [
        follows(
            f"2^-59 G {'-' if sign < 0 else '+'} (G - P) >= 0",
            sp.Ge(TRUNCATION_BOUND * tail_in_u() + sign * (tail_in_u() - _polynomial()), 0),
            [relative, side],
        )
        for sign, side in zip((-1, 1), sides, strict=True)
    ]
    yield from halves
    yield follows("hence |G - P| <= 2^-59 G on (0, log 2]", _bound_claim(), halves)


THEOREMS: list[Theorem] = [
    Theorem(
        name="dilog_tail_integral",
        title="the dilogarithm tail G(v) = -Li2(-e^{-2v})/2 = int_v^oo log(1 + e^{-2t}) dt",
        statement=sp.And(
            sp.Eq(
                sp.Derivative(-sp.polylog(2, -sp.exp(-2 * _v)) / 2, _v),
                -sp.log(1 + sp.exp(-2 * _v)),
            ),
            sp.Eq(sp.Limit(-sp.polylog(2, -sp.exp(-2 * _v)) / 2, _v, sp.oo), 0),
        ),
        hypotheses=(sp.Q.positive(_v),),
        prover=_prove_tail_integral,
        explanation="The per-segment Laplace log-integral needs differences of G; G is "
        "printed for the array engine as a polynomial in U = log(1 + e^{-2v}).",
    ),
    Theorem(
        name="dilog_series_remainder",
        title="G by its Bernoulli series in U = log(1 + e^{-2v}): relative error below 2^-59",
        statement=_bound_claim(),
        hypotheses=(
            sp.Q.positive(log_one_plus),
            sp.Le(log_one_plus, sp.log(2)),
        ),
        prover=_prove_remainder,
        explanation="G(U) = sum_m B_m U^(m+1) / (2 (m+1)!) converges with ratio (U/2pi)^2 "
        "<= 0.0122 on [0, log 2]; 17 terms leave a truncation below 0.01 ulp of float64, so "
        "the printed polynomial's error is its rounding (measured in tests/test_array_codegen.py). "
        "U <= log 2 is used twice (the substituted range lies in tau >= 0; U^18 <= (log 2)^18); "
        "past it the bound fails (U = 4/5: relative error 6.6e-18 > 2^-59).",
    ),
]
