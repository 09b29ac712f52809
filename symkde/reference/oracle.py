"""High-precision reference for the softmax-KDE cross-entropy, computed with mpmath.

The loss and its gradient (docs/contract.md, "The quantity") evaluated at ``dps`` significant digits
by a code path that shares no numeric code with the NumPy side: kernel formulas come from
:mod:`symkde.symbolic.kernels` as SymPy expressions and are turned into mpmath callables with
``sympy.lambdify(..., modules="mpmath")``; everything else (validation, log-softmax,
log-sum-exp, tanh-sinh quadrature, wrapped kernels) is written here for mpmath.

How the integral is computed:

- log space throughout: ``log p(t) = logsumexp_j (log S_j + log K_h(t - x_j))`` with
  ``log S = z - logsumexp(z)``, so logits of +-700 and points thousands of bandwidths away
  lose no digits to underflow; guard digits are added for the magnitude of the logs;
- ``[a, b]`` is split at every kink of the integrand (``x_j`` and ``x_j +- h`` as the kernel
  says), at every peak ``x_j`` (and the antipode on the circle), and where the dominant term
  of the mixture changes (with points far away on both sides the responsibilities switch
  within a sliver of width ``h**2 / distance``);
- each panel is integrated by tanh-sinh with nodes shared by all ``n + 2`` integrands
  (``1``, ``log p`` and every responsibility ``R_i``); levels are added until the
  extrapolated error of every component is below ``10**-(dps + 3)``, and a panel that does
  not converge by level 10 is halved;
- the self-check: everything is computed at ``dps`` and at ``dps + 15`` digits, and
  :class:`ReferenceAccuracyError` is raised if they differ by more than ``10**-(dps - 5)``
  (loss relative to ``max(1, |L|)``, gradient entries absolute).  The value returned is
  the ``dps + 15`` one rounded to ``dps`` digits; :func:`loss_grad_error` also returns the
  difference as the error estimate.

Inputs are exact: a Python float is its binary value (``mpmath.mpf(float)`` is exact), NumPy
arrays are read through ``.tolist()``, ``mpmath.mpf`` values are used as they are.

On the circle (``circular=True``) an arc with ``|b - a - 2 pi|`` within 4 float64 ulps
(``4 * 2**-50``) is the full circle ``[a, a + 2 pi]``; a shorter arc is taken exactly.
The wrapped kernels are evaluated as follows: von Mises
directly (it is periodic); wrapped laplace and wrapped cauchy by closed forms that SymPy derives
here from the kernel (geometric image sums, and Poisson summation of the characteristic
function for cauchy; :func:`wrapped_closed_form`, checked against image sums in the tests);
wrapped gaussian by an image sum truncated where a proven geometric bound on the dropped tail
(log-concavity) is below the working precision; boxcar and triangle by the finitely many
images that overlap (``h`` may exceed ``pi``).

Cost (this machine: 2 vCPU, shared; CPU seconds including the self-check, i.e. the work at
``dps`` and at ``dps + 15``): n = 10 points in and around the target at ``dps=50``,
``method="integral"``: 0.2 s (boxcar) to 1.5 s (triangle) per kernel on the line, 0.4 s
(boxcar) to 3 s (triangle) on the circle, where each wrapped kernel costs 2-4 transcendental
calls; n = 200 points thousands of bandwidths outside the target at ``dps=30``: 0.1-0.6 s.
The cost grows like ``n * panels * nodes``, about ``n**2`` when the points sit inside the
target; ``check=False`` skips the second run (less than half the cost).  Gauss-Legendre was
tried and dropped: with a switch of the dominant term right at a panel end, two rules agreed
to 1e-60 while both were off by 1e-9 (the self-check caught it; NOTES.md saw the same).

This module owns the public reference entries (:func:`loss`, :func:`grad`,
:func:`loss_and_grad`, :func:`loss_grad_error`), the evaluation at one precision and the
self-check; the pieces live beside it: the kernels as mpmath callables
(:mod:`symkde.reference.kernels`), the validated problem and its model at the working precision
(:mod:`symkde.reference.problem`) and the panels and tanh-sinh quadrature
(:mod:`symkde.reference.quadrature`).  Imports mpmath, SymPy's kernel table, ``symkde.errors``
and those modules; never the numeric layer.

>>> import mpmath
>>> from symkde import reference
>>> mpmath.nstr(reference.loss([0.0], [0.5], 0.0, 1.0, dps=20), 15)  # log 2 + 1/4
'0.943147180559945'
>>> reference.grad([0.0, float("-inf")], [0.5, 3.0], 0.0, 1.0, dps=20)  # one live point
[mpf('0.0'), mpf('0.0')]
>>> reference.loss([0.0], [5.0], 0.0, 1.0, kernel="boxcar", dps=20)  # support misses [a, b]
mpf('+inf')
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mpmath

from symkde.errors import UncoveredTargetError
from symkde.reference.problem import _guard_digits, _Model, _Problem, _validate
from symkde.reference.quadrature import (
    ReferenceAccuracyError,
    _breakpoints,
    _dominance_splits,
    _gaps,
    _integrate,
)
from symkde.symbolic.kernels import KERNELS

__all__ = ["ReferenceAccuracyError", "grad", "loss", "loss_and_grad", "loss_grad_error"]

mp = mpmath.mp
Real = Any  # an mpmath.mpf


#: Extra digits of the self-check run.
CHECK_EXTRA_DPS = 15


#: The promise: results are correct to ``dps - CLAIM_MARGIN_DPS`` digits.
CLAIM_MARGIN_DPS = 5


# --------------------------------------------------------------------------- evaluation


@dataclass
class _Result:
    loss: Real
    grad: list[Real] | None
    gap: tuple[Real, Real] | None = None


def _assemble(model: _Model, totals: list[Real], want_grad: bool) -> _Result:
    """``L = -Q[log p] / Q[1]``, ``dL/dz_i = S_i - Q[R_i] / Q[1]`` (masked entries exactly 0)."""
    measure = totals[0]
    value = -totals[1] / measure
    if not want_grad:
        return _Result(value, None)
    grads = [mp.zero] * len(model.problem.z)
    for k, j in enumerate(model.index):
        grads[j] = mp.exp(model.log_weights[k]) - totals[2 + k] / measure
    return _Result(value, grads)


def _evaluate(problem: _Problem, working_dps: int, want_grad: bool, target_dps: int) -> _Result:
    """Loss (and gradient) at ``working_dps`` digits, quadrature accurate to ``target_dps``."""
    with mp.workdps(working_dps):
        model = _Model(problem)
        gaps = _gaps(problem, model)
        f = model.integrand(want_grad)
        width = 2 + (len(model.index) if want_grad else 0)
        if problem.method == "bins":
            count = problem.bins
            assert count is not None
            spacing = (model.b - model.a) / count
            rows = []
            for m in range(1, count + 1):
                t = model.a + (m - mp.mpf(0.5)) * spacing
                row = f(t)
                if row is None:
                    gap = next(((lo, hi) for lo, hi in gaps if lo <= t <= hi), (t, t))
                    return _Result(mp.inf, None, gap)
                rows.append(row)
            totals = [mp.fsum(column) for column in zip(*rows, strict=True)]
            return _assemble(model, totals, want_grad)
        if gaps:
            return _Result(mp.inf, None, gaps[0])
        edges = _breakpoints(problem, model)
        if not KERNELS[problem.kernel].compact:
            refined = [edges[0]]
            for lo, hi in itertools.pairwise(edges):
                refined.extend(_dominance_splits(model, lo, hi))
                refined.append(hi)
            edges = refined
        tol = mp.mpf(10) ** -(target_dps + 3)
        panels = [_integrate(lo, hi, f, width, tol) for lo, hi in itertools.pairwise(edges)]
        totals = [mp.fsum(column) for column in zip(*panels, strict=True)]
        return _assemble(model, totals, want_grad)


def _run(problem: _Problem, dps: int, want_grad: bool, target_dps: int | None = None) -> _Result:
    target = dps if target_dps is None else target_dps
    return _evaluate(problem, dps + _guard_digits(problem), want_grad, target)


def _uncovered(gap: tuple[Real, Real]) -> UncoveredTargetError:
    return UncoveredTargetError((float(gap[0]), float(gap[1])))


def _checked(problem: _Problem, dps: int, want_grad: bool, check: bool) -> tuple[_Result, Real]:
    """The result rounded to ``dps`` digits and its error estimate (self-checked)."""
    high_dps = dps + CHECK_EXTRA_DPS if check else dps
    # The check run works at dps + 15 digits; its quadrature aims at dps + 8, which is
    # already 1e-13 below the claim and a different tanh-sinh stopping level than the run
    # at dps (so a misjudged convergence shows up as a difference).
    high = _run(problem, high_dps, want_grad, dps + 8 if check else dps)
    if high.gap is not None:
        return high, mp.zero
    if not check:
        with mp.workdps(dps):
            grads = None if high.grad is None else [+g for g in high.grad]
            return _Result(+high.loss, grads), mp.mpf(10) ** -(dps - CLAIM_MARGIN_DPS)
    low = _run(problem, dps, want_grad)
    with mp.workdps(high_dps):
        error = abs(low.loss - high.loss) / max(1, abs(high.loss))
        if want_grad:
            assert low.grad is not None and high.grad is not None
            error = max([error] + [abs(p - q) for p, q in zip(low.grad, high.grad, strict=True)])
        error += mp.mpf(10) ** -dps  # rounding the returned values to dps digits
        if not error <= mp.mpf(10) ** -(dps - CLAIM_MARGIN_DPS):
            raise ReferenceAccuracyError(
                f"self-check failed: results at {dps} and {high_dps} digits differ by "
                f"{mp.nstr(error, 3)} > 1e-{dps - CLAIM_MARGIN_DPS}"
            )
    with mp.workdps(dps):
        grads = None if high.grad is None else [+g for g in high.grad]
        return _Result(+high.loss, grads), +error


# --------------------------------------------------------------------------- public API


def _entry(
    want_grad: bool,
    z: Sequence[float],
    x: Sequence[float],
    a: float,
    b: float,
    kernel: str,
    bandwidth: float,
    circular: bool,
    method: str,
    bins: int | None,
    dps: int,
    check: bool,
) -> tuple[Real, list[Real] | None, Real]:
    """The one body of the public functions: ``(loss, grad or None, error estimate)``.

    Validates, evaluates at ``dps`` digits (self-checked at ``dps + 15`` with ``check``) and
    reports a target the kernels leave uncovered: the loss alone is ``inf`` there; with the
    gradient it raises :class:`~symkde.errors.UncoveredTargetError`.
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
    result, error = _checked(problem, dps, want_grad, check)
    if result.gap is not None:
        if want_grad:
            raise _uncovered(result.gap)
        with mp.workdps(dps):
            return mp.inf, None, error
    return result.loss, result.grad, error


