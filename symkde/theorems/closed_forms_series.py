"""Series closed forms: the Laplace short-segment midpoint series and the wrapped image sum.

Part of :mod:`symkde.theorems.closed_forms`.  Imports SymPy, :mod:`symkde.symbolic.kernels`,
the proof machinery and the earlier closed-form modules.
"""

from __future__ import annotations

from collections.abc import Iterator

import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.theorems._core import (
    Step,
    Theorem,
    equal,
    evaluates,
    follows,
    holds_true,
    numeric_witness,
    series_by_partial_sums,
)
from symkde.theorems.closed_forms_laplace import (
    _by_definition,
    _segment_integrand,
    _statement,
    d,
    delta,
    lA,
    lB,
    s,
)

# --- Laplace, short segments: midpoint series (the compiled fast path of symkde.numeric.compiled)
# ------

#: Segments up to this length (in bandwidths) are integrated by the midpoint series below.
SHORT_SEGMENT = sp.Rational(1, 10)
#: The series keeps the Taylor terms of the integrand below ``u**SHORT_SERIES_ORDER``.
SHORT_SERIES_ORDER = 12

#: ``T = (A - B)/(A + B)`` and ``q = B/(A + B)``, the shapes of a segment; ``d2 = d**2``.
T_shape = sp.Symbol("T", real=True)
q_shape = sp.Symbol("q", positive=True)
d2 = sp.Symbol("d2", nonnegative=True)
_v = sp.Symbol("v", real=True)  # the offset from the segment's midpoint, s = d/2 + v


def _tanh_derivative(k: int) -> sp.Expr:
    """``d^k/dx^k tanh x`` as a polynomial in ``T = tanh x`` (``T' = 1 - T^2``)."""
    poly = T_shape
    for _ in range(k):
        poly = sp.expand(sp.diff(poly, T_shape) * (1 - T_shape**2))
    return poly


