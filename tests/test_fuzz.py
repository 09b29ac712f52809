"""Bad-input fuzzing of the numeric API (issue 7, section 2), and a scan for eval-like calls.

Every call of ``loss``, ``grad`` and ``loss_and_grad`` on random (mostly broken) arguments must
either return a finite, correct result or raise ``ValueError``/``TypeError`` whose message
begins with the argument it is about (``"bandwidth: ..."``, ``"a, b: ..."``).  Never NaN, never
another exception type (a NumPy ``RuntimeWarning`` counts: pytest turns warnings into errors),
never a hang: each call is time-boxed with ``SIGALRM``.

Which arguments are bad is decided here, from API.md, by :func:`contract_violations` -- not by
asking ``symkde.numeric.validate``.  "Correct" for a valid call is checked by facts that need no
reference value: theorems gradient_sum_zero / gradient_bounds, masked entries 0, Gibbs'
inequality ``L >= log(b - a)`` (the cross-entropy of U[a, b] is at least its entropy), a
single live point has gradient 0, ``loss`` agrees with ``loss_and_grad``, the closed form
agrees with quadrature, and a compact kernel gives ``inf`` exactly when it leaves a piece of
the target uncovered.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import math
import numbers
import os
import subprocess
import sys
import traceback
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symkde
from symkde.errors import UncoveredTargetError
from tests.helpers import CallTimedOut, address_space, call_box

PROFILE = os.environ.get("SYMKDE_HYPOTHESIS_PROFILE", "symkde-ci")  # see tests/conftest.py
_SCALE = 20 if PROFILE == "symkde-dev" else 1

#: API.md: on the circle b - a may exceed 2 pi by 4 ulps at most.
ARC_LIMIT = 2 * math.pi + 4 * math.ulp(2 * math.pi)
#: API.md's keyword defaults.
DEFAULTS = {
    "kernel": "laplace",
    "bandwidth": 1.0,
    "circular": False,
    "method": "auto",
    "bins": None,
}
#: Seconds one call may take (the slowest valid calls here take milliseconds).
CALL_TIME_BOX = 5.0
ARGUMENTS = ("z", "x", "a", "b", "kernel", "bandwidth", "circular", "method", "bins")
LINE_KERNELS = ("laplace", "gaussian", "boxcar", "triangle", "cauchy")
ALL_KERNELS = (*LINE_KERNELS, "vonmises")
CLOSED_FORM = frozenset({"laplace", "boxcar", "triangle"})
COMPACT = frozenset({"boxcar", "triangle"})
METHODS = ("auto", "exact", "quadrature", "bins")
CIRCULAR_VALID: tuple[Any, ...] = (False, np.bool_(False), True, np.bool_(True))
#: 2 pi to 60 digits as an exact fraction: the circle's images x + 2 pi k, off by < 1e-58 k.
with mpmath.workdps(60):
    _MAN, _EXP = (2 * mpmath.pi).man_exp
TWO_PI = Fraction(_MAN) * Fraction(2) ** _EXP
#: API.md contract (loss relative to max(1, |L|), gradient entries absolute); two computed
#: values each within it of the truth differ by at most twice that.
LOSS_RTOL = 1e-12
GRAD_ATOL = 1e-12
#: Beyond these magnitudes an input is "extreme": a ValueError naming the argument (a range
#: the implementation does not support) is acceptable, a wrong value or another error is not.
EXTREME = 1e15
EXTREME_BINS = 10**6


# --------------------------------------------------------------------------- the call


@dataclass(frozen=True)
class Call:
    """One call of the numeric API with arbitrary arguments."""

    z: Any
    x: Any
    a: Any
    b: Any
    kernel: Any = "laplace"
    bandwidth: Any = 1.0
    circular: Any = False
    method: Any = "auto"
    bins: Any = None
    function: str = "loss_and_grad"
    omitted: frozenset[str] = field(default=frozenset())  # keyword arguments left to defaults

    def keywords(self) -> dict[str, Any]:
        names = ("kernel", "bandwidth", "circular", "method", "bins")
        return {k: getattr(self, k) for k in names if k not in self.omitted}

    def effective(self) -> Call:
        """The arguments the function sees: API.md's defaults for omitted keywords."""
        return replace(self, **{k: DEFAULTS[k] for k in self.omitted}, omitted=frozenset())

    def run(self, function: str | None = None) -> Any:
        fn = getattr(symkde, function or self.function)
        with time_box(CALL_TIME_BOX, f"{fn.__name__}{self!r}"):
            return fn(self.z, self.x, self.a, self.b, **self.keywords())


#: Memory one call may add (address space): a runaway allocation becomes a MemoryError (which
#: the oracle reports) instead of swapping the machine.
CALL_MEMORY_BOX = 2 << 30
_MAPPED_AT_IMPORT = address_space()


def time_box(seconds: float, what: str) -> contextlib.AbstractContextManager[None]:
    """The fuzz box: ``seconds``, and a fixed memory ceiling above the import-time mapping."""
    return call_box(seconds, CALL_MEMORY_BOX, what, ceiling_from=_MAPPED_AT_IMPORT)


