"""Circle, Laplace contraction bound: the checked quotient bound behind ``|g_i' - g_i|``.

Part of :mod:`symkde.theorems.circle` (used by ``circle_laplace_contraction_bound`` in
:mod:`symkde.theorems.circle_contraction`).  Imports SymPy, :mod:`symkde.symbolic.model` and
the proof machinery (:mod:`symkde.theorems._core`); the circle's expressions (``eps(r)``,
the kernel values) come in as arguments, so this module imports no other circle module.

Each kernel value is multiplied by ``exp(d/h) (1 - eps_j)``, ``eps_j = eps(r_j)``.  The steps
show, for general n and with every inference checked:

* ``eps`` is increasing in the distance (its derivative is positive; the fundamental theorem
  of calculus and the monotonicity of the integral over ``[r_j, r_max]``, whose order is the
  hypothesis ``r_j <= r_max``), so ``0 < eps_j <= eta = eps(r_max)`` for every point;
* with ``T = sum_j R_j eps_j``: ``0 <= T <= eta < 1`` and ``R_i' = R_i (1 - eps_i)/(1 - T)``;
* ``X = R_i - R_i'`` satisfies ``-B <= X <= B``, ``B = R_i eta/(1 - eta)``: proved for fresh
  symbols by a certificate, then instantiated (:func:`instantiate`) at the points.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import sympy as sp

from symkde.symbolic.kernels import h
from symkde.symbolic.model import K, i, j, n, responsibility, substitute_indexed
from symkde.theorems._core import (
    Step,
    evaluates,
    follows,
    holds_true,
    instantiate,
    integral_of_nonnegative,
    nonnegative,
    rewritten,
)
from symkde.theorems.gradient import equal_after

#: The fresh families: ``q_j`` (a share ``eps_j >= 0``) and ``varsigma_j`` (``eta - eps_j``).
share = sp.IndexedBase("q", nonnegative=True)
slack = sp.IndexedBase("varsigma", nonnegative=True)
_S = sp.Symbol("s", positive=True)


def _to_exp(expr: Any) -> Any:
    return expr.rewrite(sp.exp)


def monotone_steps(
    eps_sinh: Callable[[Any], Any],
    eps: Callable[[Any], Any],
    point: Any,
    largest: Any,
    within: Any,
) -> Iterator[Step]:
    """``eps(point) <= eps(largest)`` (the last step) from the hypothesis ``within``
    (``point <= largest``): ``eps' > 0`` (in the ``sinh`` form ``eps_sinh``, equal to ``eps``
    after rewriting ``sinh`` as exponentials), the fundamental theorem of calculus and the
    monotonicity of the integral."""
    slope = sp.diff(eps_sinh(_S), _S)
    positive = holds_true("d eps/dr >= 0 at every r > 0", sp.Ge(slope, 0, evaluate=False))
    order = follows(
        "r_max - r_j >= 0 (the hypothesis r_j <= r_max)",
        sp.Ge(largest - point, 0),
        [within],
    )
    integral = sp.Integral(slope, (_S, point, largest))
    ftc = evaluates(
        "int_{r_j}^{r_max} eps'(s) ds = eps(r_max) - eps(r_j) (SymPy integrates)",
        integral,
        eps_sinh(largest) - eps_sinh(point),
    )
    above = integral_of_nonnegative(
        "so that integral is >= 0 (monotonicity, r_j <= r_max)", integral, positive, bounds=[order]
    )
    bridges = [
        rewritten(
            f"the sinh form of eps is eps at {r}", eps_sinh(r), eps(r), _to_exp, "sinh -> exp"
        )
        for r in (point, largest)
    ]
    yield from (positive, order, ftc, above, *bridges)
    yield follows(
        "eps(r_j) <= eps(r_max) = eta for every point",
        sp.Ge(eps(largest) - eps(point), 0),
        [ftc, above, *bridges],
        multipliers=[-1, 1, 1, -1],
    )


def _at_points(expr: Any, before: Callable[[Any], Any], eps: Callable[[Any], Any],
               distances: sp.IndexedBase) -> Any:  # fmt: skip
    """``expr`` with ``K_m = K(r_m)`` and ``q_m = eps(r_m)``."""
    values = substitute_indexed(expr, K, before)
    return substitute_indexed(values, share, lambda m: eps(distances[m]))


def quotient_steps(
    eps_sinh: Callable[[Any], Any],
    eps: Callable[[Any], Any],
    before: Callable[[Any], Any],
    distances: sp.IndexedBase,
    largest: Any,
    within: Any,
    move: Any,
) -> Iterator[Step]:
    """The steps of the module docstring.  The last three are, at the points
    (``K_j = before(j)``, ``eps_j = eps(r_j)``): ``Eq(M, Q)`` with ``M`` the responsibility
    after the move (every ``K_j`` times ``exp(move/h) (1 - eps_j)``) and
    ``Q = R_i (1 - eps_i)/(1 - T)``; ``B - X >= 0``; ``B + X >= 0``, with ``X = R_i - Q`` and
    ``B = R_i eta/(1 - eta)``."""
    eta = eps(largest)
    monotone = list(monotone_steps(eps_sinh, eps, distances[j], largest, within))
    yield from monotone
    below_eta = monotone[-1]
    sinh_positive = [
        holds_true(f"eps(r) in sinh form > 0 at {r}", sp.Gt(eps_sinh(r), 0, evaluate=False))
        for r in (distances[j], largest)
    ]
    eps_positive = follows(
        "eps(r_j) > 0", sp.Gt(eps(distances[j]), 0), [sinh_positive[0], monotone[4]],
        multipliers=[1, -1],
    )  # fmt: skip
    eta_positive = follows(
        "eta > 0", sp.Gt(eta, 0), [sinh_positive[1], monotone[5]], multipliers=[1, -1]
    )
    kernel_positive = holds_true("K(r_j) > 0", sp.Gt(before(j), 0, evaluate=False))
    yield from (*sinh_positive, eps_positive, eta_positive, kernel_positive)
    at_points: dict[Any, Any] = {
        K: (before(j), j, kernel_positive),
        share: (eps(distances[j]), j, eps_positive),
    }
    total = sp.Sum(responsibility(j) * share[j], (j, 1, n))
    total_c = _at_points(total, before, eps, distances)
    level = sp.Symbol("y", positive=True)
    abstract = [
        holds_true("sum_j R_j q_j >= 0 (q_j >= 0)", sp.Ge(total, 0, evaluate=False)),
        holds_true(
            "sum_j R_j varsigma_j >= 0 (varsigma_j >= 0)",
            sp.Ge(sp.Sum(responsibility(j) * slack[j], (j, 1, n)), 0, evaluate=False),
        ),
        equal_after(
            "sum_j R_j (y - q_j) = y - sum_j R_j q_j (sum_j R_j = 1, general n)",
            sp.Sum(responsibility(j) * (level - share[j]), (j, 1, n)),
            level - total,
        ),
    ]
    yield from abstract
    slack_c = sp.Sum(
        substitute_indexed(responsibility(j), K, before) * (eta - eps(distances[j])), (j, 1, n)
    )
    total_ok = instantiate("T = sum_j R_j eps_j >= 0", abstract[0], sp.Ge(total_c, 0), at_points)
    slack_ok = instantiate(
        "sum_j R_j (eta - eps_j) >= 0 (eps_j <= eta)",
        abstract[1],
        sp.Ge(slack_c, 0),
        {K: at_points[K], slack: (eta - eps(distances[j]), j, below_eta)},
    )
    split = instantiate(
        "sum_j R_j (eta - eps_j) = eta - T",
        abstract[2],
        sp.Eq(slack_c, eta - total_c),
        {**at_points, level: (eta, eta_positive)},
    )
    room = follows("eta - T >= 0", sp.Ge(eta - total_c, 0), [slack_ok, split], multipliers=[1, -1])
    short = holds_true("1 - eta > 0", sp.Gt(1 - eta, 0, evaluate=False))
    rest = follows("1 - T > 0", sp.Gt(1 - total_c, 0), [room, short], multipliers=[1, 1])
    num, den = sp.Symbol("y", nonnegative=True), sp.Symbol("z", positive=True)
    odds = instantiate(
        "1/(1 - T) - 1 = T/(1 - T) >= 0",
        holds_true("y/z >= 0 for y >= 0, z > 0", sp.Ge(num / den, 0, evaluate=False)),
        sp.Ge(1 / (1 - total_c) - 1, 0),
        {num: (total_c, total_ok), den: (1 - total_c, rest)},
    )
    yield from (total_ok, slack_ok, split, room, short, rest, odds)
    moved = substitute_indexed(
        responsibility(i), K, lambda m: K[m] * sp.exp(move / h) * (1 - share[m])
    )
    identity = equal_after(
        "R_i' = R_i (1 - q_i) / (1 - sum_j R_j q_j) (general n)",
        moved,
        responsibility(i) * (1 - share[i]) / (1 - total),
    )
    resp = substitute_indexed(responsibility(i), K, before)
    after = resp * (1 - eps(distances[i])) / (1 - total_c)
    bound, gap = resp * eta / (1 - eta), resp - after
    yield identity
    yield instantiate(
        "at the points: R_i' = R_i (1 - eps_i)/(1 - T)",
        identity,
        sp.Eq(_at_points(moved, before, eps, distances), after),
        at_points,
    )
    # fresh A = R_i > 0, m = 1 - eta > 0; B - X with eps_i = eta - varsigma_i, T = p/(1 + p);
    # B + X with eps_i = q_i, T = eta - v: each a certificate, then instantiated
    big, low = sp.Symbol("A", positive=True), sp.Symbol("m", positive=True)
    odd, gap_v = sp.Symbol("p", nonnegative=True), sp.Symbol("v", nonnegative=True)

    def bound_and_gap(e: Any, t: Any) -> tuple[Any, Any]:
        return big * (1 - low) / low, big - big * (1 - e) / (1 - t)

    b_low, x_low = bound_and_gap(1 - low - slack[i], 1 - 1 / (1 + odd))
    b_up, x_up = bound_and_gap(share[i], 1 - low - gap_v)
    certified = [
        nonnegative(
            "B - X >= 0 for A, m > 0, varsigma_i, p >= 0 (eps_i = eta - varsigma_i, 1-T = 1/(1+p))",
            b_low - x_low,
            big * (1 - low) ** 2 / low + big * low * odd + big * slack[i] * (1 + odd),
        ),
        nonnegative(
            "B + X >= 0 for A, m > 0, q_i, v >= 0 (eps_i = q_i, T = eta - v)",
            b_up + x_up,
            big * (gap_v + low * share[i]) / (low * (low + gap_v)),
        ),
    ]
    yield from certified
    positive = instantiate(
        "R_i > 0 at the points",
        holds_true("R_i > 0 (K_j > 0)", sp.Gt(responsibility(i), 0, evaluate=False)),
        sp.Gt(resp, 0, evaluate=False),
        {K: at_points[K]},
    )
    yield positive
    common = {big: (resp, positive), low: (1 - eta, short)}
    yield instantiate(
        "B - X >= 0 at the points (A = R_i, m = 1 - eta, varsigma_j = eta - eps_j, p = T/(1 - T))",
        certified[0],
        sp.Ge(bound - gap, 0),
        {**common, odd: (1 / (1 - total_c) - 1, odds),
         slack: (eta - eps(distances[j]), j, below_eta)},
    )  # fmt: skip
    yield instantiate(
        "B + X >= 0 at the points (A = R_i, m = 1 - eta, q_j = eps_j, v = eta - T)",
        certified[1],
        sp.Ge(bound + gap, 0),
        {**common, gap_v: (eta - total_c, room), share: at_points[share]},
    )
