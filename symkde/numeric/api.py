"""The numeric API: loss and gradient of the softmax-KDE cross-entropy in float64.

Everything here runs on NumPy and the generated kernels (``symkde/numeric/_generated``); importing
it never imports SymPy.  The formulas are the theorems of ``symkde.theorems``
(``derivations/gradient.py`` walks through them):

* ``log p(t) = LogSumExp_j(log S_j + log K_h(t - x_j))`` with ``log S = log_softmax(z)``;
* ``L = -mean_t log p(t)`` over the target (midpoint bins, Gauss-Legendre nodes or a closed
  form), and ``dL/dz_i = S_i - mean_t R_i(t)`` with the responsibilities
  ``R_i(t) = S_i K_h(t - x_i) / p(t) = softmax_i(log S + log K_h(t - x))`` (theorem
  ``gradient``).

All of it is evaluated in log space.  A node ``t`` whose dominant term has a large
``|log K|`` (points hundreds of bandwidths away) is recomputed from the generated
*log-kernel ratios* ``log K(t - x_j) - log K(t - x_ref)``, which carry no cancellation, so
far-away points neither underflow nor lose digits.

This module owns the public entries and the choice of method (:func:`_compute`); the methods
live beside it: the mixture and its blocks of log-densities (:mod:`symkde.numeric.mixture`),
circle images (:mod:`symkde.numeric.images`), coverage of compact kernels
(:mod:`symkde.numeric.coverage`), midpoint bins (:mod:`symkde.numeric.bins`), the adaptive
quadrature (:mod:`symkde.numeric.quadrature`) and the closed forms (:mod:`symkde.numeric.exact`).
It imports those, the batch front and validation; never SymPy or mpmath.

Before anything else, positions are measured from ``a`` (on the circle: ``x - a`` taken
exactly, then whole turns off, :mod:`symkde.numeric.angles`), and whether compact kernels cover the
target is decided exactly on the caller's positions (:func:`symkde.numeric.coverage._uncovered`).

>>> import numpy as np
>>> round(loss([0.0, 0.0], [0.0, 1.0], 0.0, 1.0), 12)  # mpmath: 1.1524753240992...
1.152475324099
>>> grad([0.0, 0.0], [0.0, 1.0], 0.0, 1.0).round(12)
array([0., 0.])
>>> loss([0.0], [5.0], 0.0, 1.0, kernel="boxcar")
inf
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symkde.errors import UncoveredTargetError
from symkde.numeric._generated.log_kernels import (
    KERNEL_INFO,
)
from symkde.numeric.angles import difference_turned, minus_turns, turns_to
from symkde.numeric.batch import Batch, run
from symkde.numeric.bins import _bins
from symkde.numeric.coverage import _if_uncovered
from symkde.numeric.mixture import _Mixture, _mixture
from symkde.numeric.quadrature import _quadrature
from symkde.numeric.validate import Problem

__all__ = ["grad", "loss", "loss_and_grad"]

FloatArray = NDArray[np.float64]


def _exact(mix: _Mixture, problem: Problem, with_grad: bool) -> tuple[float, FloatArray | None]:
    from symkde.numeric.exact import exact_loss_grad

    compact = bool(KERNEL_INFO[mix.kernel]["compact"])  # covered: _compute has checked
    value, mean_grad = exact_loss_grad(
        mix.kernel,
        mix.log_w,
        mix.x,
        problem.a,
        problem.b,
        mix.h,
        with_grad=with_grad,
        circular=mix.circular,
        covered=compact,
    )
    if mean_grad is None:
        return value, None
    return value, mix.scatter(mean_grad)


def _has_exact(kernel: str, circular: bool) -> bool:
    try:
        from symkde.numeric.exact import EXACT_KERNELS
    except ImportError:  # pragma: no cover - the closed forms ship with the package
        return False
    return kernel in EXACT_KERNELS  # on the line and on the circle


def _turned(problem: Problem) -> Problem:
    """The circle problem with every angle within a few turns of 0.

    The target is turned by ``2 pi K`` (``K`` nearest ``a / 2 pi``), each point by its own
    number of turns to within ``pi`` of the target's middle; the loss and gradient do not
    change.  Done to an ulp of the results (:mod:`symkde.numeric.angles`), never with ``k fl(2
    pi)``,
    which is off by ``k * 2.4e-16``: the quadrature at ``a = 1e4`` was off by 2e-12, at
    ``1e16`` by 0.3.  Angles that need no turn are left exactly as they are.
    """
    (a,), (turns,) = turns_to(np.array([problem.a]))
    # a valid arc has ulp(a) <= 2 pi: |a| < 6e16, so the turn count is an exact float
    b = problem.b if turns == 0.0 else float(minus_turns(np.array([problem.b]), turns)[0])
    x = turns_to(problem.x, 0.5 * (a + b))[0]  # any number of turns, one rounding
    return replace(problem, a=float(a), b=b, x=x)


#: The closed forms of boxcar and triangle sum weights in log space per segment and add the
#: point's own log-weight back: with log-weights ``S`` apart that costs ``ulp(S)`` in the
#: exponent (1.7e-13 on the gradient at ``S = 5000``; at ``z = (0, 1e308)`` the loss came out
#: inf and the gradient 0.5 off, found by the fuzz test).  Beyond this spread the quadrature,
#: which subtracts the largest logit at every node, answers ``method="exact"`` too.
_EXACT_COMPACT_SPREAD = 1e4


def _shifted(problem: Problem) -> Problem:
    """The line problem moved by ``-a`` (``a = 0``); the circle's is ``difference_turned``.

    Every position is then measured from the target, to an ulp of itself: at ``a = 2**20``,
    nodes and kinks in absolute coordinates are off by an ulp of ``2**20`` (1.2e-10), which
    moved the quadrature of a boxcar by 1.6e-10 and the binned Gaussian by 1.7e-11.
    """
    a = problem.a
    if a == 0.0:
        return problem
    return replace(problem, a=0.0, b=problem.b - a, x=problem.x - a)


def _compiled_rows(batch: Batch, outputs: tuple[FloatArray, ...]) -> NDArray[np.bool_]:
    """The batch front's engine hook (:func:`symkde.numeric.batch.apply_rows`): every row
    its engine can do in one call (:func:`symkde.numeric.row_dispatch.batch_rows`); returns
    the rows left to :func:`_compute`."""
    from symkde.numeric.row_dispatch import batch_rows

    return batch_rows(batch, outputs)


#: Kernels whose ``method="auto"`` rows go to :mod:`symkde.numeric.smooth` (fast integrals;
#: that module hands rows outside its range back to :func:`_quadrature`).
_SMOOTH_KERNELS = frozenset({"gaussian", "cauchy", "vonmises"})


def _compute(problem: Problem, with_grad: bool) -> tuple[float, FloatArray | None]:
    method = problem.method
    from symkde.numeric.row_dispatch import single_row

    done = single_row(problem, with_grad)  # the B = 1 case of the batch's engine
    if done is not None:
        return done
    if method == "auto":
        method = "exact" if _has_exact(problem.kernel, problem.circular) else "quadrature"
    if method == "exact" and not _has_exact(problem.kernel, problem.circular):
        raise ValueError(
            f"method: 'exact' needs a kernel with a closed form (laplace, boxcar, triangle); "
            f"got kernel={problem.kernel!r}, use 'quadrature' or 'auto'"
        )
    if (
        method == "exact"
        and KERNEL_INFO[problem.kernel]["compact"]
        and _mixture(problem).log_w_spread > _EXACT_COMPACT_SPREAD
    ):
        method = "quadrature"  # see _EXACT_COMPACT_SPREAD
    # Coverage is judged on the caller's positions (on the circle: turned by whole turns,
    # which leaves every angle that needs none as it is); everything else is computed from
    # positions measured from a.
    if problem.circular:
        judged = _turned(problem)
        moved = replace(
            problem,
            a=0.0,
            b=problem.b - problem.a,
            x=difference_turned(problem.x, problem.a, 0.5 * (problem.b - problem.a)),
        )
    else:
        judged = problem
        moved = _shifted(problem)

    def in_callers_coordinates(interval: tuple[float, float], origin: float) -> tuple[float, float]:
        if origin == problem.a:
            return interval
        lo, hi = (min(max(v + (problem.a - origin), problem.a), problem.b) for v in interval)
        return lo, hi

    if KERNEL_INFO[problem.kernel]["compact"] and method != "bins":
        # Coverage is decided before the move (_if_uncovered); after it, a segment the move
        # leaves uncovered is a rounding artefact a few ulps wide.
        try:
            uncovered = _if_uncovered(_mixture(judged), judged.a, judged.b, with_grad)
        except UncoveredTargetError as error:
            if judged.a == problem.a:
                raise
            raise UncoveredTargetError(in_callers_coordinates(error.interval, judged.a)) from None
        if uncovered is not None:
            return uncovered
    try:
        mix = _mixture(moved)
        if method == "exact":
            return _exact(mix, moved, with_grad)
        if method == "bins":
            return _bins(mix, moved, with_grad)
        if problem.method == "auto" and problem.kernel in _SMOOTH_KERNELS:  # issue 18 hook
            from symkde.numeric.smooth import loss_and_grad_smooth_row

            return loss_and_grad_smooth_row(moved, with_grad)
        return _quadrature(mix, moved, with_grad)
    except UncoveredTargetError as error:
        if moved.a == problem.a:
            raise
        raise UncoveredTargetError(in_callers_coordinates(error.interval, moved.a)) from None


def _entry(
    with_grad: bool,
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    kernel: str,
    bandwidth: Any,
    circular: bool,
    method: str,
    bins: int | None,
) -> tuple[Any, Any]:
    """The one body of :func:`loss`, :func:`grad` and :func:`loss_and_grad`: the batch front
    (:func:`symkde.numeric.batch.run`) on :func:`_compute`, every exact Laplace row of a batch
    going to the compiled row engine first (:func:`_compiled_rows`)."""
    return run(
        _compute,
        z,
        x,
        a,
        b,
        with_grad=with_grad,
        compiled=_compiled_rows,
        kernel=kernel,
        bandwidth=bandwidth,
        circular=circular,
        method=method,
        bins=bins,
    )


def loss(
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1.0,
    circular: bool = False,
    method: str = "auto",
    bins: int | None = None,
) -> float:
    """Cross-entropy between the uniform target on ``[a, b]`` and a softmax-weighted KDE.

    ``L(z) = -(1/(b - a)) * integral_a^b log p(t) dt`` with ``p(t) = sum_j S_j K_h(t - x_j)``
    and ``S = softmax(z)``; ``method="bins"`` replaces the integral by the midpoint rule
    ``L_M = -(1/M) sum_m log p(t_m)``, ``t_m = a + (m - 1/2)(b - a)/M``.

    Parameters
    ----------
    z : array_like, shape (n,) or (..., n)
        Logits of the points, any real dtype (computed in float64). ``-inf`` masks a point
        (weight 0); ``+inf`` and NaN are errors, and so is a problem whose logits are all
        ``-inf``.
    x : array_like, shape (n,) or broadcastable to ``z``
        Positions of the kernel centres. With ``circular=True``, angles in radians (any real
        value: ``x`` and ``x + 2 pi`` are the same point).
    a, b : float or array_like, broadcastable to ``z.shape[:-1]``
        The target interval, ``a < b``. On the circle, the arc from ``a`` counter-clockwise to
        ``b``: any real ``a`` and ``0 < b - a <= 2 pi`` (up to 4 ulps above ``2 pi`` counts as
        the full circle). An arc crossing +-pi is written with ``b > pi``: from 2.8 through pi
        to -2.68 is ``a=2.8, b=-2.68 + 2 pi``.
    kernel : {"laplace", "gaussian", "boxcar", "triangle", "cauchy", "vonmises"}, optional
        The normalised kernel ``K_h`` (default ``"laplace"``), ``h = bandwidth``:
        ``laplace`` ``exp(-|u|/h) / (2h)``; ``gaussian`` ``exp(-u^2/(2h^2)) / (h sqrt(2 pi))``
        (h is the standard deviation); ``boxcar`` ``1/(2h)`` for ``|u| <= h``, else 0;
        ``triangle`` ``(1 - |u|/h) / h`` for ``|u| <= h``, else 0; ``cauchy``
        ``h / (pi (u^2 + h^2))``; ``vonmises`` ``exp(kappa cos u) / (2 pi I0(kappa))`` with
        ``kappa = 1/h^2``, on the circle only. With ``circular=True`` the others are wrapped,
        ``sum_k K_h(u + 2 pi k)``.
    bandwidth : float or array_like, broadcastable to ``z.shape[:-1]``, optional
        ``h > 0`` in the units of ``x`` (radians on the circle); default 1.0.
    circular : bool, optional
        Positions are angles, the kernel is wrapped and the target is an arc (default False).
    method : {"auto", "exact", "quadrature", "bins"}, optional
        ``"auto"`` (default): ``"exact"`` where a closed form exists (laplace, boxcar,
        triangle, on the line and on the circle), else ``"quadrature"``. See Notes.
    bins : int, optional
        The number of midpoint nodes ``M >= 1``, required by ``method="bins"`` and an error
        with any other method.

    Returns
    -------
    float
        The loss (an array of shape ``z.shape[:-1]`` for a batch). ``inf`` when a compact
        kernel (boxcar, triangle) leaves part of the target uncovered, where ``p(t) = 0``.

    Raises
    ------
    ValueError
        With a message naming the argument (and, for a batch, the row): ``z`` and ``x`` of
        different shapes or ``n == 0``; non-finite ``x``, ``a``, ``b`` or ``bandwidth``; NaN,
        ``+inf`` or only ``-inf`` in ``z``; ``a >= b``; ``bandwidth <= 0``; an unknown kernel or
        method; ``"vonmises"`` without ``circular``; an arc longer than ``2 pi``;
        ``method="exact"`` for a kernel without a closed form; ``bins`` missing or invalid for
        ``"bins"`` or given for another method; values outside float64 headroom
        (``|x|, |a|, |b| <= 1e50``, ``1e-50 <= bandwidth <= 1e50``, ``b - a >= 1e-50``,
        ``bins <= 2**26``), where an answer could be silently wrong. An argument of the wrong
        type (a string, complex numbers) raises an error that is both a ``ValueError`` and a
        ``TypeError``.

    See Also
    --------
    grad, loss_and_grad
    symkde.reference.loss : the same quantity in mpmath, at any precision.

    Notes
    -----
    Methods and their cost, for ``n`` points:

    - ``"exact"``: a closed form on each segment between consecutive kinks (the points and
      their support ends), ``O(n log n)``: a sort, then running sums in log space (for the
      Laplace kernel on the line, compiled loops). For boxcar and triangle with log-weights
      more than 1e4 apart the closed form would lose ``ulp(spread)``, and the quadrature
      answers instead.
    - ``"quadrature"``: adaptive 16-node Gauss-Legendre, each panel checked against its two
      halves, panels split at every kink of the integrand and where the dominant point
      changes; about ``16 n`` kernel evaluations per panel, the panels growing with the
      number of points near the target.
    - ``"bins"``: ``n M`` kernel evaluations in log space. It is the binned loss, not the
      integral: the binning error falls like ``M^-2`` only once ``(b - a)/M`` is well below
      ``h`` (the Laplace kernel has a kink at every point).

    Accuracy: for ``"auto"``, ``"exact"`` and ``"quadrature"`` the loss is within
    ``1e-12 * max(1, |L|)`` of the true value; ``"bins"`` is within the same bound of the exact
    midpoint sum. Both are measured against :func:`symkde.reference.loss` at 30-50 digits
    (worst seen on the test grid: about 1.5 eps), including points thousands of bandwidths
    from the target, where a linear-space KDE underflows to 0: everything is computed in log
    space, and positions are measured from ``a`` before anything else.

    Examples
    --------
    >>> import numpy as np, symkde
    >>> z = np.array([0.3, -1.0, 2.0]); x = np.array([0.1, 2.5, -0.7])
    >>> round(symkde.loss(z, x, 0.0, 1.0, bandwidth=0.5), 12)  # exact Laplace closed form
    1.963981645363
    >>> round(symkde.loss(z, x, 0.0, 1.0, bandwidth=0.5, method="bins", bins=1024), 12)
    1.963981521826
    >>> round(symkde.loss(z, x, 0.0, 1.0, kernel="gaussian", bandwidth=0.5), 12)  # quadrature
    2.180917527452

    Angles, with an arc that crosses +-pi (from 2.8 rad to 3.6 - 2 pi = -2.68 rad):

    >>> round(symkde.loss(z, x, 2.8, 3.6, kernel="vonmises", bandwidth=0.3, circular=True), 12)
    5.773379980232

    A boxcar on ``[4, 6]`` leaves ``[0, 1]`` uncovered; points 3000 bandwidths away stay finite:

    >>> symkde.loss([0.0], [5.0], 0.0, 1.0, kernel="boxcar")
    inf
    >>> round(symkde.loss([0.0, 0.0], [-3000.0, 3000.0], 0.0, 1.0), 9)
    3000.540567087
    """
    value, _ = _entry(False, z, x, a, b, kernel, bandwidth, circular, method, bins)
    return value  # type: ignore[no-any-return]


def grad(
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1.0,
    circular: bool = False,
    method: str = "auto",
    bins: int | None = None,
) -> FloatArray:
    """Gradient of :func:`loss` with respect to the logits.

    ``dL/dz_i = S_i - (1/(b - a)) * integral_a^b R_i(t) dt`` with the responsibilities
    ``R_i(t) = S_i K_h(t - x_i) / p(t)`` (for ``method="bins"``: the exact gradient of the
    binned loss, the mean of ``R_i`` over the nodes).

    Parameters
    ----------
    z, x, a, b, kernel, bandwidth, circular, method, bins
        As in :func:`loss`.

    Returns
    -------
    numpy.ndarray
        ``dL/dz``, float64, of ``z``'s shape (``(n,)``, or ``(..., n)`` for a batch). Each
        component lies in ``[S_i - 1, S_i]``, the components sum to 0, and a masked
        (``-inf``) logit gets 0.

    Raises
    ------
    UncoveredTargetError
        When the loss is infinite (a compact kernel leaves part of ``[a, b]`` uncovered); a
        ``ValueError`` whose ``interval`` is that sub-interval.
    ValueError
        For bad arguments, as :func:`loss`.

    See Also
    --------
    loss_and_grad : the loss and this gradient for the price of the gradient.
    symkde.reference.grad : the same gradient in mpmath, at any precision.

    Notes
    -----
    Every component is within ``1e-12`` (absolute) of the true value for ``"auto"``,
    ``"exact"`` and ``"quadrature"``, and of the exact gradient of the midpoint sum for
    ``"bins"``, measured against :func:`symkde.reference.grad` at 30-50 digits (worst seen on
    the test grid: about 1.4 eps). The cost is that of :func:`loss` plus the ``n``
    responsibilities integrated alongside; :func:`loss_and_grad` gives both for that price.

    Examples
    --------
    >>> import numpy as np, symkde
    >>> z = np.array([0.3, -1.0, 2.0]); x = np.array([0.1, 2.5, -0.7])
    >>> symkde.grad(z, x, 0.0, 1.0, bandwidth=0.5).round(6)
    array([-0.317416,  0.031004,  0.286412])
    >>> symkde.grad([0.3, -np.inf, 2.0], x, 0.0, 1.0, bandwidth=0.5).round(6)  # masked point
    array([-0.315633,  0.      ,  0.315633])
    >>> symkde.grad([0.0], [5.0], 0.0, 1.0, kernel="boxcar")
    Traceback (most recent call last):
    symkde.errors.UncoveredTargetError: a, b: the density is zero on [0.0, 1.0] inside the ...
    """
    gradient = _entry(True, z, x, a, b, kernel, bandwidth, circular, method, bins)[1]
    assert gradient is not None
    return gradient  # type: ignore[no-any-return]


def loss_and_grad(
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1.0,
    circular: bool = False,
    method: str = "auto",
    bins: int | None = None,
) -> tuple[float, FloatArray]:
    """:func:`loss` and :func:`grad` together, in one pass.

    Parameters
    ----------
    z, x, a, b, kernel, bandwidth, circular, method, bins
        The problem, exactly as for :func:`loss` and :func:`grad`.

    Returns
    -------
    loss : float
        As :func:`loss` (an array of the batch shape for a batch).
    grad : numpy.ndarray
        As :func:`grad`, of ``z``'s shape.

    Raises
    ------
    UncoveredTargetError, ValueError
        As :func:`grad`: when the loss is infinite, and for bad arguments.

    See Also
    --------
    loss, grad

    Notes
    -----
    The loss and the responsibilities come from the same pass over the points, so this costs
    about as much as :func:`grad` alone. Accuracy as :func:`loss` and :func:`grad`.

    Examples
    --------
    >>> import symkde
    >>> L, g = symkde.loss_and_grad([0.3, -1.0, 2.0], [0.1, 2.5, -0.7], 0.0, 1.0,
    ...                             kernel="triangle", bandwidth=2.0)
    >>> round(L, 12), g.round(6)
    (1.552896020886, array([-0.128926,  0.031395,  0.097532]))
    """
    value, gradient = _entry(True, z, x, a, b, kernel, bandwidth, circular, method, bins)
    assert gradient is not None
    return value, gradient
