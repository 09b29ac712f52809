"""The batch front: ``(..., n)`` problems validated, broadcast, run row by row and assembled.

Owns the batch rules of the numeric API (NumPy broadcasting): ``z`` of shape ``(..., n)``,
``x`` broadcastable to ``z.shape`` (often one ``(n,)`` grid shared by every row), ``a``, ``b``
and ``bandwidth`` broadcastable to the batch shape ``z.shape[:-1]``; ``kernel``, ``circular``,
``method`` and ``bins`` one value for the whole batch.  Imports NumPy, ``symkde.errors`` and
``symkde.numeric.validate`` only: the numerics it runs are handed to it (no formula lives
here, so a row's result is exactly the single call's).

How it is used (and how other engines plug in):

* :func:`validate_batch` checks every argument once, vectorised over the batch, and returns a
  :class:`Batch`: ``z`` as a ``(B, n)`` float64 array (no copy for a C-contiguous float64
  input, read-only included: a PyTorch/JAX ``(B, n)`` buffer is used in place), ``x`` as
  ``(B, n)`` (a shared grid is a zero-stride view, not ``B`` copies), ``a``, ``b`` and
  ``bandwidth`` as ``(B,)`` float64.  A bad value raises the single call's own error for the
  first offending row, its message naming the argument with that row, e.g.
  ``"a[3, 1], b[3, 1]: expected a < b, ..."`` (an argument without batch dimensions, such as a
  shared grid ``x`` or a scalar ``a``, keeps its plain name).
* :func:`apply_rows` runs a *row function* ``row(problem) -> tuple`` on every row
  (``problem`` is the :class:`~symkde.numeric.validate.Problem` the single call would build)
  and places each of its outputs in an array of the batch shape (``"batch"``: a float per
  row) or of ``z``'s shape (``"point"``: an ``(n,)`` array per row).  An exception a row
  raises (``ValueError`` and subclasses, :class:`~symkde.errors.UncoveredTargetError` among
  them, or ``RuntimeError``) is re-raised with the same type and attributes, its message
  naming the row as above, and a ``row`` attribute holding the row's index tuple.
  ``derivatives`` plugs in here with ``row=derivatives_row`` and the layout
  ``("batch", "point", "point", "batch", "batch", "batch")``.
* A compiled engine plugs in through ``compiled=``: a function ``compiled(batch, outputs)``
  that fills the preallocated ``(B,)`` / ``(B, n)`` output arrays for every row it can do, in
  one call (no per-row Python), and returns a boolean ``(B,)`` mask of the rows it left to
  the row function (``None``: it did them all).  Rows it does must give the row function's
  results; rows it cannot do in its fast path (far-field fallbacks, uncovered targets, a
  method it lacks) are handed back.
* :func:`assembled` turns the ``(B,)`` / ``(B, n)`` outputs into the caller's shapes: the
  batch shape (a Python ``float`` when ``z`` is 1-D) and ``z``'s shape.

The numeric API plugs in :func:`symkde.numeric.row_dispatch.batch_rows`: exact Laplace
(:mod:`symkde.numeric.rows`) and exact boxcar and triangle (:mod:`symkde.numeric.rows_compact`),
line and circle, compiled and parallel over rows; ``method="bins"``: the Gaussian compiled
and parallel over rows (:mod:`symkde.numeric.bins_compiled`), the other kernels vectorised
over rows in cache-sized blocks (:mod:`symkde.numeric.bins_rows`); quadrature and the smooth
kernels' fast integrals run row by row.  Threads: the compiled engines spread rows over
numba's thread pool, ``NUMBA_NUM_THREADS`` threads (default: the cores available; set it
before the first call); each row is computed by one thread from its own inputs only, so the
results are bit for bit the same for any thread count.  The blocked binned rows are NumPy,
one thread.

``B = 0`` (``z`` of shape ``(0, n)``, ``n >= 1``) is valid: the options are still checked,
and the results are empty arrays of the batch shape and of ``z``'s shape; ``n = 0`` is an
error whatever ``B`` is, as for the single call.

>>> import numpy as np
>>> batch = validate_batch(np.zeros((2, 3)), [0.0, 1.0, 2.0], [0.0, 1.0], 2.0)
>>> batch.shape, batch.z.shape, batch.x.strides[0], batch.a.tolist(), batch.b.tolist()
((2,), (2, 3), 0, [0.0, 1.0], [2.0, 2.0])
>>> validate_batch(np.zeros((2, 3)), [0.0, 1.0, 2.0], [0.0, 5.0], 2.0)
Traceback (most recent call last):
ValueError: a[1], b: expected a < b, got a = 5.0, b = 2.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from symkde.errors import ArgumentTypeError
from symkde.numeric.validate import (
    FULL_CIRCLE_SLACK,
    MAX_BANDWIDTH,
    MAX_MAGNITUDE,
    MIN_BANDWIDTH,
    MIN_LENGTH,
    TWO_PI,
    Problem,
    validate,
)

__all__ = ["Batch", "Layout", "apply_rows", "assembled", "run", "validate_batch"]

FloatArray = NDArray[np.float64]
#: Where an output lives: one float per row (``"batch"``) or one per point (``"point"``).
Layout = Literal["batch", "point"]
#: ``compiled(batch, outputs)``: fills what it can, returns the rows left (or None).
Compiled = Callable[["Batch", tuple[FloatArray, ...]], "NDArray[np.bool_] | None"]

_PER_ROW = ("z", "x", "a", "b", "bandwidth")


@dataclass(frozen=True)
class Batch:
    """Validated batch arguments, rows flattened: ``B = prod(shape)`` problems of ``n`` points.

    ``z``, ``x``: ``(B, n)`` float64, each row C-contiguous (``x`` may repeat one row with a
    zero stride); ``a``, ``b``, ``bandwidth``: ``(B,)`` float64.  ``shape`` is the batch shape
    (``()`` for a 1-D ``z``); ``varies`` names the arguments that have batch dimensions.
    """

    z: FloatArray
    x: FloatArray
    a: FloatArray
    b: FloatArray
    bandwidth: FloatArray
    shape: tuple[int, ...]
    kernel: str
    circular: bool
    method: str
    bins: int | None
    varies: frozenset[str]

    @property
    def size(self) -> int:
        """``B``, the number of rows."""
        return int(self.z.shape[0])

    @property
    def n(self) -> int:
        return int(self.z.shape[1])

    def problem(self, row: int) -> Problem:
        """Row ``row`` as the single call's validated :class:`Problem`."""
        return Problem(
            self.z[row],
            self.x[row],
            float(self.a[row]),
            float(self.b[row]),
            self.kernel,
            float(self.bandwidth[row]),
            self.circular,
            self.method,
            self.bins,
        )

    def index(self, row: int) -> tuple[int, ...]:
        """Row ``row``'s index in the batch shape."""
        return tuple(int(i) for i in np.unravel_index(row, self.shape)) if self.shape else ()


