"""The kernels are densities, and the gradient of the loss, derived by SymPy for general n.

Theorems (issue 2, section 3, items 1, 3, 4, 5 and the kernel normalization):

* ``kernel_normalized_<name>`` -- every kernel of :mod:`symkde.symbolic.kernels` integrates to 1;
  ``kde_normalized`` -- so does ``p(t)`` for any normalized kernel (general n).
* ``gradient`` / ``gradient_integrated`` -- ``dL/dz_i = S_i - R_i`` per bin, and
  ``S_i - (1/(b-a)) Integral(R_i)`` over ``[a, b]``.
* ``gradient_bounds`` -- ``S_i - 1 <= dL/dz_i <= S_i``.
* ``one_hot`` and ``partial_labels`` -- indicator "kernels" give the ordinary and the
  partial-label ("CC") cross-entropy gradients.

The walk-through is ``derivations/gradient.py``.

>>> import sympy as sp
>>> from symkde.symbolic.model import i, responsibility, softmax
>>> sp.cancel(derive_bin_gradient() - collapse(softmax(i) - responsibility(i)))
0
"""

from __future__ import annotations

from symkde.theorems import gradient_claims as _claims
from symkde.theorems import gradient_kernels as _kernels
from symkde.theorems._core import Theorem
from symkde.theorems.gradient_claims import (
    _ONE_HOT_STATEMENT as _ONE_HOT_STATEMENT,
)
from symkde.theorems.gradient_claims import (
    _PARTIAL_STATEMENT as _PARTIAL_STATEMENT,
)
from symkde.theorems.gradient_claims import (
    _differentiate as _differentiate,
)
from symkde.theorems.gradient_claims import (
    differentiates as differentiates,
)
from symkde.theorems.gradient_model import (
    I_IN_RANGE as I_IN_RANGE,
)
from symkde.theorems.gradient_model import (
    L_IN_RANGE as L_IN_RANGE,
)
from symkde.theorems.gradient_model import (
    LABELLED_MASS as LABELLED_MASS,
)
from symkde.theorems.gradient_model import (
    ORDERED as ORDERED,
)
from symkde.theorems.gradient_model import (
    _witness_values as _witness_values,
)
from symkde.theorems.gradient_model import (
    apply_deltas as apply_deltas,
)
from symkde.theorems.gradient_model import (
    chi as chi,
)
from symkde.theorems.gradient_model import (
    collapse as collapse,
)
from symkde.theorems.gradient_model import (
    concretize as concretize,
)
from symkde.theorems.gradient_model import (
    derive_bin_gradient as derive_bin_gradient,
)
from symkde.theorems.gradient_model import (
    derive_integrated_gradient as derive_integrated_gradient,
)
from symkde.theorems.gradient_model import (
    equal_after as equal_after,
)
from symkde.theorems.gradient_model import (
    integral_nonnegative as integral_nonnegative,
)
from symkde.theorems.gradient_model import (
    l_index as l_index,
)
from symkde.theorems.gradient_model import (
    merge_integrals as merge_integrals,
)
from symkde.theorems.gradient_model import (
    quadrature as quadrature,
)
from symkde.theorems.gradient_model import (
    rational_point as rational_point,
)

__all__ = [
    "THEOREMS",
    "apply_deltas",
    "collapse",
    "concretize",
    "derive_bin_gradient",
    "derive_integrated_gradient",
    "differentiates",
    "equal_after",
    "integral_nonnegative",
    "merge_integrals",
    "quadrature",
    "rational_point",
]

THEOREMS: list[Theorem] = [*_kernels.THEOREMS, *_claims.THEOREMS]
