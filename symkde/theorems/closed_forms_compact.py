"""Closed forms for the compact kernels: boxcar and triangle segments, zero-end panels.

Part of :mod:`symkde.theorems.closed_forms`.  Imports SymPy, :mod:`symkde.symbolic.kernels`,
the proof machinery and :mod:`symkde.theorems.closed_forms_laplace`.
"""

from __future__ import annotations

from collections.abc import Iterator

import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.theorems._core import (
    Parametrisation,
    Step,
    Theorem,
    equal,
    evaluates,
)
from symkde.theorems.closed_forms_laplace import (
    D,
    _derivative_steps,
    antiderivatives,
    kappa,
    l0,
    l1,
    q,
    s,
)

# --- boxcar and triangle ----------------------------------------------------------------------


def _resolve(expr: sp.Expr) -> sp.Expr:
    """Pick the Piecewise branch whose condition SymPy decides is true (sign of lhs - rhs).

    A condition SymPy cannot decide leaves the Piecewise in place, so the step fails.
    """

    def decide(cond: sp.Basic) -> bool | None:
        if cond is sp.true or cond is sp.false:
            return bool(cond)
        if isinstance(
            cond, sp.GreaterThan | sp.LessThan | sp.StrictGreaterThan | sp.StrictLessThan
        ):
            gap = sp.factor(cond.gts - cond.lts)
            strict = isinstance(cond, sp.StrictGreaterThan | sp.StrictLessThan)
            return gap.is_positive if strict else gap.is_nonnegative
        return None

    def pick(pw: sp.Piecewise) -> sp.Expr:
        for value, cond in pw.args:
            verdict = decide(cond)
            if verdict is None:
                return pw
            if verdict:
                return value
        return pw

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), pick)


def _prove_boxcar_segment() -> Iterator[Step]:
    kernel = KERNELS["boxcar"].density
    inside = h * kappa / (1 + kappa)
    yield evaluates(
        "inside the support (|u| < h) K = 1/(2h)", kernel.subs(u, inside), 1 / (2 * h), _resolve
    )
    yield equal("inside the support, left side", _resolve(kernel.subs(u, -inside)), 1 / (2 * h))
    yield equal("outside the support (|u| > h) K = 0", _resolve(kernel.subs(u, h * (1 + kappa))), 0)
    mass = sp.Symbol("M", positive=True)
    t, wi = sp.symbols("t w_i", positive=True)
    yield equal(
        "p = M/(2h) on a segment: d/dt [t (log M - log 2h)] = log p",
        sp.diff(t * (sp.log(mass) - sp.log(2 * h)), t),
        sp.expand_log(sp.log(mass / (2 * h)), force=True),
    )
    yield equal(
        "responsibility on a segment: w_i K / p = w_i / M (the integral is len w_i / M)",
        _resolve(wi * kernel.subs(u, inside) / (mass / (2 * h))),
        wi / mass,
    )


def _prove_triangle_density() -> Iterator[Step]:
    kernel = KERNELS["triangle"].density
    t, xj = sp.symbols("t x_j", real=True)
    inside = h * kappa / (1 + kappa)
    # rising side: u = t - x_j = -inside  =>  K = (t - (x_j - h)) / h^2
    rising = ((t - (xj - h)) / h**2).subs(t, xj - inside)
    yield evaluates(
        "rising side (x_j - h < t < x_j): K = (t - (x_j - h))/h^2",
        kernel.subs(u, -inside),
        rising,
        _resolve,
    )
    yield equal(
        "at t = x_j - h kappa/(1 + kappa): K = 1/(h (1 + kappa))", rising, 1 / (h * (1 + kappa))
    )
    yield equal(
        "falling side (x_j < t < x_j + h): K = ((x_j + h) - t)/h^2",
        _resolve(kernel.subs(u, inside)),
        (((xj + h) - t) / h**2).subs(t, xj + inside),
    )
    yield equal("outside the support K = 0", _resolve(kernel.subs(u, -h * (1 + kappa))), 0)


