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
# # The Laplace kernel: moving points toward the target
#
# Per bin, moving every point toward $t$ by the same $d$ multiplies every Laplace kernel
# value by $e^{d/h}$, so the gradient is unchanged. On $[a, b]$ this holds only while no
# point is inside the interval; the seed's "centre" claim fails once a point passes an edge.
# Library: `symkde.theorems.laplace`.

# %%
import sympy as sp

from symkde.cli.display import say, show, walk  # noqa: F401 - used by later cells

# %% [markdown]
# ## The seed's counterexample, integrated exactly by SymPy
# %%
from symkde.theorems.laplace import exact_integrated_gradient

before = exact_integrated_gradient([0, 0], [3, 5], -1, 1)
after = exact_integrated_gradient([0, 0], [0, 2], -1, 1)
show("dL/dz_1 at x = (3, 5)", before)
show("dL/dz_1 at x = (0, 2)", after)
print(sp.N(before, 20), sp.N(after, 20))

# %%
NAMES = [
    "laplace_contraction_bin",
    "laplace_contraction_interval",
    "center_claim_bin",
    "center_claim_interval",
]
proofs = {name: walk(name) for name in NAMES}

# %%
assert all(proofs[name].holds for name in NAMES[:3])
assert proofs["center_claim_interval"].refuted
assert abs(sp.N(before, 30) + sp.Rational(38080, 10**5)) < 1e-5
assert abs(sp.N(after, 30) + sp.Rational(29884, 10**5)) < 1e-5
