"""Theorem, Proof, Step, Lemma: claims and the SymPy checks that prove or refute them.

Owns the proof machinery (imports SymPy and :mod:`symkde.theorems._checks`; a refutation's
``reference`` callable brings its own independent evaluator, normally ``symkde.reference``).
The rule is that **no step holds because it was typed**: every step is closed by SymPy or by
exact arithmetic, and the few facts SymPy cannot prove enter as named :class:`Lemma` objects.
The file is longer than 600 lines because the soundness rules must be read together.

The steps (each returns a :class:`Step`):

* :func:`equal` -- ``lhs == rhs``; SymPy reduces the difference to 0.
* :func:`evaluates` -- an ``Integral``/``Derivative``/``Limit``/``Sum`` equals a value after
  SymPy evaluates it (the step records the unevaluated object so statements can chain it).
* :func:`holds_true` -- a relation SymPy evaluates to ``True``; a literal ``True`` is refused.
* :func:`nonnegative` -- a certificate: ``expr`` rewritten (SymPy checks the rewriting equal)
  as a form whose sign SymPy decides from the symbols' assumptions.
* :func:`follows` -- a claim **SymPy derives** from premises (steps that hold, or hypotheses):
  by substituting premise equalities, or as a nonnegative combination of the premises.  A
  hypothesis given as a premise counts as *used* only if the inference fails without it.
* :class:`Parametrisation` -- a hypothesis on the theorem's symbols expressed by a fresh
  symbol (``r_j = d + e_j``, ``e_j >= 0`` for ``d <= r_j``); SymPy checks that the fresh
  symbol covers exactly the hypothesis, and :meth:`Parametrisation.lift` carries a step proved
  for the parametrised expression back to the claim (the hypothesis is then used).
* :func:`by_lemma` -- an instance of a :class:`Lemma` (statement, citation, a 50-digit numeric
  witness, and why SymPy cannot prove it).  The instance is computed by substitution, never
  typed.  A proof that uses lemmas is "proved from lemmas L1..Lk".
* :func:`refutation` -- a counterexample to the statement itself: exact inputs, the
  hypotheses checked there, both sides evaluated by SymPy at 50 digits *and* re-computed by
  an independent ``reference`` callable (``symkde.reference``); the claimed values (if stored)
  must reproduce.
* :func:`numeric_witness` -- supporting evidence at a point; never closes a statement.

:meth:`Theorem.prove` adds its own closing steps: the hypotheses are relations on the
statement's own symbols (no placeholder names); every conjunct of the statement is a holding
step's claim or an equality joined by a chain of holding steps; every hypothesis is implied by
the symbols' assumptions or verifiably used; a refutation refutes a conjunct of the statement.

>>> import sympy as sp
>>> x, e = sp.Symbol("x", real=True), sp.Symbol("e", nonnegative=True)
>>> r = sp.Symbol("r", real=True)
>>> H = sp.Ge(r, 1)                                    # the hypothesis r >= 1
>>> via = Parametrisation(H, r, 1 + e, e, r - 1)       # r = 1 + e with e >= 0
>>> claim = sp.Ge(r**2, 1)
>>> inner = holds_true("(1 + e)^2 >= 1", via.apply(claim))
>>> thm = Theorem("sq", "r >= 1 gives r^2 >= 1", claim, (H,), lambda: [via.lift(inner, claim)])
>>> proof = thm.prove()
>>> proof.holds, verdict_text(thm, proof)
(True, 'proved')
>>> wrong = Theorem("sq", "r >= 0 gives r^2 >= 1", claim, (sp.Ge(r, 0),),
...                 lambda: [via.lift(inner, claim)])
>>> wrong.prove().holds                               # the proof uses r >= 1, not r >= 0
False
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symkde.theorems._checks import entails, normalised, sign_holds, zero

__all__ = [
    "Counterexample",
    "Lemma",
    "Parametrisation",
    "Proof",
    "ProofFailed",
    "Step",
    "Theorem",
    "by_lemma",
    "citing",
    "conjuncts",
    "counterexample",
    "equal",
    "evaluates",
    "follows",
    "holds_true",
    "hypotheses_accounted_for",
    "integral_nonnegative",
    "nonnegative",
    "numeric_witness",
    "refutation",
    "refutes_statement",
    "reproduces",
    "rewritten",
    "series_by_partial_sums",
    "statement_proved",
    "unchecked",
    "unchecked_hypotheses",
    "verdict_text",
]

#: Every step the constructors below build carries this seal; ``Theorem.prove`` refuses a
#: step built by hand (``Step(..., holds=True)`` checks nothing).
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
    #: an inference SymPy did not check (see :func:`unchecked`)
    unchecked: bool = False
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


def sealed(step: Step) -> bool:
    """Whether ``step`` is, unchanged, what a checked constructor built."""
    return step.seal == _fingerprint(step)


class ProofFailed(AssertionError):
    """Raised by ``Proof.require`` when a step did not close."""


@dataclass
class Proof:
    """The outcome of :meth:`Theorem.prove`.

    Attributes:
        steps: the checked steps, in order.
        counterexample: for a refuted claim, the re-computed counterexample.
        seconds: wall time of the proof.
    """

    steps: list[Step] = field(default_factory=list)
    counterexample: Counterexample | None = None
    seconds: float = 0.0
    #: hypotheses accounted for only by a :func:`citing` label
    unchecked: list[Any] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        """True iff every step closed and no counterexample was found."""
        return self.counterexample is None and bool(self.steps) and all(s.holds for s in self.steps)

    @property
    def refuted(self) -> bool:
        """True when a re-computed counterexample to the statement itself was found."""
        return self.counterexample is not None

    @property
    def failed_steps(self) -> list[Step]:
        return [s for s in self.steps if not s.holds]

    @property
    def lemmas(self) -> list[Lemma]:
        """The lemmas the proof rests on, each once, in order of use."""
        found: dict[str, Lemma] = {}
        for step in self.steps:
            for lemma in step.lemmas:
                found.setdefault(lemma.name, lemma)
        return list(found.values())


def verdict_text(theorem: Theorem, proof: Proof) -> str:
    """``proved``, ``proved from lemmas L1, L2``, ``refuted (as expected)``, ``refuted`` or
    ``FAILED``."""
    if proof.holds:
        lemmas = proof.lemmas
        text = "proved" if not lemmas else "proved from lemmas " + ", ".join(m.name for m in lemmas)
        if proof.unchecked:
            text += f" (cites {len(proof.unchecked)} unchecked)"
        debts = [st for st in proof.steps if st.unchecked]
        if debts:
            text += f" (with {len(debts)} unchecked inference{'s' if len(debts) > 1 else ''})"
        return text
    if proof.refuted:
        return "refuted (as expected)" if not theorem.expected else "refuted"
    return "FAILED"


@dataclass(frozen=True)
class Theorem:
    """A named claim with hypotheses and a SymPy proof.

    Attributes:
        name: registry key (``symkde derive NAME``).
        title: one line for tables.
        statement: the claim, a SymPy object (usually ``Eq`` or a relational).
        hypotheses: SymPy relations / predicates on the statement's own symbols.
        prover: yields the steps.
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
        """Run every step, then the closing steps of the module docstring."""
        start = time.perf_counter()
        proof = Proof()
        own = own_symbols(self.statement, self.hypotheses)
        proof.steps.append(own)
        refutations = []
        for step in self.prover():
            if not sealed(step):
                step = dataclasses.replace(
                    step,
                    holds=False,
                    counterexample=None,
                    detail="a step built by hand checks nothing",
                )
            proof.steps.append(step)
            if step.counterexample is not None:
                refutations.append(step)
        if refutations:
            closing = refutes_statement(self.statement, self.hypotheses, refutations)
            proof.steps.append(closing)
            if closing.holds and own.holds:
                proof.counterexample = refutations[0].counterexample
        else:
            proof.steps.append(statement_proved(self.statement, proof.steps))
            proof.steps.append(hypotheses_accounted_for(self.hypotheses, proof.steps))
            proof.unchecked = unchecked_hypotheses(self.hypotheses, proof.steps)
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


