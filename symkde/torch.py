"""PyTorch: the exact softmax-KDE cross-entropy as a differentiable ``torch.library`` op.

Owns the custom op ``symkde::kde_cross_entropy`` (its fake, autograd and vmap registrations),
the function :func:`kde_cross_entropy` and the module :class:`KDECrossEntropy`.  Imports torch,
NumPy and the numeric layer (:mod:`symkde.numeric.engine`; ``symkde.array`` for
``engine="torch"`` when that exists); ``import symkde`` never imports this module.

The op returns the loss *and* the derivatives the caller's tensors need, computed once by the
forward (like fused cross-entropy kernels); the backward only scales them by the incoming
gradient.  Everything is computed in float64; the loss is cast back to the logits' dtype, and
autograd casts each gradient back to its argument's dtype.  Broadcasting (a shared ``(n,)``
grid of positions, a Python-float bandwidth, scalar ``a``/``b``) is done by ``expand`` before
the op, so autograd sums gradients over broadcast dimensions.

Transforms: ``torch.compile(fullgraph=True)`` traces it as one opaque op (registered fake
implementation); ``torch.func.vmap`` maps onto the op's own leading dimensions (one engine
call).  Not supported, each with a clear error: a second derivative (the backward is not
itself differentiable) and ``torch.func.grad``/``jvp`` (torch's custom ops with registered
autograd do not compose with them; ``loss.backward()``/``torch.autograd.grad`` do).

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
import re
from typing import Any

import numpy as np
import torch
from torch import Tensor

from symkde.numeric.batch import validate_batch as _validate_rows
from symkde.numeric.engine import engine as _cpu_engine

__all__ = ["KDECrossEntropy", "kde_cross_entropy"]

_OP_NAME = "symkde::kde_cross_entropy"
REDUCTIONS = ("none", "mean", "sum")
ENGINES = ("auto", "compiled", "torch")
_F64 = torch.float64


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


def _array_engine_handles(array_engine: Any, kernel: str, circular: bool, method: str) -> bool:
    if array_engine is None:
        return False
    if circular:
        if method == "bins":
            return kernel in getattr(array_engine, "CIRCLE_BIN_KERNELS", ())
        exact = getattr(array_engine, "CIRCLE_EXACT_KERNELS", ())
        return method in ("auto", "exact") and kernel in exact
    if method == "bins":
        return kernel in getattr(array_engine, "BIN_KERNELS", ())
    return method in ("auto", "exact") and kernel in getattr(array_engine, "EXACT_KERNELS", ())


def _torch_engine(
    array_engine: Any, z: Tensor, x: Tensor, a: Tensor, b: Tensor, h: Tensor, **options: Any
) -> tuple[Tensor, ...]:
    """``symkde.array.derivatives`` on torch tensors, rows flattened to ``(B, n)`` and back."""
    if array_engine is None:
        raise NotImplementedError(
            "engine='torch' (torch operations only, used for CUDA tensors) needs symkde.array, "
            "which could not be imported (it needs array-api-compat: pip install "
            "\"symkde[torch]\"); or use engine='compiled' (the CPU engine; CUDA tensors are "
            "copied to the host and back)"
        )
    if z.device.type == "cpu":  # the checks of the CPU engine, on views (device tensors: none)
        try:
            _validate_rows(
                *(t.detach().numpy() for t in (z, x, a, b)), bandwidth=h.detach().numpy(), **options
            )
        except ValueError as error:
            _rename_arguments(error)
            raise
    batch, n = z.shape[:-1], z.shape[-1]
    flat = [t.reshape(-1, n) for t in (z, x)] + [t.reshape(-1) for t in (a, b, h)]
    results = array_engine.derivatives(*flat, **options)
    shapes = (batch, z.shape, z.shape, batch, batch, batch)
    return tuple(r.reshape(s) for r, s in zip(results, shapes, strict=True))


def _empty(like: Tensor) -> Tensor:
    return torch.empty(0, dtype=_F64, device=like.device)


#: A message that starts with argument names ("a[3]: ...", "z, x: ...").
_NAMED = re.compile(r"^(?P<names>[a-z_]+(?:\[[0-9, ]*\])?(?:, [a-z_]+(?:\[[0-9, ]*\])?)*): ")
_TORCH_NAMES = {"z": "logits", "x": "positions"}


def _rename_arguments(error: ValueError) -> None:
    """The numeric API's names ``z``, ``x`` become this function's ``logits``, ``positions``.

    Changes the message in place, so the error keeps its type and attributes.
    """
    if not error.args or not isinstance(error.args[0], str):
        return
    match = _NAMED.match(error.args[0])
    if match is None:
        return
    names = re.sub(r"\b(z|x)\b(?=\[|,|$)", lambda m: _TORCH_NAMES[m[1]], match["names"])
    error.args = (names + error.args[0][len(match["names"]) :], *error.args[1:])


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
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Loss (batch shape) and ``dL/d(z, x, h, a, b)``; an unneeded derivative is empty."""
    options = {"kernel": kernel, "circular": circular, "method": method, "bins": bins}
    array_engine = _array_engine()
    on_device = engine == "auto" and z.device.type != "cpu"
    if engine == "torch" or (
        on_device and _array_engine_handles(array_engine, kernel, circular, method)
    ):
        results = _torch_engine(array_engine, z, x, a, b, h, **options)
        outs = [results[0]] + [
            r.to(_F64) if need else _empty(z) for r, need in zip(results[1:], needs, strict=True)
        ]
        return tuple(outs)  # type: ignore[return-value]
    # The CPU engine: .numpy() on the float64 CPU tensors is a view (no copy).
    arrays = [t.detach().cpu().numpy() for t in (z, x, a, b, h)]
    try:
        result = _cpu_engine(*arrays, needs=tuple(needs), **options)  # type: ignore[arg-type]
    except ValueError as error:
        _rename_arguments(error)
        raise
    outs = [torch.from_numpy(np.ascontiguousarray(result.loss))]
    for value in result[1:]:
        outs.append(_empty(z) if value is None else torch.from_numpy(value))
    return tuple(t.to(z.device) for t in outs)  # type: ignore[return-value]


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
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    shapes = (z.shape, x.shape, h.shape, a.shape, b.shape)
    outs = [z.new_empty(z.shape[:-1])]
    outs += [
        z.new_empty(shape if need else (0,)) for shape, need in zip(shapes, needs, strict=True)
    ]
    return tuple(outs)  # type: ignore[return-value]


