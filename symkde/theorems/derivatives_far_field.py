"""The far field in the positions: every point on one side outside the target (general n).

For a symmetric kernel ``K(u) = f(|u|)`` and a point at distance ``r = x_j - t > 0`` to the
right of every ``t`` in ``[a, b]``, ``(log K)'(t - x_j) = psi(r)`` with ``psi = -(log f)'``,
so ``dL/dx_j = (1/(b-a)) Integral(R_j psi(x_j - t))`` and ``sum_j dL/dx_j`` is an average of
``psi`` over distances that all exceed the gap ``D``.  How ``psi`` behaves far away decides how
far points learn (theorems, one per kernel family, positions written ``x_j = b + d_j`` or
``x_j = a - d_j`` with ``d_j > 0``, so that ``d/dd_j = +-d/dx_j``):

* ``far_field_positions`` -- any ``f``: ``sum_j dL/dx_j = (1/(b-a)) Integral_0^{b-a}
  sum_j R_j psi(s + d_j) ds`` (``s = b - t``), the R-weighted mean of ``psi`` at the points'
  distances;
* ``far_field_positions_laplace`` -- ``psi = 1/h``: ``dL/dx_j = +-R_j/h`` with
  ``R_j = S_j e^{-d_j/h} / sum_k S_k e^{-d_k/h}`` constant in ``t``; ``sum_j dL/dx_j = +-1/h``
  exactly (proved on the right; the left is the mirror image), and as every term is positive
  (SymPy decides it) and each is at most the sum (lemma ``L-share``: SymPy cannot split a sum
  of symbolic length at a symbolic index), ``0 < +-dL/dx_j <= 1/h`` whatever the distance, as
  checked steps; a common shift of the
  ``d_j`` leaves every ``R_j`` unchanged (a checked step);
* ``far_field_psi`` -- ``psi`` derived by SymPy for each family: Laplace ``1/h``; Gaussian
  ``r/h^2``, so ``psi(r) >= D/h^2`` for ``r >= D`` and ``h^2 psi(D + c)/D -> 1`` (the pull
  grows like ``D/h^2``); Cauchy ``2r/(r^2 + h^2)``, so ``psi(r) <= 2/D`` for ``r >= D`` and
  ``D psi(D + c) -> 2`` (it decays like ``2/D``).  With ``derivative_position`` this bounds
  ``sum_j dL/dx_j``, an average of ``psi`` at distances ``>= D``; the bound on that average
  at general n is theorem ``far_field_mean_bounds`` (:mod:`symkde.theorems.derivatives_far_bounds`).

The differentiation under the integral rests on lemma L-interchange
(:mod:`symkde.theorems.derivatives`).  Imports SymPy and the symbolic model only.
Walk-through: ``derivations/derivatives.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.model import (
    a,
    b,
    i,
    j,
    loss,
    n,
    pull_constants_out_of_sums,
    responsibility,
    softmax,
    substitute_indexed,
    t,
    x,
    z,
)
from symkde.theorems._core import (
    Lemma,
    Step,
    Theorem,
    by_lemma,
    evaluates,
    follows,
    holds_true,
    nonnegative,
)
from symkde.theorems.derivatives import IN_RANGE, lemma_step, plain
from symkde.theorems.gradient import I_IN_RANGE, collapse, equal_after
from symkde.theorems.invariance import sum_of_integrals

__all__ = ["THEOREMS", "far_loss", "gap", "offsets", "psi"]

REFERENCE = "derivations/derivatives.py"

#: Distances of the points beyond the target's edge (``x_j = b + d_j`` or ``a - d_j``).
offsets = sp.IndexedBase("d", positive=True)
#: The gap: every distance considered is at least ``D``.
gap = sp.Symbol("D", positive=True)
#: The distance from the edge to the bin, ``s = b - t`` (or ``t - a``), ``s >= 0`` on the target.
s = sp.Symbol("s", nonnegative=True)
r = sp.Symbol("r", positive=True)


def psi(name: str) -> sp.Expr:
    """``psi(r) = -(d/dr) log K(r)`` for ``r > 0``, derived by SymPy.

    >>> psi("laplace"), psi("gaussian")
    (1/h, r/h**2)
    """
    return sp.simplify(-sp.log(KERNELS[name].density.subs(u, r)).diff(r))


def far_loss(kernel: sp.Expr, side: str = "right") -> sp.Expr:
    """The loss with ``x_j = b + d_j`` (``side="right"``) or ``x_j = a - d_j`` (``"left"``)."""
    if side == "right":
        return substitute_indexed(loss(kernel), x, lambda m: b + offsets[m])
    return substitute_indexed(loss(kernel), x, lambda m: a - offsets[m])


def _from_edge(expr: sp.Expr, side: str) -> sp.Expr:
    """Change of variables ``t = b - s`` (right) or ``t = a + s`` (left) in every integral
    (SymPy's ``Integral.transform``), then each integrand tidied (exponentials combined,
    factors free of the summation index pulled out of the sums, cancelled)."""
    edge = b - s if side == "right" else a + s
    moved = sp.sympify(expr).replace(
        lambda q: isinstance(q, sp.Integral), lambda q: q.transform(t, (edge, s))
    )
    tidied = moved.replace(
        lambda q: isinstance(q, sp.Integral),
        lambda q: sp.Integral(
            sp.cancel(pull_constants_out_of_sums(sp.powsimp(sp.expand(q.function), combine="exp"))),
            *q.limits,
        ),
    )
    # orientation: Integral over (s, w, 0) is -Integral over (s, 0, w)
    return tidied.replace(
        lambda q: isinstance(q, sp.Integral) and q.limits[0][2] == 0 and q.limits[0][1] != 0,
        lambda q: -sp.Integral(q.function, (q.limits[0][0], 0, q.limits[0][1])),
    )


def _laplace_derivative(side: str) -> Callable[[sp.Expr], sp.Expr]:
    def derive(e: sp.Expr) -> sp.Expr:
        derived = collapse(e.doit(deep=False))
        return collapse(sp.cancel(_from_edge(derived, side).doit()))

    return derive


def _against(derive: Callable[[sp.Expr], sp.Expr], right: sp.Expr) -> Callable[[sp.Expr], sp.Expr]:
    """Evaluate by ``derive``, then compare with ``right`` after :func:`collapse` (the step
    closes iff ``collapse(derive(e) - right)`` is 0)."""

    def evaluate(e: sp.Expr) -> sp.Expr:
        return collapse(derive(e) - right) + right

    return evaluate


# --------------------------------------------------------------------------- any symmetric kernel

#: A symmetric kernel ``K(u) = f(|u|)`` with ``f`` positive (general n).
radial = sp.Function("f", positive=True)
_F_LOSS = far_loss(radial(sp.Abs(u)), "right")


def psi_at(distance: sp.Expr) -> sp.Expr:
    """``psi(distance) = -(log f)'(distance)``, unevaluated."""
    return sp.Subs(sp.Derivative(-sp.log(radial(r)), r), r, distance)


