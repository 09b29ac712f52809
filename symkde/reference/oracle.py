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
import math
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import mpmath
import sympy as sp

from symkde.errors import UncoveredTargetError
from symkde.symbolic.kernels import KERNELS
from symkde.symbolic.kernels import h as H_SYM
from symkde.symbolic.kernels import u as U_SYM
from symkde.symbolic.nodes import LogI0e

__all__ = [
    "ReferenceAccuracyError",
    "grad",
    "loss",
    "loss_and_grad",
    "loss_grad_error",
    "wrapped_closed_form",
    "wrapped_log_kernel",
]

mp = mpmath.mp

METHODS = ("integral", "bins")
#: Extra digits of the self-check run.
CHECK_EXTRA_DPS = 15
#: The promise: results are correct to ``dps - CLAIM_MARGIN_DPS`` digits.
CLAIM_MARGIN_DPS = 5
#: Guard digits always added to ``dps`` (more are added for large logs, see ``_guard_digits``).
BASE_GUARD_DPS = 10
#: Tanh-sinh levels (step ``2**-level``) tried on a panel before it is halved.
MAX_LEVEL = 10
#: How many times a panel may be halved before the quadrature gives up (a panel that keeps
#: failing only because it contains a jump is halved further, down to the tolerance).
MAX_SPLIT_DEPTH = 24
_TINY_PANEL_FACTOR = 10**20

#: The reduced angle ``r = u mod 2 pi`` in ``[0, 2 pi)`` of the wrapped Laplace closed form.
R_SYM = sp.Symbol("r", nonnegative=True)

Real = Any  # an mpmath.mpf


class ReferenceAccuracyError(ArithmeticError):
    """The reference could not certify its own digits (self-check or quadrature failed)."""


# --------------------------------------------------------------------------- kernels


def _compile(expr: sp.Expr, var: sp.Symbol) -> Callable[[Real], Callable[[Real], Real]]:
    """Turn ``expr(var, h)`` into ``bind(h) -> (lambda value: expr)`` for mpmath.

    Subexpressions that do not involve ``var`` (``log(h)``, ``1/h``, ``log(I0(1/h**2))``, ...)
    are hoisted out and evaluated once per :func:`bind`, so a call per node costs only the
    arithmetic that depends on the node.
    """
    hoisted: list[sp.Expr] = []

    def hoist(e: sp.Expr) -> sp.Expr:
        if not e.has(var):
            if not isinstance(e, sp.Expr) or e.is_Number or e.is_Atom:
                return e
            hoisted.append(e)
            return sp.Symbol(f"_hoisted{len(hoisted) - 1}", real=True)
        if e.is_Add or e.is_Mul:
            fixed = [arg for arg in e.args if not arg.has(var)]
            varying = [hoist(arg) for arg in e.args if arg.has(var)]
            if fixed:
                varying.append(hoist(e.func(*fixed)))
            return e.func(*varying)
        if e.args:
            return e.func(*[hoist(arg) for arg in e.args])
        return e

    body = hoist(expr)
    symbols = [sp.Symbol(f"_hoisted{k}", real=True) for k in range(len(hoisted))]
    main = sp.lambdify((var, H_SYM, *symbols), body, modules="mpmath")
    constants = sp.lambdify((H_SYM,), hoisted, modules="mpmath")

    def bind(bandwidth: Real) -> Callable[[Real], Real]:
        values = constants(bandwidth)

        def evaluate(value: Real) -> Real:
            return main(value, bandwidth, *values)

        return evaluate

    return bind


@cache
def _line_log_kernel(name: str) -> Callable[[Real], Callable[[Real], Real]]:
    """``log K_h(u)`` of ``KERNELS[name]`` for mpmath (``LogI0e`` rewritten to ``besseli``)."""
    expr = KERNELS[name].log_density
    expr = expr.replace(lambda e: isinstance(e, LogI0e), lambda e: e.rewrite("naive"))
    return _compile(expr, U_SYM)