def _midpoint_mean(derivatives: list[sp.Expr]) -> sp.Expr:
    """``(1/d) int_{-d/2}^{d/2} sum_k f^(k)(0) v^k / k! dv`` from ``f^(k)(0)``, in ``d2``.

    Odd ``k`` integrate to 0; even ``k`` give ``f^(k)(0) (d/2)^k / (k + 1)!``.
    """
    return sp.expand(
        sum(
            derivatives[k] * d2 ** (k // 2) / (2**k * sp.factorial(k + 1))
            for k in range(0, len(derivatives), 2)
        )
    )


def short_segment_series() -> dict[str, sp.Expr]:
    """The midpoint series of a short Laplace segment, ``B, A > 0``, ``d <= SHORT_SEGMENT``.

    ``log``: ``(1/d) int_0^d log(B e^{-s} + A e^{s-d}) ds - log(A + B) + d/2``, a polynomial
    in ``d2 = d**2`` and ``T = (A - B)/(A + B)``; ``resp``: ``((A + B)/d) int_0^d ds /
    (B + A e^{2s-d})``, a polynomial in ``d2`` and ``q = B/(A + B)`` (the right-hand twin,
    ``int e^{s-d}/(..)``, is the same polynomial at ``1 - q``).  About the midpoint
    ``s = d/2 + v`` the integrands are ``log cosh(v + phi) - log cosh(phi)`` (``tanh phi =
    T``) and ``(1 - tanh(v + psi))/(2q)`` (``tanh psi = 1 - 2q``), so every Taylor
    coefficient is a tanh-derivative polynomial (theorem ``laplace_short_segment`` proves
    both forms and bounds the truncation); ``symkde.symbolic.codegen`` prints the two polynomials
    into ``symkde/numeric/_generated/laplace_forms.py``.

    >>> short_segment_series()["resp"].subs(d2, 0)
    1
    >>> short_segment_series()["log"].coeff(d2, 1)
    1/24 - T**2/24
    """
    order = SHORT_SERIES_ORDER
    log_derivs = [sp.Integer(0)] + [_tanh_derivative(k - 1) for k in range(1, order)]
    resp_derivs = [sp.Integer(1)] + [
        sp.cancel(-_tanh_derivative(k).subs(T_shape, 1 - 2 * q_shape) / (2 * q_shape))
        for k in range(1, order)
    ]
    return {"log": _midpoint_mean(log_derivs), "resp": _midpoint_mean(resp_derivs)}


def _max_abs_on_unit_interval(poly: sp.Expr, digits: int = 40) -> sp.Float:
    """``max |poly(T)|`` over ``[-1, 1]``: at the ends or at a real root of ``poly'``.

    The roots are SymPy's exact isolated real roots, evaluated to 60 digits; at a critical
    point the value's error is second order in the root's, far below ``digits``.
    """
    roots = [r.evalf(60) for r in sp.Poly(sp.diff(poly, T_shape), T_shape).real_roots()]
    candidates = [sp.Integer(-1), sp.Integer(1), *[r for r in roots if -1 <= r <= 1]]
    return max(sp.Abs(poly.subs(T_shape, c)).evalf(digits) for c in candidates)


#: Placeholders of ``laplace_short_segment`` (defined by :func:`_short_segment_meaning`): the
#: printed loss polynomial, the truncation error it leaves, and ``max |P_11|`` on ``[-1, 1]``.
P_LOG = sp.Symbol("P_log(d^2, T)")
R_LOG = sp.Symbol("R_log")
M_LOG = sp.Symbol("M_11", positive=True)


def _short_segment_statement() -> sp.And:
    """The loss integral of a short segment: the printed series plus its truncation error
    ``R_log``, and the bound that makes ``|R_log|`` below ``2e-20`` for ``d <= SHORT_SEGMENT``.

    By Taylor's theorem ``|R_log| <= M_11 (d/2)^12 / 13!``: ``R_log`` is the mean over the
    segment of ``g - g_11``, ``g(v) = log(cosh v + T sinh v)`` and ``g_11`` its Taylor
    polynomial through ``v^11``, and ``g^(12)(v) = P_11(tanh(v + phi))``, ``|tanh| < 1``.  The
    second conjunct bounds that for every ``d <= SHORT_SEGMENT`` (it uses the hypothesis).
    """
    order = SHORT_SERIES_ORDER
    integral = sp.Integral(sp.log(_segment_integrand()), (s, 0, d))
    bound = M_LOG * (d / 2) ** order / sp.factorial(order + 1)
    return sp.And(
        sp.Eq(integral, d * (sp.log(sp.exp(lA) + sp.exp(lB)) - d / 2 + P_LOG + R_LOG)),
        sp.Lt(bound, sp.Rational(2, 10**20)),
    )


def _short_segment_meaning() -> dict[sp.Basic, sp.Expr]:
    """What the placeholders of ``laplace_short_segment`` stand for, with ``A = e^{lA}``,
    ``B = e^{lB}`` and ``T = (A - B)/(A + B)``.

    ``P_log(d^2, T)``: the printed polynomial ``short_segment_series()["log"]`` at ``d2 =
    d^2``; ``R_log``: what it leaves out, ``(1/d) (int_0^d log(B e^{-s} + A e^{s-d}) ds -
    d (log(A + B) - d/2) - int_{-d/2}^{d/2} g_11(v) dv)``, ``g_11`` the Taylor polynomial
    (SymPy's ``series``) of ``g(v) = log(cosh v + T sinh v)`` through ``v^11``; ``M_11``: the
    maximum of ``|P_11|`` on ``[-1, 1]``, ``P_11(tanh x) = d^11/dx^11 tanh x``.
    """
    order = SHORT_SERIES_ORDER
    taylor = sp.series(sp.log(sp.cosh(_v) + T_shape * sp.sinh(_v)), _v, 0, order).removeO()
    integral = sp.Integral(sp.log(_segment_integrand()), (s, 0, d))
    midpoint = d * (sp.log(sp.exp(lA) + sp.exp(lB)) - d / 2)
    dropped = (integral - midpoint - sp.Integral(taylor, (_v, -d / 2, d / 2))) / d
    return {
        P_LOG: short_segment_series()["log"].subs(d2, d**2),
        R_LOG: dropped,
        M_LOG: _max_abs_on_unit_interval(_tanh_derivative(order - 1)),
    }


#: The hypothesis of ``laplace_short_segment``: the segment is short.
SHORT = sp.Le(d, SHORT_SEGMENT)


def _prove_laplace_short_segment() -> Iterator[Step]:
    big_a, big_b = sp.symbols("A B", positive=True)
    phi, v0 = sp.symbols("phi v_0", real=True)
    x = sp.Symbol("x", real=True)
    order = SHORT_SERIES_ORDER
    series = short_segment_series()
    # 1. The integrands about the midpoint s = d/2 + v.
    density = big_b * sp.exp(-(d / 2 + _v)) + big_a * sp.exp(d / 2 + _v - d)
    shape = (big_a - big_b) / (big_a + big_b)
    yield equal(
        "B e^{-s} + A e^{s-d} = (A + B) e^{-d/2} (cosh v + T sinh v), T = (A - B)/(A + B)",
        sp.expand(density.rewrite(sp.exp)),
        sp.expand(
            ((big_a + big_b) * sp.exp(-d / 2) * (sp.cosh(_v) + shape * sp.sinh(_v))).rewrite(sp.exp)
        ),
    )
    yield equal(
        "1/(B + A e^{2s-d}) = (1/(A + B)) / (q + (1 - q) e^{2v}), q = B/(A + B)",
        sp.cancel(1 / (big_b + big_a * sp.exp(2 * (d / 2 + _v) - d))),
        sp.cancel(
            (1 / (q_shape + (1 - q_shape) * sp.exp(2 * _v))).subs(q_shape, big_b / (big_a + big_b))
            / (big_a + big_b)
        ),
    )
    # 2. The log integrand is log cosh(v + phi) - log cosh(phi) with T = tanh(phi): its
    #    derivatives are those of tanh, polynomials in tanh.
    yield equal(
        "d/dv log(cosh v + T sinh v) = tanh(v + phi) when T = tanh(phi)",
        sp.simplify(
            sp.diff(sp.log(sp.cosh(_v) + T_shape * sp.sinh(_v)), _v).subs(T_shape, sp.tanh(phi))
            - sp.tanh(_v + phi)
        ),
        0,
    )
    top = _tanh_derivative(order - 1)
    yield equal(
        f"d^{order - 1}/dx^{order - 1} tanh x is the polynomial P(tanh x) used below",
        sp.diff(sp.tanh(x), x, order - 1),
        top.subs(T_shape, sp.tanh(x)),
    )
    meaning = _short_segment_meaning()
    parts = _statement("laplace_short_segment").args  # And keeps its arguments sorted
    identity = next(c for c in parts if isinstance(c, sp.Equality))
    bound = next(c for c in parts if not isinstance(c, sp.Equality))
    # The printed polynomial is the mean of the Taylor polynomial: with R_log what it leaves
    # out, the loss identity holds -- for every T (so at T = (A - B)/(A + B)).
    yield _by_definition(
        "int_0^d log(..) ds = d (log(A + B) - d/2 + P_log(d^2, T) + R_log): the mean of the "
        f"Taylor polynomial through v^{order - 1} about the midpoint is P_log (for every T)",
        identity,
        {P_LOG: meaning[P_LOG], R_LOG: meaning[R_LOG]},
        # linearity (the exact integral cancels), then the polynomial integrals
        lambda e: sp.expand(sp.expand(e).doit()),
    )
    m_log = meaning[M_LOG]
    # The midpoint rule's remainder after the v^{order-2} term:
    # int_{-d/2}^{d/2} |v|^order/order! dv * max|f^(order)| = d (d/2)^order/(order+1)! * max|..|.
    c_log = m_log / (2**order * sp.factorial(order + 1))
    # M_11 <= m_up (a rational just above the computed maximum), then
    # M_11 (d/2)^12/13! <= m_up (1/10 / 2)^12/13! < 2e-20: d^12 <= 10^-12 from d <= 1/10 (the
    # multiplier sum_k 10^-k d^(11-k) >= 0); what is left is an exact positive number
    m_up = sp.ceiling(m_log * 10**6) / sp.Integer(10**6)
    definition = _by_definition(
        f"M_11 = max |P| on [-1, 1] = {sp.N(m_log, 8)} <= {m_up}",
        sp.Le(M_LOG, m_up),
        {M_LOG: m_log},
    )
    powers = follows(
        f"d^{order} <= {SHORT_SEGMENT}^{order} (uses d <= {SHORT_SEGMENT})",
        sp.Ge(SHORT_SEGMENT**order - d**order, 0),
        [SHORT],
        multipliers=[sum(SHORT_SEGMENT**k * d ** (order - 1 - k) for k in range(order))],
    )
    scale = 2**order * sp.factorial(order + 1)
    yield from (definition, powers)
    yield follows(
        f"loss: |R_log| <= M_11 (d/2)^{order}/{order + 1}! = {sp.N(c_log, 4)} d^{order} "
        f"< 2e-20 for every d <= {SHORT_SEGMENT}",
        bound,
        [definition, powers],
        multipliers=[d**order / scale, m_up / scale],
    )
    # 3. The responsibility integrand is (1 - tanh(v - v0)) / (2 q) with e^{2 v0} = q/(1-q).
    yield equal(
        "1/(q + (1 - q) e^{2v}) = (1 - tanh(v - v0))/(2q) when e^{2 v0} = q/(1 - q)",
        sp.simplify(
            (
                (1 - sp.tanh(_v - v0)) / (2 * q_shape)
                - 1 / (q_shape + (1 - q_shape) * sp.exp(2 * _v))
            )
            .rewrite(sp.exp)
            .subs(sp.exp(2 * v0), q_shape / (1 - q_shape))
            .subs(sp.exp(-2 * v0), (1 - q_shape) / q_shape)
        ),
        0,
    )
    yield equal(
        "tanh(v0) = 2q - 1 when e^{2 v0} = q/(1 - q): the series evaluates P_k at T = 1 - 2q",
        sp.cancel(sp.tanh(v0).rewrite(sp.exp).subs(sp.exp(v0), sp.sqrt(q_shape / (1 - q_shape)))),
        2 * q_shape - 1,
    )
    top_r = _tanh_derivative(order)
    rest = sp.cancel(top_r / (1 - T_shape**2))
    yield equal(
        f"d^{order}/dx^{order} tanh x = (1 - T^2) R(T), R a polynomial",
        sp.expand((1 - T_shape**2) * rest),
        top_r,
    )
    yield equal(
        "(1 - T) - (1 - T^2)/2 = (1 - T)^2/2 >= 0: |f^(12)| <= 2 max|R| f (and alike for 1 + T)",
        sp.expand((1 - T_shape) - (1 - T_shape**2) / 2),
        sp.expand((1 - T_shape) ** 2 / 2),
    )
    m_resp = _max_abs_on_unit_interval(rest)
    # f varies over the segment by at most e^{2d} (its denominator B + A e^{2s-d} does), so
    # |dropped| <= d (d/2)^order/(order+1)! * 2 max|R| * max f <= [..] e^{2d} * int f.
    c_resp = 2 * m_resp / (2**order * sp.factorial(order + 1))
    resp_bound = c_resp * SHORT_SEGMENT**order * sp.exp(2 * SHORT_SEGMENT)
    yield holds_true(
        f"responsibility: relative |dropped| <= {sp.N(c_resp, 4)} d^{order} e^{{2d}} <= "
        f"3e-19 at d = {SHORT_SEGMENT}, the longest short segment (it grows with d; max |R| "
        f"on [-1, 1] = {sp.N(m_resp, 8)})",
        resp_bound < sp.Rational(3, 10**19),
    )
    # 4. Witnesses: the printed polynomials against quadrature at a concrete segment.
    at = {T_shape: sp.Rational(-2, 7), q_shape: sp.Rational(9, 14), d2: sp.Rational(1, 100)}
    d_at = sp.Rational(1, 10)
    yield numeric_witness(
        "loss series at d = 1/10, T = -2/7 against quadrature (within the bound)",
        series["log"].subs(at),
        sp.Integral(sp.log(sp.cosh(_v) + T_shape * sp.sinh(_v)), (_v, -d_at / 2, d_at / 2)).subs(at)
        / d_at,
        {},
        tol_digits=19,
    )
    yield numeric_witness(
        "responsibility series at d = 1/10, q = 9/14 against quadrature (within the bound)",
        series["resp"].subs(at),
        sp.Integral(1 / (q_shape + (1 - q_shape) * sp.exp(2 * _v)), (_v, -d_at / 2, d_at / 2)).subs(
            at
        )
        / d_at,
        {},
        tol_digits=18,
    )


# --- circle -----------------------------------------------------------------------------------


#: The image index of ``wrapped_laplace_image_sum``.
_k_image = sp.Symbol("k", integer=True, nonnegative=True)


def _image_series() -> sp.Sum:
    """``sum_{k >= 0} K(delta + 2 pi k)``: the left images ``x - 2 pi (k + 1)`` of a point ``x``
    at distances ``delta + 2 pi k`` from ``t = x - 2 pi + delta``."""
    kernel = KERNELS["laplace"].density
    return sp.Sum(kernel.subs(u, delta + 2 * sp.pi * _k_image), (_k_image, 0, sp.oo))


def _image_closed_form() -> sp.Expr:
    """One image at distance ``delta`` of weight ``1 / (1 - e^{-2 pi/h})``."""
    return sp.exp(-delta / h) / (2 * h * (1 - sp.exp(-2 * sp.pi / h)))


def _series_by_partial_sums(
    description: str, series: sp.Sum, partial: sp.Expr, n_terms: sp.Symbol
) -> Step:
    """Step ``series = Limit(partial, n_terms, oo)`` (see
    :func:`symkde.theorems._core.series_by_partial_sums`)."""
    return series_by_partial_sums(description, series, partial, n_terms)


def _prove_wrapped_laplace_images() -> Iterator[Step]:
    """The left images ``x - 2 pi k`` (``k >= 1``) of a point ``x`` seen from ``t > x - 2 pi``."""
    series = _image_series()
    yield equal(
        "the image at distance delta + 2 pi k (k >= 0) contributes e^{-delta/h} e^{-2 pi k/h} "
        "/ (2h)",
        series.function,
        sp.exp(-delta / h) * sp.exp(-2 * sp.pi * _k_image / h) / (2 * h),
    )
    # Partial sums by induction (S_0 = 0, S_N - S_{N-1} = the term k = N - 1), then N -> oo.
    n_terms = sp.Symbol("N", integer=True, positive=True)
    partial = (
        sp.exp(-delta / h)
        * (1 - sp.exp(-2 * sp.pi * n_terms / h))
        / (2 * h * (1 - sp.exp(-2 * sp.pi / h)))
    )
    yield _series_by_partial_sums(
        "the series is the limit of its partial sums S_N = e^{-delta/h} (1 - e^{-2 pi N/h}) / "
        "(2h (1 - e^{-2 pi/h})) (S_0 = 0; S_N - S_{N-1} is the term k = N - 1)",
        series,
        partial,
        n_terms,
    )
    closed = _image_closed_form()
    yield evaluates(
        "N -> oo (h > 0): one image of weight w / (1 - e^{-2 pi/h}) at distance delta",
        sp.Limit(partial, n_terms, sp.oo),
        closed,
    )
    yield numeric_witness(
        "the image sum at h = 7/3, delta = 1/2 (400 terms against the closed form)",
        sp.Sum(series.function, (_k_image, 0, 399)).doit(),
        closed,
        {h: sp.Rational(7, 3), delta: sp.Rational(1, 2)},
        tol_digits=30,
    )


THEOREMS: list[Theorem] = [
    Theorem(
        name="laplace_short_segment",
        title="short Laplace segment (d <= 1/10): midpoint series for the loss and "
        "responsibility integrals, truncation below 2e-20 d and 3e-19 relative",
        # The series is not exact: the statement carries its truncation error R_log and the
        # bound on it (see _short_segment_statement and _short_segment_meaning).
        statement=_short_segment_statement(),
        hypotheses=(sp.Q.positive(d), SHORT),
        prover=_prove_laplace_short_segment,
        explanation="The compiled fast path (`symkde.numeric.compiled`) integrates the smooth "
        "integrands "
        "about the segment's midpoint: the log term needs one `log(A + B)` and the "
        "responsibility terms none, with `T = (A - B)/(A + B)` and `q = B/(A + B)` formed "
        "without cancellation.  The printed polynomial `P_log` is the mean over the segment "
        "of the Taylor polynomial (through v^11) of `g(v) = log(cosh v + T sinh v)` about the "
        "midpoint; `R_log` is what it leaves out, the mean of `g` minus that polynomial.  "
        "Taylor's theorem bounds it by `M_11 (d/2)^12 / 13!`, since `g^(12)(v) = "
        "P_11(tanh(v + phi))` (the steps show `g' = tanh(v + phi)` and that the 11th "
        "derivative of tanh is `P_11(tanh)`), `|tanh| < 1` and `M_11` is the exact maximum of "
        "`|P_11|` on [-1, 1]; the bound grows with `d`, and the statement checks it at "
        "`d = 1/10`.  That last inference (Taylor's theorem, monotonicity in `d`) is argued "
        "here, not checked by SymPy.",
    ),
    Theorem(
        name="wrapped_laplace_image_sum",
        title="circle: all left (right) images of a point act as one image of weight "
        "w / (1 - e^{-2 pi/h})",
        statement=sp.Eq(_image_series(), _image_closed_form()),
        hypotheses=(sp.Q.positive(h), sp.Q.positive(delta)),
        prover=_prove_wrapped_laplace_images,
        explanation="On an arc of length at most 2 pi with the points' representatives in "
        "[a, a + 2 pi), every image u - 2 pi k (k >= 1) lies left of the arc and every "
        "u + 2 pi k right of it, so the wrapped Laplace density on the arc is the line density "
        "of 3n points: the per-segment closed forms apply unchanged.",
    ),
]
