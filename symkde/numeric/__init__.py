"""The numeric layer: the public NumPy API and the code under it (no SymPy import).

Owns :func:`symkde.loss`, :func:`symkde.grad`, :func:`symkde.loss_and_grad` (in
:mod:`~symkde.numeric.api`) and what they run on: argument validation
(:mod:`~symkde.numeric.validate`), stable primitives (:mod:`~symkde.numeric.stable`), angle
reduction (:mod:`~symkde.numeric.angles`), the mixture and its log-density in blocks
(:mod:`~symkde.numeric.mixture`), circle images (:mod:`~symkde.numeric.images`), coverage of
compact kernels (:mod:`~symkde.numeric.coverage`), the midpoint rule
(:mod:`~symkde.numeric.bins`), the adaptive quadrature (:mod:`~symkde.numeric.quadrature`), the
exact closed forms (:mod:`~symkde.numeric.exact`, with ``exact_laplace``, ``exact_compact``,
``scans`` and ``segment_forms``), the compiled loops (:mod:`~symkde.numeric.compiled`), the batch
front (:mod:`~symkde.numeric.batch`: ``(..., n)`` problems validated, broadcast and assembled),
the compiled row engine (:mod:`~symkde.numeric.rows`: exact Laplace rows in parallel) and the
code printed from the symbolic layer (:mod:`~symkde.numeric._generated`, committed, never
edited by hand). Imports NumPy, SciPy, numba and ``symkde.errors``; never SymPy, mpmath or a
layer above it (reference, theorems, cli), so ``import symkde`` stays fast.
"""

from symkde.numeric.api import grad, loss, loss_and_grad

__all__ = ["grad", "loss", "loss_and_grad"]
