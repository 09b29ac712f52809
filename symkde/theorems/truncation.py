"""Truncation bounds of the fast Gaussian integrals (issue 18, :mod:`symkde.numeric.smooth`).

Owns two theorems; imports SymPy, the theorem machinery and the bound expressions of
:mod:`symkde.symbolic.codegen_smooth` (which prints the numeric margins from the same
expressions, so what is proved here is what the code uses):

* ``gaussian_window_truncation`` -- a point outside the window
  ``(t - x)^2 >= 2h^2 (max log w - T + M)`` has a log-term at most ``T - M`` (``T`` any lower
  bound on the largest log-term); ``n`` such terms are at most ``n e^{-M} = 2**-60`` of
  ``p`` for ``M = log n + 60 log 2``, and ``log(1 + eps) <= eps`` turns that into the same
  bound on ``log p`` (and on each responsibility).
* ``gaussian_taylor_remainder`` -- ``e^{-(t-x)^2/2h^2} = e^{-u^2/2} e^{uv} e^{-v^2/2}`` about
  a box centre, the integral form of the Taylor remainder of ``e^y`` at the generated order,
  its bound ``e^{|y|} |y|^p / p!``, and ``Y^p / p! e^{2Y} <= 2**-60`` at ``Y = 15/16``.
"""

from __future__ import annotations

from collections.abc import Iterator

import sympy as sp

from symkde.symbolic import codegen_smooth as bounds
from symkde.theorems._core import (
    Step,
    Theorem,
    equal,
    evaluates,
    follows,
    holds_true,
    integral_nonnegative,
    numeric_witness,
    rewritten,
    series_by_partial_sums,
)

__all__ = ["THEOREMS"]

REFERENCE = "symkde/numeric/smooth.py"

h = sp.Symbol("h", positive=True)
t, x, c = sp.symbols("t x c", real=True)
#: the largest log-weight, a lower bound on the largest log-term, the margin
lam_max, top = sp.symbols("Lambda T", real=True)
margin = sp.Symbol("M", positive=True)
#: how far a point's log-weight is below the largest, and how far it is outside the window
below, outside = sp.symbols("g s", nonnegative=True)
n = sp.Symbol("n", positive=True, integer=True)
eps = sp.Symbol("epsilon", nonnegative=True)
unit = sp.Symbol("u", positive=True)

log_weight = lam_max - below
squared_distance = 2 * h**2 * (lam_max - top + margin) + outside
log_term = log_weight - squared_distance / (2 * h**2)
window_claim = sp.Le(log_term, top - margin)
margin_n = sp.log(n) + bounds.drop_margin_constant()
dropped_claim = sp.Eq(
    sp.Mul(n, sp.exp(-margin_n), evaluate=False),
    sp.Rational(1, 2**bounds.DROP_LOG2),
    evaluate=False,
)
log_claim = sp.Ge(eps - sp.log(1 + eps), 0)


def _window_proof() -> Iterator[Step]:
    yield holds_true(
        "outside the window the log-term is at most T - M (g, s >= 0, h > 0)", window_claim
    )
    yield numeric_witness(
        "at the window's edge (g = s = 0) the term is exactly T - M",
        log_term.subs({below: 0, outside: 0}),
        top - margin,
        {lam_max: sp.Rational(-7, 3), top: sp.Rational(-9, 2), margin: 47, h: sp.Rational(1, 20)},
    )
    yield equal(
        "n dropped terms below e^{T - M} <= p e^{-M}: n e^{-M} = 2**-60", *dropped_claim.args
    )
    gap = eps - sp.log(1 + eps)
    # eps - log(1 + eps) = int_0^1 eps^2 u / (1 + eps u) du (u = s / eps in int_0^eps s/(1+s))
    integral = sp.Integral(eps**2 * unit / (1 + eps * unit), (unit, 0, 1))
    value = evaluates("eps - log(1 + eps) = int_0^1 eps^2 u / (1 + eps u) du", integral, gap)
    positive = integral_nonnegative("the integrand is >= 0 on 0 < u < 1", integral)
    yield value
    yield positive
    yield follows(
        "the integral is >= 0: log(1 + eps) <= eps",
        log_claim,
        [value, positive],
        multipliers=[-1, 1],
    )


