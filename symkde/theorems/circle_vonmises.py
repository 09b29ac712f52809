"""Circle, von Mises: no far field (periodic in the distance) and the kappa limits.

Part of :mod:`symkde.theorems.circle`.  Imports SymPy, :mod:`symkde.symbolic` and the earlier
circle modules.
"""

from __future__ import annotations

from collections.abc import Iterator

import sympy as sp

from symkde.symbolic.kernels import h, u
from symkde.symbolic.model import (
    i,
    symbols_for,
    z,
)
from symkde.theorems._core import (
    Step,
    Theorem,
    by_lemma,
    equal,
    evaluates,
    follows,
    for_every_positive,
    holds_true,
    integral_nonnegative,
    numeric_witness,
    rewritten,
)
from symkde.theorems.circle_closed_forms import (
    REFERENCE,
    TWO_PI,
    _closed_form,
    far,
    kappa,
)
from symkde.theorems.circle_gradient import (
    _indicator_gradient,
)
from symkde.theorems.gradient import (
    _ONE_HOT_STATEMENT,
    concretize,
    l_index,
)
from symkde.theorems.gradient_kernels import bessel_integral_lemma

# --------------------------------------------------------------------------- von Mises


_VONMISES = _closed_form("vonmises").subs(h, 1 / sp.sqrt(kappa))
_offsets = (sp.Integer(0), sp.Rational(1, 2), sp.Rational(3, 2))


def _far_gradient(at: sp.Expr = far) -> sp.Matrix:
    values = [_VONMISES.subs(u, -(at + o)) for o in _offsets]
    return _indicator_gradient(values, symbols_for("z", 3, real=True))


#: Periodicity in ``D`` is stated per component with an unevaluated ``Subs``: written as
#: ``Eq(g(D + 2 pi), g(D))`` SymPy reduces ``cos(D + 2 pi + o)`` at once and the conjunct
#: became ``True`` before any step ran; ``Subs(g, D, D + 2 pi)`` is that same ``g(D + 2 pi)``.
_NO_FAR_STATEMENT = sp.And(
    sp.Le(_VONMISES.subs(u, sp.pi), _VONMISES),
    *[sp.Eq(sp.Subs(g, far, far + TWO_PI), g) for g in _far_gradient(far)],
)


