"""Circle, wrapped closed forms: the Laplace and Cauchy image sums summed by SymPy.

Part of :mod:`symkde.theorems.circle` (which re-exports its names and assembles the registry).
Imports SymPy, mpmath, :mod:`symkde.symbolic` and the proof machinery of :mod:`symkde.theorems`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import mpmath
import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.kernels import wrapped_density as _wrapped_density
from symkde.symbolic.model import (
    a,
    b,
)
from symkde.theorems._core import (
    Lemma,
    Step,
    Theorem,
    by_lemma,
    citing,
    equal,
    evaluates,
    follows,
    holds_true,
    numeric_witness,
)
from symkde.theorems.gradient import (
    equal_after,
)

REFERENCE = "derivations/circle.py"
TWO_PI = 2 * sp.pi

#: The image index ``k`` in ``sum_{k in Z} K(u + 2 pi k)``, and a nonnegative one for series.
image = sp.Symbol("k", integer=True)
term_index = sp.Symbol("m", integer=True, nonnegative=True)
#: An integer number of turns.
turns = sp.Symbol("N", integer=True)
#: ``r = u mod 2 pi`` in ``[0, 2 pi)``; ``q = 2 pi - r`` in ``(0, 2 pi]``.
reduced = sp.Symbol("r", nonnegative=True)
to_left = sp.Symbol("q", positive=True)
#: An abstract wrapped kernel: positive (a hypothesis of the circle gradient theorems) and, as
#: every wrapped kernel, ``2 pi``-periodic (not needed by their identities).
wrapped_kernel: sp.Expr = sp.Function("K_circ", positive=True)(u)
_PERIODIC = sp.Eq(wrapped_kernel.subs(u, u + TWO_PI), wrapped_kernel)
#: The arc ``[a, b]``: nonempty, and at most one turn.
_ARC_SHORT = sp.Le(b - a, TWO_PI)


kappa = sp.Symbol("kappa", positive=True)
far = sp.Symbol("D", positive=True)


def image_sum(kernel: sp.Expr, arg: sp.Expr = u) -> sp.Sum:
    """The wrapped kernel as its image sum ``sum_{k in Z} kernel(arg + 2 pi k)`` (unevaluated).

    >>> image_sum(KERNELS["cauchy"].density)
    Sum(h/(pi*(h**2 + (2*pi*k + u)**2)), (k, -oo, oo))
    """
    return sp.Sum(kernel.subs(u, arg + TWO_PI * image), (image, -sp.oo, sp.oo))


def geometric_series(term: sp.Expr, index: sp.Symbol = term_index) -> tuple[sp.Expr, list[Step]]:
    """``sum_{index >= 0} term`` for a geometric ``term``, summed by SymPy, with its checks.

    The steps show ``term = term(0) w^index`` with ``w`` free of the index and ``|w| < 1``
    (``log |w| < 0``); ``sympy.summation`` of ``w^index`` gives ``1/(1 - w)`` on that branch.

    >>> closed, steps = geometric_series(sp.exp(-h * term_index))
    >>> closed, all(s.holds for s in steps)
    (1/(1 - exp(-h)), True)
    """
    first = term.subs(index, 0)
    ratio = sp.simplify(term.subs(index, index + 1) / term)
    steps = [
        equal(
            f"term = term(0) * w**{index}, w = {sp.sstr(ratio)} free of {index}",
            term,
            first * ratio**index,
        ),
        holds_true("|w| < 1 (log|w| < 0): the series converges", sp.Lt(sp.log(sp.Abs(ratio)), 0)),
    ]
    w = sp.Dummy("w")
    summed = sp.summation(w**index, (index, 0, sp.oo))
    branch, condition = summed.args[0]
    steps.append(
        holds_true(
            "sympy.summation: sum w**k = 1/(1 - w) on |w| < 1, the branch taken",
            sp.And(sp.Eq(condition, sp.Abs(w) < 1), sp.Eq(branch, 1 / (1 - w))),
        )
    )
    return first * branch.subs(w, ratio), steps


def _mpmath_image_sum(name: str, arg: sp.Rational, bandwidth: sp.Rational) -> sp.Float:
    """The image sum at numbers by ``mpmath.nsum`` (an independent numeric check)."""
    kernel = sp.lambdify((u, h), KERNELS[name].density, modules="mpmath")
    with mpmath.workdps(60):
        uv, hv = mpmath.mpf(sp.Rational(arg)), mpmath.mpf(sp.Rational(bandwidth))
        value = mpmath.nsum(lambda k: kernel(uv + 2 * mpmath.pi * k, hv), [-mpmath.inf, mpmath.inf])
        return sp.Float(value, 55)


# --------------------------------------------------------------------------- closed forms


def _closed_form(name: str) -> sp.Expr:
    """The wrapped kernel's closed form (laplace, cauchy, vonmises all have one)."""
    closed = _wrapped_density(name)
    if closed is None:
        raise ValueError(f"kernel: {name!r} has no wrapped closed form")
    return closed