def _prove_triangle_log_segment() -> Iterator[Step]:
    p0, p1 = sp.exp(l0), sp.exp(l1)
    yield from _derivative_steps("linear_log", sp.log(p0 + (p1 - p0) * s))
    expr, _ = antiderivatives()["linear_log"]
    definite = sp.expand_log(expr.subs(s, 1) - expr.subs(s, 0), force=True)
    yield equal(
        "int_0^1 log P = (P1 log P1 - P0 log P0)/(P1 - P0) - 1",
        definite,
        (p1 * l1 - p0 * l0) / (p1 - p0) - 1,
    )
    stable = l1 - 1 + D / (sp.exp(D) - 1)
    yield equal(
        "with l0 = l1 - D: = max - 1 + D/expm1(D)",
        sp.simplify(definite.subs(l0, l1 - D) - stable),
        0,
    )


#: The hypothesis of ``triangle_resp_integrals`` beyond ``q > 0``, and its fresh symbol.
_Q_BELOW_ONE = sp.Lt(q, 1)
_v_gap = sp.Symbol("v", positive=True)


def _prove_triangle_resp() -> Iterator[Step]:
    p0, p1 = sp.exp(l0), sp.exp(l1)
    lin = p0 + (p1 - p0) * s
    yield from _derivative_steps("linear_recip", 1 / lin)
    yield from _derivative_steps("linear_s_recip", s / lin)
    # Normalised by the larger end: P = r + q s (increasing, r = 1 - q = e^{-D}) or 1 - q s.
    r = 1 - q
    big_d = -sp.log(1 - q)  # D = -log(1 - q), i.e. q = 1 - e^{-D}
    anti_f1 = s / q - r * sp.log(r + q * s) / q**2
    anti_f2 = -s / q - sp.log(1 - q * s) / q**2
    yield equal(
        "d/ds [s/q - r log(r + q s)/q^2] = s/(r + q s)", sp.diff(anti_f1, s), s / (r + q * s)
    )
    yield equal(
        "d/ds [-s/q - log(1 - q s)/q^2] = s/(1 - q s)", sp.diff(anti_f2, s), s / (1 - q * s)
    )
    # q < 1 as q = 1 - v, v > 0 (a checked Parametrisation): the denominator r + q s is
    # v (1 - s) + s > 0 on [0, 1], SymPy integrates, and the lift uses q < 1.
    below_one = Parametrisation(_Q_BELOW_ONE, q, 1 - _v_gap, _v_gap, 1 - q)
    integral = sp.Integral(s / (r + q * s), (s, 0, 1))
    closed = anti_f1.subs(s, 1) - anti_f1.subs(s, 0)
    at_gap = evaluates(
        "int_0^1 s/(r + q s) ds = G(1) - G(0), G = s/q - r log(r + q s)/q^2 [at q = 1 - v]",
        below_one.apply(integral),
        below_one.apply(closed),
        lambda e: e.doit(),
    )
    yield at_gap
    yield below_one.lift(at_gap, sp.Eq(integral, closed), "for every 0 < q < 1")
    yield equal(
        "f1 = int_0^1 s/(r + q s) = (q - (1-q) D)/q^2",
        anti_f1.subs(s, 1) - anti_f1.subs(s, 0),
        (q - r * big_d) / q**2,
    )
    yield equal(
        "f2 = int_0^1 s/(1 - q s) = (D - q)/q^2",
        anti_f2.subs(s, 1) - anti_f2.subs(s, 0),
        (big_d - q) / q**2,
    )
    yield equal(
        "f1 + f2 = int 1/P = D/q",
        sp.simplify(((q - r * big_d) + (big_d - q)) / q**2 - big_d / q),
        0,
    )
    k = sp.Symbol("k", integer=True, nonnegative=True)
    series_f1 = sp.series((q - r * big_d) / q**2, q, 0, 8).removeO()
    series_f2 = sp.series((big_d - q) / q**2, q, 0, 8).removeO()
    yield equal(
        "f1 = sum_k q^k / ((k+1)(k+2)) (first 8 terms)",
        series_f1,
        sp.summation(q**k / ((k + 1) * (k + 2)), (k, 0, 7)),
    )
    yield equal(
        "f2 = sum_k q^k / (k+2) (first 8 terms)", series_f2, sp.summation(q**k / (k + 2), (k, 0, 7))
    )


#: A triangle panel with p = 0 at one end: the density at its far end, its length, and two
#: points' kernel slopes and weights (any number of points is the same algebra).
P_far, L_panel = sp.symbols("P L", positive=True)
c_1, c_2, w_1, w_2 = sp.symbols("c_1 c_2 w_1 w_2", positive=True)


