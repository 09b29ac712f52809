"""PyTorch: the exact softmax-KDE cross-entropy as a differentiable op.

Owns the function :func:`kde_cross_entropy`, the module :class:`KDECrossEntropy` and the three
ways they reach the engine: in plain eager mode the ``torch.autograd.Function``
``_EagerKDEFunction`` (the cheapest call: about 2.5x less per step than the custom op at
B = 1), under ``torch.func`` transforms ``_KDEFunction`` (the ``setup_context`` form with
``jvp`` and ``vmap`` rules that functorch needs), and while ``torch.compile`` traces the
``torch.library`` custom op ``symkde::kde_cross_entropy`` (fake, autograd and vmap
registrations: one opaque op in the graph).  All three run :func:`_forward` and scale the
derivatives by the same :func:`_scaled_gradients`, so they give identical results (tested bit
for bit).  Imports torch, NumPy, :mod:`symkde._frameworks` (the plumbing
shared with ``symkde.jax``) and ``symkde.array`` for ``engine="torch"`` where it exists;
``import symkde`` never imports this module.

The forward returns the loss *and* the derivatives the caller's tensors need, computed once
(like fused cross-entropy kernels); the backward only scales them by the incoming gradient.
Everything is computed in float64; the loss is cast back to the logits' dtype, and autograd
casts each gradient back to its argument's dtype.  Broadcasting (a shared ``(n,)`` grid, a
Python-float bandwidth, scalar ``a``/``b``) is done by ``expand`` before the op, so autograd
sums gradients over broadcast dimensions.

Transforms: ``torch.compile(fullgraph=True)`` (the custom op), ``torch.func.vmap`` (the op's
own leading dimensions: one engine call), ``torch.func.grad``/``vjp``/``jacrev`` and
``torch.func.jvp``/``jacfwd`` and forward-mode AD (first derivatives only).  A second
derivative (double backward, ``torch.func.hessian``) raises a clear error: the backward only
scales first derivatives.

>>> import torch
>>> logits = torch.zeros(2, dtype=torch.float64, requires_grad=True)
>>> loss = kde_cross_entropy(logits, torch.tensor([0.0, 1.0]), 0.0, 1.0)
>>> round(loss.item(), 12)  # mpmath: 1.1524753240992...
1.152475324099
>>> loss.backward(); logits.grad
tensor([0., 0.], dtype=torch.float64)
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch
import torch.autograd.forward_ad as _forward_ad
from torch import Tensor

from symkde._frameworks import (
    Options,
    broadcast_arguments,
    check_reduction,
    checked_options,
    host_engine,
    reduce,
    rename_arguments,
)
from symkde.numeric.batch import validate_batch as _validate_rows

__all__ = ["KDECrossEntropy", "kde_cross_entropy"]

_OP_NAME = "symkde::kde_cross_entropy"
ENGINES = ("auto", "compiled", "torch")
_F64 = torch.float64
_Outputs = tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]  # None for unneeded ones in
# the autograd.Functions' outputs (typed as Tensor: torch's stubs want tensors)


# --- the forward: one engine call ---------------------------------------------------------------


@functools.cache
def _array_engine() -> Any:
    """``symkde.array`` (torch operations only), or None where it cannot be imported (it needs
    ``array-api-compat``, which the ``torch`` extra installs; looked up once: a failing import
    searches the file system, ~1 ms)."""
    try:
        import symkde.array as array_engine  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return array_engine


def _array_engine_handles(array_engine: Any, options: Options) -> bool:
    if array_engine is None:
        return False
    kernel, circular, method, _ = options
    if circular:
        if method == "bins":
            return kernel in getattr(array_engine, "CIRCLE_BIN_KERNELS", ())
        exact = getattr(array_engine, "CIRCLE_EXACT_KERNELS", ())
        return method in ("auto", "exact") and kernel in exact
    if method == "bins":
        return kernel in getattr(array_engine, "BIN_KERNELS", ())
    return method in ("auto", "exact") and kernel in getattr(array_engine, "EXACT_KERNELS", ())


def _torch_engine(
    array_engine: Any, z: Tensor, x: Tensor, a: Tensor, b: Tensor, h: Tensor, options: Options
) -> tuple[Tensor, ...]:
    """``symkde.array.derivatives`` on torch tensors, rows flattened to ``(B, n)`` and back."""
    if array_engine is None:
        raise NotImplementedError(
            "engine='torch' (torch operations only, used for CUDA tensors) needs symkde.array, "
            "which could not be imported (it needs array-api-compat: pip install "
            "\"symkde[torch]\"); or use engine='compiled' (the CPU engine; CUDA tensors are "
            "copied to the host and back)"
        )
    kw = options._asdict()
    if z.device.type == "cpu":  # the checks of the CPU engine, on views (device tensors: none)
        try:
            _validate_rows(*(t.detach().numpy() for t in (z, x, a, b)), bandwidth=h.numpy(), **kw)
        except ValueError as error:
            rename_arguments(error)
            raise
    batch, n = z.shape[:-1], z.shape[-1]
    flat = [t.reshape(-1, n) for t in (z, x)] + [t.reshape(-1) for t in (a, b, h)]
    results = array_engine.derivatives(*flat, **kw)
    shapes = (batch, z.shape, z.shape, batch, batch, batch)
    return tuple(r.reshape(s) for r, s in zip(results, shapes, strict=True))


def _empty(like: Tensor) -> Tensor:
    """An unneeded derivative of the custom op: a fresh empty tensor (its outputs may not
    alias; the autograd.Functions return None instead)."""
    return like.new_empty(0, dtype=_F64)


def _forward(
    z: Tensor, x: Tensor, a: Tensor, b: Tensor, h: Tensor, options: Options, engine: str, needs: Any
) -> _Outputs:
    """Loss (batch shape) and ``dL/d(z, x, h, a, b)``, float64; None where not needed (the
    custom op turns those into empty tensors)."""
    on_cpu = z.device.type == "cpu"
    if engine == "torch" or (
        engine == "auto" and not on_cpu and _array_engine_handles(_array_engine(), options)
    ):
        loss, *found = _torch_engine(_array_engine(), z, x, a, b, h, options)
        derivs = (d.to(_F64) if need else None for d, need in zip(found, needs, strict=True))
        return (loss, *derivs)  # type: ignore[return-value]
    # The CPU engine: .numpy() of a float64 CPU tensor is a view (no copy).
    arrays = [(t.detach() if t.requires_grad else t).cpu().numpy() for t in (z, x, a, b, h)]
    result = host_engine(
        arrays[0], arrays[1], arrays[2], arrays[3], arrays[4], options, tuple(needs)
    )
    outs: list[Tensor | None] = [torch.from_numpy(np.ascontiguousarray(result.loss))]
    outs += [None if d is None else torch.from_numpy(d) for d in result[1:]]
    if not on_cpu:
        outs = [None if t is None else t.to(z.device) for t in outs]
    return tuple(outs)  # type: ignore[return-value]


# --- the backward: scale what the forward computed ----------------------------------------------

_NO_SECOND = (
    "symkde.torch.kde_cross_entropy has no second derivative (double backward, "
    "create_graph=True followed by another grad, torch.func.hessian, jacfwd of jacrev): its "
    "backward only scales the first derivatives that the forward computed"
)
_NOT_COMPUTED = (
    "symkde::kde_cross_entropy: a derivative was asked for an argument whose derivative the "
    "forward did not compute (its needs flag was False)"
)


class _FirstOrderOnly(torch.autograd.Function):
    """Identity on the gradients the backward returns while autograd records (create_graph,
    torch.func); raises if anything differentiates through them (no second derivative here)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(*tensors: Tensor) -> tuple[Tensor, ...]:
        return tuple(t.clone() for t in tensors)

    @staticmethod
    def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
        pass

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> tuple[Tensor, ...]:
        raise RuntimeError(_NO_SECOND)

    @staticmethod
    def jvp(ctx: Any, *tangents: Tensor) -> tuple[Tensor, ...]:
        raise RuntimeError(_NO_SECOND)


