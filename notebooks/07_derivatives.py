# %% [markdown]
# # 7. Derivatives in every argument: positions, bandwidth and the target
#
# `symkde.derivatives(z, x, a, b, ...)` returns `Derivatives(loss, z, x, bandwidth, a, b)`:
# the loss and its exact derivatives in the logits, the positions, the bandwidth and both ends
# of the target (docs/contract.md, "Derivatives with respect to every argument"):
#
# $$\frac{\partial L}{\partial x_j} = \frac{1}{b-a}\int_a^b R_j(t)\,(\log K_h)'(t-x_j)\,dt,$$
#
# $$\frac{\partial L}{\partial h}
# = -\frac{1}{b-a}\int_a^b \sum_j R_j(t)\,\partial_h \log K_h(t-x_j)\,dt,$$
#
# $$\frac{\partial L}{\partial b} = -\frac{\log p(b) + L}{b-a},\qquad
# \frac{\partial L}{\partial a} = \frac{\log p(a) + L}{b-a}.$$
#
# The seed's puzzle, "far points should learn less", is a question about $\partial L/\partial x_j$:
# with every point on one side of the target, Laplace gives $\sum_j \partial L/\partial x_j = -1/h$
# whatever the distance, the Gaussian grows like $D/h^2$, and Cauchy decays like $2/D$.

# %%
# %matplotlib inline
import numpy as np

import symkde
from symkde import reference
from symkde.cli import figures

# %% [markdown]
# ## Far field: three points receding on one side of [0, 1] (h = 1)
# Curves from `symkde.derivatives` (exact for Laplace, quadrature otherwise); dashed, the limits.

# %%
data = figures.derivatives_far_field_data()
figures.fig_derivatives_far_field(data)

# %%
kernels = data["kernels"]
dist, h = data["distance"], data["bandwidth"]
centre = dist * h + 0.5  # nearest point to the target's middle
for name, values in kernels.items():
    far_x, far_h = values["sum_x"][-1], values["bandwidth"][-1]
    print(f"{name:9s} at D = 1e4: sum dL/dx = {far_x: .6e}, dL/dh = {far_h: .6e}")

# %% [markdown]
# ## The translation and scaling identities, numerically
# Moving everything by $c$ changes nothing: $\sum_j \partial L/\partial x_j + \partial L/\partial a
# + \partial L/\partial b = 0$. Scaling everything by $c$ adds $\log c$:
# $\sum_j x_j\,\partial L/\partial x_j + a\,\partial L/\partial a + b\,\partial L/\partial b
# + h\,\partial L/\partial h = 1$. Residuals in units of the terms' size:

# %%
rng = np.random.default_rng(14)
rows = []
for kernel, method in [
    ("laplace", "exact"),
    ("gaussian", "quadrature"),
    ("cauchy", "quadrature"),
    ("boxcar", "exact"),
    ("triangle", "exact"),
    ("laplace", "bins"),
]:
    z, x = rng.normal(size=6), rng.uniform(-0.4, 1.4, 6)
    d = symkde.derivatives(
        z,
        x,
        0.0,
        1.0,
        kernel=kernel,
        bandwidth=1.1,
        method=method,
        bins=64 if method == "bins" else None,
    )
    translation = d.x.sum() + d.a + d.b
    scaling = x @ d.x + 0.0 * d.a + 1.0 * d.b + 1.1 * d.bandwidth - 1.0
    rows.append((kernel, method, translation, scaling))
    print(f"{kernel:9s} {method:10s} translation {translation: .1e}   scaling {scaling: .1e}")

# %% [markdown]
# ## Against the mpmath reference (its own integrals of $R_j (\log K)'$, jump terms for boxcar)

# %%
z, x = [0.3, -0.4, 1.0], [0.1, 0.55, 1.2]
checks = {}
for kernel in ("laplace", "boxcar"):
    got = symkde.derivatives(z, x, 0.0, 1.0, kernel=kernel, bandwidth=0.7)
    ref = reference.derivatives(z, x, 0.0, 1.0, kernel=kernel, bandwidth=0.7, dps=20)
    errors = [
        abs(g - float(r))
        for g, r in zip(
            [*got.x, got.bandwidth, got.a, got.b],
            [*ref.x, ref.bandwidth, ref.a, ref.b],
            strict=True,
        )
    ]
    checks[kernel] = max(errors)
    print(kernel, f"max |symkde - mpmath| = {checks[kernel]:.1e}")

# %%
# Results of this notebook.
laplace, gaussian, cauchy = kernels["laplace"], kernels["gaussian"], kernels["cauchy"]
# Laplace: the summed position derivative is -1/h at every distance once points are past a.
assert np.allclose(laplace["sum_x"], -1 / h, rtol=1e-12, atol=0)
# Gaussian: ~ -D/h^2 (ratio -> 1); Cauchy: ~ -2/D (ratio -> 1).
assert abs(gaussian["sum_x"][-1] / (-centre[-1] / h**2) - 1) < 1e-3
assert abs(cauchy["sum_x"][-1] / (-2 / centre[-1]) - 1) < 1e-3
# Every value finite at 1e4 bandwidths.
assert all(np.isfinite(v).all() for k in kernels.values() for v in k.values())
# The identities hold to rounding (relative to the size of the terms).
for name, values in kernels.items():
    size = np.abs(values["sum_x"]) + 1 / h
    assert np.all(np.abs(values["translation"]) <= 1e-12 * size), name
    assert np.all(
        np.abs(values["scaling"]) <= 1e-12 * (1 + np.abs(values["bandwidth"]) * h + dist * h * size)
    ), name
for kernel, method, translation, scaling in rows:
    assert abs(translation) < 1e-12 and abs(scaling) < 1e-12, (kernel, method)
assert max(checks.values()) < 1e-13
