"""Theorems on the circle: wrapped closed forms, what survives wrapping, and what does not.

Theorems (issue 5, section 2, and section 1's "derive its equality with the image sum"):

* ``circle_wrapped_laplace_closed_form`` -- the image sum ``sum_k K(u + 2 pi k)`` of the
  Laplace kernel is ``cosh((pi - r)/h) / (2 h sinh(pi/h))``, ``r = u mod 2 pi`` (two geometric
  series summed by SymPy).
* ``circle_wrapped_cauchy_closed_form`` -- the Cauchy image sum is the Poisson kernel
  ``(1 - rho^2) / (2 pi (1 + rho^2 - 2 rho cos u))``, ``rho = exp(-h)`` (Poisson summation,
  cited; SymPy computes the Fourier coefficients and sums the series).
* ``circle_scale_invariance``, ``circle_gradient_sum_zero``, ``circle_one_hot``,
  ``circle_partial_labels`` -- the line theorems hold unchanged for a positive periodic
  (wrapped) kernel: the gradient on the circle *is* the line's gradient with
  ``K_j = K_circ(t - x_j)``, and the line proofs use only ``K_j > 0`` and ratios.
* ``circle_laplace_contraction`` (false) -- moving every point toward the bin by ``d`` changes
  the gradient on the circle; ``circle_laplace_contraction_bound`` -- by at most
  ``R_i eta / (1 - eta)``, ``eta < exp(-2 (pi - r_max)/h)``.
* ``circle_vonmises_no_far_field``, ``circle_vonmises_concentration`` -- von Mises: no
  distance exceeds ``pi`` (the "far field" gradient is periodic in the distance, so it has no
  limit); as ``kappa -> oo`` the gradient becomes the cross-entropy of the nearest point,
  as ``kappa -> 0`` it tends to 0.

Walk-through: ``derivations/circle.py``.

>>> [t.name for t in THEOREMS][:2]
['circle_wrapped_laplace_closed_form', 'circle_wrapped_cauchy_closed_form']
"""

from __future__ import annotations

from symkde.theorems import circle_closed_forms as _closed_forms
from symkde.theorems import circle_contraction as _contraction
from symkde.theorems import circle_gradient as _gradient
from symkde.theorems import circle_vonmises as _vonmises
from symkde.theorems._core import Theorem
from symkde.theorems.circle_closed_forms import (
    geometric_series as geometric_series,
)
from symkde.theorems.circle_closed_forms import (
    image_sum as image_sum,
)
from symkde.theorems.circle_closed_forms import (
    reduced as reduced,
)
from symkde.theorems.circle_closed_forms import (
    term_index as term_index,
)
from symkde.theorems.circle_closed_forms import (
    wrapped_kernel as wrapped_kernel,
)
from symkde.theorems.circle_contraction import (
    _distance_gradient as _distance_gradient,
)
from symkde.theorems.circle_contraction import (
    distance as distance,
)
from symkde.theorems.circle_contraction import (
    move as move,
)
from symkde.theorems.circle_contraction import (
    wrapped_laplace_of_distance as wrapped_laplace_of_distance,
)
from symkde.theorems.circle_gradient import (
    circular_gradient as circular_gradient,
)

__all__ = [
    "THEOREMS",
    "circular_gradient",
    "geometric_series",
    "image_sum",
    "wrapped_kernel",
    "wrapped_laplace_of_distance",
]

THEOREMS: list[Theorem] = [
    *_closed_forms.THEOREMS,
    *_gradient.THEOREMS,
    *_contraction.THEOREMS,
    *_vonmises.THEOREMS,
]
