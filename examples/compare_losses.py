"""This loss against the binned losses people use, on one small angle-interval task.

The task: predict an interval of angles.  Each target is an arc ``[c - w/2, c + w/2]`` with a
random centre ``c`` and width ``w`` in ``[0.2, 1.0]`` rad; the input is a noisy encoding
``(cos c, sin c, c/pi, w) + N(0, 0.05^2)``.  One model for every loss: an MLP ``4 -> 64 -> 64``
giving ``M = 64`` logits over fixed bin centres ``theta_k = -pi + (k + 1/2) 2pi/M``.  Each loss
is trained with the same model, Adam (lr 3e-3), batch 256, float32, seeds and wall-clock
budget; what differs is only the loss:

* ``symkde exact``: ``symkde.torch.kde_cross_entropy`` with the Laplace kernel at the bin
  centres, bandwidth = one bin width, exact integral (no bins);
* ``symkde vonmises M=64`` (circle only): the same op with the von Mises kernel, ``bins=64``;
* ``binned KDE M=64``: the same Laplace mixture, its log-density at 64 midpoints of the arc
  in plain PyTorch log space (what one writes by hand);
* ``HL-Gauss s/w=0.75`` and ``s/w=2``: cross-entropy against the Gaussian-smoothed histogram
  of the target (Imani & White 2018; Farebrother et al. 2024, "Stop Regressing: Training Value
  Functions via Classification for Scalable Deep RL", sec. 3.1: ``p_k = Phi((e_{k+1} - y)/s) -
  Phi((e_k - y)/s)``, targets clipped to the support and renormalised);
* ``two-hot / DFL``: cross-entropy against the two-hot encoding (Hafner et al. 2023,
  DreamerV3, "symlog two-hot"; Li et al. 2020, Generalized Focal Loss, Distribution Focal
  Loss ``-((y_{i+1} - y) log S_i + (y - y_i) log S_{i+1})``), targets clipped to the outer
  bin centres.

An interval target is given to the scalar-target peers as the expectation of their encoding
of a scalar ``y ~ U[a, b]`` (closed forms below, computed in float64).

Evaluation (float64, 2000 held-out targets): the cross-entropy ``H(U[a, b], p)`` of each
model's predicted density, computed exactly by ``symkde.loss`` -- the Laplace or von Mises
mixture for the KDE losses, the histogram (a boxcar of half-width w/2 at every centre, i.e.
piecewise constant) for HL-Gauss and two-hot -- and the coverage, the predicted mass inside the
target arc.  Two tasks: on the circle (arcs may cross +-pi), and on the line with bins on
``[-pi, pi]`` and centres drawn from ``[-1.25 pi, 1.25 pi]``, so about a fifth of the targets
leave the bins' support (the histogram losses must clip them; the KDE losses need not).

Run ``python examples/compare_losses.py`` (full settings: 3 seeds, 12 s per run, about 9
minutes on 2 cores) to rewrite ``benchmarks/TRAINING.md`` and ``docs/figures/compare_losses.png``;
``--budget``/``--seeds``/``--test`` shrink it (``notebooks/06_training.py`` runs it small).
Threads: ``OMP_NUM_THREADS=1``, ``NUMBA_NUM_THREADS=1``, ``torch.set_num_threads(1)``.
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # before numba/torch load; an import (tests, notebook) changes nothing
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

import symkde
from symkde.torch import kde_cross_entropy

M = 64
WIDTH = 2 * math.pi / M
CENTRES = -math.pi + (np.arange(M) + 0.5) * WIDTH
NODES = 64  # midpoints per interval for the binned losses and the scalar-target encodings
ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- the task
def sample(
    count: int, generator: torch.Generator, circular: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Features ``(count, 4)`` and the arcs' ends ``a``, ``b`` (float64)."""
    u = torch.rand(count, 3, generator=generator, dtype=torch.float64)
    span = math.pi if circular else 1.25 * math.pi
    centre = (2 * u[:, 0] - 1) * span
    width = 0.2 + 0.8 * u[:, 1]
    clean = torch.stack([centre.cos(), centre.sin(), centre / math.pi, width], dim=1)
    noise = 0.05 * torch.randn(count, 4, generator=generator, dtype=torch.float64)
    return clean + noise, centre - width / 2, centre + width / 2


def make_model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 64),
        torch.nn.SiLU(),
        torch.nn.Linear(64, 64),
        torch.nn.SiLU(),
        torch.nn.Linear(64, M),
    )