order = bounds.taylor_order()
y, s_var = sp.symbols("y sigma", real=True)
u_var, v_var = sp.symbols("u v", real=True)
big_y = bounds.taylor_argument()
factor_claim = sp.Eq(
    sp.exp(-(((c + h * u_var) - (c + h * v_var)) ** 2) / (2 * h**2)),
    sp.exp(-(u_var**2) / 2) * sp.exp(u_var * v_var) * sp.exp(-(v_var**2) / 2),
)
taylor_poly = sum(y**k / sp.factorial(k) for k in range(order))
remainder_integral = sp.Integral(
    (y - s_var) ** (order - 1) / sp.factorial(order - 1) * sp.exp(s_var), (s_var, 0, y)
)
remainder_claim = sp.Eq(sp.exp(y) - taylor_poly, remainder_integral)
relative_claim = sp.Le(
    bounds.taylor_relative_bound(order, big_y), sp.Rational(1, 2**bounds.DROP_LOG2)
)
reach_claim = sp.Le((bounds.REACH + sp.Rational(1, 16)) * sp.Rational(1, 16), big_y)


def _taylor_proof() -> Iterator[Step]:
    yield equal("about a box centre c: the Gaussian factors", *factor_claim.args)
    yield evaluates(
        f"Taylor remainder of e^y after {order} terms, integral form",
        remainder_integral,
        sp.exp(y) - taylor_poly,
    )
    # both sides as one equation, so the statement's conjunct is a step's claim
    yield equal("the remainder identity", sp.exp(y) - taylor_poly, remainder_integral.doit())
    yield numeric_witness(
        "the identity at y = Y = 15/16",
        sp.exp(big_y) - taylor_poly.subs(y, big_y),
        remainder_integral.subs(y, big_y).doit(),
        {},
    )
    kernel_bound = evaluates(
        "int_0^|y| sigma^(p-1)/(p-1)! d sigma = |y|^p / p!",
        sp.Integral(s_var ** (order - 1) / sp.factorial(order - 1), (s_var, 0, big_y)),
        big_y**order / sp.factorial(order),
    )
    yield kernel_bound
    yield holds_true("|u v| <= (REACH + 1/16) / 16 <= Y", reach_claim)
    yield holds_true(
        "Y^p / p! * e^{2Y} <= 2**-60 (e^y >= e^{-Y} turns e^Y Y^p/p! relative)", relative_claim
    )


THEOREMS: list[Theorem] = [
    Theorem(
        name="gaussian_window_truncation",
        title="Gaussian: terms outside the window change log p by at most 2**-60",
        statement=sp.And(window_claim, dropped_claim, log_claim),
        hypotheses=(sp.Q.positive(h), sp.Q.nonnegative(below), sp.Q.nonnegative(outside)),
        prover=_window_proof,
        explanation="Every kept term lies within the window found by searchsorted; the dropped "
        "ones total at most 2**-60 of p (symkde.numeric.smooth).",
        reference=REFERENCE,
    ),
    Theorem(
        name="gaussian_taylor_remainder",
        title=f"Gaussian box expansion: Taylor order {order} of e^(uv) to 2**-60 relative",
        statement=sp.And(factor_claim, remainder_claim, reach_claim, relative_claim),
        hypotheses=(sp.Q.positive(h),),
        prover=_taylor_proof,
        explanation="A box's sum sum_j w_j e^{-(t-x_j)^2/2h^2} is e^{-u^2/2} sum_k A_k u^k with "
        "relative error at most 2**-60 for |u| <= REACH + 1/16, |v| <= 1/16.",
        reference=REFERENCE,
    ),
]


# ------------------------------------------------------------------ Cauchy: pole expansions
cauchy_order = bounds.cauchy_order()
offset, pole = sp.symbols("d E")  # x - c and zeta - c (complex in use; identities hold for any)
rho, distance = sp.symbols("rho D", positive=True)
pole_claim = sp.Eq(sp.im(1 / (x - (t + sp.I * h))), h / ((t - x) ** 2 + h**2))
tail_claim = sp.Eq(
    1 / (offset - pole),
    -sum(offset**k / pole ** (k + 1) for k in range(cauchy_order))
    + (offset / pole) ** cauchy_order / (offset - pole),
)
# |tail| <= rho^P / ((1 - rho)|E|) and Im 1/(x - zeta) >= h / ((1 + rho)|E|)^2, with |E| = D
ratio_claim = sp.Eq(
    (rho**cauchy_order / ((1 - rho) * distance)) / (h / ((1 + rho) * distance) ** 2),
    rho**cauchy_order * (1 + rho) ** 2 / (1 - rho) * distance / h,
    evaluate=False,
)
cauchy_bound_claim = sp.Le(
    bounds.cauchy_relative_bound(cauchy_order, bounds.cauchy_ratio(), bounds.CAUCHY_SPAN),
    sp.Rational(1, 2**bounds.DROP_LOG2),
)
weight_claim = sp.Eq(
    1 / (sp.pi * h),
    (1 + (distance / h) ** 2) * h / (sp.pi * (distance**2 + h**2)),
    evaluate=False,
)


