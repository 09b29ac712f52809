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
# # Invariances: logit shift, kernel scale, and why only exponential kernels
#
# Library: `symkde.theorems.invariance`.

# %%
import sympy as sp

from symkde.cli.display import say, show, walk  # noqa: F401 - used by later cells

# %% [markdown]
# ## The functional equation behind "only exponential kernels"
# %%
from symkde.theorems.invariance import contraction_gap, profile, r

gap = contraction_gap(profile(r))
show("gradient change, n = 2, numerator", sp.factor(sp.numer(sp.together(gap))))

# %%
NAMES = ["logit_shift", "gradient_sum_zero", "scale_invariance", "only_exponential_kernels"]
proofs = {name: walk(name) for name in NAMES}

# %%
assert all(proof.holds for proof in proofs.values())
