"""The mpmath reference for the derivatives of the loss in every argument.

Owns :func:`symkde.reference.derivatives`.  Computed here, independently of the NumPy path:
the integrals ``(1/(b-a)) int R_j (log K)'(t - x_j) dt`` and
``-(1/(b-a)) int sum_j R_j (d/dh log K)(t - x_j) dt`` are taken by the oracle's tanh-sinh
quadrature on the oracle's panels (every kink, peak and dominance switch), sharing nodes with
``log p`` and every ``R_j``; the kernel derivatives are SymPy's ``diff`` of the kernel formulas
of :mod:`symkde.symbolic.kernels` (on the circle: of the closed wrapped forms the oracle derives
for laplace and cauchy, and image sums weighted by each image's share for gaussian, boxcar and
triangle), lambdified for mpmath; the boxcar's jump terms at support edges inside the target
are ``log(q + S_j/(2h)) - log q`` with ``q`` the other supports (closed) at the edge;
``dL/da = (log p(a+) + L)/(b-a)``, ``dL/db = -(log p(b-) + L)/(b-a)``; ``method="bins"``
differentiates the midpoint sum.  Self-checked: computed at ``dps`` and ``dps + 15`` digits,
:class:`ReferenceAccuracyError` if they differ by more than ``10**-(dps - 5)`` in units of the
contract's scales (``max(|v|, 1/h)`` for ``x`` and ``h``, ``(1 + |L|)/(b-a)`` for ``a``, ``b``).
Imports mpmath, SymPy, the oracle's internals and ``symkde.errors``; never the numeric layer.

>>> import mpmath
>>> d = derivatives([0.0], [-30.0], 0.0, 1.0, dps=20)  # Laplace far field: dL/dx = -1/h
>>> mpmath.nstr(d.x[0], 15), mpmath.nstr(d.x[0] + d.a + d.b, 5)
('-1.0', '0.0')
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

import mpmath
import sympy as sp

from symkde.reference.kernels import _compile, _line_log_kernel, _logsumexp, wrapped_closed_form
from symkde.reference.oracle import CHECK_EXTRA_DPS, CLAIM_MARGIN_DPS, Real, _uncovered
from symkde.reference.problem import _guard_digits, _Model, _Problem, _validate
from symkde.reference.quadrature import (
    ReferenceAccuracyError,
    _breakpoints,
    _dominance_splits,
    _gaps,
    _integrate,
)
from symkde.symbolic.kernels import KERNELS
from symkde.symbolic.kernels import h as H_SYM
from symkde.symbolic.kernels import u as U_SYM
from symkde.symbolic.nodes import LogI0e

__all__ = ["Derivatives", "derivatives"]

mp = mpmath.mp


class Derivatives(NamedTuple):
    """``loss`` and ``dL/dz``, ``dL/dx`` (lists), ``dL/dh``, ``dL/da``, ``dL/db`` (mpf)."""

    loss: Real
    z: list[Real]
    x: list[Real]
    bandwidth: Real
    a: Real
    b: Real


def _inside(expr: sp.Expr) -> sp.Expr:
    """The piece of a compact kernel's expression inside its support."""
    return expr.args[0][0] if isinstance(expr, sp.Piecewise) else expr


@cache
def _line_derivatives(name: str) -> tuple[Callable[[Real], Any], Callable[[Real], Any]]:
    """Binders ``h -> (u -> d/du log K_h(u))`` and the same for ``d/dh`` (line kernels)."""
    log_k = _inside(KERNELS[name].log_density)
    log_k = log_k.replace(lambda e: isinstance(e, LogI0e), lambda e: e.rewrite("naive"))
    return _compile(sp.diff(log_k, U_SYM), U_SYM), _compile(sp.diff(log_k, H_SYM), U_SYM)


@cache
def _wrapped_derivatives(name: str) -> tuple[Callable[[Real], Any], Callable[[Real], Any], bool]:
    """Binders for ``d/du`` and ``d/dh`` of ``log`` of the oracle's closed wrapped form."""
    expr, var = wrapped_closed_form(name)
    du = _compile(sp.diff(expr, var) / expr, var)
    dh = _compile(sp.diff(expr, H_SYM) / expr, var)
    return du, dh, var != U_SYM