def _zero_end_resp() -> sp.Expr:
    """``R_1 = w_1 K_1 / p`` with both kernels linear and zero at ``s = 0``."""
    return w_1 * c_1 * s / (w_1 * c_1 * s + w_2 * c_2 * s)


def _prove_triangle_zero_end_panel() -> Iterator[Step]:
    density = w_1 * c_1 * s + w_2 * c_2 * s
    yield equal(
        "p = sum_j w_j c_j s is P s / L with P = p(L), the density at the far end",
        density,
        (density.subs(s, L_panel) * s / L_panel),
    )
    yield evaluates(
        "int_0^L log(P s / L) ds = L (log P - 1): the log singularity at s = 0 is integrable",
        sp.Integral(sp.log(P_far * s / L_panel), (s, 0, L_panel)),
        L_panel * (sp.log(P_far) - 1),
    )
    yield evaluates(
        "R_1 = w_1 c_1 s / (w_1 c_1 s + w_2 c_2 s) does not depend on s, so int R_1 = L R_1(L)",
        sp.Derivative(_zero_end_resp(), s),
        0,
        lambda e: sp.simplify(e.doit()),
    )


THEOREMS: list[Theorem] = [
    Theorem(
        name="boxcar_segment",
        title="boxcar: p constant per segment; loss len (log M - log 2h), responsibility w_i/M",
        statement=sp.Eq(KERNELS["boxcar"].density.subs(u, h * kappa / (1 + kappa)), 1 / (2 * h)),
        hypotheses=(sp.Q.positive(h), sp.Q.positive(kappa)),
        prover=_prove_boxcar_segment,
    ),
    Theorem(
        name="triangle_segment_density",
        title="triangle: each kernel is linear on a segment (rising or falling side)",
        statement=sp.Eq(
            KERNELS["triangle"].density.subs(u, -h * kappa / (1 + kappa)), 1 / (h * (1 + kappa))
        ),
        hypotheses=(sp.Q.positive(h), sp.Q.positive(kappa)),
        prover=_prove_triangle_density,
    ),
    Theorem(
        name="triangle_log_segment",
        title="int_0^1 log P (P linear) = max - 1 + D/expm1(D)  (the u log u form)",
        statement=sp.Eq(
            sp.Derivative(antiderivatives()["linear_log"][0], s),
            sp.log(sp.exp(l0) + (sp.exp(l1) - sp.exp(l0)) * s),
        ),
        hypotheses=(sp.Q.real(l0), sp.Q.real(l1)),
        prover=_prove_triangle_log_segment,
    ),
    Theorem(
        name="triangle_resp_integrals",
        title="int 1/P, int s/P for linear P: D/q, (q - (1-q)D)/q^2, (D - q)/q^2 and their series",
        statement=sp.Eq(
            sp.Integral(s / (1 - q + q * s), (s, 0, 1)), (q + (1 - q) * sp.log(1 - q)) / q**2
        ),
        hypotheses=(sp.Q.positive(q), _Q_BELOW_ONE),
        prover=_prove_triangle_resp,
    ),
    Theorem(
        name="triangle_zero_end_panel",
        title="triangle panel with p = 0 at one end: int log p = L (log p(far) - 1), R constant",
        statement=sp.And(
            sp.Eq(
                sp.Integral(sp.log(P_far * s / L_panel), (s, 0, L_panel)),
                L_panel * (sp.log(P_far) - 1),
            ),
            sp.Eq(sp.Derivative(_zero_end_resp(), s), 0),
        ),
        hypotheses=(
            sp.Q.positive(P_far),
            sp.Q.positive(L_panel),
            sp.Q.positive(c_1),
            sp.Q.positive(c_2),
            sp.Q.positive(w_1),
            sp.Q.positive(w_2),
        ),
        prover=_prove_triangle_zero_end_panel,
        explanation="`numeric._zero_end_panels`: between edges each triangle kernel is linear "
        "(`triangle_segment_density`); where p = 0 every kernel alive on the panel is 0 too, so "
        "with `s` the distance from the zero, `K_j = c_j s` and `p = P s / L`.  The quadrature "
        "integrates such panels in closed form from `p` and `R` at the far end: its nodes near "
        "the zero would round onto it when `|t|` is large.",
    ),
]
