"""Identities between the derivatives: translation and scaling (general n, line and circle).

Theorems (issue 14, section 1), each derived by SymPy from the loss:

* ``derivative_position_sum`` -- ``sum_i dL/dx_i = (log p(b) - log p(a))/(b-a)``: the
  position derivatives together are the log-density ratio of the two ends (the first half of
  the translation proof, on its own);
* ``derivative_translation`` -- ``sum_i dL/dx_i + dL/da + dL/db = 0`` for any C^1 positive
  kernel.  ``sum_i R_i (log K)'(t - x_i) = d/dt log p(t)``, the fundamental theorem of
  calculus turns its integral into ``log p(b) - log p(a)``, and the Leibniz terms of
  ``dL/da + dL/db`` cancel it;
* ``derivative_translation_circle`` -- the same on the circle, for the von Mises kernel and
  the wrapped Cauchy and wrapped Laplace families ``C/(alpha + beta (1 - cos u))`` and
  ``C cosh((pi - (u mod 2 pi))/h)`` (any positive constants; the package's wrapped kernels are
  members, checked steps): the proof never uses that the kernel lives on the line, so an arc
  ``[a, b]`` and angles ``x_j`` obey it too.  The closed forms with ``rho = e^{-h}`` written
  in took SymPy over ten minutes; the families with constants take ~10 s each;
* ``derivative_scaling`` -- for a scale family ``K_h(u) = f(u/h)/h``:
  ``L(cx, ca, cb, ch) = L(x, a, b, h) + log c`` (substitute ``t = c s``), and its derivative in
  ``c`` at ``c = 1`` is, by the chain rule,
  ``sum_i x_i dL/dx_i + a dL/da + b dL/db + h dL/dh = 1``.

The fundamental theorem of calculus is SymPy's own (``Integral(G'(t)).doit() = G(b) - G(a)``
for an undefined ``G``, then ``G = log p``); it needs ``log p`` absolutely continuous, which
:data:`symkde.theorems.derivatives.INTERCHANGE` (bounded ``(log K)'``) gives, so those
steps rest on lemma L-interchange like the differentiations under the integral.  Imports SymPy and
the symbolic model only.  Walk-through: ``derivations/derivatives.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u, wrapped_density
from symkde.symbolic.model import (
    a,
    abstract_kernel,
    b,
    i,
    kde,
    loss,
    n,
    pull_constants_out_of_sums,
    substitute_indexed,
    t,
    x,
)
from symkde.theorems._core import Step, Theorem, equal, evaluates, follows
from symkde.theorems.derivatives import derive_bandwidth, derive_position, lemma_step, plain
from symkde.theorems.gradient import collapse, equal_after
from symkde.theorems.invariance import differentiate_terms, sum_of_integrals

__all__ = [
    "THEOREMS",
    "fundamental_theorem",
    "scale",
    "scale_family",
    "scaled_loss",
    "translation_sum",
]

REFERENCE = "derivations/derivatives.py"

#: The common scale factor ``c > 0``.
scale = sp.Symbol("c", positive=True)
#: The profile of a scale family: ``K_h(u) = f(u/h)/h``.
profile = sp.Function("f", positive=True)
scale_family: sp.Expr = profile(u / h) / h
#: Positive constants of the wrapped kernels' families (any positive values).
_alpha, _beta, _const = sp.symbols("alpha beta C", positive=True)
#: The wrapped Cauchy family ``C/(alpha + beta (1 - cos u))`` and the wrapped Laplace family
#: ``C cosh((pi - (u mod 2 pi))/h)`` (a kink at ``u = 0 mod 2 pi``: bounded one-sided
#: derivatives, so ``log p`` is absolutely continuous and the FTC holds; SymPy
#: differentiates ``Mod(u, 2 pi)`` as 1, which is its derivative off a null set).
WRAPPED_CAUCHY_FAMILY = _const / (_alpha + _beta * (1 - sp.cos(u)))
WRAPPED_LAPLACE_FAMILY = _const * sp.cosh((sp.pi - sp.Mod(u, 2 * sp.pi)) / h)
#: Periodic kernels of the circle with a closed form.
_CIRCLE_KERNELS = {
    "vonmises": KERNELS["vonmises"].density,
    "wrapped cauchy": WRAPPED_CAUCHY_FAMILY,
    "wrapped laplace": WRAPPED_LAPLACE_FAMILY,
}
_RHO = sp.exp(-h)
#: The package's wrapped kernels are members of the families (``rho = e^{-h}``).
MEMBERS = (
    sp.Eq(
        wrapped_density("cauchy"),
        WRAPPED_CAUCHY_FAMILY.subs(
            {_alpha: (1 - _RHO) ** 2, _beta: 2 * _RHO, _const: (1 - _RHO**2) / (2 * sp.pi)}
        ),
        evaluate=False,
    ),
    sp.Eq(
        wrapped_density("laplace"),
        WRAPPED_LAPLACE_FAMILY.subs(_const, 1 / (2 * h * sp.sinh(sp.pi / h))),
        evaluate=False,
    ),
)


def translation_sum(kernel: sp.Expr = abstract_kernel) -> sp.Expr:
    """``sum_i dL/dx_i + dL/da + dL/db``, unevaluated (general n)."""
    found = loss(kernel)
    return (
        sp.Sum(sp.Derivative(found, x[i]), (i, 1, n))
        + sp.Derivative(found, a)
        + (sp.Derivative(found, b))
    )


def fundamental_theorem(expr: sp.Expr) -> sp.Expr:
    """Every ``Integral(Derivative(F, t), (t, lo, hi))`` evaluated by SymPy's FTC.

    SymPy integrates ``G'(t)`` for an undefined function ``G`` (``G(hi) - G(lo)``); then
    ``G`` is instantiated as ``t -> F``.

    >>> fundamental_theorem(sp.Integral(sp.Derivative(sp.log(1 + t**2), t), (t, a, b)))
    -log(a**2 + 1) + log(b**2 + 1)
    """
    generic = sp.Function("G")

    def one(q: sp.Integral) -> sp.Expr:
        ((var, lower, upper),) = q.limits
        inner = q.function
        if not (isinstance(inner, sp.Derivative) and inner.variables == (var,)):
            return q
        done = sp.Integral(sp.Derivative(generic(var), var), (var, lower, upper)).doit()
        return done.replace(generic, sp.Lambda(var, inner.expr))

    return sp.sympify(expr).replace(lambda q: isinstance(q, sp.Integral), one)


def resting_on_lemma(step: Step) -> list[Step]:
    """``step`` (a differentiation under the integral, or the FTC for ``log p``), then the
    same claim recorded as resting on lemma L-interchange."""
    lemma = lemma_step()
    return [lemma, step, follows("this rests on lemma L-interchange", step.claim, [lemma, step])]


def _translation_proof(kernel: sp.Expr) -> Iterator[Step]:
    claim = translation_sum(kernel)
    found = loss(kernel)
    lower, upper = (collapse(found.diff(end)) for end in (a, b))
    summed = sum_of_integrals(sp.Sum(derive_position(kernel), (i, 1, n))) + lower + upper
    yield from resting_on_lemma(
        evaluates(
            "SymPy differentiates L in each x_i (1 <= i <= n, the sum's range), in a and in b; "
            "the sum moves under the integral",
            claim,
            summed,
            lambda e: sum_of_integrals(differentiate_terms(e)),
        )
    )
    log_p = sp.log(kde(kernel))
    via_ftc = sp.Integral(sp.Derivative(log_p, t), (t, a, b)) / (b - a) + lower + upper
    yield equal_after(
        "sum_i R_i (log K)'(t - x_i) = sum_i S_i K'(t - x_i)/p(t) = d/dt log p(t)",
        summed,
        via_ftc,
        plain,
    )
    boundary = fundamental_theorem(via_ftc)
    yield from resting_on_lemma(
        evaluates(
            "fundamental theorem of calculus (SymPy): Integral(d/dt log p) = log p(b) - log p(a) "
            "(log p is absolutely continuous: the lemma's bound on (log K)')",
            via_ftc,
            boundary,
            fundamental_theorem,
        )
    )
    yield equal_after(
        "(log p(b) - log p(a))/(b-a) + (log p(a) + L)/(b-a) - (log p(b) + L)/(b-a) = 0",
        boundary,
        0,
    )


_LOG_P = sp.log(kde(abstract_kernel))
POSITION_SUM = sp.Eq(
    sp.Sum(sp.Derivative(loss(), x[i]), (i, 1, n)),
    (_LOG_P.subs(t, b) - _LOG_P.subs(t, a)) / (b - a),
)


def _prove_position_sum() -> Iterator[Step]:
    summed = sum_of_integrals(sp.Sum(derive_position(), (i, 1, n)))
    yield from resting_on_lemma(
        evaluates(
            "SymPy differentiates L in each x_i (1 <= i <= n, the sum's range); the sum moves "
            "under the integral",
            POSITION_SUM.lhs,
            summed,
            lambda e: sum_of_integrals(differentiate_terms(e)),
        )
    )
    via_ftc = sp.Integral(sp.Derivative(_LOG_P, t), (t, a, b)) / (b - a)
    yield equal_after("sum_i S_i K'(t - x_i)/p(t) = d/dt log p(t)", summed, via_ftc, plain)
    boundary = fundamental_theorem(via_ftc)
    yield from resting_on_lemma(
        evaluates(
            "fundamental theorem of calculus (SymPy): Integral(d/dt log p) = log p(b) - log p(a)",
            via_ftc,
            boundary,
            fundamental_theorem,
        )
    )
    yield equal_after("which is the stated form", boundary, POSITION_SUM.rhs)


def _prove_translation() -> Iterator[Step]:
    yield from _translation_proof(abstract_kernel)


def _prove_translation_circle() -> Iterator[Step]:
    for name, kernel in _CIRCLE_KERNELS.items():
        for step in _translation_proof(kernel):
            yield dataclasses.replace(step, description=f"{name}: {step.description}")
    for member, name in zip(MEMBERS, ("cauchy", "laplace"), strict=True):
        yield equal(
            f"the wrapped {name} kernel is a member of its family (constants > 0)",
            member.lhs,
            member.rhs,
        )


# --------------------------------------------------------------------------- scaling


def scaled_loss(kernel: sp.Expr = scale_family) -> sp.Expr:
    """``L(c x, c a, c b, c h)`` (general n), unevaluated."""
    moved = substitute_indexed(loss(kernel), x, lambda m: scale * x[m])
    return moved.subs({a: scale * a, b: scale * b, h: scale * h}, simultaneous=True)


def _substitute_t(expr: sp.Expr) -> sp.Expr:
    """Change of variables ``t = c s`` in every integral (SymPy's ``Integral.transform``),
    then each summand simplified (``f((c s - c x_j)/(c h)) = f((s - x_j)/h)``) and
    ``log(p / c)`` expanded (p > 0 and c > 0 are the symbols' assumptions)."""
    moved = sp.sympify(expr).replace(
        lambda q: isinstance(q, sp.Integral), lambda q: q.transform(t, (scale * t, t))
    )
    tidied = moved.replace(
        lambda q: isinstance(q, sp.Sum),
        lambda q: sp.Sum(sp.factor_terms(sp.simplify(q.function)), *q.limits),
    )
    return sp.expand_log(pull_constants_out_of_sums(tidied))


def _rescaled(expr: sp.Expr) -> sp.Expr:
    """``d/dc`` at ``c = 1`` after the change of variables ``t = c s``."""
    changed = _substitute_t(expr.expr.expr)  # Subs(Derivative(L_c, c), c, 1) -> L_c
    done = changed.diff(scale).subs(scale, 1)
    # linearity: the constant terms join the integral, whose integrand then cancels
    return plain(done - 1) + 1


def _at_one(expr: sp.Subs) -> sp.Expr:
    """SymPy differentiates ``Subs(Derivative(F, c), c, 1)``: ``F.diff(c)`` at ``c = 1``."""
    return collapse(expr.expr.expr.diff(scale).subs(scale, 1))


SCALE_LOSS = sp.Eq(scaled_loss(), loss(scale_family) + sp.log(scale))
_FAMILY_LOSS = loss(scale_family)
SCALING = sp.Eq(
    sp.Sum(x[i] * sp.Derivative(_FAMILY_LOSS, x[i]), (i, 1, n))
    + a * sp.Derivative(_FAMILY_LOSS, a)
    + b * sp.Derivative(_FAMILY_LOSS, b)
    + h * sp.Derivative(_FAMILY_LOSS, h),
    1,
)


def _prove_scaling() -> Iterator[Step]:
    yield evaluates(
        "t = c s: L(c x, c a, c b, c h) = L(x, a, b, h) + log c (general n)",
        SCALE_LOSS.lhs,
        SCALE_LOSS.rhs,
        lambda e: plain(_substitute_t(e) - SCALE_LOSS.rhs) + SCALE_LOSS.rhs,
    )
    position = derive_position(scale_family)
    found = loss(scale_family)
    summed = sum_of_integrals(
        sp.Sum(x[i] * position, (i, 1, n))
        + a * collapse(found.diff(a))
        + b * collapse(found.diff(b))
        + h * derive_bandwidth(scale_family)
    )
    yield from resting_on_lemma(
        evaluates(
            "SymPy differentiates L in every x_i (1 <= i <= n, the sum's range), a, b and h",
            SCALING.lhs,
            summed,
            lambda e: sum_of_integrals(differentiate_terms(e)),
        )
    )
    by_c = sp.Subs(sp.Derivative(scaled_loss(), scale), scale, 1)
    chained = _at_one(by_c)
    yield from resting_on_lemma(
        evaluates("SymPy's d/dc L(c x, c a, c b, c h) at c = 1", by_c, chained, _at_one)
    )
    yield equal_after(
        "chain rule: that is sum_i x_i dL/dx_i + a dL/da + b dL/db + h dL/dh",
        summed,
        chained,
        plain,
    )
    yield from resting_on_lemma(
        evaluates("and, after t = c s, d/dc (L + log c) at c = 1 = 1", by_c, 1, _rescaled)
    )


THEOREMS: list[Theorem] = [
    Theorem(
        name="derivative_position_sum",
        title="sum_i dL/dx_i = (log p(b) - log p(a))/(b-a) (general n, any C^1 kernel)",
        statement=POSITION_SUM,
        hypotheses=(),
        prover=_prove_position_sum,
        explanation=(
            "The points' total pull is the log-density ratio of the target's two ends over its "
            "width.  With every point at least D beyond b and the Gaussian kernel, each ratio "
            "K(b - x_j)/K(a - x_j) is at least exp((b-a)(2D + b - a)/(2h^2)), so the sum is at "
            "least D/h^2 + (b-a)/(2h^2) (argued, not a checked step)."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="derivative_translation",
        title="sum_i dL/dx_i + dL/da + dL/db = 0 (general n, any C^1 kernel)",
        statement=sp.Eq(translation_sum(), 0),
        hypotheses=(),
        prover=_prove_translation,
        explanation=(
            "Moving the points and the target together changes nothing: the position "
            "derivatives sum to minus the derivatives in the ends."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="derivative_translation_circle",
        title="the translation identity on the circle (von Mises, wrapped Cauchy, wrapped "
        "Laplace; general n)",
        statement=sp.And(
            *[sp.Eq(translation_sum(kernel), 0) for kernel in _CIRCLE_KERNELS.values()],
            *MEMBERS,
        ),
        hypotheses=(),
        prover=_prove_translation_circle,
        explanation=(
            "On an arc [a, b] the same identity holds: rotating the angles and the arc "
            "together leaves the loss unchanged."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="derivative_scaling",
        title="sum_i x_i dL/dx_i + a dL/da + b dL/db + h dL/dh = 1 (general n)",
        statement=sp.And(SCALE_LOSS, SCALING),
        hypotheses=(),
        prover=_prove_scaling,
        explanation=(
            "Zooming everything by c adds log c to the loss (a density in 1/length); "
            "differentiating at c = 1 ties dL/dh to the other derivatives."
        ),
        reference=REFERENCE,
    ),
]