def loss_grad_error(
    z: Sequence[float],
    x: Sequence[float],
    a: float,
    b: float,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1,
    circular: bool = False,
    method: str = "integral",
    bins: int | None = None,
    dps: int = 50,
    check: bool = True,
) -> tuple[Real, list[Real], Real]:
    """Loss, gradient and an error estimate from computing at ``dps`` and ``dps + 15`` digits.

    The error estimate bounds the loss error relative to ``max(1, |L|)`` and every gradient
    entry's absolute error; :class:`ReferenceAccuracyError` if it exceeds
    ``10**-(dps - 5)``.  With ``check=False`` only one evaluation is made and the estimate is
    the claim ``10**-(dps - 5)`` itself.

    >>> L, g, err = loss_grad_error([0.0, 1.0], [0.25, 0.75], 0.0, 1.0, dps=20)
    >>> abs(sum(g)) < 1e-19, err < 1e-15
    (True, True)
    """
    value, gradient, error = _entry(
        True, z, x, a, b, kernel, bandwidth, circular, method, bins, dps, check
    )
    assert gradient is not None
    return value, gradient, error


def loss_and_grad(
    z: Sequence[float],
    x: Sequence[float],
    a: float,
    b: float,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1,
    circular: bool = False,
    method: str = "integral",
    bins: int | None = None,
    dps: int = 50,
    check: bool = True,
) -> tuple[Real, list[Real]]:
    """``(loss, grad)`` at ``dps`` digits; ``UncoveredTargetError`` if ``p = 0`` on part of [a, b].

    >>> L, g = loss_and_grad([0.0], [0.5], 0.0, 1.0, dps=20)
    >>> g
    [mpf('0.0')]
    """
    value, gradient, _ = _entry(
        True, z, x, a, b, kernel, bandwidth, circular, method, bins, dps, check
    )
    assert gradient is not None
    return value, gradient