def _atoms(expr: Any) -> set[Any]:
    if not isinstance(expr, sp.Basic):
        return set()
    return set(expr.atoms(sp.Symbol)) | set(expr.atoms(sp.IndexedBase))


_OWN = "the hypotheses are relations on the statement's own symbols"


def own_symbols(statement: Any, hypotheses: Iterable[Any]) -> Step:
    """Closing step: every hypothesis is a SymPy relation or predicate, and names no
    placeholder: a symbol absent from the statement whose name is not a variable name (such
    as ``Symbol("min_j |c - x_j|")``) is refused.

    >>> d, D = sp.Symbol("d", positive=True), sp.Symbol("D", positive=True)
    >>> own_symbols(sp.Ge(d, D), [sp.Le(d, sp.Symbol("min_j |c - x_j|"))]).holds
    False
    >>> own_symbols(sp.Ge(d, D), [sp.Le(d, 1)]).holds
    True
    """
    own = _atoms(statement)
    problems = []
    for hypothesis in hypotheses:
        if hypothesis is sp.true:  # SymPy decided it from the symbols' assumptions
            continue
        if not isinstance(hypothesis, sp.Basic) or not isinstance(
            hypothesis, sp.logic.boolalg.Boolean
        ):
            problems.append(f"not a SymPy relation: {hypothesis!r}")
            continue
        named = hypothesis.free_symbols | set(hypothesis.atoms(sp.IndexedBase))
        # a symbol the statement lacks is a placeholder when its name is not a variable name
        # ("min_j |c - x_j|"); a "for all u" property of a kernel may name its own variable
        stray = {
            s
            for s in named
            if not isinstance(s, sp.Indexed)
            and s not in own
            and not str(s).replace("_", "a").isidentifier()
        }
        if stray:
            names = ", ".join(sorted(map(str, stray)))
            problems.append(f"{sp.sstr(hypothesis)[:80]} names {names}, not in the statement")
    detail = "; ".join(problems) if problems else "every hypothesis speaks of the statement"
    return _step(_OWN, sp.And(*[h for h in hypotheses if isinstance(h, sp.Basic)]), sp.true,
                not problems, detail)  # fmt: skip


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
    """Whether ``claim`` is a step that holds, or an equality the holding steps chain up to."""
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
    """
    steps = [s for s in steps if s.description != _OWN]
    missing = [c for c in conjuncts(statement) if not _chained(c, steps)]
    detail = (
        "every conjunct is proved by steps that hold"
        if not missing
        else "no chain of steps that hold proves " + "; ".join(sp.sstr(c)[:200] for c in missing)
    )
    return _step("the steps prove the statement", statement, sp.true, not missing, detail)


def _implied(hypothesis: Any) -> bool:
    """Whether the symbols' own assumptions imply ``hypothesis``."""
    try:
        if sp.ask(hypothesis) is True:
            return True
    except (TypeError, ValueError, NotImplementedError, AttributeError):
        pass
    read = normalised(hypothesis)
    if read is None or read[0].has(sp.Integral, sp.Sum, sp.Derivative, sp.Limit):
        return False  # simplify would try to evaluate these: not an assumption
    return sign_holds(*read)


