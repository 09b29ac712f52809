"""The Laplace kernel: contraction invariance per bin and on the interval, and the seed's claim.

Theorems (issue 2, section 3, items 7, 8 and 9):

* ``laplace_contraction_bin`` -- moving every point toward the bin ``t`` by the same
  ``0 <= d <= min_j |t - x_j|`` leaves the per-bin gradient unchanged (points on both sides).
* ``laplace_contraction_interval`` -- if no point lies inside ``[a, b]``, moving every point
  toward ``[a, b]`` by ``d`` (at most the closest point's distance to ``[a, b]``:
  ``d + |b - a|/2 <= |c - x_j|``) leaves the integrated and every binned gradient unchanged;
  with all points on one side the per-bin gradient does not depend on ``t``.  It does *not*
  hold once a point enters ``[a, b]``: for ``t`` between two points that move toward each
  other, ``|t - x_j|`` no longer drops by ``d``.
* ``center_claim_bin`` (true) and ``center_claim_interval`` (false, with its counterexample).

Walk-through: ``derivations/laplace_shift.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import mpmath
import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.model import (
    a,
    b,
    bin_loss,
    i,
    j,
    loss,
    n,
    responsibilities_concrete,
    softmax_concrete,
    substitute_indexed,
    t,
    x,
    z,
)
from symkde.theorems._core import (
    Parametrisation,
    Step,
    Theorem,
    by_identity,
    by_parity,
    equal,
    follows,
    holds_true,
    numeric_witness,
    refutation,
    under_integral_between,
)
from symkde.theorems.gradient import (
    ORDERED,
    derive_bin_gradient,
    derive_integrated_gradient,
    differentiates,
    equal_after,
)

__all__ = [
    "THEOREMS",
    "exact_integrated_gradient",
    "move_toward",
    "prove_contraction_invariance",
]

REFERENCE = "derivations/laplace_shift.py"
LAPLACE = KERNELS["laplace"].density

#: The common move ``d > 0`` (``d = 0`` is trivial).
d = sp.Symbol("d", positive=True)
#: ``sigma_j``: point ``j`` lies left of the bin for even ``sigma_j``, right for odd.
sigma = sp.IndexedBase("sigma", integer=True)
#: ``e_j = |t - x_j| - d >= 0``: how much farther than ``d`` point ``j`` is.
excess = sp.IndexedBase("e", nonnegative=True)
#: The target's centre and the closest point's distance to it.
center = (a + b) / 2
closest = sp.Symbol("D", positive=True)
#: The hypothesis of the centre claims: ``D`` is at most every point's distance to the centre
#: (for every j; the claim moves by the closest distance, the largest such D).
CLOSEST_IS_MIN = sp.Le(closest, sp.Abs(center - x[j]))
#: The hypothesis of the interval theorem: every point is outside [a, b], at least ``d`` from
#: it (for every j): ``d + |b - a|/2 <= |c - x_j|``, ``c`` the centre (with ``a < b`` this is
#: ``d <= max(a - x_j, x_j - b)``, the distance to [a, b]).
HALF_WIDTH = sp.Abs(b - a) / 2
WITHIN_CLOSEST = sp.Le(d + HALF_WIDTH, sp.Abs(center - x[j]))


def move_toward(expr: sp.Expr, target: sp.Expr, step: sp.Expr = d) -> sp.Expr:
    """Every position moved toward ``target`` by ``step``: ``x_j + step sign(target - x_j)``.

    >>> move_toward(x[1], 0)
    -d*sign(x[1]) + x[1]
    """
    return substitute_indexed(expr, x, lambda m: x[m] + step * sp.sign(target - x[m]))


def _place(expr: sp.Expr, target: sp.Expr, step: sp.Expr) -> sp.Expr:
    return substitute_indexed(expr, x, lambda m: target - (-1) ** sigma[m] * (step + excess[m]))


def prove_contraction_invariance(
    kernel: sp.Expr,
    point: sp.Expr = t,
    step: sp.Expr = d,
) -> Iterator[Step]:
    """Steps showing (or failing to show) that the per-bin gradient at ``point`` is unchanged
    when every point moves toward it by ``step``, for general n and points on both sides.

    The identity is proved for the points placed as ``x_j = point -+ (step + e_j)`` with
    ``e_j >= 0``, which is every configuration with ``step <= |point - x_j|``: the
    :func:`placement` parametrisation (checked by SymPy) lifts it to the conclusion
    ``move_toward(Derivative(-log p(point), z_i)) = Derivative(-log p(point), z_i)`` and uses
    that hypothesis.

    Used with the Laplace kernel by the theorems below, and with the Gaussian kernel by the
    tests, where the placed identity, and with it the conclusion, must fail.
    """
    plain = derive_bin_gradient(kernel, point)
    moved = move_toward(plain, point, step)
    derivative = sp.Derivative(bin_loss(kernel, point), z[i])
    closer = holds_true(
        "each point lands step closer: |t - x_j'| = |t - x_j| - step",
        sp.Eq(
            sp.Abs(_place(point - move_toward(x[j], point, step), point, step)),
            sp.Abs(_place(point - x[j], point, step)) - step,
        ),
    )
    placed = equal_after(
        "the derived per-bin gradient at the moved points equals the original (general n)",
        _place(moved, point, step),
        _place(plain, point, step),
    )
    yield from (closer, placed)
    yield differentiates(
        "SymPy's per-bin gradient at the moved points", move_toward(derivative, point, step), moved
    )
    yield differentiates("and at the original points", derivative, plain)
    # every configuration with step <= |point - x_j| is x_j = point -+ (step + e_j), e_j >= 0:
    # a Parametrisation with sign branches, checked by SymPy, lifts the identity
    yield placement(point, step).lift(placed, sp.Eq(moved, plain))


def placement(point: sp.Expr, step: sp.Expr) -> Parametrisation:
    """``step <= |point - x_j|`` as ``x_j = point -+ (step + e_j)``, ``e_j >= 0`` (sign
    ``sigma_j``: even left of ``point``, odd right), checked by SymPy in both branches."""
    return Parametrisation(
        sp.Le(step, sp.Abs(point - x[j])),
        x[j],
        point - (-1) ** sigma[j] * (step + excess[j]),
        excess[j],
        sp.Abs(point - x[j]) - step,
        apply_to=lambda e: _place(e, point, step),
        branches=(
            ({sigma[j]: 0}, sp.Q.nonnegative(point - x[j])),
            ({sigma[j]: 1}, sp.Q.nonnegative(x[j] - point)),
        ),
    )


def _prove_contraction_bin() -> Iterator[Step]:
    yield from prove_contraction_invariance(LAPLACE)
    one_side = {sigma[j]: 0}
    yield equal(
        "all points left of t (sigma_j = 0): the move is the translation x_j -> x_j + d",
        _place(move_toward(x[j], t), t, d).subs(one_side) - _place(x[j], t, d).subs(one_side),
        d,
    )
    values = {
        z[1]: sp.Rational(1, 3),
        z[2]: sp.Rational(-1, 2),
        z[3]: 2,
        x[1]: sp.Rational(-5, 2),
        x[2]: sp.Rational(7, 3),
        x[3]: 4,
        t: sp.Rational(1, 4),
        h: sp.Rational(3, 4),
        d: sp.Rational(6, 5),
    }
    g = derive_bin_gradient(LAPLACE).subs(n, 3).doit().subs(i, 2)
    yield numeric_witness(
        "n = 3, points on both sides, d = 6/5: gradient before and after",
        move_toward(g, t).subs(values),
        g.subs(values),
        {},
    )


def _integrated(
    positions: Sequence[sp.Expr],
    lo: sp.Expr,
    hi: sp.Expr,
    component: int = 0,
    logits: Sequence[sp.Expr] | None = None,
    bandwidth: sp.Expr = 1,
) -> sp.Expr:
    return exact_integrated_gradient(
        logits or [0] * len(positions), positions, lo, hi, component, bandwidth
    )


def exact_integrated_gradient(
    logits: Sequence[sp.Expr],
    positions: Sequence[sp.Expr],
    lower: sp.Expr,
    upper: sp.Expr,
    component: int = 0,
    bandwidth: sp.Expr = 1,
) -> sp.Expr:
    """``S_i - (1/(b-a)) Integral(R_i)`` for the Laplace kernel at numbers, integrated by SymPy.

    The interval is split at every point inside it; on each piece every ``|t - x_j|`` has a
    fixed sign (read off at the piece's midpoint), so SymPy integrates a smooth expression.

    >>> sp.N(exact_integrated_gradient([0, 0], [3, 5], -1, 1), 8)
    -0.38079708
    """
    kinks = sorted({p for p in positions if lower < p < upper})
    edges = [lower, *kinks, upper]
    values = [LAPLACE.subs({u: t - p, h: bandwidth}) for p in positions]
    resp = responsibilities_concrete(logits, values)[component]
    total = sp.Integer(0)
    for lo, hi in itertools.pairwise(edges):
        mid = (lo + hi) / 2

        def resolve(e: sp.Abs, mid: sp.Expr = mid) -> sp.Expr:
            return e.args[0] if e.args[0].subs(t, mid) > 0 else -e.args[0]

        smooth = resp.replace(lambda e: isinstance(e, sp.Abs), resolve)
        total += sp.integrate(sp.simplify(smooth), (t, lo, hi))
    return softmax_concrete(logits)[component] - total / (upper - lower)


def _quadrature(logits: Sequence[int], positions: Sequence[int], lo: int, hi: int) -> mpmath.mpf:
    """The same gradient component by mpmath tanh-sinh, split at the kinks (independent check)."""
    with mpmath.workdps(60):
        weights = [mpmath.exp(v) for v in logits]
        total_w = mpmath.fsum(weights)

        def resp(s: mpmath.mpf) -> mpmath.mpf:
            kern = [w * mpmath.exp(-abs(s - p)) for w, p in zip(weights, positions, strict=True)]
            return kern[0] / mpmath.fsum(kern)

        edges = [lo, *sorted({p for p in positions if lo < p < hi}), hi]
        return weights[0] / total_w - mpmath.quad(resp, edges) / (hi - lo)


def _prove_contraction_interval() -> Iterator[Step]:
    plain = derive_integrated_gradient(LAPLACE)
    moved = move_toward(plain, center)
    derivative = sp.Derivative(loss(LAPLACE), z[i])
    yield differentiates(
        "SymPy's integrated gradient at the points moved toward the centre of [a, b]",
        move_toward(derivative, center),
        moved,
    )
    yield differentiates("and at the original points", derivative, plain)
    yield from _interval_identity(moved, plain)
    yield from _interval_examples()


def _interval_identity(moved: sp.Expr, plain: sp.Expr) -> Iterator[Step]:
    """``moved = plain`` (the integrated gradients, general n), every inference checked.

    The hypothesis ``d + |b - a|/2 <= |c - x_j|`` is the placement ``x_j = c -+ (d + |b - a|/2
    + e_j)`` (:func:`placement` about the centre).  At every bin ``t = a + tau`` of
    ``[a, b] = [a, a + tau + kappa]`` (``tau, kappa >= 0``) each moved kernel value is
    ``exp(d/h)`` times the kernel value, proved in both sign branches (:func:`by_parity`);
    replaced in the integrand (:func:`by_identity`), the scale cancels, and the integrands
    agree on all of ``[a, b]`` (:func:`under_integral_between`, with ``b >= a`` from
    ``a < b``).
    """
    via = placement(center, d + HALF_WIDTH)
    gaps = sp.Symbol("tau", nonnegative=True), sp.Symbol("kappa", nonnegative=True)
    inside = {t: a + gaps[0], b: a + gaps[0] + gaps[1]}

    def at_bin(expr: sp.Expr) -> sp.Expr:
        return sp.sympify(expr).subs(inside, simultaneous=True)

    def kernel(position: sp.Expr) -> sp.Expr:
        return sp.exp(-sp.Abs(t - position) / h)

    per_point = sp.Eq(
        at_bin(via.apply(kernel(move_toward(x[j], center)))),
        sp.exp(d / h) * at_bin(via.apply(kernel(x[j]))),
    )
    cases = [
        equal(
            f"sigma_j = {side}: the moved kernel value at t = a + tau is exp(d/h) times the "
            f"kernel value ({'left' if side == 0 else 'right'} of [a, b])",
            per_point.lhs.subs(sigma[j], side),
            per_point.rhs.subs(sigma[j], side),
        )
        for side in (0, 1)
    ]
    point = by_parity(
        "so for every point: K(t - x_j') = exp(d/h) K(t - x_j) at every bin t in [a, b]",
        per_point,
        sigma[j],
        *cases,
    )
    (moved_integral,) = via.apply(moved).atoms(sp.Integral)
    (plain_integral,) = via.apply(plain).atoms(sp.Integral)
    integrand = at_bin(moved_integral.function)
    scaled = integrand.xreplace(
        {per_point.lhs.xreplace({j: m}): per_point.rhs.xreplace({j: m}) for m in (j, i)}
    )
    swap = by_identity(
        "in the integrand of dL/dz_i, every moved kernel value is exp(d/h) times the kernel "
        "value (general n)",
        integrand,
        scaled,
        point,
        j,
    )
    scale = equal_after(
        "a common factor exp(d/h) cancels (R_i is scale invariant)",
        scaled,
        at_bin(plain_integral.function),
    )
    premise = follows(
        "the integrand is unchanged at every bin t = a + tau, b = t + kappa",
        sp.Eq(integrand, at_bin(plain_integral.function)),
        [swap, scale],
        multipliers=[1, 1],
    )
    order = follows("b - a >= 0 (a < b)", sp.Ge(b - a, 0), [ORDERED])
    between = under_integral_between(
        "so the integrands agree on [a, b], and so do the integrals",
        moved_integral,
        plain_integral.function,
        premise,
        gaps,
        order,
    )
    placed = follows(
        "the integrated gradients at the placed points agree",
        sp.Eq(via.apply(moved), via.apply(plain)),
        [between],
        multipliers=[1 / (a - b)],
    )
    yield from (*cases, point, swap, scale, premise, order, between, placed)
    yield via.lift(
        placed,
        sp.Eq(moved, plain),
        "for every configuration with no point in [a, b] and d <= its distance to [a, b]",
    )


def _interval_examples() -> Iterator[Step]:
    r = sp.Symbol("r", nonnegative=True)
    offsets = sp.IndexedBase("g", positive=True)
    one_sided = substitute_indexed(derive_bin_gradient(LAPLACE), x, lambda m: b + offsets[m])
    one_sided = one_sided.subs(t, b - r)
    yield equal_after(
        "all points right of [a, b]: the per-bin gradient does not depend on t",
        one_sided.diff(r),
        0,
    )
    # Points on both sides, so the example is not a mere translation (which would keep the
    # gradient for any kernel and any interval).
    before = _integrated([-3, 4], -1, 1)
    after = _integrated([-2, 3], -1, 1)
    yield equal(
        "example h = 1, [-1, 1], x = (-3, 4) -> (-2, 3), one point on each side: exact "
        "integrated gradients agree",
        before,
        after,
    )


def _prove_center_bin() -> Iterator[Step]:
    # D is the closest point's distance to the centre, so D <= |c - x_j| for every j
    yield from prove_contraction_invariance(LAPLACE, center, closest)
    bin_gradient = derive_bin_gradient(LAPLACE, 0).subs(n, 2).doit().subs(i, 1)
    example = {z[1]: 0, z[2]: 0, h: 1}
    before = bin_gradient.subs({**example, x[1]: 3, x[2]: 5})
    after = bin_gradient.subs({**example, x[1]: 0, x[2]: 2})
    yield equal(
        "example h = 1, bin t = 0, x = (3, 5) -> (0, 2): exact per-bin gradients agree",
        before,
        after,
    )


def _prove_center_interval() -> Iterator[Step]:
    yield from _center_interval_steps()


def _center_interval_steps() -> Iterator[Step]:
    before = exact_integrated_gradient([0, 0], [3, 5], -1, 1)
    after = exact_integrated_gradient([0, 0], [0, 2], -1, 1)
    yield numeric_witness(
        "mpmath quadrature confirms the exact value before the move",
        before,
        sp.Float(_quadrature([0, 0], [3, 5], -1, 1), 55),
        {},
        tol_digits=40,
    )
    yield numeric_witness(
        "mpmath quadrature confirms the exact value after the move",
        after,
        sp.Float(_quadrature([0, 0], [0, 2], -1, 1), 55),
        {},
        tol_digits=40,
    )
    yield holds_true(
        "the issue's figures: about -0.38080 before and -0.29884 after",
        sp.And(
            sp.Abs(sp.N(before, 30) + sp.Rational(38080, 10**5)) < 10**-5,
            sp.Abs(sp.N(after, 30) + sp.Rational(29884, 10**5)) < 10**-5,
        ),
    )
    yield refutation(
        "h = 1, [a, b] = [-1, 1], z = (0, 0), x = (3, 5) moved toward the centre by D = 3 to "
        "(0, 2): the first integrated gradient component changes",
        _INTERVAL_STATEMENT.subs(d, closest),
        COUNTEREXAMPLE,
        _reference_sides,
        evaluate=_exact_side,
        stored=(after, before),
    )


#: The exact inputs of ``center_claim_interval``'s counterexample.
COUNTEREXAMPLE = {
    n: 2, i: 1, h: 1, a: -1, b: 1, closest: 3, z[1]: 0, z[2]: 0, x[1]: 3, x[2]: 5
}  # fmt: skip


def _moved(values: Mapping[Any, Any]) -> list:
    c = (values[a] + values[b]) / 2
    return [
        values[x[m]] + values[closest] * sp.sign(c - values[x[m]])
        for m in range(1, int(values[n]) + 1)
    ]


def _exact_side(side: sp.Expr, values: Mapping[Any, Any]) -> sp.Expr:
    """A side of the statement at ``values``, by SymPy: the moved side is the one whose
    positions carry ``sign`` (``move_toward``); the gradient is SymPy's exact integral."""
    count = int(values[n])
    logits = [values[z[m]] for m in range(1, count + 1)]
    positions = [values[x[m]] for m in range(1, count + 1)]
    if side.has(sp.sign):
        positions = _moved(values)
    component = int(values[i]) - 1
    return exact_integrated_gradient(logits, positions, values[a], values[b], component, values[h])


def _reference_sides(values: Mapping[Any, Any]) -> tuple[Any, Any]:
    """Both sides re-computed by ``symkde.reference`` (mpmath, 50 digits)."""
    from symkde import reference

    count = int(values[n])
    logits = [mpmath.mpf(0) + sp.Rational(values[z[m]]) for m in range(1, count + 1)]
    grads = []
    for positions in (_moved(values), [values[x[m]] for m in range(1, count + 1)]):
        _, g = reference.loss_and_grad(
            [float(v) for v in logits], [float(p) for p in positions], float(values[a]),
            float(values[b]), kernel="laplace", bandwidth=float(values[h]), dps=50,
        )  # fmt: skip
        grads.append(g[int(values[i]) - 1])
    return grads[0], grads[1]


_BIN_STATEMENT = sp.Eq(
    move_toward(sp.Derivative(bin_loss(LAPLACE), z[i]), t),
    sp.Derivative(bin_loss(LAPLACE), z[i]),
)
_INTERVAL_STATEMENT = sp.Eq(
    move_toward(sp.Derivative(loss(LAPLACE), z[i]), center),
    sp.Derivative(loss(LAPLACE), z[i]),
)


THEOREMS: list[Theorem] = [
    Theorem(
        name="laplace_contraction_bin",
        title="Laplace: moving all points toward the bin by d keeps the per-bin gradient",
        statement=_BIN_STATEMENT,
        hypotheses=(sp.Ge(d, 0), sp.Le(d, sp.Abs(t - x[j])), sp.Le(1, i), sp.Le(i, n)),
        prover=_prove_contraction_bin,
        explanation=(
            "Every |t - x_j| drops by d, so every Laplace kernel value is multiplied by "
            "exp(d/h); by scale invariance the gradient is unchanged.  Points may lie on both "
            "sides of t.  With all points on one side the move is a translation."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="laplace_contraction_interval",
        title="Laplace: no point in [a, b] -> moving toward [a, b] keeps the integrated gradient",
        statement=_INTERVAL_STATEMENT,
        hypotheses=(
            sp.Lt(a, b),
            sp.Ge(d, 0),
            WITHIN_CLOSEST,
            sp.Le(1, i),
            sp.Le(i, n),
        ),
        prover=_prove_contraction_interval,
        explanation=(
            "Holds when no point lies inside [a, b] and d is at most the closest point's "
            "distance to [a, b] (the hypothesis d + |b - a|/2 <= |c - x_j|, c the centre): "
            "then every bin t in [a, b] sees every point move toward it by d, and every kernel "
            "value is multiplied by exp(d/h).  General n; every step checked.  Fails in general "
            "once a point is inside [a, b] (see center_claim_interval)."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="center_claim_bin",
        title="seed's claim, single bin at the centre: true",
        statement=_BIN_STATEMENT.subs({t: center, d: closest}),
        hypotheses=(CLOSEST_IS_MIN, sp.Le(1, i), sp.Le(i, n)),
        prover=_prove_center_bin,
        explanation="For the bin at the centre this is laplace_contraction_bin with d = D.",
        reference=REFERENCE,
    ),
    Theorem(
        name="center_claim_interval",
        title="seed's claim, loss over [a, b]: false once a point passes the interval's edge",
        statement=_INTERVAL_STATEMENT.subs(d, closest),
        hypotheses=(CLOSEST_IS_MIN, sp.Le(1, i), sp.Le(i, n)),
        prover=_prove_center_interval,
        expected=False,
        explanation=(
            "Shifting by the centre distance moves the closest point to the centre, inside "
            "[a, b]; bins between the points no longer see a uniform contraction, and the "
            "integrated gradient changes (h = 1, [-1, 1], x = (3, 5) -> (0, 2): -0.38080 -> "
            "-0.29884)."
        ),
        reference=REFERENCE,
    ),
]
