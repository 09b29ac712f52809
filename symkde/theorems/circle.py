"""Theorems on the circle: wrapped closed forms, what survives wrapping, and what does not.

Theorems (issue 5, section 2, and section 1's "derive its equality with the image sum"):

* ``circle_wrapped_laplace_closed_form`` -- the image sum ``sum_k K(u + 2 pi k)`` of the
  Laplace kernel is ``cosh((pi - r)/h) / (2 h sinh(pi/h))``, ``r = u mod 2 pi`` (two geometric
  series summed by SymPy).
* ``circle_wrapped_cauchy_closed_form`` -- the Cauchy image sum is the Poisson kernel
  ``(1 - rho^2) / (2 pi (1 + rho^2 - 2 rho cos u))``, ``rho = exp(-h)`` (Poisson summation,
  cited; SymPy computes the Fourier coefficients and sums the series).
* ``circle_scale_invariance``, ``circle_gradient_sum_zero``, ``circle_one_hot``,
  ``circle_partial_labels`` -- the line theorems hold unchanged for a positive periodic
  (wrapped) kernel: the gradient on the circle *is* the line's gradient with
  ``K_j = K_circ(t - x_j)``, and the line proofs use only ``K_j > 0`` and ratios.
* ``circle_laplace_contraction`` (false) -- moving every point toward the bin by ``d`` changes
  the gradient on the circle; ``circle_laplace_contraction_bound`` -- by at most
  ``R_i eta / (1 - eta)``, ``eta < exp(-2 (pi - r_max)/h)``.
* ``circle_vonmises_no_far_field``, ``circle_vonmises_concentration`` -- von Mises: no
  distance exceeds ``pi`` (the "far field" gradient is periodic in the distance, so it has no
  limit); as ``kappa -> oo`` the gradient becomes the cross-entropy of the nearest point,
  as ``kappa -> 0`` it tends to 0.

Walk-through: ``derivations/circle.py``.

>>> [t.name for t in THEOREMS][:2]
['circle_wrapped_laplace_closed_form', 'circle_wrapped_cauchy_closed_form']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any

import mpmath
import numpy as np
import sympy as sp

import symkde
from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.kernels import wrapped_density as _wrapped_density
from symkde.symbolic.model import (
    K,
    a,
    b,
    bin_loss,
    bin_loss_concrete,
    i,
    j,
    loss,
    n,
    responsibility,
    softmax_concrete,
    substitute_indexed,
    symbols_for,
    t,
    x,
    z,
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
    refutation,
    unchecked,
)
from symkde.theorems.gradient import (
    _ONE_HOT_STATEMENT,
    _PARTIAL_STATEMENT,
    I_IN_RANGE,
    L_IN_RANGE,
    LABELLED_MASS,
    ORDERED,
    apply_deltas,
    chi,
    collapse,
    concretize,
    derive_bin_gradient,
    derive_integrated_gradient,
    differentiates,
    equal_after,
    l_index,
    merge_integrals,
)
from symkde.theorems.invariance import differentiate_terms, scale, sum_of_integrals

__all__ = [
    "THEOREMS",
    "circular_gradient",
    "geometric_series",
    "image_sum",
    "wrapped_kernel",
    "wrapped_laplace_of_distance",
]

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
#: An abstract wrapped kernel: positive and ``2 pi``-periodic (hypotheses of the theorems).
wrapped_kernel: sp.Expr = sp.Function("K_circ", positive=True)(u)
_PERIODIC = sp.Eq(wrapped_kernel.subs(u, u + TWO_PI), wrapped_kernel)
#: The arc ``[a, b]``: nonempty, and at most one turn.
_ARC_SHORT = sp.Le(b - a, TWO_PI)


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
    yield citing(
        evaluates(
            "u = r + 2 pi N (hypothesis): the image sum at u, reindexed k -> k - N, is the "
            "image sum at r",
            total,
            at_r,
            lambda e: sp.expand(
                e.subs(u, reduced + TWO_PI * turns).change_index(image, image + turns)
            ),
        ),
        _TURNS,
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
    yield citing(
        evaluates(
            "u = r + 2 pi N (hypothesis): SymPy reduces Mod(u, 2 pi) to Mod(r, 2 pi) = "
            "r - 2 pi floor(r/(2 pi)) = r, so the closed form at u is the one at r",
            _LAPLACE_CLOSED,
            stated,
            lambda e: _without_turns(e.subs(u, reduced + TWO_PI * turns), reduced, floor_step),
        ),
        _TURNS,
        _REMAINDER_BELOW,
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


# --------------------------------------------------------------------------- what survives


def _positive_periodic_instances() -> Iterator[Step]:
    """The closed-form wrapped kernels satisfy the hypotheses: 2 pi-periodic and positive."""
    for name in ("laplace", "cauchy", "vonmises"):
        closed = _closed_form(name)
        yield equal(f"{name}: K_circ(u + 2 pi) = K_circ(u)", closed.subs(u, u + TWO_PI), closed)
    yield holds_true("laplace: cosh(.)/(2 h sinh(pi/h)) > 0", sp.Gt(_LAPLACE_CLOSED, 0))
    # cauchy: 1 + rho^2 - 2 rho cos u = 2 rho (cosh h - cos u) = 4 rho (sinh(h/2)^2 + sin(u/2)^2)
    sine_form = sp.sinh(h) / (4 * sp.pi * (sp.sinh(h / 2) ** 2 + sp.sin(u / 2) ** 2))
    yield equal(
        "cauchy: closed form = sinh(h) / (4 pi (sinh(h/2)^2 + sin(u/2)^2))",
        _CAUCHY_CLOSED.rewrite(sp.exp),
        sine_form.rewrite(sp.exp),
    )
    yield holds_true("which is > 0", sp.Gt(sine_form, 0))
    yield from _bessel_positive("vonmises: ")


def _bessel_positive(prefix: str = "") -> Iterator[Step]:
    """``I0(kappa) = sum_m (kappa/2)^(2m) / m!^2 > 0``: a series of positive terms."""
    power = sp.Symbol("m", integer=True, nonnegative=True)
    series = sp.Sum((kappa / 2) ** (2 * power) / sp.factorial(power) ** 2, (power, 0, sp.oo))
    yield equal(
        f"{prefix}I0(kappa) = sum (kappa/2)^(2m) / m!^2 (SymPy sums it)",
        series.doit(),
        sp.besseli(0, kappa),
    )
    yield holds_true(
        "its first term is 1 and every term is > 0, so I0 > 0 and exp(kappa cos u)/(2 pi I0) > 0",
        sp.And(sp.Eq(series.function.subs(power, 0), 1), sp.Gt(series.function, 0)),
    )


def _transfer_step() -> Step:
    circle = derive_bin_gradient(wrapped_kernel)
    line = substitute_indexed(derive_bin_gradient(), K, lambda m: wrapped_kernel.subs(u, t - x[m]))
    return equal_after(
        "the gradient with the wrapped kernel is the line's gradient with K_j = K_circ(t - x_j)",
        circle,
        line,
    )


def _periodicity(expr: sp.Expr) -> sp.Expr:
    """The hypothesis ``K_circ(w + 2 pi) = K_circ(w)`` applied as a rewrite, then collapsed."""
    w = sp.Wild("w")
    return collapse(expr.replace(_PERIODIC.lhs.subs(u, w), _PERIODIC.rhs.subs(u, w)))


def _on_the_circle() -> Iterator[Step]:
    """What the hypotheses on K_circ and on the arc [a, b] give: a gradient on the circle."""
    yield citing(
        equal_after(
            "periodic (hypothesis): the bin t + 2 pi, the same point of the circle as t, gives "
            "the same gradient (general n)",
            derive_bin_gradient(wrapped_kernel, point=t + TWO_PI),
            derive_bin_gradient(wrapped_kernel),
            _periodicity,
        ),
        _PERIODIC,
    )
    offset = sp.Symbol("s", nonnegative=True)  # t = a + s in the arc
    slack = sp.Symbol("v", nonnegative=True)  # b - a = 2 pi - v: the hypothesis b - a <= 2 pi
    yield citing(
        holds_true(
            "b - a <= 2 pi (hypothesis): for t = a + s in [a, b), t + 2 pi >= b, so the arc "
            "[a, b] passes each point of the circle once (the average over it is over an arc)",
            sp.Ge(a + offset + TWO_PI - b, 0).subs(b, a + TWO_PI - slack),
        ),
        _ARC_SHORT,
    )


def circular_gradient(
    name: str, logits: Sequence[sp.Expr], positions: Sequence[sp.Expr], point: sp.Expr
) -> sp.Matrix:
    """The per-bin gradient with the wrapped closed form of ``name``, derived by SymPy.

    >>> g = circular_gradient("laplace", [0, 0], [1, 4], 0)
    >>> sp.simplify(sum(g))
    0
    """
    closed = _closed_form(name)
    values = [closed.subs(u, point - p) for p in positions]
    symbols = symbols_for("zeta", len(logits), real=True)
    loss_value = bin_loss_concrete(symbols, values)
    at = dict(zip(symbols, logits, strict=True))
    return sp.Matrix([loss_value.diff(s).subs(at) for s in symbols])


_SCALE_STATEMENT = sp.Eq(
    sp.Derivative(bin_loss(scale * wrapped_kernel), z[i]),
    sp.Derivative(bin_loss(wrapped_kernel), z[i]),
)


def _prove_scale() -> Iterator[Step]:
    yield from _positive_periodic_instances()
    yield _transfer_step()
    yield from _on_the_circle()
    scaled = derive_bin_gradient(scale * wrapped_kernel)
    plain = derive_bin_gradient(wrapped_kernel)
    yield differentiates(
        "SymPy differentiates the per-bin loss with K_circ -> c(t) K_circ (general n)",
        sp.Derivative(bin_loss(scale * wrapped_kernel), z[i]),
        scaled,
    )
    yield differentiates(
        "and without the scale", sp.Derivative(bin_loss(wrapped_kernel), z[i]), plain
    )
    yield equal_after(
        "per bin: K_circ -> c(t) K_circ leaves the derived gradient unchanged (general n)",
        scaled,
        plain,
    )
    yield citing(
        equal_after(
            "integrated over the arc [a, b] (a < b): unchanged",
            derive_integrated_gradient(scale * wrapped_kernel),
            derive_integrated_gradient(wrapped_kernel),
            merge_integrals,
        ),
        ORDERED,
    )
    logits = [sp.Rational(1, 3), sp.Rational(-1, 2), 2]
    positions = [sp.Rational(3, 1), sp.Rational(-3, 1), sp.Rational(1, 2)]
    factor = sp.Rational(1, 10**6)
    closed = _closed_form("laplace")
    values = [closed.subs(u, sp.Rational(31, 10) - p) for p in positions]
    symbols = symbols_for("zeta", 3, real=True)
    at = {**dict(zip(symbols, logits, strict=True)), h: sp.Rational(3, 4)}
    yield numeric_witness(
        "wrapped Laplace, n = 3, bin t = 31/10 (points across +-pi): all K scaled by 1e-6",
        bin_loss_concrete(symbols, [factor * v for v in values]).diff(symbols[1]),
        bin_loss_concrete(symbols, values).diff(symbols[1]),
        at,
    )


_SUM_STATEMENT = sp.And(
    sp.Eq(sp.Sum(sp.Derivative(bin_loss(wrapped_kernel), z[i]), (i, 1, n)), 0),
    sp.Eq(sp.Sum(sp.Derivative(loss(wrapped_kernel), z[i]), (i, 1, n)), 0),
)


def _prove_sum_zero() -> Iterator[Step]:
    yield _transfer_step()
    yield from _on_the_circle()
    per_bin = sp.Sum(derive_bin_gradient(wrapped_kernel), (i, 1, n))
    yield evaluates(
        "per bin: SymPy differentiates each term of sum_i dL/dz_i",
        sp.Sum(sp.Derivative(bin_loss(wrapped_kernel), z[i]), (i, 1, n)),
        per_bin,
        differentiate_terms,
    )
    yield equal_after("per bin: sum_i (S_i - R_i) = 1 - 1 (general n)", per_bin, 0)
    integrated = sum_of_integrals(sp.Sum(derive_integrated_gradient(wrapped_kernel), (i, 1, n)))
    yield evaluates(
        "over the arc: SymPy differentiates each term, and the sum moves under the integral",
        sp.Sum(sp.Derivative(loss(wrapped_kernel), z[i]), (i, 1, n)),
        integrated,
        lambda e: sum_of_integrals(differentiate_terms(e)),
    )
    yield citing(
        equal_after(
            "over the arc (a < b): sum_i S_i - (1/(b-a)) Integral(sum_i R_i) = 1 - 1",
            integrated,
            0,
            merge_integrals,
        ),
        ORDERED,
    )
    yield numeric_witness(
        "wrapped Cauchy, n = 3, bin t = 3: the per-bin gradients sum to 0 at 50 digits",
        sum(circular_gradient("cauchy", [sp.Rational(1, 2), 0, -1], [-3, 2, 5], 3)),
        0,
        {h: sp.Rational(2, 5)},
    )
    gradient = symkde.grad(
        [0.3, -1.0, 2.0, 0.0],
        [3.0, -3.0, 0.5, 6.0],
        2.5,
        4.0,
        kernel="laplace",
        bandwidth=0.7,
        circular=True,
    )
    yield holds_true(
        "symkde.grad, wrapped Laplace on the arc [2.5, 4] (crosses pi): |sum| < 1e-12",
        sp.sympify(bool(abs(float(np.sum(gradient))) < 1e-12)),
    )


def _indicator_gradient(values: Sequence[sp.Expr], logits: Sequence[sp.Expr]) -> sp.Matrix:
    loss_value = bin_loss_concrete(logits, values)
    return sp.Matrix([loss_value.diff(v) for v in logits])


def _wrapped_boxcar_at(offset: sp.Expr, bandwidth: sp.Expr) -> tuple[sp.Expr, Step]:
    """The wrapped boxcar at a concrete offset in ``[-2 pi, 2 pi]``, images ``|k| <= 1``."""
    boxcar = KERNELS["boxcar"].density
    near = sum(boxcar.subs({u: offset + TWO_PI * k, h: bandwidth}) for k in (-1, 0, 1))
    far = holds_true(
        f"offset {offset}: images with |k| >= 2 lie at >= 4 pi - |u| > h (they add 0)",
        sp.Gt(4 * sp.pi - sp.Abs(offset), bandwidth),
    )
    return near, far


def _label_loss(one_hot: bool) -> sp.Expr:
    """The per-bin loss with ``K_circ(t - x_j) = c delta_jl`` (one-hot) or ``c 1[j in M]``."""
    height = sp.Symbol("c", positive=True)
    if one_hot:
        return substitute_indexed(bin_loss(), K, lambda m: height * sp.KroneckerDelta(m, l_index))
    return substitute_indexed(bin_loss(), K, lambda m: height * chi[m])


def _prove_labels(one_hot: bool) -> Iterator[Step]:
    yield _transfer_step()
    height = sp.Symbol("c", positive=True)
    stated_loss = sp.Derivative(_label_loss(one_hot), z[i])
    if one_hot:
        claim = _ONE_HOT_STATEMENT.rhs
        yield citing(
            equal_after(
                "SymPy differentiates the loss with K_circ(t - x_j) = c delta_jl; the sum over "
                "j collapses to its term j = l (1 <= l <= n): S_i - delta_il (general n)",
                stated_loss,
                claim,
                lambda e: apply_deltas(collapse(differentiate_terms(e), l_index)),
            ),
            L_IN_RANGE,
            I_IN_RANGE,
        )
        at_bin = collapse(
            substitute_indexed(
                derive_bin_gradient(), K, lambda m: height * sp.KroneckerDelta(m, l_index)
            ),
            l_index,
        )
        yield citing(
            equal_after(
                "the line's gradient with K_j = c delta_jl (1 <= l <= n): S_i - delta_il, the same",
                at_bin,
                claim,
                apply_deltas,
            ),
            L_IN_RANGE,
        )
    else:
        claim = _PARTIAL_STATEMENT.rhs
        at_bin = substitute_indexed(derive_bin_gradient(), K, lambda m: height * chi[m])
        yield citing(
            differentiates(
                "SymPy differentiates -log(c sum_j S_j chi_j), finite as sum_j S_j chi_j > 0 "
                "(hypothesis) (general n)",
                stated_loss,
                at_bin,
            ),
            LABELLED_MASS,
        )
        yield citing(
            equal_after(
                "K_circ(t - x_j) = c 1[j in M] at the bin: the CC gradient (general n)",
                at_bin,
                claim,
            ),
            LABELLED_MASS,
        )
    # A wrapped boxcar of half-width 1/2 at the bin t = 3 covers x = 2.8 directly and x = -3
    # across pi (3 - (-3) = 6 = 2 pi - 0.28...): K_circ = (1/(2h)) 1[j in M].
    bandwidth = sp.Rational(1, 2)
    point = 3
    positions = [sp.Rational(14, 5), -3, 1, -1] if not one_hot else [-3, 2, 1, -1]
    members = (1, 2) if not one_hot else (1,)
    values = []
    for p in positions:
        value, step = _wrapped_boxcar_at(point - p, bandwidth)
        yield step
        values.append(value)
    indicator = [sp.Integer(int(m in members)) for m in range(1, 5)]
    yield equal(
        f"instance: wrapped boxcar h = 1/2, bin t = 3, x = {positions}: "
        f"K_circ = (1/(2h)) 1[j in {set(members)}] (x = -3 is covered across pi)",
        sp.Matrix(values),
        sp.Matrix(indicator) / (2 * bandwidth),
    )
    logits = symbols_for("z", 4, real=True)
    weights = softmax_concrete(logits)
    stated = -sp.log(sp.Add(*[weights[m - 1] for m in members]))
    yield equal(
        "so the loss at that bin is -log sum_{j in M} S_j and its gradient the claim's",
        _indicator_gradient(values, logits),
        sp.Matrix([stated.diff(v) for v in logits]),
    )


# --------------------------------------------------------------------------- Laplace contraction


#: Circular distance of a point from the bin (before the move), the common move, the largest
#: distance of any point from the bin.
distance = sp.Symbol("r", positive=True)
move = sp.Symbol("d", positive=True)
largest = sp.Symbol("r_max", positive=True)
distances = sp.IndexedBase("r", positive=True)


def wrapped_laplace_of_distance(dist: sp.Expr = distance) -> sp.Expr:
    """The wrapped Laplace kernel at circular distance ``dist`` in ``[0, pi]`` from the bin.

    >>> wrapped_laplace_of_distance()
    cosh((pi - r)/h)/(2*h*sinh(pi/h))
    """
    return _LAPLACE_CLOSED.subs(sp.Mod(u, TWO_PI), dist)


_RATIO = sp.cosh((sp.pi - distance + move) / h) / sp.cosh((sp.pi - distance) / h)


def _before(m: sp.Expr) -> sp.Expr:
    """Kernel value of point ``m`` at circular distance ``r_m`` from the bin."""
    return wrapped_laplace_of_distance(distances[m])


def _after(m: sp.Expr) -> sp.Expr:
    """Kernel value of point ``m`` moved by ``d`` toward the bin."""
    return wrapped_laplace_of_distance(distances[m] - move)


_CONTRACTION_STATEMENT = sp.Eq(
    sp.Derivative(substitute_indexed(bin_loss(), K, _after), z[i]),
    sp.Derivative(substitute_indexed(bin_loss(), K, _before), z[i]),
)
#: Hypotheses of the contraction: the move does not carry a point past the bin, and the
#: distances are circular distances (at most pi; the bound allows a largest one, r_max).
_MOVE_SHORT = sp.Le(move, distances[j])
_WITHIN_HALF = sp.Le(distances[j], sp.pi)
_WITHIN_LARGEST = sp.Le(distances[j], largest)
_LARGEST_WITHIN_HALF = sp.Le(largest, sp.pi)


def _distance_steps(
    below: Sequence[tuple[sp.Basic, sp.Expr]], source: str, *uses: sp.Basic
) -> Iterator[Step]:
    """The statement's kernel values are the wrapped Laplace kernel at the points.

    The closed form at offset ``u`` in ``[0, 2 pi)`` is ``wrapped_laplace_of_distance(u)``
    (``Mod(u, 2 pi) = u``): for ``u = r_j`` and for ``u = r_j - d``, which is ``>= 0`` as
    ``d <= r_j``; ``below`` writes ``r_j < 2 pi`` (from ``source``, hypotheses) as signs.
    """
    excess = sp.Symbol("e", nonnegative=True)  # r_j = d + e: the hypothesis d <= r_j
    for value, nonnegative, why in (
        (distances[j], [], "r_j > 0"),
        (distances[j] - move, [(distances[j], move + excess)], "r_j - d = e >= 0 (d <= r_j)"),
    ):
        floor_step = citing(
            _floor_is_zero(value, nonnegative, below, f"{why}, and r_j < 2 pi ({source})"), *uses
        )
        yield floor_step
        yield citing(
            evaluates(
                f"so the wrapped Laplace kernel at offset {sp.sstr(value)} is "
                f"wrapped_laplace_of_distance({sp.sstr(value)}), the value in the statement",
                _LAPLACE_CLOSED.subs(u, value),
                wrapped_laplace_of_distance(value),
                partial(_without_turns, value=value, floor_step=floor_step),
            ),
            *uses,
        )


def _ratio_steps() -> Iterator[Step]:
    closed = wrapped_laplace_of_distance()
    yield equal(
        "even: u = -r (r mod 2 pi = 2 pi - r) gives the same value as u = r",
        closed.subs(distance, TWO_PI - distance),
        closed,
    )
    ratio = sp.simplify(closed.subs(distance, distance - move) / closed)
    yield equal("K(r - d)/K(r) = cosh((pi - r + d)/h) / cosh((pi - r)/h)", ratio, _RATIO)
    slope = sp.simplify(sp.expand_trig(ratio.rewrite(sp.exp)).diff(distance))
    stated_slope = -sp.sinh(move / h) / (h * sp.cosh((sp.pi - distance) / h) ** 2)
    yield equal(
        "d/dr of the ratio = -sinh(d/h) / (h cosh((pi - r)/h)^2)",
        slope.rewrite(sp.exp),
        stated_slope.rewrite(sp.exp),
    )
    yield holds_true("< 0 for d > 0: the ratio is not constant in r", sp.Lt(stated_slope, 0))
    line = KERNELS["laplace"].density
    excess = sp.Symbol("e", nonnegative=True)  # r = d + e >= d
    yield equal(
        "(on the line the ratio is the constant exp(d/h))",
        line.subs(u, excess) / line.subs(u, excess + move),
        sp.exp(move / h),
    )


def _prove_contraction() -> Iterator[Step]:
    slack = sp.Symbol("f", nonnegative=True)  # r_j = pi - f: the hypothesis r_j <= pi
    yield from _distance_steps(
        [(distances[j], sp.pi - slack)], "r_j <= pi", _MOVE_SHORT, _WITHIN_HALF
    )
    yield from _ratio_steps()
    logits = [sp.Integer(0), sp.Integer(0)]
    dists, step = [sp.Integer(1), sp.Integer(3)], sp.Integer(1)
    yield citing(
        holds_true(
            "the configuration below satisfies the hypotheses: d = 1 <= r_j <= pi for r_j = 1, 3",
            sp.And(
                *[
                    hypothesis.subs({move: step, distances[j]: r})
                    for r in dists
                    for hypothesis in (_MOVE_SHORT, _WITHIN_HALF)
                ]
            ),
        ),
        _MOVE_SHORT,
        _WITHIN_HALF,
    )
    before = _distance_gradient(logits, dists, 1)
    after = _distance_gradient(logits, [r - step for r in dists], 1)
    yield refutation(
        "h = 1, z = (0, 0), distances (1, 3) moved by d = 1 to (0, 2): dL/dz_1 changes",
        _CONTRACTION_STATEMENT,
        _CIRCLE_COUNTEREXAMPLE,
        _circle_reference_sides,
        evaluate=_circle_exact_side,
        stored=(after[0], before[0]),
    )


#: The exact inputs of ``circle_laplace_contraction``'s counterexample.
_CIRCLE_COUNTEREXAMPLE = {
    n: 2, i: 1, h: 1, move: 1, z[1]: 0, z[2]: 0, distances[1]: 1, distances[2]: 3
}  # fmt: skip


def _circle_dists(side: sp.Expr, values: Mapping[Any, Any]) -> list:
    count = int(values[n])
    dists = [values[distances[m]] for m in range(1, count + 1)]
    return [r - values[move] for r in dists] if side.has(move) else dists


def _circle_exact_side(side: sp.Expr, values: Mapping[Any, Any]) -> sp.Expr:
    """A side at ``values`` by SymPy (the moved side is the one that mentions ``d``)."""
    logits = [values[z[m]] for m in range(1, int(values[n]) + 1)]
    grad = _distance_gradient(logits, _circle_dists(side, values), values[h])
    return grad[int(values[i]) - 1]


def _circle_reference_sides(values: Mapping[Any, Any]) -> tuple[Any, Any]:
    """Both sides by ``symkde.reference`` on the circle: one bin at t = 0, points at x_j = r_j."""
    from symkde import reference

    count = int(values[n])
    logits = [float(values[z[m]]) for m in range(1, count + 1)]
    sides = []
    for moved in (True, False):
        dists = _circle_dists(move if moved else sp.Integer(0), values)
        _, g = reference.loss_and_grad(
            logits, [float(r) for r in dists], -0.25, 0.25, kernel="laplace",
            bandwidth=float(values[h]), circular=True, method="bins", bins=1, dps=50,
        )  # fmt: skip
        sides.append(g[int(values[i]) - 1])
    return sides[0], sides[1]


def _distance_gradient(
    logits: Sequence[sp.Expr], dists: Sequence[sp.Expr], bandwidth: sp.Expr
) -> sp.Matrix:
    """Per-bin gradient with the wrapped Laplace kernel at circular distances ``dists``."""
    values = [wrapped_laplace_of_distance(r).subs(h, bandwidth) for r in dists]
    symbols = symbols_for("zeta", len(logits), real=True)
    gradient = _indicator_gradient(values, symbols)
    return gradient.subs(dict(zip(symbols, logits, strict=True)))


#: ``eps(r)``: how far a point's contraction factor falls short of the line's ``exp(d/h)``.
_EPS = (1 - sp.exp(-2 * move / h)) / (1 + sp.exp(2 * (sp.pi - distance) / h))
_ETA = _EPS.subs(distance, largest)
#: ``R_i`` before the move.  The statement used to write ``responsibility(i)``, whose kernel
#: values ``K_j`` were left abstract; they are the kernel values before the move, so the same
#: claim is written with ``K_j = wrapped_laplace_of_distance(r_j)`` put in (no change of meaning).
_RESPONSIBILITY_BEFORE = substitute_indexed(responsibility(i), K, _before)
_BOUND = sp.exp(-2 * (sp.pi - largest) / h)
_BOUND_STATEMENT = sp.And(
    sp.Le(
        sp.Abs(_CONTRACTION_STATEMENT.lhs - _CONTRACTION_STATEMENT.rhs),
        _RESPONSIBILITY_BEFORE * _ETA / (1 - _ETA),
    ),
    sp.Lt(_ETA, _BOUND),
)


def _by_ratio(expr: sp.Expr, ratio_step: Step) -> sp.Expr:
    """``cosh((pi - r_m + d)/h) = cosh((pi - r_m)/h) exp(d/h) (1 - eps(r_m))`` in ``expr``, the
    identity ``ratio_step`` shows (``K(r - d)/K(r) = exp(d/h)(1 - eps(r))``) -- applied only if
    that step holds."""
    if not ratio_step.holds:
        return expr

    def moved_value(value: sp.Expr) -> sp.Expr:
        for arg in (value.args[0], -value.args[0]):
            point = sp.expand(sp.pi + move - arg * h)  # arg = (pi - point + d)/h
            if not point.has(move) and point.has(distances):
                return (
                    sp.cosh((sp.pi - point) / h)
                    * sp.exp(move / h)
                    * (1 - _EPS.subs(distance, point))
                )
        return value

    return expr.replace(lambda e: isinstance(e, sp.cosh), moved_value)


def _quotient_bounds(eps: sp.IndexedBase, moved: sp.Expr) -> Iterator[Step]:
    """``q = R_i'/R_i`` lies in ``[1 - eta, 1/(1 - eta)]`` when every ``eps_j`` is in
    ``[0, eta]``, ``eta < 1`` (general n)."""
    share = sp.Sum(responsibility(j) * (1 - eps[j]), (j, 1, n))
    yield equal_after(
        "R_i' = R_i (1 - eps_i) / sum_j R_j (1 - eps_j) (general n)",
        moved,
        responsibility(i) * (1 - eps[i]) / share,
    )
    yield equal_after("sum_j R_j = 1 (general n)", sp.Sum(responsibility(j), (j, 1, n)), 1)
    weights = sp.IndexedBase("R", nonnegative=True)
    slack = sp.IndexedBase("s", nonnegative=True)  # s_j = eta - eps_j >= 0
    eta = sp.Symbol("eta", positive=True)
    yield holds_true(
        "with R_j >= 0, sum R_j = 1 and 0 <= eps_j <= eta: 0 <= sum R_j eps_j and "
        "eta - sum R_j eps_j = sum R_j (eta - eps_j) >= 0",
        sp.And(
            sp.Ge(sp.Sum(weights[j] * eps[j], (j, 1, n)), 0),
            sp.Ge(sp.Sum(weights[j] * slack[j], (j, 1, n)), 0),
        ),
    )
    # eps_i = eta alpha, sum R_j eps_j = eta beta with alpha, beta in [0, 1], eta in (0, 1).
    alpha, beta = sp.symbols("alpha beta", nonnegative=True)
    alpha_c, beta_c = sp.symbols("alpha_c beta_c", nonnegative=True)  # 1 - alpha, 1 - beta
    w = sp.Symbol("w", positive=True)  # eta = 1/(1 + w)
    quotient = (1 - eta * alpha) / (1 - eta * beta)
    below = sp.numer(sp.together(quotient - (1 - eta)))
    above = sp.numer(sp.together(1 / (1 - eta) - quotient))
    yield equal(
        "q = R_i'/R_i: numerator of q - (1 - eta) is eta (1 - alpha) + eta beta (1 - eta)",
        below,
        eta * (1 - alpha) + eta * beta * (1 - eta),
    )
    yield equal(
        "and of 1/(1 - eta) - q (over (1-eta)(1-eta beta)) is eta (1 - beta) + eta alpha (1-eta)",
        above,
        eta * (1 - beta) + eta * alpha * (1 - eta),
    )
    unit = {eta: 1 / (1 + w)}
    yield holds_true(
        "both >= 0 and the denominators > 0 for alpha, beta in [0, 1], eta = 1/(1 + w) in (0, 1)",
        sp.And(
            sp.Ge(below.subs(alpha, 1 - alpha_c).subs(unit), 0),
            sp.Ge(above.subs(beta, 1 - beta_c).subs(unit), 0),
            sp.Gt((1 - eta * (1 - beta_c)).subs(unit), 0),
        ),
    )
    yield holds_true(
        "so 1 - eta <= q <= 1/(1 - eta), |q - 1| <= max(eta, eta/(1-eta)) = eta/(1 - eta)",
        sp.Ge((eta / (1 - eta) - eta).subs(unit), 0),
    )


def _prove_bound() -> Iterator[Step]:
    short, room = sp.symbols("f g", nonnegative=True)  # r_j = r_max - f, r_max = pi - g
    yield from _distance_steps(
        [(distances[j], largest - short), (largest, sp.pi - room)],
        "r_j <= r_max <= pi",
        _MOVE_SHORT,
        _WITHIN_LARGEST,
        _LARGEST_WITHIN_HALF,
    )
    ratio_step = equal(
        "K(r - d)/K(r) = exp(d/h) (1 - eps(r)), eps(r) = (1 - e^{-2d/h}) / (1 + e^{2(pi-r)/h})",
        _RATIO.rewrite(sp.exp),
        (sp.exp(move / h) * (1 - _EPS)).rewrite(sp.exp),
    )
    yield ratio_step
    eps_sinh = 2 * sp.exp(-move / h) * sp.sinh(move / h) / (1 + sp.exp(2 * (sp.pi - distance) / h))
    sinh_step = equal(
        "eps(r) = 2 e^{-d/h} sinh(d/h) / (1 + e^{2(pi-r)/h})", _EPS, eps_sinh.rewrite(sp.exp)
    )
    positive_step = holds_true("so eps(r) > 0", sp.Gt(eps_sinh, 0))
    yield from (sinh_step, positive_step)
    slope = sp.simplify(eps_sinh.diff(distance))
    monotone_step = citing(
        holds_true(
            "d eps/dr > 0: eps(r_j) <= eps(r_max) = eta for every point (r_j <= r_max)",
            sp.Gt(slope, 0),
        ),
        _WITHIN_LARGEST,
    )
    yield monotone_step
    eta_value = _EPS.subs(distance, largest)
    bound = sp.exp(-2 * (sp.pi - largest) / h)
    stated_gap = (sp.exp(-2 * (sp.pi - largest) / h) + sp.exp(-2 * move / h)) / (
        1 + sp.exp(2 * (sp.pi - largest) / h)
    )
    gap_steps = [
        equal(
            "e^{-2(pi - r_max)/h} - eta = (e^{-2(pi - r_max)/h} + e^{-2d/h}) / "
            "(1 + e^{2(pi-r_max)/h})",
            bound - eta_value,
            stated_gap,
        ),
        holds_true("> 0", sp.Gt(stated_gap, 0)),
    ]
    yield from gap_steps
    yield follows(
        "a positive difference: eta < exp(-2 (pi - r_max)/h)", sp.Lt(eta_value, bound), gap_steps
    )
    # General n: each K_j is multiplied by exp(d/h) (1 - eps_j).
    eps = sp.IndexedBase("epsilon", nonnegative=True)
    moved = substitute_indexed(
        responsibility(i), K, lambda m: K[m] * sp.exp(move / h) * (1 - eps[m])
    )
    bounds = list(_quotient_bounds(eps, moved))
    yield from bounds
    plain = derive_bin_gradient()
    after = substitute_indexed(plain, K, lambda m: K[m] * sp.exp(move / h) * (1 - eps[m]))
    yield equal_after(
        "g_i' - g_i = R_i - R_i' = R_i (1 - q) (general n, any K_j > 0 and eps_j)",
        after - plain,
        responsibility(i) - moved,
    )

    def at_the_points(expr: sp.Expr) -> sp.Expr:  # K_j = K(r_j), eps_j = eps(r_j)
        values = substitute_indexed(expr, K, _before)
        return substitute_indexed(values, eps, lambda m: _EPS.subs(distance, distances[m]))

    gradient_before, gradient_after = at_the_points(plain), at_the_points(after)
    links = [
        differentiates(
            "SymPy differentiates the loss before the move: g_i at K_j = K(r_j) (general n)",
            sp.Derivative(substitute_indexed(bin_loss(), K, _before), z[i]),
            gradient_before,
        ),
        differentiates(
            "and after it; K(r_j - d) = K(r_j) exp(d/h) (1 - eps(r_j)) (the first step): g_i' at "
            "K_j = K(r_j), eps_j = eps(r_j) (general n)",
            sp.Derivative(substitute_indexed(bin_loss(), K, _after), z[i]),
            gradient_after,
            lambda e: _by_ratio(differentiate_terms(e), ratio_step),
        ),
        equal_after(
            "there, g_i' - g_i = R_i - R_i' (general n)",
            gradient_after - gradient_before,
            at_the_points(responsibility(i) - moved),
        ),
        holds_true("R_i >= 0 (every K(r_j) > 0)", sp.Ge(_RESPONSIBILITY_BEFORE, 0)),
    ]
    yield from links
    yield unchecked(
        "g_i' - g_i = R_i (1 - q) with R_i >= 0 and |1 - q| <= eta/(1 - eta) (eps_j = eps(r_j) in "
        "(0, eta]): |g_i' - g_i| <= R_i eta / (1 - eta)",
        sp.Le(
            sp.Abs(links[1].lhs - links[0].lhs),
            _RESPONSIBILITY_BEFORE * eta_value / (1 - eta_value),
        ),
        [ratio_step, sinh_step, positive_step, monotone_step, *gap_steps, *bounds, *links],
        "|R_i (1 - q)| <= R_i eta/(1 - eta) from the bounds on q: a product bound the linear "
        "combinations of follows() do not find",
    )
    yield from _bound_witnesses()


def _bound_witnesses() -> Iterator[Step]:
    logits = [sp.Integer(2), sp.Integer(0), sp.Integer(4)]  # z_3 favours the far point
    step = sp.Rational(2, 5)
    for label, dists, bandwidth in (
        (
            "a point near the antipode (r = pi - 1/10), h = 1",
            [sp.Rational(1, 2), 2, sp.pi - sp.Rational(1, 10)],
            1,
        ),
        (
            "all points within r <= 1, h = 1/4",
            [sp.Rational(1, 2), sp.Rational(3, 4), 1],
            sp.Rational(1, 4),
        ),
    ):
        before = _distance_gradient(logits, dists, bandwidth)
        after = _distance_gradient(logits, [r - step for r in dists], bandwidth)
        r_max = max(dists, key=lambda e: sp.N(e))
        eta = _ETA.subs({largest: r_max, move: step, h: bandwidth})
        resp = softmax_concrete(logits)[0] - before[0]
        gap = sp.N(sp.Abs(after[0] - before[0]), 30)
        bound = sp.N(resp * eta / (1 - eta), 30)
        scale_ = sp.N(sp.exp(-2 * (sp.pi - r_max) / bandwidth), 30)
        yield holds_true(
            f"witness, {label}, z = (2, 0, 4), d = 2/5: |g_1' - g_1| = {sp.N(gap, 4)} <= bound "
            f"{sp.N(bound, 4)} (exp(-2(pi - r_max)/h) = {sp.N(scale_, 4)})",
            sp.Le(gap, bound),
        )
    logits_api = [0.0, 2.0]
    before_api = symkde.grad(
        logits_api, [0.5, np.pi - 0.1], -0.05, 0.05, kernel="laplace", bandwidth=1.0, circular=True
    )
    after_api = symkde.grad(
        logits_api,
        [0.05, np.pi - 0.55],
        -0.05,
        0.05,
        kernel="laplace",
        bandwidth=1.0,
        circular=True,
    )
    moved_by = abs(float(after_api[0] - before_api[0]))
    yield holds_true(
        "symkde.grad, h = 1, z = (0, 2), arc [-0.05, 0.05], points at 0.5 and pi - 0.1 moved "
        f"0.45 toward it: dL/dz_1 moves by {moved_by:.4f} > 0.05 (on the line: exactly 0; "
        "the API is accurate to 1e-12)",
        sp.sympify(moved_by > 0.05),
    )


# --------------------------------------------------------------------------- von Mises


kappa = sp.Symbol("kappa", positive=True)
far = sp.Symbol("D", positive=True)
_VONMISES = _closed_form("vonmises").subs(h, 1 / sp.sqrt(kappa))
_offsets = (sp.Integer(0), sp.Rational(1, 2), sp.Rational(3, 2))


def _far_gradient(at: sp.Expr = far) -> sp.Matrix:
    values = [_VONMISES.subs(u, -(at + o)) for o in _offsets]
    return _indicator_gradient(values, symbols_for("z", 3, real=True))


#: Periodicity in ``D`` is stated per component with an unevaluated ``Subs``: written as
#: ``Eq(g(D + 2 pi), g(D))`` SymPy reduces ``cos(D + 2 pi + o)`` at once and the conjunct
#: became ``True`` before any step ran; ``Subs(g, D, D + 2 pi)`` is that same ``g(D + 2 pi)``.
_NO_FAR_STATEMENT = sp.And(
    sp.Le(_VONMISES.subs(u, sp.pi), _VONMISES),
    *[sp.Eq(sp.Subs(g, far, far + TWO_PI), g) for g in _far_gradient(far)],
)


def _prove_no_far_field() -> Iterator[Step]:
    yield equal("von Mises is 2 pi-periodic", _VONMISES.subs(u, u + TWO_PI), _VONMISES)
    at_pi = _VONMISES.subs(u, sp.pi)
    low = sp.expand_log(sp.log(_VONMISES / at_pi), force=True)
    # each sign step is about the very expression the step before it derived
    log_ratio = equal("log K(u)/K(pi) = 2 kappa cos(u/2)^2", low, 2 * kappa * sp.cos(u / 2) ** 2)
    lowest = [
        log_ratio,
        holds_true(">= 0", sp.Ge(log_ratio.rhs, 0)),
        *_bessel_positive(),
        holds_true(
            "so K(pi) = exp(-kappa) / (2 pi I0(kappa)) > 0 (any I0 > 0)",
            sp.Gt(at_pi.subs(sp.besseli(0, kappa), sp.Symbol("I0", positive=True)), 0),
        ),
    ]
    yield from lowest
    yield unchecked(
        "log is increasing and K(pi) > 0: K(u) >= K(pi), its value at the largest distance",
        sp.Le(at_pi, _VONMISES),
        lowest,
        "monotonicity of log (exp of a nonnegative log-ratio is >= 1): not yet a SymPy step",
    )
    high = sp.expand_log(sp.log(_VONMISES / _VONMISES.subs(u, 0)), force=True)
    high_ratio = equal("log K(u)/K(0) = -2 kappa sin(u/2)^2", high, -2 * kappa * sp.sin(u / 2) ** 2)
    yield high_ratio
    yield holds_true(
        "<= 0: every kernel ratio lies in [exp(-2 kappa), exp(2 kappa)]",
        sp.Le(high_ratio.rhs, 0),
    )
    gradient = _far_gradient()
    for m, g in enumerate(gradient, 1):
        yield evaluates(
            f"points at D + o_j from the bin: dL/dz_{m} at D + 2 pi is dL/dz_{m} at D (SymPy "
            "substitutes; cos is 2 pi-periodic)",
            sp.Subs(g, far, far + TWO_PI),
            g,
        )
    at_zero = sp.N(
        gradient[0].subs({kappa: 1, **{s: 0 for s in symbols_for("z", 3, real=True)}}), 30
    )
    at_pi = sp.N(
        gradient[0].subs({far: sp.pi, kappa: 1, **{s: 0 for s in symbols_for("z", 3, real=True)}}),
        30,
    )
    yield holds_true(
        f"and not constant (kappa = 1, z = 0: g_1 = {sp.N(at_zero.subs(far, 0), 6)} at D = 0, "
        f"{sp.N(at_pi, 6)} at D = pi): no limit as D -> oo, there is no far field",
        sp.Ne(sp.N(at_zero.subs(far, 0), 30), at_pi),
    )


_gaps = sp.symbols("g2 g3", positive=True)
_logits3 = symbols_for("z", 3, real=True)


def _gap_gradient() -> sp.Matrix:
    values = [sp.Integer(1), *[sp.exp(-kappa * g) for g in _gaps]]
    return _indicator_gradient(values, _logits3)


_one_hot_rhs = sp.Matrix(
    [
        concretize(_ONE_HOT_STATEMENT.rhs.subs({l_index: 1, i: m}), 3).subs(
            {z[q + 1]: _logits3[q] for q in range(3)}
        )
        for m in range(1, 4)
    ]
)
_CONCENTRATION_STATEMENT = sp.And(
    *[
        sp.Eq(sp.Limit(g, kappa, sp.oo), r)
        for g, r in zip(_gap_gradient(), _one_hot_rhs, strict=True)
    ],
    *[sp.Eq(sp.Limit(g, kappa, 0), 0) for g in _gap_gradient()],
)
#: The instance: bin at 0, points at angles 5, 2, -3/2 (point 1 is nearest *across* 2 pi).
_ANGLES = (sp.Integer(5), sp.Integer(2), sp.Rational(-3, 2))


def _prove_concentration() -> Iterator[Step]:
    values = [_VONMISES.subs(u, -p) for p in _ANGLES]
    instance = _indicator_gradient(values, _logits3)
    gaps = [sp.cos(_ANGLES[0]) - sp.cos(p) for p in _ANGLES[1:]]
    yield holds_true(
        "instance: bin 0, points at angles 5, 2, -3/2: point 1 is nearest (circular distance "
        "2 pi - 5), i.e. g_j = cos(5) - cos(x_j) > 0",
        sp.And(*[sp.Gt(g, 0) for g in gaps]),
    )
    ratios = [sp.powsimp(sp.expand(v / values[0])) for v in values[1:]]
    yield equal(
        "K_j/K_1 = exp(-kappa g_j) (I0 cancels); by circle_scale_invariance the gradient "
        "depends on these ratios only",
        sp.Matrix(ratios),
        sp.Matrix([sp.exp(-kappa * g) for g in gaps]),
    )
    gradient = _gap_gradient()
    for m, (g, value) in enumerate(zip(gradient, _one_hot_rhs, strict=True), 1):
        yield evaluates(
            f"sympy.limit of dL/dz_{m} as kappa -> oo (any gaps g_j > 0): S_{m} - delta_{m}1, "
            "the cross-entropy of the nearest point",
            sp.Limit(g, kappa, sp.oo),
            value,
        )
    for m, g in enumerate(gradient, 1):
        yield evaluates(
            f"sympy.limit of dL/dz_{m} as kappa -> 0: 0, every R_i -> S_i", sp.Limit(g, kappa, 0), 0
        )
    point = {_logits3[0]: sp.Rational(2, 3), _logits3[1]: sp.Rational(-1, 4), _logits3[2]: 1}
    weights = sp.Matrix([1, 10, 100]).T
    yield numeric_witness(
        "instance at kappa = 10^4: the gradient is the one-hot limit to 40 digits",
        (weights * instance)[0],
        (weights * _one_hot_rhs)[0],
        {**point, kappa: 10**4},
    )
    yield numeric_witness(
        "instance at kappa = 10^-45: the gradient is 0 to 40 digits",
        (weights * instance)[0],
        0,
        {**point, kappa: sp.Rational(1, 10**45)},
    )


# --------------------------------------------------------------------------- registry


_CIRCLE_HYPOTHESES = (sp.Q.positive(wrapped_kernel), _PERIODIC, ORDERED, _ARC_SHORT)

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
    Theorem(
        name="circle_scale_invariance",
        title="circle: K_circ -> c(t) K_circ leaves the gradient unchanged",
        statement=_SCALE_STATEMENT,
        hypotheses=(*_CIRCLE_HYPOTHESES, sp.Q.positive(scale), sp.Le(1, i), sp.Le(i, n)),
        prover=_prove_scale,
        explanation=(
            "The gradient with a wrapped kernel is the line's gradient with K_j = "
            "K_circ(t - x_j); the wrapped Laplace, Cauchy and von Mises kernels are positive and "
            "periodic, and the line proof uses nothing else."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="circle_gradient_sum_zero",
        title="circle: sum_i dL/dz_i = 0 (per bin and over the arc)",
        statement=_SUM_STATEMENT,
        hypotheses=_CIRCLE_HYPOTHESES,
        prover=_prove_sum_zero,
        explanation="Responsibilities sum to 1 at every bin of the arc, as on the line.",
        reference=REFERENCE,
    ),
    Theorem(
        name="circle_one_hot",
        title="circle: K_circ(t - x_j) = c delta_jl gives the cross-entropy gradient",
        statement=sp.Eq(sp.Derivative(_label_loss(one_hot=True), z[i]), _ONE_HOT_STATEMENT.rhs),
        hypotheses=(
            sp.Q.positive(sp.Symbol("c", positive=True)),
            sp.Le(1, l_index),
            L_IN_RANGE,
            sp.Le(1, i),
            sp.Le(i, n),
        ),
        prover=lambda: _prove_labels(one_hot=True),
        explanation=(
            "A wrapped compact kernel that covers only point l at a bin (possibly across +-pi) "
            "gives the ordinary softmax cross-entropy there; the height c cancels."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="circle_partial_labels",
        title="circle: K_circ(t - x_j) = c 1[j in M] gives the partial-label (CC) gradient",
        statement=sp.Eq(sp.Derivative(_label_loss(one_hot=False), z[i]), _PARTIAL_STATEMENT.rhs),
        hypotheses=(sp.Q.nonnegative(chi[j]), LABELLED_MASS, sp.Le(1, i), sp.Le(i, n)),
        prover=lambda: _prove_labels(one_hot=False),
        explanation=(
            "A wrapped boxcar covering the points of M at a bin gives -log sum_{j in M} S_j."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="circle_laplace_contraction",
        title="claim: moving every point toward the bin by d keeps the gradient on the circle",
        statement=_CONTRACTION_STATEMENT,
        hypotheses=(sp.Q.positive(move), _MOVE_SHORT, _WITHIN_HALF),
        prover=_prove_contraction,
        expected=False,
        explanation=(
            "False: K(r - d)/K(r) = cosh((pi - r + d)/h) / cosh((pi - r)/h) depends on the "
            "distance r (on the line it is exp(d/h) for every r), so the kernel values are not "
            "all scaled by one factor and the gradient changes."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="circle_laplace_contraction_bound",
        title="the move changes dL/dz_i by at most R_i eta/(1 - eta), eta < exp(-2(pi - r_max)/h)",
        statement=_BOUND_STATEMENT,
        hypotheses=(
            sp.Q.positive(move),
            _MOVE_SHORT,
            _WITHIN_LARGEST,
            _LARGEST_WITHIN_HALF,
            sp.Le(1, i),
            sp.Le(i, n),
        ),
        prover=_prove_bound,
        explanation=(
            "Each kernel value is multiplied by exp(d/h)(1 - eps_j) with 0 < eps_j <= eta = "
            "eps(r_max) < exp(-2 (pi - r_max)/h): the gradient moves by a relative amount of "
            "order exp(-2 (pi - r_max)/h) -- negligible for points well inside the half circle "
            "at small h, of order one for a point near the antipode of the bin."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="circle_vonmises_no_far_field",
        title="von Mises: no distance exceeds pi, the far-field gradient is periodic (no limit)",
        statement=_NO_FAR_STATEMENT,
        hypotheses=(sp.Q.positive(kappa), sp.Q.positive(far)),
        prover=_prove_no_far_field,
        explanation=(
            "On the circle every point is within pi of the bin, K(pi) <= K(u) <= K(0); moving "
            "all points away by D is periodic in D, so the line's far-field limits do not exist."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="circle_vonmises_concentration",
        title="von Mises: kappa -> oo gives nearest-point cross-entropy, kappa -> 0 gradient 0",
        statement=_CONCENTRATION_STATEMENT,
        hypotheses=(sp.Q.positive(_gaps[0]), sp.Q.positive(_gaps[1])),
        prover=_prove_concentration,
        explanation=(
            "By sympy.limit for n = 3 with symbolic gaps g_j = cos(u_1) - cos(u_j) > 0 (general "
            "n defeats sympy.limit), and an instance where the nearest point is nearest across "
            "+-pi.  The limits are per bin."
        ),
        reference=REFERENCE,
    ),
]
