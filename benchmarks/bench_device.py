"""Device benchmark: the exact array engine against PyTorch log-space binned, where tensors live.

``python benchmarks/bench_device.py [--device cuda] [--write]`` times, on one device and in one
run (ratios only mean something within a run):

* ``exact``: :func:`symkde.array.derivatives` (Laplace, ``method="exact"``: loss and every
  derivative, no host round trip);
* ``binned M``: what practitioners write, PyTorch log-space midpoint loss
  (``logsumexp`` over points of ``log_softmax(z) + log K``) and ``backward()`` for ``dL/dz``,
  at ``M = 256`` and ``1024``;

in float64 and float32, at ``B = 4096 x n = 64``, ``B = 256 x n = 360`` and one row of
``n = 1e5`` and ``1e6`` (Laplace, ``h = 0.05``, target ``[-1, 1]``, ``x ~ U[-pi, pi]``).
A second table times the other exact kernels (triangle on the line, wrapped Laplace, boxcar
and triangle on the circle, ``h = 0.3`` so that the compact supports cover the target) at
``B = 256 x n = 360`` against the same binned Laplace ``M = 256`` peer (whose cost does not
depend on the kernel: one ``log K`` per node and point).  On
CUDA every timing is bracketed by ``torch.cuda.synchronize()``.  The binned peer takes its
nodes in chunks of ``--chunk-elements`` kernel values (memory bounded); a binned case with
more than ``--max-elements`` kernel values (default: all on CUDA, ``2**27`` on CPU, where
one such run takes minutes) is reported as not run.  ``--write`` puts the table into
``benchmarks/RESULTS.md`` (its own section, the device named).  Meant to finish in under five
minutes on a GPU; on a 2-core CPU the ``n = 1e6`` rows take a few minutes more.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from timing import replace_block

from symkde.array import derivatives

RESULTS = Path(__file__).parent / "RESULTS.md"
#: One section per device type, so a CUDA run does not replace the CPU table.
MARKERS = "<!-- bench_device {kind}: {edge} -->"
SHAPES = ((4096, 64), (256, 360), (1, 100_000), (1, 1_000_000))
H, A, B_END = 0.05, -1.0, 1.0


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time(fn: Callable[[], object], device: torch.device, repeat: int) -> float:
    """Median seconds of ``repeat`` calls after one warm-up, synchronized on CUDA."""
    fn()
    _sync(device)
    times = []
    for _ in range(repeat):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _inputs(rows: int, n: int, dtype: torch.dtype, device: torch.device):
    gen = torch.Generator().manual_seed(rows * 7919 + n)
    z = torch.randn(rows, n, generator=gen, dtype=torch.float64)
    x = (torch.rand(rows, n, generator=gen, dtype=torch.float64) * 2 - 1) * math.pi
    a = torch.full((rows,), A, dtype=torch.float64)
    b = torch.full((rows,), B_END, dtype=torch.float64)
    h = torch.full((rows,), H, dtype=torch.float64)
    return [v.to(device=device, dtype=dtype) for v in (z, x, a, b, h)]


def _exact(z, x, a, b, h, kernel="laplace", circular=False):
    return derivatives(z, x, a, b, h, kernel=kernel, circular=circular, method="exact", bins=None)


#: (label, kernel, circular) of the second table, at B = 256 x n = 360, h = 0.3.
KERNEL_ROWS = (
    ("triangle, line", "triangle", False),
    ("laplace, circle", "laplace", True),
    ("boxcar, circle", "boxcar", True),
    ("triangle, circle", "triangle", True),
)
KERNEL_SHAPE, KERNEL_H = (256, 360), 0.3


def _binned_peer(z, x, a, b, h, bins: int, chunk_elements: int):
    """PyTorch log-space binned Laplace loss (mean over rows) and dL/dz by autograd.

    Nodes are taken in chunks of at most ``chunk_elements`` kernel values, each chunk's part
    of the loss back-propagated at once (gradients accumulate in ``z.grad``): memory stays
    bounded and the arithmetic is that of the one-shot version.
    """
    z = z.detach().requires_grad_(True)
    rows, n = z.shape
    step = max(1, min(bins, chunk_elements // (rows * n)))
    total = torch.zeros(rows, dtype=z.dtype, device=z.device)
    for start in range(0, bins, step):
        m = torch.arange(start, min(bins, start + step), dtype=z.dtype, device=z.device)
        t = a[:, None] + ((m + 0.5) / bins)[None, :] * (b - a)[:, None]  # (B, chunk)
        dist = (t[:, :, None] - x[:, None, :]).abs() / h[:, None, None]
        log_k = -dist - torch.log(2 * h)[:, None, None]
        log_p = torch.logsumexp(torch.log_softmax(z, -1)[:, None, :] + log_k, dim=-1)
        part = -log_p.sum(-1) / bins
        part.sum().backward()
        total = total + part.detach()
    return total, z.grad


def _against_compiled(args, exact_out, kernel="laplace", circular=False) -> float:
    """Max error of the device's loss and dL/dz against the compiled CPU engine, first rows.

    Loss relative to max(1, |L|), gradient absolute (the contract's 1e-12 in float64).
    """
    import symkde

    z, x, a, b, h = (v.double().cpu().numpy() for v in args)
    worst = 0.0
    for r in range(min(3, z.shape[0])):
        loss, grad = symkde.loss_and_grad(
            z[r], x[r], a[r], b[r], bandwidth=h[r], kernel=kernel, circular=circular
        )
        got_loss = float(exact_out[0][r].double().cpu())
        got_grad = exact_out[1][r].double().cpu().numpy()
        worst = max(worst, abs(got_loss - loss) / max(1.0, abs(loss)))
        worst = max(worst, float(np.max(np.abs(got_grad - grad))))
    return worst


def run(
    device: torch.device, max_elements: int, repeat: int, chunk_elements: int
) -> list[dict[str, object]]:
    rows_out: list[dict[str, object]] = []
    for dtype in (torch.float64, torch.float32):
        for rows, n in SHAPES:
            args = _inputs(rows, n, dtype, device)
            reps = repeat if rows * n <= 300_000 else max(1, repeat // 2)
            exact_s = _time(lambda args=args: _exact(*args), device, reps)
            exact_out = _exact(*args)
            exact_loss = exact_out[0].double()
            row: dict[str, object] = {"dtype": str(dtype).split(".")[-1], "B": rows, "n": n}
            row["check"] = _against_compiled(args, exact_out)
            row["exact"] = exact_s
            for bins in (256, 1024):
                if rows * n * bins > max_elements:
                    row[f"bins{bins}"] = None
                    continue
                peer_reps = reps if rows * n * bins <= 2**26 else 1
                row[f"bins{bins}"] = _time(
                    lambda args=args, m=bins: _binned_peer(*args, m, chunk_elements),
                    device,
                    peer_reps,
                )
                peer_loss = _binned_peer(*args, bins, chunk_elements)[0].double()
                diff = (peer_loss - exact_loss).abs() / exact_loss.abs().clamp(min=1.0)
                row[f"err{bins}"] = float(diff.max())
            rows_out.append(row)
            print(_line(row), flush=True)
    return rows_out


def run_kernels(device: torch.device, repeat: int, chunk_elements: int) -> list[dict[str, object]]:
    """The second table: the other exact kernels against binned Laplace M = 256."""
    rows_out: list[dict[str, object]] = []
    for dtype in (torch.float64, torch.float32):
        args = _inputs(*KERNEL_SHAPE, dtype, device)
        args[4] = torch.full_like(args[4], KERNEL_H)
        peer = _time(lambda v=args: _binned_peer(*v, 256, chunk_elements), device, repeat)
        for label, kernel, circular in KERNEL_ROWS:
            exact_s = _time(lambda v=args, k=kernel, c=circular: _exact(*v, k, c), device, repeat)
            out = _exact(*args, kernel, circular)
            row = {"dtype": str(dtype).split(".")[-1], "label": label, "exact": exact_s}
            row["bins256"] = peer
            row["check"] = _against_compiled(args, out, kernel, circular)
            rows_out.append(row)
            print(_kernel_line(row), flush=True)
    return rows_out


def _kernel_line(row: dict[str, object]) -> str:
    cells = [
        str(row["dtype"]),
        str(row["label"]),
        _ms(row["exact"]),
        _ms(row["bins256"]),
        _ratio(row, "bins256"),
        f"{row['check']:.1e}",
    ]
    return "| " + " | ".join(cells) + " |"


def _ms(value: object) -> str:
    return "not run (time)" if value is None else f"{1e3 * float(value):.2f} ms"


def _ratio(row: dict[str, object], key: str) -> str:
    if row[key] is None:
        return "-"
    return f"{float(row[key]) / float(row['exact']):.1f}x"


def _line(row: dict[str, object]) -> str:
    cells = [
        str(row["dtype"]),
        f"{row['B']:,} x {row['n']:,}",
        _ms(row["exact"]),
        _ms(row["bins256"]),
        _ratio(row, "bins256"),
        _ms(row["bins1024"]),
        _ratio(row, "bins1024"),
        f"{row['err256']:.1e}" if "err256" in row else "-",
        f"{row['err1024']:.1e}" if "err1024" in row else "-",
        f"{row['check']:.1e}",
    ]
    return "| " + " | ".join(cells) + " |"


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.machine()} CPU ({os.cpu_count()} cores)"


def table(
    rows: list[dict[str, object]],
    device: torch.device,
    seconds: float,
    kernel_rows: list[dict[str, object]] = (),  # type: ignore[assignment]
) -> str:
    threads = (
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
        f"torch threads {torch.get_num_threads()}"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    head = [
        MARKERS.format(kind=device.type, edge="start"),
        "## Device benchmark: exact array engine vs PyTorch log-space binned"
        f" ({_device_name(device)})",
        "",
        f"Generated by `python benchmarks/bench_device.py --device {device.type} --write` with "
        f"PyTorch {torch.__version__}, NumPy {np.__version__}, {threads}; median of repeated "
        f"runs after a warm-up, in one run of {seconds:.0f} s.  Laplace, h = {H}, target "
        f"[{A}, {B_END}], x ~ U[-pi, pi].  exact = `symkde.array.derivatives` (loss and "
        "every derivative); binned = log-space midpoint loss + `backward()` for dL/dz (nodes in "
        "chunks of 2^24 kernel values).  "
        "Ratio = binned time / exact time (> 1: exact is faster).  err = max relative "
        "difference of the binned loss from the exact one.  exact vs compiled = max error of "
        "the exact loss (relative) and dL/dz (absolute) against the CPU engine, first 3 rows.  "
        "Load average at the end: "
        f"{load:.2f}.",
        "",
        "| dtype | B x n | exact | binned M=256 | ratio | binned M=1024 | ratio"
        " | err M=256 | err M=1024 | exact vs compiled |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    second = [
        "",
        f"Other exact kernels at B = {KERNEL_SHAPE[0]} x n = {KERNEL_SHAPE[1]}, h = {KERNEL_H} "
        "(target and points as above; on the circle the arc [-1, 1]); the peer is the same "
        "binned Laplace M = 256 (its cost does not depend on the kernel).",
        "",
        "| dtype | kernel | exact | binned M=256 (laplace) | ratio | exact vs compiled |",
        "|---|---|---:|---:|---:|---:|",
        *(_kernel_line(r) for r in kernel_rows),
    ]
    end = MARKERS.format(kind=device.type, edge="end")
    body = [*head, *(_line(r) for r in rows), *(second if kernel_rows else []), end]
    return "\n".join(body) + "\n"


def write(text: str, kind: str) -> None:
    """Replace the ``kind`` block of ``RESULTS.md`` with ``text`` (its markers included)."""
    start, end = (MARKERS.format(kind=kind, edge=edge) for edge in ("start", "end"))
    replace_block(RESULTS, start, end, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-elements", type=int, default=None)
    parser.add_argument("--chunk-elements", type=int, default=2**24)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    max_elements = args.max_elements or (2**40 if device.type == "cuda" else 2**27)
    start = time.perf_counter()
    rows = run(device, max_elements, args.repeat, args.chunk_elements)
    kernel_rows = run_kernels(device, args.repeat, args.chunk_elements)
    text = table(rows, device, time.perf_counter() - start, kernel_rows)
    print(text)
    if args.write:
        write(text, device.type)
    return 0


if __name__ == "__main__":
    sys.exit(main())