def _cauchy_proof() -> Iterator[Step]:
    yield equal("the Cauchy kernel is Im 1/(x - zeta), zeta = t + ih", *pole_claim.args)
    yield equal(
        f"1/(x - zeta) about a centre c: {cauchy_order} terms plus the exact tail q^P/(x - zeta)",
        *tail_claim.args,
    )
    yield numeric_witness(
        "the tail identity at a complex point (|q| = 1/4)",
        tail_claim.lhs,
        tail_claim.rhs,
        {offset: sp.Rational(1, 4), pole: sp.I},
    )
    yield equal("tail over the smallest Im part: rho^P (1+rho)^2/(1-rho) |E|/h", *ratio_claim.args)
    yield holds_true(
        "box half-width h/4 over the pole's height h: rho = 1/4",
        sp.Eq(sp.Rational(1, 4) * h / h, bounds.cauchy_ratio()),
    )
    yield holds_true(
        f"rho = 1/4, |E|/h <= sqrt(1 + {bounds.CAUCHY_SPAN}^2): relative tail <= 2**-60",
        cauchy_bound_claim,
    )
    yield equal(
        "a weight below e^-M / (1 + (D/h)^2) of the largest adds at most e^-M of p",
        *weight_claim.args,
    )
    yield from _circle_steps()


# the circle: the Poisson kernel as one pole, and the ratio and span over 1/50 <= h <= 1/5
angle_x, angle_t = sp.symbols("x_angle t_angle", real=True)
disk = sp.Symbol("rho", positive=True)
point_s = sp.exp(sp.I * angle_x)
pole_w = disk * sp.exp(sp.I * angle_t)
poisson_claim = sp.Eq(
    (1 - disk**2) / (1 - 2 * disk * sp.cos(angle_t - angle_x) + disk**2),
    1 + 2 * sp.re(sp.expand_complex(pole_w / (point_s - pole_w))),
    evaluate=False,
)
circle_ratio_claim = sp.Le(
    (bounds.CIRCLE_H_MAX / 4) / (1 - sp.exp(-bounds.CIRCLE_H_MAX)), bounds.circle_ratio()
)
circle_span_claim = sp.Le(2 / (1 - sp.exp(-2 * bounds.CIRCLE_H_MIN)), bounds.CIRCLE_SPAN)
growth_claim = sp.Eq(
    sp.Integral((h - s_var) * sp.exp(s_var), (s_var, 0, h)), sp.exp(h) - 1 - h, evaluate=False
)
circle_order = bounds.circle_order()
circle_bound_claim = sp.Le(
    2
    * bounds.circle_ratio() ** circle_order
    * (1 + bounds.circle_ratio()) ** 2
    / (1 - bounds.circle_ratio())
    * bounds.CIRCLE_SPAN,
    sp.Rational(1, 2**bounds.DROP_LOG2),
)


def _circle_steps() -> Iterator[Step]:
    yield rewritten(
        "Poisson kernel: (1 - rho^2)/|s - w|^2 = 1 + 2 Re[w/(s - w)]",
        poisson_claim.lhs,
        poisson_claim.rhs,
        lambda diff: sp.simplify(sp.expand_trig(diff)),
        "expand_trig + simplify",
    )
    yield evaluates(
        "e^h - 1 - h = int_0^h (h - sigma) e^sigma >= 0: h/(1 - e^{-h}) grows with h",
        growth_claim.lhs,
        growth_claim.rhs,
    )
    yield holds_true("at h = 1/5 the ratio (h/4)/(1 - e^{-h}) is at most 7/25", circle_ratio_claim)
    yield holds_true(
        "at h = 1/50 the span 2/(1 - e^{-2h}) is at most CIRCLE_SPAN", circle_span_claim
    )
    yield holds_true(
        f"{circle_order} terms at ratio 7/25: relative tail <= 2**-60", circle_bound_claim
    )


