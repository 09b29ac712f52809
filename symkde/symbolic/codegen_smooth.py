"""Print the truncation margins of the fast smooth-kernel integrals (:mod:`symkde.numeric.smooth`).

Owns the SymPy expressions of the two bounds that the fast Gaussian sums rely on, and writes
them as float constants to ``symkde/numeric/_generated/smooth_bounds.py``; imports SymPy and
:mod:`symkde.symbolic.codegen_cli` only.
``python -m symkde.symbolic.codegen_smooth --update`` rewrites the file, ``--check`` exits 1
with a unified diff when it is stale (``tests/test_smooth.py`` regenerates and diffs it).
The theorems behind the numbers are ``gaussian_window_truncation`` and
``gaussian_taylor_remainder`` (:mod:`symkde.theorems.truncation`):

* *window*: a term more than ``M = log n + DROP_LOG2 * log 2`` below the largest one in log
  space is dropped; all dropped terms together are at most ``n e^{-M} = 2**-DROP_LOG2`` of
  ``p(t)``, which moves ``log p`` and each responsibility by at most that much;
* *Taylor*: points are grouped in boxes ``h / BOX_PER_H`` wide and
  ``exp(u v) = sum_{k < ORDER} (u v)^k / k!`` is used for ``|u| <= REACH + 1/16``,
  ``|v| <= 1/16``; the relative error of a box's sum is at most
  ``Y^ORDER / ORDER! * e^{2 Y}`` with ``Y = (REACH + 1) / (2 BOX_PER_H)``, and ``ORDER`` is
  the smallest order that makes it ``<= 2**-DROP_LOG2``.
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from symkde.symbolic import codegen_cli

__all__ = [
    "BOX_PER_H",
    "CAUCHY_BOX_PER_H",
    "CAUCHY_SPAN",
    "CIRCLE_SPAN",
    "DROP_LOG2",
    "GENERATED",
    "IMAGE_TAIL",
    "REACH",
    "cauchy_order",
    "cauchy_ratio",
    "cauchy_relative_bound",
    "circle_order",
    "circle_ratio",
    "diff_against_committed",
    "drop_margin_constant",
    "gaussian_image_count",
    "gaussian_image_tail_bound",
    "generate",
    "main",
    "render",
    "taylor_argument",
    "taylor_order",
    "taylor_relative_bound",
    "vonmises_cos_argument",
    "vonmises_cos_order",
]

GENERATED = Path(__file__).parent.parent / "numeric" / "_generated" / "smooth_bounds.py"

#: Every dropped part is at most 2**-60 (8.7e-19) of the kept value: far below float64's
#: 1.1e-16, so the truncations add nothing visible to the 1e-12 contract.
DROP_LOG2 = 60
#: Boxes are h / 8 wide: a point sits at most h / 16 from its box's centre.
BOX_PER_H = 8
#: Box expansions are used up to 14 bandwidths (beyond: the node is summed point by point).
REACH = 14
#: Cauchy: boxes h / 2 wide (a point within h / 4 of its centre, a node t + ih at least h
#: from it: ratio <= 1/4), and every distance within CAUCHY_SPAN bandwidths (the bound grows
#: like the span: 10**4 costs 4 more terms than 100, and rows of points 3e3..1e4 bandwidths
#: apart then use expansions instead of point-by-point sums).
CAUCHY_BOX_PER_H = 2
CAUCHY_SPAN = 10**4


def vonmises_cos_argument() -> sp.Rational:
    """``kappa (1 - cos beta) <= kappa beta^2 / 2 <= 1/512`` for ``|beta| <= h/16``.

    (``kappa = 1/h^2``.)"""
    return sp.Rational(1, 2 * (2 * BOX_PER_H) ** 2)


def vonmises_cos_order() -> int:
    """Smallest ``L`` with ``a^L / L! e^{2a} <= 2**-(DROP_LOG2 + 1)`` at ``a = 1/512``."""
    target = sp.Rational(1, 2 ** (DROP_LOG2 + 1))
    order = 1
    while not bool(taylor_relative_bound(order, vonmises_cos_argument()) <= target):
        order += 1
    return order


def cauchy_ratio() -> sp.Rational:
    """``rho = (h / (2 CAUCHY_BOX_PER_H)) / h``: the expansions' ratio, at most 1/4."""
    return sp.Rational(1, 2 * CAUCHY_BOX_PER_H)


