"""Closed forms behind ``symkde.numeric.exact``: each antiderivative differentiated back by SymPy.

Per segment between breakpoints the density has a simple form derived from
:mod:`symkde.symbolic.kernels` (Laplace: ``exp(lB - s) + exp(lA - (d - s))``; boxcar: a constant;
triangle: a linear function), and the loss and every responsibility integral have
elementary or dilogarithm antiderivatives.  Each theorem differentiates its antiderivative
back to the integrand and then checks the stable form that ``symkde/numeric/exact.py`` evaluates.
``tests/test_exact.py`` evaluates the numeric functions against the expressions returned by
:func:`antiderivatives` at 50 digits.

Notation: ``s = (t - lo)/h`` on a segment of length ``d`` (in bandwidths), ``lB``, ``lA`` the
log-masses of the points left and right (Laplace); ``s* = (lB - lA + d)/2`` where the two
exponentials cross; ``P0 = e^{l0}``, ``P1 = e^{l1}`` the end values of a linear density.

Two statements name a quantity by a placeholder symbol (``2h p``; ``P_log(d^2, T)``,
``R_log``, ``M_11``).  Each is defined once here (:func:`_segment_density_meaning`,
:func:`_short_segment_meaning`), and the proof checks the statement with the definitions
substituted.

>>> [t.name for t in THEOREMS][:2]
['laplace_segment_density', 'laplace_log_segment']
"""

from __future__ import annotations

from symkde.theorems import closed_forms_compact as _compact
from symkde.theorems import closed_forms_laplace as _laplace
from symkde.theorems import closed_forms_series as _series
from symkde.theorems._core import Theorem
from symkde.theorems.closed_forms_compact import (
    L_panel as L_panel,
)
from symkde.theorems.closed_forms_compact import (
    P_far as P_far,
)
from symkde.theorems.closed_forms_laplace import (
    antiderivatives as antiderivatives,
)
from symkde.theorems.closed_forms_laplace import (
    half_dilog as half_dilog,
)
from symkde.theorems.closed_forms_laplace import (
    w as w,
)
from symkde.theorems.closed_forms_series import (
    SHORT_SEGMENT as SHORT_SEGMENT,
)
from symkde.theorems.closed_forms_series import (
    SHORT_SERIES_ORDER as SHORT_SERIES_ORDER,
)
from symkde.theorems.closed_forms_series import (
    T_shape as T_shape,
)
from symkde.theorems.closed_forms_series import (
    d2 as d2,
)
from symkde.theorems.closed_forms_series import (
    q_shape as q_shape,
)
from symkde.theorems.closed_forms_series import (
    short_segment_series as short_segment_series,
)

__all__ = [
    "SHORT_SEGMENT",
    "SHORT_SERIES_ORDER",
    "THEOREMS",
    "antiderivatives",
    "half_dilog",
    "short_segment_series",
]

THEOREMS: list[Theorem] = [*_laplace.THEOREMS, *_compact.THEOREMS, *_series.THEOREMS]