THEOREMS.append(
    Theorem(
        name="cauchy_multipole_remainder",
        title=f"Cauchy pole expansions: {cauchy_order} terms at ratio 1/4 to 2**-60 relative",
        statement=sp.And(
            pole_claim,
            tail_claim,
            ratio_claim,
            cauchy_bound_claim,
            weight_claim,
            poisson_claim,
            growth_claim,
            circle_ratio_claim,
            circle_span_claim,
            circle_bound_claim,
        ),
        hypotheses=(sp.Q.positive(h),),
        prover=_cauchy_proof,
        explanation="Every node's pole t + ih is at least h from a box centre, so the box's "
        "expansion converges at ratio 1/4 near and far (symkde.numeric.smooth_cauchy).",
        reference="symkde/numeric/smooth_cauchy.py",
    )
)


# ------------------------------------------------------------------ von Mises: two series
alpha, beta, sigma = sp.symbols("alpha beta sigma", real=True)
kappa = sp.Symbol("kappa", positive=True)
vm_order = bounds.vonmises_cos_order()
split_claim = sp.Eq(
    kappa * (sp.cos(alpha - beta) - 1),
    kappa * (sp.cos(alpha) - 1)
    + sp.cos(alpha) * kappa * (sp.cos(beta) - 1)
    + kappa * sp.sin(alpha) * sp.sin(beta),
    evaluate=False,
)
# beta^2/2 - (1 - cos beta) = int_0^beta (beta - sigma) 2 sin^2(sigma/2) d sigma >= 0 (beta >= 0)
cos_gap = beta**2 / 2 - (1 - sp.cos(beta))
cos_claim = sp.Eq(
    sp.Integral((beta - sigma) * 2 * sp.sin(sigma / 2) ** 2, (sigma, 0, beta)),
    cos_gap,
    evaluate=False,
)
both = bounds.taylor_relative_bound(order, big_y)
one = bounds.taylor_relative_bound(vm_order, bounds.vonmises_cos_argument())
vm_bound_claim = sp.Le((1 + one) * (1 + both) - 1, sp.Rational(1, 2 ** (bounds.DROP_LOG2 - 1)))


def _vonmises_proof() -> Iterator[Step]:
    yield equal(
        "kappa (cos(alpha - beta) - 1) splits into a term in alpha, a small product, and "
        "(kappa sin alpha) sin beta",
        *split_claim.args,
    )
    yield evaluates(
        "1 - cos beta <= beta^2 / 2: the gap is an integral of a non-negative integrand",
        cos_claim.lhs,
        cos_gap,
    )
    yield equal("1 - cos sigma = 2 sin^2(sigma / 2)", 1 - sp.cos(sigma), 2 * sp.sin(sigma / 2) ** 2)
    yield holds_true("2 sin^2(sigma / 2) >= 0", sp.Ge(2 * sp.sin(sigma / 2) ** 2, 0))
    yield holds_true(
        "|kappa (cos beta - 1)| <= kappa (h/16)^2 / 2 = 1/512 with kappa = 1/h^2",
        sp.Eq(sp.Rational(1, 2) * (h / 16) ** 2 / h**2, bounds.vonmises_cos_argument()),
    )
    yield holds_true(
        f"orders {vm_order} and {order}: (1 + r_cos)(1 + r_sin) - 1 <= 2**-59", vm_bound_claim
    )


THEOREMS.append(
    Theorem(
        name="vonmises_box_expansion",
        title=f"von Mises box expansion: orders {vm_order} x {order} to 2**-59 relative",
        statement=sp.And(split_claim, cos_claim, vm_bound_claim),
        hypotheses=(sp.Q.positive(h), sp.Q.positive(kappa)),
        prover=_vonmises_proof,
        explanation="A box's sum of von Mises terms is e^{kappa (cos alpha - 1)} times two "
        "Taylor series, in cos(alpha) kappa (cos beta - 1) (at most 1/512) and "
        "(kappa sin alpha) sin beta (at most 15/16): symkde.numeric.smooth_vonmises.",
        reference="symkde/numeric/smooth_vonmises.py",
    )
)


