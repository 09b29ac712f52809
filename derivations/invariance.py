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
# %% [markdown]
# ## Asymmetric kernels (`symkde.theorems.characterization`)
#
# Among all positive kernels, symmetric or not, contraction invariance (for every choice of
# logits) is the functional equation $K(u_1)K(u_2 - d) = K(u_1 - d)K(u_2)$ on each side;
# its measurable solutions are $A_\pm e^{-\lambda_\pm |u|}$ (lemma L-cauchy: Cauchy's
# equation; no differentiability assumed), points on both sides force
# $\lambda_+ = \lambda_-$, and a density needs $\lambda > 0$ ($\lambda \le 0$ also solves
# the equation).  So the Laplace kernel is not the only one: any $A_\pm e^{-\lambda|u|}$
# with $A_+ + A_- = \lambda$ has the property.
# %%
NAMES += [
    "contraction_gap_identity",
    "exponential_kernels_invariant",
    "exponential_kernels_normalisable",
    "only_exponential_kernels_halfline",
]
proofs = {name: walk(name) for name in NAMES}

# %%
assert all(proof.holds for proof in proofs.values())
