"""Cost of ``symkde.derivatives`` next to ``loss_and_grad``: exact Laplace (or compact) kernels.

Run: ``OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/bench_derivatives.py
[--sizes 100000,1000000] [--repeat 9]``.  Same process, same inputs, one warm-up each; the
two calls are *interleaved* (one of each per round), so that a change of load on a shared
machine hits both alike, and the ratio is the median of the per-round ratios.  Timed:
``loss_and_grad`` (loss + dL/dz, the compiled fast path), ``derivatives`` (loss, dL/dz,
dL/dx, dL/dh, dL/da, dL/db), and ``np.argsort`` of ``x`` (the algorithm's floor).  Points
uniform over ``[a - 1, b + 1]`` (a third inside the target), ``h = 40 (b - a) / n``,
logits standard normal.  Report ratios from one run only: absolute times are noisy.

``--triangle`` (issue 14) times instead the exact triangle (``--boxcar``: the boxcar, whose
jump terms are the window sums): ``x ~ U[-0.2, 1.2]``, target
``[0, 1]``, ``h = 0.05`` (each support holds ~``n/28`` points), logits standard normal, sizes
``--triangle-sizes`` (default 1000,10000,100000).  Columns: ``loss_and_grad``, ``derivatives``
(the log-space window sums of :mod:`symkde.numeric.derivative_compact`, ``O(n log n)``) and,
up to ``--direct-max`` points, ``derivatives`` with the direct per-segment forms of
:mod:`symkde.numeric.derivative_triangle` swapped in (``O(n * segments)``, the old path);
``direct/new`` and ``new/l+g`` are medians of per-round ratios (the calls interleaved).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

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


def _compact(kernel: str, sizes: list[int], repeat: int, direct_max: int) -> None:
    """The exact triangle or boxcar: window sums vs the direct forms vs ``loss_and_grad``."""
    from symkde.numeric import derivative_compact, derivative_triangle

    name = "triangle_position_bandwidth" if kernel == "triangle" else "boxcar_jumps"
    fast = getattr(derivative_compact, name)
    slow = getattr(
        derivative_triangle,
        "triangle_position_bandwidth" if kernel == "triangle" else "boxcar_jumps_direct",
    )
    rng = np.random.default_rng(1)
    a, b, h = 0.0, 1.0, 0.05
    kw: dict[str, Any] = {"kernel": kernel, "bandwidth": h, "method": "exact"}
    print(f"kernel={kernel}, h={h}, x ~ U[-0.2, 1.2], target [{a}, {b}]")
    print(
        f"{'n':>8s} {'loss+grad ms':>13s} {'new ms':>9s} {'direct ms':>10s} "
        f"{'direct/new':>11s} {'new/l+g':>8s}"
    )
    for n in sizes:
        x = rng.uniform(-0.2, 1.2, n)
        z = rng.normal(0.0, 1.0, n)

        def new(z=z, x=x):  # type: ignore[no-untyped-def]
            setattr(derivative_compact, name, fast)
            return symkde.derivatives(z, x, a, b, **kw)

        def direct(z=z, x=x):  # type: ignore[no-untyped-def]
            setattr(derivative_compact, name, slow)
            try:
                return symkde.derivatives(z, x, a, b, **kw)
            finally:
                setattr(derivative_compact, name, fast)

        base_s, new_s, per_base = _interleaved(
            lambda z=z, x=x: symkde.loss_and_grad(z, x, a, b, **kw), new, repeat
        )
        if n <= direct_max:
            _, old_s, speedup = _interleaved(new, direct, max(1, repeat // 3))
            old = f"{1e3 * old_s:>10.1f} {speedup:>11.1f}"
        else:
            old = f"{'-':>10s} {'-':>11s}"
        print(f"{n:>8d} {1e3 * base_s:>13.2f} {1e3 * new_s:>9.2f} {old} {per_base:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--triangle", action="store_true", help="the exact triangle instead")
    parser.add_argument("--boxcar", action="store_true", help="the exact boxcar instead")
    parser.add_argument("--triangle-sizes", default="1000,10000,100000")
    parser.add_argument("--direct-max", type=int, default=10000)
    args = parser.parse_args()
    threads = {k: os.environ.get(k, "unset") for k in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS")}
    print(f"threads: {threads}; load average at start: {os.getloadavg()[0]:.2f}")
    if args.triangle or args.boxcar:
        sizes = [int(s) for s in args.triangle_sizes.split(",")]
        for kernel in ("triangle",) * args.triangle + ("boxcar",) * args.boxcar:
            _compact(kernel, sizes, args.repeat, args.direct_max)
        return
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