def _geometric_series(term: sp.Expr, k: sp.Symbol) -> sp.Expr:
    """``sum_{k >= 0} term(k)`` for a geometric ``term``, summed by SymPy.

    The ratio ``term(k + 1) / term(k)`` must be free of ``k`` and of modulus < 1 (both
    checked symbolically).
    """
    ratio = sp.simplify(term.subs(k, k + 1) / term)
    if ratio.has(k):
        raise ValueError(f"not a geometric series in {k}: ratio {ratio}")
    if sp.simplify(sp.log(sp.Abs(ratio))).is_negative is not True:
        raise ValueError(f"geometric series may diverge: |ratio| = {sp.Abs(ratio)}")
    rho = sp.Symbol("rho", positive=True)
    summed = sp.summation(rho**k, (k, 0, sp.oo))  # Piecewise((1/(1 - rho), rho < 1), ...)
    closed = summed.args[0][0] if isinstance(summed, sp.Piecewise) else summed
    return term.subs(k, 0) * closed.subs(rho, ratio)


@cache
def wrapped_closed_form(name: str) -> tuple[sp.Expr, sp.Symbol]:
    """The wrapped density ``sum_k K_h(u + 2 pi k)`` in closed form, derived by SymPy.

    Returns ``(expr, var)``: for ``"laplace"`` ``var`` is the reduced angle
    ``r = u mod 2 pi`` in ``[0, 2 pi)`` (two geometric image sums, ``k >= 0`` to the right
    and ``k >= 1`` to the left); for ``"cauchy"`` it is ``u`` (Poisson summation: the Fourier
    coefficients ``(1/2 pi) int K(u) exp(-i m u) du`` are integrated by SymPy and the
    resulting geometric series summed).

    >>> expr, var = wrapped_closed_form("laplace")
    >>> var
    r
    >>> sorted(str(s) for s in expr.free_symbols)
    ['h', 'r']
    """
    k = sp.Symbol("k", integer=True, nonnegative=True)
    if name == "laplace":
        formula = KERNELS["laplace"].formula
        q = sp.Symbol("q", positive=True)  # q = 2 pi - r: distance to the left image
        right = _geometric_series(sp.expand(formula(R_SYM + 2 * sp.pi * k, H_SYM)), k)
        left = _geometric_series(sp.expand(formula(-(q + 2 * sp.pi * k), H_SYM)), k)
        return right + left.subs(q, 2 * sp.pi - R_SYM), R_SYM
    if name == "cauchy":
        formula = KERNELS["cauchy"].formula
        m = sp.Symbol("m", integer=True, positive=True)
        mean = sp.integrate(formula(U_SYM, H_SYM), (U_SYM, -sp.oo, sp.oo))
        # The density is even, so its m-th Fourier coefficient is the cosine transform.
        coefficient = sp.simplify(
            sp.integrate(formula(U_SYM, H_SYM) * sp.cos(m * U_SYM), (U_SYM, -sp.oo, sp.oo))
        )
        series = [
            _geometric_series(coefficient.subs(m, k + 1) * sp.exp(sign * sp.I * (k + 1) * U_SYM), k)
            for sign in (1, -1)
        ]
        total = (mean + series[0] + series[1]) / (2 * sp.pi)
        return sp.simplify(sp.expand_complex(total)), U_SYM
    raise ValueError(f"kernel: no closed wrapped form for {name!r}")


