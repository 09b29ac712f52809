# %% [markdown]
# # 6. The seed's puzzle in training
#
# The seed asks why far-away points learn as fast as near ones, and whether they should.  The
# registry proves the per-step facts; this notebook runs whole trainings and reads off what
# they mean.  Every claim below is either a theorem of `symkde.theorems` (named) or a number
# computed in this notebook (asserted at the end of its section) or in the committed full run
# of `examples/compare_losses.py` (`benchmarks/TRAINING.md`).
#
# 1. Gradient descent on the logits alone, from a far start.
# 2. Learning the positions (and the bandwidth).
# 3. Against the binned losses people use (HL-Gauss, two-hot/DFL, binned KDE).

# %%
# %matplotlib inline
import importlib
import math
import sys
from pathlib import Path

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import symkde
from symkde.cli import figures, figures_common
from symkde.cli.figures_training import FAR_OFFSETS, TARGET, logit_descent_data

# %% [markdown]
# ## 1. Gradient descent on the logits, from a far start
# Target $[-1/2, 1/2]$, $h = 1$.  One point sits at the target's centre with logit $-30$
# (weight $\approx 10^{-13}$); three points at $D + (0, 1/2, 3/2)$ carry the rest, for
# $D = 10, 100, 1000$ bandwidths.  Plain descent $z \leftarrow z - \eta\,\partial L/\partial z$
# with $\eta = 1$.  The step is covered by a theorem: `hessian_spectrum` (general n, any
# kernel) puts the Hessian's spectrum in $[-1/2, 1/2]$, so the gradient is $1/2$-Lipschitz
# and, by the standard descent lemma, $L(z - \eta g) \le L(z) - \eta(1 - \eta/4)|g|^2$:
# every step $0 < \eta < 4$ decreases $L$ while $g \ne 0$ ($\eta = 2$ guarantees the
# most).  By `gradient_bounds` every component of $\partial L/\partial z$ lies in
# $[S_i - 1, S_i]$, so no logit moves by more than $\eta$ per step.

# %%
data = logit_descent_data(steps=60)
figures.fig_training_curves(data)


# %%
def steps_to_half(mass):
    """First step at which the centre point holds half the mass (None: never in the run)."""
    hit = np.flatnonzero(mass >= 0.5)
    return int(hit[0]) if hit.size else None


print("steps until the centre point holds half the mass (exact | M=32 | M=256)")
for kernel in ("laplace", "gaussian", "cauchy", "boxcar"):
    for column, distance in enumerate(data["distance"]):
        row = [
            steps_to_half(data["mass"][(kernel, m)][:, column]) for m in ("exact", "M=32", "M=256")
        ]
        print(f"  {kernel:8s} D={distance:6g}: {row}")
binning = max(
    np.abs(data["mass"][(k, m)] - data["mass"][(k, "exact")]).max()
    for k in ("laplace", "gaussian", "cauchy", "boxcar")
    for m in ("M=32", "M=256")
)
print(f"largest change of the centre point's weight from binning: {binning:.2e}")

# %% [markdown]
# What the run shows (numbers printed above):
#
# * **Boxcar** escapes in the same number of steps at every distance (25 to half the mass):
#   the far boxes do not reach the target, so the centre point is the only cover and its
#   gradient is $S_0 - 1 \approx -1$ (`one_hot`, `partial_labels`), a full step each time.
# * **Gaussian** escapes as fast: at 10 bandwidths the far density ($e^{-D^2/2}$) is already far
#   below the centre point's $10^{-13}$.
# * **Laplace** escapes from 100 and 1000 bandwidths at the boxcar's pace, but **not from 10**:
#   there the far tail $e^{-D}$ still explains the target better than the $10^{-13}$ centre
#   point, the responsibility of the centre point is tiny, and so is its gradient.
# * **Cauchy** never escapes within the run at any distance: heavy tails explain the target
#   better than an almost-masked point ever can.
# * Binning at $M = 32$ or $256$ changes these trajectories by less than the printed bound:
#   with one point at the target's centre the midpoint rule's error is too small to matter.
#
# The first step for the far points is the one the far-field theorems predict.  With the
# centre point masked ($z_0 = -\infty$) the gradient on the far logits is:
# Laplace, the same at every distance (`laplace_contraction_interval`, `far_field_laplace`);
# Gaussian, one-hot on the nearest point, $S - e_1$ (`far_field_gaussian`); Cauchy, tending to
# 0 (`far_field_cauchy`).

