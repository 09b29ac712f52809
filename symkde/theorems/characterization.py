"""Which kernels leave the responsibilities unchanged when points move toward the bin: all
kernels ``A_+- e^{-lambda |u|}``, symmetric or not (general positive kernels).

Owns four theorems (imports SymPy and the checker's public steps from
:mod:`symkde.theorems._core`).  Contraction: every point moves toward the bin ``t`` by the
same ``d > 0`` without crossing it, so the offset ``u_j = t - x_j`` becomes ``u_j - d`` for a
point on the left (``u_j > d``) and ``u_j + d`` for one on the right.

* ``contraction_gap_identity`` -- for any positive kernel ``K`` and two points, the change of
  ``R_1`` is ``S_1 S_2 (K(u_1 - d) K(u_2) - K(u_1) K(u_2 - d)) / (p p')``: invariance for every
  choice of logits is the functional equation ``K(u_1) K(u_2 - d) = K(u_1 - d) K(u_2)``
  (``S_1 S_2 > 0`` and ``p, p' > 0``).
* ``exponential_kernels_invariant`` -- the converse, for the asymmetric family
  ``K(u) = A_+ e^{-lambda_+ u}`` (``u > 0``), ``A_- e^{lambda_- u}`` (``u < 0``): the equation
  holds on each half-line for every ``A_+-, lambda_+-``; for one point on each side the gap is
  proportional to ``e^{(lambda_+ - lambda_-) d} - 1``, so a common ``lambda`` is needed.
* ``exponential_kernels_normalisable`` -- ``Integral_0^oo A e^{-lambda u} du = A/lambda`` for
  ``lambda > 0``; for ``lambda = -mu < 0`` and ``lambda = 0`` the integral over ``(0, T)``
  grows without bound (its reciprocal tends to 0).  A density needs ``lambda > 0`` (then
  ``A_+ + A_- = lambda``); ``lambda <= 0`` also solves the functional equation.
* ``only_exponential_kernels_halfline`` -- conversely, a *measurable* ``K > 0`` on ``u > 0``
  (every density is measurable; no continuity is assumed) that satisfies the functional
  equation is ``log K(u) = log K(1) + (u - 1)(log K(2) - log K(1))``, i.e.
  ``A_+ e^{-lambda u}``.  SymPy shows that the equation makes the increments
  ``delta(d) = log K(e + d) - log K(e)`` independent of ``e`` (so ``delta`` is additive,
  Cauchy's equation on the half-line); that a measurable additive function is linear is lemma
  L-cauchy (the left half-line is the mirror image ``u -> -u``).

Walk-through: ``derivations/invariance.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sympy as sp

from symkde.theorems._core import (
    Lemma,
    Step,
    Theorem,
    by_lemma,
    equal,
    evaluates,
    follows,
    rewritten,
)

__all__ = ["THEOREMS", "functional_gap"]

REFERENCE = "derivations/invariance.py"

#: A positive kernel, not assumed symmetric.
kernel = sp.Function("K", positive=True)
u = sp.Symbol("u", positive=True)
d = sp.Symbol("d", positive=True)
e1, e2 = sp.Symbol("e1", positive=True), sp.Symbol("e2", positive=True)
z1, z2 = sp.Symbol("z1", real=True), sp.Symbol("z2", real=True)
amp_plus, amp_minus = sp.Symbol("A_p", positive=True), sp.Symbol("A_m", positive=True)
rate_plus, rate_minus = sp.Symbol("lambda_p", real=True), sp.Symbol("lambda_m", real=True)
rate = sp.Symbol("lambda", positive=True)
mu = sp.Symbol("mu", positive=True)


def _r1(k1: sp.Expr, k2: sp.Expr) -> sp.Expr:
    """``R_1`` for two points with kernel values ``k1``, ``k2`` and logits ``z1``, ``z2``."""
    s1, s2 = sp.exp(z1), sp.exp(z2)
    return s1 * k1 / (s1 * k1 + s2 * k2)


def functional_gap(k: Callable[[sp.Expr], sp.Expr], before: tuple, after: tuple) -> sp.Expr:
    """``K(b1) K(a2) - K(a1) K(b2)`` for offsets ``before = (b1, b2)``, ``after = (a1, a2)``:
    zero iff the kernel ratio of the two points is unchanged.

    >>> sp.simplify(functional_gap(lambda w: sp.exp(-w), (d + e1, d + e2), (e1, e2)))
    0
    """
    return k(before[0]) * k(after[1]) - k(after[0]) * k(before[1])


# --------------------------------------------------------------------------- the gap identity

_U1, _U2 = d + e1, d + e2  # two points on the left of the bin, both farther than d
_GAP = _r1(kernel(_U1 - d), kernel(_U2 - d)) - _r1(kernel(_U1), kernel(_U2))
_S1, _S2 = sp.exp(z1), sp.exp(z2)
_P_BEFORE = _S1 * kernel(_U1) + _S2 * kernel(_U2)
_P_AFTER = _S1 * kernel(_U1 - d) + _S2 * kernel(_U2 - d)
GAP_IDENTITY = sp.Eq(
    _GAP,
    _S1
    * _S2
    * (kernel(_U1 - d) * kernel(_U2) - kernel(_U1) * kernel(_U2 - d))
    / (_P_BEFORE * _P_AFTER),
)


def _prove_gap() -> Iterator[Step]:
    yield equal("R_1 after - R_1 before, over a common denominator", GAP_IDENTITY.lhs,
                GAP_IDENTITY.rhs)  # fmt: skip


# --------------------------------------------------------------------------- the converse


def _right(w: sp.Expr) -> sp.Expr:
    return amp_plus * sp.exp(-rate_plus * w)


def _left(w: sp.Expr) -> sp.Expr:  # w = |u| for a point on the right of the bin (u < 0)
    return amp_minus * sp.exp(-rate_minus * w)


# both points on the left (u = d + e > d), both on the right (|u| = d + e), one on each side
_SAME_PLUS = functional_gap(_right, (_U1, _U2), (_U1 - d, _U2 - d))
_SAME_MINUS = functional_gap(_left, (_U1, _U2), (_U1 - d, _U2 - d))
_CROSS = _right(_U1) * _left(_U2 - d) - _right(_U1 - d) * _left(_U2)
_CROSS_FACTORED = _right(_U1) * _left(_U2 - d) * (1 - sp.exp((rate_plus - rate_minus) * d))
INVARIANT = sp.And(sp.Eq(_SAME_PLUS, 0), sp.Eq(_SAME_MINUS, 0), sp.Eq(_CROSS, _CROSS_FACTORED))


def _prove_invariant() -> Iterator[Step]:
    yield equal("both points on the left: the equation holds", _SAME_PLUS, 0)
    yield equal("both points on the right: the equation holds", _SAME_MINUS, 0)
    yield equal(
        "one point on each side: the gap is a positive factor times 1 - e^{(l+ - l-) d}",
        _CROSS,
        _CROSS_FACTORED,
    )


# --------------------------------------------------------------------------- normalisable

_TAIL = sp.Integral(amp_plus * sp.exp(-rate * u), (u, 0, sp.oo))
_upper = sp.Symbol("T", positive=True)
#: ``1 / Integral_0^T`` tends to 0: the integral over ``(0, oo)`` diverges.
_GROWING = sp.Limit(1 / sp.Integral(amp_plus * sp.exp(mu * u), (u, 0, _upper)), _upper, sp.oo)
_FLAT = sp.Limit(1 / sp.Integral(amp_plus, (u, 0, _upper)), _upper, sp.oo)
NORMALISABLE = sp.And(sp.Eq(_TAIL, amp_plus / rate), sp.Eq(_GROWING, 0), sp.Eq(_FLAT, 0))


def _prove_normalisable() -> Iterator[Step]:
    yield evaluates("lambda > 0: the tail integrates to A / lambda", _TAIL, amp_plus / rate)
    yield evaluates("lambda = -mu < 0: 1 / Integral_0^T -> 0, the integral diverges",
                    _GROWING, 0)  # fmt: skip
    yield evaluates("lambda = 0: 1 / Integral_0^T = 1/(A T) -> 0", _FLAT, 0)


# --------------------------------------------------------------------------- only exponentials

#: The functional equation on the half-line ``u > 0`` (for all ``d, e1, e2 > 0``).
EQUATION = sp.Eq(kernel(d + e1) * kernel(e2), kernel(e1) * kernel(d + e2))
_phi = sp.log
#: The increments of ``log K`` do not depend on the base point.
_INCREMENTS = sp.Eq(
    _phi(kernel(e1 + d)) - _phi(kernel(e1)), _phi(kernel(e2 + d)) - _phi(kernel(e2))
)
LINEAR_LOG = sp.Eq(_phi(kernel(u)), _phi(kernel(1)) + (u - 1) * (_phi(kernel(2)) - _phi(kernel(1))))
CAUCHY = Lemma(
    name="L-cauchy",
    statement=LINEAR_LOG,
    citation=(
        "Cauchy's equation on a half-line: a measurable delta: (0, oo) -> R with "
        "delta(x + y) = delta(x) + delta(y) is delta(x) = x delta(1) (Aczel, Lectures on "
        "Functional Equations and Their Applications, 1966, Section 2.1; measurable, monotone "
        "or locally bounded solutions are linear). Applied to delta(d) = log K(e + d) - "
        "log K(e), independent of e by the step before and hence additive (delta(x + y) = "
        "[log K(1+x+y) - log K(1+x)] + [log K(1+x) - log K(1)]); then log K(u) = "
        "log K(u + 1) - delta(1) = log K(1) + delta(u) - delta(1) = log K(1) + (u - 1) "
        "delta(1). K is measurable because it is a density"
    ),
    witness={kernel: sp.Lambda(u, sp.Rational(3, 2) * sp.exp(-sp.Rational(2, 3) * u)), u: 5},
    why="Cauchy's equation has non-measurable (Hamel-basis) solutions; ruling them out needs "
    "measure theory (Steinhaus' theorem), which SymPy does not have",
)


def _prove_only_exponential() -> Iterator[Step]:
    ratio = kernel(d + e1) * kernel(e2) / (kernel(e1) * kernel(d + e2))
    logs = rewritten(
        "the increments' difference is the log of one ratio (K > 0)",
        _INCREMENTS.lhs - _INCREMENTS.rhs,
        sp.log(ratio),
        lambda e: sp.expand_log(e, force=False),
    )
    yield logs
    vanishes = follows(
        "the functional equation makes the ratio 1", sp.Eq(sp.log(ratio), 0), [EQUATION]
    )
    yield vanishes
    yield follows(
        "so delta(d) = log K(e + d) - log K(e) does not depend on e",
        _INCREMENTS,
        [logs, vanishes],
        multipliers=[1, 1],
    )
    yield by_lemma(CAUCHY, {}, "lemma L-cauchy: the measurable additive delta is linear")


THEOREMS: list[Theorem] = [
    Theorem(
        name="contraction_gap_identity",
        title="contraction invariance for all logits <=> K(u1) K(u2-d) = K(u1-d) K(u2)",
        statement=GAP_IDENTITY,
        hypotheses=(),
        prover=_prove_gap,
        explanation="The change of R_1 is S_1 S_2 (positive) times the functional equation's "
        "gap over two positive densities.",
        reference=REFERENCE,
    ),
    Theorem(
        name="exponential_kernels_invariant",
        title="A_+- e^{-lambda |u|} (asymmetric) is contraction invariant; one lambda needed",
        statement=INVARIANT,
        hypotheses=(),
        prover=_prove_invariant,
        explanation="Any amplitudes on the two sides; with points on both sides the rates "
        "must agree.",
        reference=REFERENCE,
    ),
    Theorem(
        name="exponential_kernels_normalisable",
        title="A e^{-lambda u} on u > 0 is integrable iff lambda > 0",
        statement=NORMALISABLE,
        hypotheses=(),
        prover=_prove_normalisable,
        explanation="lambda <= 0 solves the functional equation but is no density.",
        reference=REFERENCE,
    ),
    Theorem(
        name="only_exponential_kernels_halfline",
        title="a measurable K > 0 solving the equation on u > 0 is A e^{-lambda u}",
        statement=LINEAR_LOG,
        hypotheses=(EQUATION,),
        prover=_prove_only_exponential,
        explanation="No differentiability is assumed: measurability (every density) suffices, "
        "through Cauchy's equation (lemma L-cauchy).",
        reference=REFERENCE,
    ),
]