def hypotheses_accounted_for(hypotheses: Iterable[Any], steps: Iterable[Step]) -> Step:
    """Closing step: the hypotheses are exactly what the proof uses.

    Every hypothesis must follow from the symbols' assumptions, be *used* by a step that holds
    (a premise of :func:`follows` the inference needs, or a :class:`Parametrisation`), or be
    *cited* by a step that holds (:func:`citing`: a label, listed by ``symkde verify`` as not
    machine-checked); every hypothesis a step uses or cites must be one of ``hypotheses``.

    >>> x, y = sp.Symbol("x", positive=True), sp.Symbol("y", real=True)
    >>> hypotheses_accounted_for([sp.Q.positive(x)], []).holds
    True
    >>> hypotheses_accounted_for([sp.Lt(y, 1)], []).holds
    False
    >>> uses_y = follows("y < 2", sp.Lt(y, 2), [sp.Lt(y, 1)])
    >>> hypotheses_accounted_for([sp.Lt(y, 1)], [uses_y]).holds
    True
    >>> hypotheses_accounted_for([], [uses_y]).holds
    False
    """
    hypotheses, steps = tuple(hypotheses), list(steps)
    mentioned = [h for s in steps for h in (*s.uses, *s.cited)]
    held = [h for s in steps if s.holds for h in (*s.uses, *s.cited)]
    loose = [h for h in hypotheses if not _implied(h) and not any(h == c for c in held)]
    unstated = [c for c in mentioned if not any(c == h for h in hypotheses)]
    problems = []
    if loose:
        problems.append("neither implied nor used: " + "; ".join(sp.sstr(h)[:200] for h in loose))
    if unstated:
        problems.append(
            "used but not a hypothesis: " + "; ".join(sp.sstr(c)[:200] for c in unstated)
        )
    only_cited = unchecked_hypotheses(hypotheses, steps)
    detail = (
        "; ".join(problems)
        if problems
        else "each is implied by the symbols' assumptions or used by a step that holds"
        + (
            "; cited, not machine-checked: " + "; ".join(sp.sstr(h)[:80] for h in only_cited)
            if only_cited
            else ""
        )
    )
    return _step(
        "the hypotheses are the proof's", sp.And(*hypotheses), sp.true, not problems, detail
    )


def unchecked_hypotheses(hypotheses: Iterable[Any], steps: Iterable[Step]) -> list[Any]:
    """Hypotheses that only :func:`citing` labels account for (none verifiably used)."""
    steps = list(steps)
    used = [h for s in steps if s.holds for h in s.uses]
    cited = [h for s in steps if s.holds for h in s.cited]
    return [
        h
        for h in hypotheses
        if not _implied(h) and not any(h == u for u in used) and any(h == c for c in cited)
    ]