class _Derivative:
    """``u -> (d/du log K, d/dh log K)`` for the problem's kernel (wrapped on the circle)."""

    def __init__(self, problem: _Problem, model: _Model):
        name, h = problem.kernel, problem.bandwidth
        self.h = h
        self.compact = KERNELS[name].compact
        line_du, line_dh = _line_derivatives(name)
        self.line = (_line_log_kernel(name)(h), line_du(h), line_dh(h))
        self.mode = "line"
        if problem.circular and name in ("laplace", "cauchy"):
            du, dh, reduced = _wrapped_derivatives(name)
            self.wrapped = (du(h), dh(h), reduced)
            self.mode = "closed"
        elif problem.circular and name != "vonmises":
            self.mode = "images"
            self.turns = int(mp.ceil((h + mp.pi) / (2 * mp.pi))) + 1
            if not self.compact:  # gaussian: images until exp(-(2 pi k)^2 / 2h^2) is negligible
                reach = mp.sqrt(2 * (mp.prec + 20) * mp.ln2) * h
                self.turns = int(mp.ceil(reach / (2 * mp.pi))) + 2

    def __call__(self, u: Real) -> tuple[Real, Real]:
        if self.mode == "line":
            return self.line[1](u), self.line[2](u)
        if self.mode == "closed":
            du, dh, reduced = self.wrapped
            if reduced:
                u = u - 2 * mp.pi * mp.floor(u / (2 * mp.pi))
            return du(u), dh(u)
        log_k, du, dh = self.line
        centred = u - 2 * mp.pi * mp.floor(u / (2 * mp.pi) + mp.mpf(0.5))
        images = [centred + 2 * mp.pi * k for k in range(-self.turns, self.turns + 1)]
        logs = [log_k(v) if not self.compact or abs(v) < self.h else mp.ninf for v in images]
        total = _logsumexp(logs)
        shares = [mp.exp(v - total) if v != mp.ninf else mp.zero for v in logs]
        live = [(s, v) for s, v in zip(shares, images, strict=True) if s != 0]
        return mp.fsum(s * du(v) for s, v in live), mp.fsum(s * dh(v) for s, v in live)


def _integrand(model: _Model, kernel: _Derivative) -> Callable[[Real], list[Real] | None]:
    """``t -> [1, log p, R_1..R_n, R_1 (log K)'_1..R_n (log K)'_n, sum_j R_j d/dh log K_j]``."""
    base = model.integrand(True)
    n = len(model.index)

    def evaluate(t: Real) -> list[Real] | None:
        row = base(t)
        if row is None:
            return None
        resp = row[2:]
        slopes, widths = [], []
        for r, xj in zip(resp, model.centres, strict=True):
            if r == 0:
                slopes.append(mp.zero)
                continue
            du, dh = kernel(t - xj)
            slopes.append(r * du)
            widths.append(r * dh)
        return [*row, *slopes, mp.fsum(widths)] if n else row

    return evaluate


def _log_density_inside(model: _Model, t: Real, side: int) -> Real:
    """``log p`` at ``t`` without compact supports that end exactly at ``t`` on the outer side."""
    terms = model.log_terms(t)
    if KERNELS[model.problem.kernel].compact and not model.problem.circular:
        h = model.bandwidth
        terms = [
            v if side * (t - xj) != h else mp.ninf
            for v, xj in zip(terms, model.centres, strict=True)
        ]
    return _logsumexp(terms)


def _boxcar_jumps(model: _Model) -> tuple[list[Real], Real]:
    """``(d/dx_j, d/dh)`` of ``int log p`` from the boxcar's edges inside ``(a, b)``."""
    h, n = model.bandwidth, len(model.index)
    two_pi = 2 * mp.pi
    shifts = [mp.zero]
    if model.problem.circular:
        turns = int(mp.ceil((h + mp.pi) / two_pi)) + 2
        shifts = [two_pi * k for k in range(-turns - 2, turns + 3)]
    images = [(j, model.centres[j] + s) for j in range(n) for s in shifts]
    d_x = [mp.zero] * n
    d_h = mp.zero
    log_half = -mp.log(2 * h)
    for index, (j, centre) in enumerate(images):
        for sign in (1, -1):
            edge = centre + sign * h
            if not model.a < edge < model.b:
                continue
            others = [
                model.log_weights[k] + log_half
                for other, (k, c) in enumerate(images)
                if other != index and abs(edge - c) <= h
            ]
            jump = mp.log1p(mp.exp(model.log_weights[j] + log_half - _logsumexp(others)))
            d_x[j] += sign * jump
            d_h += jump
    return d_x, d_h