# ------------------------------------------------------------------ wrapped Gaussian: images
# |r| <= pi is r = o - pi with o >= 0 (and o <= 2 pi); image k = K + 1 + m, m >= 0
shift_o, images_k = sp.symbols("o K", nonnegative=True)
image_m = sp.Symbol("m", integer=True, nonnegative=True)
image_n = sp.Symbol("N", positive=True, integer=True)
decay = sp.Symbol("c", positive=True)
k_sym = sp.Symbol("k", positive=True)
image_distance_claim = sp.Ge(
    shift_o - sp.pi + 2 * sp.pi * (images_k + 1 + image_m), (2 * images_k + 1) * sp.pi,
    evaluate=False,
)  # fmt: skip
image_step_claim = sp.Eq(
    ((2 * k_sym + 1) * sp.pi) ** 2 - ((2 * k_sym - 1) * sp.pi) ** 2, 8 * k_sym * sp.pi**2
)
geometric = sp.Sum(sp.exp(-decay) ** image_m, (image_m, 0, sp.oo))
geometric_claim = sp.Eq(
    sp.Limit((1 - sp.exp(-decay) ** image_n) / (1 - sp.exp(-decay)), image_n, sp.oo),
    1 / (1 - sp.exp(-decay)),
)
#: the bandwidths the fast wrapped Gaussian uses at most MAX_IMAGES = 4 copies a side for;
#: at h = 3/2 (K = 2) the bound is met, at K = 1 it is not (the count is the smallest)
image_h = sp.Rational(3, 2)
image_count_h = bounds.gaussian_image_count(image_h)
image_bound_claim = sp.Le(
    bounds.gaussian_image_tail_bound(image_count_h, image_h), bounds.IMAGE_TAIL, evaluate=False
)
image_smallest_claim = sp.Gt(
    bounds.gaussian_image_tail_bound(image_count_h - 1, image_h), bounds.IMAGE_TAIL, evaluate=False
)


def _image_proof() -> Iterator[Step]:
    yield holds_true(
        "|r| <= pi (r = o - pi, o >= 0), k = K + 1 + m: r + 2 pi k >= (2K + 1) pi",
        image_distance_claim,
    )
    yield equal(
        "successive bounds (2k - 1) pi, (2k + 1) pi: squares differ by 8 k pi^2 >= 8 (K+1) pi^2",
        *image_step_claim.args,
    )
    yield series_by_partial_sums(
        "the geometric series in q = e^{-c}, c = 8 (K+1) pi^2 / 2h^2, by its partial sums",
        geometric,
        (1 - sp.exp(-decay) ** image_n) / (1 - sp.exp(-decay)),
        image_n,
    )
    yield evaluates("its limit is 1/(1 - e^{-c})", *geometric_claim.args)
    yield holds_true(
        f"at h = {image_h}: K = {image_count_h} images a side leave at most 1e-17 (the two "
        "sides, the first left-out image over the nearest, times the geometric factor)",
        image_bound_claim,
    )
    yield holds_true(
        f"and K = {image_count_h - 1} does not: K is the smallest", image_smallest_claim
    )


THEOREMS.append(
    Theorem(
        name="gaussian_image_truncation",
        title="Wrapped Gaussian: images beyond K leave at most 1e-17 of the nearest image",
        statement=sp.And(
            image_distance_claim,
            image_step_claim,
            geometric_claim,
            image_bound_claim,
            image_smallest_claim,
        ),
        hypotheses=(sp.Q.nonnegative(shift_o), sp.Q.nonnegative(images_k)),
        prover=_image_proof,
        explanation="sum_{|k|>K} e^{-(r+2 pi k)^2/2h^2} <= 2 e^{-((2K+1)^2 - 1) pi^2/2h^2} / "
        "(1 - e^{-8(K+1) pi^2/2h^2}) e^{-r^2/2h^2} for |r| <= pi: the wrapped Gaussian is the "
        "line scheme on the images |k| <= K + 1 of the moved angles (symkde.numeric.smooth; "
        "K = image_count('gaussian', h), checked against this bound by tests/test_smooth.py).",
        reference=REFERENCE,
    )
)