_LAPLACE_CLOSED = _closed_form("laplace")
_LAPLACE_STATEMENT = sp.Eq(image_sum(KERNELS["laplace"].density), _LAPLACE_CLOSED)
#: The hypotheses of the closed form: division with remainder, ``u = r + 2 pi N``, with
#: ``0 <= r < 2 pi`` (``r >= 0`` is ``reduced``'s own assumption: SymPy makes it ``True``).
_TURNS = sp.Eq(u, reduced + TWO_PI * turns)
_REMAINDER_FROM = sp.Ge(reduced, 0)
_REMAINDER_BELOW = sp.Lt(reduced, TWO_PI)


def _floor_is_zero(
    value: sp.Expr,
    nonnegative: Sequence[tuple[sp.Basic, sp.Expr]],
    below: Sequence[tuple[sp.Basic, sp.Expr]],
    why: str,
) -> Step:
    """Step ``floor(value / 2 pi) = 0``, i.e. ``Mod(value, 2 pi) = value``, on ``[0, 2 pi)``.

    SymPy's ``floor`` turns ``floor(y) >= 0`` into ``y >= 0`` and ``floor(y) < 1`` into
    ``y < 1``; it decides them after the substitutions ``nonnegative`` and ``below`` (applied in
    order), which write the hypotheses (``value >= 0``, ``value < 2 pi``) as symbols' signs.
    The only integer in ``[0, 1)`` is 0.
    """
    whole_turns = sp.floor(value / TWO_PI)
    return holds_true(
        f"floor(({sp.sstr(value)})/(2 pi)) is an integer in [0, 1), so 0: {why}",
        sp.And(
            (whole_turns >= 0).subs(nonnegative),
            (whole_turns < 1).subs(below),
            sp.Eq(sp.Intersection(sp.S.Integers, sp.Interval.Ropen(0, 1)), sp.FiniteSet(0)),
        ),
    )


def _without_turns(expr: sp.Expr, value: sp.Expr, floor_step: Step) -> sp.Expr:
    """``Mod(p, 2 pi) = p - 2 pi floor(p / 2 pi)`` in ``expr`` (SymPy's rewrite); the turns of
    ``value`` are set to 0 only if ``floor_step`` (:func:`_floor_is_zero`) holds."""
    written = expr.replace(lambda e: isinstance(e, sp.Mod), lambda e: e.rewrite(sp.floor))
    return written.subs(sp.floor(value / TWO_PI), 0) if floor_step.holds else written


def _laplace_half(series: sp.Sum) -> tuple[sp.Expr, dict[sp.Basic, sp.Expr]]:
    """A half of the Laplace image sum at ``r`` as its term in ``m >= 0``, and the substitution
    back to ``r``.  The right half (``k >= 0``) is taken as it is; the left one (``k <= -1``) is
    reindexed ``k -> -k - 1`` and written with ``q = 2 pi - r > 0`` (``r < 2 pi``)."""
    ((index, lower, _),) = series.limits
    if lower == 0:
        return series.function.subs(index, term_index), {}
    reindexed = series.change_index(index, -index - 1)
    term = reindexed.function.subs(index, term_index).subs(reduced, TWO_PI - to_left)
    return sp.expand(term), {to_left: TWO_PI - reduced}


def _sum_laplace_halves(expr: sp.Expr) -> sp.Expr:
    """Each half of the image sum in ``expr`` summed by SymPy (:func:`geometric_series`) --
    only when its term is free of ``Abs`` and the series converges -- then cosh and sinh
    written as exponentials."""

    def summed(series: sp.Sum) -> sp.Expr:
        term, back = _laplace_half(series)
        closed, steps = geometric_series(term)
        if term.has(sp.Abs) or not all(s.holds for s in steps):
            return series
        return closed.subs(back)

    return expr.replace(lambda e: isinstance(e, sp.Sum), summed).rewrite(sp.exp)


