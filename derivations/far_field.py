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
# All points recede from the bin together.  Library: `symkde.theorems.far_field_general`
# (general n, any radial kernel) and `symkde.theorems.far_field` (its n = 3 instances, by
# `sympy.limit` on the concrete kernels, offsets (0, 1/2, 3/2): one nearest point, no tie).
#
# For any $K(u) = f(|u|)$ the gradient depends on the distances $D + o_j$ only through the
# ratios $\rho_j = f(D + o_j)/f(D) = \exp(-\int_D^{D+o_j} \psi)$, $\psi = -(\log f)'$.
# If $\psi \to \lambda$: finite $\lambda$ gives the Laplace gradient with $h = 1/\lambda$
# (only the Laplace kernel has it at every $D$: far points learn as fast as near ones only
# there); $\lambda = 0$ (Cauchy, polynomial tails) gives $0$, at rate $O(1/D)$; $\lambda = \infty$
# (Gaussian) gives the partial-label gradient over the nearest points, the one-hot gradient
# only when the nearest point is unique.  The passage to the limit (continuity of $G$, and
# $\int_D^{D+o} \psi \to \lambda o$) is explained in the theorem's docstring, not a checked step.

# %%
import sympy as sp

from symkde.cli.display import say, show, walk  # noqa: F401 - used by later cells

# %%
from symkde.theorems.far_field import distance, far_gradient

show("Cauchy gradient, first component", far_gradient("cauchy")[0])
show("Laplace gradient: d/dD", sp.simplify(far_gradient("laplace").diff(distance)).T)

# %%
NAMES = ["far_field_general", "far_field_gaussian", "far_field_laplace", "far_field_cauchy"]
proofs = {name: walk(name) for name in NAMES}

# %%
assert all(proof.holds for proof in proofs.values())
