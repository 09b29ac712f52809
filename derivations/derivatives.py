# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Derivatives in the positions, the bandwidth and the target's ends
#
# SymPy differentiates the loss $L = -\frac{1}{b-a}\int_a^b \log p(t)\,dt$,
# $p(t) = \sum_j S_j K(t - x_j)$, for a symbolic number of points $n$.  Differentiating under
# the integral sign is lemma L-interchange (Folland, *Real Analysis*, Thm 2.27), backed by a
# central difference of the loss at 60 digits.  Library: `symkde.theorems.derivatives`,
# `derivatives_identities`, `derivatives_far_field`, `derivatives_compact`.

# %%
import sympy as sp

from symkde.cli.display import say, show, walk
from symkde.theorems._core import equal
from symkde.theorems.derivatives import (
    BANDWIDTH,
    ENDS,
    POSITION,
    derive_bandwidth,
    derive_ends,
    derive_position,
    plain,
)
from symkde.theorems.derivatives_compact import COMPACT
from symkde.theorems.derivatives_far_field import far_responsibility, psi
from symkde.theorems.derivatives_identities import SCALE_LOSS, fundamental_theorem

# %% [markdown]
# ## Position, bandwidth and ends, derived

show("dL/dx_i as SymPy derives it", derive_position())
show("stated", POSITION.rhs)
assert equal("position", plain(derive_position() - POSITION.rhs), 0).holds
show("dL/dh as SymPy derives it (kernel family K(u, h))", derive_bandwidth())
assert equal("bandwidth", plain(derive_bandwidth() - BANDWIDTH.rhs), 0).holds
lower, upper = derive_ends()
show("dL/da", lower)
show("dL/db", upper)
assert len(ENDS.args) == 2

# %%
NAMES = ["derivative_position", "derivative_bandwidth", "derivative_ends"]
proofs = {name: walk(name) for name in NAMES}

# %% [markdown]
# ## Translation and scaling
#
# $\sum_i R_i (\log K)'(t - x_i) = \frac{d}{dt}\log p(t)$, so the fundamental theorem of
# calculus turns $\sum_i \partial L/\partial x_i$ into $(\log p(b) - \log p(a))/(b-a)$, which
# the Leibniz terms of $\partial L/\partial a + \partial L/\partial b$ cancel.  On the circle
# the same proof runs with the von Mises kernel.  Zooming everything by $c$ adds $\log c$ to
# the loss; its $c$-derivative at $c = 1$ ties $\partial L/\partial h$ to the others.

# %%
show("L(cx, ca, cb, ch) = L + log c", SCALE_LOSS)
t = sp.Symbol("t", real=True)
example = sp.Integral(sp.Derivative(t**3, t), (t, 1, 2))
show("SymPy's FTC on an example", fundamental_theorem(example))
assert fundamental_theorem(example) == 7

# %%
for name in [
    "derivative_position_sum",
    "derivative_translation",
    "derivative_translation_circle",
    "derivative_scaling",
]:
    proofs[name] = walk(name)

# %% [markdown]
# ## Far field in the positions
#
# With every point beyond $b$, $(\log K)'(t - x_j) = \psi(x_j - t)$, $\psi = -(\log f)'$,
# and the position derivatives sum to the responsibility-weighted mean of $\psi$.
# Laplace: $\psi = 1/h$ and $\partial L/\partial x_j = R_j/h$ with $R_j$ constant in $t$; the
# position derivatives sum to $1/h$ whatever the distance.  Gaussian: $\psi(r) = r/h^2$ grows
# like $D/h^2$.  Cauchy: $\psi(r) \le 2/D$ decays like $2/D$.

# %%
for kernel in ("laplace", "gaussian", "cauchy"):
    show(f"psi for {kernel}", psi(kernel))
show("R_i far from the target (Laplace)", far_responsibility)

# %%
for name in ["far_field_positions", "far_field_positions_laplace", "far_field_psi"]:
    proofs[name] = walk(name)

# %% [markdown]
# ## Compact kernels: the jump terms
#
# A compact kernel's support edges $x_i \pm h$ move with $x_i$; each edge inside the target
# adds the jump of $\log p$ there (right value minus left value).  An edge exactly at $a$ or
# $b$ contributes nothing (the one-sided derivative in which the edge leaves the target).

# %%
show("dL/dx_i, compact kernel", COMPACT.rhs)
proofs["derivative_position_compact"] = walk("derivative_position_compact")

# %%
assert len(proofs) == 11
say(f"{len(proofs)} theorems, all proved: {all(p.holds for p in proofs.values())}")
assert all(proof.holds for proof in proofs.values())
assert all(
    [lemma.name for lemma in proofs[name].lemmas] == ["L-interchange"]
    for name in ["derivative_position", "derivative_translation", "derivative_scaling"]
)