def _prove_laplace_closed_form() -> Iterator[Step]:
    kernel = KERNELS["laplace"].density
    total = image_sum(kernel)
    at_r = total.subs(u, reduced)
    # u = r + 2 pi N enters as a premise equality SymPy substitutes (used: needed to close)
    at_turns = evaluates(
        "the image sum at r + 2 pi N, reindexed k -> k - N, is the image sum at r",
        total.subs(u, reduced + TWO_PI * turns),
        at_r,
        lambda e: sp.expand(e.change_index(image, image + turns)),
    )
    yield at_turns
    yield follows(
        "u = r + 2 pi N (hypothesis): the image sum at u is the image sum at r",
        sp.Eq(total, at_r),
        [_TURNS, at_turns],
    )
    right = sp.Sum(at_r.function, (image, 0, sp.oo))
    left = sp.Sum(at_r.function, (image, -sp.oo, -1))
    yield equal("split k >= 0 | k <= -1 (SymPy joins the two ranges back)", at_r, right + left)
    yield holds_true(
        "reindexed k -> -k - 1, the left sum runs over k >= 0",
        sp.Eq(left.change_index(image, -image - 1).limits[0][1:], (0, sp.oo)),
    )
    (right_term, _), (left_term, _) = _laplace_half(right), _laplace_half(left)
    yield citing(
        holds_true(
            "no Abs left: r + 2 pi k >= 0 on the right; r - 2 pi (k + 1) = -(q + 2 pi k) < 0, "
            "q = 2 pi - r > 0 (r < 2 pi), on the left",
            sp.And(sp.sympify(not right_term.has(sp.Abs)), sp.sympify(not left_term.has(sp.Abs))),
        ),
        _REMAINDER_BELOW,
    )
    _, right_steps = geometric_series(right_term)
    _, left_steps = geometric_series(left_term)
    yield from right_steps
    yield from left_steps
    residue = sp.Mod(u, TWO_PI)
    stated = _LAPLACE_CLOSED.subs(residue, reduced)
    yield citing(
        equal_after(
            "SymPy sums the two geometric series: cosh((pi - r)/h) / (2 h sinh(pi/h))",
            right + left,
            stated,
            _sum_laplace_halves,
        ),
        _REMAINDER_BELOW,
    )
    floor_step = citing(
        _floor_is_zero(
            reduced, [], [(reduced, TWO_PI - to_left)], "r >= 0, and r = 2 pi - q, q > 0 (r < 2 pi)"
        ),
        _REMAINDER_BELOW,
    )
    yield floor_step
    reduced_form = citing(
        evaluates(
            "SymPy reduces Mod(r + 2 pi N, 2 pi) to Mod(r, 2 pi) = r - 2 pi floor(r/(2 pi)) = "
            "r: the closed form at r + 2 pi N is the one at r",
            _LAPLACE_CLOSED.subs(u, reduced + TWO_PI * turns),
            stated,
            lambda e: _without_turns(e, reduced, floor_step),
        ),
        _REMAINDER_BELOW,
    )
    yield reduced_form
    yield follows(
        "u = r + 2 pi N (hypothesis): the closed form at u is the one at r",
        sp.Eq(_LAPLACE_CLOSED, stated),
        [_TURNS, reduced_form],
    )
    values = {u: sp.Rational(-23, 5), h: sp.Rational(2, 3)}
    yield numeric_witness(
        "mpmath.nsum of the image sum at u = -23/5, h = 2/3 equals the closed form",
        _mpmath_image_sum("laplace", values[u], values[h]),
        _LAPLACE_CLOSED,
        values,
    )


_CAUCHY_CLOSED = _closed_form("cauchy")
_CAUCHY_STATEMENT = sp.Eq(image_sum(KERNELS["cauchy"].density), _CAUCHY_CLOSED)
_frequency = sp.Symbol("m", integer=True, positive=True)


def _fourier_term(coefficient: sp.Expr, sign: int) -> sp.Expr:
    """The ``(m + 1)``-th term of ``sum_{m >= 1} hat K(m) e^{+-imu}``, ``m >= 0``."""
    return coefficient.subs(_frequency, term_index + 1) * sp.exp(sign * sp.I * (term_index + 1) * u)


def _sum_fourier_series(expr: sp.Expr) -> sp.Expr:
    """Each ``Sum`` over ``m >= 1`` in ``expr`` summed term by term by SymPy
    (:func:`geometric_series`, only when every part converges), in complex exponentials."""

    def summed(series: sp.Sum) -> sp.Expr:
        ((index, lower, upper),) = series.limits
        if (lower, upper) != (1, sp.oo):
            return series
        total = sp.Integer(0)
        for part in sp.Add.make_args(sp.expand(series.function)):
            closed, steps = geometric_series(part.subs(index, term_index + 1))
            if not all(s.holds for s in steps):
                return series
            total += closed
        return total

    return sp.expand_complex(expr.replace(lambda e: isinstance(e, sp.Sum), summed).rewrite(sp.exp))


