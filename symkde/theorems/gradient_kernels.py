"""Every kernel integrates to 1, and so does the KDE (general n).

Part of :mod:`symkde.theorems.gradient`.  Imports SymPy, mpmath, :mod:`symkde.symbolic`,
the proof machinery and :mod:`symkde.theorems.gradient_model`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, kappa_of, u
from symkde.symbolic.model import (
    abstract_kernel,
    j,
    kde,
    n,
    pull_constants_out_of_sums,
    rename_summation_indices,
    softmax,
    t,
    x,
    z,
)
from symkde.theorems._core import (
    Lemma,
    Step,
    Theorem,
    by_lemma,
    equal,
    evaluates,
    follows,
    holds_true,
    numeric_witness,
)
from symkde.theorems.gradient_model import (
    REFERENCE,
    equal_after,
)

# --------------------------------------------------------------------------- kernels


def _kernel_theorem(name: str) -> Theorem:
    kernel = KERNELS[name]
    if kernel.circular_only:
        statement = sp.Eq(sp.Integral(kernel.density, (u, -sp.pi, sp.pi)), 1)
        prover: Callable[[], Iterator[Step]] = _prove_vonmises_normalized
        hypotheses: tuple[Any, ...] = (sp.Q.positive(h),)
    else:
        statement = sp.Eq(sp.Integral(kernel.density, (u, -sp.oo, sp.oo)), 1)

        def prover() -> Iterator[Step]:
            integral = sp.Integral(kernel.density, (u, -sp.oo, sp.oo))
            value = integral.doit()
            yield evaluates(f"SymPy integrates the {name} kernel over the line", integral, 1)
            yield numeric_witness(
                "the same integral by mpmath quadrature at h = 3/7",
                integral.subs(h, sp.Rational(3, 7)).evalf(50) if not kernel.compact else value,
                1,
                {h: sp.Rational(3, 7)},
                tol_digits=30,
            )

        hypotheses = (sp.Q.positive(h),)
    return Theorem(
        name=f"kernel_normalized_{name}",
        title=f"the {name} kernel integrates to 1",
        statement=statement,
        hypotheses=hypotheses,
        prover=prover,
        explanation=f"`{name}` is a probability density for every bandwidth h > 0.",
        reference=REFERENCE,
    )


def _prove_vonmises_normalized() -> Iterator[Step]:
    """F(kappa) = Integral(exp(kappa cos u)) solves Bessel's equation, is finite at 0: 2 pi I0."""
    kappa = sp.Symbol("kappa", positive=True)
    big_f = sp.Integral(sp.exp(kappa * sp.cos(u)), (u, -sp.pi, sp.pi))
    bessel_form = kappa * big_f.diff(kappa, 2) + big_f.diff(kappa) - kappa * big_f
    # Leibniz: differentiate under the integral; the three integrals share their limits.
    integrand = sp.expand(
        kappa * sp.exp(kappa * sp.cos(u)).diff(kappa, 2)
        + sp.exp(kappa * sp.cos(u)).diff(kappa)
        - kappa * sp.exp(kappa * sp.cos(u))
    )
    ode: list[Step] = []
    ode.append(
        equal(
            "kappa F'' + F' - kappa F is one integral (Leibniz rule, linearity)",
            bessel_form,
            sp.Integral(integrand, (u, -sp.pi, sp.pi)),
        )
    )
    primitive = sp.sin(u) * sp.exp(kappa * sp.cos(u))
    ode.append(
        equal(
            "its integrand is the u-derivative of sin(u) exp(kappa cos u)",
            integrand,
            primitive.diff(u),
        )
    )
    ode.append(
        equal(
            "which takes equal values at -pi and pi (periodic): the integral is 0",
            primitive.subs(u, sp.pi) - primitive.subs(u, -sp.pi),
            0,
        )
    )
    f = sp.Function("F")
    solution = sp.dsolve(kappa * f(kappa).diff(kappa, 2) + f(kappa).diff(kappa) - kappa * f(kappa))
    c1, c2 = sp.symbols("C1 C2")
    singular = solution.rhs.coeff(c2)
    ode.append(
        equal(
            "dsolve: F = C1 I0(kappa) + C2 * (second solution)",
            solution.rhs,
            c1 * sp.besseli(0, kappa) + c2 * singular,
        )
    )
    ode.append(
        holds_true(
            "the second solution is unbounded at kappa -> 0+ (so C2 = 0: F is finite)",
            sp.Eq(sp.limit(sp.Abs(singular), kappa, 0, "+"), sp.oo),
        )
    )
    at_zero = big_f.subs(kappa, 0).doit()
    c1_value = sp.solve(sp.Eq(solution.rhs.subs(c2, 0).subs(kappa, 0), at_zero), c1)[0]
    bounded = c1_value * sp.besseli(0, kappa)
    ode.append(
        equal("F(0) = Integral(1) = 2 pi fixes C1", bounded, 2 * sp.pi * sp.besseli(0, kappa))
    )
    yield from ode
    density = KERNELS["vonmises"].density
    factor = sp.simplify(density / sp.exp(kappa_of(h) * sp.cos(u)))
    free_of_u = equal("K_vonmises = exp(kappa cos u) * c(h) with c free of u", factor.diff(u), 0)
    yield free_of_u
    at_h = factor * big_f.subs(kappa, kappa_of(h))

    def pull_out(e: sp.Expr) -> sp.Expr:
        # linearity: the u-free factor c(h) moves out of the integral
        return e.replace(
            lambda q: isinstance(q, sp.Integral) and q.function.has(sp.besseli),
            lambda q: factor * sp.Integral(sp.simplify(q.function / factor), *q.limits),
        )

    yield evaluates(
        "Integral(K_vonmises) = c(h) F(1/h^2) (c is free of u)",
        sp.Integral(density, (u, -sp.pi, sp.pi)),
        at_h,
        pull_out,
    )
    instance = by_lemma(bessel_integral_lemma(kappa), {kappa: kappa_of(h)})
    yield instance
    yield follows(
        "so c(h) F(1/h^2) = c(h) 2 pi I0(1/h^2)",
        sp.Eq(at_h, factor * bounded.subs(kappa, kappa_of(h))),
        [instance],
    )
    yield equal(
        "so Integral(K_vonmises) = c(h) * F(1/h^2) = 1",
        factor * bounded.subs(kappa, kappa_of(h)),
        1,
    )
    yield numeric_witness(
        "mpmath quadrature at h = 3/5",
        sp.Integral(density, (u, -sp.pi, sp.pi)).subs(h, sp.Rational(3, 5)).evalf(50),
        1,
        {},
        tol_digits=30,
    )


