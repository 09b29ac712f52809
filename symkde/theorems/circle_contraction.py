"""Circle, Laplace contraction: the line's shift invariance fails, and by how much (the bound).

Part of :mod:`symkde.theorems.circle`.  Imports SymPy, mpmath, :mod:`symkde.symbolic`,
``symkde.reference`` (independent re-computation of the refutation) and the earlier circle
modules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import sympy as sp

import symkde
from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.model import (
    K,
    bin_loss,
    i,
    j,
    n,
    responsibility,
    softmax_concrete,
    substitute_indexed,
    symbols_for,
    z,
)
from symkde.theorems._core import (
    Parametrisation,
    Step,
    Theorem,
    absolute_bound,
    citing,
    equal,
    evaluates,
    follows,
    holds_true,
    refutation,
)
from symkde.theorems.circle_closed_forms import (
    _LAPLACE_CLOSED,
    REFERENCE,
    TWO_PI,
    _without_turns,
)
from symkde.theorems.circle_gradient import (
    _indicator_gradient,
)
from symkde.theorems.circle_quotient import quotient_steps, share
from symkde.theorems.gradient import (
    derive_bin_gradient,
    differentiates,
    equal_after,
)
from symkde.theorems.invariance import differentiate_terms

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


def _parametrised(hypothesis: sp.Basic, old: sp.Expr, value: sp.Expr, fresh: sp.Symbol,
                  inverse: sp.Expr) -> Parametrisation:  # fmt: skip
    return Parametrisation(hypothesis, old, value, fresh, inverse)


#: ``d <= r_j`` as ``r_j = d + e``, ``e >= 0``.
_MOVE_SHORT_AS = _parametrised(
    _MOVE_SHORT, distances[j], move + sp.Symbol("e", nonnegative=True),
    sp.Symbol("e", nonnegative=True), distances[j] - move,
)  # fmt: skip


def _below(hypothesis: sp.Basic, old: sp.Expr, top: sp.Expr, name: str) -> Parametrisation:
    """``old <= top`` as ``old = top - slack``, ``slack >= 0``."""
    slack = sp.Symbol(name, nonnegative=True)
    return _parametrised(hypothesis, old, top - slack, slack, top - old)


def _lifted(claim: sp.Basic, chain: Sequence[Parametrisation], why: str) -> Step:
    """``claim`` decided by SymPy after the parametrisations of ``chain`` (in order), lifted
    back through each (every hypothesis of the chain is then used)."""
    stages = [claim]
    for via in chain:
        stages.append(via.apply(stages[-1]))
    step = holds_true(why, stages[-1])
    for via, stage in zip(reversed(chain), reversed(stages[:-1]), strict=True):
        step = via.lift(step, stage, why)
    return step


def _distance_steps(uppers: Sequence[Parametrisation], source: str) -> Iterator[Step]:
    """The statement's kernel values are the wrapped Laplace kernel at the points.

    The closed form at offset ``u`` in ``[0, 2 pi)`` is ``wrapped_laplace_of_distance(u)``
    (``Mod(u, 2 pi) = u``): for ``u = r_j`` and for ``u = r_j - d``, which is ``>= 0`` as
    ``d <= r_j``; ``uppers`` write ``r_j < 2 pi`` (from ``source``, hypotheses) with
    parametrisations, so the hypotheses are used, not cited.
    """
    for value, lower, why in (
        (distances[j], [], "r_j > 0"),
        (distances[j] - move, [_MOVE_SHORT_AS], "r_j - d = e >= 0 (d <= r_j)"),
    ):
        whole_turns = sp.floor(value / TWO_PI)
        # SymPy reads floor(y) >= 0 as y >= 0 and floor(y) < 1 as y < 1 as it builds them
        # (True where the symbols' assumptions decide it)
        bounds = [
            (whole_turns >= 0, lower, f"floor >= 0: {why}"),
            (whole_turns < 1, uppers, f"floor < 1: {source}"),
        ]
        parts = [_lifted(c, chain, text) for c, chain, text in bounds if c is not sp.true]
        parts.append(
            holds_true(
                "the only integer in [0, 1) is 0",
                sp.Eq(sp.Intersection(sp.S.Integers, sp.Interval.Ropen(0, 1)), sp.FiniteSet(0)),
            )
        )
        yield from parts
        floor_step = follows(
            f"floor(({sp.sstr(value)})/(2 pi)) is an integer in [0, 1), so 0",
            sp.And(*[c for c, _, _ in bounds]),
            parts[:-1],
        )
        yield floor_step
        yield evaluates(
            f"so the wrapped Laplace kernel at offset {sp.sstr(value)} is "
            f"wrapped_laplace_of_distance({sp.sstr(value)}), the value in the statement",
            _LAPLACE_CLOSED.subs(u, value),
            wrapped_laplace_of_distance(value),
            partial(_without_turns, value=value, floor_step=floor_step),
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
    yield from _distance_steps([_below(_WITHIN_HALF, distances[j], sp.pi, "f")], "r_j <= pi")
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


def _prove_bound() -> Iterator[Step]:
    yield from _distance_steps(
        [
            _below(_WITHIN_LARGEST, distances[j], largest, "f"),
            _below(_LARGEST_WITHIN_HALF, largest, sp.pi, "g"),
        ],
        "r_j <= r_max <= pi",
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
    # General n: each K_j is multiplied by exp(d/h) (1 - eps_j), 0 < eps_j <= eta (checked).
    quotient = list(
        quotient_steps(
            lambda r: eps_sinh.subs(distance, r),
            lambda r: _EPS.subs(distance, r),
            _before,
            distances,
            largest,
            _WITHIN_LARGEST,
            move,
        )
    )
    yield from quotient
    moved_c, below, above = quotient[-6], quotient[-2], quotient[-1]
    eps = share
    moved = substitute_indexed(
        responsibility(i), K, lambda m: K[m] * sp.exp(move / h) * (1 - eps[m])
    )
    plain = derive_bin_gradient()
    after = substitute_indexed(plain, K, lambda m: K[m] * sp.exp(move / h) * (1 - eps[m]))
    yield equal_after(
        "g_i' - g_i = R_i - R_i' (general n, any K_j > 0 and eps_j)",
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
    ]
    yield from links
    change = links[1].lhs - links[0].lhs
    limit = _RESPONSIBILITY_BEFORE * eta_value / (1 - eta_value)
    gap = _RESPONSIBILITY_BEFORE - moved_c.rhs
    difference = follows(
        "g_i' - g_i = X = R_i - R_i (1 - eps_i)/(1 - T) (the links and R_i' at the points)",
        sp.Eq(change, gap),
        [links[0], links[1], links[2], moved_c],
        multipliers=[-1, 1, 1, -1],
    )
    sides = [
        follows("g_i' - g_i <= B", sp.Le(change, limit), [difference, below], multipliers=[-1, 1]),
        follows("-B <= g_i' - g_i", sp.Le(-limit, change), [difference, above], multipliers=[1, 1]),
    ]
    yield from (difference, *sides)
    yield absolute_bound(
        "|g_i' - g_i| <= R_i eta / (1 - eta)", sp.Le(sp.Abs(change), limit), *sides
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


THEOREMS: list[Theorem] = [
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
            "eps(r_max) < exp(-2 (pi - r_max)/h) (eps increases with the distance; general n, "
            "every step checked): the gradient moves by a relative amount of "
            "order exp(-2 (pi - r_max)/h) -- negligible for points well inside the half circle "
            "at small h, of order one for a point near the antipode of the bin."
        ),
        reference=REFERENCE,
    ),
]