@cache
def _wrapped_closed_log_kernel(name: str) -> tuple[Callable[[Real], Callable[[Real], Real]], bool]:
    """``log`` of :func:`wrapped_closed_form`, as a log-sum-exp over its terms.

    Each term of the closed form (a sum of exponentials times constants for laplace) is
    logged and expanded by SymPy, so no exponential of a large argument is formed.
    """
    expr, var = wrapped_closed_form(name)
    logged = [sp.expand_log(sp.log(term), force=True) for term in sp.Add.make_args(expr)]
    binders = [_compile(term, var) for term in logged]

    def bind(bandwidth: Real) -> Callable[[Real], Real]:
        parts = [binder(bandwidth) for binder in binders]
        if len(parts) == 1:
            return parts[0]
        if len(parts) == 2:
            first, second = parts
            log1p, exp = mp.log1p, mp.exp

            def log_add_exp(value: Real) -> Real:
                big, small = first(value), second(value)
                if big < small:
                    big, small = small, big
                return big + log1p(exp(small - big))

            return log_add_exp
        return lambda value: _logsumexp([part(value) for part in parts])

    return bind, var == R_SYM


def _logsumexp(values: Iterable[Real]) -> Real:
    """``log sum exp(values)``; terms below ``2**-(prec + 10)`` of the largest are dropped."""
    finite = [v for v in values if v != mp.ninf]
    if not finite:
        return mp.ninf
    top = max(finite)
    cutoff = -(mp.prec + 10) * mp.ln2  # compared with v - top: top - cutoff may round to top
    shifted = [v - top for v in finite]
    return top + mp.log(mp.fsum(mp.exp(d) for d in shifted if d > cutoff))


def wrapped_log_kernel(
    name: str, bandwidth: Real, *, images: bool = False
) -> Callable[[Real], Real]:
    """``log sum_k K_h(u + 2 pi k)`` as an mpmath callable of ``u`` at the current precision.

    ``images=True`` forces the image sum (for laplace and gaussian: truncated where a
    geometric bound on the dropped tail, valid for log-concave kernels, falls below the
    working precision; for boxcar and triangle: the images that overlap), which is how the
    closed forms are checked.

    >>> import mpmath
    >>> with mpmath.workdps(30):
    ...     closed = wrapped_log_kernel("laplace", mpmath.mpf(2))(mpmath.mpf(1))
    ...     summed = wrapped_log_kernel("laplace", mpmath.mpf(2), images=True)(mpmath.mpf(1))
    >>> abs(closed - summed) < mpmath.mpf(10) ** -28
    True
    """
    kernel = KERNELS[name]
    two_pi = 2 * mp.pi
    if name == "vonmises":
        return _line_log_kernel(name)(bandwidth)
    if name in ("laplace", "cauchy") and not images:
        bind, reduced = _wrapped_closed_log_kernel(name)
        closed = bind(bandwidth)
        if not reduced:
            return closed
        return lambda value: closed(value - two_pi * mp.floor(value / two_pi))
    line = _line_log_kernel(name)(bandwidth)
    if kernel.compact:

        def compact_images(value: Real) -> Real:
            first = int(mp.ceil((-bandwidth - value) / two_pi))
            last = int(mp.floor((bandwidth - value) / two_pi))
            return _logsumexp(line(value + two_pi * k) for k in range(first, last + 1))

        return compact_images
    if name not in ("laplace", "gaussian"):
        raise ValueError(f"kernel: no rigorous image-sum tail bound for {name!r}")
    # Images k = -K..K of r in [-pi, pi); every dropped image lies at least D = 2 pi K + pi
    # away, and for a log-concave kernel the dropped terms on each side are bounded by the
    # geometric series K(D) * (1 + rho + rho**2 + ...), rho = K(D + 2 pi) / K(D).
    floor_term = line(mp.pi)  # the sum is at least the image nearest to r, >= K(pi)
    target = floor_term - (mp.prec + 20) * mp.ln2
    count = 0
    while True:
        reach = two_pi * count + mp.pi
        log_ratio = line(reach + two_pi) - line(reach)
        log_tail = mp.ln2 + line(reach) - mp.log(-mp.expm1(log_ratio))
        if log_tail < target:
            break
        count += 1

    def image_sum(value: Real) -> Real:
        centred = value - two_pi * mp.floor(value / two_pi + mp.mpf(0.5))
        return _logsumexp(line(centred + two_pi * k) for k in range(-count, count + 1))

    return image_sum