def citing(step: Step, *hypotheses: Any) -> Step:
    """``step``, labelled as relying on ``hypotheses``: an *unchecked* use.

    The hypothesis then counts as accounted for, but the verdict says "cites unchecked ..."
    and ``symkde verify`` lists it.  To use a hypothesis verifiably, make it a premise of
    :func:`follows` or express it with a :class:`Parametrisation`.
    """
    return dataclasses.replace(step, cited=(*step.cited, *hypotheses))


def equal(description: str, lhs: Any, rhs: Any) -> Step:
    """Step ``lhs == rhs``: holds iff SymPy reduces ``lhs - rhs`` to exactly 0.

    Works element-wise for matrices.

    >>> x = sp.Symbol("x", real=True)
    >>> equal("double angle", sp.sin(2 * x), 2 * sp.sin(x) * sp.cos(x)).holds
    True
    >>> equal("wrong", sp.sin(2 * x), sp.sin(x)).holds
    False
    """
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        diff_matrix = sp.Matrix(lhs) - sp.Matrix(rhs)
        results = [zero(d) for d in diff_matrix]
        ok = all(r[0] for r in results)
        detail = "all entries reduce to 0" if ok else next(r[1] for r in results if not r[0])
        return _step(description, lhs, rhs, ok, detail)
    ok, detail = zero(sp.sympify(lhs) - sp.sympify(rhs))
    return _step(description, lhs, rhs, ok, detail)


def evaluates(
    description: str,
    unevaluated: Any,
    value: Any,
    evaluate: Callable[[Any], Any] = lambda e: e.doit(),
) -> Step:
    """Step ``unevaluated == value``, closed after SymPy evaluates ``unevaluated``.

    >>> x = sp.Symbol("x", positive=True)
    >>> step = evaluates("int_0^1 2x dx", sp.Integral(2 * x, (x, 0, 1)), 1)
    >>> step.holds, step.lhs
    (True, Integral(2*x, (x, 0, 1)))
    >>> evaluates("wrong", sp.Integral(2 * x, (x, 0, 1)), 2).holds
    False
    """
    checked = equal(description, evaluate(unevaluated), value)
    return _step(description, unevaluated, value, checked.holds, f"evaluated: {checked.detail}")


def holds_true(description: str, claim: Any) -> Step:
    """Step for a relation: holds iff SymPy evaluates ``claim`` to ``True``.

    A Python ``True`` checks nothing and is refused.  (A relation SymPy evaluates to ``true``
    as it is built was decided by SymPy; build it with ``evaluate=False`` to show the claim.)

    >>> holds_true("exchanging sum and integral", True).holds
    False
    >>> q = sp.Symbol("q", positive=True)
    >>> holds_true("q + 1 > 1", sp.Gt(q + 1, 1, evaluate=False)).holds
    True
    """
    if claim is True or isinstance(claim, bool):
        return _step(description, sp.true, sp.true, False, "a typed Python bool is not a check")
    value = claim
    if not isinstance(value, bool | sp.logic.boolalg.BooleanAtom):
        value = sp.simplify(claim)
    ok = value is sp.true or value is True
    if not ok:
        read = normalised(claim)
        ok = read is not None and sign_holds(*read)
    return _step(description, claim, sp.true, ok, "evaluates to True" if ok else f"left as {value}")


def nonnegative(description: str, expr: Any, certificate: Any, *, strict: bool = False) -> Step:
    """Step ``expr >= 0`` (``> 0`` if ``strict``) by a certificate SymPy checks.

    ``certificate`` must reduce to ``expr`` (SymPy: difference 0) and SymPy must decide its
    sign from the symbols' assumptions (a sum of squares, products of positive symbols...).

    >>> x = sp.Symbol("x", real=True)
    >>> nonnegative("x^2 - 2x + 1 >= 0", x**2 - 2 * x + 1, (x - 1) ** 2).holds
    True
    >>> nonnegative("wrong certificate", x**2 - 2 * x, (x - 1) ** 2).holds
    False
    """
    relation = sp.Gt(expr, 0) if strict else sp.Ge(expr, 0)
    same, detail = zero(sp.sympify(expr) - sp.sympify(certificate))
    if not same:
        return _step(description, relation, sp.true, False, f"certificate is not expr: {detail}")
    kind = ">" if strict else ">="
    if not sign_holds(certificate, kind):
        return _step(description, relation, sp.true, False, "the certificate's sign is undecided")
    return _step(description, relation, sp.true, True, f"certificate {sp.sstr(certificate)[:120]}")


