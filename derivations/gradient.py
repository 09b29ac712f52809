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
# # The gradient of the softmax-KDE cross-entropy
#
# SymPy differentiates the per-bin loss $-\log p(t)$, $p(t) = \sum_j S_j K_j$, for a
# symbolic number of points $n$, and the integrated loss under the integral sign.
# Library: `symkde.symbolic.model`, `symkde.theorems.gradient`.

# %%
import sympy as sp

from symkde.cli.display import say, show, walk  # noqa: F401 - used by later cells

# %% [markdown]
# ## The per-bin gradient, derived
# %%
from symkde.symbolic.model import bin_loss, i, responsibility, softmax
from symkde.theorems.gradient import collapse, derive_bin_gradient

show("loss", bin_loss())
derived = derive_bin_gradient()
show("d loss / d z_i", derived)
assert sp.cancel(derived - collapse(softmax(i) - responsibility(i))) == 0

# %% [markdown]
# ## Every theorem of this topic, proved

# %%
NAMES = [
    "kernel_normalized_laplace",
    "kernel_normalized_gaussian",
    "kernel_normalized_boxcar",
    "kernel_normalized_triangle",
    "kernel_normalized_cauchy",
    "kernel_normalized_vonmises",
    "kde_normalized",
    "gradient",
    "gradient_integrated",
    "gradient_bounds",
    "one_hot",
    "partial_labels",
]
proofs = {name: walk(name) for name in NAMES}

# %%
assert all(proof.holds for proof in proofs.values())
