"""The far field for n = 3: every point recedes from the bin together (offsets fixed, D -> oo).

These are instances, on the concrete kernels, of the general-n theorem ``far_field_general``
(:mod:`symkde.theorems.far_field_general`: any radial kernel, through ``psi = -(log f)'``),
kept because they take the limit itself with ``sympy.limit``.  Each is for n = 3, bin
``t = 0``, points at ``x_j = D + o_j`` with offsets ``o = (0, 1/2, 3/2)``: point 1 is the
unique nearest point (with ties the Gaussian limit is the partial-label gradient over the
nearest points, not one-hot; see ``far_field_general``).

* ``far_field_gaussian`` -- the responsibilities become one-hot on the nearest point: the
  gradient tends to ``S_i - delta_i1``, the ordinary cross-entropy of ``one_hot``.
* ``far_field_laplace`` -- the gradient does not depend on ``D`` at all (any offsets; the
  loss itself does change with ``D``: only the gradient is unchanged).
* ``far_field_cauchy`` -- the gradient tends to 0: far points stop learning.

This answers the seed's question of which kernels let far points learn less: heavy tails
(Cauchy) do; with the Laplace kernel far points learn exactly as fast as near ones (kernel
ratios are preserved: the only kernels with this property are ``A_+- e^{-lambda |u|}``,
theorem ``only_exponential_kernels_halfline``); the Gaussian turns the loss into a hard
nearest-point cross-entropy.  Walk-through: ``derivations/far_field.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.model import bin_loss_concrete, symbols_for
from symkde.symbolic.model import i as index_i
from symkde.symbolic.model import z as logits_base
from symkde.theorems._core import Step, Theorem, equal, evaluates, numeric_witness
from symkde.theorems.gradient import _ONE_HOT_STATEMENT, concretize, l_index

__all__ = ["THEOREMS", "distance", "far_gradient", "offsets"]

REFERENCE = "derivations/far_field.py"

#: The common distance of the points from the bin.
distance = sp.Symbol("D", positive=True)
#: Fixed offsets of the three points (point 1 nearest).
offsets = (sp.Integer(0), sp.Rational(1, 2), sp.Rational(3, 2))
logits = symbols_for("z", 3, real=True)


def far_gradient(kernel_name: str, shifts: tuple[sp.Expr, ...] = offsets) -> sp.Matrix:
    """The per-bin gradient at ``t = 0`` with points at ``D + o_j``, derived by SymPy.

    >>> far_gradient("laplace")[0].has(distance)
    True
    """
    density = KERNELS[kernel_name].density
    values = [density.subs(u, -(distance + o)) for o in shifts]
    loss_value = bin_loss_concrete(logits, values)
    return sp.Matrix([loss_value.diff(v) for v in logits])


def _limit_statement(kernel_name: str, rhs: sp.Matrix) -> sp.Basic:
    gradient = far_gradient(kernel_name)
    return sp.And(
        *[sp.Eq(sp.Limit(g, distance, sp.oo), r) for g, r in zip(gradient, rhs, strict=True)]
    )


_one_hot_rhs = sp.Matrix(
    [
        concretize(_ONE_HOT_STATEMENT.rhs.subs({l_index: 1, index_i: m}), 3).subs(
            {logits_base[q + 1]: logits[q] for q in range(3)}
        )
        for m in range(1, 4)
    ]
)
#: The stated limits of the gradient as D -> oo.
_LIMIT_VALUES = {
    "gaussian": _one_hot_rhs,
    "laplace": far_gradient("laplace").subs(distance, 0),
    "cauchy": sp.zeros(3, 1),
}
_STATEMENTS = {name: _limit_statement(name, value) for name, value in _LIMIT_VALUES.items()}


def _witness(kernel_name: str, far: sp.Expr, expected: sp.Matrix) -> Step:
    point = {
        logits[0]: sp.Rational(2, 3),
        logits[1]: sp.Rational(-1, 4),
        logits[2]: 1,
        h: sp.Rational(3, 2),
        distance: far,
    }
    weights = sp.Matrix([1, 10, 100])  # one number from three components
    return numeric_witness(
        f"{kernel_name}: the gradient at D = {far} is the limit to 40 digits",
        (weights.T * far_gradient(kernel_name))[0],
        (weights.T * expected)[0],
        point,
    )


def _limit_steps(kernel_name: str, what: str) -> Iterator[Step]:
    """One step per component: SymPy evaluates ``Limit(dL/dz_m, D, oo)`` (``Limit.doit``,
    i.e. ``sympy.limit``) and it equals the stated value."""
    gradient = far_gradient(kernel_name)
    for m, (g, value) in enumerate(zip(gradient, _LIMIT_VALUES[kernel_name], strict=True), 1):
        yield evaluates(
            f"component {m}: sympy.limit of dL/dz_{m} as D -> oo is {what}",
            sp.Limit(g, distance, sp.oo),
            value,
        )


def _prover(kernel_name: str) -> Callable[[], Iterator[Step]]:
    def prove() -> Iterator[Step]:
        limits = _LIMIT_VALUES[kernel_name]
        if kernel_name == "gaussian":
            yield from _limit_steps(kernel_name, "S_i - delta_i1, one-hot on the nearest point")
            yield _witness(kernel_name, sp.Integer(10**4), limits)
        elif kernel_name == "laplace":
            yield from _limit_steps(kernel_name, "the gradient at D = 0")
            free = sp.symbols("o1:4", nonnegative=True)
            yield equal(
                "for any offsets o_j >= 0 the gradient does not depend on D",
                far_gradient(kernel_name, free).diff(distance),
                sp.zeros(3, 1),
            )
            yield _witness(kernel_name, sp.Rational(7, 2), limits)
        else:
            yield from _limit_steps(kernel_name, "0, every responsibility tends to S_i")
            yield _witness(kernel_name, sp.Integer(10) ** 60, limits)

    return prove


_EXPLANATIONS = {
    "gaussian": "Far away the unique nearest point takes all the responsibility: the gradient "
    "becomes that of the hard cross-entropy of one_hot, and the other points are pushed down "
    "(with tied nearest points: the partial-label gradient, theorem far_field_general).",
    "laplace": "Kernel ratios exp(-(o_i - o_j)/h) do not depend on D: the gradient (not the "
    "loss) is the same at every distance, so far points learn exactly as near ones; of the "
    "kernels here only the Laplace kernel has this property.",
    "cauchy": "Kernel ratios tend to 1, responsibilities to the weights S_i, the gradient to "
    "0: far points learn less and less.",
}

THEOREMS: list[Theorem] = [
    Theorem(
        name=f"far_field_{name}",
        title=f"far field, {name} kernel (sympy.limit, n = 3, unique nearest point)",
        statement=_STATEMENTS[name],
        hypotheses=(sp.Q.positive(distance), sp.Q.positive(h)),
        prover=_prover(name),
        explanation=_EXPLANATIONS[name],
        reference=REFERENCE,
    )
    for name in ("gaussian", "laplace", "cauchy")
]