def _prove_cauchy_closed_form() -> Iterator[Step]:
    kernel = KERNELS["cauchy"].density
    decay = sp.limit(u**2 * kernel, u, sp.oo)
    yield holds_true(
        "decay: u^2 K(u) -> h/pi, so |K(u)| <= A (1 + |u|)^-2", sp.Eq(decay, h / sp.pi)
    )
    yield equal(
        "K is even, so its Fourier transform is the cosine transform", kernel.subs(u, -u), kernel
    )
    mean = sp.integrate(kernel, (u, -sp.oo, sp.oo))
    yield equal("hat K(0) = Integral(K) = 1", mean, 1)
    coefficient = sp.integrate(kernel * sp.cos(_frequency * u), (u, -sp.oo, sp.oo))
    coefficient = sp.simplify(coefficient.rewrite(sp.exp))
    yield equal(
        "hat K(m) = Integral(K(u) cos(m u)) = exp(-h m) for m >= 1 (SymPy integrates)",
        coefficient,
        sp.exp(-h * _frequency),
    )
    fourier = (
        mean
        + sp.Sum(
            coefficient * (sp.exp(sp.I * _frequency * u) + sp.exp(-sp.I * _frequency * u)),
            (_frequency, 1, sp.oo),
        )
    ) / TWO_PI
    coefficient_decay = sp.limit(_frequency**2 * coefficient, _frequency, sp.oo)
    yield holds_true(
        "decay: m^2 hat K(m) -> 0, so |hat K(m)| <= A (1 + |m|)^-2",
        sp.Eq(coefficient_decay, 0, evaluate=False),
    )
    yield by_lemma(
        Lemma(
            "L-poisson",
            sp.Eq(image_sum(kernel), fourier, evaluate=False),
            "Poisson summation: Stein & Weiss, Introduction to Fourier Analysis on Euclidean "
            "Spaces, VII Cor. 2.6 (pointwise when |K(u)| <= A (1+|u|)^-2 and "
            "|hat K(m)| <= A (1+|m|)^-2, both checked by the steps above)",
            {u: sp.Rational(29, 7), h: sp.Rational(3, 4)},
            why="SymPy has no Poisson summation formula",
        ),
        {},
        "Poisson summation: sum_k K(u + 2 pi k) = (1/2 pi) sum_m hat K(m) e^{imu}",
    )
    for sign in (1, -1):
        _, steps = geometric_series(_fourier_term(coefficient, sign))
        yield from steps
    yield equal_after(
        "SymPy sums the two geometric series: (1 - rho^2) / (2 pi (1 + rho^2 - 2 rho cos u))",
        fourier,
        _CAUCHY_CLOSED,
        _sum_fourier_series,
    )
    values = {u: sp.Rational(29, 7), h: sp.Rational(3, 4)}
    yield numeric_witness(
        "mpmath.nsum of the image sum at u = 29/7, h = 3/4 equals the closed form",
        _mpmath_image_sum("cauchy", values[u], values[h]),
        _CAUCHY_CLOSED,
        values,
    )


THEOREMS: list[Theorem] = [
    Theorem(
        name="circle_wrapped_laplace_closed_form",
        title="wrapped Laplace: sum_k K(u + 2 pi k) = cosh((pi - r)/h) / (2 h sinh(pi/h))",
        statement=_LAPLACE_STATEMENT,
        hypotheses=(sp.Q.positive(h), _TURNS, _REMAINDER_FROM, _REMAINDER_BELOW),
        prover=_prove_laplace_closed_form,
        explanation=(
            "Write u = r + 2 pi N with 0 <= r < 2 pi (division with remainder: this is a "
            "hypothesis, and Mod(r, 2 pi) = r for such r is the definition of the remainder -- "
            "SymPy cannot derive Mod(u, 2 pi) < 2 pi itself).  Both sides are periodic, "
            "so it suffices to take r.  "
            "The images to the right (k >= 0) and to the left (k <= -1) are two geometric "
            "series with ratio exp(-2 pi/h); SymPy sums them to the cosh closed form."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="circle_wrapped_cauchy_closed_form",
        title="wrapped Cauchy: sum_k K(u + 2 pi k) = (1 - rho^2)/(2 pi (1 + rho^2 - 2 rho cos u))",
        statement=_CAUCHY_STATEMENT,
        hypotheses=(sp.Q.positive(h), sp.Q.real(u)),
        prover=_prove_cauchy_closed_form,
        explanation=(
            "By Poisson summation -- a cited lemma, not proved by SymPy; its decay hypotheses "
            "are checked -- the image sum is (1/2 pi) sum_m hat K(m) e^{imu}.  SymPy integrates "
            "hat K(m) = exp(-h|m|) and sums the two geometric series of (rho e^{+-iu})^m, "
            "rho = exp(-h), to the Poisson kernel."
        ),
        reference=REFERENCE,
    ),
]