def bessel_integral_lemma(kappa: sp.Symbol) -> Lemma:
    """L-bessel-integral: ``Integral(exp(kappa cos u), (u, -pi, pi)) = 2 pi I0(kappa)``."""
    return Lemma(
        "L-bessel-integral",
        sp.Eq(
            sp.Integral(sp.exp(kappa * sp.cos(u)), (u, -sp.pi, sp.pi)),
            2 * sp.pi * sp.besseli(0, kappa),
            evaluate=False,
        ),
        "Bessel's integral I0(k) = (1/pi) int_0^pi exp(k cos t) dt (DLMF 10.32.1; Watson, "
        "A Treatise on the Theory of Bessel Functions, 2.2)",
        {kappa: sp.Rational(3, 2)},
        why="SymPy does not evaluate the integral; the proof checks that it solves Bessel's "
        "equation k F'' + F' - k F = 0 with F(0) = 2 pi, but that the solution bounded at the "
        "regular singular point k = 0 is unique (Frobenius) is analysis SymPy cannot do",
    )


def interchange_lemma(lhs: sp.Integral, exchanged: sp.Sum) -> Lemma:
    """L-sum-integral: ``Integral(Sum_j f_j) = Sum_j Integral(f_j)`` for finitely many
    integrable ``f_j`` (here ``n`` kernel terms), witnessed for the Gaussian kernel, n = 3."""
    gaussian = sp.Lambda(u, sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi))
    witness = {
        n: 3,
        abstract_kernel.func: gaussian,
        **{z[m]: sp.Rational(m, 3) for m in (1, 2, 3)},
        **{x[m]: sp.Rational(2 * m - 3, 2) for m in (1, 2, 3)},
    }
    return Lemma(
        "L-sum-integral",
        sp.Eq(lhs, exchanged, evaluate=False),
        "linearity of the Lebesgue integral over a finite sum of integrable functions "
        "(e.g. Rudin, Real and Complex Analysis, Thm 1.32)",
        witness,
        why="n is a symbol: SymPy does not move an Integral through a Sum of symbolic length",
    )


