"""symkde.torch: the custom op against the NumPy API, autograd, torch.compile, vmap, dtypes.

References: the float64 NumPy API (``symkde.loss_and_grad``, ``symkde.derivatives``), whose
accuracy against mpmath is tested elsewhere (tests/test_accuracy.py).  The op runs the same
engine, so in float64 the results must be *equal* to it; other dtypes are compared at their
own precision.
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

import symkde
from symkde import torch as skt
from symkde.errors import UncoveredTargetError

F64 = torch.float64
HAS_ARRAY_ENGINE = importlib.util.find_spec("symkde.array") is not None


def _problem(batch=(3,), n=5, seed=0, circular=False):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(*batch, n))
    x = rng.uniform(-3.0, 3.0, size=n) if circular else rng.uniform(-0.5, 1.5, size=n)
    a = rng.uniform(-0.2, 0.2, size=batch)
    b = a + rng.uniform(0.5, 1.5, size=batch)
    return z, x, a, b


# --- values and dL/dz against the NumPy API ---------------------------------------------------


@pytest.mark.parametrize(
    ("kernel", "circular"),
    [
        ("laplace", False),
        ("laplace", True),
        ("gaussian", False),
        ("triangle", False),
        ("vonmises", True),
    ],
)
def test_loss_and_logit_gradient_equal_the_numpy_api(kernel, circular):
    z, x, a, b = _problem(circular=circular)
    logits = torch.tensor(z, requires_grad=True)
    loss = skt.kde_cross_entropy(
        logits,
        torch.tensor(x),
        torch.tensor(a),
        torch.tensor(b),
        kernel=kernel,
        bandwidth=0.4,
        circular=circular,
        reduction="none",
    )
    loss.backward(torch.tensor([1.0, 2.0, -3.0], dtype=F64))
    ref_loss, ref_grad = symkde.loss_and_grad(
        z, x, a, b, kernel=kernel, bandwidth=0.4, circular=circular
    )
    # Same float64 engine, same inputs: equal, not merely close.
    np.testing.assert_array_equal(loss.detach().numpy(), ref_loss)
    np.testing.assert_array_equal(logits.grad.numpy(), ref_grad * np.array([[1.0], [2.0], [-3.0]]))


def test_bins_method_and_a_wrong_reference_is_told_apart():
    z, x, a, b = _problem()
    loss = skt.kde_cross_entropy(torch.tensor(z), x, a, b, method="bins", bins=7, reduction="none")
    np.testing.assert_array_equal(loss.numpy(), symkde.loss(z, x, a, b, method="bins", bins=7))
    # The check can fail: a different bin count gives a different loss.
    assert not np.array_equal(loss.numpy(), symkde.loss(z, x, a, b, method="bins", bins=8))


def test_broadcasting_shared_grid_scalar_bounds_and_batch_shape():
    z, x, _, _ = _problem(batch=(2, 3))
    b = np.array([1.0, 1.5, 2.0])  # broadcasts over the first batch dimension
    logits = torch.tensor(z, requires_grad=True)
    loss = skt.kde_cross_entropy(
        logits, torch.tensor(x), 0.0, torch.tensor(b), bandwidth=0.3, reduction="none"
    )
    assert loss.shape == (2, 3)
    ref = symkde.loss(z, x, 0.0, b, bandwidth=0.3)
    np.testing.assert_array_equal(loss.detach().numpy(), ref)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_reductions(reduction):
    z, x, a, b = _problem()
    logits = torch.tensor(z, requires_grad=True)
    out = skt.kde_cross_entropy(logits, x, torch.tensor(a), torch.tensor(b), reduction=reduction)
    per_row, grad = symkde.loss_and_grad(z, x, a, b)
    expected = {"none": per_row, "mean": per_row.mean(), "sum": per_row.sum()}[reduction]
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-15)  # one float64 sum
    out.sum().backward()
    scale = 1.0 / len(per_row) if reduction == "mean" else 1.0
    np.testing.assert_allclose(logits.grad.numpy(), grad * scale, rtol=1e-15, atol=0)


def test_masked_logits_get_zero_gradient():
    logits = torch.tensor([0.3, -math.inf, 0.1], dtype=F64, requires_grad=True)
    skt.kde_cross_entropy(logits, [0.0, 5.0, 1.0], 0.0, 1.0).backward()
    assert logits.grad[1].item() == 0.0
    assert torch.isfinite(logits.grad).all()


# --- autograd machinery -----------------------------------------------------------------------


@pytest.mark.parametrize("circular", [False, True])
def test_gradcheck_logits(circular):
    z, x, a, b = _problem(batch=(2,), n=3, circular=circular)
    logits = torch.tensor(z, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda t: skt.kde_cross_entropy(
            t, x, a, b, bandwidth=0.5, circular=circular, reduction="none"
        ),
        (logits,),
    )


def _derivatives_by_row(z, x, a, b, h):
    """``symkde.derivatives`` row by row (the single call; x is per row, not summed)."""
    x = np.broadcast_to(x, z.shape)
    a, b, h = (np.broadcast_to(v, z.shape[:-1]) for v in (a, b, h))
    rows = [symkde.derivatives(z[i], x[i], a[i], b[i], bandwidth=h[i]) for i in range(len(z))]
    return symkde.Derivatives(*(np.array(list(field)) for field in zip(*rows, strict=True)))


def _all_args(n=3, seed=1):
    z, x, a, b = _problem(batch=(2,), n=n, seed=seed)
    h = np.array([0.5, 0.7])
    return [torch.tensor(v, requires_grad=True) for v in (z, x, a, b, h)]


def test_gradients_of_every_argument():
    z, x, a, b, h = _all_args()
    call = lambda z, x, a, b, h: skt.kde_cross_entropy(z, x, a, b, bandwidth=h, reduction="sum")  # noqa: E731
    assert torch.autograd.gradcheck(call, (z, x, a, b, h))
    call(z, x, a, b, h).backward()
    ref = _derivatives_by_row(*(t.detach().numpy() for t in (z, x, a, b, h)))
    for got, want in [(z, ref.z), (a, ref.a), (b, ref.b), (h, ref.bandwidth)]:
        np.testing.assert_array_equal(got.grad.numpy(), want)  # same engine: equal
    # The (n,) grid is shared by both rows: its gradient is their sum (1 ulp of rounding).
    np.testing.assert_allclose(x.grad.numpy(), ref.x.sum(0), rtol=4e-16, atol=1e-300)


def test_gradients_are_summed_over_broadcast_dimensions():
    z, x, _, _ = _problem(batch=(2, 3), n=4)
    logits = torch.tensor(z)
    grid = torch.tensor(x, requires_grad=True)  # (n,) shared by all 6 rows
    bandwidth = torch.tensor(0.4, dtype=F64, requires_grad=True)  # one scalar for all rows
    b = torch.tensor([1.0, 1.2, 1.4], dtype=F64, requires_grad=True)  # per column of the batch
    skt.kde_cross_entropy(logits, grid, 0.0, b, bandwidth=bandwidth, reduction="sum").backward()
    ref = _derivatives_by_row(z.reshape(6, 4), x, 0.0, np.tile([1.0, 1.2, 1.4], 2), 0.4)
    # Sums of float64 rows in another order: a few ulps of the largest term.
    np.testing.assert_allclose(grid.grad.numpy(), ref.x.sum(0), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(bandwidth.grad.item(), ref.bandwidth.sum(), rtol=1e-14)
    np.testing.assert_allclose(b.grad.numpy(), ref.b.reshape(2, 3).sum(0), rtol=1e-14)


def test_only_needed_derivatives_are_computed(monkeypatch):
    seen = []
    real = skt.host_engine

    def spy(*args):
        seen.append(args[-1])
        return real(*args)

    monkeypatch.setattr(skt, "host_engine", spy)
    z, x, a, b = _problem()
    skt.kde_cross_entropy(torch.tensor(z), x, a, b)
    skt.kde_cross_entropy(torch.tensor(z, requires_grad=True), x, a, b)
    with torch.no_grad():
        skt.kde_cross_entropy(torch.tensor(z, requires_grad=True), x, a, b)
    assert seen == [(False,) * 5, (True, False, False, False, False), (False,) * 5]


def test_cpu_float64_inputs_reach_the_engine_without_copies(monkeypatch):
    seen = {}
    real = skt.host_engine

    def spy(z, x, *args):
        seen.update(z=z, x=x)
        return real(z, x, *args)

    monkeypatch.setattr(skt, "host_engine", spy)
    z, x, a, b = _problem()
    logits, positions = torch.tensor(z), torch.tensor(x)
    skt.kde_cross_entropy(logits, positions, a, b)
    assert np.shares_memory(seen["z"], logits.numpy())
    assert np.shares_memory(seen["x"], positions.numpy())  # the shared grid: a stride-0 view
    # ... and the check can fail: a float32 tensor is converted, so it is a copy.
    skt.kde_cross_entropy(logits.float(), positions, a, b)
    assert not np.shares_memory(seen["z"], logits.numpy())


def test_opcheck():
    z, x, a, b = (torch.tensor(v) for v in _problem(batch=(2,), n=4))
    args = (
        z,
        x.expand(2, 4),
        a,
        b,
        torch.full((2,), 0.3, dtype=F64),
        "laplace",
        False,
        "auto",
        None,
        "auto",
        [True, False, False, False, False],
    )
    torch.library.opcheck(skt._kde_op, args)


def test_double_backward_raises():
    logits = torch.tensor([0.2, -0.1, 0.4], dtype=F64, requires_grad=True)
    loss = skt.kde_cross_entropy(logits, [0.0, 0.5, 1.0], 0.0, 1.0) + (logits**2).sum()
    (g,) = torch.autograd.grad(loss, logits, create_graph=True)  # first order is fine
    with pytest.raises(RuntimeError, match="no second derivative"):
        torch.autograd.grad(g.sum(), logits)


def test_compile_fullgraph_aot_eager_matches_eager():
    z, x, a, b = (torch.tensor(v) for v in _problem())
    fn = lambda t: skt.kde_cross_entropy(t, x, a, b, bandwidth=0.3)  # noqa: E731
    compiled = torch.compile(fn, fullgraph=True, backend="aot_eager")
    eager_z, comp_z = z.clone().requires_grad_(), z.clone().requires_grad_()
    fn(eager_z).backward()
    out = compiled(comp_z)
    out.backward()
    assert out.item() == fn(z).item()
    assert torch.equal(comp_z.grad, eager_z.grad)


def test_vmap_is_the_batch():
    z, x, _, _ = _problem(batch=(4, 3))
    zt = torch.tensor(z)
    mapped = torch.func.vmap(lambda r: skt.kde_cross_entropy(r, x, 0.0, 1.0, reduction="none"))(zt)
    assert torch.equal(mapped, skt.kde_cross_entropy(zt, x, 0.0, 1.0, reduction="none"))


# --- dtypes and the far field -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_low_precision_in_same_dtype_out(dtype):
    z, x, a, b = _problem()
    logits = torch.tensor(z, dtype=dtype, requires_grad=True)
    loss = skt.kde_cross_entropy(logits, torch.tensor(x, dtype=dtype), a, b, reduction="none")
    loss.sum().backward()
    assert loss.dtype == dtype and logits.grad.dtype == dtype
    # Computed in float64 from the rounded inputs, then rounded once: within one ulp-ish of it.
    z_rounded = logits.detach().double().numpy()
    x_rounded = torch.tensor(x, dtype=dtype).double().numpy()
    ref_loss, ref_grad = symkde.loss_and_grad(z_rounded, x_rounded, a, b)
    eps = torch.finfo(dtype).eps
    np.testing.assert_allclose(loss.double().detach().numpy(), ref_loss, rtol=eps)
    np.testing.assert_allclose(logits.grad.double().numpy(), ref_grad, atol=eps)


def test_far_field_float32_is_finite_where_a_linear_space_mixture_is_nan():
    # Both points 1e4 bandwidths from the target [0, 1], one on each side, mirror images of
    # each other about t = 1/2: by symmetry mean R = (1/2, 1/2) = S, so dL/dz = 0.
    h = 0.01
    x = torch.tensor([1.0 + 1e4 * h, -1e4 * h], dtype=torch.float32)
    logits = torch.zeros(2, dtype=torch.float32, requires_grad=True)
    loss = skt.kde_cross_entropy(logits, x, 0.0, 1.0, bandwidth=h, method="bins", bins=64)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()
    ref = symkde.loss([0.0, 0.0], x.double().numpy(), 0.0, 1.0, bandwidth=h, method="bins", bins=64)
    np.testing.assert_allclose(loss.item(), ref, rtol=2**-23)  # float32 rounding of a float64 value
    np.testing.assert_allclose(logits.grad.numpy(), [0.0, 0.0], atol=2**-23)
    # The naive float32 mixture, on the same nodes: exp(-1e4) underflows to 0, log 0 = -inf.
    naive_z = torch.zeros(2, dtype=torch.float32, requires_grad=True)
    t = (torch.arange(64, dtype=torch.float32) + 0.5) / 64
    k = torch.exp(-(t[:, None] - x).abs() / h) / (2 * h)
    naive = -torch.log((torch.softmax(naive_z, 0) * k).sum(1)).mean()
    naive.backward()
    assert not torch.isfinite(naive) and not torch.isfinite(naive_z.grad).all()


# --- errors and engines -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reduction": "avg"}, "reduction"),
        ({"engine": "gpu"}, "engine"),
        ({"positions": [0.0, 1.0, 2.0]}, "positions: shape"),
        ({"b": torch.tensor([1.0, -1.0, 2.0])}, r"a\[1\], b\[1\]"),
        ({"bandwidth": -1.0}, "bandwidth"),
        ({"logits": torch.tensor([[0.0, math.nan]] * 3)}, r"logits\[0\]"),
        ({"logits": [[0.0, 1.0]]}, "logits: expected a torch.Tensor"),
        ({"kernel": "epanechnikov"}, "kernel"),
    ],
)
def test_errors_name_the_argument(kwargs, match):
    args = {"logits": torch.zeros(3, 2), "positions": [0.0, 1.0], "a": 0.0, "b": 1.0}
    args.update(kwargs)
    pos = [args.pop(k) for k in ("logits", "positions", "a", "b")]
    with pytest.raises(ValueError, match=match):
        skt.kde_cross_entropy(*pos, **args)


def test_uncovered_target_raises_for_gradients_and_is_inf_without():
    logits = torch.zeros(2, dtype=F64, requires_grad=True)
    kw = {"kernel": "boxcar", "bandwidth": 0.1}
    with torch.no_grad():
        assert skt.kde_cross_entropy(logits, [0.0, 1.0], 0.0, 1.0, **kw).item() == math.inf
    with pytest.raises(UncoveredTargetError, match="density is zero") as info:
        skt.kde_cross_entropy(logits, [0.0, 1.0], 0.0, 1.0, **kw)
    assert info.value.interval == (0.1, 0.9)


def test_engine_torch_dispatch():
    z, x, a, b = (torch.tensor(v) for v in _problem())
    if not HAS_ARRAY_ENGINE:
        with pytest.raises(NotImplementedError, match="engine='torch'"):
            skt.kde_cross_entropy(z, x, a, b, engine="torch")
        return
    torch_loss = skt.kde_cross_entropy(z, x, a, b, engine="torch", reduction="none")
    cpu_loss = skt.kde_cross_entropy(z, x, a, b, engine="compiled", reduction="none")
    np.testing.assert_allclose(torch_loss.numpy(), cpu_loss.numpy(), rtol=1e-12)  # API.md


def test_module_with_learnable_bandwidth():
    bandwidth = torch.nn.Parameter(torch.tensor(0.4, dtype=F64))
    criterion = skt.KDECrossEntropy(bandwidth=bandwidth, reduction="sum")
    assert [p is bandwidth for p in criterion.parameters()] == [True]
    z, x, a, b = (torch.tensor(v) for v in _problem())
    with torch.no_grad():
        value = criterion(z, x, a, b).item()
    assert value == skt.kde_cross_entropy(z, x, a, b, bandwidth=0.4, reduction="sum").item()
    loss = criterion(z, x, a, b)
    loss.backward()
    ref = _derivatives_by_row(z.numpy(), x.numpy(), a.numpy(), b.numpy(), 0.4)
    np.testing.assert_allclose(bandwidth.grad.item(), ref.bandwidth.sum(), rtol=1e-14)


def test_importing_symkde_imports_neither_torch_nor_jax():
    code = (
        "import sys, symkde; symkde.loss([0.0], [0.0], 0.0, 1.0); "
        "print(sorted(m for m in ('torch', 'jax') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# torch 2.13's inductor itself calls torch.jit.script_method, deprecated in the same release.
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_compile_fullgraph_default_backend_matches_eager():
    # The default backend (inductor) compiles C++ for the ops around the custom op; the op
    # itself stays one opaque call.  One small case: compiling costs seconds.
    z, x, a, b = (torch.tensor(v) for v in _problem(batch=(2,), n=3))
    fn = lambda t: skt.kde_cross_entropy(t * 2.0, x, a, b, bandwidth=0.3)  # noqa: E731
    eager_z, comp_z = z.clone().requires_grad_(), z.clone().requires_grad_()
    fn(eager_z).backward()
    out = torch.compile(fn, fullgraph=True)(comp_z)
    out.backward()
    torch.testing.assert_close(out, fn(z), rtol=1e-15, atol=0)  # fused multiply: an ulp
    torch.testing.assert_close(comp_z.grad, eager_z.grad, rtol=1e-15, atol=1e-17)


@pytest.mark.parametrize(
    ("kernel", "circular", "method", "bins"),
    [
        ("laplace", False, "auto", None),
        ("laplace", True, "auto", None),
        ("boxcar", False, "exact", None),
        ("gaussian", False, "bins", 64),
    ],
)
def test_engine_torch_gradients_match_the_compiled_engine(kernel, circular, method, bins):
    """engine="torch" (torch operations only: what CUDA tensors use) against the compiled
    engine, float64, every argument: the contract's 1e-12 * max(|value|, scale)."""
    assert HAS_ARRAY_ENGINE
    z, x, a, b = _problem(circular=circular)
    bandwidth = 1.5 if kernel == "boxcar" else 0.3  # boxcar: supports cover the target
    grads = {}
    for engine in ("torch", "compiled"):
        args = [torch.tensor(v, requires_grad=True) for v in (z, x, a, b)]
        h = torch.tensor(bandwidth, dtype=F64, requires_grad=True)
        loss = skt.kde_cross_entropy(
            *args,
            kernel=kernel,
            bandwidth=h,
            circular=circular,
            method=method,
            bins=bins,
            engine=engine,
            reduction="sum",
        )
        loss.backward()
        grads[engine] = [loss.detach()] + [t.grad for t in (*args, h)]
    scales = [1.0, 1.0, 1 / bandwidth, 10.0, 10.0, 1 / bandwidth]  # loss, z, x, a, b, h
    for name, got, want, scale in zip(
        ("loss", "z", "x", "a", "b", "bandwidth"),
        grads["torch"],
        grads["compiled"],
        scales,
        strict=True,
    ):
        bound = 1e-12 * np.maximum(np.abs(want.numpy()), scale) * z.shape[0]  # summed rows
        assert np.all(np.abs(got.numpy() - want.numpy()) <= bound), name


def test_engine_torch_names_what_it_cannot_compute():
    z, x, a, b = (torch.tensor(v) for v in _problem())
    with pytest.raises(ValueError, match="kernel"):
        skt.kde_cross_entropy(z, x, a, b, kernel="gaussian", engine="torch")