def _scaled_gradients(
    saved: tuple[Tensor, ...], grad_loss: Tensor, needs_input_grad: tuple[bool, ...]
) -> list[Tensor | None]:
    """``dL/d(z, x, a, b, h)`` times the incoming gradient, None where not needed."""
    dz, dx, dh, da, db, *inputs = saved
    g = grad_loss.to(_F64)
    g_row = g.unsqueeze(-1)
    grads: list[Tensor | None] = []
    for derivative, scale, need in zip(
        (dz, dx, da, db, dh), (g_row, g_row, g, g, g), needs_input_grad[:5], strict=True
    ):
        if not need:
            grads.append(None)
            continue
        if derivative is None or (derivative.numel() == 0 and scale.numel() != 0):
            raise RuntimeError(_NOT_COMPUTED)
        grads.append(derivative * scale)
    if torch.is_grad_enabled():  # recording (create_graph): a second derivative must raise
        present = [i for i, t in enumerate(grads) if t is not None]
        wrapped = _FirstOrderOnly.apply(*(grads[i] for i in present), grad_loss, *inputs)
        for i, t in zip(present, wrapped, strict=False):
            grads[i] = t
    return grads


def _save(ctx: Any, inputs: tuple[Any, ...], output: tuple[Tensor, ...]) -> None:
    ctx.save_for_backward(*output[1:], *inputs[:5])
    ctx.mark_non_differentiable(*(t for t in output[1:] if t is not None))


