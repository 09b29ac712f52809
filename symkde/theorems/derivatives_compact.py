"""Compact kernels: the position derivative with the jump terms at the support's edges.

A compact kernel is ``K(u) = k(u)`` for ``|u| <= h`` and 0 outside, so ``log p`` jumps where
point ``i``'s support starts or ends.  Write ``p = A + S_i k(t - x_i)`` on the support and
``p = A`` off it, ``A(t) > 0`` the density of the other points (any n; ``A`` may jump at other
points' edges, which do not move with ``x_i``: the integral splits there too and those pieces
only contribute their interior derivative).  When both edges ``e_- = x_i - h`` and
``e_+ = x_i + h`` lie inside ``(a, b)`` the loss is a sum of three integrals whose limits move
with ``x_i``, and SymPy's Leibniz rule gives (theorem ``derivative_position_compact``)::

    dL/dx_i = (1/(b-a)) [ Integral_{e_-}^{e_+} S_i k'(t - x_i) / p dt
                          + (log p(e_-^+) - log p(e_-^-)) + (log p(e_+^+) - log p(e_+^-)) ]

and the same for point ``i``'s own bandwidth (the edges move by ``-+1``; ``dL/dh`` is the sum
over the points by the chain rule)::

    dL/dh_i = (1/(b-a)) [ (log p(e_-^-) - log p(e_-^+)) + (log p(e_+^+) - log p(e_+^-))
                          - Integral_{e_-}^{e_+} S_i (d/dh k)(t - x_i) / p dt ]

-- the derivatives in the sense of distributions: ``k'`` on the support plus, at each edge, the
jump of ``log p`` (right value minus left value).  For the boxcar ``k' = 0`` and only the
jumps remain; for the triangle ``k(+-h) = 0``, ``log p`` is continuous, the jumps vanish and
the formula is ``derivative_position``'s.  An edge outside ``[a, b]`` contributes nothing.

Measure-zero coincidences (an edge exactly at ``a`` or ``b``, or on another point's edge) make
the loss non-differentiable: there the two one-sided derivatives differ, and the contract
accepts any value between them.  Edges move right as ``x_i`` grows, so at an edge exactly at
``a`` the right derivative counts its jump (the edge enters the target) and the left one does
not; at ``b`` the other way round.  **Convention returned** (agreed with the numeric side,
``symkde.reference.derivatives``): only edges strictly inside ``(a, b)`` contribute a jump, i.e.
the left derivative at an edge on ``a`` and the right derivative at an edge on ``b`` -- the
one-sided derivative in which the edge leaves the target.  On another point's edge the jump
term is the one-sided limit of whichever side the numeric side evaluates; both are accepted.
If moving a point uncovers part of the target the loss becomes infinite and that one-sided
derivative is ``+oo``.

The differentiation under the integral rests on lemma L-interchange.  Imports SymPy and the
symbolic model only.  Walk-through: ``derivations/derivatives.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.model import a, b, t
from symkde.theorems._core import Step, Theorem, equal, evaluates, follows
from symkde.theorems.derivatives import lemma_step

__all__ = ["THEOREMS", "compact_bandwidth_derivative", "compact_derivative", "split_loss"]

REFERENCE = "derivations/derivatives.py"

#: The moving point, its softmax weight, the other points' density and the kernel on |u| <= h.
position = sp.Symbol("x_i", real=True)
weight = sp.Symbol("S_i", positive=True)
others = sp.Function("A", positive=True)
profile = sp.Function("k", nonnegative=True)
on_support: sp.Expr = profile(u)


def split_loss(kernel: sp.Expr = on_support) -> sp.Expr:
    """``L`` on the three segments ``[a, e_-]``, ``[e_-, e_+]``, ``[e_+, b]``."""
    lower, upper = position - h, position + h
    covered = sp.log(others(t) + weight * kernel.subs(u, t - position))
    total = (
        sp.Integral(sp.log(others(t)), (t, a, lower))
        + sp.Integral(covered, (t, lower, upper))
        + sp.Integral(sp.log(others(t)), (t, upper, b))
    )
    return -total / (b - a)


def compact_derivative(kernel: sp.Expr = on_support) -> sp.Expr:
    """The stated ``dL/dx_i``: the interior integral of ``S_i k'/p`` plus the two jumps."""
    lower, upper = position - h, position + h
    slope = sp.Subs(sp.Derivative(kernel, u), u, t - position)
    inside = others(t) + weight * kernel.subs(u, t - position)
    interior = sp.Integral(weight * slope / inside, (t, lower, upper))
    left_jump = sp.log(others(lower) + weight * kernel.subs(u, -h)) - sp.log(others(lower))
    right_jump = sp.log(others(upper)) - sp.log(others(upper) + weight * kernel.subs(u, h))
    return (interior + left_jump + right_jump) / (b - a)