def _relation_of(premise: Any) -> Any:
    if isinstance(premise, Step):
        return premise.claim
    return premise


def follows(
    description: str,
    claim: Any,
    premises: Iterable[Any],
    *,
    multipliers: Iterable[Any] | None = None,
) -> Step:
    """Step: SymPy derives ``claim`` from ``premises`` (steps that hold, or hypotheses).

    The inference is checked (see :func:`symkde.theorems._checks.entails`): substitution of
    premise equalities, or ``claim - sum m_k premise_k`` decided nonnegative.  A premise that
    is not a :class:`Step` is a hypothesis of the theorem; it is recorded as *used* only when
    the inference fails without it.

    >>> x = sp.Symbol("x", real=True)
    >>> square = holds_true("x**2 >= 0", sp.Ge(x**2, 0, evaluate=False))
    >>> follows("adding 1", sp.Ge(x**2 + 1, 1), [square]).holds
    True
    >>> follows("a typed wrong conclusion", sp.Ge(x**2 - 1, 1), [square]).holds
    False
    """
    premises = list(premises)
    weights = list(multipliers) if multipliers is not None else None
    failed = [p.description for p in premises if isinstance(p, Step) and not p.holds]
    if failed:
        return _step(description, claim, sp.true, False, f"a premise does not hold: {failed}")
    relations = [_relation_of(p) for p in premises]
    if any(r is None for r in relations):
        return _step(description, claim, sp.true, False, "a premise is not a relation")
    ok, detail = entails(claim, relations, weights)
    hypotheses = [p for p in premises if not isinstance(p, Step)]
    used = []
    if ok:
        for hypothesis in hypotheses:
            rest = [r for p, r in zip(premises, relations, strict=True) if p is not hypothesis]
            rest_weights = (
                None
                if weights is None
                else [w for p, w in zip(premises, weights, strict=True) if p is not hypothesis]
            )
            if not entails(claim, rest, rest_weights)[0]:
                used.append(hypothesis)
    lemmas = tuple(m for p in premises if isinstance(p, Step) for m in p.lemmas)
    uses = (*used, *(h for p in premises if isinstance(p, Step) for h in p.uses))
    lhs, rhs = (claim.lhs, claim.rhs) if isinstance(claim, sp.Equality) else (claim, sp.true)
    return _step(description, lhs, rhs, ok, detail, uses=uses, lemmas=lemmas)