def cauchy_relative_bound(order: int | sp.Expr, rho: sp.Expr, span: sp.Expr) -> sp.Expr:
    """``rho^P (1 + rho)^2 / (1 - rho) * sqrt(1 + span^2)``: the tail of ``1/(x - zeta)`` after
    ``P`` terms over ``Im 1/(x - zeta)`` (theorem ``cauchy_multipole_remainder``)."""
    return rho**order * (1 + rho) ** 2 / (1 - rho) * sp.sqrt(1 + span**2)


#: Cauchy on the circle: boxes h / 2 wide in angle, expansions for 1/50 <= h <= 1/5, where
#: the ratio (h/4) / (1 - e^{-h}) <= 7/25 and 2 / (1 - e^{-2h}) <= CIRCLE_SPAN.
CIRCLE_SPAN = 100
CIRCLE_H_MIN = sp.Rational(1, 50)
CIRCLE_H_MAX = sp.Rational(1, 5)


def circle_ratio() -> sp.Rational:
    """``7/25 >= (h/4) / (1 - e^{-h})`` for ``h <= 1/5`` (the ratio grows with ``h``)."""
    return sp.Rational(7, 25)


def circle_order() -> int:
    """Smallest ``P`` with ``2 rho^P (1 + rho)^2 / (1 - rho) * CIRCLE_SPAN <= 2**-DROP_LOG2``."""
    target = sp.Rational(1, 2**DROP_LOG2)
    rho = circle_ratio()
    order = 1
    while not bool(2 * rho**order * (1 + rho) ** 2 / (1 - rho) * CIRCLE_SPAN <= target):
        order += 1
    return order


def cauchy_order() -> int:
    """The smallest ``P`` whose relative bound is at most ``2**-DROP_LOG2`` (decided exactly)."""
    target = sp.Rational(1, 2**DROP_LOG2)
    order = 1
    while not bool(cauchy_relative_bound(order, cauchy_ratio(), CAUCHY_SPAN) <= target):
        order += 1
    return order


#: The wrapped Gaussian's images: those left out total at most this much of a point's
#: nearest image (``symkde.numeric.api.image_count``'s ``_IMAGE_TAIL``, checked by a test).
IMAGE_TAIL = sp.Rational(1, 10**17)


def gaussian_image_tail_bound(count: int | sp.Expr, h: sp.Expr) -> sp.Expr:
    """``2 e^{-(((2K+1) pi)^2 - pi^2)/2h^2} / (1 - e^{-8 (K+1) pi^2 / 2h^2})``: the images
    ``|k| > K`` of ``e^{-(r + 2 pi k)^2/2h^2}`` over the nearest one (``|r| <= pi``), theorem
    ``gaussian_image_truncation``."""
    first = ((2 * count + 1) * sp.pi) ** 2 - sp.pi**2
    step = 8 * (count + 1) * sp.pi**2
    return 2 * sp.exp(-first / (2 * h**2)) / (1 - sp.exp(-step / (2 * h**2)))


def gaussian_image_count(h: sp.Expr) -> int:
    """The smallest ``K`` whose image-tail bound is at most :data:`IMAGE_TAIL` (exactly)."""
    count = 1
    while not bool(gaussian_image_tail_bound(count, h) <= IMAGE_TAIL):
        count += 1
    return count


def drop_margin_constant() -> sp.Expr:
    """``DROP_LOG2 * log 2``: the margin is ``M = log n + this``, so ``n e^{-M} = 2**-60``."""
    return DROP_LOG2 * sp.log(2)


def taylor_argument() -> sp.Rational:
    """``Y = (REACH + 1) / (2 BOX_PER_H)``: at least ``|u v|`` for ``|u| <= REACH + 1/16``,
    ``|v| <= 1/16``."""
    return sp.Rational(REACH + 1, 2 * BOX_PER_H)


