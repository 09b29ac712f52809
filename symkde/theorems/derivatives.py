"""Derivatives of the loss in the positions, the bandwidth and the target's ends (general n).

Theorems (issue 14, section 1), each derived by SymPy from :func:`symkde.symbolic.model.loss`:

* ``derivative_position`` -- ``dL/dx_i = (1/(b-a)) Integral(R_i(t) (log K)'(t - x_i))``;
* ``derivative_bandwidth`` -- ``dL/dh = -(1/(b-a)) Integral(sum_i R_i(t) d/dh log K_h(t - x_i))``;
* ``derivative_ends`` -- ``dL/db = -(log p(b) + L)/(b-a)``, ``dL/da = (log p(a) + L)/(b-a)``
  (the Leibniz rule on the limits and on the factor ``1/(b-a)``).

SymPy differentiates under the integral sign formally (``Integral._eval_derivative``).  That
the interchange is allowed is an analytic fact SymPy does not check: it is the lemma
:data:`INTERCHANGE` ("L-interchange": the integrand's derivative is dominated by an integrable
function, true for the smooth kernels and the Laplace kernel on the compact ``[a, b]``;
Folland, *Real Analysis*, Theorem 2.27), so these theorems are "proved from lemmas
L-interchange", and each is backed by a numeric witness: the derived formula against a central
difference of the loss, both by mpmath quadrature.  ``i <= n`` enters as the
parametrisation ``n = i + m`` (:data:`IN_RANGE`).  Compact kernels, whose ``log K`` jumps,
are treated in
:mod:`symkde.theorems.derivatives_compact`; the identities tying the derivatives together in
:mod:`symkde.theorems.derivatives_identities`.  Imports SymPy, mpmath and the symbolic model
only.  Walk-through: ``derivations/derivatives.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import mpmath
import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.model import (
    a,
    abstract_kernel,
    b,
    i,
    kde,
    loss,
    loss_concrete,
    n,
    rename_summation_indices,
    responsibility,
    t,
    x,
    z,
)
from symkde.theorems._core import (
    Lemma,
    Parametrisation,
    Step,
    Theorem,
    by_lemma,
    evaluates,
    follows,
    numeric_witness,
)
from symkde.theorems.gradient import I_IN_RANGE, collapse, equal_after, merge_integrals

__all__ = [
    "INTERCHANGE",
    "THEOREMS",
    "bandwidth_family",
    "derive_bandwidth",
    "derive_ends",
    "derive_position",
    "interchange_witness",
    "log_slope",
    "plain",
]

REFERENCE = "derivations/derivatives.py"

#: A kernel family ``K(u, h)``: positive, depending on the bandwidth (for ``dL/dh``).
bandwidth_family: sp.Expr = sp.Function("K", positive=True)(u, h)
_theta = sp.Symbol("theta", real=True)
_integrand = sp.Function("F")(t, _theta)
#: Differentiation under the integral sign, the one analytic fact these proofs take on trust.
INTERCHANGE = Lemma(
    name="L-interchange",
    statement=sp.Eq(
        sp.Derivative(sp.Integral(_integrand, (t, a, b)), _theta),
        sp.Integral(sp.Derivative(_integrand, _theta), (t, a, b)),
    ),
    citation=(
        "Folland, Real Analysis (2nd ed.), Thm 2.27(b): F(., theta) integrable on [a, b], "
        "dF/dtheta exists for a.e. t and |dF/dtheta| <= g(t) integrable, uniformly near theta. "
        "For F = log p: |d/dx_i log p| = R_i |(log K)'| <= sup |(log K)'| (Laplace 1/h; "
        "Gaussian, Cauchy, von Mises: continuous on the compact [a, b]), and "
        "|d/dh log p| <= max_j |d/dh log K_h(t - x_j)|, continuous in t"
    ),
    witness={_integrand: sp.sin(t * _theta) + t * _theta**2, a: 0, b: 1, _theta: sp.Rational(1, 3)},
    why="SymPy differentiates under the integral formally; the domination bound is analysis",
)
#: ``n = i + m`` with ``m >= 0``: the hypothesis ``i <= n`` as a substitution SymPy can use
#: (a sum over ``j = 1..i+m`` of ``KroneckerDelta(i, j) f(j)`` collapses to ``f(i)``).
spare = sp.Symbol("m", integer=True, nonnegative=True)
IN_RANGE = Parametrisation(I_IN_RANGE, n, i + spare, spare, n - i)


def lemma_step() -> Step:
    """The interchange lemma, shown as a step (its witness checked at 50 digits)."""
    return by_lemma(INTERCHANGE, {}, "lemma L-interchange: d/dtheta Integral = Integral d/dtheta")


def derived_under_lemma(
    description: str, claim: sp.Equality, derive: Any, *, free_index: bool = True
) -> list[Step]:
    """Steps proving ``claim``: SymPy evaluates its left side by ``derive`` and compares with
    the right side after :func:`plain`; the step rests on :data:`INTERCHANGE`.  With a free
    index ``i`` this is done at ``n = i + m`` and the parametrisation lifts it back to
    ``i <= n``."""
    if not free_index:
        inner = evaluates(
            description, claim.lhs, claim.rhs, lambda e: plain(derive(e) - claim.rhs) + claim.rhs
        )
        lemma = lemma_step()
        return [
            lemma,
            inner,
            follows("this differentiation rests on lemma L-interchange", claim, [lemma, inner]),
        ]
    left, right = IN_RANGE.apply(claim.lhs), IN_RANGE.apply(claim.rhs)
    inner = evaluates(
        description + " (n = i + m, m >= 0)",
        left,
        right,
        lambda e: plain(derive(e) - right) + right,
    )
    lemma = lemma_step()
    resting = follows(
        "this differentiation rests on lemma L-interchange", inner.claim, [lemma, inner]
    )
    return [lemma, inner, resting, IN_RANGE.lift(resting, claim)]


def log_slope(offset: sp.Expr, kernel: sp.Expr = abstract_kernel) -> sp.Expr:
    """``(log K)'`` at ``offset``, unevaluated: ``Subs(Derivative(log K(u), u), u, offset)``.

    >>> log_slope(t - x[i])
    Subs(Derivative(log(K(u)), u), u, t - x[i])
    """
    return sp.Subs(sp.Derivative(sp.log(kernel), u), u, offset)


def plain(expr: sp.Expr) -> sp.Expr:
    """Evaluate ``Subs``/``Derivative`` nodes, then write the result as one integral.

    Used to compare a derived derivative with its stated form (SymPy's own rewrites only:
    ``doit`` of the derivatives, summation-index renaming, ``cancel``, linearity).
    """
    done = sp.sympify(expr).replace(
        lambda q: isinstance(q, (sp.Subs, sp.Derivative)), lambda q: q.doit()
    )
    done = done.replace(
        lambda q: isinstance(q, sp.Integral),
        lambda q: sp.Integral(rename_summation_indices(collapse(sp.cancel(q.function))), *q.limits),
    )
    return merge_integrals(done)


def derive_position(kernel: sp.Expr = abstract_kernel) -> sp.Expr:
    """``dL/dx_i`` as SymPy derives it (Leibniz rule under the integral, general n)."""
    return collapse(loss(kernel).diff(x[i]))


def derive_bandwidth(kernel: sp.Expr = bandwidth_family) -> sp.Expr:
    """``dL/dh`` as SymPy derives it for a kernel family ``K(u, h)`` (general n)."""
    return collapse(loss(kernel).diff(h))


def derive_ends(kernel: sp.Expr = abstract_kernel) -> tuple[sp.Expr, sp.Expr]:
    """``(dL/da, dL/db)`` as SymPy derives them (Leibniz rule on the limits)."""
    found = loss(kernel)
    return collapse(found.diff(a)), collapse(found.diff(b))


# --------------------------------------------------------------------------- statements

_R_I = responsibility(i, abstract_kernel)
POSITION = sp.Eq(
    sp.Derivative(loss(), x[i]),
    sp.Integral(_R_I * log_slope(t - x[i]), (t, a, b)) / (b - a),
)
BANDWIDTH = sp.Eq(
    sp.Derivative(loss(bandwidth_family), h),
    -sp.Integral(
        sp.Sum(
            responsibility(i, bandwidth_family)
            * sp.Derivative(sp.log(bandwidth_family), h).subs(u, t - x[i]),
            (i, 1, n),
        ),
        (t, a, b),
    )
    / (b - a),
)
_LOG_P = sp.log(kde(abstract_kernel))
ENDS = sp.And(
    sp.Eq(sp.Derivative(loss(), b), -(_LOG_P.subs(t, b) + loss()) / (b - a)),
    sp.Eq(sp.Derivative(loss(), a), (_LOG_P.subs(t, a) + loss()) / (b - a)),
)


# --------------------------------------------------------------------------- witnesses

#: The concrete problem of the interchange witnesses: Gaussian kernel, n = 2.
_WITNESS: dict[Any, Any] = {
    "z": (sp.Rational(1, 3), sp.Rational(-1, 2)),
    "x": (sp.Rational(-1, 4), sp.Rational(6, 5)),
    "a": sp.Rational(-1, 2),
    "b": sp.Rational(3, 4),
    "h": sp.Rational(2, 3),
}


def _quad_loss(values: dict[str, Any], dps: int) -> mpmath.mpf:
    """The Gaussian loss at ``values`` by mpmath tanh-sinh quadrature at ``dps`` digits."""
    expr = loss_concrete(
        list(values["z"]), list(values["x"]), KERNELS["gaussian"].density, values["a"], values["b"]
    ).subs(h, values["h"])
    (integral,) = expr.atoms(sp.Integral)
    with mpmath.workdps(dps):
        integrand = sp.lambdify(t, integral.function, "mpmath")
        total = mpmath.quad(integrand, [mpmath.mpf(values["a"]), mpmath.mpf(values["b"])])
        return total * mpmath.mpf(sp.N(expr / integral, dps))


def interchange_witness(
    description: str, formula: sp.Expr, move: str, component: int = 0, dps: int = 60
) -> Step:
    """Numeric witness of differentiating under the integral: ``formula`` (a derived
    derivative, general n, abstract kernel) at the Gaussian n = 2 point against the central
    difference of the loss in ``move`` (``"x"`` moves ``x[component + 1]``, else ``"h"``).

    Step ``1e-15`` at ``dps = 60`` digits: truncation ~1e-30 (third derivative of order
    one), quadrature and rounding ~1e-45 (divided by the step); agreement to 25 digits is
    asked.
    """
    step = sp.Rational(1, 10**15)

    def moved(sign: int) -> dict[str, Any]:
        values = dict(_WITNESS)
        if move == "x":
            shifted = list(values["x"])
            shifted[component] += sign * step
            values["x"] = tuple(shifted)
        else:
            values[move] = values[move] + sign * step
        return values

    with mpmath.workdps(dps):
        difference = (_quad_loss(moved(1), dps) - _quad_loss(moved(-1), dps)) / (
            2 * mpmath.mpf(step)
        )
        difference = sp.Float(difference, dps)
    gaussian = KERNELS["gaussian"].density
    concrete = formula.subs(n, 2).replace(lambda q: isinstance(q, sp.Sum), lambda q: q.doit())
    if move == "x":
        concrete = concrete.subs(i, component + 1)
    concrete = concrete.replace(abstract_kernel.func, lambda *args: gaussian.subs(u, args[0]))
    concrete = concrete.replace(
        lambda q: isinstance(q, (sp.Subs, sp.Derivative)), lambda q: q.doit()
    )
    point = {
        **{z[m + 1]: v for m, v in enumerate(_WITNESS["z"])},
        **{x[m + 1]: v for m, v in enumerate(_WITNESS["x"])},
        a: _WITNESS["a"],
        b: _WITNESS["b"],
        h: _WITNESS["h"],
    }
    fixed = concrete.subs(point)
    numbers = {}
    with mpmath.workdps(dps):
        for integral in fixed.atoms(sp.Integral):
            ((var, lower, upper),) = integral.limits
            integrand = sp.lambdify(var, integral.function, "mpmath")
            numbers[integral] = sp.Float(
                mpmath.quad(integrand, [mpmath.mpf(lower), mpmath.mpf(upper)]), dps
            )
    value = fixed.xreplace(numbers)
    return numeric_witness(description, difference, value, {}, dps=dps, tol_digits=25)


def _gaussian_family_bandwidth(formula: sp.Expr) -> sp.Expr:
    """``formula`` (written for the family ``K(u, h)``) with ``K(u, h)`` the Gaussian."""
    gaussian = KERNELS["gaussian"].formula
    return formula.replace(bandwidth_family.func, lambda arg, bw: gaussian(arg, bw))


# --------------------------------------------------------------------------- proofs


def _differentiate(e: sp.Expr) -> sp.Expr:
    """SymPy evaluates the outer ``Derivative`` (Leibniz under the integral), then sums."""
    return collapse(e.doit(deep=False))


def _prove_position() -> Iterator[Step]:
    yield from derived_under_lemma(
        "SymPy differentiates L in x_i under the integral: S_i K'/p = R_i (log K)'",
        POSITION,
        _differentiate,
    )
    yield interchange_witness(
        "witness (Gaussian, n = 2, i = 1): the formula vs a central difference of L, 25 digits",
        POSITION.rhs,
        "x",
    )


def _prove_bandwidth() -> Iterator[Step]:
    yield from derived_under_lemma(
        "SymPy differentiates L in h under the integral: sum_i R_i d/dh log K_h",
        BANDWIDTH,
        _differentiate,
        free_index=False,
    )
    yield interchange_witness(
        "witness (Gaussian, n = 2): the formula vs a central difference of L in h, 25 digits",
        _gaussian_family_bandwidth(BANDWIDTH.rhs),
        "h",
    )


def _prove_ends() -> Iterator[Step]:
    lower, upper = derive_ends()
    for claim in sorted(ENDS.args, key=lambda c: str(c.lhs.variables[0]), reverse=True):
        end = claim.lhs.variables[0]
        derived = upper if end == b else lower
        yield evaluates(
            f"SymPy differentiates L in {end} (Leibniz: the limit and the factor 1/(b-a))",
            claim.lhs,
            derived,
            lambda e: collapse(e.doit(deep=False)),
        )
        yield equal_after(f"which is the stated dL/d{end} (general n)", derived, claim.rhs)


THEOREMS: list[Theorem] = [
    Theorem(
        name="derivative_position",
        title="dL/dx_i = (1/(b-a)) Integral(R_i (log K)'(t - x_i)) (general n)",
        statement=POSITION,
        hypotheses=(I_IN_RANGE,),
        prover=_prove_position,
        explanation=(
            "Moving point i pulls the loss by its responsibility times the slope of log K "
            "at each t, averaged over the target."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="derivative_bandwidth",
        title="dL/dh = -(1/(b-a)) Integral(sum_i R_i d/dh log K_h) (general n)",
        statement=BANDWIDTH,
        hypotheses=(),
        prover=_prove_bandwidth,
        explanation="The bandwidth derivative is the responsibility-weighted d/dh log K_h.",
        reference=REFERENCE,
    ),
    Theorem(
        name="derivative_ends",
        title="dL/db = -(log p(b) + L)/(b-a), dL/da = (log p(a) + L)/(b-a) (general n)",
        statement=ENDS,
        hypotheses=(),
        prover=_prove_ends,
        explanation=(
            "Stretching the target past b adds -log p(b) to the average: the loss moves by "
            "the gap between the new bin's loss and the mean."
        ),
        reference=REFERENCE,
    ),
]