def _out_dims(needs: Any) -> tuple[int | None, ...]:
    """vmap: the loss and each computed derivative are mapped on dim 0; an empty one is not."""
    return (0, *(0 if need else None for need in needs))


def _moved_to_front(size: int, in_dims: tuple[Any, ...], tensors: tuple[Tensor, ...]) -> list:
    """vmap: the op already takes any batch shape, so the mapped dimension becomes row dim 0."""
    return [
        t.unsqueeze(0).expand(size, *t.shape) if dim is None else t.movedim(dim, 0)
        for t, dim in zip(tensors, in_dims, strict=True)
    ]


# --- eager mode and torch.func: autograd.Functions ----------------------------------------------


def _function_backward(ctx: Any, grad_loss: Tensor, *_unused: Tensor) -> tuple[Any, ...]:
    grads = _scaled_gradients(ctx.saved_tensors, grad_loss, ctx.needs_input_grad)
    return (*grads, None, None, None)


def _function_jvp(ctx: Any, *tangents: Any) -> tuple[Any, ...]:
    return (_directional(ctx.saved_tensors[:5], tangents), None, None, None, None, None)


def _directional(derivatives: Any, tangents: tuple[Any, ...]) -> Tensor | None:
    """Forward mode: the loss's tangent is the derivatives dotted with the inputs' tangents."""
    dz, dx, dh, da, db = derivatives
    total = None
    for derivative, tangent, per_row in zip(
        (dz, dx, da, db, dh), tangents[:5], (True, True, False, False, False), strict=True
    ):
        if tangent is None:
            continue
        if derivative is None or (derivative.numel() == 0 and tangent.numel() != 0):
            if not bool(tangent.any()):  # autograd may pass zeros for an input without one
                continue
            raise RuntimeError(_NOT_COMPUTED)
        term = derivative * tangent.to(_F64)
        term = term.sum(-1) if per_row else term
        total = term if total is None else total + term
    return total


