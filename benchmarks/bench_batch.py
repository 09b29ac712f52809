"""Batches of the shapes of training (issue 15): symkde batched against its peers.

Run: ``python benchmarks/bench_batch.py [--repeat 5] [--markdown FILE] [--write]``
(``--write`` replaces the generated block of ``benchmarks/RESULTS.md``, between its
``<!-- bench_batch: start -->`` and ``<!-- bench_batch: end -->`` markers; the reading of
the numbers below the block is written by hand).

Shapes: ``B = 4096`` rows of ``n = 64`` points on the line (a regression head: one shared grid
on ``[-1, 2]``, each row its own target interval) and ``B = 256`` rows of ``n = 360`` one-degree
angle bins on the circle (each row its own arc).  Kernels: Laplace and triangle exact, Gaussian
binned at ``M = 256``.  Peers on the same batch: a Python loop of single ``symkde`` calls;
careful NumPy binned (log space, one ``exp`` per element, blocks of rows that stay in cache);
PyTorch log-space binned with autograd (float64); ``np.sort`` of the ``(B, n)`` logits along
rows (the floor of a sort-based exact method).  Every peer's loss and gradient are compared
with the exact values (Gaussian: with ``method="quadrature"`` on the first 32 rows).  Times
are the best of at least ``--repeat`` runs in one process, more for fast calls (runs are
added until they total half a second; see :func:`best_seconds`): the machine is shared and
the best run is the one least disturbed.  Ratios are taken within this run.

Threads: numba uses ``NUMBA_NUM_THREADS`` (default: all cores), PyTorch ``OMP_NUM_THREADS``
(``torch.get_num_threads()``), NumPy one thread; the script prints what it ran with, and
times each symkde batch again with one numba thread (``numba.set_num_threads(1)``).  symkde's
Gaussian ``bins`` are compiled and row-parallel as the exact rows; the peers' binned methods
are NumPy, one thread.  ``--rows R`` times
only the first ``R`` rows of each shape (a quick run).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np
from timing import replace_block

import symkde

M_BINS = 256
RESULTS = Path(__file__).with_name("RESULTS.md")
MARKERS = ("<!-- bench_batch: start -->", "<!-- bench_batch: end -->")
#: Rows per block of the NumPy peer: block * M * n float64 about 2 MiB (L2-sized).
_BLOCK_ELEMENTS = 1 << 18


#: ``best_seconds`` keeps timing a call until its runs add up to this many seconds (and at
#: least ``--repeat`` runs): a batch of a few milliseconds gets hundreds of samples, so its
#: best is not one of three runs that all met a busy moment of the other core.
MIN_TOTAL_SECONDS = 0.5
#: ... but never more runs than this.
MAX_RUNS = 400


def best_seconds(fn: Callable[[], Any], repeat: int, *, warm_up: bool = True) -> float:
    """Best wall time of at least ``repeat`` calls, more while they add up to less than
    ``MIN_TOTAL_SECONDS`` (at most ``MAX_RUNS``), after one warm-up call unless ``warm_up``
    is False (the caller has just made one)."""
    if warm_up:
        fn()
    times: list[float] = []
    while len(times) < repeat or (sum(times) < MIN_TOTAL_SECONDS and len(times) < MAX_RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def problems(seed: int = 15) -> list[dict[str, Any]]:
    """The two shapes, seeded."""
    rng = np.random.default_rng(seed)
    line_n, line_b = 64, 4096
    a = rng.uniform(-0.2, 0.9, line_b)
    line = {
        "name": f"line, B = {line_b}, n = {line_n}",
        "z": rng.normal(0.0, 2.0, (line_b, line_n)),
        "x": np.linspace(-1.0, 2.0, line_n),
        "a": a,
        "b": a + rng.uniform(0.05, 0.3, line_b),
        "h": 0.06,  # grid spacing 0.048: the triangle's supports cover every target
        "circular": False,
    }
    circle_n, circle_b = 360, 256
    start = rng.uniform(-math.pi, math.pi, circle_b)
    circle = {
        "name": f"circle, B = {circle_b}, n = {circle_n}",
        "z": rng.normal(0.0, 2.0, (circle_b, circle_n)),
        "x": np.deg2rad(np.arange(circle_n, dtype=np.float64)) - math.pi,
        "a": start,
        "b": start + np.deg2rad(rng.uniform(5.0, 40.0, circle_b)),
        "h": np.deg2rad(2.0),
        "circular": True,
    }
    return [line, circle]


def _log_kernel_np(kernel: str, u: np.ndarray, h: float) -> np.ndarray:
    """``log K_h(u)`` in place of ``u`` (the nearest image on the circle is the caller's)."""
    if kernel == "laplace":
        np.abs(u, out=u)
        u *= -1.0 / h
        u -= math.log(2.0 * h)
    elif kernel == "gaussian":
        np.square(u, out=u)
        u *= -0.5 / (h * h)
        u -= math.log(h * math.sqrt(2.0 * math.pi))
    else:  # triangle
        np.abs(u, out=u)
        u *= -1.0 / h
        with np.errstate(divide="ignore"):
            np.log1p(u, out=u)  # log(1 - |u|/h): -inf at the support's end, nan beyond
        np.nan_to_num(u, copy=False, nan=-np.inf)
        u -= math.log(h)
    return u


def numpy_binned(p: dict[str, Any], kernel: str, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Careful NumPy: log space, one exp per (row, bin, point), blocks of rows."""
    z, x, a, b, h = p["z"], p["x"], p["a"], p["b"], p["h"]
    rows, n = z.shape
    log_w = z - z.max(axis=1, keepdims=True)
    log_w -= np.log(np.exp(log_w).sum(axis=1, keepdims=True))
    weights = np.exp(log_w)
    loss = np.empty(rows)
    grad = np.empty((rows, n))
    centres = (np.arange(m) + 0.5) / m
    block = max(1, _BLOCK_ELEMENTS // (m * n))
    for s in range(0, rows, block):
        e = slice(s, min(rows, s + block))
        t = a[e, None] + centres * (b[e] - a[e])[:, None]  # (block, M)
        u = t[:, :, None] - x  # (block, M, n)
        if p["circular"]:
            u += math.pi
            np.remainder(u, 2.0 * math.pi, out=u)
            u -= math.pi
        logits = _log_kernel_np(kernel, u, h)
        logits += log_w[e, None, :]
        top = logits.max(axis=2, keepdims=True)
        logits -= top
        np.exp(logits, out=logits)  # the one exp per element
        total = logits.sum(axis=2, keepdims=True)
        lse = top[..., 0] + np.log(total[..., 0])
        loss[e] = -lse.mean(axis=1)
        logits /= total
        grad[e] = weights[e] - logits.mean(axis=1)
    return loss, grad


def torch_binned(p: dict[str, Any], kernel: str, m: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch log-space binned loss, gradient by autograd (float64)."""
    import torch

    z = torch.tensor(p["z"], dtype=torch.float64, requires_grad=True)
    x = torch.as_tensor(p["x"], dtype=torch.float64)
    a = torch.as_tensor(p["a"], dtype=torch.float64)
    b = torch.as_tensor(p["b"], dtype=torch.float64)
    h = float(p["h"])
    centres = (torch.arange(m, dtype=torch.float64) + 0.5) / m
    t = a[:, None] + centres * (b - a)[:, None]
    u = t[:, :, None] - x
    if p["circular"]:
        u = torch.remainder(u + math.pi, 2 * math.pi) - math.pi
    if kernel == "laplace":
        log_k = -u.abs() / h - math.log(2 * h)
    elif kernel == "gaussian":
        log_k = -0.5 * (u / h) ** 2 - math.log(h * math.sqrt(2 * math.pi))
    else:
        log_k = torch.log(torch.clamp(1 - u.abs() / h, min=0.0)) - math.log(h)
    logits = log_k + torch.log_softmax(z, dim=1)[:, None, :]
    loss = -torch.logsumexp(logits, dim=2).mean(dim=1)
    loss.sum().backward()
    assert z.grad is not None
    return loss.detach().numpy(), z.grad.numpy()


def symkde_batch(p: dict[str, Any], kernel: str, method: str, bins: int | None) -> Any:
    return symkde.loss_and_grad(
        p["z"],
        p["x"],
        p["a"],
        p["b"],
        kernel=kernel,
        bandwidth=p["h"],
        circular=p["circular"],
        method=method,
        bins=bins,
    )


def symkde_loop(p: dict[str, Any], kernel: str, method: str, bins: int | None) -> Any:
    out = [
        symkde.loss_and_grad(
            p["z"][r],
            p["x"],
            p["a"][r],
            p["b"][r],
            kernel=kernel,
            bandwidth=p["h"],
            circular=p["circular"],
            method=method,
            bins=bins,
        )
        for r in range(p["z"].shape[0])
    ]
    return np.array([v for v, _ in out]), np.stack([g for _, g in out])


def errors(got: Any, ref: Any, rows: int | None = None) -> tuple[float, float]:
    """Max relative loss error, max absolute gradient error (on the first ``rows`` rows)."""
    sl = slice(None) if rows is None else slice(0, rows)
    loss, grad = np.asarray(got[0])[sl], np.asarray(got[1])[sl]
    ref_loss, ref_grad = np.asarray(ref[0])[sl], np.asarray(ref[1])[sl]
    rel = np.max(np.abs(loss - ref_loss) / np.maximum(1.0, np.abs(ref_loss)))
    return float(rel), float(np.max(np.abs(grad - ref_grad)))


#: ``main`` when issue 15 was filed (each row a separate call through the NumPy path; the
#: issue timed a loop of them at ~2.6 s on its configuration).
FILED_AT = "fec9f99"

#: Run in a subprocess on the ``symkde`` of :data:`FILED_AT`: best of ``repeat`` loops of
#: single calls over the rows saved in ``rows.npz``, in seconds, on stdout.
_FILED_LOOP = """
import sys, time
import numpy as np
import symkde
data = np.load(sys.argv[1])
z, x, a, b = data["z"], data["x"], data["a"], data["b"]
h, repeat = float(data["h"]), int(sys.argv[2])
def loop():
    for r in range(z.shape[0]):
        symkde.loss_and_grad(z[r], x, a[r], b[r], kernel="laplace", bandwidth=h,
                             circular=True, method="exact")
loop()
times = []
for _ in range(repeat):
    start = time.perf_counter()
    loop()
    times.append(time.perf_counter() - start)
print(min(times))
"""


def filed_loop_seconds(p: dict[str, Any], repeat: int) -> tuple[float | None, str]:
    """The loop of single calls on ``p`` as the code stood when the issue was filed
    (:data:`FILED_AT`, taken from this checkout's git history by ``git archive`` and run in a
    subprocess with this interpreter): ``(seconds, "")``, or ``(None, why)`` where it cannot
    run (no git checkout, the commit absent)."""
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", FILED_AT, "symkde"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        return None, f"git archive {FILED_AT} failed: {archive.stderr.decode().strip()}"
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: refuse odd members
                tar.extractall(tmp, filter="data")
            else:  # pragma: no cover - our own git history, not a download
                tar.extractall(tmp)
        rows = Path(tmp) / "rows.npz"
        np.savez(rows, z=p["z"], x=p["x"], a=p["a"], b=p["b"], h=p["h"])
        env = {**os.environ, "PYTHONPATH": tmp, "NUMBA_CACHE_DIR": str(Path(tmp) / "cache")}
        run = subprocess.run(
            [sys.executable, "-c", _FILED_LOOP, str(rows), str(repeat)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp,
            check=False,
        )
    if run.returncode != 0:
        return None, f"the {FILED_AT} loop failed: {run.stderr.strip().splitlines()[-1:]}"
    return float(run.stdout.split()[-1]), ""


def issue_configuration(repeat: int) -> list[str]:
    """The configuration issue 15 was filed with: B = 4096 rows of n = 64 angles (circle,
    Laplace, exact, loss and gradient), each row its own arc; a loop of single calls took
    ~2.6 s then (the issue's text).  The batch, the loop of today and the loop of the code
    the issue was filed against (:func:`filed_loop_seconds`), in this run."""
    rng = np.random.default_rng(2600)
    rows, n = 4096, 64
    start = rng.uniform(-math.pi, math.pi, rows)
    p = {
        "z": rng.normal(0.0, 2.0, (rows, n)),
        "x": np.linspace(-math.pi, math.pi, n, endpoint=False),
        "a": start,
        "b": start + rng.uniform(0.1, 1.0, rows),
        "h": 0.1,
        "circular": True,
    }
    t_batch = best_seconds(lambda: symkde_batch(p, "laplace", "exact", None), repeat)
    t_loop = best_seconds(
        lambda: symkde_loop(p, "laplace", "exact", None), max(1, repeat // 2), warm_up=True
    )
    t_filed, why = filed_loop_seconds(p, max(1, repeat // 2))
    filed = (
        f"the loop of single calls as the code stood when the issue was filed ({FILED_AT}, "
        f"re-run here) {t_filed:.2f} s ({t_filed / t_batch:.0f}x)"
        if t_filed is not None
        else f"the loop of the code the issue was filed against not run ({why})"
    )
    return [
        f"- B = {rows} rows of n = {n} angles, circle, Laplace exact, h = 0.1 (the issue's "
        f"configuration; a loop took ~2.6 s when it was filed): batch {t_batch * 1e3:.1f} ms, "
        f"loop of today's single calls {t_loop * 1e3:.1f} ms ({t_loop / t_batch:.1f}x), "
        f"{filed}; {numba.get_num_threads()} numba threads"
    ]


def once_handed_back(repeat: int) -> list[str]:
    """Rows the compiled engines used to hand back to the serial log-space scans: exact
    Laplace with the nearest outside points 8 to 32 bandwidths out (h = 0.01 on a grid of
    spacing 0.32), exact triangle with 85 points over each segment (n = 256, h = 0.5).  The
    batch, how many of its rows the engine hands back now, and a loop of single calls."""
    from symkde.numeric.rows import laplace_exact_rows
    from symkde.numeric.rows_compact import compact_exact_rows

    rng = np.random.default_rng(64)
    lines = [
        "| rows | batch | rows handed back | loop of single calls | loop / batch |",
        "|---|---:|---:|---:|---:|",
    ]
    cases = []
    rows, n = 1024, 64
    a = rng.uniform(-1.0, 0.0, rows)
    cases.append(
        (
            f"Laplace, B = {rows}, n = {n}, grid on [-10, 10], h = 0.01",
            "laplace",
            rng.normal(size=(rows, n)),
            np.linspace(-10.0, 10.0, n),
            a,
            a + rng.uniform(0.1, 2.0, rows),
            0.01,
        )
    )
    rows, n = 256, 256
    cases.append(
        (
            f"triangle, B = {rows}, n = {n}, grid on [-1, 2], h = 0.5",
            "triangle",
            rng.normal(size=(rows, n)),
            np.linspace(-1.0, 2.0, n),
            np.zeros(rows),
            np.ones(rows),
            0.5,
        )
    )
    for name, kernel, z, x, lo, hi, h in cases:
        count = z.shape[0]
        grid = np.broadcast_to(x, z.shape).copy()
        scratch = (np.empty(count), np.empty(z.shape))
        engine_args = (z, grid, lo, hi, np.full(count, h), False, True, *scratch)
        if kernel == "laplace":
            back = laplace_exact_rows(*engine_args)
        else:
            back = compact_exact_rows(kernel, *engine_args)
        p = {"z": z, "x": x, "a": lo, "b": hi, "h": h, "circular": False}
        t_batch = best_seconds(lambda p=p, k=kernel: symkde_batch(p, k, "exact", None), repeat)
        t_loop = best_seconds(
            lambda p=p, k=kernel: symkde_loop(p, k, "exact", None), max(1, repeat // 2)
        )
        lines.append(
            f"| {name} | {t_batch * 1e3:.1f} ms | {int(back.sum())} of {count} "
            f"| {t_loop * 1e3:.1f} ms | {t_loop / t_batch:.1f}x |"
        )
    return lines


def single_row_target(repeat: int) -> list[str]:
    """Exact Laplace at n = 1e5 against np.argsort (issue 15's configuration and issue 4's)."""
    rng = np.random.default_rng(4)
    lines = [
        "| n | layout | h | exact loss+grad | np.argsort | ratio |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    n = 100_000
    for label, lo, hi, h in (
        ("x ~ U[-0.2, 1.2] (most inside)", -0.2, 1.2, 0.01),
        ("x ~ U[-1, 2] (a third inside)", -1.0, 2.0, 0.05),
        ("x ~ U[0, 1] (all inside)", 0.0, 1.0, 0.05),
    ):
        x = rng.uniform(lo, hi, n)
        z = rng.normal(0.0, 1.0, n)
        t_exact = best_seconds(
            lambda x=x, z=z, h=h: symkde.loss_and_grad(z, x, 0.0, 1.0, bandwidth=h), repeat
        )
        t_sort = best_seconds(lambda x=x: np.argsort(x), repeat)
        lines.append(
            f"| {n:,} | {label} | {h} | {t_exact * 1e3:.2f} ms | {t_sort * 1e3:.2f} ms "
            f"| {t_exact / t_sort:.2f}x |"
        )
    return lines


def compare(
    p: dict[str, Any],
    kernel: str,
    method: str,
    bins: int | None,
    t_sort: float,
    args: argparse.Namespace,
) -> tuple[list[str], list[str]]:
    """Table rows and summary lines for one kernel on one shape."""
    rows = p["z"].shape[0]
    lines: list[str] = []
    shown = f"{kernel} (first {rows} rows)" if args.rows else kernel
    summary: list[str] = []
    batch = symkde_batch(p, kernel, method, bins)
    t_batch = best_seconds(lambda: symkde_batch(p, kernel, method, bins), args.repeat)
    ref_rows: int | None = None
    ref = batch
    if kernel == "gaussian":
        ref_rows = 32
        sub = {**p, "z": p["z"][:ref_rows], "a": p["a"][:ref_rows], "b": p["b"][:ref_rows]}
        ref = symkde_batch(sub, kernel, "quadrature", None)
    loop = symkde_loop(p, kernel, method, bins)  # also the loop's warm-up
    assert np.array_equal(loop[0], batch[0]) and np.array_equal(loop[1], batch[1])
    slow_repeat = max(1, args.repeat // 2)
    t_loop = best_seconds(lambda: symkde_loop(p, kernel, method, bins), slow_repeat, warm_up=False)
    label = f"symkde {method}" + (f" M = {bins}" if bins else "")

    def row(name: str, t: float, err: tuple[float, float]) -> str:
        return (
            f"| {shown} | {name} | {t * 1e3:.1f} ms | {t / rows * 1e6:.2f} us "
            f"| {err[0]:.1e} | {err[1]:.1e} | {t / t_batch:.1f}x |"
        )

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        t_one = best_seconds(lambda: symkde_batch(p, kernel, method, bins), args.repeat)
    finally:
        numba.set_num_threads(threads)
    lines.append(row(f"{label}, batched", t_batch, errors(batch, ref, ref_rows)))
    lines.append(row(f"{label}, batched, 1 numba thread", t_one, errors(batch, ref, ref_rows)))
    lines.append(row(f"{label}, loop of single calls", t_loop, errors(loop, ref, ref_rows)))
    print(*lines[-3:], sep="\n", flush=True)
    summary.append(
        f"- {p['name']}, {kernel} {method}: loop / batch {t_loop / t_batch:.1f}x "
        f"({threads} numba threads), {t_loop / t_one:.1f}x (1 thread); per row: a single "
        f"call {t_loop / rows * 1e6:.2f} us = the row's work {t_one / rows * 1e6:.2f} us "
        f"(1-thread batch) + {(t_loop - t_one) / rows * 1e6:.2f} us per call outside it"
    )
    if method == "exact":
        summary.append(
            f"- {p['name']}, {kernel} exact: batch / np.sort of the (B, n) logits "
            f"{t_batch / t_sort:.1f}x ({t_batch / rows * 1e6:.2f} us against "
            f"{t_sort / rows * 1e6:.3f} us per row); a single call "
            f"{t_loop / rows * 1e6:.2f} us per row"
        )
    err = errors(numpy_binned(p, kernel, M_BINS), ref, ref_rows)  # and the warm-up
    t_np = best_seconds(lambda: numpy_binned(p, kernel, M_BINS), args.repeat, warm_up=False)
    lines.append(row(f"NumPy careful binned M = {M_BINS}", t_np, err))
    print(lines[-1], flush=True)
    summary.append(
        f"- {p['name']}, {kernel}: careful NumPy binned M = {M_BINS} / symkde "
        f"{method} {t_np / t_batch:.1f}x"
    )
    if not args.no_torch:
        err = errors(torch_binned(p, kernel, M_BINS), ref, ref_rows)  # and the warm-up
        t_torch = best_seconds(lambda: torch_binned(p, kernel, M_BINS), slow_repeat, warm_up=False)
        lines.append(row(f"PyTorch log-space binned M = {M_BINS} + autograd", t_torch, err))
        print(lines[-1], flush=True)
        summary.append(
            f"- {p['name']}, {kernel}: PyTorch binned M = {M_BINS} / symkde "
            f"{method} {t_torch / t_batch:.1f}x"
        )
    return lines, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--markdown", default=None, help="also write the tables to this file")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument(
        "--rows", type=int, default=0, help="time only the first ROWS rows of each shape"
    )
    args = parser.parse_args()
    try:
        import torch

        torch_threads = torch.get_num_threads()
    except ImportError:  # pragma: no cover - torch is optional
        args.no_torch = True
        torch_threads = 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out = [
        "## Batches (issue 15): B rows in one call against loops, NumPy and PyTorch",
        "",
        f"Generated by `python benchmarks/bench_batch.py` on {platform.machine()} "
        f"({os.cpu_count()} CPUs), Python {platform.python_version()}, NumPy {np.__version__}, "
        f"numba {numba.__version__}; numba threads {numba.get_num_threads()} "
        f"(NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'unset')}), PyTorch threads "
        f"{torch_threads} (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}). "
        f"Best of at least {args.repeat} runs after a warm-up (more for fast calls: runs are "
        f"added until they total {MIN_TOTAL_SECONDS} s, at most {MAX_RUNS}), same process; "
        "load average at the start "
        f"{load:.2f} (a shared machine: absolute times are inflated, ratios are within this "
        "run). Errors: max relative loss error and max absolute gradient error against the "
        "exact values.",
        "",
    ]
    summary = []
    for p in problems():
        out += [
            f"### {p['name']}, h = {p['h']:.4g}",
            "",
            "| kernel | implementation | time | per row | loss error | grad error | "
            "symkde batch is faster by |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        t_sort = best_seconds(lambda p=p: np.sort(p["z"], axis=1), args.repeat)
        for kernel, method, bins in (
            ("laplace", "exact", None),
            ("triangle", "exact", None),
            ("gaussian", "bins", M_BINS),
        ):
            rows = p["z"].shape[0]
            if args.rows:
                rows = min(rows, args.rows)
            sub = {**p, "z": p["z"][:rows], "a": p["a"][:rows], "b": p["b"][:rows]}
            lines, ratios = compare(
                sub, kernel, method, bins, t_sort * rows / p["z"].shape[0], args
            )
            out += lines
            summary += ratios
        out.append("")
    out += ["### Ratios measured in this run", "", *summary, *issue_configuration(args.repeat)]
    out += ["", "### Rows the engines used to hand back to the serial scans", ""]
    out += [*once_handed_back(args.repeat)]
    out += ["", "### Single rows", ""]
    out += [*single_row_target(args.repeat), ""]
    text = "\n".join(out)
    print("\n" + text)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write(text)
    if args.write:
        write(text)


def write(text: str) -> None:
    """Replace the generated block of ``RESULTS.md`` (appended where it has none)."""
    start, end = MARKERS
    replace_block(RESULTS, start, end, f"{start}\n{text.rstrip()}\n{end}\n")


if __name__ == "__main__":
    main()