_F_R = substitute_indexed(responsibility(i, radial(sp.Abs(u))), x, lambda m: b + offsets[m])
_F_SUM = sp.Sum(sp.Derivative(_F_LOSS, offsets[i]), (i, 1, n))
GENERAL = sp.Eq(
    _F_SUM,
    sp.Integral(sp.Sum(_F_R.subs(t, b - s) * psi_at(s + offsets[i]), (i, 1, n)), (s, 0, b - a))
    / (b - a),
)


def _prove_general() -> Iterator[Step]:
    lemma = lemma_step()
    yield lemma

    def derive(e: sp.Expr) -> sp.Expr:
        term = collapse(e.function.doit(deep=False))  # 1 <= i <= n: the sum's range
        return plain(sum_of_integrals(sp.Sum(_from_edge(term, "right"), *e.limits)) - GENERAL.rhs)

    inner = evaluates(
        "SymPy differentiates L in each d_i; t = b - s (s >= 0): (log K)'(t - x_i) = "
        "psi(s + d_i), and the sum moves under the integral",
        _F_SUM,
        GENERAL.rhs,
        lambda e: derive(e) + GENERAL.rhs,
    )
    yield inner
    yield follows("this rests on lemma L-interchange", inner.claim, [lemma, inner])


# --------------------------------------------------------------------------- Laplace

