"""Which many-row engine a row goes to first, for a single call and for a batch alike.

Owns :func:`row_engine` (the choice), :func:`single_row` (a single call as the batch of one
row) and :func:`batch_rows` (the batch front's ``compiled=`` hook,
:func:`symkde.numeric.batch.apply_rows`).  The engines: exact Laplace
(:func:`symkde.numeric.rows.laplace_exact_rows`), exact boxcar and triangle
(:func:`symkde.numeric.rows_compact.compact_exact_rows`), both numba ``prange`` over rows,
for rows of at most ``ROW_ENGINE_MAX_N`` points; ``method="bins"``
(Gaussian: :func:`symkde.numeric.bins_compiled.gaussian_binned_rows`, numba ``prange``;
the other kernels: :func:`symkde.numeric.bins_rows.binned_rows`, NumPy blocks) for any
``n``.  Because a single call is the ``B = 1`` case of the same engine, row ``r`` of a batch
is bit for bit the single call on row ``r``; a row an engine hands back goes to the single
call's other paths (``symkde.numeric.api._compute``) in both cases.  Imports NumPy and those
engine modules (lazily: numba compiles on first use); nothing above the numeric layer.

>>> row_engine("triangle", "auto", None, 64) is None, row_engine("cauchy", "auto", None, 64)
(False, None)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symkde.numeric.validate import Problem

__all__ = ["batch_rows", "row_engine", "single_row"]

FloatArray = NDArray[np.float64]
#: ``engine(z, x, a, b, h, circular, with_grad, loss, gradient) -> rows handed back``.
Engine = Callable[..., NDArray[np.bool_]]

_EXACT_METHODS = ("auto", "exact")


def row_engine(kernel: str, method: str, bins: int | None, n: int) -> Engine | None:
    """The engine rows of ``n`` points of this kind go to first (None: no engine)."""
    from symkde.numeric.rows import ROW_ENGINE_MAX_N

    if method == "bins":
        assert bins is not None
        if kernel == "gaussian":
            from symkde.numeric.bins_compiled import gaussian_binned_rows

            return _adapt(gaussian_binned_rows, kernel, bins)
        from symkde.numeric.bins_rows import binned_rows

        return _adapt(binned_rows, kernel, bins)
    if method not in _EXACT_METHODS or n > ROW_ENGINE_MAX_N:
        return None
    if kernel == "laplace":
        from symkde.numeric.rows import laplace_exact_rows

        return laplace_exact_rows
    if kernel in ("boxcar", "triangle"):
        from symkde.numeric.rows_compact import compact_exact_rows

        return partial(compact_exact_rows, kernel)
    return None


def _adapt(binned_rows: Any, kernel: str, bins: int) -> Engine:
    def engine(
        z: FloatArray,
        x: FloatArray,
        a: FloatArray,
        b: FloatArray,
        h: FloatArray,
        circular: bool,
        with_grad: bool,
        loss: FloatArray,
        gradient: FloatArray,
    ) -> NDArray[np.bool_]:
        return binned_rows(z, x, a, b, h, kernel, circular, bins, with_grad, loss, gradient)  # type: ignore[no-any-return]

    return engine


def single_row(problem: Problem, with_grad: bool) -> tuple[float, FloatArray | None] | None:
    """The single call by its engine as a batch of one row; None where there is no engine or
    it hands the row back (then the single call's other paths answer)."""
    engine = row_engine(problem.kernel, problem.method, problem.bins, problem.n)
    if engine is None:
        return None
    loss = np.empty(1)
    gradient = np.empty((1, problem.n) if with_grad else (1, 0))
    handed_back = engine(
        problem.z[None, :],
        problem.x[None, :],
        np.array([problem.a]),
        np.array([problem.b]),
        np.array([problem.bandwidth]),
        problem.circular,
        with_grad,
        loss,
        gradient,
    )
    if handed_back[0]:
        return None
    return float(loss[0]), (gradient[0] if with_grad else None)


def batch_rows(batch: Any, outputs: tuple[FloatArray, ...]) -> NDArray[np.bool_]:
    """Every row of ``batch`` (a :class:`symkde.numeric.batch.Batch`) by its engine in one
    call; returns the rows left to the single call's paths."""
    engine = row_engine(batch.kernel, batch.method, batch.bins, batch.n)
    if engine is None:
        return np.ones(batch.size, dtype=bool)
    with_grad = len(outputs) == 2
    return engine(
        batch.z,
        batch.x,
        batch.a,
        batch.b,
        batch.bandwidth,
        batch.circular,
        with_grad,
        outputs[0],
        outputs[1] if with_grad else np.empty((batch.size, 0)),
    )
