# %% [markdown]
# # 4. Numerics: float64 vs mpmath, bins vs exact, far-field stability
#
# The float64 API (`symkde.loss`, `symkde.grad`) against the mpmath reference
# (`symkde.reference`, 30 digits), the binned loss against the exact Laplace integral, and
# symkde's log-space evaluation next to a naive linear-space KDE.

# %%
# %matplotlib inline
import numpy as np

from symkde.cli import figures, figures_accuracy
from symkde.cli.verification import EPS, GRAD_ATOL, LOSS_RTOL

# %% [markdown]
# ## Error in units of eps across regimes
# The quick verification grid of `symkde verify`: every kernel and method, points inside the
# target, at its edges, thousands of bandwidths away on one or both sides, logits of
# $\pm 700$, and masked points ($z = -\infty$).

# %%
checks = figures_accuracy.ulp_errors_data()
figures_accuracy.fig_ulp_errors(checks)

# %%
worst_loss = max(c.loss_err for c in checks) / EPS
worst_grad = max(c.grad_err for c in checks) / EPS
print(
    f"{len(checks)} comparisons; worst loss error {worst_loss:.2f} eps, "
    f"worst gradient error {worst_grad:.2f} eps"
)

# %% [markdown]
# ## Bins vs exact (Laplace)
# The midpoint rule converges like $M^{-2}$, but only once the bins are well below the
# bandwidth: the Laplace kernel has a kink at every point.

# %%
bins = figures.bins_convergence_data()
figures.fig_bins_convergence(bins)

# %% [markdown]
# ## Far-field stability
# A naive KDE in linear space multiplies kernel values that underflow to 0 once the points
# are a few hundred bandwidths away (Laplace) or a few dozen (Gaussian); its gradient is
# then $0/0$. symkde stays in log space.

# %%
stability = figures_accuracy.far_field_stability_data()
figures_accuracy.fig_far_field_stability(stability)

# %%
print({k: figures_accuracy.first_nan_distance(stability, k) for k in stability["naive"]})

# %%
# Results of this notebook.
assert all(c.ok for c in checks)
assert worst_loss < LOSS_RTOL / EPS and worst_grad < GRAD_ATOL / EPS
assert worst_loss < 16 and worst_grad < 16  # a few eps in practice (see the figure)
for h, err in bins["loss_err"].items():
    assert err[-1] < 1e-6 and err[-1] < err[0] * 1e-4, h  # converges with M
log_m = np.log(bins["bins"])
for h, err in bins["grad_err"].items():
    slope = np.polyfit(log_m, np.log(err), 1)[0]  # least-squares slope over all M
    assert -2.3 < slope < -1.7, (h, slope)  # the M^-2 rate of the midpoint rule
for kernel in stability["symkde"]:
    assert np.all(stability["symkde"][kernel] < 1e-14), kernel
assert 600 < figures_accuracy.first_nan_distance(stability, "laplace") < 800
assert 30 < figures_accuracy.first_nan_distance(stability, "gaussian") < 50