def loss(
    z: Sequence[float],
    x: Sequence[float],
    a: float,
    b: float,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1,
    circular: bool = False,
    method: str = "integral",
    bins: int | None = None,
    dps: int = 50,
    check: bool = True,
) -> Real:
    """The loss ``-(1/(b-a)) int_a^b log p`` (or midpoint sum) at ``dps`` digits; inf if uncovered.

    >>> import mpmath
    >>> mpmath.nstr(loss([0.0], [0.0], -1.0, 1.0, kernel="boxcar", dps=20), 12)  # log(2 h)
    '0.69314718056'
    """
    return _entry(False, z, x, a, b, kernel, bandwidth, circular, method, bins, dps, check)[0]


def grad(
    z: Sequence[float],
    x: Sequence[float],
    a: float,
    b: float,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1,
    circular: bool = False,
    method: str = "integral",
    bins: int | None = None,
    dps: int = 50,
    check: bool = True,
) -> list[Real]:
    """``dL/dz`` at ``dps`` digits (masked points exactly 0); ``UncoveredTargetError`` if uncovered.

    >>> g = grad([0.0, 0.0], [0.0, 1.0], 0.0, 1.0, dps=20)  # symmetric: both entries 0
    >>> [abs(v) < 1e-18 for v in g]
    [True, True]
    """
    gradient = _entry(True, z, x, a, b, kernel, bandwidth, circular, method, bins, dps, check)[1]
    assert gradient is not None
    return gradient
