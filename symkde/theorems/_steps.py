"""Step, Lemma, Counterexample and the seal: the records a proof is made of.

Part of the proof machinery that :mod:`symkde.theorems._core` re-exports (its opening
paragraph states the rules).  Imports SymPy and :mod:`symkde.theorems._checks` only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symkde.theorems._checks import normalised

_SEAL = object()

#: Digits at which lemma witnesses and refutations are evaluated.
DPS = 50
#: A 50-digit evaluation (SymPy ``N`` / mpmath quadrature) is trusted to 1e-30 relative: 20
#: guard digits against cancellation and quadrature error, far below any gap we call real.
REFERENCE_BOUND = sp.Rational(1, 10**30)


@dataclass(frozen=True)
class Lemma:
    """A fact SymPy cannot prove, stated once, cited, and checked numerically at a point.

    Attributes:
        name: short name shown by ``symkde verify`` (``"L-interchange"``).
        statement: a SymPy relation on its own symbols; instances are substitutions of it.
        citation: where it is proved (a textbook theorem, with its conditions).
        witness: exact values of the statement's free symbols at which the statement is
            evaluated at 50 digits (an equality to 1e-30 relative, an inequality strictly).
        why: why this is a lemma and not a SymPy proof.
    """

    name: str
    statement: Any
    citation: str
    witness: Mapping[Any, Any]
    why: str = ""

    def check_witness(self) -> tuple[bool, str]:
        """Evaluate the statement at the witness at 50 digits: (holds, detail)."""
        return _relation_at(self.statement, self.witness)


def _at(expr: Any, values: Mapping[Any, Any]) -> Any:
    """``expr`` at ``values``: substitute, evaluate sums/derivatives, substitute again (so
    that ``z[1]`` of an expanded ``Sum`` gets its value)."""
    functions = {k: v for k, v in values.items() if isinstance(k, sp.FunctionClass)}
    plain = {k: v for k, v in values.items() if k not in functions}
    expr = sp.sympify(expr)
    for function, value in functions.items():
        expr = expr.replace(function, value)
    expr = expr.subs(plain)
    # a closed integral (no free symbols left) is evaluated by mpmath quadrature at DPS + 10:
    # SymPy's doit would try, slowly, to find an antiderivative it may not have
    expr = expr.replace(
        lambda e: isinstance(e, sp.Integral) and not e.free_symbols,
        lambda e: sp.N(e, DPS + 10),
    )
    try:
        once = expr.subs(plain).doit()
        expr = once.subs(plain).doit()
    except Exception:  # SymPy cannot evaluate it in closed form: mpmath evaluates it numerically
        expr = expr.subs(plain)
    return _sums_numerically(expr)


def _sums_numerically(expr: Any) -> Any:
    """Every numeric ``Sum`` left in ``expr`` summed by mpmath ``nsum`` at 50 (+10) digits."""
    import mpmath

    numbers = {}
    for total in expr.atoms(sp.Sum):
        if total.free_symbols - set(total.variables):
            continue
        ((index, lower, upper),) = total.limits
        term = sp.lambdify(index, total.function, "mpmath")
        with mpmath.workdps(DPS + 10):
            value = mpmath.nsum(term, [_mp(lower), _mp(upper)])
        numbers[total] = sp.Float(mpmath.re(value), DPS + 10) + sp.I * sp.Float(
            mpmath.im(value), DPS + 10
        )
    return expr.xreplace(numbers) if numbers else expr


def _mp(bound: Any) -> Any:
    import mpmath

    if bound is sp.oo:
        return mpmath.inf
    if bound is -sp.oo:
        return -mpmath.inf
    return int(bound)


def _relation_at(relation: Any, values: Mapping[Any, Any]) -> tuple[bool, str]:
    read = normalised(relation)
    if read is None:
        return False, f"cannot read {sp.sstr(relation)[:80]} as a relation"
    expr, kind = read
    sides = [relation.lhs, relation.rhs] if hasattr(relation, "lhs") else [expr, sp.Integer(0)]
    try:
        left, right = (sp.N(_at(s, values), DPS) for s in sides)
        gap = sp.N(_at(expr, values), DPS)
    except Exception as exc:  # an evaluation that fails witnesses nothing
        return False, f"could not evaluate at {dict(values)}: {exc}"
    gap = sp.re(gap) if gap.is_number and abs(sp.im(gap)) < REFERENCE_BOUND else gap
    if not gap.is_number or not gap.is_real:
        return False, f"not a real number at {dict(values)}: {gap}"
    scale = max(1, abs(left), abs(right))
    tol = REFERENCE_BOUND * scale
    ok = bool(abs(gap) <= tol) if kind == "==" else bool(gap > tol if kind == ">" else gap > -tol)
    return ok, f"at {dict(values)}: e = {sp.N(gap, 8)} ({kind} 0 wanted, 50 digits)"


@dataclass(frozen=True)
class Counterexample:
    """Exact inputs at which ``relation`` (a conjunct of the statement) fails.

    ``lhs``/``rhs`` are both sides evaluated by SymPy at 50 digits; ``reference_lhs`` and
    ``reference_rhs`` the same sides re-computed by the independent ``reference`` callable.
    """

    relation: Any
    values: Mapping[Any, Any]
    lhs: Any
    rhs: Any
    reference_lhs: Any
    reference_rhs: Any
    reference: Callable[[Mapping[Any, Any]], tuple[Any, Any]] | None = None
    stored: tuple[Any, Any] | None = None


@dataclass(frozen=True)
class Step:
    """One checked step: ``lhs == rhs`` (or a relation, with ``rhs`` ``True``).

    Attributes:
        description: what the step shows, in words.
        lhs, rhs: the two sides compared (``rhs`` is ``True`` for a relational check).
        holds: whether the check closed the step.
        detail: how it was closed, or what remained.
        counterexample: set by :func:`refutation` only.
        uses: hypotheses the step verifiably relies on (set by the machinery only).
        lemmas: lemmas the step rests on.
        cited: hypotheses named by :func:`citing` (a label: never counts as a use).
    """

    description: str
    lhs: Any
    rhs: Any
    holds: bool
    detail: str = ""
    counterexample: Counterexample | None = None
    uses: tuple[Any, ...] = ()
    lemmas: tuple[Lemma, ...] = ()
    cited: tuple[Any, ...] = ()
    #: the unchecked inferences (see :func:`unchecked`) this step rests on, by description:
    #: its own, or inherited from its premises (a checked rule never launders a debt)
    unchecked: tuple[str, ...] = ()
    seal: object = dataclasses.field(default=None, repr=False, compare=False)

    def latex(self) -> str:
        """The step as a LaTeX equation."""
        if self.rhs is sp.true:
            return sp.latex(self.lhs)
        return f"{sp.latex(self.lhs)} = {sp.latex(self.rhs)}"

    @property
    def claim(self) -> Any:
        """The relation this step shows (``Eq(lhs, rhs)`` or the relational itself)."""
        if self.rhs is sp.true or self.rhs is True:
            return self.lhs
        if isinstance(self.lhs, sp.MatrixBase):
            return None
        return sp.Eq(self.lhs, self.rhs, evaluate=False)


def _fingerprint(step: Step) -> tuple[Any, ...]:
    """What a seal vouches for: the verdict and the very objects checked (a
    ``dataclasses.replace`` that changes any of them breaks the seal)."""
    return (_SEAL, step.holds, id(step.lhs), id(step.rhs), id(step.counterexample),
            id(step.uses), id(step.lemmas), step.unchecked)  # fmt: skip


def _step(*args: Any, **kwargs: Any) -> Step:
    """A :class:`Step` built by one of the checked constructors of this module."""
    built = Step(*args, **kwargs)
    return dataclasses.replace(built, seal=_fingerprint(built))


def debts(*steps: Step) -> dict[str, Any]:
    """What a step built from ``steps`` inherits beyond uses and lemmas: their cited labels and
    their unchecked inferences (each once), so that no rule turns a debt into a checked step."""
    return {
        "cited": tuple(h for s in steps for h in s.cited),
        "unchecked": tuple(dict.fromkeys(d for s in steps for d in s.unchecked)),
    }


def sealed(step: Step) -> bool:
    """Whether ``step`` is, unchanged, what a checked constructor built."""
    return step.seal == _fingerprint(step)
