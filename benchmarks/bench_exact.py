"""Exact vs binned loss + gradient: symkde against PyTorch, JAX and careful NumPy.

    OMP_NUM_THREADS=1 python benchmarks/bench_exact.py [--quick] [--out benchmarks/RESULTS.md]

Every timing is the median of repeated runs in this one process on the same inputs
(``z ~ N(0, 1)``, ``x ~ U[-1, 2]``, target ``[0, 1]``, Laplace kernel, ``h = 0.05``; the
comparison with ``np.argsort`` also with every point inside, ``x ~ U[0, 1]``).
Accuracy: each method's loss and gradient error against the true integral.  For n up to
200 the truth is ``symkde.reference`` (mpmath, 30 digits); above, it is ``symkde`` exact,
whose own error against mpmath is in the first table.  The binned methods' error is their
binning error (the midpoint rule is not the integral).

Peers are optional: a peer that is not installed is skipped and said so.  PyTorch runs on
the CPU with ``OMP_NUM_THREADS=1`` and ``THP_MEM_ALLOC_ENABLE=1`` set before import (its
timings swing wildly on this VM otherwise; NOTES.md).  Also recorded: which implementations
return NaN/inf for points 800 bandwidths away.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

import argparse
import platform
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from timing import median_seconds

import symkde

A, B, H = 0.0, 1.0, 0.05
Result = tuple[float, np.ndarray]


def bin_centres(m: int) -> np.ndarray:
    return A + (np.arange(m) + 0.5) * ((B - A) / m)


# ---------------------------------------------------------------- peers (what users write)
def numpy_careful(z: np.ndarray, x: np.ndarray, m: int) -> Result:
    """Hand-written NumPy in log space: one exp per element, in place (NOTES.md's baseline)."""
    t = bin_centres(m)
    log_s = z - z.max()
    log_s -= np.log(np.exp(log_s).sum())
    logits = np.abs(np.subtract.outer(t, x))
    logits *= -1.0 / H
    logits += log_s - np.log(2 * H)
    top = logits.max(axis=1, keepdims=True)
    logits -= top
    np.exp(logits, out=logits)
    total = logits.sum(axis=1)
    loss = -float(np.mean(top[:, 0] + np.log(total)))
    resp = (1.0 / (m * total)) @ logits
    return loss, np.exp(log_s) - resp


def torch_impls():
    try:
        import torch
    except ImportError:
        return {}
    torch.set_num_threads(1)

    def prepare(z, x, m):
        return (
            torch.tensor(z, requires_grad=True),
            torch.tensor(x),
            torch.tensor(bin_centres(m)),
        )

    def naive(z, x, m):
        zt, xt, t = prepare(z, x, m)
        s = torch.softmax(zt, 0)
        k = torch.exp(-torch.abs(t[:, None] - xt[None, :]) / H) / (2 * H)
        loss = -torch.log(k @ s).mean()
        loss.backward()
        return float(loss.detach()), zt.grad.numpy().copy()

    def logspace(z, x, m):
        zt, xt, t = prepare(z, x, m)
        log_s = torch.log_softmax(zt, 0)
        logits = log_s[None, :] - torch.abs(t[:, None] - xt[None, :]) / H - np.log(2 * H)
        loss = -torch.logsumexp(logits, 1).mean()
        loss.backward()
        return float(loss.detach()), zt.grad.numpy().copy()

    return {"PyTorch naive (linear space)": naive, "PyTorch log-space autograd": logspace}


def jax_impls():
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)

    def make(m):
        t = jnp.asarray(bin_centres(m))

        def loss_fn(z, x):
            log_s = jax.nn.log_softmax(z)
            logits = log_s[None, :] - jnp.abs(t[:, None] - x[None, :]) / H - np.log(2 * H)
            return -jnp.mean(jax.nn.logsumexp(logits, axis=1))

        return jax.jit(jax.value_and_grad(loss_fn))

    cache: dict[int, Callable] = {}

    def logspace(z, x, m):
        if m not in cache:
            cache[m] = make(m)
        value, gradient = cache[m](jnp.asarray(z), jnp.asarray(x))
        gradient.block_until_ready()
        return float(value), np.asarray(gradient)

    return {"JAX jit(value_and_grad) log-space": logspace}


def symkde_bins(z, x, m):
    return symkde.loss_and_grad(z, x, A, B, bandwidth=H, method="bins", bins=m)


def symkde_exact(z, x):
    return symkde.loss_and_grad(z, x, A, B, bandwidth=H, method="exact")


def errors(result: Result, truth: Result) -> tuple[float, float]:
    loss, gradient = result
    return abs(loss - truth[0]) / max(1.0, abs(truth[0])), float(np.abs(gradient - truth[1]).max())


