"""The mpmath reference: the loss and its derivatives at ``dps`` digits, sharing no numeric code.

The loss and gradient are in :mod:`symkde.reference.oracle` (its docstring says how the
integrals are split, how many digits are guarded and how the result is self-checked), on the
kernels of :mod:`symkde.reference.kernels`, the validated problem of
:mod:`symkde.reference.problem` and the tanh-sinh panels of :mod:`symkde.reference.quadrature`; the
derivatives in every argument in :mod:`symkde.reference.derivatives`, on the oracle's panels
and quadrature.  Imports mpmath, SymPy (for the kernel formulas of
:mod:`symkde.symbolic.kernels`) and ``symkde.errors``; never the numeric
layer, so that it is an independent check of it.
"""

from symkde.reference.derivatives import Derivatives, derivatives
from symkde.reference.kernels import wrapped_closed_form, wrapped_log_kernel
from symkde.reference.oracle import grad, loss, loss_and_grad, loss_grad_error
from symkde.reference.quadrature import ReferenceAccuracyError

__all__ = [
    "Derivatives",
    "ReferenceAccuracyError",
    "derivatives",
    "grad",
    "loss",
    "loss_and_grad",
    "loss_grad_error",
    "wrapped_closed_form",
    "wrapped_log_kernel",
]