_NO_SECOND = (
    "symkde.torch.kde_cross_entropy has no second derivative (double backward, "
    "create_graph=True followed by another grad, torch.func.hessian): its backward only "
    "scales the first derivatives that the forward computed"
)


class _FirstOrderOnly(torch.autograd.Function):
    """Identity on the gradients ``_backward`` returns under ``create_graph=True``; raises if
    anything differentiates through them (the saved derivatives have no derivative here)."""

    @staticmethod
    def forward(ctx: Any, *tensors: Tensor) -> tuple[Tensor, ...]:
        return tuple(t.clone() for t in tensors)

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> tuple[Tensor, ...]:
        raise RuntimeError(_NO_SECOND)


def _setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[Tensor, ...]) -> None:
    ctx.save_for_backward(*output[1:], *inputs[:5])
    ctx.mark_non_differentiable(*output[1:])


def _backward(ctx: Any, grad_loss: Tensor, *_grad_derivatives: Tensor) -> tuple[Any, ...]:
    dz, dx, dh, da, db, *inputs = ctx.saved_tensors
    need_z, need_x, need_a, need_b, need_h = ctx.needs_input_grad[:5]
    g = grad_loss.to(_F64)
    g_row = g.unsqueeze(-1)

    def scaled(saved: Tensor, scale: Tensor, need: bool) -> Tensor | None:
        if not need:
            return None
        if saved.numel() == 0 and scale.numel() != 0:
            raise RuntimeError(
                "symkde::kde_cross_entropy: a gradient was asked for an argument whose "
                "derivative the forward did not compute (its needs flag was False)"
            )
        return saved * scale

    grads = [
        scaled(dz, g_row, need_z),
        scaled(dx, g_row, need_x),
        scaled(da, g, need_a),
        scaled(db, g, need_b),
        scaled(dh, g, need_h),
    ]
    if torch.is_grad_enabled():  # create_graph=True: a second derivative must raise, not be 0
        present = [i for i, t in enumerate(grads) if t is not None]
        wrapped = _FirstOrderOnly.apply(*(grads[i] for i in present), grad_loss, *inputs)
        for i, t in zip(present, wrapped, strict=False):
            grads[i] = t
    return (*grads, *(None,) * 6)