def _real(value: Any, name: str) -> NDArray[Any]:
    """``value`` as an array of a real dtype (not converted yet), or ArgumentTypeError."""
    if isinstance(value, str | bytes):
        raise ArgumentTypeError(f"{name}: expected an array of real numbers, got a string")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}: expected an array of real numbers ({exc})") from None
    if arr.dtype.kind not in "iuf":
        raise ArgumentTypeError(
            f"{name}: expected an array of real numbers, got dtype {arr.dtype} "
            f"(kind {arr.dtype.kind!r})"
        )
    return arr


def _float64(arr: NDArray[Any]) -> FloatArray:
    """Native float64, C-contiguous: no copy when it already is (read-only included)."""
    return np.ascontiguousarray(arr, dtype=np.float64)


def _row_text(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


def _renamed(message: str, varies: frozenset[str], index: tuple[int, ...], always: bool) -> str:
    """The single call's message with each per-row argument it names given the row.

    ``"a, b: expected a < b"`` becomes ``"a[3, 1], b: ..."`` when only ``a`` has batch
    dimensions; a message not led by argument names gets ``"row [3, 1]: "`` in front.
    """
    if not index:  # a 1-D z: the single call's message as it is
        return message
    head, sep, rest = message.partition(": ")
    names = head.split(", ")
    if not sep or not all(name in _PER_ROW for name in names):
        return f"row {_row_text(index)}: {message}"
    row = _row_text(index)
    if always and not varies.intersection(names):  # an uncovered row with scalar a, b
        return f"{head} (row {row}){sep}{rest}"
    return ", ".join(name + row if name in varies else name for name in names) + sep + rest


def _name_row(
    error: BaseException, batch: Batch, row: int, *, always: bool = True
) -> BaseException:
    """``error`` with its message naming row ``row`` (same type, same attributes).

    ``always``: name the row even when no argument the message names has batch dimensions
    (a row's computation; a validation error of a shared argument is every row's).
    """
    index = batch.index(row)
    if error.args and isinstance(error.args[0], str):
        error.args = (_renamed(error.args[0], batch.varies, index, always), *error.args[1:])
    error.row = index  # type: ignore[attr-defined]
    return error


def validate_batch(
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    *,
    kernel: Any = "laplace",
    bandwidth: Any = 1.0,
    circular: Any = False,
    method: Any = "auto",
    bins: Any = None,
) -> Batch:
    """Check and broadcast the batch arguments (module docstring); raise the single call's
    error, naming the first offending row."""
    z_arr, x_arr = _real(z, "z"), _real(x, "x")
    if z_arr.ndim == 0:
        raise ValueError("z: expected an array of shape (..., n), got a scalar")
    shape = z_arr.shape[:-1]
    n = z_arr.shape[-1]
    try:
        if np.broadcast_shapes(x_arr.shape, z_arr.shape) != z_arr.shape:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"z, x: expected x broadcastable to z's shape {z_arr.shape}, got {x_arr.shape}"
        ) from None
    if n == 0:
        raise ValueError("z, x: expected at least one point, got n = 0")
    per_row = {}
    for name, value in (("a", a), ("b", b), ("bandwidth", bandwidth)):
        if isinstance(value, bool | np.bool_):
            raise ArgumentTypeError(f"{name}: expected a real number, got bool")
        arr = _real(value, name)
        try:
            if np.broadcast_shapes(arr.shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"{name}: expected a value or an array broadcastable to the batch shape "
                f"{shape} (z.shape[:-1]), got shape {arr.shape}"
            ) from None
        per_row[name] = arr
    varies = frozenset(
        ["z"]
        + (["x"] if x_arr.ndim > 1 else [])
        + [name for name, arr in per_row.items() if arr.ndim > 0]
    )
    size = int(np.prod(shape, dtype=np.int64))
    zb = _float64(z_arr).reshape(size, n)
    xb = np.broadcast_to(_float64(x_arr), z_arr.shape).reshape(size, n)
    with np.errstate(over="ignore", invalid="ignore"):
        ab, bb, hb = (
            np.broadcast_to(np.asarray(per_row[name], dtype=np.float64), shape).reshape(size)
            for name in ("a", "b", "bandwidth")
        )
    # The options (kernel, circular, method, bins) are checked on a valid dummy problem.
    options = validate(
        [0.0],
        [0.0],
        0.0,
        1.0,
        kernel=kernel,
        bandwidth=1.0,
        circular=circular,
        method=method,
        bins=bins,
    )
    batch = Batch(
        zb,
        xb,
        ab,
        bb,
        hb,
        shape,
        options.kernel,
        options.circular,
        options.method,
        options.bins,
        varies,
    )
    if size == 0:
        return batch
    bad = _bad_rows(batch, x_arr.ndim > 1)
    if bad.any():
        row = int(np.argmax(bad))
        try:
            validate(
                zb[row],
                xb[row],
                ab[row],
                bb[row],
                kernel=kernel,
                bandwidth=hb[row],
                circular=circular,
                method=method,
                bins=bins,
            )
        except ValueError as error:
            raise _name_row(error, batch, row, always=False) from None
        raise RuntimeError(f"internal: row {row} flagged invalid but validates (please report)")
    return batch


