# %% [markdown]
# # 1. The loss and its gradient
#
# symkde's quantity: logits $z \in \mathbb{R}^n$, points $x_j$, weights $S = \mathrm{softmax}(z)$,
# a normalized kernel $K_h$ and the KDE $p(t) = \sum_j S_j K_h(t - x_j)$. The loss is the
# cross-entropy of the uniform distribution on $[a, b]$ against $p$:
#
# $$L(z) = -\frac{1}{b-a}\int_a^b \log p(t)\,dt .$$
#
# Everything below is derived by SymPy inside `symkde.theorems` and rendered step by step;
# this notebook only calls the package (no algebra by hand), then checks the float64 API
# against the result.

# %%
# %matplotlib inline
import numpy as np

import symkde
from symkde.cli.display import show_theorem as show

proofs = {}

# %% [markdown]
# ## The gradient for general n: prior minus posterior
#
# For one bin $t$ the loss is $-\log p(t)$, and SymPy differentiates it for symbolic $n$:
# $\partial_{z_i}(-\log p(t)) = S_i - R_i(t)$ with the **responsibility**
# $R_i(t) = S_i K_h(t - x_i) / p(t)$. Read it as *prior minus posterior*: $S_i$ is the prior
# probability that $t$ was drawn from component $i$, and $R_i(t)$ is the posterior after
# seeing $t$ (Bayes' rule). These are exactly the responsibilities of the E-step of EM for
# mixtures ([Dempster, Laird & Rubin 1977](https://doi.org/10.1111/j.2517-6161.1977.tb01600.x);
# Bishop, *Pattern Recognition and Machine Learning*, 2006, §9.2); gradient descent on $z$ pulls
# the prior toward the average posterior over the target.

# %%
proofs["gradient"] = show("gradient")

# %% [markdown]
# Integrated over the target, the derivative passes under the integral (Leibniz rule):

# %%
proofs["gradient_integrated"] = show("gradient_integrated")

# %%
proofs["gradient_bounds"] = show("gradient_bounds")

# %% [markdown]
# ## Invariances of the logits
# Adding a constant to every logit changes nothing, so the gradient sums to zero.

# %%
proofs["logit_shift"] = show("logit_shift")
proofs["gradient_sum_zero"] = show("gradient_sum_zero")

# %% [markdown]
# ## Special cases from the literature
#
# **One-hot kernel.** If $K_j = \delta_{jl}$ (only point $l$ covers the bin), the loss is
# $-\log S_l$, the ordinary softmax cross-entropy, and the gradient is $S_i - \delta_{il}$
# (Goodfellow, Bengio & Courville, *Deep Learning*, 2016,
# [§6.2.2.3](https://www.deeplearningbook.org/contents/mlp.html)).

# %%
proofs["one_hot"] = show("one_hot")

# %% [markdown]
# **Partial labels.** An indicator kernel $K_j = \chi_j = 1[j \in M]$ gives
# $-\log \sum_{j \in M} S_j$, the classifier-consistent (CC) loss for partial-label learning
# ([Feng et al., *Provably Consistent Partial-Label Learning*, NeurIPS 2020,
# arXiv:2007.08929](https://arxiv.org/abs/2007.08929)); its gradient is again prior minus
# posterior, the posterior restricted to the candidate set.

# %%
proofs["partial_labels"] = show("partial_labels")

# %% [markdown]
# ## The numbers agree with the derivation
# The float64 API on a small example: the gradient is $S_i$ minus the average
# responsibility, it sums to zero, each component lies in $[S_i - 1, S_i]$, and a logit shift
# changes neither loss nor gradient.

# %%
z = np.array([0.3, -1.2, 0.8, 0.0])
x = np.array([-0.4, 0.2, 0.9, 2.5])
loss, g = symkde.loss_and_grad(z, x, 0.0, 1.0, bandwidth=0.3)
S = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
loss_shifted, g_shifted = symkde.loss_and_grad(z + 5.0, x, 0.0, 1.0, bandwidth=0.3)
print(f"L = {loss:.15f}\ngrad = {g}\nS = {S}")

# %% [markdown]
# One-hot limit in numbers: with the boxcar kernel and one point covering the whole target,
# the binned loss is $-\log S_l$ plus the constant $\log(2h)$, and the gradient is $S - e_l$.

# %%
onehot_z = np.array([0.5, -0.25, 1.0])
onehot_x = np.array([0.5, 10.0, -10.0])  # only point 0 covers [0, 1] with h = 1
g_onehot = symkde.grad(onehot_z, onehot_x, 0.0, 1.0, kernel="boxcar", bandwidth=1.0)
S_onehot = np.exp(onehot_z) / np.exp(onehot_z).sum()
print(g_onehot, S_onehot - np.array([1.0, 0.0, 0.0]))

# %%
# Results of this notebook.
for name, proof in proofs.items():
    assert proof.holds, name
assert abs(g.sum()) < 1e-14  # gradient_sum_zero, up to rounding of n terms
assert np.all(g <= S + 1e-15) and np.all(g >= S - 1 - 1e-15)  # gradient_bounds
assert abs(loss_shifted - loss) < 1e-13 and np.allclose(g_shifted, g, atol=1e-15, rtol=0)
assert np.allclose(g_onehot, S_onehot - np.array([1.0, 0.0, 0.0]), atol=1e-15, rtol=0)
