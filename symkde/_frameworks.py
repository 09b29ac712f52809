"""The argument plumbing that ``symkde.torch`` and ``symkde.jax`` share (one copy, not two).

Owns the option checks made before any tracing (:func:`checked_options`,
:func:`check_reduction`), the broadcasting of the arguments with its errors
(:func:`broadcast_arguments`), the reduction of the per-row loss (:func:`reduce`), the
renaming of the numeric API's argument names in error messages (``z``, ``x`` become
``logits``, ``positions``) and :func:`host_engine`, the one call of the CPU engine from a
framework: broadcast views (no copies) of float64 arrays, the engine, its errors renamed.
Imports NumPy and the numeric layer only (never torch, JAX, SymPy or mpmath), so either
framework module can use it without importing the other.

>>> options = checked_options("laplace", False, "auto", None)
>>> out = host_engine(np.zeros(2), np.array([0.0, 1.0]), 0.0, 1.0, 1.0, options,
...                   (True, False, False, False, False))
>>> round(float(out.loss), 12), out.z
(1.152475324099, array([0., 0.]))
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

import numpy as np

from symkde.numeric.engine import EngineResult, engine
from symkde.numeric.validate import validate

__all__ = [
    "REDUCTIONS",
    "Options",
    "broadcast_arguments",
    "check_reduction",
    "checked_options",
    "host_engine",
    "reduce",
    "rename_arguments",
]

REDUCTIONS = ("none", "mean", "sum")
T = TypeVar("T")


class Options(NamedTuple):
    """The non-differentiable options of one call, checked (hashable: a cache key)."""

    kernel: str
    circular: bool
    method: str
    bins: int | None


def check_reduction(reduction: Any) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}")


def reduce(loss: T, reduction: str) -> T:
    """``loss`` (batch shape) reduced: ``"mean"``, ``"sum"`` or ``"none"`` (as it is)."""
    if reduction == "mean":
        return loss.mean()  # type: ignore[attr-defined,no-any-return]
    if reduction == "sum":
        return loss.sum()  # type: ignore[attr-defined,no-any-return]
    return loss


def checked_options(kernel: Any, circular: Any, method: Any, bins: Any) -> Options:
    """The options checked once per distinct value (a ValueError naming the argument before
    any tensor is touched or traced; repeated calls cost one cache look-up).

    Values (``a < b``, NaN logits, ...) are checked by the engine on every call.
    """
    try:
        return _checked(kernel, circular, method, bins)
    except TypeError:  # unhashable: check without the cache (the same checks, same errors)
        return _checked.__wrapped__(kernel, circular, method, bins)


@functools.lru_cache(maxsize=128, typed=True)
def _checked(kernel: Any, circular: Any, method: Any, bins: Any) -> Options:
    if not isinstance(kernel, str) or not isinstance(method, str):
        raise ValueError(f"kernel, method: expected strings, got {kernel!r}, {method!r}")
    if bins is not None and (isinstance(bins, bool) or not isinstance(bins, int | np.integer)):
        raise ValueError(f"bins: expected an int or None, got {bins!r}")
    # The numeric API's own option checks, on a tiny valid problem (kernel names, bins with
    # method="bins", von Mises only on the circle, circular a bool, ...).
    validate([0.0], [0.0], 0.0, 1.0, kernel=kernel, circular=circular, method=method, bins=bins)
    return Options(kernel, bool(circular), method, None if bins is None else int(bins))


#: A message that starts with argument names ("a[3]: ...", "z, x: ...").
_NAMED = re.compile(r"^(?P<names>[a-z_]+(?:\[[0-9, ]*\])?(?:, [a-z_]+(?:\[[0-9, ]*\])?)*): ")
_FRAMEWORK_NAMES = {"z": "logits", "x": "positions"}


def rename_arguments(error: ValueError) -> None:
    """The numeric API's names ``z``, ``x`` become the frameworks' ``logits``, ``positions``.

    Changes the message in place, so the error keeps its type and attributes.
    """
    if not error.args or not isinstance(error.args[0], str):
        return
    match = _NAMED.match(error.args[0])
    if match is None:
        return
    names = re.sub(r"\b(z|x)\b(?=\[|,|$)", lambda m: _FRAMEWORK_NAMES[m[1]], match["names"])
    error.args = (names + error.args[0][len(match["names"]) :], *error.args[1:])


def broadcast_arguments(
    convert: Callable[[Any, str, tuple[int, ...]], T],
    expand: Callable[[T, tuple[int, ...]], T],
    shape: tuple[int, ...],
    positions: Any,
    a: Any,
    b: Any,
    bandwidth: Any,
) -> tuple[T, T, T, T]:
    """``positions`` broadcast to the logits' ``shape``; ``a``, ``b``, ``bandwidth`` to its
    batch shape ``shape[:-1]``: each converted by the framework's ``convert(value, name,
    target_shape)``, checked (a ValueError naming the argument), then ``expand``-ed (a view)
    where its shape differs.  Shared by the torch and JAX fronts."""
    shape = tuple(shape)
    batch = shape[:-1]
    out = []
    for value, name, target, where in (
        (positions, "positions", shape, "logits' shape"),
        (a, "a", batch, "the batch shape"),
        (b, "b", batch, "the batch shape"),
        (bandwidth, "bandwidth", batch, "the batch shape"),
    ):
        converted = convert(value, name, target)
        have = tuple(converted.shape)  # type: ignore[attr-defined]
        if have != target:
            if len(have) > len(target) or any(
                s not in (1, w) for s, w in zip(reversed(have), reversed(target), strict=False)
            ):
                raise ValueError(f"{name}: shape {have} does not broadcast to {where} {target}")
            converted = expand(converted, target)
        out.append(converted)
    return out[0], out[1], out[2], out[3]


def _float64(value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` as float64 of ``shape``: a view where it already is float64 (a broadcast
    view for a shared grid or a scalar: stride 0, nothing copied)."""
    array = np.asarray(value, dtype=np.float64)
    return array if array.shape == shape else np.broadcast_to(array, shape)


def host_engine(
    z: Any, x: Any, a: Any, b: Any, h: Any, options: Options, needs: tuple[bool, ...]
) -> EngineResult:
    """The CPU engine on one batch: ``z`` of shape ``(..., n)``; ``x`` broadcast to it; ``a``,
    ``b``, ``h`` broadcast to its batch shape (including size-1 axes, as JAX's vmap passes).

    The shapes must broadcast (the framework fronts checked them, naming the argument);
    value errors are the engine's with ``logits``/``positions`` for ``z``/``x``.
    """
    shape, batch = np.shape(z), np.shape(z)[:-1]
    if not (np.shape(x) == shape and np.shape(a) == np.shape(b) == np.shape(h) == batch):
        shape = np.broadcast_shapes(
            shape, np.shape(x), (*np.shape(a), 1), (*np.shape(b), 1), (*np.shape(h), 1)
        )
        batch = shape[:-1]
    try:
        return engine(
            _float64(z, shape),
            _float64(x, shape),
            _float64(a, batch),
            _float64(b, batch),
            _float64(h, batch),
            kernel=options.kernel,
            circular=options.circular,
            method=options.method,
            bins=options.bins,
            needs=needs,  # type: ignore[arg-type]
        )
    except ValueError as error:
        rename_arguments(error)
        raise
