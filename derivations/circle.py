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
# # Theorems on the circle
#
# Positions are angles and the kernel is wrapped, $K_\circ(u) = \sum_k K_h(u + 2\pi k)$.
# We derive the wrapped Laplace and Cauchy closed forms from their image sums, check which
# line theorems survive wrapping, show that Laplace contraction invariance does not (and by
# how much it fails), and take the von Mises limits.  Library: `symkde.theorems.circle`.

# %%
import sympy as sp

from symkde import theorems
from symkde.cli.display import say, show, walk  # noqa: F401 - used by later cells

# %% [markdown]
# ## 1. Closed forms from image sums
#
# Laplace: for $u = r + 2\pi N$, $0 \le r < 2\pi$, the images to the right and to the left
# are two geometric series with ratio $e^{-2\pi/h}$.
# %%
from symkde.symbolic.kernels import KERNELS, h
from symkde.theorems.circle import (
    geometric_series,
    image_sum,
    reduced,
    term_index,
)

show("image sum", image_sum(KERNELS["laplace"].density))
right, _ = geometric_series(sp.exp(-(reduced + 2 * sp.pi * term_index) / h) / (2 * h))
show("right images, summed", right)

# %%
NAMES = [
    "circle_wrapped_laplace_closed_form",
    "circle_wrapped_cauchy_closed_form",
]
proofs = {name: walk(name) for name in NAMES}

# %% [markdown]
# The Cauchy step uses Poisson summation as a cited lemma: SymPy checks its hypotheses
# (decay of $K$ and of $\hat K(m) = e^{-h|m|}$), integrates the Fourier coefficients and sums
# the two geometric series; the lemma itself is not derived.
#
# ## 2. What survives wrapping
#
# The gradient with a wrapped kernel is the line's gradient with $K_j = K_\circ(t - x_j)$, and
# the line proofs of scale invariance, sum-to-zero, one-hot and partial labels use only
# $K_j > 0$ and ratios.

# %%
SURVIVING = [
    "circle_scale_invariance",
    "circle_gradient_sum_zero",
    "circle_one_hot",
    "circle_partial_labels",
]
proofs.update({name: walk(name) for name in SURVIVING})

# %% [markdown]
# ## 3. Laplace contraction fails on the circle
#
# At circular distance $r \in [0, \pi]$ the wrapped Laplace kernel is
# $\cosh((\pi - r)/h) / (2h\sinh(\pi/h))$; moving a point toward the bin by $d$ multiplies it by
# a factor that depends on $r$.

# %%
from symkde.theorems.circle import distance, move, wrapped_laplace_of_distance  # noqa: E402

kernel = wrapped_laplace_of_distance()
ratio = sp.simplify(kernel.subs(distance, distance - move) / kernel)
show("K(r - d) / K(r)", ratio)
show("d/dr of the ratio", sp.simplify(sp.expand_trig(ratio.rewrite(sp.exp)).diff(distance)))

# %%
proofs.update(
    {
        name: walk(name)
        for name in ("circle_laplace_contraction", "circle_laplace_contraction_bound")
    }
)

# %% [markdown]
# ## 4. von Mises: no far field, and the concentration limits

# %%
proofs.update(
    {name: walk(name) for name in ("circle_vonmises_no_far_field", "circle_vonmises_concentration")}
)

# %%
for name, proof in proofs.items():
    assert theorems.get(name).verdict_ok(proof), name
assert proofs["circle_laplace_contraction"].refuted
assert all(proofs[name].holds for name in proofs if name != "circle_laplace_contraction")
assert (
    sp.simplify(ratio - sp.cosh((sp.pi - distance + move) / h) / sp.cosh((sp.pi - distance) / h))
    == 0
)
