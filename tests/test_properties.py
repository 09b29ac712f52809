"""Hypothesis properties of the numeric API (issue 7, section 1), every kernel x method on the line.

Each property is a theorem of ``symkde.theorems`` (named in the test's docstring) checked on
random valid inputs.  The profile ``symkde-ci`` is seeded (``derandomize=True``, no example
database), so CI sees the same examples on every run.  For a longer, randomized search::

    SYMKDE_HYPOTHESIS_PROFILE=symkde-dev python -m pytest tests/test_properties.py

Tolerances: API.md promises loss within ``1e-12 * max(1, |L|)`` and each gradient entry within
``1e-12`` of the truth for ``auto``/``exact``/``quadrature``, and of the exact midpoint sum for
``bins``.  Two computed values that must agree (a property relates two calls) may therefore
differ by twice that: ``PAIR_*`` below.  Tighter bounds are used where both calls perform the
same float operations.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from dataclasses import dataclass, replace
from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import find, given, settings
from hypothesis import strategies as st

import symkde
from symkde import reference
from symkde.errors import UncoveredTargetError
from tests.helpers import call_box

PROFILE = os.environ.get("SYMKDE_HYPOTHESIS_PROFILE", "symkde-ci")  # see tests/conftest.py
#: symkde-dev runs every property with 20x the CI example count.
_SCALE = 20 if PROFILE == "symkde-dev" else 1


def examples(count: int) -> settings:
    """Settings with ``count`` examples in CI (scaled up by the dev profile)."""
    return settings(max_examples=count * _SCALE)


# --------------------------------------------------------------------------- tolerances

#: API.md accuracy contract (absolute for gradient entries, relative to max(1, |L|) for loss).
LOSS_RTOL = 1e-12
GRAD_ATOL = 1e-12
#: Two independently accurate values: each within the contract of the truth.
PAIR_LOSS_RTOL = 2 * LOSS_RTOL
PAIR_GRAD_ATOL = 2 * GRAD_ATOL
#: sum_i dL/dz_i = sum_i S_i - mean_t sum_i R_i(t) = 1 - 1 = 0 (theorem gradient_sum_zero); the
#: issue asks for 1e-13: n <= 6 entries each rounded to a few ulps of 1.
SUM_ATOL = 1e-13
#: g_i = S_i - mean_t R_i with 0 <= R_i <= 1: S_i (computed here and in symkde) and the mean of
#: the R_i are each rounded to a few ulps of 1, so the bounds hold to a few eps.
BOUND_SLACK = 8 * float(np.finfo(np.float64).eps)

# --------------------------------------------------------------------------- kernels, methods

LINE_KERNELS = ("laplace", "gaussian", "boxcar", "triangle", "cauchy")
#: API.md: method="exact" exists for these (on the line and on the circle).
CLOSED_FORM = frozenset({"laplace", "boxcar", "triangle"})
COMPACT = frozenset({"boxcar", "triangle"})
#: Issue 5 (the circle) adds True here; the strategies already draw circular problems.
GEOMETRIES = (False,)


def methods_for(kernel: str) -> tuple[str, ...]:
    """Every method that accepts ``kernel`` (``exact`` only with a closed form)."""
    if kernel in CLOSED_FORM:
        return ("auto", "exact", "quadrature", "bins")
    return ("auto", "quadrature", "bins")


CASES = [
    pytest.param(kernel, method, circular, id=f"{kernel}-{method}{'-circle' if circular else ''}")
    for circular in GEOMETRIES
    for kernel in LINE_KERNELS
    for method in methods_for(kernel)
]


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One valid call of the numeric API."""

    z: np.ndarray
    x: np.ndarray
    a: float
    b: float
    kernel: str
    bandwidth: float
    method: str
    bins: int | None
    circular: bool = False

    @property
    def n(self) -> int:
        return int(self.z.size)

    def options(self) -> dict[str, Any]:
        return {
            "kernel": self.kernel,
            "bandwidth": self.bandwidth,
            "circular": self.circular,
            "method": self.method,
            "bins": self.bins,
        }

    def loss_and_grad(self, **changes: Any) -> tuple[float, np.ndarray]:
        p = replace(self, **changes)
        with bounded():
            return symkde.loss_and_grad(p.z, p.x, p.a, p.b, **p.options())

    def weights(self) -> np.ndarray:
        """S = softmax(z), computed here (not by symkde); 0 where z = -inf."""
        shifted = self.z - self.z.max()
        e = np.exp(shifted)
        return e / math.fsum(e)


