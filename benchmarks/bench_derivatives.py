"""Cost of ``symkde.derivatives`` next to ``loss_and_grad`` for exact Laplace on the line.

Run: ``OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/bench_derivatives.py
[--sizes 100000,1000000] [--repeat 9]``.  Same process, same inputs, one warm-up each; the
two calls are *interleaved* (one of each per round), so that a change of load on a shared
machine hits both alike, and the ratio is the median of the per-round ratios.  Timed:
``loss_and_grad`` (loss + dL/dz, the compiled fast path), ``derivatives`` (loss, dL/dz,
dL/dx, dL/dh, dL/da, dL/db), and ``np.argsort`` of ``x`` (the algorithm's floor).  Points
uniform over ``[a - 1, b + 1]`` (a third inside the target), ``h = 40 (b - a) / n``,
logits standard normal.  Report ratios from one run only: absolute times are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import symkde
from benchmarks.timing import median_seconds


def _interleaved(first, second, repeat: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Median times of ``first`` and ``second`` and the median per-round ratio."""
    first(), second()
    times: list[tuple[float, float]] = []
    for _ in range(repeat):
        start = time.perf_counter()
        first()
        middle = time.perf_counter()
        second()
        times.append((middle - start, time.perf_counter() - middle))
    ratio = statistics.median(t2 / t1 for t1, t2 in times)
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times), ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    threads = {k: os.environ.get(k, "unset") for k in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS")}
    print(f"threads: {threads}; load average at start: {os.getloadavg()[0]:.2f}")
    rng = np.random.default_rng(0)
    a, b = 0.0, 1.0
    print(
        f"{'n':>8s} {'argsort ms':>11s} {'loss+grad ms':>13s} {'derivatives ms':>15s} {'ratio':>6s}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        x = rng.uniform(a - 1.0, b + 1.0, n)
        z = rng.normal(0.0, 1.0, n)
        h = 40.0 * (b - a) / n
        kw = dict(kernel="laplace", bandwidth=h, method="exact")
        sort_s = median_seconds(lambda x=x: np.argsort(x), args.repeat)
        base_s, all_s, ratio = _interleaved(
            lambda z=z, x=x, kw=kw: symkde.loss_and_grad(z, x, a, b, **kw),
            lambda z=z, x=x, kw=kw: symkde.derivatives(z, x, a, b, **kw),
            args.repeat,
        )
        print(
            f"{n:>8d} {1e3 * sort_s:>11.2f} {1e3 * base_s:>13.2f} {1e3 * all_s:>15.2f} "
            f"{ratio:>6.2f}"
        )


if __name__ == "__main__":
    main()