#: The hypothesis of ``kde_normalized``: the kernel integrates to 1.
KERNEL_NORMALIZED = sp.Eq(sp.Integral(abstract_kernel, (u, -sp.oo, sp.oo)), 1)


def _prove_kde_normalized() -> Iterator[Step]:
    lhs = sp.Integral(kde(abstract_kernel), (t, -sp.oo, sp.oo))
    integrand = lhs.function
    var = sp.Symbol("s", real=True)
    # Exchange the finite sum and the integral (linearity), then shift each term t -> s + x_j.
    exchanged = sp.Sum(sp.Integral(integrand.function, (t, -sp.oo, sp.oo)), *integrand.limits)
    yield by_lemma(interchange_lemma(lhs, exchanged), {})

    def is_hypothesis(integral: sp.Integral) -> bool:
        ((bound, lower, upper),) = integral.limits
        renamed = sp.Integral(integral.function.subs(bound, u), (u, lower, upper))
        return bool(renamed == KERNEL_NORMALIZED.lhs)

    def shift(e: sp.Expr) -> sp.Expr:
        # t = s + x_j in each integral (SymPy's transform); the integral of K over the line,
        # its variable renamed u (the hypothesis' own integral), is pulled out of the sum
        shifted = e.replace(
            lambda q: isinstance(q, sp.Integral), lambda q: q.transform(t, (var + x[j], var))
        )
        renamed = shifted.replace(
            lambda q: isinstance(q, sp.Integral),
            lambda q: sp.factor_terms(q).replace(
                lambda r: isinstance(r, sp.Integral) and is_hypothesis(r),
                lambda r: KERNEL_NORMALIZED.lhs,
            ),
        )
        return rename_summation_indices(pull_constants_out_of_sums(renamed))

    weights = sp.Sum(softmax(j), (j, 1, n))
    moved = equal_after(
        "t = s + x_j: each integral is Integral(K) (variable renamed u), outside the sum",
        exchanged,
        KERNEL_NORMALIZED.lhs * weights,
        shift,
    )
    total = equal_after(
        "Sum S_j = 1",
        weights,
        1,
        lambda e: rename_summation_indices(pull_constants_out_of_sums(e)),
    )
    yield from (moved, total)
    # the hypothesis Integral(K) = 1 as a premise SymPy substitutes (used: needed to close)
    yield follows(
        "so, with Integral(K) = 1 (the hypothesis), the sum is Sum S_j = 1",
        sp.Eq(exchanged, 1),
        [moved, KERNEL_NORMALIZED, total],
    )


_KDE_NORMALIZED = Theorem(
    name="kde_normalized",
    title="p(t) integrates to 1 for any normalized kernel (general n)",
    statement=sp.Eq(sp.Integral(kde(abstract_kernel), (t, -sp.oo, sp.oo)), 1),
    hypotheses=(KERNEL_NORMALIZED,),
    prover=_prove_kde_normalized,
    explanation="The softmax-weighted KDE is a probability density, so L is a cross-entropy.",
    reference=REFERENCE,
)


THEOREMS: list[Theorem] = [
    *[_kernel_theorem(name) for name in KERNELS],
    _KDE_NORMALIZED,
]