def _bad_rows(batch: Batch, x_per_row: bool) -> NDArray[np.bool_]:
    """Rows the single call's :func:`validate` refuses: the same tests, vectorised."""
    with np.errstate(invalid="ignore", over="ignore"):
        top = batch.z.max(axis=1)
        bad = np.isnan(top) | (top == np.inf) | (top == -np.inf)
        if x_per_row:
            reach = np.abs(batch.x).max(axis=1)
        else:  # one grid: checked once
            reach = np.full(batch.size, np.abs(batch.x[0]).max())
        bad |= ~(reach <= MAX_MAGNITUDE)  # NaN and inf too
        a, b, h = batch.a, batch.b, batch.bandwidth
        bad |= ~(a < b) | ~(np.abs(a) <= MAX_MAGNITUDE) | ~(np.abs(b) <= MAX_MAGNITUDE)
        bad |= ~(b - a >= MIN_LENGTH)
        bad |= ~((h >= MIN_BANDWIDTH) & (h <= MAX_BANDWIDTH))
        if batch.circular:
            bad |= b - a > TWO_PI + FULL_CIRCLE_SLACK
    return np.asarray(bad, dtype=bool)


def apply_rows(
    batch: Batch,
    row: Callable[[Problem], tuple[Any, ...]],
    layout: Sequence[Layout],
    *,
    compiled: Compiled | None = None,
) -> tuple[FloatArray, ...]:
    """Run ``row`` on every row (after ``compiled``, on those it leaves); ``(B,)`` and
    ``(B, n)`` outputs in ``layout``'s order (module docstring)."""
    size, n = batch.size, batch.n
    outputs = tuple(np.empty(size) if kind == "batch" else np.empty((size, n)) for kind in layout)
    todo: Any = range(size)
    if compiled is not None and size:
        left = compiled(batch, outputs)
        if left is None:
            return outputs
        todo = np.flatnonzero(left).tolist()
    for r in todo:
        try:
            values = row(batch.problem(r))
        except (ValueError, RuntimeError) as error:
            raise _name_row(error, batch, r) from None
        for out, value in zip(outputs, values, strict=True):
            out[r] = value
    return outputs