# %%
z_far = np.array([-np.inf, 2 / 3, -1 / 4, 1.0])
first_step = {}
for kernel in ("laplace", "gaussian", "cauchy"):
    first_step[kernel] = np.array(
        [
            symkde.grad(z_far, np.r_[0.0, d + np.array(FAR_OFFSETS)], *TARGET, kernel=kernel)[1:]
            for d in data["distance"]
        ]
    )
    print(kernel, np.array2string(first_step[kernel], precision=6))
limits = {k: figures.far_field_limits(k) for k in ("laplace", "gaussian", "cauchy")}
print("SymPy limits:", {k: np.round(v, 6).tolist() for k, v in limits.items()})

# %%
# Laplace: identical at every distance and equal to the limit (1e-12: the API's gradient accuracy).
assert np.abs(first_step["laplace"] - limits["laplace"]).max() < 1e-12
# Gaussian: one-hot on the nearest point; at D = 10 the remainder, ~exp(-D/2), is a few 1e-3.
assert np.abs(first_step["gaussian"][1:] - limits["gaussian"]).max() < 1e-12
# Cauchy: every component shrinks toward the limit 0 as D grows (~1/D).
cauchy_size = np.abs(first_step["cauchy"]).max(axis=1)
assert cauchy_size[0] > cauchy_size[1] > cauchy_size[2] and cauchy_size[2] < 1e-2
# The run: boxcar identical at every distance; Laplace stuck at D = 10, escaped beyond.
box = data["mass"][("boxcar", "exact")]
assert np.abs(box - box[:, :1]).max() < 1e-12 and box[-1, 0] > 0.9
lap = data["mass"][("laplace", "exact")][-1]
assert lap[0] < 1e-6 and lap[1] > 0.9 and lap[2] > 0.9
assert data["mass"][("cauchy", "exact")][-1].max() < 1e-6
assert max(np.abs(np.diff(v, axis=0)).max() for v in data["logits"].values()) <= 1 + 1e-13

# %% [markdown]
# ## 2. Learning the positions (and the bandwidth)
# The same target, three points at $D + (0, 1/2, 3/2)$ with the witness logits, $h = 1$ fixed,
# plain descent on $x$ with $\eta = 1/2$ (chosen empirically).  For Laplace each point's
# derivative is a responsibility-weighted average of the slope of $\log K_h$, which is $\pm 1/h$
# (`laplace_position_slope`), so $\sum_j |\partial L/\partial x_j| \le 1/h$: the points
# walk toward the target at a bounded speed whatever the distance.  The Gaussian's pull grows
# like $D/h^2$ and Cauchy's decays like $2/D$ (notebook 7).


# %%
def descend_positions(kernel, distance, steps=60, step_size=0.5, learn_bandwidth=False):
    x = distance + np.array(FAR_OFFSETS)
    z, log_h = np.array([2 / 3, -1 / 4, 1.0]), 0.0
    path, speed, widths = [x.copy()], [], [1.0]
    for _ in range(steps):
        h = math.exp(log_h)
        d = symkde.derivatives(z, x, *TARGET, kernel=kernel, bandwidth=h)
        speed.append(h * np.abs(d.x).sum())  # h * sum_j |dL/dx_j|
        x = x - step_size * d.x
        if learn_bandwidth:
            log_h -= step_size * h * d.bandwidth  # descent on log h
        path.append(x.copy())
        widths.append(math.exp(log_h))
    return np.array(path), np.array(speed), np.array(widths)


positions = {
    (k, d): descend_positions(k, d)
    for k in ("laplace", "gaussian", "cauchy")
    for d in (10.0, 100.0)
}


