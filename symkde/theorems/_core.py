"""Theorem, Proof, Step, Lemma: claims and the SymPy checks that prove or refute them.

Owns the proof machinery (imports SymPy and :mod:`symkde.theorems._checks`; a refutation's
``reference`` callable brings its own independent evaluator, normally ``symkde.reference``).
The rule is that **no step holds because it was typed**: every step is closed by SymPy or by
exact arithmetic, and the few facts SymPy cannot prove enter as named :class:`Lemma` objects.
This module re-exports the machinery, which lives in ``_steps`` (records and the seal),
``_inference`` (the step constructors), ``_closing`` (the checks ``Theorem.prove`` adds),
``_refute`` (refutations) and ``_theorem`` (``Theorem``, ``Proof``); read them with this text.

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
* :func:`instantiate` -- universal instantiation: a step proved for fresh symbols (or
  indexed families) assumed only positive / only nonnegative holds at values that steps prove
  positive / nonnegative (checked substitution, sides compared by SymPy).
* :func:`absolute_bound` -- ``|X| <= B`` from steps proving ``X <= B`` and ``-B <= X``.
* :func:`by_parity` -- a claim depending on an integer ``s`` only through ``(-1)**s``, proved
  at ``s = 0`` and ``s = 1`` (a case split).
* :func:`by_identity` -- an identity ``f(j) = g(j)`` proved for a generic index, replaced at
  every index of an expression (``j`` and the integer symbols its assumptions cover).
* :func:`under_integral_between` -- an identity proved at ``t = a + tau``, ``b = a + tau +
  kappa`` (``tau, kappa >= 0``), i.e. at every ``t`` in ``[a, b]``, used inside the integral
  over ``[a, b]`` (with a step proving ``b >= a``).
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

from symkde.theorems._closing import (
    conjuncts as conjuncts,
)
from symkde.theorems._closing import (
    hypotheses_accounted_for as hypotheses_accounted_for,
)
from symkde.theorems._closing import (
    statement_proved as statement_proved,
)
from symkde.theorems._closing import (
    unchecked_hypotheses as unchecked_hypotheses,
)
from symkde.theorems._inference import (
    Parametrisation as Parametrisation,
)
from symkde.theorems._inference import (
    by_lemma as by_lemma,
)
from symkde.theorems._inference import (
    citing as citing,
)
from symkde.theorems._inference import (
    equal as equal,
)
from symkde.theorems._inference import (
    evaluates as evaluates,
)
from symkde.theorems._inference import (
    follows as follows,
)
from symkde.theorems._inference import (
    for_every_positive as for_every_positive,
)
from symkde.theorems._inference import (
    holds_true as holds_true,
)
from symkde.theorems._inference import (
    integral_nonnegative as integral_nonnegative,
)
from symkde.theorems._inference import (
    integral_of_nonnegative as integral_of_nonnegative,
)
from symkde.theorems._inference import (
    nonnegative as nonnegative,
)
from symkde.theorems._inference import (
    numeric_witness as numeric_witness,
)
from symkde.theorems._inference import (
    rewritten as rewritten,
)
from symkde.theorems._inference import (
    series_by_partial_sums as series_by_partial_sums,
)
from symkde.theorems._inference import (
    unchecked as unchecked,
)
from symkde.theorems._inference import (
    under_integral as under_integral,
)
from symkde.theorems._instances import (
    absolute_bound as absolute_bound,
)
from symkde.theorems._instances import (
    by_identity as by_identity,
)
from symkde.theorems._instances import (
    by_parity as by_parity,
)
from symkde.theorems._instances import (
    instantiate as instantiate,
)
from symkde.theorems._instances import (
    under_integral_between as under_integral_between,
)
from symkde.theorems._refute import (
    counterexample as counterexample,
)
from symkde.theorems._refute import (
    refutation as refutation,
)
from symkde.theorems._refute import (
    refutes_statement as refutes_statement,
)
from symkde.theorems._refute import (
    reproduces as reproduces,
)
from symkde.theorems._steps import (
    Counterexample as Counterexample,
)
from symkde.theorems._steps import (
    Lemma as Lemma,
)
from symkde.theorems._steps import (
    Step as Step,
)
from symkde.theorems._theorem import (
    Proof as Proof,
)
from symkde.theorems._theorem import (
    ProofFailed as ProofFailed,
)
from symkde.theorems._theorem import (
    Theorem as Theorem,
)
from symkde.theorems._theorem import (
    verdict_text as verdict_text,
)

__all__ = [
    "Counterexample",
    "Lemma",
    "Parametrisation",
    "Proof",
    "ProofFailed",
    "Step",
    "Theorem",
    "absolute_bound",
    "by_identity",
    "by_lemma",
    "by_parity",
    "citing",
    "conjuncts",
    "counterexample",
    "equal",
    "evaluates",
    "follows",
    "for_every_positive",
    "holds_true",
    "hypotheses_accounted_for",
    "instantiate",
    "integral_nonnegative",
    "integral_of_nonnegative",
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
    "under_integral",
    "under_integral_between",
    "verdict_text",
]