# --------------------------------------------------------------------------- inputs


def _scalar(value: Any, name: str) -> Real:
    """An exact mpmath number from a Python/NumPy real scalar (floats are exact in binary)."""
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected a real number, got {value!r}") from None
    if isinstance(value, mpmath.mpf):
        return value
    if isinstance(value, int):  # includes bool
        with mp.workprec(max(53, int(value).bit_length())):
            return mp.mpf(int(value))
    if isinstance(value, float):
        with mp.workprec(53):
            return mp.mpf(value)
    raise ValueError(f"{name}: expected a real number, got {type(value).__name__} {value!r}")


def _vector(values: Any, name: str) -> list[Real]:
    if hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"{name}: expected a 1-D sequence of reals, got {values!r}")
    items = list(values)
    if any(isinstance(item, (list, tuple)) for item in items):
        raise ValueError(f"{name}: expected a 1-D sequence of reals, got nested sequences")
    return [_scalar(item, name) for item in items]


@dataclass(frozen=True)
class _Problem:
    """Validated, exact inputs."""

    z: tuple[Real, ...]
    x: tuple[Real, ...]
    a: Real
    b: Real
    bandwidth: Real
    kernel: str
    circular: bool
    method: str
    bins: int | None
    full_circle: bool

    @property
    def active(self) -> list[int]:
        return [j for j, zj in enumerate(self.z) if zj != mp.ninf]


def _validate(
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    *,
    kernel: Any,
    bandwidth: Any,
    circular: Any,
    method: Any,
    bins: Any,
    dps: Any,
) -> tuple[_Problem, int]:
    if not isinstance(kernel, str) or kernel not in KERNELS:
        raise ValueError(f"kernel: expected one of {sorted(KERNELS)}, got {kernel!r}")
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method: expected one of {list(METHODS)}, got {method!r}")
    if circular not in (True, False):
        raise ValueError(f"circular: expected True or False, got {circular!r}")
    circular = bool(circular)
    if KERNELS[kernel].circular_only and not circular:
        raise ValueError(f"kernel: {kernel!r} is defined on the circle only; pass circular=True")
    if method == "bins":
        if bins is None or isinstance(bins, bool):
            raise ValueError(f"bins: method='bins' needs bins=M, an int >= 1, got {bins!r}")
        try:
            bins = operator.index(bins)
        except TypeError:
            raise ValueError(f"bins: expected an int >= 1, got {bins!r}") from None
        if bins < 1:
            raise ValueError(f"bins: expected an int >= 1, got {bins!r}")
    elif bins is not None:
        raise ValueError(f"bins: only method='bins' takes bins, got bins={bins!r}")
    try:
        dps = operator.index(dps)
    except TypeError:
        raise ValueError(f"dps: expected an int >= 15, got {dps!r}") from None
    if dps < 15:
        raise ValueError(f"dps: expected an int >= 15, got {dps!r}")

    zs, xs = _vector(z, "z"), _vector(x, "x")
    if len(zs) != len(xs):
        raise ValueError(f"z, x: shapes differ ({len(zs)},) vs ({len(xs)},)")
    if not xs:
        raise ValueError("z, x: need at least one point, got n = 0")
    if any(mp.isnan(v) or v == mp.inf for v in zs):
        raise ValueError("z: NaN or +inf logits are not allowed (-inf masks a point)")
    if all(v == mp.ninf for v in zs):
        raise ValueError("z: every logit is -inf; at least one point must be live")
    if not all(mp.isfinite(v) for v in xs):
        raise ValueError("x: positions must be finite")
    lo, hi, bw = _scalar(a, "a"), _scalar(b, "b"), _scalar(bandwidth, "bandwidth")
    if not mp.isfinite(lo):
        raise ValueError(f"a: must be finite, got {a!r}")
    if not mp.isfinite(hi):
        raise ValueError(f"b: must be finite, got {b!r}")
    if not mp.isfinite(bw) or bw <= 0:
        raise ValueError(f"bandwidth: must be finite and > 0, got {bandwidth!r}")
    if lo >= hi:
        raise ValueError(f"a, b: need a < b, got a={a!r}, b={b!r}")
    full_circle = False
    if circular:
        length = mp.fsub(hi, lo, exact=True)
        with mp.workdps(60):
            # The contract: b - a up to 4 ulps of float64 (2**-50 near 2 pi) above 2 pi is the full
            # circle.  So is b - a within 4 ulps below 2 pi: float(2 pi) is 2.4e-16 short of
            # 2 pi, and a = -pi, b = pi in floats means the whole circle.
            slack = 4 * mp.mpf(2) ** -50
            if length > 2 * mp.pi + slack:
                raise ValueError(f"a, b: the arc b - a = {mp.nstr(length, 17)} exceeds 2 pi")
            full_circle = length >= 2 * mp.pi - slack
    problem = _Problem(
        tuple(zs), tuple(xs), lo, hi, bw, kernel, circular, method, bins, full_circle
    )
    return problem, dps


