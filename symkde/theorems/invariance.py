"""Invariances of the loss: logit shift, kernel scale, and why only exponential kernels.

Theorems (issue 2, section 3, items 2, 6 and 10): ``logit_shift``, ``gradient_sum_zero``,
``scale_invariance``, ``only_exponential_kernels``.  Walk-through:
``derivations/invariance.py``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.model import (
    K,
    a,
    abstract_kernel,
    b,
    bin_loss,
    bin_loss_concrete,
    i,
    j,
    kde,
    loss,
    n,
    responsibility,
    softmax,
    substitute_indexed,
    symbols_for,
    t,
    z,
)
from symkde.theorems._core import (
    Parametrisation,
    Step,
    Theorem,
    equal,
    evaluates,
    follows,
    holds_true,
    numeric_witness,
    under_integral,
)
from symkde.theorems.gradient import (
    ORDERED,
    _differentiate,
    _witness_values,
    collapse,
    concretize,
    derive_bin_gradient,
    derive_integrated_gradient,
    differentiates,
    equal_after,
    merge_integrals,
)
from symkde.theorems.gradient_model import width

__all__ = ["THEOREMS", "differentiate_terms", "sum_of_integrals"]

REFERENCE = "derivations/invariance.py"

#: The common logit shift.
c = sp.Symbol("c", real=True)
#: A positive kernel scale that may depend on the bin ``t``.
scale = sp.Function("c", positive=True)(t)


def _shift_logits(expr: sp.Expr) -> sp.Expr:
    return substitute_indexed(expr, z, lambda m: z[m] + c)


def sum_of_integrals(expr: sp.Expr) -> sp.Expr:
    """Linearity: ``Sum_i (c_i + d_i Integral(f_i))`` -> ``Sum_i c_i + Integral(Sum_i d_i f_i)``."""

    def exchange(s: sp.Sum) -> sp.Expr:
        if not s.function.has(sp.Integral):
            return s
        pieces = []
        for term in sp.Add.make_args(sp.expand(s.function)):
            found = term.atoms(sp.Integral)
            if not found:
                pieces.append(sp.Sum(term, *s.limits))
                continue
            (integral,) = found
            pieces.append(
                sp.Integral(
                    sp.Sum(term / integral * integral.function, *s.limits), *integral.limits
                )
            )
        return sp.Add(*pieces)

    return sp.sympify(expr).replace(lambda e: isinstance(e, sp.Sum), exchange)


# --------------------------------------------------------------------------- logit shift


_SHIFT_STATEMENT = sp.Eq(_shift_logits(loss()), loss())


def _prove_logit_shift() -> Iterator[Step]:
    yield equal_after(
        "p(t) is unchanged by z -> z + c (exp(c) cancels from every S_j)",
        _shift_logits(kde(abstract_kernel)),
        kde(abstract_kernel),
    )
    yield equal_after(
        "so is L (general n)", _SHIFT_STATEMENT.lhs, _SHIFT_STATEMENT.rhs, merge_integrals
    )
    rng = random.Random(21)
    values = {**_witness_values(rng, 3), c: sp.Rational(7, 3)}
    yield numeric_witness(
        "n = 3 per-bin loss at a random rational point, c = 7/3",
        concretize(_shift_logits(bin_loss()), 3),
        concretize(bin_loss(), 3),
        values,
    )


_SUM_STATEMENT = sp.And(
    sp.Eq(sp.Sum(sp.Derivative(bin_loss(), z[i]), (i, 1, n)), 0),
    sp.Eq(sp.Sum(sp.Derivative(loss(), z[i]), (i, 1, n)), 0),
)


def differentiate_terms(e: sp.Expr) -> sp.Expr:
    """Every ``Derivative`` in ``e`` evaluated by SymPy (inside a sum over i, 1 <= i <= n)."""
    return e.replace(lambda q: isinstance(q, sp.Derivative), _differentiate)


def _prove_gradient_sum_zero() -> Iterator[Step]:
    per_bin = sp.Sum(derive_bin_gradient(), (i, 1, n))
    yield evaluates(
        "per bin: SymPy differentiates each term of sum_i dL/dz_i",
        sp.Sum(sp.Derivative(bin_loss(), z[i]), (i, 1, n)),
        per_bin,
        differentiate_terms,
    )
    yield equal_after("per bin: sum_i (S_i - R_i) = 1 - 1 (general n)", per_bin, 0)
    integrated = sum_of_integrals(sp.Sum(derive_integrated_gradient(), (i, 1, n)))
    yield evaluates(
        "integrated: SymPy differentiates each term, and the sum moves under the integral",
        sp.Sum(sp.Derivative(loss(), z[i]), (i, 1, n)),
        integrated,
        lambda e: sum_of_integrals(differentiate_terms(e)),
    )
    # a < b as b = a + w, w > 0 (a checked Parametrisation): the mean over [a, a + w] of
    # sum_i R_i = 1 is 1; lifted back, the step uses a < b
    via = Parametrisation(ORDERED, b, a + width, width, b - a)
    at_width = equal_after(
        "integrated: sum_i S_i - (1/w) Integral(sum_i R_i) = 1 - 1 [at b = a + w]",
        via.apply(integrated),
        0,
        merge_integrals,
    )
    yield via.lift(at_width, sp.Eq(integrated, 0))
    rng = random.Random(22)
    values = _witness_values(rng, 4)
    yield numeric_witness(
        "n = 4: the derived per-bin gradients sum to 0 at 50 digits",
        sum(concretize(derive_bin_gradient().subs(i, m), 4) for m in range(1, 5)),
        0,
        values,
    )


# --------------------------------------------------------------------------- scale


_SCALE_STATEMENT = sp.Eq(
    sp.Derivative(substitute_indexed(bin_loss(), K, lambda m: scale * K[m]), z[i]),
    sp.Derivative(bin_loss(), z[i]),
)


def _prove_scale_invariance() -> Iterator[Step]:
    scaled = collapse(_SCALE_STATEMENT.lhs.doit())
    plain = derive_bin_gradient()
    yield differentiates(
        "SymPy differentiates the per-bin loss with K_j -> c(t) K_j (general n)",
        sp.Derivative(substitute_indexed(bin_loss(), K, lambda m: scale * K[m]), z[i]),
        scaled,
    )
    yield differentiates("and without the scale", sp.Derivative(bin_loss(), z[i]), plain)
    yield equal_after(
        "per bin: K_j -> c(t) K_j leaves the derived gradient unchanged", scaled, plain
    )
    ratios = sp.IndexedBase("rho", positive=True)  # rho_j = K_j / K_i
    by_ratio = softmax(i) / sp.Sum(softmax(j) * ratios[j], (j, 1, n))
    yield equal_after(
        "R_i depends on the kernel only through the ratios K_j / K_i",
        responsibility(i),
        substitute_indexed(by_ratio, ratios, lambda m: K[m] / K[i]),
    )
    scaled_int = derive_integrated_gradient(scale * abstract_kernel)
    yield equal_after(
        "integrated: K -> c(t) K leaves dL/dz_i unchanged",
        scaled_int,
        derive_integrated_gradient(),
        merge_integrals,
    )
    rng = random.Random(23)
    values = {**_witness_values(rng, 3), sp.Symbol("C", positive=True): sp.Rational(1, 10**6)}
    tiny = sp.Symbol("C", positive=True)
    yield numeric_witness(
        "n = 3, i = 2, all K_j scaled by 1e-6 (a far bin), at a random rational point",
        concretize(derive_bin_gradient().subs(i, 2), 3).subs(
            {K[m]: tiny * K[m] for m in (1, 2, 3)}
        ),
        concretize(plain.subs(i, 2), 3),
        values,
    )


# --------------------------------------------------------------------------- only exponentials


amplitude, rate = sp.symbols("A lambda", positive=True)
r, r1, r2, r0, d = sp.symbols("r r1 r2 r0 d", positive=True)
profile = sp.Function("f", positive=True)

s = sp.Symbol("s", positive=True)
#: f is determined by its value at r0: f(r) = A exp(-lambda r) with A = f(r0) exp(lambda r0)
_ONLY_EXP_STATEMENT = sp.Eq(profile(r), profile(r0) * sp.exp(-rate * (r - r0)))
#: invariance differentiated in d at d = 0 (r1 = s, r2 = r0): f'(s) f(r0) = f(s) f'(r0)
_FLAT_AT_ZERO = sp.Eq(
    sp.Derivative(profile(s), s) * profile(r0) - profile(s) * sp.Derivative(profile(r0), r0), 0
)
#: the rate's definition (its sign follows from normalisability: exponential_kernels_normalisable)
_RATE = sp.Eq(rate, -sp.Derivative(profile(r0), r0) / profile(r0))


def contraction_gap(kernel_profile: sp.Expr) -> sp.Expr:
    """``g_1(r1 - d, r2 - d) - g_1(r1, r2)`` for two points at distances ``r1, r2`` (n = 2)."""
    logits = symbols_for("z", 2, real=True)

    def gradient(d1: sp.Expr, d2: sp.Expr) -> sp.Expr:
        values = [kernel_profile.subs(r, d1), kernel_profile.subs(r, d2)]
        return bin_loss_concrete(logits, values).diff(logits[0])

    return gradient(r1 - d, r2 - d) - gradient(r1, r2)


def _prove_only_exponential() -> Iterator[Step]:
    gap = contraction_gap(profile(r))
    numerator = sp.numer(sp.together(gap))
    functional = profile(r1) * profile(r2 - d) - profile(r1 - d) * profile(r2)
    quotient = sp.cancel(numerator / functional)
    derivation = [
        equal(
            "the gap's numerator is q * (f(r1) f(r2-d) - f(r1-d) f(r2))",
            numerator,
            quotient * functional,
        ),
        holds_true(
            "q is free of f and nonzero (products of exp(z) > 0): invariance for every z "
            "is the functional equation",
            sp.And(sp.Ne(quotient, 0), sp.sympify(not quotient.has(profile))),
        ),
    ]
    at_zero = functional.diff(d).subs(d, 0).doit()
    slope = sp.Derivative(profile(r1), r1)
    solved = sp.solve(sp.Eq(at_zero, 0), slope)
    derivation.append(
        holds_true(
            "d/dd at d = 0: f'(r1)/f(r1) = f'(r2)/f(r2), one solution", sp.Eq(len(solved), 1)
        )
    )
    yield from derivation
    # the ODE on the theorem's symbols: d/dd at d = 0 with r1 = s, r2 = r0 (hypothesis
    # _FLAT_AT_ZERO), and lambda = -f'(r0)/f(r0) (hypothesis _RATE): SymPy derives f' = -lambda f
    yield equal(
        "the hypothesis f'(s) f(r0) - f(s) f'(r0) = 0 is the d-derivative at d = 0 (r1 = s, "
        "r2 = r0)",
        at_zero.subs({r1: s, r2: r0}),
        _FLAT_AT_ZERO.lhs,
    )
    ode = follows(
        "with lambda = -f'(r0)/f(r0): the ODE f'(s) = -lambda f(s)",
        sp.Eq(sp.Derivative(profile(s), s), -rate * profile(s)),
        [_FLAT_AT_ZERO, _RATE],
        multipliers=[1 / profile(r0), profile(s)],
    )
    yield ode
    # uniqueness, by the fundamental theorem of calculus (f is C^1): g = f e^(lambda s)
    grown = profile(s) * sp.exp(rate * s)
    product = evaluates(
        "product rule: (f e^(lambda s))' = (f' + lambda f) e^(lambda s)",
        sp.Derivative(grown, s),
        (sp.Derivative(profile(s), s) + rate * profile(s)) * sp.exp(rate * s),
    )
    flat = follows(
        "so (f e^(lambda s))' = 0 for every s > 0", sp.Eq(sp.Derivative(grown, s), 0),
        [product, ode],
    )  # fmt: skip
    integral = sp.Integral(sp.Derivative(grown, s), (s, r0, r))
    ftc = evaluates(
        "fundamental theorem of calculus (f' continuous): int_r0^r (f e^(lambda s))' ds "
        "= f(r) e^(lambda r) - f(r0) e^(lambda r0)",
        integral,
        grown.subs(s, r) - grown.subs(s, r0),
        lambda e: e.doit(deep=False),
    )
    inside = under_integral(
        "the integrand is 0 for every s between r0 and r", integral, flat, _ONLY_EXP_STATEMENT
    )
    nothing = evaluates("int_r0^r 0 ds = 0", inside.rhs, 0)
    yield from (product, flat, ftc, inside, nothing)
    yield follows(
        "f(r) e^(lambda r) = f(r0) e^(lambda r0): times e^(-lambda r), the statement",
        _ONLY_EXP_STATEMENT,
        [ftc, inside, nothing],
        multipliers=[-sp.exp(-rate * r), sp.exp(-rate * r), sp.exp(-rate * r)],
    )
    converse = contraction_gap(amplitude * sp.exp(-rate * r))
    yield equal("conversely A exp(-lambda r) makes the gap vanish", converse, 0)
    gaussian_profile = KERNELS["gaussian"].density.subs(u, r)
    rng = random.Random(24)
    logits = symbols_for("z", 2, real=True)
    values = {
        **dict(zip(logits, [sp.Rational(1, 3), sp.Rational(-2, 5)], strict=True)),
        r1: sp.Rational(5, 2),
        r2: sp.Rational(7, 4),
        d: sp.Rational(1, rng.randint(2, 5)),
        h: 1,
        amplitude: sp.Rational(3, 2),
        rate: sp.Rational(2, 3),
    }
    yield numeric_witness(
        "witness: the exponential profile's gap is 0 at a rational point",
        converse.subs(values),
        0,
        values,
    )
    yield holds_true(
        "and a non-exponential profile (Gaussian) does not satisfy it there",
        sp.Ne(sp.N(contraction_gap(gaussian_profile).subs(values), 50), 0),
    )


THEOREMS: list[Theorem] = [
    Theorem(
        name="logit_shift",
        title="L(z + c) = L(z) (general n)",
        statement=_SHIFT_STATEMENT,
        hypotheses=(sp.Q.real(c),),
        prover=_prove_logit_shift,
        explanation="Softmax is invariant under a common shift of the logits.",
        reference=REFERENCE,
    ),
    Theorem(
        name="gradient_sum_zero",
        title="sum_i dL/dz_i = 0 (per bin and integrated, general n)",
        statement=_SUM_STATEMENT,
        hypotheses=(sp.Lt(a, b),),
        prover=_prove_gradient_sum_zero,
        explanation="The gradient is orthogonal to the shift direction (1, ..., 1).",
        reference=REFERENCE,
    ),
    Theorem(
        name="scale_invariance",
        title="K -> c(t) K leaves the gradient unchanged; only K_i/K_j matter",
        statement=_SCALE_STATEMENT,
        hypotheses=(sp.Q.positive(scale), sp.Le(1, i), sp.Le(i, n)),
        prover=_prove_scale_invariance,
        explanation=(
            "Responsibilities depend on kernel ratios only, so points far from the target "
            "learn exactly as fast as points near it when the ratios are the same."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="only_exponential_kernels",
        title="contraction invariance for every configuration forces K(r) = A exp(-lambda r)",
        statement=_ONLY_EXP_STATEMENT,
        hypotheses=(sp.Q.positive(profile(r)), sp.Q.positive(r), _FLAT_AT_ZERO, _RATE),
        prover=_prove_only_exponential,
        explanation=(
            "If moving all points toward the bin by d never changes the gradient, the kernel's "
            "radial profile f (positive, C^1 on r > 0) satisfies f(r1) f(r2 - d) = f(r1 - d) "
            "f(r2); its d-derivative at d = 0 (the hypothesis f'(s) f(r0) = f(s) f'(r0)) is "
            "the ODE f' = -lambda f with lambda = -f'(r0)/f(r0), and the fundamental theorem "
            "of calculus applied to (f e^(lambda s))' = 0 gives f(r) = f(r0) e^(-lambda (r - r0)): "
            "the Laplace kernel is the only one."
        ),
        reference=REFERENCE,
    ),
]