def taylor_relative_bound(order: int | sp.Expr, argument: sp.Expr) -> sp.Expr:
    """``Y^p / p! * e^{2Y}``: Lagrange remainder of ``exp`` over the smallest value ``e^{-Y}``."""
    return argument**order / sp.factorial(order) * sp.exp(2 * argument)


def taylor_order() -> int:
    """The smallest ``p`` whose relative bound is at most ``2**-DROP_LOG2`` (decided exactly)."""
    target = sp.Rational(1, 2**DROP_LOG2)
    order = 1
    while not bool(taylor_relative_bound(order, taylor_argument()) <= target):
        order += 1
    return order


def render() -> str:
    order = taylor_order()
    corder = cauchy_order()
    bound = taylor_relative_bound(order, taylor_argument())
    margin = drop_margin_constant()
    lines = [
        "# Generated by symkde.symbolic.codegen_smooth with SymPy " + sp.__version__ + ".",
        "# Do not edit: regenerate with `python -m symkde.symbolic.codegen_smooth --update`.",
        '"""Truncation margins of symkde.numeric.smooth (theorems gaussian_window_truncation',
        'and gaussian_taylor_remainder)."""',
        "",
        f"#: dropped parts are at most 2**-{DROP_LOG2} of the kept value",
        f"DROP_LOG2 = {DROP_LOG2}",
        f"#: M = log n + DROP_MARGIN, DROP_MARGIN = {sp.sstr(margin)}",
        f"DROP_MARGIN = {float(sp.N(margin, 30))!r}",
        "#: boxes are h / BOX_PER_H wide",
        f"BOX_PER_H = {BOX_PER_H}",
        "#: box expansions are used for nodes whose window is at most REACH bandwidths",
        f"REACH = {REACH}",
        f"#: Taylor order of exp(u v), |u v| <= Y = {sp.sstr(taylor_argument())}",
        f"TAYLOR_ORDER = {order}",
        f"#: Y**ORDER / ORDER! * exp(2 Y) = {sp.sstr(bound)}",
        f"TAYLOR_BOUND = {float(sp.N(bound, 30))!r}",
        "#: Cauchy boxes are h / CAUCHY_BOX_PER_H wide; distances within CAUCHY_SPAN bandwidths",
        f"CAUCHY_BOX_PER_H = {CAUCHY_BOX_PER_H}",
        f"CAUCHY_SPAN = {CAUCHY_SPAN}",
        f"#: order of the Cauchy expansions: rho = {sp.sstr(cauchy_ratio())}, bound = "
        f"{float(sp.N(cauchy_relative_bound(corder, cauchy_ratio(), CAUCHY_SPAN), 10))!r}",
        f"CAUCHY_ORDER = {corder}",
        f"CIRCLE_H_MIN = {float(CIRCLE_H_MIN)!r}",
        f"CIRCLE_H_MAX = {float(CIRCLE_H_MAX)!r}",
        f"#: order of the circle's Cauchy expansions, ratio <= {sp.sstr(circle_ratio())}",
        f"CIRCLE_CAUCHY_ORDER = {circle_order()}",
        "#: von Mises: order of exp(cos(alpha) kappa (cos(beta) - 1)), |kappa (1 - cos beta)| <= "
        f"{sp.sstr(vonmises_cos_argument())}",
        f"VONMISES_COS_ORDER = {vonmises_cos_order()}",
        "",
    ]
    return "\n".join(lines)


def _outputs() -> codegen_cli.Outputs:
    return {GENERATED: render}


def generate(output_dir: Path) -> list[Path]:
    """Write the generated module into ``output_dir``; returns its path in a list."""
    return codegen_cli.write(_outputs(), output_dir)


def diff_against_committed() -> str:
    """Unified diff between the committed module and a fresh render ('' when identical)."""
    return codegen_cli.diff(_outputs())


def main(argv: list[str] | None = None) -> int:
    return codegen_cli.main("symkde.symbolic.codegen_smooth", __doc__, _outputs, argv)


if __name__ == "__main__":
    raise SystemExit(main())