_LAPLACE = KERNELS["laplace"].density
#: ``R_i`` of the far Laplace field: ``S_i e^{-d_i/h} / sum_j S_j e^{-d_j/h}``, free of ``t``.
far_responsibility = (
    softmax(i) * sp.exp(-offsets[i] / h) / sp.Sum(softmax(j) * sp.exp(-offsets[j] / h), (j, 1, n))
)
_RIGHT, _LEFT = far_loss(_LAPLACE, "right"), far_loss(_LAPLACE, "left")
LAPLACE = sp.And(
    sp.Eq(sp.Derivative(_RIGHT, offsets[i]), far_responsibility / h),
    sp.Eq(sp.Derivative(_LEFT, offsets[i]), far_responsibility / h),
    sp.Eq(sp.Sum(sp.Derivative(_RIGHT, offsets[i]), (i, 1, n)), 1 / h),
    sp.Gt(far_responsibility / h, 0),
    sp.Le(sp.Derivative(_RIGHT, offsets[i]), 1 / h),
    sp.Le(sp.Derivative(_LEFT, offsets[i]), 1 / h),
)

_share_weights = sp.Function("a", positive=True)
#: A term of a finite sum of positive terms is at most the sum (general n).
SHARE = Lemma(
    "L-share",
    sp.Le(
        _share_weights(i) / sp.Sum(_share_weights(j), (j, 1, n)),
        1,
        evaluate=False,
    ),
    "a term of a finite sum of positive reals is at most the sum: sum_j a_j = a_i + "
    "sum_{j != i} a_j with every a_j > 0, 1 <= i <= n (order axioms of the reals; e.g. "
    "Apostol, Mathematical Analysis, 2nd ed., Thm 1.10 and induction on n)",
    {n: 3, i: 2, _share_weights: sp.Lambda(j, sp.Rational(1, 2) + j**2 / 7)},
    why="n and i are symbols: SymPy neither splits Sum(a_j, (j, 1, n)) at a symbolic index "
    "i nor signs Sum(a_j, (j, 1, i - 1)), which may be empty",
)


def _prove_laplace() -> Iterator[Step]:
    lemma = lemma_step()
    yield lemma
    equalities: list[Step] = []
    for side, far in (("right", _RIGHT), ("left", _LEFT)):
        claim = sp.Eq(sp.Derivative(far, offsets[i]), far_responsibility / h)
        left, right = IN_RANGE.apply(claim.lhs), IN_RANGE.apply(claim.rhs)
        derive = _laplace_derivative(side)
        inner = evaluates(
            f"{side}: SymPy differentiates L in d_i under the integral; after t = "
            f"{'b - s' if side == 'right' else 'a + s'} (s >= 0) the integrand is free of s "
            "(n = i + m)",
            left,
            right,
            _against(derive, right),
        )
        resting = follows("this rests on lemma L-interchange", inner.claim, [lemma, inner])
        lifted = IN_RANGE.lift(resting, claim)
        equalities.append(lifted)
        yield from (inner, resting, lifted)
    summed = sp.Sum(sp.Derivative(_RIGHT, offsets[i]), (i, 1, n))
    inner_sum = evaluates(
        "sum_i dL/dd_i: each term as above (1 <= i <= n, the sum's range), and the R_i sum to 1",
        summed,
        1 / h,
        lambda e: collapse(sp.Sum(_laplace_derivative("right")(e.function), *e.limits)),
    )
    yield inner_sum
    yield follows("this rests on lemma L-interchange", inner_sum.claim, [lemma, inner_sum])
    positive = holds_true(
        "each R_i/h > 0 (positive weights and kernels)",
        sp.Gt(far_responsibility / h, 0, evaluate=False),
    )
    yield positive
    weights = sp.exp(z[j]) * sp.exp(-offsets[j] / h)
    share = by_lemma(
        SHARE,
        {_share_weights(j): weights, _share_weights(i): weights.subs(j, i)},
        "lemma L-share with a_j = e^{z_j} e^{-d_j/h} (positive)",
    )
    yield share
    ratio = weights.subs(j, i) / sp.Sum(weights, (j, 1, n))
    same = equal_after("R_i: the softmax's normaliser cancels", far_responsibility, ratio)
    yield same
    at_most_one = follows(
        "so R_i <= 1 (substituting R_i = a_i / sum_j a_j)",
        sp.Le(far_responsibility, 1),
        [same, share],
    )
    yield at_most_one
    bounded = follows(
        "dividing by h > 0: R_i/h <= 1/h",
        sp.Le(far_responsibility / h, 1 / h),
        [at_most_one],
        multipliers=[1 / h],
    )
    yield bounded
    for derivative in equalities:
        yield follows(
            "so 0 < dL/dd_i <= 1/h whatever the distance (dL/dd_i = R_i/h above)",
            sp.Le(derivative.lhs, 1 / h),
            [derivative, bounded],
            multipliers=[-1, 1],
        )
    shifted = substitute_indexed(far_responsibility, offsets, lambda m: offsets[m] + gap)
    yield equal_after(
        "whatever the distance: R_i is unchanged when every d_j grows by D",
        shifted,
        far_responsibility,
    )


