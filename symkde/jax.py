"""JAX: the exact softmax-KDE cross-entropy as a ``jax.custom_vjp`` over a host callback.

Owns :func:`kde_cross_entropy` for JAX.  Imports JAX, NumPy and :mod:`symkde._frameworks`
(the plumbing shared with ``symkde.torch``: option checks, the engine call); ``import symkde``
never imports this module, and it never changes JAX's configuration (``jax_enable_x64`` stays
the caller's choice).

On a GPU/TPU backend, kernels and methods that ``symkde.array`` computes (exact laplace, boxcar,
triangle; ``bins``) run as JAX operations on the device (no host round trip; float64 inside
where ``jax_enable_x64`` allows it). Otherwise the forward is one ``jax.pure_callback`` into the
CPU engine, computed in float64 whatever the input dtype, and returns the loss *and* the
derivatives of the arguments being differentiated (``custom_vjp`` with ``symbolic_zeros=True``
says which: an argument that is not perturbed costs nothing); the backward only scales them by
the cotangent. ``vmap_method="expand_dims"`` makes a ``vmap`` over rows one callback on the
whole batch (unmapped arguments arrive with a size-1 axis and are broadcast as zero-copy views).
Broadcasting (a shared ``(n,)`` grid, a scalar bandwidth) is done with ``jnp.broadcast_to``
before the ``custom_vjp``, so gradients are summed over broadcast dimensions by JAX itself.

>>> import jax, jax.numpy as jnp
>>> loss = kde_cross_entropy(jnp.zeros(2), jnp.array([0.0, 1.0]), 0.0, 1.0)
>>> round(float(loss), 6)  # float32 without jax_enable_x64; mpmath: 1.1524753240992...
1.152475
>>> jax.grad(kde_cross_entropy)(jnp.zeros(2), jnp.array([0.0, 1.0]), 0.0, 1.0)
Array([0., 0.], dtype=float32)
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from symkde._frameworks import (
    Options,
    broadcast_arguments,
    check_reduction,
    checked_options,
    host_engine,
    reduce,
)

__all__ = ["kde_cross_entropy"]


def _host_engine(
    options: Options,
    needs: tuple[bool, ...],
    dtype: Any,
    z: np.ndarray,
    x: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    h: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The callback: the CPU engine in float64 (vmap's size-1 axes broadcast as views), the
    loss and the needed derivatives cast to ``dtype``."""
    result = host_engine(z, x, a, b, h, options, needs)
    return tuple(np.asarray(v, dtype=dtype) for v in result if v is not None)


def _callback(options: Options, needs: tuple[bool, ...], *args: jax.Array) -> tuple[jax.Array, ...]:
    z, x, a, b, h = args
    dtype = z.dtype
    shapes = [z.shape[:-1]] + [
        arg.shape for arg, need in zip((z, x, h, a, b), needs, strict=True) if need
    ]
    return jax.pure_callback(
        functools.partial(_host_engine, options, needs, np.dtype(dtype)),
        tuple(jax.ShapeDtypeStruct(s, dtype) for s in shapes),
        *args,
        vmap_method="expand_dims",
    )


def _array_engine_handles(options: Options) -> bool:
    """True where ``symkde.array`` computes these options (see ``symkde.torch``'s routing)."""
    try:
        import symkde.array as engine
    except ImportError:  # array-api-compat missing: the host callback computes everything
        return False
    kernel, circular, method, _ = options
    if method == "bins":
        kernels = engine.CIRCLE_BIN_KERNELS if circular else engine.BIN_KERNELS
    elif method in ("auto", "exact"):
        kernels = engine.CIRCLE_EXACT_KERNELS if circular else engine.EXACT_KERNELS
    else:
        return False
    return kernel in kernels


def _on_accelerator() -> bool:
    """Whether JAX computes on a GPU/TPU (the backend ``jit`` compiles for)."""
    return jax.default_backend() != "cpu"