def _midpoints(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``(batch, NODES)`` midpoints ``a + (m - 1/2)(b - a)/NODES``."""
    frac = (torch.arange(NODES, dtype=a.dtype) + 0.5) / NODES
    return a[:, None] + (b - a)[:, None] * frac


def _wrap(u: torch.Tensor) -> torch.Tensor:
    return torch.remainder(u + math.pi, 2 * math.pi) - math.pi


# ----------------------------------------------------------------------------- the peers
def _arc(a: torch.Tensor, b: torch.Tensor, lo: float, hi: float, circular: bool):
    """Each bin centre's offset from the target's middle, and the target's width.

    On the line the target is first clipped to ``[lo, hi]`` (a target wholly outside becomes
    a point at the edge: width 1e-6).
    """
    centres = torch.as_tensor(CENTRES, dtype=a.dtype)
    if not circular:
        a, b = a.clamp(lo, hi), b.clamp(lo, hi)
    middle, width = (a + b) / 2, (b - a).clamp_min(1e-6)
    offset = centres - middle[:, None]
    return (_wrap(offset) if circular else offset), width[:, None]


def hl_gauss_targets(a: torch.Tensor, b: torch.Tensor, ratio: float, circular: bool):
    """HL-Gauss (Farebrother et al. 2024): bin masses of the target smoothed by N(0, sigma^2).

    A scalar ``y`` gives ``Phi((e_{k+1} - y)/sigma) - Phi((e_k - y)/sigma)``; averaged over
    ``y ~ U[a, b]`` with ``int Phi = u Phi(u) + phi(u) =: G`` this is the closed form below.
    Line: the target is clipped to the support ``[-pi, pi]`` and the averaged masses
    renormalised (the paper renormalises each scalar's masses; for a target at the edge the
    two differ by up to ~0.04 in a bin, elsewhere by < 1e-7).
    """
    sigma = ratio * WIDTH
    d, w = _arc(a, b, -math.pi, math.pi, circular)
    normal = torch.distributions.Normal(0.0, 1.0)

    def g(u: torch.Tensor) -> torch.Tensor:
        return u * normal.cdf(u) + normal.log_prob(u).exp()

    def integral(edge: torch.Tensor) -> torch.Tensor:  # (1/w) int over the target of Phi
        return sigma / w * (g((edge + w / 2) / sigma) - g((edge - w / 2) / sigma))

    mass = (integral(-(d - WIDTH / 2)) - integral(-(d + WIDTH / 2))).clamp_min(0)
    return (mass / mass.sum(-1, keepdim=True)).float()


def two_hot_targets(a: torch.Tensor, b: torch.Tensor, circular: bool):
    """Two-hot (DreamerV3) / DFL (Li et al. 2020): ``max(0, 1 - |y - theta_k|/w)`` per bin.

    Averaged over ``y ~ U[a, b]`` in closed form with the triangle's CDF; on the line the
    target is clipped to the outer centres.
    """
    d, w = _arc(a, b, CENTRES[0], CENTRES[-1], circular)

    def cdf(u: torch.Tensor) -> torch.Tensor:  # CDF of the triangle on [-1, 1]
        u = u.clamp(-1, 1)
        return torch.where(u < 0, (1 + u) ** 2 / 2, 1 - (1 - u) ** 2 / 2)

    mass = WIDTH / w * (cdf((-d + w / 2) / WIDTH) - cdf((-d - w / 2) / WIDTH))
    return (mass / mass.sum(-1, keepdim=True)).float()


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return -(target * torch.log_softmax(logits, -1)).sum(-1).mean()


def log_laplace(u: torch.Tensor, h: float, circular: bool) -> torch.Tensor:
    """log K_h(u): Laplace, or wrapped Laplace ``cosh((pi - |u|)/h) / (2h sinh(pi/h))``."""
    if not circular:
        return -u.abs() / h - math.log(2 * h)
    x = (math.pi - _wrap(u).abs()) / h
    log_cosh = x + torch.nn.functional.softplus(-2 * x) - math.log(2)
    log_sinh = math.pi / h + math.log1p(-math.exp(-2 * math.pi / h)) - math.log(2)
    return log_cosh - math.log(2 * h) - log_sinh


def binned_kde_loss(logits, a, b, circular: bool) -> torch.Tensor:
    """Binned KDE cross-entropy in plain PyTorch log space: ``-mean_m log p(t_m)``."""
    t = _midpoints(a, b).to(logits.dtype)[..., None]  # (batch, NODES, 1)
    centres = torch.as_tensor(CENTRES, dtype=logits.dtype)
    log_k = log_laplace(t - centres, WIDTH, circular)
    log_p = torch.logsumexp(torch.log_softmax(logits, -1)[:, None, :] + log_k, -1)
    return -log_p.mean()


def losses(circular: bool) -> dict[str, tuple[Callable[..., torch.Tensor], dict[str, Any]]]:
    """Name -> (loss(logits, a, b), the density symkde evaluates the model with)."""
    centres = torch.as_tensor(CENTRES, dtype=torch.float32)
    laplace = dict(kernel="laplace", bandwidth=WIDTH)
    # The histogram: boxes of half-width w/2 (1 + 1e-9), so that neighbours overlap by ~1e-10 rad
    # instead of leaving rounding gaps (which symkde would rightly call uncovered: CE = inf);
    # this moves the CE by ~1e-9, far below the differences reported.
    histogram = dict(kernel="boxcar", bandwidth=WIDTH / 2 * (1 + 1e-9))
    out: dict[str, tuple[Callable[..., torch.Tensor], dict[str, Any]]] = {
        "symkde exact (laplace)": (
            lambda z, a, b: kde_cross_entropy(
                z, centres, a.float(), b.float(), circular=circular, **laplace
            ),
            laplace,
        ),
    }
    if circular:
        vonmises = dict(kernel="vonmises", bandwidth=WIDTH)
        out["symkde vonmises M=64"] = (
            lambda z, a, b: kde_cross_entropy(
                z, centres, a.float(), b.float(), circular=True, method="bins", bins=M, **vonmises
            ),
            vonmises,
        )
    out["binned KDE M=64 (torch)"] = (lambda z, a, b: binned_kde_loss(z, a, b, circular), laplace)
    for ratio in (0.75, 2.0):
        out[f"HL-Gauss s/w={ratio:g}"] = (
            lambda z, a, b, r=ratio: soft_cross_entropy(z, hl_gauss_targets(a, b, r, circular)),
            histogram,
        )
    out["two-hot / DFL"] = (
        lambda z, a, b: soft_cross_entropy(z, two_hot_targets(a, b, circular)),
        histogram,
    )
    return out


# ----------------------------------------------------------------------------- train, evaluate
def train(loss_fn, seed: int, circular: bool, budget: float) -> tuple[torch.nn.Module, int, float]:
    """Adam until the wall-clock budget is spent; returns (model, steps, seconds per step)."""
    model = make_model(seed)
    warm_features, warm_a, warm_b = sample(8, torch.Generator().manual_seed(0), circular)
    loss_fn(model(warm_features.float()), warm_a, warm_b).backward()  # JIT, caches
    model.zero_grad()
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(1000 + seed)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < budget:
        features, a, b = sample(256, generator, circular)
        loss = loss_fn(model(features.float()), a, b)  # a, b float64: each loss casts
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        steps += 1
    return model, steps, (time.perf_counter() - start) / max(steps, 1)


def evaluate(model, density: dict[str, Any], circular: bool, count: int) -> dict[str, Any]:
    """Exact held-out cross-entropy (symkde.loss, float64) and coverage of the target arc."""
    features, a, b = sample(count, torch.Generator().manual_seed(7), circular)
    with torch.no_grad():
        logits = model(features.float()).double().numpy()
    a_np, b_np = a.numpy(), b.numpy()
    ce = symkde.loss(logits, CENTRES, a_np, b_np, circular=circular, **density)
    t = a_np[:, None] + (b_np - a_np)[:, None] * (np.arange(256) + 0.5) / 256
    log_p = np.array(
        [
            symkde.log_density(row_t, row, CENTRES, circular=circular, **density)
            for row_t, row in zip(t, logits, strict=True)
        ]
    )
    coverage = np.exp(log_p).mean(1) * (b_np - a_np)
    outside = (a_np < -math.pi) | (b_np > math.pi) if not circular else np.zeros(count, bool)
    return {"ce": ce, "coverage": coverage, "outside": outside}


def run(seeds: int, budget: float, count: int, tasks=("circle", "line")) -> list[dict[str, Any]]:
    torch.set_num_threads(1)
    rows = []
    for task in tasks:
        circular = task == "circle"
        for name, (loss_fn, density) in losses(circular).items():
            for seed in range(seeds):
                model, steps, per_step = train(loss_fn, seed, circular, budget)
                result = evaluate(model, density, circular, count)
                rows.append(
                    dict(task=task, loss=name, seed=seed, steps=steps, per_step=per_step, **result)
                )
                print(
                    f"{task:6s} {name:24s} seed {seed}: {steps:5d} steps, "
                    f"CE {np.mean(result['ce']):.4f}, coverage {result['coverage'].mean():.3f}",
                    flush=True,
                )
    return rows


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (task, loss): mean and spread over seeds of each number in the table."""
    table = []
    keys = dict.fromkeys((r["task"], r["loss"]) for r in rows)
    for task, name in keys:
        runs = [r for r in rows if (r["task"], r["loss"]) == (task, name)]
        inside = [~r["outside"] for r in runs]
        ce_in = [float(np.mean(r["ce"][m])) for r, m in zip(runs, inside, strict=True)]
        ce_out = [
            float(np.mean(r["ce"][r["outside"]])) if r["outside"].any() else float("nan")
            for r in runs
        ]
        infinite = [int(np.isinf(r["ce"]).sum()) for r in runs]
        table.append(
            dict(
                task=task,
                loss=name,
                seeds=len(runs),
                steps=float(np.mean([r["steps"] for r in runs])),
                ms_per_step=1e3 * float(np.median([r["per_step"] for r in runs])),
                ce_inside=float(np.mean(ce_in)),
                ce_inside_sd=float(np.std(ce_in)) if np.isfinite(ce_in).all() else float("nan"),
                ce_outside=float(np.mean(ce_out)),
                infinite=int(np.sum(infinite)),
                held_out=int(sum(r["ce"].size for r in runs)),
                coverage=float(
                    np.mean([r["coverage"][m].mean() for r, m in zip(runs, inside, strict=True)])
                ),
                coverage_outside=float(
                    np.mean(
                        [
                            r["coverage"][r["outside"]].mean() if r["outside"].any() else np.nan
                            for r in runs
                        ]
                    )
                ),
            )
        )
    return table


def markdown(table: list[dict[str, Any]], seeds: int, budget: float, count: int) -> str:
    lines = [
        "# Training comparison: this loss against the binned losses people use",
        "",
        "Written by `python examples/compare_losses.py` (do not edit by hand). "
        f"{seeds} seeds x {budget:g} s of training per loss (same model, Adam 3e-3, batch 256, "
        f"float32), {count} held-out targets per seed; CPU, OMP_NUM_THREADS=1, "
        "NUMBA_NUM_THREADS=1, torch.set_num_threads(1), on a shared 2-core VM (noisy: "
        "compare rows of one run, not absolute times).",
        "",
        "Held-out CE: the exact cross-entropy H(U[a,b], p) of the model's density (symkde.loss, "
        "float64); 'inside' = targets inside the bins' support, 'outside' = targets leaving it "
        "(line task only; inf when the density is zero on part of the target). Coverage: the "
        "predicted mass inside the target arc (ideal 1).",
        "",
        "| task | loss | steps | ms/step | held-out CE inside (sd over seeds) | CE outside | "
        "rows with CE = inf | coverage inside | coverage outside |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in table:
        lines.append(
            f"| {r['task']} | {r['loss']} | {r['steps']:.0f} | {r['ms_per_step']:.2f} | "
            f"{r['ce_inside']:.4f} ({r['ce_inside_sd']:.4f}) | {r['ce_outside']:.4f} | "
            f"{r['infinite']} / {r['held_out']} | {r['coverage']:.3f} | "
            f"{r['coverage_outside']:.3f} |"
        )
    return "\n".join(lines).replace("| nan |", "| - |") + "\n"


def figure(table: list[dict[str, Any]], path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 4.2), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    for ax, task in zip(axes, ("circle", "line"), strict=True):
        rows = [r for r in table if r["task"] == task]
        if not rows:
            continue
        names = [r["loss"] for r in rows]
        y = np.arange(len(rows))
        ax.barh(
            y,
            [r["ce_inside"] for r in rows],
            xerr=[r["ce_inside_sd"] for r in rows],
            color="#1f77b4",
            alpha=0.8,
        )
        ax.set_yticks(y, names, fontsize=8)
        ax.set_xlabel("held-out cross-entropy H(U[a,b], p), exact (lower is better)")
        ax.set_title(f"{task}: targets inside the bins' support")
        low = min(r["ce_inside"] for r in rows)
        ax.set_xlim(low - 0.3, max(r["ce_inside"] for r in rows) + 0.2)
        ax.grid(True, axis="x", alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=12.0, help="seconds of training per run")
    parser.add_argument("--held-out", type=int, default=2000)
    parser.add_argument("--test", action="store_true", help="tiny run, writes nothing")
    args = parser.parse_args(argv)
    if args.test:
        args.seeds, args.budget, args.held_out = 1, 0.5, 200
    table = summarise(run(args.seeds, args.budget, args.held_out))
    text = markdown(table, args.seeds, args.budget, args.held_out)
    print(text)
    if not args.test:
        (ROOT / "benchmarks" / "TRAINING.md").write_text(text)
        figure(table, ROOT / "docs" / "figures" / "compare_losses.png")
    return table


if __name__ == "__main__":
    main()
