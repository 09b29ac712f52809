"""Theorem, Proof and Step: a claim, and the SymPy checks that prove or refute it.

A :class:`Theorem` states its claim once (``statement``, a SymPy object) under
``hypotheses`` (SymPy relations or assumptions).  Its ``prove`` function derives the other
side with SymPy and records every check as a :class:`Step`.  A step holds only when SymPy
itself closes it (``simplify(lhs - rhs) == 0``, a relational that evaluates to ``True``);
"could not decide" is a failed step, never a skipped one.

A claim that is false is kept, with ``expected=False``; its proof records a counterexample
step (both sides evaluated exactly or at 50 digits at a concrete point) and
``Proof.refuted`` is then True.  ``symkde verify`` passes a theorem iff
``proof.holds == theorem.expected``.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> step = equal("double angle", sp.sin(2 * x), 2 * sp.sin(x) * sp.cos(x))
>>> step.holds
True
>>> equal("wrong", sp.sin(2 * x), sp.sin(x)).holds
False
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

__all__ = [
    "Proof",
    "ProofFailed",
    "Step",
    "Theorem",
    "counterexample",
    "equal",
    "holds_true",
    "numeric_witness",
]

#: Simplifiers tried in order (cheap first) to bring ``lhs - rhs`` to exactly zero.
_SIMPLIFIERS: tuple[Callable[[sp.Expr], sp.Expr], ...] = (
    lambda e: e,
    sp.expand,
    sp.cancel,
    lambda e: sp.cancel(sp.expand(sp.powsimp(sp.expand_power_exp(e), force=True))),
    sp.simplify,
)


@dataclass(frozen=True)
class Step:
    """One checked step: ``lhs == rhs`` (or a relational that must be ``True``).

    Attributes:
        description: what the step shows, in words.
        lhs, rhs: the two sides compared (``rhs`` is ``True`` for a relational check).
        holds: whether SymPy closed the step.
        detail: how it was closed, or what remained.
    """

    description: str
    lhs: Any
    rhs: Any
    holds: bool
    detail: str = ""
    counterexample: dict[str, Any] | None = None

    def latex(self) -> str:
        """The step as a LaTeX equation."""
        if self.rhs is sp.true:
            return sp.latex(self.lhs)
        return f"{sp.latex(self.lhs)} = {sp.latex(self.rhs)}"


class ProofFailed(AssertionError):
    """Raised by ``Proof.require`` when a step did not close."""


@dataclass
class Proof:
    """The outcome of :meth:`Theorem.prove`.

    Attributes:
        holds: True iff every step closed and no counterexample was found.
        steps: the checked steps, in order.
        counterexample: for a refuted claim, the concrete values and both sides.
        seconds: wall time of the proof.
    """

    steps: list[Step] = field(default_factory=list)
    counterexample: dict[str, Any] | None = None
    seconds: float = 0.0

    @property
    def holds(self) -> bool:
        return self.counterexample is None and bool(self.steps) and all(s.holds for s in self.steps)

    @property
    def refuted(self) -> bool:
        """True when a step exhibits a concrete counterexample."""
        return self.counterexample is not None

    @property
    def failed_steps(self) -> list[Step]:
        return [s for s in self.steps if not s.holds]


@dataclass(frozen=True)
class Theorem:
    """A named claim with hypotheses and a SymPy proof.

    Attributes:
        name: registry key (``symkde derive NAME``).
        title: one line for tables.
        statement: the claim, a SymPy object (usually ``Eq`` or a relational).
        hypotheses: SymPy relations / assumptions under which it is claimed.
        expected: True if the claim is expected to hold, False if it is a known-false
            claim kept with its counterexample.
        explanation: what the theorem means, in words (Markdown).
        reference: the derivation source under ``derivations/`` that walks through it.
    """

    name: str
    title: str
    statement: Any
    hypotheses: tuple[Any, ...]
    prover: Callable[[], Iterable[Step]]
    expected: bool = True
    explanation: str = ""
    reference: str = ""

    def prove(self) -> Proof:
        """Run every step; a step SymPy cannot close makes the proof fail."""
        start = time.perf_counter()
        proof = Proof()
        for step in self.prover():
            proof.steps.append(step)
            if step.counterexample is not None:
                proof.counterexample = step.counterexample
        proof.seconds = time.perf_counter() - start
        return proof

    def verdict_ok(self, proof: Proof) -> bool:
        """True iff ``proof`` came out as expected (proved, or refuted for a false claim)."""
        if self.expected:
            return proof.holds
        return proof.refuted


def _zero(diff: sp.Expr) -> tuple[bool, str]:
    reduced = diff
    for simplify in _SIMPLIFIERS:
        try:
            reduced = simplify(diff)
        except Exception:  # a SymPy simplifier that crashes has not decided: try the next one
            reduced = diff
            continue
        if reduced == 0:
            return True, f"difference reduces to 0 by {getattr(simplify, '__name__', 'rewrite')}"
    return False, f"difference does not reduce to 0: {sp.sstr(reduced)[:300]}"


def equal(description: str, lhs: Any, rhs: Any) -> Step:
    """Step ``lhs == rhs``: holds iff SymPy reduces ``lhs - rhs`` to exactly 0.

    Works element-wise for matrices and for ``Eq`` objects' sides.
    """
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        diff_matrix = sp.Matrix(lhs) - sp.Matrix(rhs)
        results = [_zero(d) for d in diff_matrix]
        ok = all(r[0] for r in results)
        detail = "all entries reduce to 0" if ok else next(r[1] for r in results if not r[0])
        return Step(description, lhs, rhs, ok, detail)
    ok, detail = _zero(sp.sympify(lhs) - sp.sympify(rhs))
    return Step(description, lhs, rhs, ok, detail)


def holds_true(description: str, claim: Any) -> Step:
    """Step for a relational or boolean: holds iff SymPy evaluates it to ``True``."""
    value = claim
    if not isinstance(value, bool | sp.logic.boolalg.BooleanAtom):
        value = sp.simplify(claim)
    ok = value is sp.true or value is True
    return Step(description, claim, sp.true, ok, "evaluates to True" if ok else f"left as {value}")


def numeric_witness(
    description: str,
    lhs: Any,
    rhs: Any,
    values: Mapping[sp.Symbol, Any],
    *,
    dps: int = 50,
    tol_digits: int = 40,
) -> Step:
    """Step: both sides agree at a concrete (rational) point to ``tol_digits`` at ``dps``.

    A witness is supporting evidence that a derived identity is not vacuous; it never
    replaces a symbolic step.
    """
    left, right = sp.N(sp.sympify(lhs).subs(values), dps), sp.N(sp.sympify(rhs).subs(values), dps)
    scale = max(1, abs(left), abs(right))
    gap = abs(left - right)
    ok = bool(gap <= scale * sp.Rational(1, 10**tol_digits))
    return Step(description, left, right, ok, f"|lhs - rhs| = {sp.N(gap, 5)} at {dict(values)}")


def counterexample(
    description: str, lhs: Any, rhs: Any, values: Mapping[sp.Symbol, Any], *, dps: int = 50
) -> Step:
    """Step that refutes ``lhs == rhs``: the sides differ at a concrete point.

    The step is recorded with ``holds=False`` (the claim fails there) and carries the point
    and both values as the proof's counterexample.
    If the sides agree after all, no counterexample is recorded and the step fails.
    """
    left, right = sp.N(sp.sympify(lhs).subs(values), dps), sp.N(sp.sympify(rhs).subs(values), dps)
    gap = abs(left - right)
    differs = bool(gap > sp.Rational(1, 10 ** (dps - 10)) * max(1, abs(left), abs(right)))
    if not differs:
        return Step(description, left, right, False, "no counterexample: the sides agree here")
    info = {"values": {str(k): v for k, v in values.items()}, "lhs": left, "rhs": right}
    return Step(description, left, right, False, f"sides differ by {sp.N(gap, 5)}", info)
