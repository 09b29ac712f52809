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
# # The loss landscape and the Hessian in the logits (general n)
#
# Library: `symkde.theorems.landscape`, `symkde.theorems.hessian`.  Every statement below is
# for general n and any positive kernel; the only facts taken on trust are the lemmas
# L-interchange (differentiation under the integral) and L-tonelli (order of a double
# integral with a nonnegative integrand), each with a citation and a 50-digit witness.
#
# * $L(z) = F(\mathrm{softmax}(z))$ with $F(q) = -\frac{1}{b-a}\int_a^b \log \sum_k q_k
#   K(t - x_k)\,dt$ **convex in the weights** (the density is linear in $q$, $-\log$ is
#   convex), but **not convex in $z$** (an exact counterexample, re-computed by
#   `symkde.reference`).
# * Still, **every stationary point in $z$ is a global minimiser**: for weights $q, r$ on the
#   simplex, $F(r) - F(q) \ge \sum_j (r_j/q_j - 1)\, g_j$ with $g_j = \partial L/\partial z_j$
#   at $\mathrm{softmax}(z) = q$.
# * $g = S - \mathrm{EM}(S)$, where $\mathrm{EM}(S)_i$ is the mean of $R_i(t)$ over
#   $[a, b]$: one EM update of the mixture proportions.
# * The Hessian is $\mathrm{Cov}_S - \mathrm{mean}_t\,\mathrm{Cov}_{R(t)}$ with
#   $\mathrm{Cov}_w = \mathrm{diag}(w) - w w^T$, its spectrum lies in $[-1/2, 1/2]$, so the
#   gradient is $1/2$-Lipschitz whatever the kernel, bandwidth or points.

# %%
from symkde import theorems
from symkde.cli.display import say, walk  # noqa: F401 - used by later cells

NAMES = [
    "landscape_convex_weights",
    "landscape_tangent_inequality",
    "landscape_em_gradient",
    "landscape_convex_logits",
    "hessian_logits",
    "covariance_half_bound",
    "hessian_spectrum",
]
proofs = {name: walk(name) for name in NAMES}

# %%
for name, proof in proofs.items():
    assert theorems.get(name).verdict_ok(proof), name
assert proofs["landscape_convex_logits"].refuted