# --------------------------------------------------------------------------- the model


class _Model:
    """What depends on the precision: log-weights, log-kernel and target (at ``mp.prec``)."""

    def __init__(self, problem: _Problem):
        self.problem = problem
        self.index = problem.active
        zs = [problem.z[j] for j in self.index]
        norm = _logsumexp(zs)
        self.log_weights = [zj - norm for zj in zs]
        self.centres = [problem.x[j] for j in self.index]
        self.bandwidth = problem.bandwidth
        self.a = problem.a
        self.b = problem.a + 2 * mp.pi if problem.full_circle else problem.b
        if problem.circular:
            self.log_kernel = wrapped_log_kernel(problem.kernel, problem.bandwidth)
        else:
            self.log_kernel = _line_log_kernel(problem.kernel)(problem.bandwidth)

    def log_terms(self, t: Real) -> list[Real]:
        """``log S_j + log K_h(t - x_j)`` for every live point."""
        kern = self.log_kernel
        return [lw + kern(t - xj) for lw, xj in zip(self.log_weights, self.centres, strict=True)]

    def integrand(self, want_grad: bool) -> Callable[[Real], list[Real] | None]:
        """``t -> [1, log p(t), R_1(t), ..., R_n(t)]``; None where ``p(t) = 0``."""
        ninf = mp.ninf
        exp, log, fsum = mp.exp, mp.log, mp.fsum
        one, zero = mp.mpf(1), mp.zero

        def evaluate(t: Real) -> list[Real] | None:
            terms = self.log_terms(t)
            top = max(terms)
            if top == ninf:
                return None
            # A term below 2**-(prec + 10) of the largest changes no digit of p, and its
            # responsibility is below the gradient's resolution: it counts as 0.
            cutoff = -(mp.prec + 10) * mp.ln2
            scaled = [exp(d) if d > cutoff else zero for d in (v - top for v in terms)]
            total = fsum(scaled)
            row = [one, top + log(total)]
            if want_grad:
                row.extend(s / total for s in scaled)
            return row

        return evaluate


def _guard_digits(problem: _Problem) -> int:
    """Extra digits for the magnitudes that cancel: large logs, far points, tiny/huge h."""
    with mp.workdps(20):
        model = _Model(problem)
        h = problem.bandwidth
        logs = [abs(v) for v in model.log_weights]
        kernel_logs = [model.log_kernel(mp.zero)]
        for xj in model.centres:
            far = mp.pi if problem.circular else max(abs(model.a - xj), abs(model.b - xj))
            kernel_logs.append(model.log_kernel(far))
        finite = [abs(v) for v in kernel_logs if mp.isfinite(v)]
        magnitude = max(logs) + max(finite, default=mp.zero)
        scale = max([abs(model.a), abs(model.b), h] + [abs(xj) for xj in model.centres])
        digits = BASE_GUARD_DPS + math.ceil(mp.log10(1 + magnitude))
        digits += math.ceil(mp.log10(1 + scale / min(h, model.b - model.a)))
        if problem.circular:  # cancellation in the wrapped forms for h far from 1
            digits += math.ceil(mp.log10(1 + h)) + math.ceil(2 * mp.log10(1 + 1 / h))
        return int(digits)


