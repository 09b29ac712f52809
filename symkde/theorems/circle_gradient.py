"""Circle, what survives wrapping: the line's gradient theorems for a positive periodic kernel.

The identities need only ``K_circ > 0`` (and ``a < b`` for the arc averages): periodicity
and ``b - a <= 2 pi`` are what make them statements about the circle, and no step uses them,
so they are not listed as hypotheses.

Part of :mod:`symkde.theorems.circle`.  Imports SymPy, :mod:`symkde.symbolic`, the line
theorems it transfers (:mod:`symkde.theorems.gradient`, ``invariance``) and
:mod:`symkde.theorems.circle_closed_forms`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import sympy as sp

import symkde
from symkde.symbolic.kernels import KERNELS, h, u
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
    softmax,
    softmax_concrete,
    substitute_indexed,
    symbols_for,
    t,
    x,
    z,
)
from symkde.theorems._core import (
    Parametrisation,
    Step,
    Theorem,
    equal,
    evaluates,
    holds_true,
    numeric_witness,
)
from symkde.theorems.circle_closed_forms import (
    _CAUCHY_CLOSED,
    _LAPLACE_CLOSED,
    REFERENCE,
    TWO_PI,
    _closed_form,
    kappa,
    wrapped_kernel,
)
from symkde.theorems.gradient import (
    _ONE_HOT_STATEMENT,
    _PARTIAL_STATEMENT,
    L_IN_RANGE,
    ORDERED,
    apply_deltas,
    chi,
    collapse,
    derive_bin_gradient,
    derive_integrated_gradient,
    differentiates,
    equal_after,
    l_index,
    merge_integrals,
)
from symkde.theorems.gradient_model import IN_RANGE, LABEL_IN_RANGE, width
from symkde.theorems.invariance import differentiate_terms, scale, sum_of_integrals

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
    # a < b as b = a + w, w > 0 (checked Parametrisation), lifted back: the step uses a < b
    via = Parametrisation(ORDERED, b, a + width, width, b - a)
    scaled_mean = derive_integrated_gradient(scale * wrapped_kernel)
    plain_mean = derive_integrated_gradient(wrapped_kernel)
    yield via.lift(
        equal_after(
            "integrated over the arc [a, a + w]: unchanged",
            via.apply(scaled_mean),
            via.apply(plain_mean),
            merge_integrals,
        ),
        sp.Eq(scaled_mean, plain_mean),
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
    via = Parametrisation(ORDERED, b, a + width, width, b - a)
    yield via.lift(
        equal_after(
            "over the arc [a, a + w]: sum_i S_i - (1/w) Integral(sum_i R_i) = 1 - 1",
            via.apply(integrated),
            0,
            merge_integrals,
        ),
        sp.Eq(integrated, 0),
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
        # l <= n (n = l + m): the sum over j collapses to its term j = l, -log(c S_l), whose
        # derivative is that of -log S_l; i <= n (n = i + m): that derivative is S_i - delta_il
        log_label = sp.Derivative(-sp.log(softmax(l_index)), z[i])
        same = equal_after(
            "SymPy differentiates the loss with K_circ(t - x_j) = c delta_jl: the derivative "
            "of -log S_l (c cancels) [at n = l + m]",
            LABEL_IN_RANGE.apply(stated_loss),
            LABEL_IN_RANGE.apply(log_label),
            lambda e: collapse(e.doit(), l_index),
        )
        yield LABEL_IN_RANGE.lift(same, sp.Eq(stated_loss, log_label))
        slope = equal_after(
            "SymPy differentiates -log S_l: S_i - delta_il [at n = i + m]",
            IN_RANGE.apply(log_label),
            IN_RANGE.apply(claim),
            lambda e: collapse(e.doit()),
        )
        yield IN_RANGE.lift(slope, sp.Eq(log_label, claim))
        at_bin = substitute_indexed(
            derive_bin_gradient(), K, lambda m: height * sp.KroneckerDelta(m, l_index)
        )
        line = equal_after(
            "the line's gradient with K_j = c delta_jl: S_i - delta_il, the same [at n = l + m]",
            LABEL_IN_RANGE.apply(at_bin),
            LABEL_IN_RANGE.apply(claim),
            lambda e: apply_deltas(collapse(e, l_index)),
        )
        yield LABEL_IN_RANGE.lift(line, sp.Eq(at_bin, claim))
    else:
        claim = _PARTIAL_STATEMENT.rhs
        at_bin = substitute_indexed(derive_bin_gradient(), K, lambda m: height * chi[m])
        yield differentiates(
            "SymPy differentiates -log(c sum_j S_j chi_j) (general n)",
            stated_loss,
            at_bin,
        )
        yield equal_after(
            "K_circ(t - x_j) = c 1[j in M] at the bin: the CC gradient (general n)",
            at_bin,
            claim,
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


#: What the circle theorems below need of K_circ and the arc: positive values and a < b.  The
#: periodicity of K_circ and b - a <= 2 pi make the statements ones about the circle (the bin
#: t + 2 pi is the bin t; the arc passes each point once) but no step uses them: the
#: identities hold for any positive K_circ and any a < b, so they are not hypotheses.
_CIRCLE_HYPOTHESES = (sp.Q.positive(wrapped_kernel), ORDERED)


THEOREMS: list[Theorem] = [
    Theorem(
        name="circle_scale_invariance",
        title="circle: K_circ -> c(t) K_circ leaves the gradient unchanged",
        statement=_SCALE_STATEMENT,
        hypotheses=(*_CIRCLE_HYPOTHESES, sp.Q.positive(scale), sp.Le(1, i), sp.Le(i, n)),
        prover=_prove_scale,
        explanation=(
            "The gradient with a wrapped kernel is the line's gradient with K_j = "
            "K_circ(t - x_j); the proof uses only K_circ > 0 and a < b (the wrapped Laplace, "
            "Cauchy and von Mises kernels are positive; their periodicity and b - a <= 2 pi "
            "make the arc one of the circle, but no step needs them)."
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
        hypotheses=(sp.Q.nonnegative(chi[j]), sp.Le(1, i), sp.Le(i, n)),
        prover=lambda: _prove_labels(one_hot=False),
        explanation=(
            "A wrapped boxcar covering the points of M at a bin gives -log sum_{j in M} S_j."
        ),
        reference=REFERENCE,
    ),
]
