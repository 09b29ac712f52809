"""The step constructors: equal, evaluates, holds_true, nonnegative, follows, by_lemma, ...

Part of the proof machinery that :mod:`symkde.theorems._core` re-exports.  Imports SymPy,
:mod:`symkde.theorems._checks` and the earlier machinery modules (``_steps``, ``_closing``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symkde.theorems._checks import entails, normalised, sign_holds, zero
from symkde.theorems._closing import (
    _atoms,
)
from symkde.theorems._steps import (
    Lemma,
    Step,
    _step,
    debts,
)


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
    inherited = debts(*(p for p in premises if isinstance(p, Step)))
    return _step(description, lhs, rhs, ok, detail, uses=uses, lemmas=lemmas, **inherited)


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

    def lift(self, step: Step, claim: Any, description: str = "") -> Step:
        """``claim``, from ``step`` proving ``apply(claim)``; uses the hypothesis.

        Holds iff the parametrisation checks, ``step`` holds, ``claim`` does not mention the
        fresh symbol, and ``step``'s claim is SymPy-equal to ``apply(claim)``.
        """
        ok, detail = self.check()
        description = description or f"for every configuration with {sp.sstr(self.hypothesis)[:80]}"
        lhs, rhs = (claim.lhs, claim.rhs) if isinstance(claim, sp.Equality) else (claim, sp.true)
        base = (self.fresh.base if isinstance(self.fresh, sp.Indexed) else self.fresh,)
        if ok and _atoms(claim) & set(base):
            ok, detail = False, "the claim mentions the fresh symbol"
        if ok and not step.holds:
            ok, detail = False, f"the parametrised step fails: {step.description}"
        if ok:
            ok, detail = _same_relation(step.claim, self.apply(claim), detail)
        return _step(description, lhs, rhs, ok, detail, uses=(self.hypothesis, *step.uses),
                    lemmas=step.lemmas, **debts(step))  # fmt: skip


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
    description: str,
    integral: sp.Integral,
    substitution: Mapping[Any, Any] | None = None,
    *,
    strict: bool = False,
) -> Step:
    """Step ``integral >= 0`` (``> 0`` if ``strict``) by monotonicity of the integral.

    Holds iff SymPy decides both premises after ``substitution``: the integrand is ``>= 0`` and
    ``upper >= lower`` (an empty interval gives 0); with ``strict``, the integrand is ``> 0``
    everywhere and ``upper > lower`` (a positive function on an interval of positive length).
    """
    (_, lower, upper) = integral.limits[0]
    subs = dict(substitution or {})
    kind = ">" if strict else ">="
    integrand_ok = sign_holds(integral.function.subs(subs), kind)
    order_ok = sign_holds((upper - lower).subs(subs), kind)
    ok = bool(integrand_ok and order_ok)
    detail = f"integrand {kind} 0: {integrand_ok}; upper {kind} lower: {order_ok} (monotonicity)"
    relation = sp.Gt(integral, 0) if strict else sp.Ge(integral, 0)
    return _step(description, relation, sp.true, ok, detail)


def under_integral(
    description: str, integral: sp.Integral, premise: Step, statement: Any = None
) -> Step:
    """Step ``integral = Integral(f', limits)``: the identity ``premise`` (``lhs = rhs``,
    proved for every value of the integration variable) used inside the integrand.

    Holds iff ``premise`` holds and is an equality mentioning the integration variable ``s``,
    which it proves for every value ``s``'s assumptions allow: a hypothesis it uses or cites
    may name ``s`` only when ``statement`` (the theorem's) does not, the registry's reading of
    such a hypothesis being "for every s" (see :func:`own_symbols`); the limits lie in that
    domain (SymPy decides them ``>= 0`` for a positive or
    nonnegative ``s``; any real limits for a real ``s``); and replacing ``lhs`` by ``rhs`` in
    the integrand changes it.

    >>> s, r = sp.Symbol("s", positive=True), sp.Symbol("r", positive=True)
    >>> one = equal("cos^2 + sin^2 = 1", sp.cos(s) ** 2 + sp.sin(s) ** 2, 1)
    >>> under_integral("int 1", sp.Integral(sp.cos(s) ** 2 + sp.sin(s) ** 2, (s, 0, r)), one).rhs
    Integral(1, (s, 0, r))
    >>> under_integral("limits below 0", sp.Integral(sp.cos(s) ** 2 + sp.sin(s) ** 2, (s, -1, r)),
    ...                one).holds
    False
    """
    var = integral.limits[0][0]
    rel = premise.claim
    replaced = (
        integral.function.xreplace({rel.lhs: rel.rhs}) if isinstance(rel, sp.Equality) else None
    )
    ok, detail = _for_every_value(integral, premise, statement)
    if ok and (replaced is None or var not in _atoms(rel)):
        ok, detail = False, "the premise is not an equality in the integration variable"
    elif ok and replaced == integral.function:
        ok, detail = False, "the premise's left side does not occur in the integrand"
    return _step(description, integral, sp.Integral(replaced, *integral.limits) if ok else
                 integral, ok, detail, uses=premise.uses, lemmas=premise.lemmas,
                 **debts(premise))  # fmt: skip


def _at_least_zero(expr: Any, bounds: Iterable[Step]) -> bool:
    """``expr >= 0`` decided by SymPy, or the claim of one of ``bounds`` (steps that hold);
    ``+oo`` counts (an upper limit at infinity: the integral of a nonnegative function over
    ``[a, oo)`` is ``>= 0``, finite or not)."""
    expr = sp.sympify(expr)
    if expr == sp.oo or sign_holds(expr, ">="):
        return True
    for bound in bounds:
        read = normalised(bound.claim) if bound.holds and bound.claim is not None else None
        if read is not None and read[1] in (">=", ">") and zero(read[0] - expr)[0]:
            return True
    return False


def _for_every_value(
    integral: sp.Integral, premise: Step, statement: Any, bounds: Iterable[Step] = ()
) -> tuple[bool, str]:
    """Whether ``premise`` holds for every value of ``integral``'s variable over its limits
    (the checks :func:`under_integral` and :func:`integral_of_nonnegative` share); a limit's
    sign SymPy does not decide may be the claim of one of ``bounds``."""
    ((var, lower, upper),) = integral.limits
    bounds = list(bounds)
    if var.is_positive or var.is_nonnegative:
        inside = _at_least_zero(lower, bounds) and _at_least_zero(upper, bounds)
    else:
        inside = bool(var.is_extended_real)
    named = [h for h in (*premise.uses, *premise.cited) if var in getattr(h, "free_symbols", ())]
    if named and statement is not None and var not in _atoms(statement):
        named = []  # the hypotheses are "for every s" properties: the statement lacks s
    if not premise.holds:
        return False, f"the premise does not hold: {premise.description}"
    if named:
        return False, f"the premise assumes something of {var}: not for every value"
    if not inside:
        return False, f"the limits are not decided inside {var}'s domain"
    return True, f"{sp.sstr(premise.claim)[:80]} holds for every {var} in the limits"


def integral_of_nonnegative(
    description: str,
    integral: sp.Integral,
    premise: Step,
    statement: Any = None,
    bounds: Iterable[Step] = (),
) -> Step:
    """Step ``integral >= 0`` from ``premise`` proving ``integrand >= 0`` (a step that holds,
    for every value of the integration variable, as in :func:`under_integral`) and SymPy
    deciding ``upper >= lower`` (or a step of ``bounds`` proving it, or the limits' signs):
    monotonicity of the integral.

    >>> s, r = sp.Symbol("s", positive=True), sp.Symbol("r", positive=True)
    >>> square = nonnegative("(s - 1)^2 >= 0", s**2 - 2 * s + 1, (s - 1) ** 2)
    >>> integral_of_nonnegative("int >= 0", sp.Integral(s**2 - 2 * s + 1, (s, 0, r)), square).holds
    True
    >>> integral_of_nonnegative("reversed", sp.Integral(s**2 - 2 * s + 1, (s, r, 0)), square).holds
    False
    """
    ((var, lower, upper),) = integral.limits
    bounds = list(bounds)
    ok, detail = _for_every_value(integral, premise, statement, bounds)
    read = normalised(premise.claim) if premise.claim is not None else None
    if ok and (read is None or read[1] == "==" or var not in _atoms(premise.claim)):
        ok, detail = False, "the premise is not integrand >= 0 in the integration variable"
    elif ok and read is not None and not zero(read[0] - integral.function)[0]:
        ok, detail = False, "the premise is about another integrand"
    elif ok and not _at_least_zero(upper - lower, bounds):
        ok, detail = False, "upper >= lower is not decided"
    uses = (*premise.uses, *(h for b in bounds for h in b.uses))
    lemmas = (*premise.lemmas, *(m for b in bounds for m in b.lemmas))
    return _step(description, sp.Ge(integral, 0), sp.true, ok, detail, uses=uses,
                 lemmas=lemmas, **debts(premise, *bounds))  # fmt: skip


def for_every_positive(
    description: str, step: Step, claim: Any, atom: Any, fresh: sp.Symbol, positive: Step
) -> Step:
    """Step ``claim``, from ``step`` proving it with ``atom`` replaced by ``fresh``.

    ``fresh`` is a symbol assumed positive and nothing else, absent from ``claim``: ``step``
    then proves the claim for every positive value of ``atom``; ``positive`` must prove
    ``atom > 0`` (a step that holds, claiming exactly that).  Universal instantiation.
    """
    ok, detail = True, f"{sp.sstr(atom)[:40]} > 0 and the claim holds for every positive value"
    if fresh != sp.Symbol(fresh.name, positive=True):
        ok, detail = False, f"{fresh} is not a symbol assumed positive and nothing else"
    elif fresh in _atoms(claim):
        ok, detail = False, "the claim mentions the fresh symbol"
    elif not positive.holds or normalised(positive.claim) != (atom, ">"):
        ok, detail = False, f"no step that holds proves {sp.sstr(atom)[:40]} > 0"
    elif not step.holds:
        ok, detail = False, f"the step for a positive value fails: {step.description}"
    else:
        ok, detail = _same_relation(step.claim, claim.xreplace({atom: fresh}), detail)
    lhs, rhs = (claim.lhs, claim.rhs) if isinstance(claim, sp.Equality) else (claim, sp.true)
    return _step(description, lhs, rhs, ok, detail, uses=(*step.uses, *positive.uses),
                 lemmas=(*step.lemmas, *positive.lemmas), **debts(step, positive))  # fmt: skip


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
    inherited = debts(*premises)
    return _step(description, lhs, rhs, ok, f"UNCHECKED inference: {reason}", uses=uses,
                 lemmas=lemmas, cited=inherited["cited"],
                 unchecked=(*inherited["unchecked"], description))  # fmt: skip