# --------------------------------------------------------------------------- breakpoints


def _support_intervals(problem: _Problem, model: _Model) -> list[tuple[Real, Real]]:
    """Supports ``[x_j - h, x_j + h]`` (+ 2 pi k on the circle) that meet the target, sorted."""
    h, lo, hi = problem.bandwidth, model.a, model.b
    intervals = []
    for xj in model.centres:
        left, right = mp.fsub(xj, h, exact=True), mp.fadd(xj, h, exact=True)
        if not problem.circular:
            shifts = [mp.zero]
        else:
            two_pi = 2 * mp.pi
            first = int(mp.floor((lo - right) / two_pi)) - 1
            last = int(mp.ceil((hi - left) / two_pi)) + 1
            shifts = [two_pi * k for k in range(first, last + 1)]
        for shift in shifts:
            start, end = left + shift, right + shift
            if end >= lo and start <= hi:
                intervals.append((start, end))
    return sorted(intervals)


def _gaps(problem: _Problem, model: _Model) -> list[tuple[Real, Real]]:
    """Sub-intervals of the target where a compact kernel leaves ``p = 0`` (positive length)."""
    if not KERNELS[problem.kernel].compact:
        return []
    if problem.circular and 2 * problem.bandwidth >= 2 * mp.pi:
        return []  # one support already wraps the whole circle
    gaps = []
    reach = model.a
    for start, end in _support_intervals(problem, model):
        if start > reach:
            gaps.append((reach, min(start, model.b)))
        reach = max(reach, end)
        if reach >= model.b:
            break
    if reach < model.b:
        gaps.append((reach, model.b))
    return [(lo, hi) for lo, hi in gaps if hi > lo]


def _breakpoints(problem: _Problem, model: _Model) -> list[Real]:
    """``a``, every kink, peak (and antipode on the circle) inside ``(a, b)``, and ``b``."""
    kernel = KERNELS[problem.kernel]
    offsets = sorted(set(kernel.kinks) | {0})
    h = problem.bandwidth
    points = []
    for xj in model.centres:
        marks = [mp.fadd(xj, mp.fmul(o, h, exact=True), exact=True) for o in offsets]
        if not problem.circular:
            points.extend(marks)
            continue
        if not kernel.compact:
            marks.append(xj + mp.pi)
        two_pi = 2 * mp.pi
        for mark in marks:
            first = int(mp.ceil((model.a - mark) / two_pi))
            last = int(mp.floor((model.b - mark) / two_pi))
            points.extend(mark + two_pi * k for k in range(first, last + 1))
    inside = sorted({p for p in points if model.a < p < model.b})
    return [model.a, *inside, model.b]


def _crossing(gap: Callable[[Real], Real], lo: Real, hi: Real, g_lo: Real, g_hi: Real) -> Real:
    """A point of ``(lo, hi)`` where ``gap`` (> 0 at lo, < 0 at hi) is near 0 (Illinois)."""
    side = 0
    for _ in range(200):
        t = (lo * g_hi - hi * g_lo) / (g_hi - g_lo)
        if not lo < t < hi:
            t = (lo + hi) / 2
        g_t = gap(t)
        if abs(g_t) < 0.25:
            return t
        if g_t > 0:
            lo, g_lo = t, g_t
            if side == 1:
                g_hi /= 2
            side = 1
        else:
            hi, g_hi = t, g_t
            if side == -1:
                g_lo /= 2
            side = -1
    return (lo + hi) / 2


