"""The gradient dL/dz_i = S_i - R_i (per bin, integrated), its bounds, one-hot and partial labels.

Part of :mod:`symkde.theorems.gradient`.  Imports SymPy, :mod:`symkde.symbolic`, the proof
machinery and the earlier gradient modules.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

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
    follows,
    holds_true,
    numeric_witness,
    rewritten,
)
from symkde.theorems.gradient_model import (
    IN_RANGE,
    LABEL_IN_RANGE,
    ORDERED,
    REFERENCE,
    _witness_values,
    apply_deltas,
    chi,
    collapse,
    concretize,
    derive_bin_gradient,
    derive_integrated_gradient,
    equal_after,
    integral_nonnegative,
    l_index,
    merge_integrals,
    quadrature,
    width,
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
    """:func:`_core.evaluates` for ``d/dz_i`` of a general-n loss, using ``i <= n``.

    Summing Kronecker deltas over ``j = 1..n`` picks the ``i``-th term only when
    ``1 <= i <= n``, so the theorem must state it: the derivative is evaluated at
    ``n = i + m``, ``m >= 0`` (:data:`IN_RANGE`, where SymPy resolves the range itself) and
    lifted back to general ``n``, which uses the hypothesis.
    """
    inner = evaluates(
        f"{description} [at n = i + m]",
        IN_RANGE.apply(derivative),
        IN_RANGE.apply(derived),
        evaluate,
    )
    return IN_RANGE.lift(inner, sp.Eq(derivative, derived), description)


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
    # merging the terms into one integral divides by b - a: a < b is used as b = a + w, w > 0
    via = Parametrisation(ORDERED, b, a + width, width, b - a)
    merged = equal_after(
        "dL/dz_i = S_i - (1/w) Integral(R_i) over [a, a + w]",
        via.apply(derived),
        via.apply(claim),
        merge_integrals,
    )
    yield merged
    yield via.lift(
        merged,
        sp.Eq(derived, claim),
        "dL/dz_i = S_i - (1/(b-a)) Integral(R_i) (one integral over [a, b], a < b)",
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
    # Integrated: dL/dz_i is S_i minus the mean of R_i over [a, b].  The hypothesis a < b is
    # used as b = a + w, w > 0 (a Parametrisation SymPy checks); dividing the nonnegative
    # integral by b - a is then the multiplier 1/w >= 0 of a checked combination.
    via = Parametrisation(ORDERED, b, a + width, width, b - a)
    integrated = sp.Derivative(loss(), z[i])
    big_g = derive_integrated_gradient()
    r_t = responsibility(i, abstract_kernel)
    others_t = sp.Sum(
        (1 - sp.KroneckerDelta(i, j)) ** 2 * softmax(j) * abstract_kernel.subs(u, t - x[j]),
        (j, 1, n),
    )
    upper_gap = sp.Integral(collapse(r_t), (t, a, b))
    lower_gap = sp.Integral(others_t / kde(abstract_kernel), (t, a, b))
    on_w = via.apply
    big_link = differentiates(
        "integrated: SymPy's dL/dz_i (general n), b = a + w", on_w(integrated), on_w(big_g)
    )
    big_upper = equal_after(
        "integrated: S_i - dL/dz_i = (1/w) Integral(R_i)",
        weight - on_w(big_g),
        on_w(upper_gap) / width,
        merge_integrals,
    )
    big_upper_sign = integral_nonnegative("Integral(R_i) >= 0 on [a, a + w]", on_w(upper_gap))
    big_lower = equal_after(
        "integrated: dL/dz_i - (S_i - 1) = (1/w) Integral(sum_{j != i} S_j K_j / p)",
        on_w(big_g) - (weight - 1),
        on_w(lower_gap) / width,
        merge_integrals,
    )
    big_lower_sign = integral_nonnegative("that integral is >= 0 on [a, a + w]", on_w(lower_gap))
    yield from (big_link, big_upper, big_upper_sign, big_lower, big_lower_sign)
    upper_claim = sp.Le(integrated, weight)
    lower_claim = sp.Le(weight - 1, integrated)
    upper_w = follows(
        "S_i - dL/dz_i = Integral/w with Integral >= 0 and 1/w >= 0",
        on_w(upper_claim),
        [big_link, big_upper, big_upper_sign],
        multipliers=[-1, 1, 1 / width],
    )
    lower_w = follows(
        "dL/dz_i - (S_i - 1) = Integral/w with Integral >= 0 and 1/w >= 0",
        on_w(lower_claim),
        [big_link, big_lower, big_lower_sign],
        multipliers=[1, 1, 1 / width],
    )
    yield upper_w
    yield lower_w
    yield via.lift(upper_w, upper_claim)
    yield via.lift(lower_w, lower_claim)
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
    # l <= n: at n = l + m the sum of delta_jl S_j over j = 1..n is S_l (SymPy resolves the
    # range itself), so the two losses have the same derivative; lifted, it uses l <= n.
    log_label = sp.Derivative(-sp.log(softmax(l_index)), z[i])
    same = rewritten(
        "dL/dz_i of that loss is d/dz_i of -log S_l [at n = l + m]",
        LABEL_IN_RANGE.apply(_ONE_HOT_STATEMENT.lhs),
        LABEL_IN_RANGE.apply(log_label),
        lambda e: collapse(e.doit(), l_index),
        "doit, then collapse the sums",
    )
    yield LABEL_IN_RANGE.lift(same, sp.Eq(_ONE_HOT_STATEMENT.lhs, log_label))
    # i <= n: d/dz_i of sum_j e^(z_j) over j = 1..i + m is e^(z_i); lifted, it uses i <= n
    softmax_slope = rewritten(
        "SymPy differentiates -log S_l for general n [at n = i + m]",
        IN_RANGE.apply(log_label),
        IN_RANGE.apply(claim),
        lambda e: collapse(e.doit()),
        "doit, then collapse the sums",
    )
    yield IN_RANGE.lift(softmax_slope, sp.Eq(log_label, claim))
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
    yield equal_after("and the derivative is the claimed gradient", derived, claim)
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
        # sum_{j in M} S_j > 0 is where the loss is finite, not a hypothesis: -log f has the
        # derivative -f'/f wherever it is defined (f != 0); where f = 0 neither side is
        hypotheses=(sp.Q.nonnegative(chi[j]), sp.Le(1, i), sp.Le(i, n)),
        prover=_prove_partial_labels,
        explanation="An indicator kernel gives the loss -log sum_{j in M} S_j and its gradient.",
        reference=REFERENCE,
    ),
]