def fig_positions():
    """The nearest point's position against the step, per kernel, from D = 10 and 100."""
    fig = Figure(figsize=(11.0, 4.0), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    for ax, distance in zip(axes, (10.0, 100.0), strict=True):
        for kernel in ("laplace", "gaussian", "cauchy"):
            path = positions[(kernel, distance)][0]
            colour = figures_common.COLORS[kernel]
            ax.plot(path[:, 0], color=colour, label=f"{kernel}: nearest point")
        laplace_bound = distance - 0.5 * np.arange(61)  # at most eta/h per step (1/h bound)
        ax.plot(np.maximum(laplace_bound, 0), "k:", label="Laplace bound: eta/h per step")
        ax.axhspan(*TARGET, color="0.85")
        ax.set_xlabel("gradient step")
        ax.set_ylabel("position of the nearest point")
        ax.set_title(f"start D = {distance:g} bandwidths")
        ax.legend(fontsize=7)
    return fig


fig_positions()

# %%
for (kernel, distance), (path, speed, _) in positions.items():
    print(
        f"{kernel:8s} D={distance:5g}: nearest point after 10/60 steps "
        f"{path[10, 0]:9.3f} {path[60, 0]:9.3f}; max h*sum|dL/dx| = {speed.max():.4g}"
    )
_, _, widths = descend_positions("laplace", 100.0, learn_bandwidth=True)
print(
    f"Laplace, D = 100, learning log h too: h = {widths[10]:.3g} after 10 steps, "
    f"{widths[-1]:.3g} after 60"
)

# %%
# Laplace: h * sum_j |dL/dx_j| <= 1 at every step (the 1/h bound), rounding allowed (1e-12).
assert all(positions[("laplace", d)][1].max() <= 1 + 1e-12 for d in (10.0, 100.0))
# ... so from D = 100 the nearest point can have moved at most 0.5 * 60 = 30 in 60 steps.
assert positions[("laplace", 100.0)][0][60, 0] >= 100.0 - 30.0
# Gaussian: the pull grows with D (first step ~ D/h^2), so it arrives within 10 steps from D = 100.
assert (
    positions[("gaussian", 100.0)][1].max() > 50
    and abs(positions[("gaussian", 100.0)][0][10, 0]) < 1
)
# Cauchy: the pull decays like 2/D: after 60 steps from D = 100 the point has barely moved.
assert positions[("cauchy", 100.0)][0][60, 0] > 99
# Learning the bandwidth from a far start: fixed-step descent on log h widens the kernel instead.
assert widths[10] > 1e6 and widths[-1] > 100

# %% [markdown]
# From the numbers above: Laplace's points walk in at the bounded speed (never more than
# $\eta/h$ per step, whatever the distance); the Gaussian's jump in at once from 100 bandwidths
# (its first steps are of size $\sim D$: a fixed step that suits $D = 100$ would overshoot badly
# elsewhere); Cauchy's hardly move.  Learning $\log h$ by the same descent from a far start makes
# the kernel wider rather than moving the points (Laplace from $D = 100$: $h$ grows past
# $10^{19}$ within 10 steps): $\partial L/\partial h$ grows like $D/h^2$
# (notebook 7), so a practitioner should start the bandwidth small and the points spread.
#
# ## 3. Against the binned losses people use
# `examples/compare_losses.py` trains one small MLP (64 logits over fixed bin centres on the
# circle) for the same wall-clock budget with each loss: `symkde.torch.kde_cross_entropy`
# (Laplace, exact; von Mises with `bins=64`), a hand-written binned Laplace KDE at 64 nodes,
# HL-Gauss ($\sigma/w = 0.75, 2$; Farebrother et al. 2024) and two-hot / DFL (DreamerV3; Li
# et al. 2020).  The peers are written from their published definitions in that file; here we
# check the two target encodings in closed form against the average of their scalar encodings
# over the interval (the definition), and show the committed full run.

# %%
sys.path.insert(0, str(Path.cwd().parent / "examples"))
peers = importlib.import_module("compare_losses")

a = torch.tensor([-0.3, 3.0, -3.5], dtype=torch.float64)
b = a + torch.tensor([0.5, 0.6, 0.4], dtype=torch.float64)
y = a[:, None] + (b - a)[:, None] * (torch.arange(2000, dtype=torch.float64) + 0.5) / 2000
offset = peers._wrap(torch.as_tensor(peers.CENTRES) - y[..., None])
sigma = 0.75 * peers.WIDTH
normal = torch.distributions.Normal(0.0, 1.0)
hl_scalar = normal.cdf((offset + peers.WIDTH / 2) / sigma) - normal.cdf(
    (offset - peers.WIDTH / 2) / sigma
)
hl_error = (
    (peers.hl_gauss_targets(a, b, 0.75, True).double() - hl_scalar.mean(1)).abs().max().item()
)
two_hot_scalar = (1 - offset.abs() / peers.WIDTH).clamp_min(0)
two_hot_error = (
    (peers.two_hot_targets(a, b, True).double() - two_hot_scalar.mean(1)).abs().max().item()
)
print(f"closed form vs 2000-node average: HL-Gauss {hl_error:.1e}, two-hot {two_hot_error:.1e}")
# float32 targets (rounding ~6e-8) plus the 2000-node midpoint rule (~1e-7): 1e-6 is ample,
# and a wrong encoding (e.g. sigma = 2 w instead of 0.75 w) is off by > 1e-2.
assert hl_error < 1e-6 and two_hot_error < 1e-6
wrong = (peers.hl_gauss_targets(a, b, 2.0, True).double() - hl_scalar.mean(1)).abs().max().item()
assert wrong > 1e-2

# %%
table = (Path.cwd().parent / "benchmarks" / "TRAINING.md").read_text()
print(table)


# %%
def parse(text):
    """The committed table as {(task, loss): {column: value}} (inf and '-' kept as floats)."""
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| circle")]
    rows += [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| line")]
    out = {}
    for cells in rows:
        cells = [c.strip() for c in cells]
        out[(cells[0], cells[1])] = {
            "steps": float(cells[2]),
            "ms": float(cells[3]),
            "ce": float(cells[4].split()[0]),
            "inf_rows": int(cells[6].split("/")[0]),
        }
    return out


full = parse(table)
exact, binned = (
    full[("circle", "symkde exact (laplace)")],
    full[("circle", "binned KDE M=64 (torch)")],
)
two_hot, hl = full[("circle", "two-hot / DFL")], full[("circle", "HL-Gauss s/w=0.75")]
print(
    f"circle: exact {exact['ce']}, binned KDE {binned['ce']}, "
    f"two-hot {two_hot['ce']}, HL-Gauss {hl['ce']}"
)

# %% [markdown]
# ## Closing note: where this loss wins, where it loses, and why
# Numbers from the committed full run above (3 seeds x 12 s per loss; the machine was shared,
# so compare rows, not absolute times; the asserts below re-read them from the table).
#
# * **Wins against the same density computed by bins.**  The exact Laplace loss reaches a lower
#   held-out cross-entropy than the hand-written binned Laplace KDE at 64 nodes on both tasks
#   (circle -0.27 vs -0.21; line -0.31 vs -0.22) and takes ~5x less time per step (11 vs 58 ms
#   on the circle), so it also runs ~4x more steps in the same budget.  The von Mises arm,
#   binned through `symkde.torch` at 64 nodes, was the slowest (~158 ms per step) and worst.
# * **Wins when targets leave the bins' support.**  On the line, 1590 of 6000 held-out targets
#   reach beyond $[-\pi, \pi]$: every histogram model (HL-Gauss, two-hot) gives them density 0
#   and cross-entropy $\infty$, since their training targets were clipped; the KDE losses give
#   a finite value (2.26) because the kernel's tail covers the whole line (`kde_normalized`).
# * **Loses inside the support to two-hot and HL-Gauss (sigma/w = 0.75).**  Two-hot reaches
#   -0.38 on the circle against -0.27, HL-Gauss 0.75 -0.34.  Two reasons we can name but not
#   yet separate: they ran 1.4x to 3.4x more steps in the budget (a softmax cross-entropy costs
#   3.5-8 ms per step here against 11 ms), and their density is the histogram itself, while the
#   KDE models' density is blurred by a Laplace kernel one bin wide (fixed here, not learned),
#   which costs cross-entropy on narrow targets.  HL-Gauss at sigma/w = 2 over-smooths and is
#   worse than this loss (-0.17).

# %%
for task in ("circle", "line"):
    ours, peer = full[(task, "symkde exact (laplace)")], full[(task, "binned KDE M=64 (torch)")]
    assert ours["ce"] < peer["ce"] and ours["ms"] < peer["ms"]
    assert ours["ce"] < full[(task, "HL-Gauss s/w=2")]["ce"]
    assert full[(task, "two-hot / DFL")]["ce"] < ours["ce"]
line_rows = {name: v for (task, name), v in full.items() if task == "line"}
assert line_rows["symkde exact (laplace)"]["inf_rows"] == 0
assert line_rows["binned KDE M=64 (torch)"]["inf_rows"] == 0
assert min(line_rows[n]["inf_rows"] for n in ("HL-Gauss s/w=0.75", "two-hot / DFL")) > 1000