def _dominance_splits(model: _Model, lo: Real, hi: Real, depth: int = 0) -> list[Real]:
    """Interior points of ``[lo, hi]`` where the dominant term of the mixture changes.

    Within a panel (no kinks or peaks inside) the log-ratio of two terms is monotone for the
    laplace and gaussian kernels, so a change of the dominant term between the ends is
    bracketed by them; a switch within about two e-folds of an end needs no split (tanh-sinh
    nodes cluster at the ends).
    """
    terms_lo, terms_hi = model.log_terms(lo), model.log_terms(hi)
    i = max(range(len(terms_lo)), key=terms_lo.__getitem__)
    j = max(range(len(terms_hi)), key=terms_hi.__getitem__)
    if i == j or depth > 60:
        return []
    if terms_lo[i] - terms_lo[j] < 2 or terms_hi[j] - terms_hi[i] < 2:
        return []
    kern, xi, xj = model.log_kernel, model.centres[i], model.centres[j]
    offset = model.log_weights[i] - model.log_weights[j]

    def gap(t: Real) -> Real:
        return offset + kern(t - xi) - kern(t - xj)

    mid = _crossing(gap, lo, hi, terms_lo[i] - terms_lo[j], terms_hi[i] - terms_hi[j])
    return [
        *_dominance_splits(model, lo, mid, depth + 1),
        mid,
        *_dominance_splits(model, mid, hi, depth + 1),
    ]


# --------------------------------------------------------------------------- quadrature


@lru_cache(maxsize=64)
def _tanh_sinh_level(prec: int, level: int) -> tuple[tuple[Real, Real, int], ...]:
    """Nodes of one tanh-sinh level on [-1, 1] as ``(1 - |x|, weight, side)``.

    Level 0 has the nodes ``s = k`` (step 1), level ``l > 0`` adds ``s = odd / 2**l``; the node
    is ``x = tanh(pi/2 sinh s)``, stored as its distance ``1 - |x|`` to the nearer end so that
    nodes close to an end keep their digits.  Nodes stop where ``1 - |x|`` drops below
    ``2**-(prec + 20)``: the weight there is as small, and the integrands are bounded (log p
    grows only logarithmically at a zero of p).
    """
    with mp.workprec(prec + 20):
        step = mp.ldexp(1, -level)
        reach = mp.asinh((prec + 21) * mp.ln2 / mp.pi)
        nodes = []
        index = 0 if level == 0 else 1
        while True:
            s = index * step
            if s > reach:
                break
            v = mp.pi / 2 * mp.sinh(s)
            complement = 2 / (1 + mp.exp(2 * v))
            weight = mp.pi / 2 * mp.cosh(s) / mp.cosh(v) ** 2
            if index == 0:
                nodes.append((mp.one, weight, 0))
            else:
                nodes.append((complement, weight, -1))
                nodes.append((complement, weight, 1))
            index += 1 if level == 0 else 2
    with mp.workprec(prec):
        return tuple((+c, +w, side) for c, w, side in nodes)


