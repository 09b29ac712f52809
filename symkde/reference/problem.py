"""The reference's validated problem and its model at the working precision.

Owns the argument checks of the mpmath reference (:func:`_validate`: exact inputs, the same
errors as the numeric API, the full circle within 4 ulps), the problem record
(:class:`_Problem`), the model (:class:`_Model`: log-weights, centres, the log-kernel and the
integrand ``t -> [1, log p(t), R_1(t), ...]`` at ``mp.prec``) and the guard digits added for
the magnitudes that cancel (:func:`_guard_digits`).  Imports mpmath, ``symkde.errors``,
:mod:`symkde.symbolic.kernels` and :mod:`symkde.reference.kernels` only.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import mpmath

from symkde.reference.kernels import _line_log_kernel, _logsumexp, wrapped_log_kernel
from symkde.symbolic.kernels import KERNELS

mp = mpmath.mp
Real = Any  # an mpmath.mpf


METHODS = ("integral", "bins")


#: Guard digits always added to ``dps`` (more are added for large logs, see ``_guard_digits``).
BASE_GUARD_DPS = 10


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
