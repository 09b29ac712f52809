"""A training step through symkde.torch / symkde.jax against the binned peers users write.

One training step = loss (mean over rows) and its gradient with respect to the logits, for
B rows of n points, each row its own target, Laplace kernel (h = 0.1), exact method:

* symkde.torch.kde_cross_entropy (float64 and float32 logits), symkde.jax (float32 and x64);
* PyTorch log-space binned on M = 256 midpoint nodes (``logsumexp`` + autograd);
* PyTorch ``MixtureSameFamily(Laplace)`` evaluated at the M = 256 nodes (on the circle: the
  images k = -1, 0, 1 of every point, 3n components);
* JAX ``jit(value_and_grad)`` log-space binned, M = 256.

Each peer's error is measured against symkde's float64 exact values (loss: relative error of
the mean over rows; gradient: max absolute error of a row's dL/dz).  Also: the op's overhead
for B = 1, n = 8 over the bare engine call (:func:`symkde.numeric.engine.engine`).  Run::

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 THP_MEM_ALLOC_ENABLE=1 \
        python benchmarks/bench_frameworks.py --out benchmarks/RESULTS.md

It prints a Markdown section (``--out FILE`` appends it to FILE).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import torch

import symkde
from symkde import _frameworks as frameworks
from symkde import jax as skj
from symkde import torch as skt
from symkde.numeric.engine import engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import median_seconds

H = 0.1
M = 256
TWO_PI = 2 * math.pi


def problem(rows: int, n: int, circular: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(rows, n))
    if circular:
        x = rng.uniform(-math.pi, math.pi, size=(rows, n))
        a = rng.uniform(-math.pi, math.pi, size=rows)
    else:
        x = rng.uniform(-1.0, 2.0, size=(rows, n))
        a = rng.uniform(0.0, 0.5, size=rows)
    b = a + rng.uniform(0.2, 1.0, size=rows)
    return z, x, a, b


# --- peers ------------------------------------------------------------------------------------


def torch_log_kernel(u: torch.Tensor, circular: bool) -> torch.Tensor:
    """log of the (wrapped) Laplace kernel, stable: cosh/sinh in log form on the circle."""
    if not circular:
        return -u.abs() / H - math.log(2 * H)
    d = torch.remainder(u + math.pi, TWO_PI) - math.pi  # in [-pi, pi)
    y = (math.pi - d.abs()) / H
    # K = cosh(y) / (2 h sinh(pi/h))
    return (
        y
        + torch.log1p(torch.exp(-2 * y))
        - math.pi / H
        - math.log1p(-math.exp(-2 * math.pi / H))
        - math.log(2 * H)
    )


def torch_nodes(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    frac = (torch.arange(M, dtype=a.dtype) + 0.5) / M
    return a[:, None] + (b - a)[:, None] * frac  # (B, M)


def torch_binned(z, x, a, b, circular):
    t = torch_nodes(a, b)
    log_w = torch.log_softmax(z, dim=-1)
    log_p = torch.logsumexp(
        log_w[:, None, :] + torch_log_kernel(t[:, :, None] - x[:, None, :], circular), dim=-1
    )
    return -log_p.mean()


def torch_mixture(z, x, a, b, circular):
    t = torch_nodes(a, b)
    if circular:
        x = torch.cat([x - TWO_PI, x, x + TWO_PI], dim=-1)
        z = torch.cat([z, z, z], dim=-1)
    mix = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=z[:, None, :].expand(-1, M, -1)),
        torch.distributions.Laplace(
            x[:, None, :].expand(-1, M, -1), torch.tensor(H, dtype=x.dtype)
        ),
        validate_args=False,
    )
    if circular:  # softmax over 3n components gave each image S_j / 3: p/3, not p
        return -(mix.log_prob(t) + math.log(3.0)).mean()
    return -mix.log_prob(t).mean()


def torch_step(fn, z, *args):
    def step():
        logits = z.detach().requires_grad_()
        loss = fn(logits, *args)
        loss.backward()
        return loss, logits.grad

    return step


def jax_log_kernel(u, circular):
    if not circular:
        return -jnp.abs(u) / H - math.log(2 * H)
    d = jnp.remainder(u + math.pi, TWO_PI) - math.pi
    y = (math.pi - jnp.abs(d)) / H
    return (
        y
        + jnp.log1p(jnp.exp(-2 * y))
        - math.pi / H
        - math.log1p(-math.exp(-2 * math.pi / H))
        - math.log(2 * H)
    )


def jax_binned(circular):
    def loss(z, x, a, b):
        t = a[:, None] + (b - a)[:, None] * ((jnp.arange(M, dtype=z.dtype) + 0.5) / M)
        log_w = jax.nn.log_softmax(z, axis=-1)
        log_p = jax.scipy.special.logsumexp(
            log_w[:, None, :] + jax_log_kernel(t[:, :, None] - x[:, None, :], circular), axis=-1
        )
        return -log_p.mean()

    return jax.jit(jax.value_and_grad(loss))


# --- measuring --------------------------------------------------------------------------------


def errors(loss_rows_or_mean, grad, exact_rows, exact_grad):
    rows = exact_rows.shape[0]
    loss = float(np.asarray(loss_rows_or_mean, dtype=np.float64))
    exact_mean = float(exact_rows.mean())
    loss_err = abs(loss - exact_mean) / max(1.0, abs(exact_mean))
    grad_err = float(np.abs(np.asarray(grad, dtype=np.float64) - exact_grad / rows).max()) * rows
    return loss_err, grad_err


def shape_section(rows, n, circular, repeat, skip_slow):
    z, x, a, b = problem(rows, n, circular)
    exact_rows, exact_grad = symkde.loss_and_grad(z, x, a, b, bandwidth=H, circular=circular)
    table = []

    def record(name, step, out_of):
        # symkde's steps are cheap: 5x the runs, so one burst of load on the shared machine
        # moves their median less (the peers' long runs average such bursts out).
        seconds = median_seconds(step, repeat * 5 if name.startswith("symkde") else repeat)
        loss, grad = out_of(step())
        table.append((name, seconds, *errors(loss, grad, exact_rows, exact_grad)))

    for dtype in (torch.float64, torch.float32):
        tz, tx, ta, tb = (torch.tensor(v, dtype=dtype) for v in (z, x, a, b))
        tag = "f64" if dtype == torch.float64 else "f32"
        record(
            f"symkde.torch exact ({tag})",
            torch_step(
                lambda q, *r: skt.kde_cross_entropy(q, *r, bandwidth=H, circular=circular),
                tz,
                tx,
                ta,
                tb,
            ),
            lambda o: (o[0].item(), o[1].numpy()),
        )
        record(
            f"PyTorch log-space binned M={M} ({tag})",
            torch_step(lambda q, *r: torch_binned(q, *r, circular), tz, tx, ta, tb),
            lambda o: (o[0].item(), o[1].numpy()),
        )
        if not skip_slow:
            record(
                f"PyTorch MixtureSameFamily M={M} ({tag})",
                torch_step(lambda q, *r: torch_mixture(q, *r, circular), tz, tx, ta, tb),
                lambda o: (o[0].item(), o[1].numpy()),
            )
    for x64 in (False, True):
        with jax.enable_x64(x64):
            dt = jnp.float64 if x64 else jnp.float32
            jz, jx, ja, jb = (jnp.asarray(v, dtype=dt) for v in (z, x, a, b))
            tag = "x64" if x64 else "f32"
            ours = jax.jit(
                jax.value_and_grad(
                    lambda q, *r: skj.kde_cross_entropy(q, *r, bandwidth=H, circular=circular)
                )
            )
            peer = jax_binned(circular)
            args = (jz, jx, ja, jb)
            record(
                f"symkde.jax exact ({tag})",
                lambda fn=ours, args=args: jax.block_until_ready(fn(*args)),
                lambda o: o,
            )
            record(
                f"JAX jit binned M={M} ({tag})",
                lambda fn=peer, args=args: jax.block_until_ready(fn(*args)),
                lambda o: o,
            )
    return table


def _per_call(fn, calls, blocks=15):
    """Seconds per call of ``fn``: the fastest of ``blocks`` blocks of ``calls`` calls (the
    least disturbed block on a shared machine), after a warm-up call."""
    fn()
    best = math.inf
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def overhead(calls=200):
    """B = 1, n = 8: the bare engine call, the op's forward + backward, and the op with the
    engine replaced by a stub returning the same result (its own cost: the pure overhead), in
    eager mode (autograd.Function) and through the custom op (what torch.compile traces)."""
    z, x, a, b = problem(1, 8, False)
    h = np.full(1, H)
    needs = (True, False, False, False, False)
    options = {"kernel": "laplace", "circular": False, "method": "auto", "bins": None}

    def bare():
        return engine(z, x, a, b, h, needs=needs, **options)

    tz, tx, ta, tb = (torch.tensor(v) for v in (z, x, a, b))

    def op():
        logits = tz.detach().requires_grad_()
        skt.kde_cross_entropy(logits, tx, ta, tb, bandwidth=H).backward()

    def op_custom():
        logits = tz.detach().requires_grad_()
        outs = torch.ops.symkde.kde_cross_entropy(
            logits,
            tx,
            ta,
            tb,
            torch.full((1,), H, dtype=torch.float64),
            *options.values(),
            "auto",
            list(needs),
        )
        outs[0].mean().backward()

    def autograd_floor():
        logits = tz.detach().requires_grad_()
        (logits * 2.0).sum().backward()

    out = {
        "bare engine (loss + dL/dz)": _per_call(bare, calls),
        "symkde.torch forward + backward": _per_call(op, calls),
    }
    fixed = bare()
    real = frameworks.engine
    frameworks.engine = lambda *args, **kw: fixed
    try:
        out["op, engine stubbed (eager autograd.Function)"] = _per_call(op, calls)
        out["op, engine stubbed (custom op, as before)"] = _per_call(op_custom, calls)
    finally:
        frameworks.engine = real
    out["torch floor: (z * 2).sum().backward()"] = _per_call(autograd_floor, calls)
    return out


def breakdown(rows, n, circular, repeat):
    """Where a float64 training step of symkde.torch goes: the engine call alone, the op's
    forward, forward + backward, and forward + backward with the engine stubbed (the op's
    own work: conversions, graph, scaling the saved dL/dz, accumulating the gradient)."""
    z, x, a, b = problem(rows, n, circular)
    h = np.full(rows, H)
    options = {"kernel": "laplace", "circular": circular, "method": "auto", "bins": None}
    needs = (True, False, False, False, False)
    tz, tx, ta, tb = (torch.tensor(v) for v in (z, x, a, b))

    def forward():
        logits = tz.detach().requires_grad_()
        return skt.kde_cross_entropy(logits, tx, ta, tb, bandwidth=H, circular=circular)

    fixed = engine(z, x, a, b, h, needs=needs, **options)
    out = {
        "engine call (loss + dL/dz)": median_seconds(
            lambda: engine(z, x, a, b, h, needs=needs, **options), repeat
        ),
        "op forward": median_seconds(forward, repeat),
        "op forward + backward": median_seconds(lambda: forward().backward(), repeat),
    }
    real = frameworks.engine
    frameworks.engine = lambda *args, **kw: fixed
    try:
        out["op forward + backward, engine stubbed"] = median_seconds(
            lambda: forward().backward(), repeat
        )
    finally:
        frameworks.engine = real
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small shapes, no MixtureSameFamily")
    parser.add_argument("--overhead-only", action="store_true", help="only the B = 1 overhead")
    args = parser.parse_args()
    shapes = [(256, 16)] if args.quick else [(4096, 64), (256, 360)]
    lines = [
        "## PyTorch and JAX: a training step (symkde.torch / symkde.jax against binned peers)",
        "",
        f"Generated by `python benchmarks/bench_frameworks.py` on {platform.machine()} "
        f"({os.cpu_count()} CPUs, shared with other processes: noisy), Python "
        f"{platform.python_version()}, torch {torch.__version__}, jax {jax.__version__}; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
        f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS')}, "
        f"THP_MEM_ALLOC_ENABLE={os.environ.get('THP_MEM_ALLOC_ENABLE')}. Load average at the "
        f"start: {os.getloadavg()[0]:.2f}. One step = mean loss over rows + its gradient in the "
        f"logits; Laplace, h = {H}, each row its own target; median of {args.repeat} runs after "
        "a warm-up (symkde's rows: of 5x as many). Errors against symkde's float64 exact "
        "values: loss = relative error of the mean over rows, gradient = max absolute error "
        "of a row's dL/dz.",
        "",
    ]
    for rows, n in [] if args.overhead_only else shapes:
        for circular in (False, True):
            table = shape_section(rows, n, circular, args.repeat, args.quick)
            ref = next(t for name, t, *_ in table if name == "symkde.torch exact (f64)")
            lines += [
                f"### B = {rows}, n = {n}, {'circle' if circular else 'line'}",
                "",
                "| implementation | time | vs symkde.torch f64 | loss rel. error "
                "| max grad error |",
                "|---|---:|---:|---:|---:|",
            ]
            for name, seconds, loss_err, grad_err in table:
                lines.append(
                    f"| {name} | {seconds * 1e3:.1f} ms | {seconds / ref:.2f}x | "
                    f"{loss_err:.1e} | {grad_err:.1e} |"
                )
            lines.append("")
            print("\n".join(lines[-len(table) - 5 :]), flush=True)
    for rows, n in [] if args.overhead_only else shapes[:1]:
        for circular in (False, True):
            parts = breakdown(rows, n, circular, 5 * args.repeat)
            lines += [
                f"### Where symkde.torch's step goes, B = {rows}, n = {n}, "
                f"{'circle' if circular else 'line'} (float64, median of {5 * args.repeat})",
                "",
                "| part | time |",
                "|---|---:|",
                *(f"| {name} | {seconds * 1e3:.2f} ms |" for name, seconds in parts.items()),
                "",
            ]
    cost = overhead()
    bare, op = cost["bare engine (loss + dL/dz)"], cost["symkde.torch forward + backward"]
    lines += [
        "### Op overhead, B = 1, n = 8 (float64)",
        "",
        "Per call, the fastest of 15 blocks of 200 calls. 'Engine stubbed': the engine replaced "
        "by a function returning the same result, so the time is the op's own.",
        "",
        "| call | time |",
        "|---|---:|",
        *(f"| {name} | {seconds * 1e6:.1f} us |" for name, seconds in cost.items()),
        "",
        f"Overhead over the engine call: {(op - bare) * 1e6:.1f} us (difference of the first "
        "two rows).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with args.out.open("a") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
