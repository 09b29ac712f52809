"""symkde.torch under torch.func (grad, vjp, jvp, jacrev, jacfwd, vmap of grad), forward-mode
AD, and the three ways into the engine (eager autograd.Function, torch.func autograd.Function,
custom op) giving identical results.

References: eager ``loss.backward()`` through the same float64 engine, tested against the NumPy
API (and that against mpmath) in tests/test_torch.py; so results must be *equal*, except where
a sum is formed in another order (then within a few ulps, said where).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from symkde import torch as skt

F64 = torch.float64

# torch 2.13's forward-mode machinery (torch._decomp.decompositions_for_jvp, imported by the
# first torch.func.jvp) itself calls torch.jit.script, deprecated in the same release.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
)


def _args(batch=2, n=4, seed=3):
    """logits, positions, a, b, bandwidth: each its own float64 tensor of full shape."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(batch, n))
    x = rng.uniform(-0.5, 1.5, size=(batch, n))
    a = rng.uniform(-0.2, 0.2, size=batch)
    b = a + rng.uniform(0.5, 1.5, size=batch)
    h = rng.uniform(0.3, 0.6, size=batch)
    return [torch.tensor(v, dtype=F64) for v in (z, x, a, b, h)]


def _loss(z, x, a, b, h, reduction="sum"):
    return skt.kde_cross_entropy(z, x, a, b, bandwidth=h, reduction=reduction)


def _close(got, want):
    """Equal to 1e-13 relative (the contract allows 1e-12): the engine's loss row and its
    derivative row compute the same values by different passes."""
    torch.testing.assert_close(got, want, rtol=1e-13, atol=1e-15)


def _eager_grads(args, reduction="sum"):
    leaves = [t.clone().requires_grad_() for t in args]
    _loss(*leaves, reduction=reduction).backward()
    return [t.grad for t in leaves]


def test_func_grad_of_every_argument_equals_backward():
    args = _args()
    got = torch.func.grad(_loss, argnums=(0, 1, 2, 3, 4))(*args)
    for g, want in zip(got, _eager_grads(args), strict=True):
        assert torch.equal(g, want)
    # ... and the check can fail: another bandwidth gives other gradients.
    other = torch.func.grad(_loss, argnums=0)(*args[:4], args[4] * 1.1)
    assert not torch.equal(other, got[0])


def test_func_vjp_and_jacrev():
    args = _args()
    _, pullback = torch.func.vjp(lambda z: _loss(z, *args[1:], reduction="none"), args[0])
    weights = torch.tensor([2.0, -0.5], dtype=F64)
    (vjp_z,) = pullback(weights)
    leaves = [t.clone().requires_grad_() for t in args]
    _loss(*leaves, reduction="none").backward(weights)
    # Only z needs a gradient here, all five do in the eager call: the engine then takes the
    # loss and dL/dz from the loss row or from the derivative row (issue 14), which agree to
    # the contract's 1e-12, not bit for bit.
    _close(vjp_z, leaves[0].grad)
    jac = torch.func.jacrev(lambda z: _loss(z, *args[1:], reduction="none"))(args[0])
    assert jac.shape == (2, 2, 4)
    rows = _eager_grads(args)[0]
    for r in range(2):  # row r's loss depends on row r's logits only
        _close(jac[r, r], rows[r])
        assert torch.equal(jac[r, 1 - r], torch.zeros(4, dtype=F64))


def _tangents(seed=5):
    rng = np.random.default_rng(seed)
    return [torch.tensor(rng.normal(size=s), dtype=F64) for s in ((2, 4), (2, 4), 2, 2, 2)]


def _directional(grads, tangents):
    """sum over arguments of <dL/d arg, tangent>, per row, in the op's order (z, x, a, b, h)."""
    dz, dx, da, db, dh = grads
    tz, tx, ta, tb, th = tangents
    return (dz * tz).sum(-1) + (dx * tx).sum(-1) + da * ta + db * tb + dh * th


def test_func_jvp_of_every_argument_equals_the_directional_derivative():
    args, tangents = _args(), _tangents()
    value, tangent = torch.func.jvp(
        lambda *t: _loss(*t, reduction="none"), tuple(args), tuple(tangents)
    )
    _close(value, _loss(*args, reduction="none"))
    per_row = _eager_grads(args)  # reduction="sum": each row's gradient is its own
    _close(tangent, _directional(per_row, tangents))
    # ... and the check can fail: one tangent changed gives another directional derivative.
    changed = [tangents[0] * 2, *tangents[1:]]
    assert not torch.equal(tangent, _directional(per_row, changed))