@dataclass(frozen=True)
class Parametrisation:
    """A hypothesis expressed by a fresh symbol: ``old = value(fresh)``, ``fresh`` assumed.

    SymPy checks (:meth:`check`) that the fresh symbol covers exactly the hypothesis: the
    hypothesis holds at ``value`` under the fresh symbol's assumptions, ``value`` at
    ``inverse`` gives back ``old`` (in each of ``branches``, a substitution of sign symbols
    paired with a condition on ``old``), and ``inverse`` satisfies the fresh symbol's
    assumption exactly when the hypothesis holds.

    Attributes:
        hypothesis: a relation on the theorem's symbols (e.g. ``d <= r_j``).
        old: the symbol (or indexed object) the hypothesis constrains.
        value: ``old`` in terms of ``fresh`` (e.g. ``d + e_j``).
        fresh: a symbol or indexed object whose assumption (positive / nonnegative) encodes
            the hypothesis.
        inverse: ``fresh`` in terms of ``old`` (e.g. ``r_j - d``).
        apply_to: how to substitute in a whole expression (default ``subs(old, value)``; for
            indexed families, a function substituting every index).
        branches: ``[(substitution, condition), ...]`` for values using a sign symbol.
    """

    hypothesis: Any
    old: Any
    value: Any
    fresh: Any
    inverse: Any
    apply_to: Callable[[Any], Any] | None = None
    branches: tuple[tuple[Mapping[Any, Any], Any], ...] = ()

    def apply(self, expr: Any) -> Any:
        """``expr`` with the hypothesis' object parametrised (relations left unevaluated)."""
        if isinstance(expr, sp.core.relational.Relational):
            return type(expr)(self.apply(expr.lhs), self.apply(expr.rhs), evaluate=False)
        if self.apply_to is not None:
            return self.apply_to(expr)
        return sp.sympify(expr).subs(self.old, self.value)

    def _kind(self) -> str | None:
        if self.fresh.is_positive:
            return ">"
        if self.fresh.is_nonnegative:
            return ">="
        return None

    def check(self) -> tuple[bool, str]:
        """Whether the parametrisation covers exactly the hypothesis (see the class)."""
        kind = self._kind()
        if kind is None:
            return False, f"{self.fresh} is assumed neither positive nor nonnegative"
        read = normalised(self.hypothesis)
        if read is None:
            return False, "the hypothesis is not a relation"
        expr, hyp_kind = read
        if not sign_holds(self.apply(expr), hyp_kind):
            return False, "the hypothesis is not decided at the parametrised value"
        branches = self.branches or (({}, sp.true),)
        for substitution, condition in branches:
            back = sp.sympify(self.value).subs(substitution).subs(self.fresh, self.inverse)
            if condition is not sp.true:
                back = sp.refine(back, condition)
            if not zero(back - self.old)[0]:
                return False, f"value(inverse) is not {self.old} in branch {substitution}"
        if kind != hyp_kind or not zero(sp.sympify(self.inverse) - expr)[0]:
            ratio = sp.simplify(sp.sympify(self.inverse) / expr)
            if kind != hyp_kind or not (ratio.is_number and ratio.is_positive):
                return False, "the fresh symbol's assumption is not the hypothesis"
        return True, f"{self.old} = {sp.sstr(self.value)[:60]} covers exactly the hypothesis"

    def lift(self, step: Step, claim: Any) -> Step:
        """``claim``, from ``step`` proving ``apply(claim)``; uses the hypothesis.

        Holds iff the parametrisation checks, ``step`` holds, ``claim`` does not mention the
        fresh symbol, and ``step``'s claim is SymPy-equal to ``apply(claim)``.
        """
        ok, detail = self.check()
        description = f"for every configuration with {sp.sstr(self.hypothesis)[:80]}"
        lhs, rhs = (claim.lhs, claim.rhs) if isinstance(claim, sp.Equality) else (claim, sp.true)
        base = (self.fresh.label if isinstance(self.fresh, sp.Indexed) else self.fresh,)
        if ok and _atoms(claim) & set(base):
            ok, detail = False, "the claim mentions the fresh symbol"
        if ok and not step.holds:
            ok, detail = False, f"the parametrised step fails: {step.description}"
        if ok:
            ok, detail = _same_relation(step.claim, self.apply(claim), detail)
        return _step(description, lhs, rhs, ok, detail, uses=(self.hypothesis, *step.uses),
                    lemmas=step.lemmas)  # fmt: skip


def _same_relation(shown: Any, wanted: Any, detail: str) -> tuple[bool, str]:
    if shown == wanted:
        return True, detail
    if type(shown) is not type(wanted) or shown is None:
        return False, "the step proves a different relation"
    pairs = zip(shown.args, wanted.args, strict=False)
    if all(zero(left - right)[0] for left, right in pairs):
        return True, detail
    return False, "the step proves a different relation"


