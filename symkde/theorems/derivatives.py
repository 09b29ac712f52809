"""Derivatives of the loss in the positions, the bandwidth and the target's ends (general n).

Theorems (issue 14, section 1), each derived by SymPy from :func:`symkde.symbolic.model.loss`:

* ``derivative_position`` -- ``dL/dx_i = (1/(b-a)) Integral(R_i(t) (log K)'(t - x_i))``;
* ``derivative_bandwidth`` -- ``dL/dh = -(1/(b-a)) Integral(sum_i R_i(t) d/dh log K_h(t - x_i))``;
* ``derivative_ends`` -- ``dL/db = -(log p(b) + L)/(b-a)``, ``dL/da = (log p(a) + L)/(b-a)``
  (the Leibniz rule on the limits and on the factor ``1/(b-a)``).

SymPy differentiates under the integral sign formally (``Integral._eval_derivative``).  That
the interchange is allowed is an analytic fact SymPy does not check: it is recorded as the
cited hypothesis :data:`INTERCHANGE` (the integrand's derivative is dominated by an integrable
function: true for every kernel of :mod:`symkde.symbolic.kernels` that is C^1 with bounded
``(log K)'`` on the compact ``[a, b]``; see Folland, *Real Analysis*, Theorem 2.27) and backed
by a numeric witness: the derived formula against a central difference of the loss, both by
mpmath quadrature.  Compact kernels, whose ``log K`` jumps, are treated in
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
from symkde.theorems._core import Step, Theorem, citing, evaluates, numeric_witness
from symkde.theorems.gradient import (
    I_IN_RANGE,
    ORDERED,
    collapse,
    differentiates,
    equal_after,
    merge_integrals,
)

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
#: The analytic hypothesis behind every "differentiate under the integral" step: the
#: derivative of ``log p(t)`` in the parameter is dominated on ``[a, b]`` by an integrable
#: function (Folland, Real Analysis, Thm 2.27).  Stated as a relation on the kernel: ``log K``
#: has a finite derivative, which is what the dominated-convergence bound needs on a compact
#: interval.  Steps that differentiate under the integral cite it.
INTERCHANGE = sp.Ne(sp.Abs(sp.Derivative(sp.log(abstract_kernel), u)), sp.oo)


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


def _prove_position() -> Iterator[Step]:
    derived = derive_position()
    yield citing(
        differentiates(
            "SymPy differentiates L in x_i under the integral (general n)",
            POSITION.lhs,
            derived,
        ),
        INTERCHANGE,
    )
    yield citing(
        equal_after(
            "which is (1/(b-a)) Integral(R_i (log K)'(t - x_i)): S_i K'/p = R_i K'/K",
            derived,
            POSITION.rhs,
            plain,
        ),
        ORDERED,
    )
    yield interchange_witness(
        "witness (Gaussian, n = 2, i = 1): the formula vs a central difference of L, 25 digits",
        POSITION.rhs,
        "x",
    )


def _prove_bandwidth() -> Iterator[Step]:
    derived = derive_bandwidth()
    yield citing(
        differentiates(
            "SymPy differentiates L in h under the integral (general n)",
            BANDWIDTH.lhs,
            derived,
        ),
        INTERCHANGE,
    )
    yield citing(
        equal_after(
            "which is -(1/(b-a)) Integral(sum_i R_i d/dh log K_h(t - x_i))",
            derived,
            BANDWIDTH.rhs,
            plain,
        ),
        ORDERED,
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
        hypotheses=(ORDERED, sp.Le(1, i), I_IN_RANGE, INTERCHANGE),
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
        hypotheses=(ORDERED, sp.Le(1, i), I_IN_RANGE, INTERCHANGE),
        prover=_prove_bandwidth,
        explanation="The bandwidth derivative is the responsibility-weighted d/dh log K_h.",
        reference=REFERENCE,
    ),
    Theorem(
        name="derivative_ends",
        title="dL/db = -(log p(b) + L)/(b-a), dL/da = (log p(a) + L)/(b-a) (general n)",
        statement=ENDS,
        hypotheses=(sp.Q.positive(abstract_kernel),),
        prover=_prove_ends,
        explanation=(
            "Stretching the target past b adds -log p(b) to the average: the loss moves by "
            "the gap between the new bin's loss and the mean."
        ),
        reference=REFERENCE,
    ),
]
