# %% [markdown]
# # 5. Angles: kernels on the circle
#
# With `circular=True` positions are angles and every kernel is wrapped,
# $K_{circ}(u) = \sum_{k} K_h(u + 2\pi k)$ (von Mises is periodic already). The densities
# below come from the numeric API itself: for one point at 0, the loss over a tiny one-bin
# arc at $t$ is $-\log K_{circ}(t)$.

# %%
# %matplotlib inline
import math

import numpy as np

import symkde
from symkde.cli import figures_circle

# %%
kernels = figures_circle.circle_kernels_data()
figures_circle.fig_circle_kernels(kernels)

# %% [markdown]
# ## Contraction fails near the antipode
# On the line, moving every point toward a bin by the same $d$ leaves the Laplace gradient
# unchanged (`laplace_contraction_bin`). On the circle the wrapped Laplace kernel is
# $\propto \cosh((\pi - |u|)/h)$, flat at the antipode: a point near the antipode gains
# less than $e^{d/h}$, and the gradient changes.

# %%
antipode = figures_circle.circle_antipode_data()
figures_circle.fig_circle_antipode(antipode)

# %%
# Results of this notebook.
angle = kernels["angle"]
for (kernel, h), density in kernels["wrapped"].items():
    # Each wrapped density integrates to 1 over the circle (trapezoid, periodic: drop one end).
    mass = density[:-1].sum() * (angle[1] - angle[0])
    assert abs(mass - 1) < 2e-3, (kernel, h, mass)
    assert abs(density[0] - density[-1]) < 1e-12  # periodic: same value at -pi and pi
for start, change in antipode["line"].items():
    assert np.max(np.abs(change)) < 1e-14, start  # the line: contraction invariance
near, *others = antipode["circle"].values()
assert np.max(np.abs(near)) > 0.01  # the circle, near the antipode: it fails
assert all(np.max(np.abs(o)) < np.max(np.abs(near)) / 5 for o in others)
# The full circle is a valid target and gives the same loss for any starting angle.
full = [
    symkde.loss([0.0, 0.4], [0.3, 2.0], a, a + 2 * math.pi, circular=True, bandwidth=0.7)
    for a in (-math.pi, 0.0, 1.0)
]
assert max(full) - min(full) < 1e-13
