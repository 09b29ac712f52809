"""Input checks for the numeric API: every error names the argument and what was expected.

>>> problem = validate([0.0, 1.0], [0.5, 2.0], 0.0, 1.0)
>>> problem.n, problem.kernel, problem.method
(2, 'laplace', 'auto')
>>> validate([0.0], [0.0, 1.0], 0.0, 1.0)
Traceback (most recent call last):
ValueError: z, x: expected arrays of the same shape (n,), got (1,) and (2,)
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symkde.errors import ArgumentTypeError
from symkde.numeric._generated.log_kernels import KERNEL_INFO

__all__ = ["METHODS", "TWO_PI", "Problem", "validate"]

METHODS = ("auto", "exact", "quadrature", "bins")
#: Float64 headroom: positions, bounds and bandwidths within 1e+-50 keep (u/h)**2 <= 4e200, so
#: no kernel overflows or underflows into a wrong answer; outside it symkde refuses
#: (ValueError naming the argument) rather than return something silently wrong.
MAX_MAGNITUDE = 1e50
MIN_BANDWIDTH, MAX_BANDWIDTH = 1e-50, 1e50
MIN_LENGTH = 1e-50
#: The midpoint rule's nodes are one float64 array: 2**26 bins = 512 MiB.
MAX_BINS = 2**26
TWO_PI = 2.0 * math.pi
#: API.md: an arc up to 4 ulps longer than 2 pi is the full circle (rounding is forgiven).
FULL_CIRCLE_SLACK = 4 * math.ulp(TWO_PI)
_FULL_CIRCLE_SLACK = FULL_CIRCLE_SLACK


@dataclass(frozen=True)
class Problem:
    """Validated inputs, in float64."""

    z: NDArray[np.float64]
    x: NDArray[np.float64]
    a: float
    b: float
    kernel: str
    bandwidth: float
    circular: bool
    method: str
    bins: int | None

    @property
    def n(self) -> int:
        return int(self.z.shape[0])


def _real_array(value: Any, name: str) -> NDArray[np.float64]:
    if isinstance(value, str | bytes):
        raise ArgumentTypeError(f"{name}: expected a 1-D array of real numbers, got a string")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}: expected a 1-D array of real numbers ({exc})") from None
    if arr.dtype.kind not in "iuf":
        raise ArgumentTypeError(
            f"{name}: expected a 1-D array of real numbers, got dtype {arr.dtype} "
            f"(kind {arr.dtype.kind!r})"
        )
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of shape (n,), got shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _real_scalar(value: Any, name: str) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
            value = value.item()
        else:
            raise ArgumentTypeError(f"{name}: expected a real number, got {type(value).__name__}")
    try:
        result = float(value)
    except OverflowError:
        raise ValueError(f"{name}: expected a finite real number, got {value!r:.40}") from None
    if not math.isfinite(result):
        raise ValueError(f"{name}: expected a finite real number, got {result!r}")
    return result


def validate(
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    *,
    kernel: Any = "laplace",
    bandwidth: Any = 1.0,
    circular: Any = False,
    method: Any = "auto",
    bins: Any = None,
) -> Problem:
    """Check and convert the public API's arguments; raise ValueError/TypeError naming one."""
    z_arr = _real_array(z, "z")
    x_arr = _real_array(x, "x")
    if z_arr.shape != x_arr.shape:
        raise ValueError(
            f"z, x: expected arrays of the same shape (n,), got {z_arr.shape} and {x_arr.shape}"
        )
    if z_arr.shape[0] == 0:
        raise ValueError("z, x: expected at least one point, got n = 0")
    # One reduction per array decides the common case (max propagates NaN); the slower
    # element-wise tests run only to name the offending entry.
    top = z_arr.max()
    if np.isnan(top):
        raise ValueError(
            f"z: expected no NaN, found one at index {int(np.argmax(np.isnan(z_arr)))}"
        )
    if top == np.inf:
        raise ValueError(
            f"z: expected no +inf (use -inf to mask a point), found one at index "
            f"{int(np.argmax(np.isposinf(z_arr)))}"
        )
    if top == -np.inf:
        raise ValueError("z: expected at least one finite logit, got only -inf (all masked)")
    reach = np.abs(x_arr).max()
    if not np.isfinite(reach):
        bad = int(np.argmax(~np.isfinite(x_arr)))
        raise ValueError(f"x: expected finite positions, got {x_arr[bad]!r} at index {bad}")
    if reach > MAX_MAGNITUDE:
        bad = int(np.argmax(np.abs(x_arr)))
        raise ValueError(
            f"x: expected |x| <= {MAX_MAGNITUDE:g} (float64 headroom), got {x_arr[bad]!r} at "
            f"index {bad}"
        )
    a_f, b_f = _real_scalar(a, "a"), _real_scalar(b, "b")
    if not a_f < b_f:
        hint = ""
        on_circle = circular is True or (isinstance(circular, np.bool_) and bool(circular))
        if on_circle and 0.0 < a_f - b_f < TWO_PI:
            # an arc that crosses +-pi written with its end reduced: (2.8, -2.68)
            hint = (
                f"; on the circle the arc from a counter-clockwise to b ends at b + 2*pi = "
                f"{b_f + TWO_PI!r}: pass that as b"
            )
        raise ValueError(f"a, b: expected a < b, got a = {a_f!r}, b = {b_f!r}{hint}")
    for name, value in (("a", a_f), ("b", b_f)):
        if abs(value) > MAX_MAGNITUDE:
            raise ValueError(f"{name}: expected |{name}| <= {MAX_MAGNITUDE:g}, got {value!r}")
    if not b_f - a_f >= MIN_LENGTH:
        raise ValueError(f"a, b: expected b - a >= {MIN_LENGTH:g}, got a = {a_f!r}, b = {b_f!r}")
    h = _real_scalar(bandwidth, "bandwidth")
    if h <= 0:
        raise ValueError(f"bandwidth: expected a positive number, got {h!r}")
    if not MIN_BANDWIDTH <= h <= MAX_BANDWIDTH:
        raise ValueError(
            f"bandwidth: expected {MIN_BANDWIDTH:g} <= bandwidth <= {MAX_BANDWIDTH:g} (float64 "
            f"headroom), got {h!r}"
        )
    if not isinstance(kernel, str) or kernel not in KERNEL_INFO:
        raise ValueError(f"kernel: expected one of {sorted(KERNEL_INFO)}, got {kernel!r}")
    if not isinstance(circular, bool | np.bool_):
        raise ArgumentTypeError(f"circular: expected True or False, got {circular!r}")
    circ = bool(circular)
    if KERNEL_INFO[kernel]["circular_only"] and not circ:
        raise ValueError(f"kernel: {kernel!r} is defined on the circle only; pass circular=True")
    if circ and b_f - a_f > TWO_PI + _FULL_CIRCLE_SLACK:
        raise ValueError(
            f"a, b: expected an arc 0 < b - a <= 2*pi on the circle, got b - a = {b_f - a_f!r}"
        )
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method: expected one of {list(METHODS)}, got {method!r}")
    m: int | None = None
    if method == "bins":
        if bins is None:
            raise ValueError("bins: method='bins' needs bins=M, an integer >= 1")
        if isinstance(bins, bool | np.bool_) or not isinstance(bins, numbers.Integral):
            raise ValueError(f"bins: expected an integer >= 1, got {bins!r}")
        if not 1 <= int(bins) <= MAX_BINS:
            raise ValueError(f"bins: expected an integer 1 <= bins <= 2**26, got {int(bins)}")
        m = int(bins)
    elif bins is not None:
        raise ValueError(f"bins: only used with method='bins', got bins={bins!r} for {method!r}")
    return Problem(z_arr, x_arr, a_f, b_f, kernel, h, circ, method, m)
