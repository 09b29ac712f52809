"""Quick timing of symkde.numeric.exact against np.argsort (the algorithm's floor).

Run: ``python benchmarks/bench_exact_quick.py [--kernels laplace,boxcar,triangle] [--sizes ...]``.
Prints the median of repeated runs (same process, same inputs) of loss + gradient and the
ratio to ``np.argsort`` on the same ``x``.  Points are uniform over ``[a - 1, b + 1]`` with
``h = 40 (b - a) / n`` (about 13 points per bandwidth, so compact kernels cover the
target), logits standard normal.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from symkde.numeric.exact import exact_loss_grad


def _median_seconds(call, repeat: int) -> float:
    call()  # warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", default="laplace,boxcar,triangle")
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    a, b = 0.0, 1.0
    print(f"{'kernel':9s} {'n':>8s} {'exact ms':>10s} {'argsort ms':>11s} {'ratio':>6s}")
    for n in (int(s) for s in args.sizes.split(",")):
        x = rng.uniform(a - 1.0, b + 1.0, n)
        z = rng.normal(0.0, 1.0, n)
        log_w = z - z.max()
        log_w -= np.log(np.sum(np.exp(log_w)))
        h = 40.0 * (b - a) / n
        sort_s = _median_seconds(lambda x=x: np.argsort(x), args.repeat)
        for kernel in args.kernels.split(","):
            exact_s = _median_seconds(
                lambda kernel=kernel, x=x, log_w=log_w, h=h: exact_loss_grad(
                    kernel, log_w, x, a, b, h
                ),
                args.repeat,
            )
            print(
                f"{kernel:9s} {n:8d} {exact_s * 1e3:10.3f} {sort_s * 1e3:11.3f}"
                f" {exact_s / sort_s:6.1f}"
            )


if __name__ == "__main__":
    main()