def test_forward_mode_ad_and_jacfwd():
    import torch.autograd.forward_ad as fwAD

    args, tangents = _args(), _tangents()
    with fwAD.dual_level():
        dual_z = fwAD.make_dual(args[0], tangents[0])
        dual_h = fwAD.make_dual(args[4], tangents[4])
        out = fwAD.unpack_dual(_loss(dual_z, *args[1:4], dual_h, reduction="none"))
    grads = _eager_grads(args)
    zero = [torch.zeros_like(t) for t in tangents]
    expected = _directional(grads, [tangents[0], *zero[1:4], tangents[4]])
    torch.testing.assert_close(out.tangent, expected, rtol=0, atol=0)
    jac = torch.func.jacfwd(lambda z: _loss(z, *args[1:], reduction="none"))(args[0])
    for r in range(2):
        assert torch.equal(jac[r, r], grads[0][r])


def test_vmap_of_grad_gives_per_sample_gradients():
    args = _args(batch=3)
    per_sample = torch.func.vmap(torch.func.grad(_loss, argnums=(0, 4)))(*args)
    grads = _eager_grads(args)
    assert torch.equal(per_sample[0], grads[0])
    assert torch.equal(per_sample[1], grads[4])


def test_second_derivatives_raise_clearly():
    z, x, a, b, h = _args()
    with pytest.raises(RuntimeError, match="no second derivative"):
        torch.func.hessian(lambda t: _loss(t, x, a, b, h))(z)
    with pytest.raises(RuntimeError, match="no second derivative"):
        torch.func.jacfwd(torch.func.grad(lambda t: _loss(t, x, a, b, h)))(z)


def test_the_three_paths_into_the_engine_give_identical_results():
    """Eager autograd.Function, torch.func autograd.Function and the custom op (what
    torch.compile traces): the same forward, the same backward, so bit for bit equal."""
    args = _args()
    options = skt.checked_options("laplace", False, "auto", None)
    needs = (True,) * 5
    results = []
    for path in ("eager", "func", "op"):
        leaves = [t.clone().requires_grad_() for t in args]
        if path == "eager":  # one output: the loss (it keeps the derivatives to itself)
            loss = skt._EagerKDEFunction.apply(
                *leaves, options, "auto", needs, "none", torch.float64
            )
        elif path == "func":
            loss = skt._KDEFunction.apply(*leaves, options, "auto", needs)[0]
        else:
            loss = torch.ops.symkde.kde_cross_entropy(*leaves, *options, "auto", list(needs))[0]
        loss.backward(torch.tensor([1.5, -2.0], dtype=F64))
        results.append([loss.detach(), *(t.grad for t in leaves)])
    for other in results[1:]:
        for got, want in zip(other, results[0], strict=True):
            assert torch.equal(got, want)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_eager_reduction_and_cast_inside_equal_the_custom_op_path(reduction, dtype):
    """The eager Function casts and reduces inside itself; the custom op path does it outside
    with the same torch operations: equal values and gradients, bit for bit."""
    z, x, a, b, h = _args(batch=3)
    z = z.to(dtype)
    weight = torch.tensor(0.7, dtype=dtype) if reduction != "none" else torch.ones(3, dtype=dtype)
    eager_z, op_z = z.clone().requires_grad_(), z.clone().requires_grad_()
    eager_h, op_h = h.clone().requires_grad_(), h.clone().requires_grad_()
    eager = _loss(eager_z, x, a, b, eager_h, reduction=reduction)
    (eager * weight).sum().backward()
    options = skt.checked_options("laplace", False, "auto", None)
    outs = torch.ops.symkde.kde_cross_entropy(
        op_z.to(F64), x, a, b, op_h, *options, "auto", [True, False, False, False, True]
    )
    by_op = skt.reduce(outs[0].to(dtype), reduction)
    (by_op * weight).sum().backward()
    assert eager.dtype == dtype and torch.equal(eager, by_op)
    assert torch.equal(eager_z.grad, op_z.grad) and torch.equal(eager_h.grad, op_h.grad)


def test_forward_mode_ad_through_the_eager_reduction():
    import torch.autograd.forward_ad as fwAD

    args, tangents = _args(), _tangents()
    with fwAD.dual_level():
        dual_z = fwAD.make_dual(args[0], tangents[0])
        mean = fwAD.unpack_dual(_loss(dual_z, *args[1:], reduction="mean")).tangent
        rows = fwAD.unpack_dual(_loss(dual_z, *args[1:], reduction="none")).tangent
    assert torch.equal(mean, rows.mean())  # the same torch mean, inside the op


def test_module_rejects_a_bad_option_when_built():
    with pytest.raises(ValueError, match="kernel"):
        skt.KDECrossEntropy(kernel="epanechnikov")
    skt.KDECrossEntropy(kernel="gaussian")  # ... and accepts a good one
