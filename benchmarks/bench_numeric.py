"""Speed of the binned loss + gradient next to the dense floor, measured in the same run.

    python benchmarks/bench_numeric.py [--n 10000] [--bins 1024] [--repeat 7]

The dense floor is one ``np.exp`` over an (M x n) float64 array plus one reduction: no
implementation of the binned loss can do less work.  Reported: median wall time of
``--repeat`` runs after one warm-up, and the ratio to the floor.  Also quadrature at n = 1e3.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import median_seconds

import symkde


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--bins", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n, m = args.n, args.bins
    z, x = rng.normal(0, 1, n), rng.uniform(-1, 2, n)
    t = (np.arange(m) + 0.5) / m
    dense = np.subtract.outer(t, x)

    def floor():
        return np.exp(dense).sum()

    rows = [("dense floor: exp over M x n + sum", median_seconds(floor, args.repeat))]
    for kernel in ("laplace", "gaussian", "cauchy"):

        def binned(kernel=kernel):
            return symkde.loss_and_grad(
                z, x, 0.0, 1.0, kernel=kernel, bandwidth=0.05, method="bins", bins=m
            )

        rows.append((f"symkde bins {kernel}", median_seconds(binned, args.repeat)))
    far = x + 5000.0
    rows.append(
        (
            "symkde bins laplace, points 1e5 h away",
            median_seconds(
                lambda: symkde.loss_and_grad(
                    z, far, 0.0, 1.0, bandwidth=0.05, method="bins", bins=m
                ),
                args.repeat,
            ),
        )
    )
    zq, xq = z[:1000], x[:1000]
    for kernel in ("laplace", "gaussian"):
        rows.append(
            (
                f"symkde quadrature {kernel}, n = 1e3",
                median_seconds(
                    lambda k=kernel: symkde.loss_and_grad(
                        zq, xq, 0.0, 1.0, kernel=k, bandwidth=0.05, method="quadrature"
                    ),
                    3,
                ),
            )
        )
    base = rows[0][1]
    print(f"n = {n}, M = {m}, median of {args.repeat}")
    for name, sec in rows:
        print(f"  {name:<45} {sec * 1e3:9.2f} ms  {sec / base:6.2f}x floor")


if __name__ == "__main__":
    main()