def assembled(
    batch: Batch, outputs: tuple[FloatArray, ...], layout: Sequence[Layout]
) -> tuple[Any, ...]:
    """The outputs in the caller's shapes: batch-shaped (a ``float`` for a 1-D ``z``) or
    ``z``-shaped."""
    result: list[Any] = []
    for out, kind in zip(outputs, layout, strict=True):
        if kind == "point":
            result.append(out.reshape(*batch.shape, batch.n))
        elif batch.shape:
            result.append(out.reshape(batch.shape))
        else:
            result.append(float(out[0]))
    return tuple(result)


def run(
    compute: Callable[[Problem, bool], tuple[float, FloatArray | None]],
    z: Any,
    x: Any,
    a: Any,
    b: Any,
    *,
    with_grad: bool,
    compiled: Compiled | None = None,
    **options: Any,
) -> tuple[Any, Any]:
    """``(loss, grad or None)`` of every row in the caller's shapes, ``compute(problem,
    with_grad)`` being the single call's computation (``symkde.numeric.api._compute``).

    A 1-D ``z`` is the single call, unchanged: :func:`validate`, then ``compute``.
    """
    try:
        one_row = np.ndim(z) == 1
    except (ValueError, TypeError):  # a ragged list: the single call names the problem
        one_row = True
    if one_row:
        value, gradient = compute(validate(z, x, a, b, **options), with_grad)
        return float(value), gradient
    batch = validate_batch(z, x, a, b, **options)
    if not with_grad:
        (values,) = apply_rows(
            batch, lambda p: (compute(p, False)[0],), ("batch",), compiled=compiled
        )
        return assembled(batch, (values,), ("batch",))[0], None
    layout: tuple[Layout, ...] = ("batch", "point")
    outputs = apply_rows(batch, lambda p: compute(p, True), layout, compiled=compiled)
    value, gradient = assembled(batch, outputs, layout)
    return value, gradient
