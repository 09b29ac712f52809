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
# # The far field: which kernels let far points learn less?
#
# All points recede from the bin together; `sympy.limit` takes $D \to \infty$.
# Library: `symkde.theorems.far_field`.

# %%
import sympy as sp

from symkde.cli.display import say, show, walk  # noqa: F401 - used by later cells

# %%
from symkde.theorems.far_field import distance, far_gradient

show("Cauchy gradient, first component", far_gradient("cauchy")[0])
show("Laplace gradient: d/dD", sp.simplify(far_gradient("laplace").diff(distance)).T)

# %%
NAMES = ["far_field_gaussian", "far_field_laplace", "far_field_cauchy"]
proofs = {name: walk(name) for name in NAMES}

# %%
assert all(proof.holds for proof in proofs.values())