def _function_setup(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    _save(ctx, inputs, output)
    ctx.save_for_forward(*output[1:])


class _KDEFunction(torch.autograd.Function):
    """The op under ``torch.func`` transforms (grad, vjp, jvp, vmap, and their compositions):
    the ``setup_context`` form that functorch requires."""

    @staticmethod
    def forward(  # type: ignore[override]
        z: Tensor,
        x: Tensor,
        a: Tensor,
        b: Tensor,
        h: Tensor,
        options: Options,
        engine: str,
        needs: tuple[bool, ...],
    ) -> _Outputs:
        return _forward(z, x, a, b, h, options, engine, needs)

    setup_context = staticmethod(_function_setup)
    backward = staticmethod(_function_backward)  # type: ignore[assignment]
    jvp = staticmethod(_function_jvp)

    @staticmethod
    def vmap(info: Any, in_dims: tuple[Any, ...], *args: Any) -> tuple[Any, Any]:
        moved = _moved_to_front(info.batch_size, in_dims[:5], args[:5])
        return _KDEFunction.apply(*moved, *args[5:]), _out_dims(args[7])


class _EagerKDEFunction(torch.autograd.Function):
    """The same op in plain eager mode (autograd and forward-mode AD, no ``torch.func``
    transform active), with the cast to the logits' dtype and the reduction inside (the same
    torch operations as outside, so the same values; one graph node instead of three) and
    one output, the loss (the derivatives are saved on ``ctx``, not returned): the
    ``forward(ctx, ...)`` form, which torch applies without binding the arguments to a
    signature.  Each choice measured cheaper per call (bench_frameworks.py, B = 1)."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        z: Tensor,
        x: Tensor,
        a: Tensor,
        b: Tensor,
        h: Tensor,
        options: Options,
        engine: str,
        needs: tuple[bool, ...],
        reduction: str,
        dtype: torch.dtype,
    ) -> Tensor:
        loss, *derivatives = _forward(z, x, a, b, h, options, engine, needs)
        # Plain attributes, not save_for_backward: unpacking ten saved variables measured
        # ~30 us per backward at B = 1.  Safe here: the derivatives are this op's own tensors
        # (nobody else can modify them), and the inputs only connect the create_graph error
        # (_FirstOrderOnly) to the graph; their values are never read.
        ctx.derivatives, ctx.inputs = derivatives, (z, x, a, b, h)
        ctx.reduction, ctx.dtype, ctx.batch = reduction, dtype, loss.shape
        return reduce(loss.to(dtype), reduction)

    @staticmethod
    def backward(ctx: Any, grad_loss: Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        if ctx.reduction != "none":  # as torch's SumBackward / MeanBackward
            grad_loss = grad_loss.expand(ctx.batch)
            if ctx.reduction == "mean":
                grad_loss = grad_loss / max(grad_loss.numel(), 1)
        saved = (*ctx.derivatives, *ctx.inputs)
        grads = _scaled_gradients(saved, grad_loss, ctx.needs_input_grad)
        return (*grads, *(None,) * 5)

    @staticmethod
    def jvp(ctx: Any, *tangents: Any) -> Tensor | None:
        total = _directional(ctx.derivatives, tangents)
        return None if total is None else reduce(total.to(ctx.dtype), ctx.reduction)


# --- torch.compile: a torch.library custom op ---------------------------------------------------


@torch.library.custom_op(_OP_NAME, mutates_args=())
def _kde_op(
    z: Tensor,
    x: Tensor,
    a: Tensor,
    b: Tensor,
    h: Tensor,
    kernel: str,
    circular: bool,
    method: str,
    bins: int | None,
    engine: str,
    needs: list[bool],
) -> _Outputs:
    """Loss (batch shape) and ``dL/d(z, x, h, a, b)``; an unneeded derivative is empty."""
    outs = _forward(z, x, a, b, h, Options(kernel, circular, method, bins), engine, needs)
    return tuple(_empty(z) if t is None else t for t in outs)  # type: ignore[return-value]


@_kde_op.register_fake
def _kde_op_fake(
    z: Tensor,
    x: Tensor,
    a: Tensor,
    b: Tensor,
    h: Tensor,
    kernel: str,
    circular: bool,
    method: str,
    bins: int | None,
    engine: str,
    needs: list[bool],
) -> _Outputs:
    shapes = (z.shape, x.shape, h.shape, a.shape, b.shape)
    outs = [z.new_empty(z.shape[:-1])]
    outs += [
        z.new_empty(shape if need else (0,)) for shape, need in zip(shapes, needs, strict=True)
    ]
    return tuple(outs)  # type: ignore[return-value]


def _op_backward(ctx: Any, grad_loss: Tensor, *_unused: Tensor) -> tuple[Any, ...]:
    grads = _scaled_gradients(ctx.saved_tensors, grad_loss, ctx.needs_input_grad)
    return (*grads, *(None,) * 6)


_kde_op.register_autograd(_op_backward, setup_context=_save)


@torch.library.register_vmap(_OP_NAME)
def _kde_op_vmap(info: Any, in_dims: tuple[Any, ...], *args: Any) -> tuple[Any, Any]:
    moved = _moved_to_front(info.batch_size, in_dims[:5], args[:5])
    return _kde_op(*moved, *args[5:]), _out_dims(args[10])


# --- the public function and module -------------------------------------------------------------


def _as_f64(value: Any, name: str, device: torch.device, shape: tuple[int, ...]) -> Tensor:
    """``value`` as a float64 tensor on ``device`` that broadcasts to ``shape``."""
    if type(value) is float or type(value) is int:  # the common scalar: one op, not two
        return torch.full(shape, value, dtype=_F64, device=device)
    if isinstance(value, Tensor):
        if value.is_complex() or value.dtype == torch.bool:
            raise ValueError(f"{name}: expected a real tensor, got dtype {value.dtype}")
        return value.to(device=device, dtype=_F64)
    if isinstance(value, str | bytes):
        raise ValueError(f"{name}: expected a real number or tensor, got {type(value).__name__}")
    try:
        return torch.as_tensor(value, dtype=_F64, device=device)
    except (TypeError, RuntimeError) as error:
        raise ValueError(f"{name}: expected a real number or tensor, got {value!r}") from error


def _needed(tensors: tuple[Tensor, ...]) -> tuple[bool, ...]:
    """Which derivatives the caller's tensors need: those that require grad (autograd,
    ``torch.func.grad``) and those carrying a forward-mode tangent (dual tensors).  Under
    ``torch.func.jvp``/``jacfwd`` all of them: functorch passes (zero) tangents for inputs
    that carry none."""
    grad_on = torch.is_grad_enabled()
    needs = tuple(grad_on and t.requires_grad for t in tensors)
    if torch._C._are_functorch_transforms_active() and _functorch_forward_mode():
        return (True,) * len(tensors)
    if getattr(_forward_ad, "_current_level", 0) >= 0:  # a forward-AD level is open
        tangents = (_forward_ad.unpack_dual(t).tangent is not None for t in tensors)
        needs = tuple(n or t for n, t in zip(needs, tangents, strict=True))
    return needs


def _functorch_forward_mode() -> bool:
    from torch._C._functorch import TransformType, get_interpreter_stack

    return any(i.key() == TransformType.Jvp for i in get_interpreter_stack() or ())


def kde_cross_entropy(
    logits: Tensor,
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
    engine: str = "auto",
) -> Tensor:
    """The cross-entropy ``H(U[a, b], p)`` of the softmax-weighted KDE, differentiable.

    ``logits`` has shape ``(..., n)``; ``positions`` broadcasts to it (often one ``(n,)``
    grid); ``a``, ``b`` and ``bandwidth`` broadcast to the batch shape ``logits.shape[:-1]``.
    Gradients flow to every tensor that requires them.  ``reduction``: ``"none"`` (batch
    shape), ``"mean"`` or ``"sum"``; ``engine``: ``"auto"``, ``"compiled"`` (the CPU engine)
    or ``"torch"`` (torch operations only).  Errors name the argument (``ValueError``).

    >>> import torch
    >>> z = torch.zeros(3, 2, dtype=torch.float64)
    >>> kde_cross_entropy(z, [0.0, 1.0], 0.0, torch.tensor([1.0, 2.0, 3.0]), reduction="none").shape
    torch.Size([3])
    """
    check_reduction(reduction)
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")
    compiling = torch.compiler.is_compiling()
    if compiling:  # not traced (a cache, NumPy); the engine checks them when the op runs
        options = Options(kernel, circular, method, bins)
    else:
        options = checked_options(kernel, circular, method, bins)
    if not isinstance(logits, Tensor):
        raise ValueError(f"logits: expected a torch.Tensor, got {type(logits).__name__}")
    if not logits.is_floating_point():
        raise ValueError(f"logits: expected a floating-point tensor, got dtype {logits.dtype}")
    if logits.dim() == 0:
        raise ValueError("logits: expected shape (..., n), got a 0-d tensor")
    device = logits.device
    z = logits.to(_F64)
    x, a64, b64, h64 = broadcast_arguments(
        lambda value, name, shape: _as_f64(value, name, device, shape),
        Tensor.expand,
        z.shape,
        positions,
        a,
        b,
        bandwidth,
    )
    needs = _needed((z, x, h64, a64, b64))
    if compiling:
        outs = torch.ops.symkde.kde_cross_entropy(
            z, x, a64, b64, h64, *options, engine, list(needs)
        )
    elif torch._C._are_functorch_transforms_active():
        outs = _KDEFunction.apply(z, x, a64, b64, h64, options, engine, needs)
    else:
        dtype = logits.dtype
        args = (options, engine, needs, reduction, dtype)
        return _EagerKDEFunction.apply(z, x, a64, b64, h64, *args)  # type: ignore[no-any-return]
    return reduce(outs[0].to(logits.dtype), reduction)


class KDECrossEntropy(torch.nn.Module):
    """:func:`kde_cross_entropy` as a module; ``bandwidth`` may be an ``nn.Parameter``.

    >>> import torch
    >>> criterion = KDECrossEntropy(bandwidth=torch.nn.Parameter(torch.tensor(0.5)))
    >>> [name for name, _ in criterion.named_parameters()]
    ['bandwidth']
    """

    def __init__(
        self,
        *,
        kernel: str = "laplace",
        bandwidth: Any = 1.0,
        circular: bool = False,
        method: str = "auto",
        bins: int | None = None,
        reduction: str = "mean",
        engine: str = "auto",
    ) -> None:
        super().__init__()
        check_reduction(reduction)
        if engine not in ENGINES:
            raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")
        checked_options(kernel, circular, method, bins)  # a bad option fails here, not later
        self.bandwidth = bandwidth
        self.kernel, self.circular, self.method, self.bins = kernel, circular, method, bins
        self.reduction, self.engine = reduction, engine

    def forward(self, logits: Tensor, positions: Any, a: Any, b: Any) -> Tensor:
        return kde_cross_entropy(
            logits,
            positions,
            a,
            b,
            kernel=self.kernel,
            bandwidth=self.bandwidth,
            circular=self.circular,
            method=self.method,
            bins=self.bins,
            reduction=self.reduction,
            engine=self.engine,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel={self.kernel!r}, circular={self.circular}, method={self.method!r}, "
            f"bins={self.bins}, reduction={self.reduction!r}"
        )
