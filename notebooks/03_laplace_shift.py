# %% [markdown]
# # 3. Laplace shift invariance
#
# The seed's claim: *with the Laplace kernel, moving every point toward the target's centre
# by the distance of the closest point does not change the gradient.* Here is what is true,
# what is not, and why only the exponential kernel has the property at all.

# %%
# %matplotlib inline
import numpy as np

from symkde.cli import figures
from symkde.cli.display import show_theorem as show

proofs = {}

# %% [markdown]
# ## Per bin: the contraction theorem
# Moving every point toward the bin $t$ by the same $d \le \min_j |t - x_j|$ multiplies every
# Laplace kernel value by $e^{d/h}$, and by scale invariance the gradient is unchanged.

# %%
proofs["laplace_contraction_bin"] = show("laplace_contraction_bin")

# %% [markdown]
# ## On the interval: only while no point is inside [a, b]

# %%
proofs["laplace_contraction_interval"] = show("laplace_contraction_interval")

# %% [markdown]
# ## The seed's centre claim: true for the centre bin, false for the integrated loss

# %%
proofs["center_claim_bin"] = show("center_claim_bin")
proofs["center_claim_interval"] = show("center_claim_interval")

# %% [markdown]
# The counterexample drawn: $h = 1$, $[a, b] = [-1, 1]$, $z = (0, 0)$, $x = (3, 5)$ shifted
# by $s$ toward the centre. The centre bin's gradient is flat for every $s \le 3$; the
# integrated gradient is flat only until the first point reaches the edge $b = 1$ ($s = 2$),
# then bends up to the counterexample value at $s = 3$ (black dots: the theorem's values).

# %%
shift = figures.laplace_shift_data()
figures.fig_laplace_shift(shift, counterexample=proofs["center_claim_interval"].counterexample)

# %% [markdown]
# ## Why only exponential kernels
# If contraction invariance held for every configuration, the ratio $K(r - d)/K(r)$ could not
# depend on $r$; SymPy turns that into the ODE $f' = -\lambda f$, and the fundamental
# theorem of calculus applied to $(f e^{\lambda s})' = 0$ leaves only
# $f(r_0) e^{-\lambda (r - r_0)}$.

# %%
proofs["only_exponential_kernels"] = show("only_exponential_kernels")

# %%
# Results of this notebook.
for name in (
    "laplace_contraction_bin",
    "laplace_contraction_interval",
    "center_claim_bin",
    "only_exponential_kernels",
):
    assert proofs[name].holds, name
refuted = proofs["center_claim_interval"]
assert not refuted.holds and refuted.counterexample is not None
s, integrated, centre = shift["shift"], shift["integrated"], shift["centre_bin"]
before_edge = s <= shift["edge_shift"]
assert np.ptp(centre) < 1e-14  # centre bin: flat for every shift up to the centre
assert np.ptp(integrated[before_edge]) < 1e-14  # integrated: flat until the edge
assert integrated[-1] - integrated[0] > 0.08  # ... then it bends
ends = sorted(float(v) for v in (refuted.counterexample.lhs, refuted.counterexample.rhs))
assert np.allclose(sorted([integrated[0], integrated[-1]]), ends, atol=1e-13, rtol=0)