def _evaluate(problem: _Problem, working_dps: int, target_dps: int) -> tuple[Real, ...]:
    """``(L, dL/dz..., dL/dx..., dL/dh, dL/da, dL/db)`` at ``working_dps`` digits."""
    with mp.workdps(working_dps):
        model = _Model(problem)
        n = len(model.index)
        kernel = _Derivative(problem, model)
        f = _integrand(model, kernel)
        length = model.b - model.a
        if problem.method == "bins":
            count = problem.bins
            assert count is not None
            rows, thetas = [], []
            for m in range(1, count + 1):
                theta = (m - mp.mpf(0.5)) / count
                row = f(model.a + theta * length)
                if row is None:
                    raise _uncovered((model.a + theta * length,) * 2)
                rows.append(row)
                thetas.append(theta)
            totals = [mp.fsum(column) / count for column in zip(*rows, strict=True)]
            slopes = [mp.fsum(row[2 + n : 2 + 2 * n]) for row in rows]
            d_a = -mp.fsum(s * (1 - th) for s, th in zip(slopes, thetas, strict=True)) / count
            d_b = -mp.fsum(s * th for s, th in zip(slopes, thetas, strict=True)) / count
            loss = -totals[1]
            d_x = totals[2 + n : 2 + 2 * n]
            d_h = -totals[2 + 2 * n]
        else:
            gaps = _gaps(problem, model)
            if gaps:
                raise _uncovered(gaps[0])
            edges = _breakpoints(problem, model)
            if not KERNELS[problem.kernel].compact:
                refined = [edges[0]]
                for lo, hi in itertools.pairwise(edges):
                    refined.extend(_dominance_splits(model, lo, hi))
                    refined.append(hi)
                edges = refined
            tol = mp.mpf(10) ** -(target_dps + 3)
            width = 3 + 2 * n
            panels = [_integrate(lo, hi, f, width, tol) for lo, hi in itertools.pairwise(edges)]
            totals = [mp.fsum(column) / length for column in zip(*panels, strict=True)]
            loss = -totals[1]
            d_x = totals[2 + n : 2 + 2 * n]
            d_h = -totals[2 + 2 * n]
            if problem.kernel == "boxcar":
                jump_x, jump_h = _boxcar_jumps(model)
                d_x = [v - j / length for v, j in zip(d_x, jump_x, strict=True)]
                d_h -= jump_h / length
            d_a = (_log_density_inside(model, model.a, 1) + loss) / length
            d_b = -(_log_density_inside(model, model.b, -1) + loss) / length
        grads = [mp.exp(lw) - r for lw, r in zip(model.log_weights, totals[2 : 2 + n], strict=True)]
        full_z = [mp.zero] * len(problem.z)
        full_x = [mp.zero] * len(problem.z)
        for k, j in enumerate(model.index):
            full_z[j], full_x[j] = grads[k], d_x[k]
        return (loss, *full_z, *full_x, d_h, d_a, d_b)


def derivatives(
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    *,
    kernel: str = "laplace",
    bandwidth: Any = 1,
    circular: bool = False,
    method: str = "integral",
    bins: int | None = None,
    dps: int = 50,
    check: bool = True,
) -> Derivatives:
    """``Derivatives(loss, z, x, bandwidth, a, b)`` at ``dps`` digits (mpmath numbers).

    Same arguments as :func:`symkde.reference.loss`; ``UncoveredTargetError`` if ``p = 0`` on
    part of the target.  Boxcar jump terms are taken at edges strictly inside ``(a, b)`` (as
    the numeric side: an edge exactly at an end contributes nothing).
    """
    problem, dps = _validate(
        z,
        x,
        a,
        b,
        kernel=kernel,
        bandwidth=bandwidth,
        circular=circular,
        method=method,
        bins=bins,
        dps=dps,
    )
    guard = _guard_digits(problem)
    high_dps = dps + CHECK_EXTRA_DPS if check else dps
    high = _evaluate(problem, high_dps + guard, dps + 8 if check else dps)
    n = len(problem.z)
    if check:
        low = _evaluate(problem, dps + guard, dps)
        with mp.workdps(high_dps):
            h = problem.bandwidth
            loss_scale = max(1, abs(high[0]))
            ab_scale = (1 + abs(high[0])) / (problem.b - problem.a)
            scales = [loss_scale] + [mp.one] * n + [None] * (n + 1) + [ab_scale] * 2
            error = mp.zero
            for lo_v, hi_v, scale in zip(low, high, scales, strict=True):
                size = scale if scale is not None else max(abs(hi_v), 1 / h)
                error = max(error, abs(lo_v - hi_v) / size)
            if not error <= mp.mpf(10) ** -(dps - CLAIM_MARGIN_DPS):
                raise ReferenceAccuracyError(
                    f"self-check failed: derivatives at {dps} and {high_dps} digits differ by "
                    f"{mp.nstr(error, 3)} (in units of the contract's scales)"
                )
    with mp.workdps(dps):
        values = [+v for v in high]
    return Derivatives(
        values[0],
        values[1 : 1 + n],
        values[1 + n : 1 + 2 * n],
        values[1 + 2 * n],
        values[2 + 2 * n],
        values[3 + 2 * n],
    )
