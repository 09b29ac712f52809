"""Theorem and Proof: a claim, its hypotheses and prover, and the verdict.

Part of the proof machinery that :mod:`symkde.theorems._core` re-exports.  Imports SymPy and
the other machinery modules.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from symkde.theorems._closing import (
    hypotheses_accounted_for,
    own_symbols,
    statement_proved,
    unchecked_hypotheses,
)
from symkde.theorems._refute import (
    refutes_statement,
)
from symkde.theorems._steps import (
    Counterexample,
    Lemma,
    Step,
    sealed,
)


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
    #: the prover's own steps (without the closing checks), for :meth:`Theorem.reclose`
    body: list[Step] = field(default_factory=list)

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
        debts = list(dict.fromkeys(d for st in proof.steps for d in st.unchecked))
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
        body = []
        for step in self.prover():
            if not sealed(step):
                step = dataclasses.replace(
                    step,
                    holds=False,
                    counterexample=None,
                    detail="a step built by hand checks nothing",
                )
            body.append(step)
        proof = self._close(body, self.hypotheses)
        proof.seconds = time.perf_counter() - start
        return proof

    def reclose(self, proof: Proof, hypotheses: Iterable[Any]) -> Proof:
        """The proof with ``hypotheses`` in place of the theorem's, from ``proof``'s own steps.

        A prover never reads the hypotheses, so this is the verdict ``prove`` would give the
        same theorem stated with ``hypotheses`` (used by the tests that drop or weaken each
        hypothesis, without re-running SymPy on every step).
        """
        start = time.perf_counter()
        again = self._close(list(proof.body), tuple(hypotheses))
        again.seconds = time.perf_counter() - start
        return again

    def _close(self, body: list[Step], hypotheses: tuple[Any, ...]) -> Proof:
        proof = Proof(body=body)
        own = own_symbols(self.statement, hypotheses)
        proof.steps.append(own)
        proof.steps.extend(body)
        refutations = [step for step in body if step.counterexample is not None]
        if refutations:
            closing = refutes_statement(self.statement, hypotheses, refutations)
            proof.steps.append(closing)
            if closing.holds and own.holds:
                proof.counterexample = refutations[0].counterexample
        else:
            proof.steps.append(statement_proved(self.statement, proof.steps))
            proof.steps.append(hypotheses_accounted_for(hypotheses, proof.steps))
            proof.unchecked = unchecked_hypotheses(hypotheses, proof.steps)
        return proof

    def verdict_ok(self, proof: Proof) -> bool:
        """True iff ``proof`` came out as expected (proved, or refuted for a false claim)."""
        if self.expected:
            return proof.holds
        return proof.refuted