#: One call may take this long and map this much more memory (a runaway quadrature fails the
#: test with CallTimedOut / MemoryError instead of hanging CI or exhausting the machine).
CALL_SECONDS = 20.0
CALL_MEMORY = 4 << 30


def bounded() -> contextlib.AbstractContextManager[None]:
    return call_box(CALL_SECONDS, CALL_MEMORY, "a symkde call")


def finite(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def targets(draw: st.DrawFn, circular: bool) -> tuple[float, float]:
    """``(a, b)``: an interval on the line, or an arc of length in (0, 2 pi] on the circle."""
    a = draw(finite(-3.0, 3.0))
    width = draw(finite(0.1, 2 * math.pi if circular else 4.0))
    return a, a + width


@st.composite
def problems(
    draw: st.DrawFn,
    kernel: str,
    method: str,
    *,
    circular: bool = False,
    min_points: int = 1,
    max_points: int = 5,
) -> Problem:
    """A valid problem: points inside, near and away from the target; logits in [-6, 6].

    Compact kernels get an anchor point (``x[0]``) whose support contains ``[a, b]`` with a
    margin, so ``p > 0`` on the target (uncovered targets: tests/test_numeric.py).
    """
    a, b = draw(targets(circular))
    width = b - a
    n = draw(st.integers(min_points, max_points))
    if kernel in COMPACT:
        h = width * draw(finite(0.6, 2.0))
        anchor = draw(finite(b - 0.95 * h, a + 0.95 * h))
    else:
        h = width * draw(finite(0.02, 2.0))
    if circular:
        x = draw(st.lists(finite(-math.pi, math.pi), min_size=n, max_size=n))
    else:
        x = [a + width * s for s in draw(st.lists(finite(-2.0, 3.0), min_size=n, max_size=n))]
    if kernel in COMPACT:
        x[0] = anchor
    z = draw(st.lists(finite(-6.0, 6.0), min_size=n, max_size=n))
    bins = draw(st.integers(1, 48)) if method == "bins" else None
    return Problem(np.array(z), np.array(x), a, b, kernel, h, method, bins, circular)


def assert_losses_close(got: float, want: float, rtol: float, what: str) -> None:
    scale = max(1.0, abs(want))
    assert abs(got - want) <= rtol * scale, (
        f"{what}: {got!r} vs {want!r}, |diff| / max(1, |L|) = {abs(got - want) / scale:.3e}"
    )


def assert_grads_close(got: np.ndarray, want: np.ndarray, atol: float, what: str) -> None:
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    err = np.abs(got - want)
    assert np.all(err <= atol), (
        f"{what}: max |diff| {err.max():.3e} > {atol} at index {int(err.argmax())}\n"
        f"  got  {got!r}\n  want {want!r}"
    )


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize(("kernel", "method", "circular"), CASES)
@examples(20)
@given(data=st.data())
def test_gradient_sums_to_zero(kernel, method, circular, data):
    """Theorem gradient_sum_zero: sum_i dL/dz_i = 0."""
    problem = data.draw(problems(kernel, method, circular=circular))
    _, g = problem.loss_and_grad()
    assert abs(math.fsum(g)) <= SUM_ATOL, f"sum of gradient = {math.fsum(g)!r}, g = {g!r}"


@pytest.mark.parametrize(("kernel", "method", "circular"), CASES)
@examples(20)
@given(data=st.data())
def test_gradient_components_lie_in_s_minus_one_to_s(kernel, method, circular, data):
    """Theorem gradient_bounds: S_i - 1 <= dL/dz_i <= S_i."""
    problem = data.draw(problems(kernel, method, circular=circular))
    loss, g = problem.loss_and_grad()
    s = problem.weights()
    assert math.isfinite(loss)
    assert np.all(g <= s + BOUND_SLACK), f"g - S = {g - s!r}"
    assert np.all(g >= s - 1 - BOUND_SLACK), f"g - (S - 1) = {g - (s - 1)!r}"


@pytest.mark.parametrize(("kernel", "method", "circular"), CASES)
@examples(20)
@given(data=st.data())
def test_permuting_points_permutes_gradient(kernel, method, circular, data):
    """The loss is a symmetric function of the pairs (z_j, x_j)."""
    problem = data.draw(problems(kernel, method, circular=circular, min_points=2))
    perm = np.array(data.draw(st.permutations(range(problem.n))))
    loss, g = problem.loss_and_grad()
    loss_p, g_p = problem.loss_and_grad(z=problem.z[perm], x=problem.x[perm])
    assert_losses_close(loss_p, loss, PAIR_LOSS_RTOL, "permuted loss")
    assert_grads_close(g_p, g[perm], PAIR_GRAD_ATOL, "permuted gradient")


@pytest.mark.parametrize(("kernel", "method", "circular"), CASES)
@examples(20)
@given(data=st.data(), shift=finite(-100.0, 100.0))
def test_adding_a_constant_to_all_logits_changes_nothing(kernel, method, circular, data, shift):
    """Theorem logit_shift: softmax(z + c) = softmax(z).

    Rounding ``z + c`` moves each logit by half an ulp of 106 at most (1e-14), which moves the
    loss and each gradient entry by less than that: far inside the pair tolerance.
    """
    problem = data.draw(problems(kernel, method, circular=circular))
    loss, g = problem.loss_and_grad()
    loss_s, g_s = problem.loss_and_grad(z=problem.z + shift)
    assert_losses_close(loss_s, loss, PAIR_LOSS_RTOL, f"loss with logits + {shift}")
    assert_grads_close(g_s, g, PAIR_GRAD_ATOL, f"gradient with logits + {shift}")


@pytest.mark.parametrize(("kernel", "method", "circular"), CASES)
@examples(20)
@given(data=st.data())
def test_masked_point_equals_removed_point(kernel, method, circular, data):
    """z_j = -inf gives S_j = 0: the point drops out of p, and its gradient entry is 0."""
    problem = data.draw(problems(kernel, method, circular=circular, min_points=2))
    # x[0] stays live: for compact kernels it is the anchor that covers [a, b].
    rest = data.draw(st.lists(st.booleans(), min_size=problem.n - 1, max_size=problem.n - 1))
    masked = np.array([False, *rest])
    loss_m, g_m = problem.loss_and_grad(z=np.where(masked, -np.inf, problem.z))
    loss_r, g_r = problem.loss_and_grad(z=problem.z[~masked], x=problem.x[~masked])
    assert np.all(g_m[masked] == 0.0), f"masked entries of the gradient: {g_m[masked]!r}"
    assert_losses_close(loss_m, loss_r, PAIR_LOSS_RTOL, "loss with masked points")
    assert_grads_close(g_m[~masked], g_r, PAIR_GRAD_ATOL, "gradient with masked points")


# --------------------------------------------------------------------------- against mpmath

#: Central difference step for the mpmath loss: truncation error step**2 / 6 * |L'''| ~ 1e-19
#: (third derivatives of the loss in the logits are O(1)).
FD_STEP = mpmath.mpf(2) ** -30
FD_DPS = 30


def reference_central_difference(problem: Problem, method: str, bins: int | None) -> list[float]:
    """dL/dz_i ~ (L(z + step e_i) - L(z - step e_i)) / (2 step), L from symkde.reference."""
    z = [mpmath.mpf(float(v)) for v in problem.z]
    options = {
        "kernel": problem.kernel,
        "bandwidth": problem.bandwidth,
        "circular": problem.circular,
        "method": method,
        "bins": bins,
        "dps": FD_DPS,
        # one evaluation: the reference's self-check is tested with the reference itself
        "check": False,
    }
    out = []
    # z_i +- step must be formed exactly (not at mpmath's default 15 digits).
    with mpmath.workdps(2 * FD_DPS + 40):
        for i in range(problem.n):
            plus = [v + FD_STEP if j == i else v for j, v in enumerate(z)]
            minus = [v - FD_STEP if j == i else v for j, v in enumerate(z)]
            up = reference.loss(plus, problem.x.tolist(), problem.a, problem.b, **options)
            down = reference.loss(minus, problem.x.tolist(), problem.a, problem.b, **options)
            out.append(float((up - down) / (2 * FD_STEP)))
    return out


@pytest.mark.parametrize("circular", GEOMETRIES)
@pytest.mark.parametrize("kernel", LINE_KERNELS)
@examples(3)
@given(data=st.data())
def test_grad_matches_central_difference_of_reference_loss(kernel, circular, data):
    """Theorem gradient (dL/dz_i = S_i - mean R_i), checked against d/dz of the mpmath loss.

    Error budget of the difference quotient: truncation ~1e-19; reference error
    10**-(dps - 5) * max(1, |L|) / step ~ 1e-16 * max(1, |L|); then the 1e-12 contract.
    """
    problem = data.draw(problems(kernel, "quadrature", circular=circular, max_points=3))
    bins = data.draw(st.integers(1, 24))
    with bounded():
        loss = symkde.loss(problem.z, problem.x, problem.a, problem.b, **problem.options())
    fd_slack = 1e-15 * max(1.0, abs(loss))
    integral_fd = np.array(reference_central_difference(problem, "integral", None))
    for method in methods_for(kernel):
        if method == "bins":
            want = np.array(reference_central_difference(problem, "bins", bins))
            got = problem.loss_and_grad(method="bins", bins=bins)[1]
        else:
            want = integral_fd
            got = problem.loss_and_grad(method=method)[1]
        assert_grads_close(got, want, GRAD_ATOL + fd_slack, f"{method}: grad vs mpmath difference")


# --------------------------------------------------------------------------- Laplace contraction


@dataclass(frozen=True)
class Contraction:
    """A problem with no point inside [a, b] and a move ``d`` toward [a, b] (d <= closest gap)."""

    problem: Problem
    right: np.ndarray  # which points lie right of [a, b] (x_j >= b); the others have x_j <= a
    step: float

    def moved(self) -> Problem:
        p = self.problem
        return replace(p, x=np.where(self.right, p.x - self.step, p.x + self.step))


@st.composite
def contractions(draw: st.DrawFn, kernel: str, method: str) -> Contraction:
    a, b = draw(targets(False))
    width = b - a
    n = draw(st.integers(1, 5))
    h = width * draw(finite(0.05, 2.0))
    gaps = [width * g for g in draw(st.lists(finite(0.0, 3.0), min_size=n, max_size=n))]
    right = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    x = np.where(right, b + np.array(gaps), a - np.array(gaps))
    # the gaps as they are in float64, and the step never past the closest point
    closest = float(np.min(np.where(right, x - b, a - x)))
    step = closest * draw(st.one_of(st.just(1.0), finite(0.0, 1.0)))
    z = np.array(draw(st.lists(finite(-6.0, 6.0), min_size=n, max_size=n)))
    bins = draw(st.integers(1, 48)) if method == "bins" else None
    return Contraction(Problem(z, x, a, b, kernel, h, method, bins), right, step)


@functools.cache
def contraction_loss_shift() -> sp.Expr:
    """The loss change under the move, derived by SymPy from the Laplace kernel (theorem
    laplace_contraction_interval: every kernel value is multiplied by the same factor).

    A point at distance ``d + e`` (``e >= 0``) from a node ``t`` lands at distance ``e``;
    log K rises by a constant that depends on neither ``e`` nor the side, so
    ``log p(t)`` rises by it at every ``t`` in [a, b], and ``L = -mean log p`` falls by it.
    """
    from symkde.symbolic.kernels import KERNELS, h, u

    d, e = sp.symbols("d e", nonnegative=True)
    log_k = KERNELS["laplace"].log_density
    rise_right = sp.simplify(log_k.subs(u, -e) - log_k.subs(u, -(d + e)))  # point right of t
    rise_left = sp.simplify(log_k.subs(u, e) - log_k.subs(u, d + e))  # point left of t
    assert sp.simplify(rise_right - rise_left) == 0, (rise_right, rise_left)
    assert not rise_right.has(e), rise_right
    shift = -rise_right
    assert sp.simplify(shift + d / h) == 0, shift  # the constant is -d/h
    return sp.Lambda((d, h), shift)


def contraction_defect(case: Contraction) -> tuple[float, float]:
    """(max |g' - g|, |L' - (L + shift)| / max(1, |L|)) for the move."""
    loss, g = case.problem.loss_and_grad()
    loss_m, g_m = case.moved().loss_and_grad()
    shift = float(contraction_loss_shift()(case.step, case.problem.bandwidth))
    return float(np.max(np.abs(g_m - g))), abs(loss_m - (loss + shift)) / max(1.0, abs(loss))


@pytest.mark.parametrize("method", methods_for("laplace"))
@examples(25)
@given(data=st.data())
def test_laplace_contraction_keeps_gradient_and_shifts_loss_by_minus_d_over_h(method, data):
    """Theorem laplace_contraction_interval: no point in [a, b], all move toward it by d."""
    case = data.draw(contractions("laplace", method))
    grad_change, loss_defect = contraction_defect(case)
    assert grad_change <= PAIR_GRAD_ATOL, f"gradient moved by {grad_change:.3e}"
    # L' = L - d/h: the moved loss is exactly d/h lower, up to the two calls' tolerances
    assert loss_defect <= 2 * PAIR_LOSS_RTOL, f"L' - (L - d/h) is {loss_defect:.3e} x max(1, |L|)"


@pytest.mark.parametrize("method", methods_for("gaussian"))
def test_gaussian_contraction_changes_the_gradient(method):
    """The same move with a Gaussian kernel is not invisible: hypothesis must find a witness.

    (``find`` raises ``NoSuchExample`` when the search comes back empty, failing the test.)
    """
    witness = find(
        contractions("gaussian", method),
        lambda case: contraction_defect(case)[0] > 1e-6,
        settings=settings(max_examples=200, derandomize=True, database=None),
    )
    grad_change, _ = contraction_defect(witness)
    assert grad_change > 1e-6


# --------------------------------------------------------------------------- input types


def input_variants(problem: Problem, data: st.DataObject) -> dict[str, dict[str, Any]]:
    """The same problem as float32, integer and list inputs (values rounded where needed)."""
    z32, x32 = problem.z.astype(np.float32), problem.x.astype(np.float32)
    a32, b32 = np.float32(problem.a), np.float32(problem.b)
    if not a32 < b32:
        b32 = np.nextafter(a32, np.float32(np.inf))
    a_int = math.floor(problem.a)
    b_int = a_int + max(1, round(problem.b - problem.a))
    int_dtype = data.draw(st.sampled_from([np.int64, np.int32, np.int16]))
    bandwidth_int = max(1, math.ceil(problem.bandwidth))
    return {
        "float32": {
            "z": z32,
            "x": x32,
            "a": a32,
            "b": b32,
            "bandwidth": np.float32(problem.bandwidth),
        },
        "list": {"z": problem.z.tolist(), "x": problem.x.tolist()},
        "int": {
            "z": np.round(problem.z).astype(int_dtype),
            "x": np.round(problem.x).astype(int_dtype),
            "a": a_int,
            "b": np.int64(b_int),
            "bandwidth": bandwidth_int,
        },
        "list-of-int": {"z": [round(v) for v in problem.z], "x": [round(v) for v in problem.x]},
    }


def outcome(problem: Problem, **inputs: Any) -> tuple[str, Any, Any]:
    """``("ok", loss, grad)``, or ``(exception type name, loss or None, None)``."""
    p = replace(problem, **{k: v for k, v in inputs.items() if k == "bandwidth"})
    z, x = inputs.get("z", p.z), inputs.get("x", p.x)
    a, b = inputs.get("a", p.a), inputs.get("b", p.b)
    try:
        with bounded():
            loss, g = symkde.loss_and_grad(z, x, a, b, **p.options())
    except UncoveredTargetError:
        with bounded():
            return "UncoveredTargetError", symkde.loss(z, x, a, b, **p.options()), None
    except Exception as exc:  # the dtype property: the same outcome as float64 inputs give
        return type(exc).__name__, None, None
    return "ok", loss, g


@pytest.mark.parametrize(("kernel", "method", "circular"), CASES)
@examples(10)
@given(data=st.data())
def test_float32_int_and_list_inputs_give_float64_results(kernel, method, circular, data):
    """API.md: array-likes of any real dtype, computed in float64."""
    problem = data.draw(problems(kernel, method, circular=circular))
    for name, inputs in input_variants(problem, data).items():
        as_float64 = {
            k: (np.asarray(v, dtype=np.float64) if k in "zx" else float(v))
            for k, v in inputs.items()
        }
        kind, loss, g = outcome(problem, **inputs)
        kind64, loss64, g64 = outcome(problem, **as_float64)
        assert kind == kind64, f"{name}: {kind} but {kind64} for the same values in float64"
        if loss is not None:
            assert type(loss) is float, f"{name}: loss is {type(loss).__name__}, not float"
            assert loss == loss64, f"{name}: loss {loss!r} != {loss64!r} from float64 inputs"
        if kind == "ok":
            assert g.dtype == np.float64, f"{name}: gradient dtype {g.dtype}"
            assert g.shape == (problem.n,)
            np.testing.assert_array_equal(g, g64, err_msg=name)
        elif kind == "UncoveredTargetError":
            assert loss == math.inf, f"{name}: uncovered target but loss = {loss!r}"
