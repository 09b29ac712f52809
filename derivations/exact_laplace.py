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
# # The exact Laplace loss: one segment at a time
#
# Between consecutive points the Laplace mixture is $2h\,p = B e^{-s} + A e^{s-d}$
# ($s = (t - lo)/h$, $d$ the segment length in bandwidths, $B$ and $A$ the decayed masses on
# each side), so $\int \log p$ and every responsibility integral have closed forms: a
# dilogarithm for long segments, and for short ones (most of them when points are dense) a
# midpoint series whose coefficients are polynomials in $T = (A - B)/(A + B)$ and
# $q = B/(A + B)$. The compiled fast path (`symkde.numeric.compiled`) evaluates the series; codegen
# prints it, and the dilogarithm pieces, from the expressions below.
# Library: `symkde.theorems.closed_forms`.

# %%
import mpmath
import sympy as sp

from symkde.cli.display import show, walk
from symkde.theorems.closed_forms import (
    SHORT_SEGMENT,
    T_shape,
    d2,
    half_dilog,
    q_shape,
    short_segment_series,
)

# %% [markdown]
# ## The segment density and its dilogarithm integral
# %%
density = walk("laplace_segment_density")
log_segment = walk("laplace_log_segment")
correction = walk("laplace_log_correction")
show("H(w), printed with Li2 -> scipy.special.spence", half_dilog()["H"])

# %% [markdown]
# ## Short segments: the midpoint series
#
# About the midpoint $s = d/2 + v$ the log integrand is $\log(A + B) - d/2 +
# \log(\cosh v + T \sinh v)$ and $\log(\cosh v + T\sinh v) = \log\cosh(v + \varphi) -
# \log\cosh\varphi$ with $\tanh\varphi = T$: every Taylor coefficient is a derivative of
# $\tanh$, a polynomial in $T$. The same holds for the responsibility integrand
# $1/(q + (1 - q)e^{2v}) = (1 - \tanh(v + \psi))/(2q)$, $\tanh\psi = 1 - 2q$.
# %%
series = short_segment_series()
show("(1/d) int log(B e^-s + A e^(s-d)) ds - log(A + B) + d/2", sp.collect(series["log"], d2))
show("((A + B)/d) int ds / (B + A e^(2s-d))", sp.collect(series["resp"], d2))
short = walk("laplace_short_segment")

# %% [markdown]
# ## A numeric look: the series against quadrature at the longest short segment
# %%
mpmath.mp.dps = 30  # the quadrature must be far more precise than the 1e-18 compared
d_max = SHORT_SEGMENT
half = mpmath.mpf(1) / 20


def log_shape(t: mpmath.mpf):
    return lambda v: mpmath.log(mpmath.cosh(v) + t * mpmath.sinh(v))


def resp_shape(q: mpmath.mpf):
    return lambda v: 1 / (q + (1 - q) * mpmath.exp(2 * v))


for shape in (sp.Rational(-9, 10), sp.Integer(0), sp.Rational(1, 2)):
    exact = mpmath.quad(log_shape(mpmath.mpf(shape)), [-half, half]) / (2 * half)
    approx = sp.N(series["log"].subs({T_shape: shape, d2: d_max**2}), 30)
    print(f"T = {float(shape):+.1f}: series - quadrature = {float(approx - exact):.1e}")
    assert abs(approx - exact) < 1e-18
for q in (sp.Rational(1, 10), sp.Rational(1, 2), sp.Rational(99, 100)):
    exact = mpmath.quad(resp_shape(mpmath.mpf(q)), [-half, half]) / (2 * half)
    approx = sp.N(series["resp"].subs({q_shape: q, d2: d_max**2}), 30)
    print(f"q = {float(q):.2f}: relative error {float((approx - exact) / exact):.1e}")
    assert abs(approx - exact) < 1e-18 * exact

# %%
assert density.holds and log_segment.holds and correction.holds and short.holds
assert series["log"].subs(d2, 0) == 0 and series["resp"].subs(d2, 0) == 1
