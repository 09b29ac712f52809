"""Numeric cross-check of the NumPy code against the mpmath reference (``symkde verify``).

A quick seeded grid (every kernel x method on the line, regimes: inside, edges, far on one
and both sides, logits +-700, masked points) is evaluated by the NumPy API and by
``symkde.reference`` at 30 digits; errors are reported in units of float64 epsilon (max and
mean per kernel and regime) and judged against docs/contract.md: loss within 1e-12 * max(1, |L|),
each gradient component within 1e-12.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

import numpy as np

import symkde

__all__ = ["Check", "numeric_checks", "run_numeric_checks"]

EPS = float(np.finfo(np.float64).eps)
LOSS_RTOL = 1e-12
GRAD_ATOL = 1e-12
REF_DPS = 30


@dataclass(frozen=True)
class Check:
    kernel: str
    method: str
    regime: str
    loss_err: float  # |L - L_ref| / max(1, |L_ref|)
    grad_err: float  # max_i |g_i - g_ref_i|

    @property
    def ok(self) -> bool:
        return self.loss_err <= LOSS_RTOL and self.grad_err <= GRAD_ATOL


def _cases(quick: bool) -> Iterator[tuple[str, dict]]:
    rng = np.random.default_rng(20261126)
    n = 3 if quick else 6
    a, b = -0.5, 1.0
    for h in (0.3,) if quick else (0.01, 0.3, 5.0):
        z = rng.normal(0, 1, n)
        yield "inside", dict(z=z, x=rng.uniform(a, b, n), a=a, b=b, bandwidth=h)
        yield "edges", dict(z=z, x=np.array([a, b, 0.25, a, b, b][:n]), a=a, b=b, bandwidth=h)
        yield (
            "far-one-side",
            dict(z=z, x=b + 3000 * h + rng.uniform(0, 2 * h, n), a=a, b=b, bandwidth=h),
        )
        x_both = np.where(np.arange(n) % 2 == 0, a - 2000 * h, b + 2500 * h) + rng.uniform(0, h, n)
        yield "far-both-sides", dict(z=z, x=x_both, a=a, b=b, bandwidth=h)
        z700 = np.array([700.0, -700.0, 0.5, -699.0, 701.0, 3.0][:n])
        yield "logits-700", dict(z=z700, x=rng.uniform(a - 1, b + 1, n), a=a, b=b, bandwidth=h)
        z_mask = z.copy()
        z_mask[1] = -np.inf
        yield "masked", dict(z=z_mask, x=rng.uniform(a, b, n), a=a, b=b, bandwidth=h)


def _methods(kernel: str) -> list[tuple[str, int | None]]:
    methods: list[tuple[str, int | None]] = [("quadrature", None), ("bins", 37)]
    if kernel in ("laplace", "boxcar", "triangle"):
        methods.insert(0, ("exact", None))
    return methods


def _circle_cases(quick: bool) -> Iterator[tuple[str, dict]]:
    rng = np.random.default_rng(20261127)
    n = 3 if quick else 6
    for h in (0.6,) if quick else (0.05, 0.6, 4.0):
        z = rng.normal(0, 1, n)
        x = rng.uniform(-np.pi, np.pi, n) + 2 * np.pi * rng.integers(-2, 3, n)
        yield "circle-across-pi", dict(z=z, x=x, a=2.6, b=3.9, bandwidth=h)
        yield "circle-full", dict(z=z, x=x, a=-np.pi, b=np.pi, bandwidth=h)


def numeric_checks(quick: bool = True) -> Iterator[Check]:
    """Yield one :class:`Check` per (case, kernel, method), on the line and on the circle."""
    yield from _line_checks(quick)
    yield from _circle_checks(quick)


def _compare(
    kernel: str, method: str, bins: int | None, regime: str, kw: dict, circular: bool
) -> Check:
    from symkde import reference

    args = (kw["z"], kw["x"], kw["a"], kw["b"])
    shared = dict(kernel=kernel, bandwidth=kw["bandwidth"], circular=circular, bins=bins)
    got_l, got_g = symkde.loss_and_grad(*args, method=method, **shared)
    ref_method = "bins" if method == "bins" else "integral"
    ref_l, ref_g = reference.loss_and_grad(*args, method=ref_method, dps=REF_DPS, **shared)
    loss_err = abs(got_l - float(ref_l)) / max(1.0, abs(float(ref_l)))
    grad_err = max(abs(g - float(r)) for g, r in zip(got_g, ref_g, strict=True))
    return Check(kernel, method, regime, loss_err, grad_err)


def _circle_checks(quick: bool) -> Iterator[Check]:
    for regime, case in _circle_cases(quick):
        for kernel in ("laplace", "gaussian", "boxcar", "triangle", "cauchy", "vonmises"):
            kw = dict(case)
            if kernel in ("boxcar", "triangle"):
                kw["bandwidth"] = 3.5  # wider than pi: every support wraps
            for method, bins in (("quadrature", None), ("bins", 37)):
                yield _compare(kernel, method, bins, regime, kw, circular=True)


def _line_checks(quick: bool) -> Iterator[Check]:
    for regime, case in _cases(quick):
        for kernel in ("laplace", "gaussian", "boxcar", "triangle", "cauchy"):
            kw = dict(case)
            if kernel in ("boxcar", "triangle"):
                if regime.startswith("far"):
                    continue  # uncovered by contract: tested separately (loss = inf)
                kw["bandwidth"] = 2.0  # wide enough to cover [a, b]
            for method, bins in _methods(kernel):
                yield _compare(kernel, method, bins, regime, kw, circular=False)


def run_numeric_checks(out: TextIO, quick: bool = True) -> bool:
    """Run the grid, print the worst errors per kernel, method; True iff all hold the contract."""
    start = time.perf_counter()
    worst: dict[tuple[str, str], list[Check]] = defaultdict(list)
    count = 0
    for check in numeric_checks(quick):
        count += 1
        circ = check.regime.startswith("circle")
        worst[(check.kernel + (" (circle)" if circ else ""), check.method)].append(check)
        if count % 20 == 0:
            print(f"  ... {count} comparisons", file=out, flush=True)
    ok_all = True
    print(
        f"  {'kernel':<18} {'method':<11} {'cases':>5} {'loss max eps':>13} {'grad max eps':>13}"
        f"  worst regime     ok",
        file=out,
    )
    for (kernel, method), checks in worst.items():
        lmax = max(c.loss_err for c in checks)
        gmax = max(c.grad_err for c in checks)
        bad = max(checks, key=lambda c: max(c.loss_err / LOSS_RTOL, c.grad_err / GRAD_ATOL))
        ok = all(c.ok for c in checks)
        ok_all &= ok
        print(
            f"  {kernel:<18} {method:<11} {len(checks):>5} {lmax / EPS:>13.1f} {gmax / EPS:>13.1f}"
            f"  {bad.regime:<16} {'yes' if ok else 'NO'}",
            file=out,
        )
    print(
        f"  {count} comparisons against mpmath at {REF_DPS} digits in "
        f"{time.perf_counter() - start:.1f} s; bound: loss {LOSS_RTOL} relative, "
        f"gradient {GRAD_ATOL} absolute",
        file=out,
    )
    return (
        ok_all
        and count > 0
        and not math.isnan(sum(c.grad_err for cs in worst.values() for c in cs))
    )