# --------------------------------------------------------------------------- the contract


def real_vector(value: Any) -> np.ndarray | None:
    """The float64 vector API.md accepts for ``z``/``x``, or None if ``value`` is not one."""
    if isinstance(value, str | bytes):
        return None
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError, OverflowError):
        return None
    if arr.dtype.kind not in "iuf" or arr.ndim != 1:
        return None  # bool, complex, object, strings, datetimes; scalars and batches (the
        # oracle judges single rows; batches are tests/test_batch.py's)
    return arr.astype(np.float64)


def real_scalar(value: Any) -> float | None:
    """A real number (not bool), as float, or None; values too big for a float are None too."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf  # an int beyond float range: not a finite real


def contract_violations(call: Call) -> set[str]:
    """The arguments API.md says are wrong (empty: the call is valid).

    Cross-argument rules name both arguments (``a >= b`` -> {"a", "b"}).
    """
    bad: set[str] = set()
    z, x = real_vector(call.z), real_vector(call.x)
    if z is None:
        bad.add("z")
    if x is None:
        bad.add("x")
    if z is not None and x is not None and (z.shape != x.shape or z.size == 0):
        bad |= {"z", "x"}
    if z is not None and z.size and (np.isnan(z).any() or np.isposinf(z).any()):
        bad.add("z")
    if z is not None and z.size and np.isneginf(z).all():
        bad.add("z")
    if x is not None and not np.isfinite(x).all():
        bad.add("x")
    a, b, h = real_scalar(call.a), real_scalar(call.b), real_scalar(call.bandwidth)
    if a is None or not math.isfinite(a):
        bad.add("a")
    if b is None or not math.isfinite(b):
        bad.add("b")
    if "a" not in bad and "b" not in bad and not a < b:  # type: ignore[operator]
        bad |= {"a", "b"}
    if h is None or not math.isfinite(h) or h <= 0:
        bad.add("bandwidth")
    kernel_ok = isinstance(call.kernel, str) and call.kernel in ALL_KERNELS
    circular_ok = isinstance(call.circular, bool | np.bool_)
    if not circular_ok:
        bad.add("circular")
    elif call.circular and "a" not in bad and "b" not in bad and b - a > ARC_LIMIT:  # type: ignore[operator]
        bad |= {"a", "b"}
    if not kernel_ok or (call.kernel == "vonmises" and not (circular_ok and call.circular)):
        bad.add("kernel")
    if not (isinstance(call.method, str) and call.method in METHODS):
        bad.add("method")
    elif call.method == "exact" and kernel_ok and call.kernel not in CLOSED_FORM:
        bad.add("method")
    if call.method == "bins":
        bins = call.bins
        if isinstance(bins, bool | np.bool_) or not isinstance(bins, numbers.Integral) or bins < 1:
            bad.add("bins")
    elif call.bins is not None:
        bad.add("bins")
    return bad


def is_extreme(call: Call) -> bool:
    """Some argument has a magnitude far outside everyday use (see EXTREME).

    Called for invalid calls too, so every argument is read leniently: one that is not a real
    number (or vector) is bad, not extreme, and is left out here.
    """
    vectors = [v for v in (real_vector(call.z), real_vector(call.x)) if v is not None]
    a, b, h = real_scalar(call.a), real_scalar(call.b), real_scalar(call.bandwidth)
    values = [*(float(v) for vec in vectors for v in vec), *(s for s in (a, b) if s is not None)]
    bins = call.bins
    return (
        any(math.isfinite(v) and abs(v) > EXTREME for v in values)
        or (h is not None and not 1 / EXTREME < h < EXTREME)
        or (a is not None and b is not None and b - a < 1 / EXTREME)
        or (
            call.method == "bins"
            and isinstance(bins, numbers.Integral)
            and not isinstance(bins, bool | np.bool_)
            and int(bins) > EXTREME_BINS
        )
    )


def live_points(call: Call) -> np.ndarray:
    z, x = real_vector(call.z), real_vector(call.x)
    assert z is not None and x is not None
    return x[z > -np.inf]


def uncovered_piece(
    h: Fraction, a: Fraction, b: Fraction, points: list[Fraction]
) -> tuple[Fraction, Fraction] | None:
    """A sub-interval of [a, b] of positive length outside every support [x - h, x + h]."""
    reach = a  # [a, reach] is covered
    for lo, hi in sorted((v - h, v + h) for v in points):
        if lo > reach:
            return reach, min(lo, b)
        reach = max(reach, hi)
        if reach >= b:
            return None
    return (reach, b) if reach < b else None


def rounding_scale(call: Call) -> float:
    """Eight ulps of the largest coordinate: boundaries closer than this may round either way."""
    h = float(call.bandwidth)
    biggest = max(abs(float(call.a)), abs(float(call.b)), *(abs(v) + h for v in live_points(call)))
    return 8 * math.ulp(biggest)


def support_centres(call: Call) -> list[tuple[Fraction, bool]]:
    """Centres of the supports that can reach [a, b], each with whether float64 has it exactly.

    On the line the live points (exact); on the circle their images ``x + 2 pi k`` (exact for
    ``k = 0`` only: 2 pi is irrational).  For ``h < pi`` (callers' business) a point has at
    most ``(b - a + 2h) / 2 pi + 2 < 4`` of them.
    """
    points = [Fraction(v) for v in live_points(call)]
    if not call.circular:
        return [(v, True) for v in points]
    h, a, b = Fraction(float(call.bandwidth)), Fraction(float(call.a)), Fraction(float(call.b))
    centres = []
    for v in points:
        for k in range(math.floor((a - h - v) / TWO_PI), math.ceil((b + h - v) / TWO_PI) + 1):
            centres.append((v + k * TWO_PI, k == 0))
    return centres


def integral_is_infinite(call: Call) -> bool | None:
    """Exact-arithmetic truth for the integral: p = 0 on a piece of [a, b] of positive length.

    None (either answer is right) when the truth hinges on a boundary within rounding of another
    and a support's end ``x +- h`` is not exact in float64.
    """
    if call.circular and float(call.bandwidth) >= math.pi:
        return False  # every support is the whole circle (a triangle's one zero has measure 0)
    centres = support_centres(call)
    exact = [c for c, _ in centres]
    h, a, b = Fraction(float(call.bandwidth)), Fraction(float(call.a)), Fraction(float(call.b))
    truth = uncovered_piece(h, a, b, exact) is not None
    tol = Fraction(rounding_scale(call))
    borderline = uncovered_piece(h + tol, a, b, exact) is None
    borderline &= uncovered_piece(h - tol, a, b, exact) is not None
    hf = float(call.bandwidth)
    floats_exact = all(
        is_float and Fraction(float(c) + s * hf) == c + s * h
        for c, is_float in centres
        for s in (1, -1)
    )
    return None if borderline and not floats_exact else truth


def some_midpoint_uncovered(call: Call) -> bool | None:
    """The binned loss is +inf: p(t_m) = 0 at some midpoint (None: within rounding)."""
    a, b, h, m = float(call.a), float(call.b), float(call.bandwidth), int(call.bins)
    t = a + (np.arange(m) + 0.5) * ((b - a) / m)
    distance = np.abs(np.subtract.outer(t, live_points(call)))
    tol = rounding_scale(call)
    if call.circular:  # to the nearest image
        distance = np.mod(distance, 2 * math.pi)
        distance = np.minimum(distance, 2 * math.pi - distance)
        tol += 8 * math.ulp(2 * math.pi)
    surely_reached = distance < h - tol
    maybe_reached = distance <= h + tol
    if (~maybe_reached.any(axis=1)).any():
        return True
    if surely_reached.any(axis=1).all():
        return False
    return None


def loss_is_infinite(call: Call) -> bool | None:
    """Whether API.md makes the loss +inf (compact kernel, p = 0 on the target); None: either."""
    if call.kernel not in COMPACT:
        return False
    if call.method == "bins":
        return some_midpoint_uncovered(call)
    return integral_is_infinite(call)


# --------------------------------------------------------------------------- the oracle


def named_arguments(message: str) -> set[str]:
    """``"a, b: expected ..."`` -> {"a", "b"}; empty if the message does not start that way."""
    head, sep, _ = message.partition(":")
    names = {part.strip() for part in head.split(",")}
    return names if sep and names <= set(ARGUMENTS) else set()


def softmax(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = z - z.max()
    e = np.exp(np.where(np.isnan(shifted), -np.inf, shifted))
    return e / math.fsum(e)


def log_length(a: float, b: float) -> float:
    """log(b - a) without overflow for a = -1e308, b = 1e308."""
    if math.isfinite(b - a):
        return math.log(b - a)
    return math.log(b / 2 - a / 2) + math.log(2)


def check_error(call: Call, exc: BaseException, violations: set[str]) -> None:
    where = f"{type(exc).__name__}: {exc}\n  call: {call!r}\n  contract violations: {violations}"
    if isinstance(exc, CallTimedOut):
        raise AssertionError(f"hang: {where}")
    assert isinstance(exc, ValueError | TypeError), f"not a ValueError/TypeError: {where}"
    named = named_arguments(str(exc))
    assert named, f"the message does not begin with '<argument>:': {where}"
    if violations:
        # an extreme argument (outside symkde's float64 headroom) may be refused first
        assert named & violations or is_extreme(call), (
            f"names {sorted(named)}, but the bad ones are: {where}"
        )
    elif isinstance(exc, UncoveredTargetError):
        assert loss_is_infinite(call) is not False, f"covered target said uncovered: {where}"
        lo, hi = exc.interval
        assert float(call.a) <= lo <= hi <= float(call.b), f"interval outside [a, b]: {where}"
    else:
        assert is_extreme(call), f"a valid call was refused: {where}"


def check_result(call: Call, loss: float, gradient: np.ndarray) -> None:
    """A valid call's result is finite and obeys every property that needs no reference."""
    where = f"\n  call: {call!r}\n  loss {loss!r}, grad {gradient!r}"
    z = real_vector(call.z)
    assert z is not None
    assert type(loss) is float and math.isfinite(loss), f"loss not a finite float{where}"
    assert isinstance(gradient, np.ndarray) and gradient.dtype == np.float64, f"grad type{where}"
    assert gradient.shape == z.shape and np.isfinite(gradient).all(), f"grad not finite{where}"
    s = softmax(z)
    assert abs(math.fsum(gradient)) <= z.size * GRAD_ATOL, f"sum of grad != 0{where}"
    assert np.all(gradient <= s + GRAD_ATOL), f"grad_i > S_i{where}"
    assert np.all(gradient >= s - 1 - GRAD_ATOL), f"grad_i < S_i - 1{where}"
    assert np.all(gradient[z == -np.inf] == 0.0), f"masked entry not 0{where}"
    # one live point (z finite), not one nonzero float weight: e^-1e308 underflows to 0, yet
    # that point's responsibility is 1 where it alone covers the target (gradient -1, +1)
    if np.count_nonzero(z > -np.inf) == 1:
        assert np.all(np.abs(gradient) <= GRAD_ATOL), f"one live point, grad != 0{where}"
    if call.method != "bins":
        gibbs = log_length(float(call.a), float(call.b))
        assert loss >= gibbs - LOSS_RTOL * max(1.0, abs(gibbs)), f"L < log(b - a){where}"


def agree(
    call: Call, loss: float, gradient: np.ndarray, other: tuple[float, Any], what: str
) -> None:
    other_loss, other_grad = other
    where = f"{what}\n  call: {call!r}\n  {loss!r} {gradient!r}\n  {other_loss!r} {other_grad!r}"
    assert abs(other_loss - loss) <= 2 * LOSS_RTOL * max(1.0, abs(loss)), f"loss differs: {where}"
    if other_grad is not None:
        assert np.all(np.abs(other_grad - gradient) <= 2 * GRAD_ATOL), f"grad differs: {where}"


def attempt(call: Call, function: str) -> tuple[Any, Exception | None]:
    try:
        return call.run(function), None
    except Exception as exc:
        if exc.__traceback__ is not None:  # free the frames' arrays (a hang may hold gigabytes)
            traceback.clear_frames(exc.__traceback__)
        return None, exc


def check_call(call: Call) -> None:
    """Run ``call`` and judge the outcome against the contract (see the module docstring)."""
    call = call.effective()
    violations = contract_violations(call)
    if violations:
        result, error = attempt(call, call.function)
        assert error is not None, f"accepted bad {sorted(violations)}: {call!r} -> {result!r}"
        check_error(call, error, violations)
        return
    # A valid call: all three functions, consistent with each other.
    (loss, loss_error), (gradient, grad_error), (both, both_error) = (
        attempt(call, f) for f in ("loss", "grad", "loss_and_grad")
    )
    if loss_error is not None:
        check_error(call, loss_error, violations)  # only an extreme input may be refused
        return
    if loss == math.inf:
        assert loss_is_infinite(call) is not False, f"loss = inf on a covered target: {call!r}"
        for error in (grad_error, both_error):
            assert isinstance(error, UncoveredTargetError), f"loss = inf, grad gave {error!r}"
            check_error(call, error, violations)
        return
    assert loss_is_infinite(call) is not True, f"finite loss {loss!r}, uncovered target: {call!r}"
    for error in (grad_error, both_error):
        if error is not None:
            check_error(call, error, violations)
            return
    check_result(call, loss, gradient)
    agree(call, loss, gradient, both, "loss_and_grad vs loss and grad")
    if call.kernel in CLOSED_FORM and call.method in ("auto", "exact"):
        quadrature = replace(call, method="quadrature")
        other, error = attempt(quadrature, "loss_and_grad")
        if error is not None:
            check_error(quadrature, error, set())
        else:
            agree(call, loss, gradient, other, "closed form vs quadrature")


# --------------------------------------------------------------------------- garbage


def finite(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


SPECIAL_FLOATS = (
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    1e300,
    5e-324,
    -5e-324,
    0.0,
    -0.0,
    1e16,
)
#: Scalars for a, b and bandwidth: valid, special floats, and things that are not real numbers.
SCALAR_GARBAGE = (
    *SPECIAL_FLOATS,
    -1.0,
    "1.0",
    b"1",
    None,
    [1.0],
    (),
    {},
    np.array([1.0]),
    np.array(1.0),
    np.array(2),
    np.array("1"),
    np.float32(2.5),
    np.float16(0.5),
    np.int8(3),
    np.uint64(2),
    np.longdouble(1.5),
    10**400,
    -(10**400),
    Fraction(1, 3),
    Decimal("1.5"),
    1 + 0j,
    complex(1, 1),
    np.complex128(1),
    True,
    np.bool_(False),
    np.datetime64("2020-01-01"),
    object(),
)
KERNEL_GARBAGE = (
    *ALL_KERNELS,
    "",
    "Laplace",
    "LAPLACE",
    "laplace ",
    "gauss",
    "epanechnikov",
    None,
    1,
    b"laplace",
    ["laplace"],
    np.str_("gaussian"),
    "exp(-abs(u))",
)
METHOD_GARBAGE = (*METHODS, "", "Auto", "integral", "bins ", "simpson", None, 0, b"exact")
BINS_GARBAGE = (
    None,
    0,
    -1,
    1,
    2,
    7,
    64,
    1.5,
    2.0,
    np.float64(3.0),
    True,
    "8",
    np.int64(5),
    np.uint8(3),
    np.array(4),
    [4],
    10**6,
    10**13,
    2**70,
)
CIRCULAR_GARBAGE = (*CIRCULAR_VALID, "yes", 1, 0, None, 0.0, np.array([False]))


@st.composite
def vectors(draw: st.DrawFn, n: int, role: str) -> Any:
    """A z (role "z") or x vector: mostly valid-looking, often broken."""
    values = draw(st.lists(finite(-5.0, 5.0), min_size=n, max_size=n))
    kind = draw(
        st.sampled_from(
            [
                "list",
                "array",
                "float32",
                "int",
                "tuple",
                "special",
                "special",
                "mask",
                "length",
                "2d",
                "scalar",
                "strings",
                "nested",
                "ragged",
                "complex",
                "bool",
                "object",
                "none",
            ]
        )
    )
    if kind == "list":
        return values
    if kind == "array":
        return np.array(values)
    if kind == "float32":
        return np.array(values, dtype=np.float32)
    if kind == "int":
        return np.round(values).astype(
            draw(st.sampled_from([np.int64, np.int8, np.uint16])) if role == "z" else np.int32
        )
    if kind == "tuple":
        return tuple(values)
    if kind in ("special", "mask"):
        chosen = -math.inf if kind == "mask" else draw(st.sampled_from(SPECIAL_FLOATS))
        spots = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n))
        for spot in spots:
            values[spot] = chosen
        return np.array(values)
    if kind == "length":
        return [*values, 0.0] if draw(st.booleans()) else []
    if kind == "2d":
        return np.array([values]) if draw(st.booleans()) else np.array(values)[:, None]
    if kind == "scalar":
        return values[0]
    if kind == "strings":
        return draw(st.sampled_from(["abc", "1,2", b"12", [str(v) for v in values]]))
    if kind == "nested":
        return [values]
    if kind == "ragged":
        return [values[0], [1.0, 2.0]]
    if kind == "complex":
        return np.array(values) + 1j
    if kind == "bool":
        return np.array(values) > 0
    if kind == "object":
        return np.array(values, dtype=object)
    return draw(st.sampled_from([None, {}, {"a": 1.0}, object()]))


