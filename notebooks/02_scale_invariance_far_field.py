# %% [markdown]
# # 2. Scale invariance and the far-field puzzle
#
# The responsibilities $R_i(t) = S_i K_i / \sum_j S_j K_j$ depend only on kernel *ratios*:
# multiplying every kernel value at $t$ by the same $c(t) > 0$ leaves them, and so the
# gradient, unchanged (the loss itself moves by the mean of $-\log c(t)$). So what
# happens when all points recede from the target together? It depends on how the kernel's
# ratios behave at large distance, and SymPy's `limit` answers it for each kernel.

# %%
# %matplotlib inline
import numpy as np

from symkde.cli import figures
from symkde.cli.display import show_theorem as show

proofs = {"scale_invariance": show("scale_invariance")}

# %% [markdown]
# ## Far-field limits (n = 3, bin at t = 0, points at D + (0, 1/2, 3/2))
# These three use `sympy.limit` on the concrete kernels with one nearest point.  For general
# n and any radial kernel, `far_field_general` shows that only the ratios
# $\rho_j = \exp(-\int_D^{D+o_j}\psi)$, $\psi = -(\log f)'$, matter: $\psi \to \lambda$
# finite gives the Laplace gradient, $\psi \to 0$ gives 0 (at rate $O(1/D)$ for
# $\psi \le c/r$), $\psi \to \infty$ the partial-label gradient over the nearest points
# (one-hot only when the nearest point is unique).

# %%
for kernel in ("laplace", "gaussian", "cauchy"):
    proofs[f"far_field_{kernel}"] = show(f"far_field_{kernel}")
proofs["far_field_general"] = show("far_field_general")

# %% [markdown]
# ## Gradient magnitude vs distance, with the limits beside the curves
# The curves come from `symkde.grad` (one bin at t = 0); the dashed lines are the limits read
# from the theorems' statements, evaluated at the same logits.
# * **Laplace**: flat — the gradient (not the loss) is the same at every distance, so far
#   points learn exactly like near ones; only kernels $A_\pm e^{-\lambda|u|}$ do this.
# * **Gaussian**: tends to the one-hot cross-entropy on the (unique) nearest point.
# * **Cauchy**: decays like $1/D$ to 0 — heavy tails make far points stop learning.

# %%
data = figures.far_field_data()
figures.fig_far_field(data)

# %%
limits = data["limits"]
far = data["gradients"]
print({k: v.round(6).tolist() for k, v in limits.items()})
print({k: v[-1].round(6).tolist() for k, v in far.items()})

# %%
# Results of this notebook.
for name, proof in proofs.items():
    assert proof.holds, name
# Laplace: the gradient does not depend on D once all points are past the bin (D >= 0).
assert np.allclose(far["laplace"], limits["laplace"], atol=1e-14, rtol=0)
# Gaussian: at D = 1e4 bandwidths the gradient is the one-hot limit to rounding.
assert np.allclose(far["gaussian"][-1], limits["gaussian"], atol=1e-14, rtol=0)
# Cauchy: the limit is 0 and the decay is ~1/D (slope -1 on the last decade).
assert np.all(limits["cauchy"] == 0)
norm = np.linalg.norm(far["cauchy"], axis=1)
slope = np.log(norm[-1] / norm[-10]) / np.log(data["distance"][-1] / data["distance"][-10])
assert abs(slope + 1) < 0.01, slope