# ------------------------------------------------------------------ Cauchy: box trees
ups, sig, far, half_sign, radius = sp.symbols("upsilon sigma D s R")
k_i, l_i, i_i = sp.symbols("k l i", integer=True, nonnegative=True)
g_coeff = sp.IndexedBase("g")
top_p = cauchy_order - 1
#: multipole-to-local: the P-term pole expansion in d = sigma - upsilon, regrouped exactly
m2l_claim = sp.Eq(
    sp.Sum((ups - sig) ** k_i / far ** (k_i + 1), (k_i, 0, top_p)),
    sp.Sum(
        ups**l_i
        * sp.Sum(
            sp.binomial(k_i + l_i, l_i) * (-sig) ** k_i / far ** (k_i + l_i + 1),
            (k_i, 0, top_p - l_i),
        ),
        (l_i, 0, top_p),
    ),
)
#: moments up the tree: u_parent = (u_child + s) / 2, s = +-1, for every order k < P (every
#: coefficient g_k free: the identity for each order)
m2m_claim = sp.Eq(
    sp.Sum(g_coeff[k_i] * ((unit + half_sign) / 2) ** k_i, (k_i, 0, top_p)),
    sp.Sum(
        g_coeff[k_i]
        * sp.Sum(sp.binomial(k_i, i_i) * unit**i_i * half_sign ** (k_i - i_i), (i_i, 0, k_i))
        / 2**k_i,
        (k_i, 0, top_p),
    ),
)
#: local polynomials down the tree: the same substitution, regrouped by powers of u_child
l2l_claim = sp.Eq(
    sp.Sum(g_coeff[l_i] * ((unit + half_sign) / 2) ** l_i, (l_i, 0, top_p)),
    sp.Sum(
        unit**i_i
        * sp.Sum(
            g_coeff[l_i] * sp.binomial(l_i, i_i) * half_sign ** (l_i - i_i) / 2**l_i,
            (l_i, i_i, top_p),
        ),
        (i_i, 0, top_p),
    ),
)


def _unrolled(expr: sp.Expr) -> sp.Expr:
    """Every finite ``Sum`` written out term by term, outer sums first (inner limits may
    depend on outer indices), then expanded: the identities are checked at the code's order."""

    def unroll(e: sp.Basic) -> sp.Basic:
        if isinstance(e, sp.Sum):
            ((var, lo, hi),) = e.limits
            return sp.Add(*(unroll(e.function.subs(var, j)) for j in range(int(lo), int(hi) + 1)))
        if e.args:
            return e.func(*(unroll(a) for a in e.args))
        return e

    return sp.expand(unroll(expr))


#: admissible pairs (one level, radius R each, 8 R <= |D|) have ratio (R + R)/|D| <= 1/4
admissible_claim = sp.Le((radius + radius) / (8 * radius), bounds.cauchy_ratio(), evaluate=False)
#: |D| <= (largest distance) + 2R <= (largest distance) + |D|/4: |D| <= 4/3 of it, so rows
#: within 3/4 CAUCHY_SPAN bandwidths keep |D| / h within the bound's span
span_claim = sp.Le(sp.Rational(4, 3) * sp.Rational(3, 4) * bounds.CAUCHY_SPAN, bounds.CAUCHY_SPAN)


def _tree_proof() -> Iterator[Step]:
    how = "finite sums written out, expand"
    yield rewritten(
        f"1/(D + sigma - upsilon): the {cauchy_order}-term expansion regrouped into powers of "
        "upsilon and moments of sigma (multipole to local)",
        m2l_claim.lhs,
        m2l_claim.rhs,
        _unrolled,
        how,
    )
    yield rewritten(
        "moments re-centred on the parent box (binomial theorem)",
        m2m_claim.lhs,
        m2m_claim.rhs,
        _unrolled,
        how,
    )
    yield rewritten(
        "local polynomials re-centred on a child box", l2l_claim.lhs, l2l_claim.rhs, _unrolled, how
    )
    yield holds_true("8R <= |D|: ratio (R_S + R_T)/|D| <= 1/4", admissible_claim)
    yield holds_true("rows within 3/4 CAUCHY_SPAN: |D|/h <= CAUCHY_SPAN", span_claim)
    yield holds_true(
        f"so the tail after {cauchy_order} terms is at most 2**-60 of the pair's Im part "
        "(cauchy_multipole_remainder's bound at rho = 1/4)",
        cauchy_bound_claim,
    )


THEOREMS.append(
    Theorem(
        name="cauchy_tree_translations",
        title="Cauchy box trees: exact re-centring, multipole-to-local at ratio 1/4",
        statement=sp.And(
            m2l_claim, m2m_claim, l2l_claim, admissible_claim, span_claim, cauchy_bound_claim
        ),
        hypotheses=(sp.Q.positive(h),),
        prover=_tree_proof,
        explanation="Moments go up and local polynomials down the dyadic trees exactly; an "
        "admissible pair's multipole-to-local expansion is the pole expansion of "
        "cauchy_multipole_remainder in d = (s - c_S) - (y - c_T), |d| <= |D|/4, so its "
        "remainder is at most 2**-60 of the pair's own contribution "
        "(symkde.numeric.smooth_cauchy_tree).",
        reference="symkde/numeric/smooth_cauchy_tree.py",
    )
)