COMPACT = sp.Eq(sp.Derivative(split_loss(), position), compact_derivative())

#: A compact kernel family ``k(u, h)`` on ``|u| <= h`` (for the bandwidth derivative).
family: sp.Expr = sp.Function("k", nonnegative=True)(u, h)


def compact_bandwidth_derivative(kernel: sp.Expr = family) -> sp.Expr:
    """The stated ``dL/dh_i`` (point i's own bandwidth; ``dL/dh = sum_i dL/dh_i``): minus the
    interior integral of ``S_i d/dh k / p``, plus the jumps at the edges, which move by
    ``-+1``."""
    lower, upper = position - h, position + h
    inside = others(t) + weight * kernel.subs(u, t - position)
    interior = sp.Integral(
        weight * sp.Derivative(kernel, h).subs(u, t - position) / inside, (t, lower, upper)
    )
    left_jump = sp.log(others(lower)) - sp.log(others(lower) + weight * kernel.subs(u, -h))
    right_jump = sp.log(others(upper)) - sp.log(others(upper) + weight * kernel.subs(u, h))
    return (left_jump + right_jump - interior) / (b - a)


COMPACT_BANDWIDTH = sp.Eq(sp.Derivative(split_loss(family), h), compact_bandwidth_derivative())


def _kernel_on_support(name: str) -> sp.Expr:
    """The kernel's piece on ``|u| <= h`` (the first piece of its ``Piecewise``)."""
    return KERNELS[name].density.args[0][0]


def _prove_compact() -> Iterator[Step]:
    lemma = lemma_step()
    yield lemma

    def derive(e: sp.Expr) -> sp.Expr:
        return e.doit(deep=False)

    inner = evaluates(
        "SymPy differentiates the three integrals in x_i: Leibniz on the moving limits gives "
        "the jumps, the interior gives S_i k'/p",
        COMPACT.lhs,
        COMPACT.rhs,
        lambda e: _together(derive(e)),
    )
    yield inner
    yield follows("this rests on lemma L-interchange", inner.claim, [lemma, inner])
    by_h = evaluates(
        "SymPy differentiates the three integrals in h: the edges move by -+1 (jumps), the "
        "interior gives -S_i (d/dh k)/p",
        COMPACT_BANDWIDTH.lhs,
        COMPACT_BANDWIDTH.rhs,
        lambda e: _together(derive(e)),
    )
    yield by_h
    yield follows("this rests on lemma L-interchange", by_h.claim, [lemma, by_h])
    box = _kernel_on_support("boxcar")
    boxcar = compact_derivative(box)
    yield evaluates(
        "boxcar (k = 1/(2h), k' = 0): only the jumps of log p at x_i -+ h remain",
        sp.Derivative(split_loss(box), position),
        boxcar,
        lambda e: _together(derive(e)),
    )
    yield equal(
        "boxcar: the interior term is 0",
        boxcar.atoms(sp.Integral).pop().function.doit(),
        0,
    )
    triangle = _kernel_on_support("triangle")
    at_edges = [sp.refine(triangle.subs(u, edge), sp.Q.positive(h)) for edge in (-h, h)]
    yield equal("triangle: k(-h) = k(h) = 0, so log p does not jump", sp.Matrix(at_edges),
                sp.zeros(2, 1))  # fmt: skip


def _together(expr: sp.Expr) -> sp.Expr:
    """Linearity: the integrals over the support written as one, Subs/Derivative evaluated."""
    done = expr.replace(lambda q: isinstance(q, (sp.Subs, sp.Derivative)), lambda q: q.doit())
    by_limits: dict[tuple, sp.Expr] = {}
    rest = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(done)):
        found = term.atoms(sp.Integral)
        if len(found) != 1:
            rest += term
            continue
        (integral,) = found
        coefficient = term / integral
        if coefficient.has(t):
            rest += term
            continue
        by_limits[integral.limits] = by_limits.get(integral.limits, 0) + coefficient * (
            integral.function
        )
    merged = sum(
        (sp.Integral(sp.cancel(f), *limits) for limits, f in by_limits.items()), sp.Integer(0)
    )
    return sp.expand_log(rest, force=False) + merged


THEOREMS: list[Theorem] = [
    Theorem(
        name="derivative_position_compact",
        title="compact kernels: dL/dx_i and dL/dh_i = interior terms + jumps of log p at x_i -+ h",
        statement=sp.And(COMPACT, COMPACT_BANDWIDTH),
        hypotheses=(),
        prover=_prove_compact,
        explanation=(
            "Moving a compact kernel moves its support's edges; each edge inside the target "
            "adds the jump of log p there.  Boxcar: jumps only; triangle: no jumps.  An edge "
            "exactly at a or b contributes nothing (the one-sided derivative in which it "
            "leaves the target; module docstring)."
        ),
        reference=REFERENCE,
    ),
]
