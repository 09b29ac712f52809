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

The claim shown to the reader is tied to what was checked.  :meth:`Theorem.prove` ends every
proof with two steps of its own:

* *the statement is proved*: every conjunct of ``statement`` must be the claim of a step that
  holds, or an equality whose two sides a chain of holding steps joins, each link literally
  (SymPy's structural ``==``) the two sides of one step -- so a proof of something else, or a
  statement edited after its proof, fails.  A refuted proof concludes nothing and gets no such
  step.
* *every hypothesis is accounted for*: each hypothesis must either follow from the
  assumptions the proof's symbols carry (``sp.ask`` answers True: a hypothesis SymPy
  actually used) or be cited, in ``Step.uses``, by a step that holds and relies on it.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> step = equal("double angle", sp.sin(2 * x), 2 * sp.sin(x) * sp.cos(x))
>>> step.holds
True
>>> equal("wrong", sp.sin(2 * x), sp.sin(x)).holds
False
"""

from __future__ import annotations

import dataclasses
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
    "citing",
    "conjuncts",
    "counterexample",
    "equal",
    "evaluates",
    "follows",
    "holds_true",
    "hypotheses_accounted_for",
    "numeric_witness",
    "statement_proved",
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
    #: hypotheses of the theorem this step relies on (see :func:`citing`)
    uses: tuple[Any, ...] = ()

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
        """Run every step; a step SymPy cannot close makes the proof fail.

        The proof then gets the two closing steps of the module docstring: the statement is
        one of the steps that hold, and every hypothesis is implied or cited.
        """
        start = time.perf_counter()
        proof = Proof()
        for step in self.prover():
            proof.steps.append(step)
            if step.counterexample is not None:
                proof.counterexample = step.counterexample
        if not proof.refuted:
            proof.steps.append(statement_proved(self.statement, proof.steps))
        proof.steps.append(hypotheses_accounted_for(self.hypotheses, proof.steps))
        proof.seconds = time.perf_counter() - start
        return proof

    def verdict_ok(self, proof: Proof) -> bool:
        """True iff ``proof`` came out as expected (proved, or refuted for a false claim)."""
        if self.expected:
            return proof.holds
        return proof.refuted


def conjuncts(statement: Any) -> tuple[Any, ...]:
    """The parts of a statement: the arguments of an ``And``, else the statement itself."""
    return tuple(statement.args) if isinstance(statement, sp.And) else (statement,)


def _edges(steps: Iterable[Step]) -> list[tuple[Any, Any]]:
    """The exact equalities that steps holding have shown, as pairs of sides.

    A side that is a ``Float`` comes from a numeric witness (agreement to ``tol_digits``, not
    an identity) and never links a chain.
    """
    found = []
    for step in steps:
        if not step.holds or isinstance(step.lhs, sp.MatrixBase):
            continue
        if step.rhs is sp.true or step.rhs is True:
            if isinstance(step.lhs, sp.Equality):
                found.append((step.lhs.lhs, step.lhs.rhs))
        else:
            found.append((step.lhs, step.rhs))
    return [
        (lhs, rhs)
        for lhs, rhs in found
        if not isinstance(lhs, sp.Float) and not isinstance(rhs, sp.Float)
    ]


def _chained(claim: Any, steps: list[Step]) -> bool:
    """Whether ``claim`` is a step that holds, or an equality the holding steps chain up to.

    An ``Eq`` is proved when its two sides are joined by a chain ``lhs = e_1 = ... = rhs`` of
    steps that hold, each link literally (structural ``==``) the two sides of one step; any
    other relational must itself be the claim of a step that holds.
    """
    if any(s.holds and (s.rhs is sp.true or s.rhs is True) and s.lhs == claim for s in steps):
        return True
    if not isinstance(claim, sp.Equality):
        return False
    neighbours: dict[Any, list[Any]] = {}
    for left, right in _edges(steps):
        neighbours.setdefault(left, []).append(right)
        neighbours.setdefault(right, []).append(left)
    seen, frontier = {claim.lhs}, [claim.lhs]
    while frontier:
        node = frontier.pop()
        if node == claim.rhs:
            return True
        for other in neighbours.get(node, ()):
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return False


def statement_proved(statement: Any, steps: Iterable[Step]) -> Step:
    """Closing step: each conjunct of ``statement`` is proved by the steps that hold.

    A conjunct is proved when it is literally the claim of a step that holds, or, for an
    equality, when a chain of steps that hold joins its two sides (see :func:`_chained`).

    >>> x = sp.Symbol("x", real=True)
    >>> proved = [equal("double angle", sp.sin(2 * x), 2 * sp.sin(x) * sp.cos(x))]
    >>> statement_proved(sp.Eq(sp.sin(2 * x), 2 * sp.sin(x) * sp.cos(x)), proved).holds
    True
    >>> statement_proved(sp.Eq(sp.sin(2 * x), 2 * sp.sin(x)), proved).holds
    False
    >>> chain = [*proved, equal("swap", 2 * sp.sin(x) * sp.cos(x), 2 * sp.cos(x) * sp.sin(x))]
    >>> statement_proved(sp.Eq(2 * sp.cos(x) * sp.sin(x), sp.sin(2 * x)), chain).holds
    True
    """
    steps = list(steps)
    missing = [c for c in conjuncts(statement) if not _chained(c, steps)]
    detail = (
        "every conjunct is proved by steps that hold"
        if not missing
        else "no chain of steps that hold proves " + "; ".join(sp.sstr(c)[:200] for c in missing)
    )
    return Step("the steps prove the statement", statement, sp.true, not missing, detail)


def _implied(hypothesis: Any) -> bool:
    """Whether the symbols' own assumptions imply ``hypothesis`` (SymPy's ``ask``)."""
    if hypothesis is True or hypothesis is sp.true:
        return True
    try:
        return sp.ask(hypothesis) is True
    except (TypeError, ValueError, NotImplementedError):  # ask cannot read it: not implied
        return False


def hypotheses_accounted_for(hypotheses: Iterable[Any], steps: Iterable[Step]) -> Step:
    """Closing step: the hypotheses are exactly what the proof assumes.

    Every hypothesis must follow from the symbols' assumptions (``sp.ask``) or be cited by a
    step that holds; and every hypothesis a step cites must be one of ``hypotheses`` (a proof
    may not rely on an assumption the theorem does not state).

    >>> x, y = sp.Symbol("x", positive=True), sp.Symbol("y", real=True)
    >>> hypotheses_accounted_for([sp.Q.positive(x)], []).holds
    True
    >>> hypotheses_accounted_for([sp.Lt(y, 1)], []).holds
    False
    >>> uses_y = citing(holds_true("y", True), sp.Lt(y, 1))
    >>> hypotheses_accounted_for([sp.Lt(y, 1)], [uses_y]).holds
    True
    >>> hypotheses_accounted_for([], [uses_y]).holds
    False
    """
    hypotheses, steps = tuple(hypotheses), list(steps)
    cited = [h for s in steps for h in s.uses]
    held = [h for s in steps if s.holds for h in s.uses]
    loose = [h for h in hypotheses if not _implied(h) and not any(h == c for c in held)]
    unstated = [c for c in cited if not any(c == h for h in hypotheses)]
    problems = []
    if loose:
        problems.append("neither implied nor cited: " + "; ".join(sp.sstr(h)[:200] for h in loose))
    if unstated:
        problems.append(
            "cited but not a hypothesis: " + "; ".join(sp.sstr(c)[:200] for c in unstated)
        )
    detail = (
        "; ".join(problems)
        if problems
        else "each is implied by the symbols' assumptions or cited by a step that holds"
    )
    return Step(
        "the hypotheses are the proof's", sp.And(*hypotheses), sp.true, not problems, detail
    )


def citing(step: Step, *hypotheses: Any) -> Step:
    """``step``, recorded as relying on ``hypotheses`` (for :func:`hypotheses_accounted_for`)."""
    return dataclasses.replace(step, uses=(*step.uses, *hypotheses))


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


def evaluates(
    description: str,
    unevaluated: Any,
    value: Any,
    evaluate: Callable[[Any], Any] = lambda e: e.doit(),
) -> Step:
    """Step ``unevaluated == value``, closed after SymPy evaluates ``unevaluated``.

    The step records ``unevaluated`` itself (an ``Integral``, ``Derivative``, ``Limit`` or
    ``Sum`` of a theorem's statement), so that :func:`statement_proved` can chain it; only
    the check runs on ``evaluate(unevaluated)`` (by default SymPy's ``doit``).

    >>> x = sp.Symbol("x", positive=True)
    >>> step = evaluates("int_0^1 2x dx", sp.Integral(2 * x, (x, 0, 1)), 1)
    >>> step.holds, step.lhs
    (True, Integral(2*x, (x, 0, 1)))
    >>> evaluates("wrong", sp.Integral(2 * x, (x, 0, 1)), 2).holds
    False
    """
    checked = equal(description, evaluate(unevaluated), value)
    return Step(description, unevaluated, value, checked.holds, f"evaluated: {checked.detail}")


def follows(description: str, claim: Any, premises: Iterable[Step]) -> Step:
    """Step: ``claim`` follows from ``premises`` by the inference named in ``description``.

    The glue of a written proof ("R_i = S_i - g and R_i >= 0, hence g <= S_i"): it holds iff
    every premise holds.  SymPy checks the premises; the inference itself is stated, not
    checked, so keep it to one elementary rule and name it.  ``claim`` must be built by the
    prover, independently of the theorem's ``statement``, for :func:`statement_proved` to
    mean anything.

    >>> x = sp.Symbol("x", real=True)
    >>> square = holds_true("x**2 >= 0", sp.Ge(x**2, 0))
    >>> follows("adding 1", sp.Ge(x**2 + 1, 1), [square]).holds
    True
    >>> follows("from a failed step", sp.Ge(x, 0), [holds_true("x >= 0?", sp.Ge(x, 0))]).holds
    False
    """
    premises = list(premises)
    ok = bool(premises) and all(p.holds for p in premises)
    names = "; ".join(p.description for p in premises)
    detail = f"from: {names}" if ok else f"a premise does not hold: {names}"
    if isinstance(claim, sp.Equality):
        return Step(description, claim.lhs, claim.rhs, ok, detail)
    return Step(description, claim, sp.true, ok, detail)


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
