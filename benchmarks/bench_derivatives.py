"""Cost of ``symkde.derivatives`` next to ``loss_and_grad`` for exact Laplace on the line.

Run: ``OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/bench_derivatives.py
[--sizes 100000,1000000] [--repeat 5]``.  Prints the median of repeated runs (same process,
same inputs, one warm-up each) of ``loss_and_grad`` (loss + dL/dz; the compiled fast path),
``derivatives`` (loss, dL/dz, dL/dx, dL/dh, dL/da, dL/db) and their ratio, plus
``np.argsort`` of ``x`` (the algorithm's floor).  Points uniform over ``[a - 1, b + 1]``,
``h = 40 (b - a) / n``, logits standard normal.  Report ratios from one run only: this
machine is shared and absolute times are noisy.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import symkde
from benchmarks.timing import median_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    threads = {k: os.environ.get(k, "unset") for k in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS")}
    print(f"threads: {threads}")
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
        base_s = median_seconds(
            lambda z=z, x=x, kw=kw: symkde.loss_and_grad(z, x, a, b, **kw), args.repeat
        )
        all_s = median_seconds(
            lambda z=z, x=x, kw=kw: symkde.derivatives(z, x, a, b, **kw), args.repeat
        )
        print(
            f"{n:>8d} {1e3 * sort_s:>11.2f} {1e3 * base_s:>13.2f} {1e3 * all_s:>15.2f} "
            f"{all_s / base_s:>6.2f}"
        )


if __name__ == "__main__":
    main()
