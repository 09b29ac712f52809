"""The kernels are densities, and the gradient of the loss, derived by SymPy for general n.

Theorems (issue 2, section 3, items 1, 3, 4, 5 and the kernel normalization):

* ``kernel_normalized_<name>`` -- every kernel of :mod:`symkde.symbolic.kernels` integrates to 1;
  ``kde_normalized`` -- so does ``p(t)`` for any normalized kernel (general n).
* ``gradient`` / ``gradient_integrated`` -- ``dL/dz_i = S_i - R_i`` per bin, and
  ``S_i - (1/(b-a)) Integral(R_i)`` over ``[a, b]``.
* ``gradient_bounds`` -- ``S_i - 1 <= dL/dz_i <= S_i``.
* ``one_hot`` and ``partial_labels`` -- indicator "kernels" give the ordinary and the
  partial-label ("CC") cross-entropy gradients.

The walk-through is ``derivations/gradient.py``.

>>> sp.cancel(derive_bin_gradient() - collapse(softmax(i) - responsibility(i)))
0
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import mpmath
import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, kappa_of, u
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
    pull_constants_out_of_sums,
    rename_summation_indices,
    responsibility,
    softmax,
    softmax_concrete,
    substitute_indexed,
    symbols_for,
    t,
    within_range,
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
    rewritten,
    unchecked,
)
from symkde.theorems._core import (
    integral_nonnegative as _integral_nonnegative,
)

__all__ = [
    "THEOREMS",
    "apply_deltas",
    "collapse",
    "concretize",
    "derive_bin_gradient",
    "derive_integrated_gradient",
    "differentiates",
    "equal_after",
    "integral_nonnegative",
    "merge_integrals",
    "quadrature",
    "rational_point",
]

REFERENCE = "derivations/gradient.py"

#: The index of the labelled point in the one-hot and partial-label theorems.
l_index = sp.Symbol("l", integer=True, positive=True)
#: Indicator values ``chi_j = 1[j in M]`` of the partial-label set ``M``.
chi = sp.IndexedBase("chi", nonnegative=True)
#: ``b = a + width``: the hypothesis ``a < b`` as a substitution SymPy can use.
width = sp.Symbol("w", positive=True)
#: Hypotheses that SymPy cannot read off the symbols' assumptions; the steps relying on them
#: cite them (``_core.citing``).
I_IN_RANGE = sp.Le(i, n)
L_IN_RANGE = sp.Le(l_index, n)
ORDERED = sp.Lt(a, b)
#: The labelled points carry mass: ``-log sum_{j in M} S_j`` is finite.
LABELLED_MASS = sp.Gt(sp.Sum(softmax(j) * chi[j], (j, 1, n)), 0)


# --------------------------------------------------------------------------- derivation tools


def collapse(expr: sp.Expr, index: sp.Expr = i) -> sp.Expr:
    """Evaluate every ``Sum`` (collapsing Kronecker deltas), resolve ``1 <= index <= n``, and
    pull summation-free factors out of the sums.  Integrals are left unevaluated.

    >>> collapse(sp.Sum(sp.KroneckerDelta(i, j) * 2 * K[j], (j, 1, n)))
    2*K[i]
    """
    summed = expr.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.expand(e).doit())
    return rename_summation_indices(pull_constants_out_of_sums(within_range(summed, index)))


def derive_bin_gradient(
    kernel: sp.Expr | None = None, point: sp.Expr = t, index: sp.Expr = i, **model: Any
) -> sp.Expr:
    """``d/dz_index`` of the per-bin loss ``-log p(t)``, derived by SymPy for general n.

    Args:
        kernel: as in :func:`symkde.symbolic.model.kernel_value` (``None``: abstract values
        ``K[j]``).
        point: the bin.
        index: the component.
        **model: ``logits``, ``positions``, ``count`` passed to the model.

    Returns:
        The derivative after ``Sum.doit`` and pulling constants out of the sums.
    """
    logits = model.get("logits", z)
    return collapse(bin_loss(kernel, point, **model).diff(logits[index]), index)


def derive_integrated_gradient(kernel: sp.Expr = abstract_kernel, **model: Any) -> sp.Expr:
    """``d/dz_i`` of the integrated loss, derived by SymPy (Leibniz rule under the integral)."""
    return collapse(loss(kernel, **model).diff(z[i]))


def concretize(expr: Any, count: int) -> Any:
    """Set ``n = count`` and expand every ``Sum`` (integrals stay unevaluated)."""
    fixed = sp.sympify(expr).subs(n, count)
    return fixed.replace(lambda e: isinstance(e, sp.Sum), lambda e: e.doit())


def rational_point(
    rng: random.Random, symbols: Sequence[sp.Basic], low: int = -3, high: int = 3
) -> dict[sp.Basic, sp.Rational]:
    """Random rationals ``p/q`` (``q <= 7``) in ``[low, high]`` for ``symbols``.

    Positive symbols get values in ``(0, high]``.

    >>> rational_point(random.Random(0), [sp.Symbol("s")])
    {s: 3/7}
    """
    point: dict[sp.Basic, sp.Rational] = {}
    for sym in symbols:
        lo = 0 if getattr(sym, "is_positive", False) else low
        while True:
            q = rng.randint(1, 7)
            value = sp.Rational(rng.randint(lo * q, high * q), q)
            if value != 0 or lo < 0:
                break
        point[sym] = value
    return point


def quadrature(expr: Any, values: Mapping[sp.Basic, Any], dps: int = 50) -> sp.Expr:
    """``expr`` at ``values`` with every ``Integral`` done by mpmath tanh-sinh at ``dps + 10``.

    >>> float(quadrature(sp.Integral(t**2, (t, 0, a)), {a: 3}))
    9.0
    """
    fixed = sp.sympify(expr).subs(values)
    numbers = {}
    with mpmath.workdps(dps + 10):
        for integral in fixed.atoms(sp.Integral):
            ((var, lower, upper),) = integral.limits
            integrand = sp.lambdify(var, integral.function, "mpmath")
            value = mpmath.quad(
                integrand, [mpmath.mpf(sp.Rational(lower)), mpmath.mpf(sp.Rational(upper))]
            )
            numbers[integral] = sp.Float(value, dps + 10)
    return fixed.xreplace(numbers)


def equal_after(
    description: str, lhs: Any, rhs: Any, rewrite: Callable[[Any], Any] = collapse
) -> Step:
    """Step ``lhs == rhs`` checked after an equivalence-preserving ``rewrite`` of both sides.

    The step records the original sides; the rewrite (by default :func:`collapse`: evaluate
    sums, linearity) is SymPy's own.
    """
    return rewritten(description, lhs, rhs, rewrite)


def apply_deltas(expr: sp.Expr) -> sp.Expr:
    """``KroneckerDelta(p, q) f(p) = KroneckerDelta(p, q) f(q)``, applied term by term.

    >>> l = sp.Symbol("l", integer=True)
    >>> apply_deltas(sp.KroneckerDelta(i, l) * (z[i] - z[l]))
    0
    """

    def one_term(term: sp.Expr) -> sp.Expr:
        deltas = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.KroneckerDelta)]
        if not deltas:
            return term
        first, second = deltas[0].args
        rest = sp.Mul(*[f for f in sp.Mul.make_args(term) if f is not deltas[0]])
        return deltas[0] * rest.subs(first, second)

    expanded = sp.expand(collapse(expr))
    return sp.cancel(sp.Add(*[one_term(term) for term in sp.Add.make_args(expanded)]))


def merge_integrals(expr: sp.Expr) -> sp.Expr:
    """Linearity of the integral: write ``expr`` as one integral over the common limits.

    Every term ``c * Integral(f, (t, lo, hi))`` becomes ``Integral(c f)``, and a term ``c``
    free of ``t`` becomes ``Integral(c / (hi - lo))``; the summed integrand is collapsed
    (:func:`collapse`) and cancelled.  Returns 0 when that integrand is 0, the merged integral
    otherwise, and ``expr`` unchanged when its integrals do not share their limits.

    >>> merge_integrals(sp.Integral(t, (t, a, b)) / (b - a) - sp.Integral(t / (b - a), (t, a, b)))
    0
    """
    terms = sp.Add.make_args(sp.expand(collapse(expr)))
    integrals = {term.atoms(sp.Integral).pop().limits for term in terms if term.has(sp.Integral)}
    if len(integrals) != 1:
        return expr
    (limits,) = integrals
    ((var, lower, upper),) = limits
    integrand = sp.Integer(0)
    for term in terms:
        found = term.atoms(sp.Integral)
        if not found:
            if term.has(var):
                return expr
            integrand += term / (upper - lower)
            continue
        (integral,) = found
        coefficient = term / integral
        if coefficient.has(var) or coefficient.has(sp.Integral):
            return expr
        integrand += coefficient * integral.function
    reduced = sp.cancel(collapse(sp.together(integrand)))
    return sp.Integer(0) if reduced == 0 else sp.Integral(reduced, limits[0])


def integral_nonnegative(description: str, integral: sp.Integral, **assumed: Any) -> Step:
    """Step ``integral >= 0`` by monotonicity of the integral (see
    :func:`symkde.theorems._core.integral_nonnegative`); ``assumed`` substitutes real symbols
    by name (e.g. ``b = a + w`` with ``w > 0``)."""
    subs = {sp.Symbol(k, real=True): v for k, v in assumed.items()}
    return _integral_nonnegative(description, integral, subs)


def _witness_values(rng: random.Random, count: int, extra: Sequence[sp.Basic] = ()) -> dict:
    logits = rational_point(rng, [z[m] for m in range(1, count + 1)])
    values = {K[m]: sp.Rational(rng.randint(1, 40), rng.randint(1, 9)) for m in range(1, count + 1)}
    return {**logits, **values, **rational_point(rng, extra)}


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
    yield unchecked(
        "F is the solution of Bessel's equation that is finite at 0 with F(0) = 2 pi (the "
        "steps above), so F(1/h^2) = 2 pi I0(1/h^2)",
        sp.Eq(at_h, factor * bounded.subs(kappa, kappa_of(h))),
        ode,
        "uniqueness: the solution of Bessel's equation finite at 0 is C I0 (not checked by SymPy)",
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


def interchange_lemma(lhs: sp.Integral, exchanged: sp.Sum) -> Lemma:
    """L-interchange: ``Integral(Sum_j f_j) = Sum_j Integral(f_j)`` for finitely many
    integrable ``f_j`` (here ``n`` kernel terms), witnessed for the Gaussian kernel, n = 3."""
    gaussian = sp.Lambda(u, sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi))
    witness = {
        n: 3,
        abstract_kernel.func: gaussian,
        **{z[m]: sp.Rational(m, 3) for m in (1, 2, 3)},
        **{x[m]: sp.Rational(2 * m - 3, 2) for m in (1, 2, 3)},
    }
    return Lemma(
        "L-interchange",
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

    def shift_and_normalize(e: sp.Expr) -> sp.Expr:
        # t = s + x_j in each integral (SymPy's transform), then Integral(K(s)) = 1
        shifted = e.replace(
            lambda q: isinstance(q, sp.Integral), lambda q: q.transform(t, (var + x[j], var))
        )
        normalized = pull_constants_out_of_sums(
            shifted.replace(
                lambda q: isinstance(q, sp.Integral),
                lambda q: sp.factor_terms(q).replace(
                    lambda r: isinstance(r, sp.Integral) and is_hypothesis(r),
                    lambda r: KERNEL_NORMALIZED.rhs,
                ),
            )
        )
        normalized = normalized.doit() if not normalized.has(sp.Sum) else normalized
        return sp.simplify(rename_summation_indices(pull_constants_out_of_sums(normalized)))

    yield citing(
        equal_after(
            "substitute t = s + x_j; each integral is Integral(K) = 1 (hypothesis); Sum S_j = 1",
            exchanged,
            1,
            shift_and_normalize,
        ),
        KERNEL_NORMALIZED,
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


# --------------------------------------------------------------------------- gradient


_GRADIENT_STATEMENT = sp.Eq(sp.Derivative(bin_loss(), z[i]), softmax(i) - responsibility(i))


def _differentiate(e: sp.Expr) -> sp.Expr:
    """SymPy evaluates the derivative ``e`` (not the integrals or sums inside it), then
    :func:`collapse` (which uses ``1 <= i <= n``)."""
    return collapse(e.doit(deep=False))


def differentiates(
    description: str,
    derivative: sp.Expr,
    derived: sp.Expr,
    evaluate: Callable[[sp.Expr], sp.Expr] = _differentiate,
) -> Step:
    """:func:`_core.evaluates` for ``d/dz_i`` of a general-n loss, citing ``i <= n``.

    Summing Kronecker deltas over ``j = 1..n`` picks the ``i``-th term only when
    ``1 <= i <= n`` (:func:`collapse`), so the theorem must state it.
    """
    return citing(evaluates(description, derivative, derived, evaluate), I_IN_RANGE)


def _prove_gradient() -> Iterator[Step]:
    claim = _GRADIENT_STATEMENT.rhs
    derived = derive_bin_gradient()
    yield differentiates(
        "SymPy differentiates -log p(t) for general n", sp.Derivative(bin_loss(), z[i]), derived
    )
    yield equal_after("which is S_i - R_i", derived, claim)
    for count in (1, 2, 3):
        logits = symbols_for("z", count, real=True)
        values = symbols_for("K", count, positive=True)
        loss_n = bin_loss_concrete(logits, values)
        rename = {
            **{z[m + 1]: logits[m] for m in range(count)},
            **{K[m + 1]: values[m] for m in range(count)},
        }
        yield equal(
            f"cross-check n = {count}: diff of the concrete loss vs the claim at every i",
            sp.Matrix([loss_n.diff(v) for v in logits]),
            sp.Matrix([concretize(claim.subs(i, m + 1), count).subs(rename) for m in range(count)]),
        )
    rng = random.Random(1)
    witness = _witness_values(rng, 3)
    yield numeric_witness(
        "n = 3, i = 2 at a random rational point (mpmath, 50 digits)",
        concretize(derived.subs(i, 2), 3),
        concretize(claim.subs(i, 2), 3),
        witness,
    )


_INTEGRATED_STATEMENT = sp.Eq(
    sp.Derivative(loss(), z[i]),
    softmax(i) - sp.Integral(responsibility(i, abstract_kernel), (t, a, b)) / (b - a),
)


def _prove_gradient_integrated() -> Iterator[Step]:
    claim = _INTEGRATED_STATEMENT.rhs
    derived = derive_integrated_gradient()
    yield differentiates(
        "SymPy differentiates L under the integral sign (general n)",
        sp.Derivative(loss(), z[i]),
        derived,
    )
    (integral,) = derived.atoms(sp.Integral)
    per_bin = derive_bin_gradient(abstract_kernel)
    yield equal_after(
        "Leibniz: the integrand of dL/dz_i is -(the per-bin gradient at t)",
        integral.function,
        -per_bin,
    )
    yield citing(
        equal_after(
            "dL/dz_i = S_i - (1/(b-a)) Integral(R_i) (one integral over [a, b], a < b)",
            derived,
            claim,
            merge_integrals,
        ),
        ORDERED,
    )
    gaussian = KERNELS["gaussian"].density
    rng = random.Random(2)
    values = {
        **_witness_values(rng, 2),
        x[1]: sp.Rational(-1, 3),
        x[2]: sp.Rational(5, 4),
        h: sp.Rational(2, 3),
        a: sp.Rational(-1, 2),
        b: sp.Rational(3, 5),
    }

    def swap(e: sp.Expr) -> sp.Expr:
        return e.replace(abstract_kernel.func, lambda arg: gaussian.subs(u, arg))

    yield numeric_witness(
        "n = 2, i = 1, Gaussian kernel: derived vs claim (mpmath quadrature, 50 digits)",
        quadrature(swap(concretize(derived.subs(i, 1), 2)), values),
        quadrature(swap(concretize(claim.subs(i, 1), 2)), values),
        {},
        tol_digits=35,
    )


# --------------------------------------------------------------------------- bounds


def _prove_gradient_bounds() -> Iterator[Step]:
    weight = softmax(i)
    g = derive_bin_gradient()
    resp = collapse(responsibility(i))
    p = collapse(kde())
    others = sp.Sum((1 - sp.KroneckerDelta(i, j)) ** 2 * softmax(j) * K[j], (j, 1, n))
    per_bin = sp.Derivative(bin_loss(), z[i])
    link = differentiates("per bin: SymPy's dL/dz_i (general n)", per_bin, g)
    upper = equal_after("per bin: S_i - dL/dz_i = R_i", weight - g, resp)
    # each sign step is about the very expression the equality before it derived
    upper_sign = holds_true("R_i >= 0 (every S_j, K_j > 0)", sp.Ge(upper.rhs, 0))
    lower = equal_after(
        "per bin: dL/dz_i - (S_i - 1) = sum_{j != i} S_j K_j / p, with 1[j != i] = (1 - delta)^2",
        g - (weight - 1),
        others / p,
    )
    lower_sign = holds_true("sum_{j != i} S_j K_j / p >= 0", sp.Ge(lower.rhs, 0))
    yield from (link, upper, upper_sign, lower, lower_sign)
    yield follows("hence dL/dz_i <= S_i", sp.Le(per_bin, weight), [link, upper, upper_sign])
    yield follows("and S_i - 1 <= dL/dz_i", sp.Le(weight - 1, per_bin), [link, lower, lower_sign])
    # Integrated: dL/dz_i is S_i minus the mean of R_i over [a, b].
    big_g = derive_integrated_gradient()
    integrated = sp.Derivative(loss(), z[i])
    big_link = differentiates("integrated: SymPy's dL/dz_i (general n)", integrated, big_g)
    r_t = responsibility(i, abstract_kernel)
    others_t = sp.Sum(
        (1 - sp.KroneckerDelta(i, j)) ** 2 * softmax(j) * abstract_kernel.subs(u, t - x[j]),
        (j, 1, n),
    )
    upper_gap = sp.Integral(collapse(r_t), (t, a, b))
    big_upper = equal_after(
        "integrated: S_i - dL/dz_i = (1/(b-a)) Integral(R_i)",
        weight - big_g,
        upper_gap / (b - a),
        merge_integrals,
    )
    big_upper_sign = citing(
        integral_nonnegative("Integral(R_i) >= 0 on a < b", upper_gap, b=a + width), ORDERED
    )
    lower_gap = sp.Integral(others_t / kde(abstract_kernel), (t, a, b))
    big_lower = equal_after(
        "integrated: dL/dz_i - (S_i - 1) = (1/(b-a)) Integral(sum_{j != i} S_j K_j / p)",
        big_g - (weight - 1),
        lower_gap / (b - a),
        merge_integrals,
    )
    big_lower_sign = citing(
        integral_nonnegative("that integral is >= 0 on a < b", lower_gap, b=a + width), ORDERED
    )
    yield from (big_link, big_upper, big_upper_sign, big_lower, big_lower_sign)
    yield unchecked(
        "hence dL/dz_i <= S_i (b - a > 0)",
        sp.Le(integrated, weight),
        [big_link, big_upper, big_upper_sign],
        "dividing the integral by b - a > 0 (a < b); not yet a checked combination",
    )
    yield unchecked(
        "and S_i - 1 <= dL/dz_i (b - a > 0)",
        sp.Le(weight - 1, integrated),
        [big_link, big_lower, big_lower_sign],
        "dividing the integral by b - a > 0 (a < b); not yet a checked combination",
    )
    rng = random.Random(3)
    values = _witness_values(rng, 4)
    g4 = concretize(g.subs(i, 3), 4).subs(values)
    s4 = concretize(weight.subs(i, 3), 4).subs(values)
    yield holds_true(
        "witness n = 4, i = 3: S_i - 1 <= g <= S_i at 50 digits",
        sp.And(sp.N(s4 - 1, 50) <= sp.N(g4, 50), sp.N(g4, 50) <= sp.N(s4, 50)),
    )


# --------------------------------------------------------------------------- one-hot and labels


_ONE_HOT_STATEMENT = sp.Eq(
    sp.Derivative(substitute_indexed(bin_loss(), K, lambda m: sp.KroneckerDelta(m, l_index)), z[i]),
    softmax(i) - sp.KroneckerDelta(i, l_index),
)


def _prove_one_hot() -> Iterator[Step]:
    claim = _ONE_HOT_STATEMENT.rhs
    one_hot_loss = collapse(
        substitute_indexed(bin_loss(), K, lambda m: sp.KroneckerDelta(m, l_index)), l_index
    )
    yield equal_after(
        "K_j = delta_jl turns the loss into -log S_l", one_hot_loss, -sp.log(softmax(l_index))
    )
    derived = collapse(one_hot_loss.diff(z[i]))
    yield citing(
        evaluates(
            "dL/dz_i of that loss",
            sp.Derivative(
                substitute_indexed(bin_loss(), K, lambda m: sp.KroneckerDelta(m, l_index)), z[i]
            ),
            derived,
            lambda e: collapse(collapse(e.expr, l_index).diff(*e.variables)),
        ),
        L_IN_RANGE,
        I_IN_RANGE,
    )
    yield citing(
        equal_after("SymPy differentiates -log S_l for general n", derived, claim), I_IN_RANGE
    )
    general = derive_bin_gradient()
    general = collapse(
        substitute_indexed(general, K, lambda m: sp.KroneckerDelta(m, l_index)), l_index
    )
    yield equal_after(
        "the general gradient S_i - R_i with K_j = delta_jl agrees", general, claim, apply_deltas
    )
    for count in range(1, 7):
        logits = symbols_for("z", count, real=True)
        rows_derived, rows_claim = [], []
        for label in range(1, count + 1):
            kernel_values = [sp.Integer(int(m == label)) for m in range(1, count + 1)]
            loss_n = bin_loss_concrete(logits, kernel_values)
            rows_derived.append([loss_n.diff(v) for v in logits])
            stated = concretize(claim.subs(l_index, label), count)
            rows_claim.append(
                [
                    stated.subs(i, m).subs({z[q + 1]: logits[q] for q in range(count)})
                    for m in range(1, count + 1)
                ]
            )
        yield equal(
            f"cross-check n = {count}: every label l and component i",
            sp.Matrix(rows_derived),
            sp.Matrix(rows_claim),
        )
    rng = random.Random(4)
    values = _witness_values(rng, 5)
    for component in (2, 4):
        yield numeric_witness(
            f"n = 5, l = 2, i = {component} at a random rational point",
            concretize(derived.subs({l_index: 2, i: component}), 5),
            concretize(claim.subs({l_index: 2, i: component}), 5),
            values,
        )


_PARTIAL_STATEMENT = sp.Eq(
    sp.Derivative(substitute_indexed(bin_loss(), K, lambda m: chi[m]), z[i]),
    softmax(i) - softmax(i) * chi[i] / sp.Sum(softmax(j) * chi[j], (j, 1, n)),
)


def _prove_partial_labels() -> Iterator[Step]:
    claim = _PARTIAL_STATEMENT.rhs
    derived = collapse(_PARTIAL_STATEMENT.lhs.doit())
    yield differentiates(
        "SymPy differentiates -log sum_{j in M} S_j for general n",
        sp.Derivative(substitute_indexed(bin_loss(), K, lambda m: chi[m]), z[i]),
        derived,
    )
    yield citing(
        equal_after("and the derivative is the claimed gradient", derived, claim),
        I_IN_RANGE,
        LABELLED_MASS,
    )
    count, labelled = 5, (2, 4)
    logits = symbols_for("z", count, real=True)
    weights = softmax_concrete(logits)
    cc_loss = -sp.log(sp.Add(*[weights[m - 1] for m in labelled]))
    indicator = [sp.Integer(int(m in labelled)) for m in range(1, count + 1)]
    yield equal(
        "n = 5, M = {2, 4}: the model with K_j = 1[j in M] is the CC loss",
        bin_loss_concrete(logits, indicator),
        cc_loss,
    )
    stated = [
        concretize(claim.subs(i, m), count).subs(
            {
                **{chi[q + 1]: indicator[q] for q in range(count)},
                **{z[q + 1]: logits[q] for q in range(count)},
            }
        )
        for m in range(1, count + 1)
    ]
    yield equal(
        "n = 5, M = {2, 4}: gradient of the CC loss vs the claim",
        sp.Matrix([cc_loss.diff(v) for v in logits]),
        sp.Matrix(stated),
    )
    one_hot = collapse(
        substitute_indexed(claim, chi, lambda m: sp.KroneckerDelta(m, l_index)), l_index
    )
    yield equal_after(
        "|M| = 1 (chi_j = delta_jl) gives the one-hot gradient S_i - delta_il",
        one_hot,
        _ONE_HOT_STATEMENT.rhs,
        apply_deltas,
    )
    rng = random.Random(5)
    values = {
        **_witness_values(rng, 4),
        **{chi[m]: sp.Integer(int(m in (1, 3))) for m in range(1, 5)},
    }
    yield numeric_witness(
        "n = 4, M = {1, 3}, i = 3 at a random rational point",
        concretize(derived.subs(i, 3), 4),
        concretize(claim.subs(i, 3), 4),
        values,
    )


THEOREMS: list[Theorem] = [
    *[_kernel_theorem(name) for name in KERNELS],
    _KDE_NORMALIZED,
    Theorem(
        name="gradient",
        title="per-bin gradient dL/dz_i = S_i - R_i (general n)",
        statement=_GRADIENT_STATEMENT,
        hypotheses=(sp.Q.positive(K[j]), sp.Q.integer(n), sp.Le(1, i), sp.Le(i, n)),
        prover=_prove_gradient,
        explanation="The gradient of -log p(t) is the softmax weight minus the responsibility.",
        reference=REFERENCE,
    ),
    Theorem(
        name="gradient_integrated",
        title="integrated gradient S_i - (1/(b-a)) Integral(R_i) (general n)",
        statement=_INTEGRATED_STATEMENT,
        hypotheses=(sp.Lt(a, b), sp.Le(1, i), sp.Le(i, n)),
        prover=_prove_gradient_integrated,
        explanation="Differentiating under the integral averages the per-bin gradient over [a, b].",
        reference=REFERENCE,
    ),
    Theorem(
        name="gradient_bounds",
        title="S_i - 1 <= dL/dz_i <= S_i (per bin and integrated)",
        statement=sp.And(
            sp.Le(softmax(i) - 1, _GRADIENT_STATEMENT.lhs),
            sp.Le(_GRADIENT_STATEMENT.lhs, softmax(i)),
            sp.Le(softmax(i) - 1, _INTEGRATED_STATEMENT.lhs),
            sp.Le(_INTEGRATED_STATEMENT.lhs, softmax(i)),
        ),
        hypotheses=(sp.Q.positive(K[j]), sp.Lt(a, b), sp.Le(1, i), sp.Le(i, n)),
        prover=_prove_gradient_bounds,
        explanation="Responsibilities lie in [0, 1], and so does their mean over [a, b].",
        reference=REFERENCE,
    ),
    Theorem(
        name="one_hot",
        title="K_j = delta_jl gives the cross-entropy gradient S_i - delta_il",
        statement=_ONE_HOT_STATEMENT,
        hypotheses=(sp.Le(1, l_index), sp.Le(l_index, n), sp.Le(1, i), sp.Le(i, n)),
        prover=_prove_one_hot,
        explanation="With a one-hot kernel the loss is the ordinary softmax cross-entropy.",
        reference=REFERENCE,
    ),
    Theorem(
        name="partial_labels",
        title="K_j = 1[j in M] gives the partial-label (CC) gradient",
        statement=_PARTIAL_STATEMENT,
        hypotheses=(
            sp.Q.nonnegative(chi[j]),
            sp.Gt(sp.Sum(softmax(j) * chi[j], (j, 1, n)), 0),
            sp.Le(1, i),
            sp.Le(i, n),
        ),
        prover=_prove_partial_labels,
        explanation="An indicator kernel gives the loss -log sum_{j in M} S_j and its gradient.",
        reference=REFERENCE,
    ),
]