def pick(options: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(options)


INTERVAL_GARBAGE = (
    (1.0, 0.0),
    (0.0, 0.0),
    (0.0, 5e-324),
    (-1e308, 1e308),
    (1e16, 1e16 + 2.0),
    (-1.0, 1e300),
    (2.0, 2.0 + 2**-51),
    (-3.0, 3.0),
)


def _touching(call: Call, _: float) -> Call:
    """The second point's support starts where the first one's ends (x_2 = x_1 + 2h)."""
    if len(call.x) < 2:
        return call
    return replace(call, x=[call.x[0], call.x[0] + 2 * call.bandwidth, *call.x[2:]])


def _support_at_a(call: Call, _: float) -> Call:
    """The first point's support starts at a (a zero of a triangle's p at a)."""
    return replace(
        call, a=call.x[0] - call.bandwidth, b=call.x[0] - call.bandwidth + (call.b - call.a)
    )


def _far(call: Call, offset: float) -> Call:
    """Everything moved by up to 1e3 * 2**20 (the circle's turns, the line's rounding)."""
    shift = offset * 2.0**20
    return replace(
        call, x=[v + shift for v in call.x], a=call.a + shift, b=call.a + shift + (call.b - call.a)
    )


#: Boundaries random floats almost never hit, applied to a valid call before any garbage.
SNAPS = (
    lambda call, _: call,
    lambda call, _: call,
    _touching,
    _support_at_a,
    lambda call, offset: _touching(_support_at_a(call, offset), offset),
    _far,
)


@st.composite
def calls(draw: st.DrawFn) -> Call:
    """A valid call with 0 to 3 of its arguments replaced by garbage."""
    n = draw(st.integers(1, 4))
    circular = draw(pick(CIRCULAR_VALID))
    kernel = draw(st.sampled_from(ALL_KERNELS if circular else LINE_KERNELS))
    method = draw(
        st.sampled_from(METHODS if kernel in CLOSED_FORM else ("auto", "quadrature", "bins"))
    )
    a = draw(finite(-2.0, 2.0))
    length = draw(finite(0.1, 3.0) | st.just(2 * math.pi)) if circular else draw(finite(0.1, 3.0))
    call = Call(
        z=draw(st.lists(finite(-5.0, 5.0), min_size=n, max_size=n)),
        x=draw(st.lists(finite(-3.0, 3.0), min_size=n, max_size=n)),
        a=a,
        b=a + length,
        kernel=kernel,
        bandwidth=draw(finite(0.05, 3.0)),
        circular=circular,
        method=method,
        bins=draw(st.integers(1, 40)) if method == "bins" else None,
        function=draw(st.sampled_from(["loss", "grad", "loss_and_grad"])),
    )
    call = draw(st.sampled_from(SNAPS))(call, draw(finite(-1e3, 1e3)))
    garbled = draw(st.sets(st.sampled_from([*ARGUMENTS, "interval", "omit"]), max_size=3))
    changes: dict[str, Any] = {}
    # sorted: a set of strings iterates in PYTHONHASHSEED order, which would make the seeded
    # CI profile draw different calls in every process (CI once failed on a call no local
    # run could draw)
    for name in sorted(garbled):
        if name in ("z", "x"):
            changes[name] = draw(vectors(n, name))
        elif name in ("a", "b", "bandwidth"):
            changes[name] = draw(pick(SCALAR_GARBAGE) | finite(-1e3, 1e3))
        elif name == "interval":
            changes["a"], changes["b"] = draw(pick(INTERVAL_GARBAGE))
        elif name == "kernel":
            changes[name] = draw(pick(KERNEL_GARBAGE))
        elif name == "method":
            changes[name] = draw(pick(METHOD_GARBAGE))
        elif name == "bins":
            changes[name] = draw(pick(BINS_GARBAGE))
        elif name == "circular":
            changes[name] = draw(pick(CIRCULAR_GARBAGE))
        else:
            changes["omitted"] = frozenset(
                draw(st.sets(pick(("kernel", "bandwidth", "method", "bins")), min_size=1))
            )
    return replace(call, **changes)


# --------------------------------------------------------------------------- the tests


@settings(max_examples=300 * _SCALE)
@given(call=calls())
def test_every_call_returns_a_correct_result_or_names_the_bad_argument(call):
    check_call(call)


#: Inputs that broke symkde once, or that sit on a boundary of the contract.
EDGE_CALLS = {
    "triangle support ends at a and b": Call(
        [0.0], [0.0], -1.0, 1.0, kernel="triangle", method="quadrature"
    ),
    "triangle supports touch inside": Call(
        [0.0, 0.0], [0.0, 2.0], 0.5, 1.5, kernel="triangle", method="quadrature"
    ),
    "triangle support ends at b, auto": Call([0.0], [0.5], 0.0, 1.0, kernel="triangle"),
    "boxcar supports touch inside": Call(
        [0.0, 0.0], [0.0, 2.0], 0.5, 1.5, kernel="boxcar", method="quadrature"
    ),
    "boxcar gap inside": Call([0.0, 0.0], [0.0, 3.0], 0.5, 2.5, kernel="boxcar"),
    "triangle midpoint at a zero": Call(
        [0.0, 0.0], [0.0, 2.0], 0.0, 2.0, kernel="triangle", method="bins", bins=2
    ),
    "laplace on [-1e308, 1e308]": Call([0.0], [0.0], -1e308, 1e308, method="quadrature"),
    "gaussian on [-1e308, 1e308]": Call([0.0], [0.0], -1e308, 1e308, kernel="gaussian"),
    "laplace point at 1e308": Call([0.0, 0.0], [1e308, -1e308], -1.0, 1.0, method="quadrature"),
    "gaussian point at 1e308": Call([0.0], [1e308], -1.0, 1.0, kernel="gaussian"),
    "logits +-1e308": Call([1e308, -1e308], [0.0, 1.0], -1.0, 1.0, kernel="gaussian"),
    "logits +-1e308 triangle": Call(
        [1e308, -1e308], [0.0, 1.0], -1.0, 1.0, kernel="triangle", method="quadrature"
    ),
    "gaussian bandwidth 1e300": Call([0.0], [0.0], -1.0, 1.0, kernel="gaussian", bandwidth=1e300),
    "cauchy bandwidth 1e-300": Call([0.0], [0.0], -1.0, 1.0, kernel="cauchy", bandwidth=1e-300),
    "laplace bandwidth 5e-324": Call(
        [0.0], [0.0], -1.0, 1.0, bandwidth=5e-324, method="quadrature"
    ),
    "a = int beyond float": Call([0.0], [0.0], -(10**400), 1.0),
    "bandwidth = int beyond float": Call([0.0], [0.0], 0.0, 1.0, bandwidth=10**400),
    "bins = 10**13": Call([0.0], [0.0], 0.0, 1.0, method="bins", bins=10**13),
    "bins = 2**70": Call([0.0], [0.0], 0.0, 1.0, method="bins", bins=2**70),
    "bins = numpy int": Call([0.0], [0.0], 0.0, 1.0, method="bins", bins=np.int64(3)),
    "bins = 1.5": Call([0.0], [0.0], 0.0, 1.0, method="bins", bins=1.5),
    "bins = 0": Call([0.0], [0.0], 0.0, 1.0, method="bins", bins=0),
    "reversed interval": Call([0.0], [0.0], 1.0, 0.0),
    "zero-length interval": Call([0.0], [0.0], 1.0, 1.0),
    "subnormal interval": Call([0.0], [0.0], 0.0, 5e-324),
    "interval at 1e16": Call([0.0], [0.0], 1e16, 1e16 + 2.0, kernel="cauchy"),
    "negative bandwidth": Call([0.0], [0.0], 0.0, 1.0, bandwidth=-1.0),
    "zero bandwidth": Call([0.0], [0.0], 0.0, 1.0, bandwidth=0.0),
    "unknown kernel": Call([0.0], [0.0], 0.0, 1.0, kernel="epanechnikov"),
    "kernel not a string": Call([0.0], [0.0], 0.0, 1.0, kernel=["laplace"]),
    "string logits": Call("ab", [0.0, 1.0], 0.0, 1.0),
    # a (1, n) nested list is a batch of one row (the contract, tests/test_batch.py); one
    # whose x does not broadcast to z is refused naming both
    "nested lists that do not broadcast": Call([[0.0, 1.0]], [[0.0, 1.0, 2.0]], 0.0, 1.0),
    "ragged lists": Call([0.0, [1.0, 2.0]], [0.0, 1.0], 0.0, 1.0),
    "empty": Call([], [], 0.0, 1.0),
    "all masked": Call([-math.inf, -math.inf], [0.0, 1.0], 0.0, 1.0),
    "object array": Call(np.array([0.0, 1.0], dtype=object), [0.0, 1.0], 0.0, 1.0),
    "a is a Decimal": Call([0.0], [0.0], Decimal("0"), 1.0),
    "a is a Fraction": Call([0.0], [0.0], Fraction(-1, 3), 1.0),
    "a is a 1-element array": Call([0.0], [0.0], np.array([0.0]), 1.0),
    "a is a 0-d array": Call([0.0], [0.0], np.array(0.0), np.array(1)),
    "one masked point": Call([0.0, -math.inf], [0.0, 1.0], 0.0, 1.0),
    "bins = 1": Call([0.0, 1.0], [0.0, 1.0], 0.0, 1.0, method="bins", bins=1),
    "arc longer than 2 pi": Call([0.0], [0.0], -3.5, 3.5, circular=True),
    # CI (hypothesis 6.170.17) found it: an extreme a refused before the missing bandwidth,
    # and the oracle's own extremeness check once crashed on bandwidth=None.
    "extreme a, bandwidth None": Call([0.0], [0.0], -1e308, 1.0, bandwidth=None),
    "extreme x, bandwidth a string": Call([0.0], [1e300], 0.0, 1.0, bandwidth="1"),
    "extreme bins, b a string": Call([0.0], [0.0], 0.0, "1", method="bins", bins=10**9),
    # the fuzz test's exploring profile: a weight that underflows still covers (exact once
    # gave loss inf here; the oracle once took the point for dead)
    "a light point alone covers": Call(
        np.array([0.0, 1e308]), [0.0, 4.0], 0.0, 2.0, kernel="boxcar", bandwidth=2.0
    ),
    "a light point and a heavy one": Call(
        np.array([0.0, 1e308]), [0.0, 2.0], 0.0, 1.0, kernel="boxcar"
    ),
}


@pytest.mark.parametrize("function", ["loss", "grad", "loss_and_grad"])
@pytest.mark.parametrize("name", list(EDGE_CALLS))
def test_edge_inputs(name, function):
    check_call(replace(EDGE_CALLS[name], function=function))


def test_the_oracle_agrees_that_a_plain_call_is_valid():
    """The fuzz oracle is itself checked: a good call is valid, a bad one is named."""
    good = Call([0.0, 1.0], [0.0, 0.5], 0.0, 1.0)
    assert contract_violations(good) == set()
    assert contract_violations(replace(good, a=2.0)) == {"a", "b"}
    assert contract_violations(replace(good, method="bins")) == {"bins"}
    assert contract_violations(replace(good, kernel="gaussian", method="exact")) == {"method"}
    assert contract_violations(replace(good, z=[0.0])) == {"z", "x"}
    assert named_arguments("a, b: expected a < b") == {"a", "b"}
    assert named_arguments("expected a < b: a") == set()
    # extremeness reads only the arguments that are numbers; garbage is bad, not extreme
    assert is_extreme(replace(good, a=-1e308, bandwidth=None))
    assert is_extreme(replace(good, bandwidth=1e-20, z="z"))
    assert not is_extreme(replace(good, a=None, b="1", bandwidth=None, bins=1.5))
    assert not is_extreme(replace(good, method="bins", bins=True))


#: Draws the seeded CI profile's first calls and prints them (object addresses removed).
_DRAW_CALLS = """
import re
from dataclasses import replace
from hypothesis import given, settings
import tests.conftest  # registers and loads the profile named by SYMKDE_HYPOTHESIS_PROFILE
from tests.test_fuzz import calls
seen = []
@settings(max_examples=80)
@given(call=calls())
def collect(call):
    seen.append(repr(replace(call, omitted=tuple(sorted(call.omitted)))))
collect()
print(re.sub(r" at 0x[0-9a-f]+", "", "\\n".join(seen)))
"""


def test_the_ci_profile_draws_the_same_calls_in_every_process():
    """Seeded means reproducible: the calls drawn may not depend on PYTHONHASHSEED.

    They once did (a loop over a set of argument names), and CI failed on a call that no local
    run drew.
    """
    root = Path(__file__).parent.parent
    drawn = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "SYMKDE_HYPOTHESIS_PROFILE": "symkde-ci"}
        done = subprocess.run(
            [sys.executable, "-c", _DRAW_CALLS],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        drawn.append(done.stdout)
    assert drawn[0].count("Call(") == 80
    assert drawn[0] == drawn[1]


# --------------------------------------------------------------------------- no eval on strings

PACKAGE = Path(symkde.__file__).parent
#: Calls that run code from a string, whatever the string is.
CODE_RUNNERS = frozenset({"eval", "exec", "compile", "__import__", "parse_expr"})
#: Calls that run a string as code when given one (SymPy's parser uses eval).
STRING_PARSERS = frozenset({"sympify", "S"})


def called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def is_string_expression(node: ast.expr) -> bool:
    """A literal string, an f-string, a string concatenation, str(...) or '...'.format(...)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | bytes)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return is_string_expression(node.left) or is_string_expression(node.right)
    if isinstance(node, ast.Call):
        name = called_name(node)
        if name in ("str", "format", "join", "repr"):
            return True
    return False


def eval_like_calls(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        name = called_name(node)
        where = f"{filename}:{node.lineno}: {ast.unparse(node)[:80]}"
        is_builtin = isinstance(node.func, ast.Name) or (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "builtins"
        )
        if name in CODE_RUNNERS and (is_builtin or name == "parse_expr"):
            found.append(where)
        elif name in STRING_PARSERS and any(
            is_string_expression(arg) for arg in [*node.args, *(k.value for k in node.keywords)]
        ):
            found.append(where)
    return found


def test_no_eval_exec_or_sympify_of_strings_in_the_package():
    """No eval/exec/compile/__import__/parse_expr anywhere; sympify/S never on a string."""
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) > 10, f"found only {sources} under {PACKAGE}"
    found = [
        hit
        for path in sources
        for hit in eval_like_calls(path.read_text(), str(path.relative_to(PACKAGE.parent)))
    ]
    assert not found, "eval-like calls:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "snippet",
    [
        "eval('1')",
        "builtins.exec('x = 1')",
        "sp.sympify('x + 1')",
        "S(f'{name}')",
        "sympify(str(value))",
        "parse_expr(text)",
        "__import__('os')",
        "compile(text, 'f', 'eval')",
    ],
)
def test_the_scan_finds_eval_like_calls(snippet):
    """The scan can fail: each of these is caught."""
    assert eval_like_calls(snippet, "snippet.py")


@pytest.mark.parametrize(
    "snippet",
    ["sp.sympify(expr)", "sp.S(1) / 2", "re.compile('x')", "model.eval()", "ast.literal_eval('1')"],
)
def test_the_scan_allows_sympify_of_objects(snippet):
    assert not eval_like_calls(snippet, "snippet.py")


#: A string that changes the interpreter if anything evaluates it.
PAYLOAD = "__import__('builtins').__setattr__('SYMKDE_PAYLOAD_RAN', 1) or 'laplace'"


@pytest.mark.parametrize("argument", ["z", "x", "a", "b", "kernel", "bandwidth", "method", "bins"])
def test_strings_are_never_evaluated(argument):
    """A code string in any argument is rejected by name and never run."""
    call = replace(Call([0.0], [0.0], 0.0, 1.0, method="bins", bins=4), **{argument: PAYLOAD})
    with pytest.raises((ValueError, TypeError)) as info:
        call.run()
    assert named_arguments(str(info.value)) & {argument}
    assert not hasattr(builtins, "SYMKDE_PAYLOAD_RAN")


def test_call_box_stops_a_hang_and_a_runaway_allocation():
    """The box itself can fail a call: a sleep past its time, an array past its memory."""
    import time

    timed_out = pytest.raises(CallTimedOut, match=r"took more than 0\.2 s")
    with timed_out, call_box(0.2, 1 << 30, "sleep"):
        time.sleep(5)
    if address_space():  # Linux: the address-space limit applies
        with pytest.raises(MemoryError), call_box(5.0, 1 << 28, "allocate"):
            np.ones(1 << 30)  # 8 GiB
    with call_box(5.0, 1 << 28, "nothing"):  # limits are restored afterwards
        pass
    assert np.ones(1 << 26).sum() == 1 << 26