def by_lemma(lemma: Lemma, instance: Mapping[Any, Any], description: str = "") -> Step:
    """Step: ``lemma.statement`` with ``instance`` substituted (computed, never typed).

    Holds iff the lemma's 50-digit witness checks.
    """
    claim = lemma.statement.subs(instance)
    ok, detail = lemma.check_witness()
    text = description or f"by lemma {lemma.name}"
    lhs, rhs = (claim.lhs, claim.rhs) if isinstance(claim, sp.Equality) else (claim, sp.true)
    return _step(text, lhs, rhs, ok, f"{lemma.citation}; witness {detail}", lemmas=(lemma,))


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

    A witness is supporting evidence; its sides are Floats, which never link a chain.
    """
    left, right = sp.N(sp.sympify(lhs).subs(values), dps), sp.N(sp.sympify(rhs).subs(values), dps)
    scale = max(1, abs(left), abs(right))
    gap = abs(left - right)
    ok = bool(gap <= scale * sp.Rational(1, 10**tol_digits))
    return _step(description, left, right, ok, f"|lhs - rhs| = {sp.N(gap, 5)} at {dict(values)}")


def _hypothesis_at(hypothesis: Any, values: Mapping[Any, Any]) -> bool:
    """Whether ``hypothesis`` holds at ``values`` (free integer indices range over 1..n)."""
    expr = hypothesis.subs(values)
    free = sorted((s for s in expr.free_symbols if s.is_integer), key=str)
    count = next((v for k, v in values.items() if str(k) == "n"), None)
    if free and count is None:
        return False
    ranges = [range(1, int(count) + 1)] * len(free) if free and count is not None else []
    for combo in itertools.product(*ranges):
        at = expr.subs(dict(zip(free, combo, strict=True))).subs(values).doit()
        read = normalised(at)
        if read is None:
            if not bool(at):
                return False
            continue
        ok, _ = _relation_at(at, {})
        if not ok:
            return False
    return True


def refutation(
    description: str,
    relation: Any,
    values: Mapping[Any, Any],
    reference: Callable[[Mapping[Any, Any]], tuple[Any, Any]],
    *,
    evaluate: Callable[[Any, Mapping[Any, Any]], Any] | None = None,
    stored: tuple[Any, Any] | None = None,
) -> Step:
    """A counterexample to ``relation`` (a conjunct of the statement) at exact ``values``.

    Both sides are evaluated by SymPy at 50 digits (``evaluate(side, values)``, default
    ``side.subs(values).doit()``) and re-computed by ``reference(values)`` (an independent
    evaluator, normally ``symkde.reference``); the two must agree to 1e-30 relative and the
    relation must fail by more than that.  ``stored`` (the values a reader is shown) must
    reproduce too.  The step never holds (the claim fails there); :meth:`Theorem.prove`
    accepts it as a refutation only if ``relation`` is a conjunct of the statement and the
    theorem's hypotheses hold at ``values``.
    """
    read = normalised(relation)
    if read is None:
        return _step(description, relation, sp.true, False, "not a relation")
    sides = (relation.lhs, relation.rhs)
    run = evaluate or (lambda side, at: sp.sympify(side).subs(at).doit())
    try:
        lhs, rhs = (sp.N(run(side, values), DPS) for side in sides)
        ref_lhs, ref_rhs = (sp.Float(v, DPS) for v in reference(values))
    except Exception as exc:  # an evaluation that fails refutes nothing
        return _step(description, relation, sp.true, False, f"could not evaluate: {exc}")
    scale = max(1, abs(lhs), abs(rhs))
    tol = REFERENCE_BOUND * scale
    agree = bool(abs(lhs - ref_lhs) <= tol and abs(rhs - ref_rhs) <= tol)
    if not agree:
        detail = f"SymPy ({lhs}, {rhs}) and the reference ({ref_lhs}, {ref_rhs}) disagree"
        return _step(description, relation, sp.true, False, detail)
    if stored is not None:
        if not all(abs(sp.N(s, DPS) - v) <= tol for s, v in zip(stored, (lhs, rhs), strict=True)):
            detail = f"the stored sides {stored} do not reproduce ({lhs}, {rhs})"
            return _step(description, relation, sp.true, False, detail)
    left_minus_right = lhs - rhs
    if read[1] == "==":
        fails = bool(abs(left_minus_right) > tol)
    else:
        sign = 1 if isinstance(relation, sp.GreaterThan | sp.StrictGreaterThan) else -1
        value = sign * left_minus_right  # the relation says value >= 0 (or > 0)
        fails = bool(value < -tol) if read[1] == ">=" else bool(value <= tol)
    if not fails:
        return _step(description, relation, sp.true, False, "no counterexample: the relation holds")
    example = Counterexample(relation, dict(values), lhs, rhs, ref_lhs, ref_rhs, reference, stored)
    detail = f"lhs = {sp.N(lhs, 12)}, rhs = {sp.N(rhs, 12)} (reference agrees to 1e-30)"
    return _step(description, relation, sp.true, False, detail, counterexample=example)


def counterexample(
    description: str, lhs: Any, rhs: Any, values: Mapping[sp.Symbol, Any], *, dps: int = 50
) -> Step:
    """Deprecated: two typed sides that differ are not a refutation of anything.

    Kept so old provers run; the step fails and records no counterexample.  Use
    :func:`refutation`.
    """
    return _step(description, lhs, rhs, False, "typed sides refute nothing: use refutation()")


def refutes_statement(statement: Any, hypotheses: Iterable[Any], steps: Iterable[Step]) -> Step:
    """Closing step of a refuted claim: some counterexample refutes a conjunct of the
    statement itself, at a point where every hypothesis holds."""
    parts = conjuncts(statement)
    hypotheses = tuple(hypotheses)
    problems = []
    for step in steps:
        example = step.counterexample
        if example is None:
            continue
        if not any(example.relation == part for part in parts):
            problems.append(f"{step.description}: refutes a relation that is not the statement")
            continue
        bad = [h for h in hypotheses if not _hypothesis_at(h, example.values)]
        if bad:
            problems.append(f"{step.description}: hypotheses fail there: {bad}")
            continue
        return _step("the counterexample refutes the statement", statement, sp.true, True,
                    f"re-computed at 50 digits: {step.detail}")  # fmt: skip
    return _step("the counterexample refutes the statement", statement, sp.true, False,
                "; ".join(problems) or "no counterexample")  # fmt: skip


def reproduces(example: Counterexample) -> tuple[bool, str]:
    """Re-run the reference on a stored counterexample (``symkde verify``)."""
    if example.reference is None:
        return False, "no reference to re-compute with"
    ref = [sp.Float(v, DPS) for v in example.reference(example.values)]
    tol = REFERENCE_BOUND * max(1, abs(example.lhs), abs(example.rhs))
    same = all(abs(r - s) <= tol for r, s in zip(ref, (example.lhs, example.rhs), strict=True))
    return same, "reproduces" if same else f"re-computed {ref}, stored {example.lhs, example.rhs}"


def rewritten(
    description: str, lhs: Any, rhs: Any, rewrite: Callable[[Any], Any], how: str = ""
) -> Step:
    """Step ``lhs == rhs`` (or, with ``rhs`` ``None``, the relation ``lhs``) checked after an
    equivalence-preserving ``rewrite`` (SymPy code: ``logcombine``, linearity, definitions).

    The check runs on ``rewrite(lhs - rhs)`` (or ``rewrite(lhs)``), so the recorded sides are
    the ones checked; the rewrite is named in the detail.

    >>> x = sp.Symbol("x", positive=True)
    >>> rewritten("log x + log 2", sp.log(x) + sp.log(2), sp.log(2 * x), sp.logcombine).holds
    True
    >>> rewritten("wrong", sp.log(x) + sp.log(2), sp.log(3 * x), sp.logcombine).holds
    False
    """
    name = how or getattr(rewrite, "__name__", "rewrite")
    if rhs is None:
        checked = holds_true(description, rewrite(lhs))
        return _step(description, lhs, sp.true, checked.holds, f"after {name}: {checked.detail}")
    ok, detail = zero(rewrite(sp.sympify(lhs) - sp.sympify(rhs)))
    return _step(description, lhs, rhs, ok, f"lhs - rhs after {name}: {detail}")


def integral_nonnegative(
    description: str, integral: sp.Integral, substitution: Mapping[Any, Any] | None = None
) -> Step:
    """Step ``integral >= 0`` by monotonicity of the integral (an inference rule).

    Holds iff SymPy decides both premises after ``substitution``: the integrand is ``>= 0`` and
    ``upper > lower``.
    """
    (_, lower, upper) = integral.limits[0]
    subs = dict(substitution or {})
    integrand_ok = sign_holds(integral.function.subs(subs), ">=")
    order_ok = sign_holds((upper - lower).subs(subs), ">")
    ok = bool(integrand_ok and order_ok)
    detail = f"integrand >= 0: {integrand_ok}; upper > lower: {order_ok} (monotonicity)"
    return _step(description, sp.Ge(integral, 0), sp.true, ok, detail)


def series_by_partial_sums(
    description: str, series: sp.Sum, partial: sp.Expr, n_terms: sp.Symbol
) -> Step:
    """Step ``series = Limit(partial, n_terms, oo)`` for a ``Sum`` to infinity (the definition
    of a series), with ``partial`` shown to be the partial sum by induction: 0 at
    ``n_terms = 0`` and growing by the term of index ``lower + n_terms - 1``."""
    ((index, lower, upper),) = series.limits
    base = zero(partial.subs(n_terms, 0))
    grows = zero(
        partial
        - partial.subs(n_terms, n_terms - 1)
        - series.function.subs(index, lower + n_terms - 1)
    )
    holds = upper is sp.oo and bool(n_terms.is_positive) and base[0] and grows[0]
    detail = f"S_0 = 0: {base[1]}; S_N - S_(N-1) is term N - 1: {grows[1]}"
    return _step(description, series, sp.Limit(partial, n_terms, sp.oo), holds, detail)


def unchecked(description: str, claim: Any, premises: Iterable[Step], reason: str) -> Step:
    """An inference SymPy does not check (premises must hold).  The verdict then reads
    "proved with k unchecked inferences" and ``symkde verify`` lists the step: a debt to be
    replaced by :func:`follows`, a :class:`Parametrisation` or a :class:`Lemma`."""
    premises = list(premises)
    ok = bool(premises) and all(p.holds for p in premises)
    lhs, rhs = (claim.lhs, claim.rhs) if isinstance(claim, sp.Equality) else (claim, sp.true)
    lemmas = tuple(m for p in premises for m in p.lemmas)
    uses = tuple(h for p in premises for h in p.uses)
    cited = tuple(h for p in premises for h in p.cited)
    return _step(description, lhs, rhs, ok, f"UNCHECKED inference: {reason}", uses=uses,
                 lemmas=lemmas, cited=cited, unchecked=True)  # fmt: skip
