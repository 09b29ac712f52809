"""The reductions added for checked bounds: ``|a| <= b`` as two signed halves, and integrals
up to ``+oo`` (issue 13, closing ``dilog_series_remainder`` without an unchecked step).

Each rule is fed a wrong use and must reject it; the right use is accepted.
"""

from __future__ import annotations

import sympy as sp

from symkde.theorems._checks import entails, read_absolute_bound
from symkde.theorems._core import Theorem, follows, integral_of_nonnegative, nonnegative

x = sp.Symbol("x", real=True)
b = sp.Symbol("b", real=True)
q = sp.Symbol("q", positive=True)
s = sp.Symbol("s", positive=True)


def test_absolute_bound_reads_only_a_unit_coefficient() -> None:
    assert read_absolute_bound(sp.Le(sp.Abs(x), b)) == (x, b, ">=")
    assert read_absolute_bound(sp.Lt(sp.Abs(x), b))[2] == ">"
    assert read_absolute_bound(sp.Le(2 * sp.Abs(x), b)) is None
    assert read_absolute_bound(sp.Ge(sp.Abs(x), b)) is None  # a lower bound on |x| is no such bound
    assert read_absolute_bound(sp.Eq(sp.Abs(x), b)) is None
    imaginary = sp.Symbol("w", imaginary=True)  # SymPy knows it is not real
    assert read_absolute_bound(sp.Le(sp.Abs(imaginary), b)) is None


def test_both_halves_are_needed_for_an_absolute_bound() -> None:
    assert entails(sp.Le(sp.Abs(x), b), [sp.Le(x, b), sp.Le(-x, b)])[0]
    assert not entails(sp.Le(sp.Abs(x), b), [sp.Le(x, b)])[0]
    assert not entails(sp.Le(sp.Abs(x), b), [sp.Le(-x, b)])[0]
    assert not entails(sp.Le(sp.Abs(x), b - 1), [sp.Le(x, b), sp.Le(-x, b)])[0]


def test_a_premise_absolute_bound_gives_its_halves_and_nothing_more() -> None:
    assert entails(sp.Le(-x, b), [sp.Le(sp.Abs(x), b)])[0]
    assert entails(sp.Le(x, b + 1), [sp.Le(sp.Abs(x), b)])[0]
    assert not entails(sp.Le(x, b - 1), [sp.Le(sp.Abs(x), b)])[0]
    assert not entails(sp.Le(2 * x, b), [sp.Le(sp.Abs(x), b)])[0]
    # a lower bound on |x| says nothing of the sign of x
    assert not entails(sp.Le(-x, b), [sp.Ge(sp.Abs(x), b)])[0]


def test_a_typed_absolute_bound_is_rejected_in_a_theorem() -> None:
    claim = sp.Le(sp.Abs(x), 1)
    one_half = follows("|x| <= 1 from x <= 1", claim, [sp.Le(x, 1)])
    thm = Theorem("adv", "one half", claim, (sp.Le(x, 1),), lambda: [one_half])
    assert not thm.prove().holds
    both = follows("|x| <= 1", claim, [sp.Le(x, 1), sp.Le(-x, 1)])
    honest = Theorem("ok", "both", claim, (sp.Le(x, 1), sp.Le(-x, 1)), lambda: [both])
    assert honest.prove().holds


def test_an_integral_up_to_infinity_of_a_nonnegative_function() -> None:
    f = (s**2 - 2 * s + 1) / (1 + s) ** 4
    square = nonnegative("f = (s - 1)^2 / (1 + s)^4 >= 0", f, (s - 1) ** 2 / (1 + s) ** 4)
    upward = sp.Integral(f, (s, q, sp.oo))
    assert integral_of_nonnegative("int_q^oo >= 0", upward, square).holds
    downward = sp.Integral(f, (s, sp.oo, q))  # < 0
    assert not integral_of_nonnegative("int_oo^q >= 0", downward, square).holds
    below_zero = sp.Integral(f, (s, -q, sp.oo))  # a limit outside s > 0
    assert not integral_of_nonnegative("int_-q^oo >= 0", below_zero, square).holds