def problem(
    n: int, seed: int = 0, lo: float = -1.0, hi: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, n), rng.uniform(lo, hi, n)


#: Point layouts for the argsort comparison: the benchmark's, and every point inside [a, b]
#: (the fast path sorts only the points inside, so this is its hardest case).
LAYOUTS = {"x ~ U[-1, 2] (a third inside)": (-1.0, 2.0), "x ~ U[0, 1] (all inside)": (0.0, 1.0)}

_COMPILE_PROBE = (
    "import time, numpy as np; t = time.perf_counter(); import symkde; "
    "symkde.loss_and_grad(np.zeros(3), np.array([0.2, 0.5, 0.9]), 0.0, 1.0, method='exact'); "
    "print(time.perf_counter() - t)"
)


def first_call_seconds(cache_dir: str) -> float:
    """Import plus first exact call in a fresh process with numba's cache in ``cache_dir``."""
    import subprocess

    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run(
        [sys.executable, "-c", _COMPILE_PROBE], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def fast_vs_log_space(n: int) -> tuple[float, float]:
    """Largest loss and gradient differences between the compiled path and the log-space scans."""
    from symkde.numeric import exact_laplace

    z, x = problem(n, lo=0.0, hi=1.0)
    lw = z - z.max() - np.log(np.sum(np.exp(z - z.max())))
    fast = exact_laplace._laplace_fast(lw, x, A, B, H, True)
    assert fast is not None
    order = np.argsort(x)
    value, log_resp = exact_laplace._laplace(lw[order], x[order], A, B, H, True)
    gradient = np.empty(n)
    gradient[order] = np.exp(lw[order]) - np.exp(log_resp - np.log(B - A))
    return abs(fast[0] - value), float(np.abs(fast[1] - gradient).max())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]
    peer_n = 2_000 if args.quick else 100_000
    bins_list = [256, 1024] if args.quick else [256, 1024, 4096]
    peers: dict[str, Callable[[np.ndarray, np.ndarray, int], Result]] = {
        "NumPy careful log-space": numpy_careful,
        **torch_impls(),
        **jax_impls(),
        "symkde bins": symkde_bins,
    }
    lines = [
        "# Benchmarks: exact vs binned loss + gradient",
        "",
        f"Generated by `python benchmarks/bench_exact.py{' --quick' if args.quick else ''}` on "
        f"{platform.machine()} ({os.cpu_count()} CPUs), Python {platform.python_version()}, "
        f"NumPy {np.__version__}; OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, "
        f"THP_MEM_ALLOC_ENABLE={os.environ['THP_MEM_ALLOC_ENABLE']}. Median of {repeat} runs, "
        "same process, same inputs: Laplace kernel, h = 0.05, target [0, 1], x ~ U[-1, 2]. "
        f"Load average at the start: {os.getloadavg()[0]:.2f} (other processes share the "
        "machine when it is above 0).",
        "",
    ]
    missing = [p for p, ok in (("torch", torch_impls()), ("jax", jax_impls())) if not ok]
    if missing:
        lines += [f"Skipped (not installed): {', '.join(missing)}.", ""]

    # 1. exact against mpmath
    from symkde import reference

    lines += ["## symkde exact against the mpmath reference (30 digits)", ""]
    lines += ["| n | loss rel. error | max grad error |", "|---:|---:|---:|"]
    for n in (20, 200):
        z, x = problem(n, seed=n)
        ref_l, ref_g = reference.loss_and_grad(z, x, A, B, bandwidth=H, dps=30)
        truth = (float(ref_l), np.array([float(g) for g in ref_g]))
        le, ge = errors(symkde_exact(z, x), truth)
        lines.append(f"| {n} | {le:.1e} | {ge:.1e} |")
        print(f"exact vs mpmath n={n}: {le:.1e} {ge:.1e}", file=sys.stderr)
    lines.append("")

    # 2. exact vs argsort
    lines += ["## symkde exact: time against np.argsort (the algorithm's floor)", ""]
    lines += [
        "Public API (`symkde.loss_and_grad(..., method='exact')`: validation, softmax, loss "
        "and gradient) against `np.argsort` of the same `x`.",
        "",
        "| n | layout | exact loss+grad | np.argsort | ratio |",
        "|---:|---|---:|---:|---:|",
    ]
    exact_times: dict[tuple[int, str], tuple[float, float]] = {}
    for n in sizes:
        for layout, (lo, hi) in LAYOUTS.items():
            z, x = problem(n, lo=lo, hi=hi)
            t_exact = median_seconds(lambda z=z, x=x: symkde_exact(z, x), repeat)
            t_sort = median_seconds(lambda x=x: np.argsort(x), repeat)
            exact_times[n, layout] = (t_exact, t_sort)
            lines.append(
                f"| {n:,} | {layout} | {t_exact * 1e3:.2f} ms | {t_sort * 1e3:.2f} ms "
                f"| {t_exact / t_sort:.2f}x |"
            )
            print(
                f"exact n={n} {layout}: {t_exact * 1e3:.2f} ms, argsort {t_sort * 1e3:.2f} ms",
                file=sys.stderr,
            )
    lines.append("")
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        cold, warm = first_call_seconds(cache), first_call_seconds(cache)
    check_n = sizes[-1]
    d_loss, d_grad = fast_vs_log_space(check_n)
    lines += [
        f"Compiled loops (numba): import + first exact call in a fresh process {cold:.2f} s "
        f"with an empty cache (compiling), {warm:.2f} s with the cache `cache=True` keeps.",
        "",
        f"Compiled fast path against the log-space scans it short-cuts, n = {check_n:,} "
        f"(all inside): |loss difference| {d_loss:.1e}, max |gradient difference| {d_grad:.1e}.",
        "",
    ]

    # 3. binned peers at peer_n
    z, x = problem(peer_n)
    truth = symkde_exact(z, x)
    lines += [
        f"## Binned loss + gradient at n = {peer_n:,} (error against the exact integral)",
        "",
        "| implementation | M | time | loss rel. error | max grad error | exact is faster by |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    t_exact = median_seconds(lambda: symkde_exact(z, x), repeat)
    lines.append(f"| symkde exact | - | {t_exact * 1e3:.1f} ms | 0 (reference) | 0 | 1.0x |")
    t_quad = median_seconds(
        lambda: symkde.loss_and_grad(z[:1000], x[:1000], A, B, bandwidth=H, method="quadrature"), 3
    )
    quad_err = errors(
        symkde.loss_and_grad(z[:1000], x[:1000], A, B, bandwidth=H, method="quadrature"),
        symkde_exact(z[:1000], x[:1000]),
    )
    lines.append(
        f"| symkde quadrature (n = 1,000) | - | {t_quad * 1e3:.1f} ms | {quad_err[0]:.1e} | "
        f"{quad_err[1]:.1e} | - |"
    )
    ratios: dict[tuple[str, int], float] = {}
    for m in bins_list:
        for name, fn in peers.items():
            t_peer = median_seconds(lambda fn=fn, m=m: fn(z, x, m), repeat)
            le, ge = errors(fn(z, x, m), truth)
            ratios[(name, m)] = t_peer / t_exact
            lines.append(
                f"| {name} | {m} | {t_peer * 1e3:.1f} ms | {le:.1e} | {ge:.1e} | "
                f"{t_peer / t_exact:.1f}x |"
            )
            print(f"{name} M={m}: {t_peer * 1e3:.1f} ms", file=sys.stderr)
    lines.append("")

    # 4. far field
    lines += ["## Points 800 bandwidths away (all on one side, M = 256)", ""]
    lines += ["| implementation | finite loss and gradient? |", "|---|---|"]
    zf, xf = problem(50)
    xf = B + 800 * H + (xf - xf.min())
    for name, fn in peers.items():
        try:
            loss, gradient = fn(zf, xf, 256)
            ok = np.isfinite(loss) and np.isfinite(gradient).all()
        except (FloatingPointError, ValueError, RuntimeError) as exc:
            ok, loss = False, f"raised {type(exc).__name__}"
        lines.append(f"| {name} | {'yes' if ok else 'NO (NaN/inf)'} |")
    loss, gradient = symkde_exact(zf, xf)
    lines.append(f"| symkde exact | {'yes' if np.isfinite(gradient).all() else 'NO'} |")
    lines.append("")

    # 5. targets
    n_target = 100_000 if not args.quick else peer_n
    lines += ["## Targets (issue 4), as ratios measured in this run", ""]
    careful = ratios.get(("NumPy careful log-space", 1024))
    torch_log = ratios.get(("PyTorch log-space autograd", 1024))
    if careful is not None:
        lines.append(
            f"- exact vs careful NumPy binned (M = 1024): {careful:.1f}x faster (target >= 15x)"
        )
    if torch_log is not None:
        lines.append(
            f"- exact vs PyTorch log-space binned (M = 1024): {torch_log:.1f}x faster"
            " (target >= 30x)"
        )
    for (n, layout), (t_exact, t_sort) in exact_times.items():
        if n in (100_000, 1_000_000):
            lines.append(
                f"- exact at n = {n:,}, {layout}: {t_exact / t_sort:.2f}x np.argsort (target <= 3x)"
            )
    lines.append(f"- (peers measured at n = {n_target:,})")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
