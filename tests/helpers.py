"""Shared test helpers: closeness checks in ulps (scipy.special / Boost style) and the grid.

``assert_close`` reports max absolute and relative error, the error in units of float64
epsilon, how many entries failed and each bad entry, and always names the reference
precision it measures against.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import resource
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

EPS = float(np.finfo(np.float64).eps)
#: API.md contract: loss within 1e-12 * max(1, |L|), each gradient entry within 1e-12.
LOSS_RTOL = 1e-12
GRAD_ATOL = 1e-12
#: The ``record_property`` name under which a test hands a summary table to the terminal
#: (printed by ``tests/conftest.py`` after the run, also for tests a pytest-xdist worker ran).
SUMMARY = "symkde_summary"


def assert_close(got, ref, *, atol=0.0, rtol=0.0, ref_dps: int, what: str = "value") -> None:
    """Assert ``|got - ref| <= atol + rtol * max(1, |ref|)`` entry-wise, with a full report.

    ``ref`` is a high-precision value (mpmath numbers or floats); ``ref_dps`` is the
    precision it was computed at and must exceed float64's 16 digits by a margin.
    """
    assert ref_dps >= 30, f"reference precision {ref_dps} digits is too low to judge float64"
    got_a = np.atleast_1d(np.asarray(got, dtype=np.float64))
    ref_a = np.atleast_1d(
        np.array([float(r) for r in np.atleast_1d(np.asarray(ref, dtype=object))])
    )
    assert got_a.shape == ref_a.shape, f"{what}: shape {got_a.shape} != reference {ref_a.shape}"
    both_inf = np.isinf(got_a) & np.isinf(ref_a) & (np.sign(got_a) == np.sign(ref_a))
    err = np.where(both_inf, 0.0, np.abs(got_a - ref_a))
    bound = atol + rtol * np.maximum(1.0, np.abs(ref_a))
    bad = ~(err <= bound)
    if bad.any():
        scale = np.maximum(1.0, np.abs(ref_a))
        lines = [
            f"{what}: {int(bad.sum())} of {err.size} entries off (reference at {ref_dps} digits);"
            f" max abs err {err.max():.3e}, max rel err {(err / scale).max():.3e}"
            f" = {(err / scale).max() / EPS:.1f} eps; bound atol={atol} rtol={rtol}"
        ]
        lines += [
            f"  [{i}] got {got_a[i]!r} ref {ref_a[i]!r} err {err[i]:.3e}"
            for i in np.flatnonzero(bad)[:20]
        ]
        raise AssertionError("\n".join(lines))


def ulps(got, ref) -> np.ndarray:
    """Error in units of float64 epsilon, relative to max(1, |ref|)."""
    got_a = np.atleast_1d(np.asarray(got, dtype=np.float64))
    ref_a = np.atleast_1d(
        np.array([float(r) for r in np.atleast_1d(np.asarray(ref, dtype=object))])
    )
    return np.abs(got_a - ref_a) / np.maximum(1.0, np.abs(ref_a)) / EPS


@dataclass(frozen=True)
class Case:
    """One point of the argument grid."""

    regime: str
    z: np.ndarray
    x: np.ndarray
    a: float
    b: float
    bandwidth: float
    kernels: Sequence[str] = field(default=("laplace", "gaussian", "boxcar", "triangle", "cauchy"))

    @property
    def id(self) -> str:
        return f"{self.regime}-n{self.z.size}-h{self.bandwidth:g}"


def argument_grid(seed: int = 20261126, *, quick: bool = False) -> Iterator[Case]:
    """Seeded grid over regimes (scipy.special style): inside, edges, far one/both sides, ...

    Bandwidths span tiny to huge; logits span +-700 with -inf masks.  Compact kernels appear
    only where their support covers [a, b] (otherwise the loss is +inf by contract and is
    tested separately).
    """
    rng = np.random.default_rng(seed)
    a, b = -0.5, 1.5
    smooth = ("laplace", "gaussian", "cauchy")
    bandwidths = (0.05, 1.0) if quick else (1e-3, 0.05, 1.0, 1e3)
    for h, n in itertools.product(bandwidths, (1, 3, 12) if quick else (1, 2, 5, 20)):
        span = b - a
        yield Case("inside", rng.normal(0, 2, n), rng.uniform(a, b, n), a, b, h, smooth)
        x_edge = rng.choice([a, b], n) + rng.choice([0.0, 1e-9, -1e-9], n)
        yield Case("edges", rng.normal(0, 1, n), x_edge, a, b, h, smooth)
        far = 3000 * h
        yield Case(
            "far-one-side", rng.normal(0, 3, n), b + far + rng.uniform(0, 5 * h, n), a, b, h, smooth
        )
        sides = rng.choice([-1.0, 1.0], n)
        x_both = np.where(sides > 0, b + far, a - far) + rng.uniform(0, 3 * h, n) * sides
        yield Case("far-both-sides", rng.normal(0, 3, n), x_both, a, b, h, smooth)
        z_ext = rng.choice([-700.0, 0.0, 700.0], n) + rng.normal(0, 1, n)
        yield Case("logits-700", z_ext, rng.uniform(a - span, b + span, n), a, b, h, smooth)
        if n > 1:
            z_mask = rng.normal(0, 1, n)
            z_mask[rng.choice(n, n // 2, replace=False)] = -np.inf
            yield Case("masked", z_mask, rng.uniform(a, b, n), a, b, h, smooth)
        # compact kernels where the supports cover [a, b]
        hc = max(h, 2.5)
        yield Case(
            "compact-cover",
            rng.normal(0, 1, n),
            rng.uniform(a, b, n),
            a,
            b,
            hc,
            ("boxcar", "triangle", "laplace"),
        )


# --------------------------------------------------------------------------- boxed calls


class CallTimedOut(Exception):
    """A boxed call ran past its time limit (a hang)."""


def address_space() -> int:
    """Bytes of virtual memory this process maps now (Linux /proc; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def call_box(seconds: float, memory: int, what: str, *, ceiling_from: int = 0) -> Iterator[None]:
    """Raise CallTimedOut after ``seconds`` and cap the address space the call may add.

    A runaway allocation becomes a MemoryError instead of swapping the machine.  The cap is
    ``memory`` bytes above what is mapped now; with ``ceiling_from`` (bytes mapped at some
    earlier point) it is also at most ``ceiling_from + 2 memory``, a fixed ceiling, so that
    memory a leaked array holds is not re-granted call after call.
    """

    def expire(signum: int, frame: Any) -> None:
        raise CallTimedOut(f"took more than {seconds} s: {what}")

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    mapped = address_space()
    if mapped:
        cap = mapped + memory
        if ceiling_from:
            cap = min(max(ceiling_from, mapped) + memory, ceiling_from + 2 * memory)
        resource.setrlimit(resource.RLIMIT_AS, (cap if hard < 0 else min(cap, hard), hard))
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def log_softmax(z: Any) -> np.ndarray:
    """``log softmax(z)`` computed here (not by symkde); ``-inf`` stays ``-inf`` (masked)."""
    z = np.asarray(z, dtype=np.float64)
    top = z[np.isfinite(z)].max()
    return z - top - np.log(np.sum(np.exp(z[np.isfinite(z)] - top)))