def _tanh_sinh(
    lo: Real, hi: Real, f: Callable[[Real], list[Real] | None], width: int, tol: Real
) -> tuple[list[Real], Real] | None:
    """Integrate the vector ``f`` (first component 1) over ``[lo, hi]``; None if not converged.

    The rule is normalized to be exact for constants: component ``c`` is estimated as
    ``(hi - lo) * Q[f_c] / Q[1]`` with the same nodes (``Q[1]`` is the first component), so a
    panel where the integrand is constant (boxcar) converges at once and the responsibilities
    of one live point integrate to exactly the panel length.  Convergence: ``d_l`` is the
    largest change of these estimates between levels, per unit length (``log p`` also per
    its size); the error of level ``l`` is extrapolated as ``d_l ** (log d_l / log d_{l-1})``
    (quadratic convergence gives ``d_l**2``, stagnation ``d_l``), and the panel is accepted
    at level >= 2 once that is below ``tol``.  Returns the estimates (first: ``hi - lo``).
    """
    half = (hi - lo) / 2
    length = hi - lo
    raw: list[Real] | None = None
    estimate: list[Real] | None = None
    previous_change: Real | None = None
    floor = mp.ldexp(1, -mp.prec + 12)
    for level in range(MAX_LEVEL + 1):
        sums = [mp.zero] * width
        for complement, weight, side in _tanh_sinh_level(mp.prec, level):
            t = lo + half * complement if side <= 0 else hi - half * complement
            row = f(t)
            if row is None:
                continue
            for c in range(width):
                sums[c] += weight * row[c]
        step = mp.ldexp(1, -level)
        if raw is None:
            raw = [step * s for s in sums]
        else:
            raw = [e / 2 + step * s for e, s in zip(raw, sums, strict=True)]
        if raw[0] == 0:  # every node so far fell where p = 0 (only at a panel's very ends)
            continue
        new = [length] + [v * length / raw[0] for v in raw[1:]]
        if estimate is not None:
            size = max(1, abs(new[1]) / length)
            change = max(
                abs(n - e) / (length * (size if c == 1 else 1))
                for c, (n, e) in enumerate(zip(new, estimate, strict=True))
            )
            if change <= floor:
                error = change
            elif previous_change is not None and previous_change > change:
                power = min(2, mp.log(change) / mp.log(previous_change))
                error = change ** max(1, power)
            else:
                error = change
            if level >= 2 and error <= tol:
                return new, error
            previous_change = change
        estimate = new
    return None


def _integrate(
    lo: Real,
    hi: Real,
    f: Callable[[Real], list[Real] | None],
    width: int,
    tol: Real,
    depth: int = 0,
) -> list[Real]:
    length = hi - lo
    if length <= _TINY_PANEL_FACTOR * tol:
        # A panel this short only arises around a kink computed a few units of the working
        # precision away from where the kernel actually jumps (e.g. x + 2 pi k - h on the
        # circle).  Tanh-sinh cannot converge across the jump.  Instead: the midpoint value
        # against the mean of the quarter points (they differ by ~f'' length^2 / 32 where f
        # is smooth, by O(1) across a jump); accepted when length * difference <= tol,
        # otherwise the panel is halved, so a jump ends up in a panel shorter than tol.
        first, middle, last = (
            f(lo + length * q) for q in (mp.mpf(0.25), mp.mpf(0.5), mp.mpf(0.75))
        )
        if first is not None and middle is not None and last is not None:
            mean = [(p + q) / 2 for p, q in zip(first, last, strict=True)]
            gap = max(abs(p - q) for p, q in zip(mean, middle, strict=True))
            if length * gap <= tol:
                return [length * (2 * p + q) / 3 for p, q in zip(mean, middle, strict=True)]
        if depth >= MAX_SPLIT_DEPTH + 200:
            raise ReferenceAccuracyError(
                f"no convergence on the tiny panel [{mp.nstr(lo, 17)}, {mp.nstr(hi, 17)}]"
            )
    else:
        result = _tanh_sinh(lo, hi, f, width, tol)
        if result is not None:
            return result[0]
        if depth >= MAX_SPLIT_DEPTH:
            raise ReferenceAccuracyError(
                f"tanh-sinh did not converge on [{mp.nstr(lo, 17)}, {mp.nstr(hi, 17)}]"
            )
    mid = (lo + hi) / 2
    left = _integrate(lo, mid, f, width, tol, depth + 1)
    right = _integrate(mid, hi, f, width, tol, depth + 1)
    return [p + q for p, q in zip(left, right, strict=True)]


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
    result, error = _checked(problem, dps, True, check)
    if result.gap is not None:
        raise _uncovered(result.gap)
    assert result.grad is not None
    return result.loss, result.grad, error


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
    value, gradient, _ = loss_grad_error(
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
        check=check,
    )
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
    result, _ = _checked(problem, dps, False, check)
    if result.gap is not None:
        with mp.workdps(dps):
            return mp.inf
    return result.loss


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
    return loss_and_grad(
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
        check=check,
    )[1]