def _device_engine(
    options: Options, needs: tuple[bool, ...], *args: jax.Array
) -> tuple[jax.Array, ...]:
    """``symkde.array.derivatives`` in JAX operations (no host round trip): the loss and the
    needed derivatives, in the order of :func:`_callback`."""
    import symkde.array as engine

    z, x, a, b, h = args
    batch, n = z.shape[:-1], z.shape[-1]
    flat = [v.reshape(-1, n) for v in (z, x)] + [v.reshape(-1) for v in (a, b, h)]
    loss, dz, dx, dh, da, db = engine.derivatives(*flat, **options._asdict())
    full = [dz.reshape(z.shape), dx.reshape(z.shape)] + [d.reshape(batch) for d in (dh, da, db)]
    wanted = [d for d, need in zip(full, needs, strict=True) if need]
    return (loss.reshape(batch), *wanted)


def _compute(options: Options, needs: tuple[bool, ...], *args: jax.Array) -> tuple[jax.Array, ...]:
    """The device engine on an accelerator where it applies, else the host callback."""
    if _on_accelerator() and _array_engine_handles(options):
        return _device_engine(options, needs, *args)
    return _callback(options, needs, *args)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _kde(options: Options, z: Any, x: Any, a: Any, b: Any, h: Any) -> Any:
    return _compute(options, (False,) * 5, z, x, a, b, h)[0]


def _kde_fwd(options: Options, *primals: Any) -> tuple[Any, Any]:
    z, x, a, b, h = primals
    needs = (z.perturbed, x.perturbed, h.perturbed, a.perturbed, b.perturbed)
    values = [p.value for p in primals]
    loss, *derivatives = _compute(options, needs, *values)
    saved = iter(derivatives)
    residuals = {name: next(saved) for name, need in zip("zxhab", needs, strict=True) if need}
    return loss, residuals


def _kde_bwd(options: Options, residuals: Any, g: Any) -> tuple:
    g_row = g[..., None]
    scale = {"z": g_row, "x": g_row, "h": g, "a": g, "b": g}
    return tuple(residuals[name] * scale[name] if name in residuals else None for name in "zxabh")


_kde.defvjp(_kde_fwd, _kde_bwd, symbolic_zeros=True)


def kde_cross_entropy(
    logits: Any,
    positions: Any,
    a: Any,
    b: Any,
    *,
    kernel: str = "laplace",
    bandwidth: Any = 1.0,
    circular: bool = False,
    method: str = "auto",
    bins: int | None = None,
    reduction: str = "mean",
) -> jax.Array:
    """The cross-entropy ``H(U[a, b], p)`` of the softmax-weighted KDE, for JAX.

    Same arguments and batch rules as ``symkde.torch.kde_cross_entropy`` (no ``engine``: on a
    GPU/TPU backend the array engine computes what it can in JAX operations, everything else
    goes to the CPU engine through a host callback). Differentiable in all five array arguments;
    works under ``jit``, ``grad`` and ``vmap``. Output dtype: the logits' floating dtype
    (float32 unless the caller enabled ``jax_enable_x64``); computed in float64 inside.
    """
    check_reduction(reduction)
    # Values (a < b, NaN logits, ...) can only be checked when the callback runs; inside jit
    # such an error reaches the caller as JAX's runtime error, whose message holds the
    # engine's ValueError naming the argument and row.
    options = checked_options(kernel, circular, method, bins)
    z = jnp.asarray(logits)
    if not jnp.issubdtype(z.dtype, jnp.floating):
        z = z.astype(jnp.result_type(float))
    if z.ndim == 0:
        raise ValueError("logits: expected shape (..., n), got a 0-d array")
    dtype = z.dtype
    x, a_, b_, h_ = broadcast_arguments(
        lambda value, name, shape: jnp.asarray(value, dtype=dtype),
        jnp.broadcast_to,
        z.shape,
        positions,
        a,
        b,
        bandwidth,
    )
    return reduce(_kde(options, z, x, a_, b_, h_), reduction)