def _prove_no_far_field() -> Iterator[Step]:
    yield equal("von Mises is 2 pi-periodic", _VONMISES.subs(u, u + TWO_PI), _VONMISES)
    at_pi = _VONMISES.subs(u, sp.pi)
    low = sp.expand_log(sp.log(_VONMISES / at_pi), force=True)
    # each sign step is about the very expression the step before it derived
    log_ratio = equal("log K(u)/K(pi) = 2 kappa cos(u/2)^2", low, 2 * kappa * sp.cos(u / 2) ** 2)
    yield log_ratio
    yield holds_true(">= 0", sp.Ge(log_ratio.rhs, 0))
    # I0(kappa) > 0: 2 pi I0 is the integral of exp(kappa cos u) > 0 (lemma L-bessel-integral)
    integral = sp.Integral(sp.exp(kappa * sp.cos(u)), (u, -sp.pi, sp.pi))
    bessel = by_lemma(bessel_integral_lemma(kappa), {})
    integral_positive = integral_nonnegative(
        "Integral(exp(kappa cos u)) > 0", integral, strict=True
    )
    i0 = sp.besseli(0, kappa)
    i0_positive = follows(
        "so I0(kappa) > 0",
        sp.Gt(i0, 0),
        [bessel, integral_positive],
        multipliers=[-1 / (2 * sp.pi), 1 / (2 * sp.pi)],
    )
    yield from (bessel, integral_positive, i0_positive)
    # K(u) - K(pi) = K(pi) (e^y - 1), y = 2 kappa cos(u/2)^2 >= 0, and e^y - 1 = Integral_0^y e^s
    c = sp.Symbol("c", positive=True)
    at_pi_c, vonmises_c = at_pi.xreplace({i0: c}), _VONMISES.xreplace({i0: c})
    y = log_ratio.rhs
    s = sp.Symbol("s", real=True)
    grow = sp.Integral(sp.exp(s), (s, 0, y))
    identity = rewritten(
        "K(u) - K(pi) = K(pi) (exp(2 kappa cos(u/2)^2) - 1) [I0 = c > 0]",
        vonmises_c - at_pi_c,
        at_pi_c * (sp.exp(y) - 1),
        lambda e: sp.expand(e.rewrite(sp.exp)),
        "cos and exp in exponential form, expanded",
    )
    grow_value = evaluates("Integral_0^y exp(s) ds = exp(y) - 1", grow, sp.exp(y) - 1)
    grow_sign = integral_nonnegative("and it is >= 0 (y >= 0, exp > 0)", grow)
    inner = follows(
        "K(pi) <= K(u) [I0 = c > 0]",
        sp.Le(at_pi_c, vonmises_c),
        [identity, grow_value, grow_sign],
        multipliers=[1, -at_pi_c, at_pi_c],
    )
    yield from (identity, grow_value, grow_sign, inner)
    yield for_every_positive(
        "K(u) >= K(pi), its value at the largest distance (for every I0 > 0, and I0 > 0)",
        inner,
        sp.Le(at_pi, _VONMISES),
        i0,
        c,
        i0_positive,
    )
    high = sp.expand_log(sp.log(_VONMISES / _VONMISES.subs(u, 0)), force=True)
    high_ratio = equal("log K(u)/K(0) = -2 kappa sin(u/2)^2", high, -2 * kappa * sp.sin(u / 2) ** 2)
    yield high_ratio
    yield holds_true(
        "<= 0: every kernel ratio lies in [exp(-2 kappa), exp(2 kappa)]",
        sp.Le(high_ratio.rhs, 0),
    )
    gradient = _far_gradient()
    for m, g in enumerate(gradient, 1):
        yield evaluates(
            f"points at D + o_j from the bin: dL/dz_{m} at D + 2 pi is dL/dz_{m} at D (SymPy "
            "substitutes; cos is 2 pi-periodic)",
            sp.Subs(g, far, far + TWO_PI),
            g,
        )
    at_zero = sp.N(
        gradient[0].subs({kappa: 1, **{s: 0 for s in symbols_for("z", 3, real=True)}}), 30
    )
    at_pi = sp.N(
        gradient[0].subs({far: sp.pi, kappa: 1, **{s: 0 for s in symbols_for("z", 3, real=True)}}),
        30,
    )
    yield holds_true(
        f"and not constant (kappa = 1, z = 0: g_1 = {sp.N(at_zero.subs(far, 0), 6)} at D = 0, "
        f"{sp.N(at_pi, 6)} at D = pi): no limit as D -> oo, there is no far field",
        sp.Ne(sp.N(at_zero.subs(far, 0), 30), at_pi),
    )


_gaps = sp.symbols("g2 g3", positive=True)
_logits3 = symbols_for("z", 3, real=True)


def _gap_gradient() -> sp.Matrix:
    values = [sp.Integer(1), *[sp.exp(-kappa * g) for g in _gaps]]
    return _indicator_gradient(values, _logits3)


_one_hot_rhs = sp.Matrix(
    [
        concretize(_ONE_HOT_STATEMENT.rhs.subs({l_index: 1, i: m}), 3).subs(
            {z[q + 1]: _logits3[q] for q in range(3)}
        )
        for m in range(1, 4)
    ]
)
_CONCENTRATION_STATEMENT = sp.And(
    *[
        sp.Eq(sp.Limit(g, kappa, sp.oo), r)
        for g, r in zip(_gap_gradient(), _one_hot_rhs, strict=True)
    ],
    *[sp.Eq(sp.Limit(g, kappa, 0), 0) for g in _gap_gradient()],
)
#: The instance: bin at 0, points at angles 5, 2, -3/2 (point 1 is nearest *across* 2 pi).
_ANGLES = (sp.Integer(5), sp.Integer(2), sp.Rational(-3, 2))