_kde_op.register_autograd(_backward, setup_context=_setup_context)


@torch.library.register_vmap(_OP_NAME)
def _kde_op_vmap(info: Any, in_dims: tuple[Any, ...], *args: Any) -> tuple[Any, Any]:
    """vmap: the op already takes any batch shape, so the mapped dimension becomes row dim 0."""
    size = info.batch_size
    moved = []
    for arg, dim in zip(args[:5], in_dims[:5], strict=True):
        moved.append(
            arg.unsqueeze(0).expand(size, *arg.shape) if dim is None else arg.movedim(dim, 0)
        )
    outs = _kde_op(*moved, *args[5:])
    return outs, tuple(0 if out.numel() or out.dim() != 1 else None for out in outs)


_NO_FUNC_AUTOGRAD = (
    "symkde.torch.kde_cross_entropy under torch.func.{name}: torch.library custom ops with a "
    "registered autograd formula do not compose with torch.func's autograd transforms (grad, "
    "vjp, jacrev, jvp) in this torch; torch.func.vmap works, and so do loss.backward() and "
    "torch.autograd.grad (batch the rows through the op's own leading dimensions)"
)


def _refuse_func_autograd() -> None:
    """A clear error instead of torch's internal one under ``torch.func.grad`` and kin."""
    if torch.compiler.is_compiling() or not torch._C._are_functorch_transforms_active():
        return
    from torch._C._functorch import TransformType, get_interpreter_stack

    for interpreter in get_interpreter_stack() or ():
        if interpreter.key() in (TransformType.Grad, TransformType.Jvp):
            name = "grad" if interpreter.key() == TransformType.Grad else "jvp"
            raise NotImplementedError(_NO_FUNC_AUTOGRAD.format(name=name))


def _as_f64(value: Any, name: str, device: torch.device) -> Tensor:
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


def _broadcast(t: Tensor, shape: torch.Size, name: str, target: str) -> Tensor:
    if t.shape == shape:
        return t
    if t.dim() > len(shape) or any(
        s not in (1, w) for s, w in zip(reversed(t.shape), reversed(shape), strict=False)
    ):
        raise ValueError(
            f"{name}: shape {tuple(t.shape)} does not broadcast to {target} {tuple(shape)}"
        )
    return t.expand(shape)


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
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}")
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")
    if not isinstance(logits, Tensor):
        raise ValueError(f"logits: expected a torch.Tensor, got {type(logits).__name__}")
    if not logits.is_floating_point():
        raise ValueError(f"logits: expected a floating-point tensor, got dtype {logits.dtype}")
    if logits.dim() == 0:
        raise ValueError("logits: expected shape (..., n), got a 0-d tensor")
    _refuse_func_autograd()
    device = logits.device
    z = logits.to(_F64)
    batch = z.shape[:-1]
    x = _broadcast(_as_f64(positions, "positions", device), z.shape, "positions", "logits' shape")
    a64 = _broadcast(_as_f64(a, "a", device), batch, "a", "the batch shape")
    b64 = _broadcast(_as_f64(b, "b", device), batch, "b", "the batch shape")
    h64 = _broadcast(_as_f64(bandwidth, "bandwidth", device), batch, "bandwidth", "the batch shape")
    grad_on = torch.is_grad_enabled()
    needs = [grad_on and t.requires_grad for t in (z, x, h64, a64, b64)]
    outs = torch.ops.symkde.kde_cross_entropy(
        z, x, a64, b64, h64, kernel, circular, method, bins, engine, needs
    )
    loss = outs[0].to(logits.dtype)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


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
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}")
        if engine not in ENGINES:
            raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")
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