# --------------------------------------------------------------------------- psi far away

#: ``r = D + q``: a distance at least the gap ``D`` (``q >= 0``).
q = sp.Symbol("q", nonnegative=True)
c = sp.Symbol("c", nonnegative=True)
PSI = sp.And(
    sp.Eq(psi("laplace"), 1 / h),
    sp.Ge(h**2 * psi("gaussian").subs(r, gap + q) / gap, 1),
    sp.Eq(sp.Limit(h**2 * psi("gaussian").subs(r, gap + c) / gap, gap, sp.oo), 1),
    sp.Le(psi("cauchy").subs(r, gap + q), 2 / gap),
    sp.Eq(sp.Limit(gap * psi("cauchy").subs(r, gap + c), gap, sp.oo), 2),
)


def _prove_psi() -> Iterator[Step]:
    for name in ("laplace", "gaussian", "cauchy"):
        yield evaluates(
            f"{name}: psi(r) = -(d/dr) log K(r) for r > 0 (SymPy)",
            sp.Derivative(-sp.log(KERNELS[name].density.subs(u, r)), r),
            psi(name),
            lambda e: sp.simplify(e.doit()),
        )
    gaussian = next(c for c in PSI.args if isinstance(c, sp.GreaterThan))
    cauchy = next(c for c in PSI.args if isinstance(c, sp.LessThan))
    excess = nonnegative(
        "gaussian: h^2 psi(D + q)/D - 1 = q/D >= 0", gaussian.lhs - gaussian.rhs, q / gap
    )
    yield excess
    yield follows("so h^2 psi(r)/D >= 1 for every r >= D: it grows like D/h^2", gaussian, [excess])
    certificate = 2 * ((gap + q) * q + h**2) / (gap * ((gap + q) ** 2 + h**2))
    gap_step = nonnegative(
        "cauchy: 2/D - psi(D + q) = 2((D + q) q + h^2)/(D ((D + q)^2 + h^2)) >= 0",
        cauchy.rhs - cauchy.lhs,
        certificate,
    )
    yield gap_step
    yield follows("so psi(r) <= 2/D for every r >= D: it decays like 2/r", cauchy, [gap_step])
    for limit in (e for e in PSI.args if isinstance(e, sp.Equality) and e.lhs.has(sp.Limit)):
        yield evaluates("sympy.limit as D -> oo (any fixed c >= 0)", limit.lhs, limit.rhs)


THEOREMS: list[Theorem] = [
    Theorem(
        name="far_field_positions",
        title="points beyond b: sum_i dL/dx_i = mean over t and R of psi(x_i - t) (general n)",
        statement=GENERAL,
        hypotheses=(),
        prover=_prove_general,
        explanation=(
            "For a symmetric kernel f(|u|) and every point beyond the target, the points' "
            "total pull is the responsibility-weighted average of psi = -(log f)' at their "
            "distances from the target: its far behaviour (far_field_psi) is theirs."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="far_field_positions_laplace",
        title="Laplace, all points beyond b (or before a): dL/dx_i = +-R_i/h, sum = +-1/h, "
        "|dL/dx_i| <= 1/h",
        statement=LAPLACE,
        hypotheses=(I_IN_RANGE,),
        prover=_prove_laplace,
        explanation=(
            "psi = 1/h: a far point's pull is its responsibility over h, which does not depend "
            "on how far the points are; together they pull with exactly 1/h."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="far_field_psi",
        title="psi = -(log f)': Laplace 1/h, Gaussian r/h^2 >= D/h^2, Cauchy <= 2/D -> 2/D",
        statement=PSI,
        hypotheses=(),
        prover=_prove_psi,
        explanation=(
            "With every point beyond the target, dL/dx_j = (1/(b-a)) Integral(R_j psi(x_j - t)) "
            "(derivative_position) and sum_j dL/dx_j is an average of psi over distances "
            "r >= D: constant 1/h for Laplace, at least D/h^2 and ~D/h^2 for the Gaussian, at "
            "most 2/D and ~2/D for the Cauchy kernel."
        ),
        reference=REFERENCE,
    ),
]