def _prove_concentration() -> Iterator[Step]:
    values = [_VONMISES.subs(u, -p) for p in _ANGLES]
    instance = _indicator_gradient(values, _logits3)
    gaps = [sp.cos(_ANGLES[0]) - sp.cos(p) for p in _ANGLES[1:]]
    yield holds_true(
        "instance: bin 0, points at angles 5, 2, -3/2: point 1 is nearest (circular distance "
        "2 pi - 5), i.e. g_j = cos(5) - cos(x_j) > 0",
        sp.And(*[sp.Gt(g, 0) for g in gaps]),
    )
    ratios = [sp.powsimp(sp.expand(v / values[0])) for v in values[1:]]
    yield equal(
        "K_j/K_1 = exp(-kappa g_j) (I0 cancels); by circle_scale_invariance the gradient "
        "depends on these ratios only",
        sp.Matrix(ratios),
        sp.Matrix([sp.exp(-kappa * g) for g in gaps]),
    )
    gradient = _gap_gradient()
    for m, (g, value) in enumerate(zip(gradient, _one_hot_rhs, strict=True), 1):
        yield evaluates(
            f"sympy.limit of dL/dz_{m} as kappa -> oo (any gaps g_j > 0): S_{m} - delta_{m}1, "
            "the cross-entropy of the nearest point",
            sp.Limit(g, kappa, sp.oo),
            value,
        )
    for m, g in enumerate(gradient, 1):
        yield evaluates(
            f"sympy.limit of dL/dz_{m} as kappa -> 0: 0, every R_i -> S_i", sp.Limit(g, kappa, 0), 0
        )
    point = {_logits3[0]: sp.Rational(2, 3), _logits3[1]: sp.Rational(-1, 4), _logits3[2]: 1}
    weights = sp.Matrix([1, 10, 100]).T
    yield numeric_witness(
        "instance at kappa = 10^4: the gradient is the one-hot limit to 40 digits",
        (weights * instance)[0],
        (weights * _one_hot_rhs)[0],
        {**point, kappa: 10**4},
    )
    yield numeric_witness(
        "instance at kappa = 10^-45: the gradient is 0 to 40 digits",
        (weights * instance)[0],
        0,
        {**point, kappa: sp.Rational(1, 10**45)},
    )


THEOREMS: list[Theorem] = [
    Theorem(
        name="circle_vonmises_no_far_field",
        title="von Mises: no distance exceeds pi, the far-field gradient is periodic (no limit)",
        statement=_NO_FAR_STATEMENT,
        hypotheses=(sp.Q.positive(kappa), sp.Q.positive(far)),
        prover=_prove_no_far_field,
        explanation=(
            "On the circle every point is within pi of the bin, K(pi) <= K(u) <= K(0); moving "
            "all points away by D is periodic in D, so the line's far-field limits do not exist."
        ),
        reference=REFERENCE,
    ),
    Theorem(
        name="circle_vonmises_concentration",
        title="von Mises: kappa -> oo gives nearest-point cross-entropy, kappa -> 0 gradient 0",
        statement=_CONCENTRATION_STATEMENT,
        hypotheses=(sp.Q.positive(_gaps[0]), sp.Q.positive(_gaps[1])),
        prover=_prove_concentration,
        explanation=(
            "By sympy.limit for n = 3 with symbolic gaps g_j = cos(u_1) - cos(u_j) > 0 (general "
            "n defeats sympy.limit), and an instance where the nearest point is nearest across "
            "+-pi.  The limits are per bin."
        ),
        reference=REFERENCE,
    ),
]
