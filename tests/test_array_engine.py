"""The array engine (symkde.array) against the compiled engine: NumPy, torch, array_api_strict.

References: ``symkde.loss_and_grad`` (the compiled/NumPy engine, itself tested against mpmath
at 50 digits to 1e-12) for the loss and ``dL/dz``; five-point central differences of
``symkde.loss`` for ``dL/dx``, ``dL/dh``, ``dL/da``, ``dL/db`` (accurate to ~1e-9 relative at
the steps used, so those entries are checked to 1e-7 of their scale: this checks the
formulas, the 1e-12 precision of the shared responsibility integrals is checked through
``dL/dz``), plus the exact translation identity ``sum_j dL/dx_j + dL/da + dL/db = 0``.
"""

from __future__ import annotations

import array_api_compat
import array_api_strict
import numpy as np
import pytest
import sympy as sp
import torch

import symkde
from symkde.array import derivatives
from symkde.array.bins import BIN_KERNELS, log_kernel_scaled
from symkde.symbolic.kernels import KERNELS, h, u
from tests.helpers import GRAD_ATOL, LOSS_RTOL, argument_grid

NAMESPACES = ("numpy", "torch", "strict")


def _to(ns, value, dtype=np.float64):
    value = np.asarray(value, dtype=dtype)
    if ns == "torch":
        return torch.from_numpy(value)
    if ns == "strict":
        return array_api_strict.asarray(value)
    return value


def _back(value):
    if isinstance(value, torch.Tensor):
        return value.double().numpy()
    if not isinstance(value, np.ndarray):
        return np.asarray(value._array, dtype=np.float64)  # array_api_strict
    return value.astype(np.float64)


def _call(ns, z, x, a, b, bw, *, kernel="laplace", method="exact", bins=None, dtype=np.float64):
    z, x = np.atleast_2d(z), np.atleast_2d(x)
    args = [
        _to(ns, v, dtype) for v in (z, x, np.atleast_1d(a), np.atleast_1d(b), np.atleast_1d(bw))
    ]
    out = derivatives(*args, kernel=kernel, circular=False, method=method, bins=bins)
    return out


def _far_cases(rng):
    """Points 1e4 bandwidths away (one side, both sides), logits +-700 and masks."""
    for bw in (1e-3, 1.0, 7.0):
        n = 9
        z = rng.normal(0, 2, n)
        yield "far-one-side-1e4", z, 1.5 + 1e4 * bw + rng.uniform(0, 3 * bw, n), bw
        side = rng.choice([-1.0, 1.0], n)
        far = np.where(side > 0, 1.5 + 1e4 * bw, -0.5 - 1e4 * bw) + side * rng.uniform(0, 3 * bw, n)
        yield "far-both-sides-1e4", z, far, bw
        z700 = rng.choice([-700.0, 0.0, 700.0], n) + rng.normal(0, 1, n)
        yield "logits-700", z700, rng.uniform(-3, 4, n), bw
        masked = z.copy()
        masked[:4] = -np.inf
        yield "masked", masked, rng.uniform(-1, 2, n), bw


def _laplace_cases():
    rng = np.random.default_rng(20261206)
    for case in argument_grid(quick=True):
        yield case.id, case.z, case.x, case.a, case.b, case.bandwidth
    for regime, z, x, bw in _far_cases(rng):
        yield f"{regime}-h{bw:g}", z, x, -0.5, 1.5, bw


LAPLACE_CASES = list(_laplace_cases())


@pytest.mark.parametrize("ns", ["numpy", "torch"])
def test_exact_laplace_matches_compiled_engine_to_contract(ns):
    # contract: loss 1e-12 * max(1, |L|), each gradient entry 1e-12 (measured worst ~7e-13,
    # at 1e4 bandwidths, where u = (x - a)/h carries 1e4 ulps of rounding)
    failures = []
    for name, z, x, a, b, bw in LAPLACE_CASES:
        ref_loss, ref_grad = symkde.loss_and_grad(z, x, a, b, kernel="laplace", bandwidth=bw)
        out = _call(ns, z, x, a, b, bw)
        loss, dz = _back(out[0])[0], _back(out[1])[0]
        err_loss = abs(loss - ref_loss) / max(1.0, abs(ref_loss))
        err_grad = float(np.max(np.abs(dz - ref_grad)))
        if not (err_loss <= LOSS_RTOL and err_grad <= GRAD_ATOL):
            failures.append(f"{name}: loss {err_loss:.2e} grad {err_grad:.2e}")
    assert not failures, "\n".join(failures)


def _boxcar_cases():
    """Supports that cover [a, b] with edges inside it: dense, masked, logits +-700, far."""
    rng = np.random.default_rng(8)
    for case in argument_grid(quick=True):
        if "boxcar" in case.kernels:
            yield case.id, case.z, case.x, case.a, case.b, case.bandwidth
    for trial in range(4):
        n = 25
        x = np.linspace(-0.55, 1.55, n) + rng.uniform(-0.02, 0.02, n)
        z = rng.normal(0, 2, n)
        if trial == 1:
            z[::3] = -700.0
        if trial == 2:
            z[::4] = -np.inf
        if trial == 3:  # plus points 1e4 bandwidths away
            x = np.concatenate([x, 1.5 + 1e4 * 0.12 + rng.uniform(0, 0.3, 4)])
            z = np.concatenate([z, rng.normal(0, 2, 4) + 700.0])
        yield f"boxcar-dense-{trial}", z, x, -0.5, 1.5, 0.12


@pytest.mark.parametrize("ns", NAMESPACES)
def test_exact_boxcar_matches_compiled_engine_to_contract(ns):
    for name, z, x, a, b, bw in _boxcar_cases():
        ref_loss, ref_grad = symkde.loss_and_grad(z, x, a, b, kernel="boxcar", bandwidth=bw)
        out = _call(ns, z, x, a, b, bw, kernel="boxcar")
        assert abs(_back(out[0])[0] - ref_loss) <= LOSS_RTOL * max(1.0, abs(ref_loss)), name
        assert np.max(np.abs(_back(out[1])[0] - ref_grad)) <= GRAD_ATOL, name


def _circle_cases():
    """Arcs of every length (crossing +-pi, the full circle), angles of many turns, h 1e-3..1e3."""
    rng = np.random.default_rng(9)
    for trial in range(12):
        n, bw = 7, (1e-3, 0.3, 1.0, 1e3)[trial % 4]
        z, x = rng.normal(0, 2, n), rng.uniform(-40, 40, n)
        a = rng.uniform(-5, 5)
        arc = (0.5, 2.0, 2 * np.pi)[trial // 4]
        if trial == 5:
            z[:3] = -np.inf
        if trial == 6:
            z = rng.choice([-700.0, 700.0], n) + rng.normal(0, 1, n)
        yield f"circle-{trial}-h{bw:g}-arc{arc:.2f}", z, x, a, a + arc, bw


CIRCLE_CASES = list(_circle_cases())


def _call_circle(ns, z, x, a, b, bw):
    ends = (np.atleast_1d(a), np.atleast_1d(b), np.atleast_1d(bw))
    args = [_to(ns, v) for v in (np.atleast_2d(z), np.atleast_2d(x), *ends)]
    return derivatives(*args, kernel="laplace", circular=True, method="exact", bins=None)


@pytest.mark.parametrize("ns", NAMESPACES)
def test_exact_wrapped_laplace_matches_compiled_engine_to_contract(ns):
    # measured worst 1.3e-15 (loss relative and gradient absolute)
    for name, z, x, a, b, bw in CIRCLE_CASES:
        ref_loss, ref_grad = symkde.loss_and_grad(
            z, x, a, b, kernel="laplace", bandwidth=bw, circular=True
        )
        out = _call_circle(ns, z, x, a, b, bw)
        assert abs(_back(out[0])[0] - ref_loss) <= LOSS_RTOL * max(1.0, abs(ref_loss)), name
        assert np.max(np.abs(_back(out[1])[0] - ref_grad)) <= GRAD_ATOL, name


def _circle_against_differences(name, z, x, a, b, bw):
    _, _, dx, dh, da, db = (_back(v)[0] for v in _call_circle("numpy", z, x, a, b, bw))

    def loss(x=x, a=a, b=b, bw=bw):
        return symkde.loss(z, x, a, b, kernel="laplace", bandwidth=bw, circular=True)

    step = 1e-4 * min(1.0, bw)
    unit = np.eye(len(x))
    want_x = np.array(
        [_five_point(lambda e, j=j: loss(x=x + e * unit[j]), step) for j in range(len(x))]
    )
    want_h = _five_point(lambda e: loss(bw=bw + e), step)
    assert np.max(np.abs(dx - want_x)) <= 1e-7 * max(1 / bw, np.max(np.abs(want_x))), name
    assert abs(dh - want_h) <= 1e-7 * max(1 / bw, abs(want_h)), name
    if b - a < 6:  # an arc shorter than the circle: its ends move freely
        want_a = _five_point(lambda e: loss(a=a + e), step)
        want_b = _five_point(lambda e: loss(b=b + e), step)
        assert abs(da - want_a) <= 1e-7 * max(1.0, abs(want_a)), name
        assert abs(db - want_b) <= 1e-7 * max(1.0, abs(want_b)), name


def test_wrapped_laplace_derivatives_match_finite_differences():
    for case in CIRCLE_CASES[1:12:3]:
        _circle_against_differences(*case)


def test_boxcar_uncovered_target_gives_an_infinite_loss():
    out = _call("numpy", [0.0, 0.0], [0.0, 5.0], 0.0, 1.0, 0.3, kernel="boxcar")
    assert _back(out[0])[0] == np.inf


def test_array_api_strict_runs_the_exact_path_without_numpy_only_calls():
    for name, z, x, a, b, bw in LAPLACE_CASES[::4]:
        ref_loss, ref_grad = symkde.loss_and_grad(z, x, a, b, kernel="laplace", bandwidth=bw)
        out = _call("strict", z, x, a, b, bw)
        spaces = {array_api_compat.array_namespace(v) for v in out}
        assert spaces == {array_api_strict}, name
        assert abs(_back(out[0])[0] - ref_loss) <= LOSS_RTOL * max(1.0, abs(ref_loss)), name
        assert np.max(np.abs(_back(out[1])[0] - ref_grad)) <= GRAD_ATOL, name


def test_rows_of_a_batch_are_the_single_problems():
    rng = np.random.default_rng(5)
    rows, n = 6, 11
    z, x = rng.normal(0, 2, (rows, n)), rng.uniform(-2, 3, (rows, n))
    z[2, :5] = -np.inf
    a, b, bw = rng.uniform(-1, 0, rows), rng.uniform(1, 2, rows), rng.uniform(0.1, 2, rows)
    batch = [_back(v) for v in _call("torch", z, x, a, b, bw)]
    for r in range(rows):
        single = [_back(v) for v in _call("torch", z[r], x[r], a[r], b[r], bw[r])]
        for got, want in zip(batch, single, strict=True):
            np.testing.assert_array_equal(got[r], want[0])


def _five_point(f, step):
    return (f(-2 * step) - 8 * f(-step) + 8 * f(step) - f(2 * step)) / (12 * step)


@pytest.mark.parametrize(
    ("kernel", "method", "bins"),
    [("laplace", "exact", None), ("boxcar", "exact", None)]
    + [(k, "bins", 23) for k in sorted(BIN_KERNELS)],
)
def test_derivatives_in_every_argument_match_finite_differences(kernel, method, bins):
    rng = np.random.default_rng(11)
    n, a, b = 6, -0.5, 1.5
    z, x = rng.normal(0, 1, n), rng.uniform(-1.0, 2.0, n)
    bw = 3.0 if kernel in ("boxcar", "triangle") else 0.7
    if method == "exact" and kernel == "boxcar":  # edges inside the target, supports cover it
        n, bw = 12, 0.12
        z, x = rng.normal(0, 2, n), rng.permutation(np.linspace(-0.55, 1.55, n))
    kw = {"kernel": kernel, "method": method, "bins": bins}

    def loss(z=z, x=x, a=a, b=b, bw=bw):
        return symkde.loss(z, x, a, b, kernel=kernel, bandwidth=bw, method=method, bins=bins)

    out = [_back(v)[0] for v in _call("numpy", z, x, a, b, bw, **kw)]
    _, _, dx, dh, da, db = out
    step = 1e-4
    want_x = [
        _five_point(lambda e, j=j: loss(x=x + e * (np.arange(n) == j)), step) for j in range(n)
    ]
    want = {
        "dx": (dx, np.array(want_x), 1 / bw),
        "dh": (dh, _five_point(lambda e: loss(bw=bw + e), step), 1 / bw),
        "da": (da, _five_point(lambda e: loss(a=a + e), step), 1 / (b - a)),
        "db": (db, _five_point(lambda e: loss(b=b + e), step), 1 / (b - a)),
    }
    for what, (got, ref, scale) in want.items():
        # five-point differences of a loss computed to ~1e-16: error ~1e-12/1e-4 + step^4
        assert np.max(np.abs(got - ref)) <= 1e-7 * max(scale, np.max(np.abs(ref))), what
    # translation identity, exact up to rounding of the terms
    assert abs(dx.sum() + da + db) <= 1e-12 * (1 / bw + np.abs(dx).sum())


def test_translation_identity_in_the_far_field():
    for _name, z, x, a, b, bw in LAPLACE_CASES:
        loss, _, dx, _, da, db = (_back(v)[0] for v in _call("numpy", z, x, a, b, bw))
        # contract scales: 1/h for x, (1 + |L|)/(b - a) for a and b (far away L ~ 1e4 and
        # da, db are differences of two such numbers)
        scale = max(np.abs(dx).sum(), 1 / bw, (1 + abs(loss)) / (b - a))
        assert abs(dx.sum() + da + db) <= 1e-12 * scale, _name


def test_finite_differences_would_catch_a_wrong_derivative():
    # the same check as above, fed dL/dh with the scaling identity's sign flipped
    rng = np.random.default_rng(11)
    z, x = rng.normal(0, 1, 6), rng.uniform(-1.0, 2.0, 6)
    _, _, dx, dh, _, db = (_back(v)[0] for v in _call("numpy", z, x, -0.5, 1.5, 0.7))
    wrong = (1.0 - 2.0 * db) / 0.7 + np.sum((x + 0.5) / 0.7 * dx)
    ref = _five_point(lambda e: symkde.loss(z, x, -0.5, 1.5, bandwidth=0.7 + e), 1e-4)
    assert abs(dh - ref) <= 1e-7 * max(1 / 0.7, abs(ref))
    assert abs(wrong - ref) > 1e-7 * max(1 / 0.7, abs(ref))


@pytest.mark.parametrize("kernel", sorted(BIN_KERNELS))
@pytest.mark.parametrize("ns", NAMESPACES)
def test_bins_match_the_compiled_binned_loss(kernel, ns):
    # contract: bins matches the exact midpoint sum to 1e-12 (measured ~3e-16)
    rng = np.random.default_rng(3)
    for bw, n, bins in ((0.05, 7, 37), (1.0, 12, 64), (3.0, 3, 5)):
        bw = max(bw, 3.0) if kernel in ("boxcar", "triangle") else bw
        z, x = rng.normal(0, 2, n), rng.uniform(-1, 2, n)
        if n > 3:
            z[1] = -np.inf
        ref_loss, ref_grad = symkde.loss_and_grad(
            z, x, -0.5, 1.5, kernel=kernel, bandwidth=bw, method="bins", bins=bins
        )
        out = _call(ns, z, x, -0.5, 1.5, bw, kernel=kernel, method="bins", bins=bins)
        assert abs(_back(out[0])[0] - ref_loss) <= LOSS_RTOL * max(1.0, abs(ref_loss))
        assert np.max(np.abs(_back(out[1])[0] - ref_grad)) <= GRAD_ATOL


def test_bins_are_blocked_and_agree_across_block_sizes(monkeypatch):
    from symkde.array import bins as bins_module

    rng = np.random.default_rng(4)
    z, x = rng.normal(0, 1, (3, 5)), rng.uniform(-1, 2, (3, 5))
    args = (z, x, np.full(3, -0.5), np.full(3, 1.5), np.full(3, 0.3))
    whole = [_back(v) for v in _call("numpy", *args, kernel="gaussian", method="bins", bins=50)]
    monkeypatch.setattr(bins_module, "_BLOCK_ELEMENTS", 7 * 15)  # blocks of 7 nodes
    blocked = [_back(v) for v in _call("numpy", *args, kernel="gaussian", method="bins", bins=50)]
    for got, want in zip(blocked, whole, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("kernel", sorted(BIN_KERNELS))
def test_bin_kernels_are_the_symbolic_kernels(kernel):
    # phi(r) = log K_1(r) and phi'(r) = d/du log K_1(u) at r, from symkde.symbolic.kernels
    density = KERNELS[kernel].density.subs(h, 1)
    if isinstance(density, sp.Piecewise):  # compact: the branch on the support |u| < 1
        density = density.args[0].expr
    log_k = sp.lambdify(u, sp.log(density), "mpmath")
    slope = sp.lambdify(u, sp.diff(sp.log(density), u), "mpmath")
    r = np.array([-2.5, -0.7, -0.1, 0.3, 0.9, 1.7])
    if kernel in ("boxcar", "triangle"):
        r = r[np.abs(r) < 1]
    phi, dphi = log_kernel_scaled(np, kernel, r)
    for ri, p, q in zip(r, phi, dphi, strict=True):
        assert abs(p - float(log_k(ri))) <= 4e-16 * max(1, abs(p)), (kernel, ri)
        assert abs(q - float(slope(ri))) <= 4e-16 * max(1, abs(q)), (kernel, ri)


@pytest.mark.parametrize("method", ["exact", "bins"])
def test_float32_tensors_keep_their_dtype_and_meet_the_stated_bound(method):
    # float32 is computed in float64 and rounded once: loss within 1e-6 relative and every
    # gradient entry within 1e-6 of the float64 result on the same (float32) inputs
    # (measured: ~6e-8, one float32 rounding); never NaN/inf, far field included
    bins = 64 if method == "bins" else None
    for name, z, x, a, b, bw in LAPLACE_CASES:
        z32, x32 = np.float32(z), np.float32(x)
        bw32, a32, b32 = np.float32(bw), np.float32(a), np.float32(b)
        out = _call("torch", z32, x32, a32, b32, bw32, method=method, bins=bins, dtype=np.float32)
        assert all(v.dtype == torch.float32 for v in out), name
        assert all(bool(torch.isfinite(v).all()) for v in out), name
        ref = [
            _back(v)[0] for v in _call("numpy", z32, x32, a32, b32, bw32, method=method, bins=bins)
        ]
        loss, dz = _back(out[0])[0], _back(out[1])[0]
        assert abs(loss - ref[0]) <= 1e-6 * max(1.0, abs(ref[0])), name
        assert np.max(np.abs(dz - ref[1])) <= 1e-6, name


def test_masked_points_get_zero_derivatives():
    z = np.array([0.3, -np.inf, 1.0, -np.inf])
    x = np.array([0.1, 0.5, 0.9, 40.0])
    out = [_back(v)[0] for v in _call("torch", z, x, 0.0, 1.0, 0.2)]
    assert out[1][1] == 0.0 and out[1][3] == 0.0
    assert out[2][1] == 0.0 and out[2][3] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"kernel": "gaussian", "method": "exact"}, "kernel"),
        ({"kernel": "laplace", "method": "quadrature"}, "method"),
        ({"kernel": "vonmises", "method": "bins", "bins": 8}, "kernel"),
        ({"kernel": "laplace", "method": "bins", "bins": 0}, "bins"),
        ({"kernel": "cauchy", "method": "exact", "circular": True}, "kernel"),
        ({"kernel": "laplace", "method": "bins", "bins": 0, "circular": True}, "bins"),
    ],
)
def test_what_the_engine_does_not_compute_is_a_named_value_error(kwargs, argument):
    params = {"bins": None, "circular": False, **kwargs}
    one = np.zeros((1, 1))
    with pytest.raises(ValueError, match=argument):
        derivatives(one, one, np.zeros(1) - 1, np.ones(1), np.ones(1), **params)


@pytest.mark.parametrize(
    ("kernel", "circular", "method", "bins"),
    [("laplace", False, "exact", None), ("gaussian", False, "bins", 32)],
)
def test_jax_arrays_under_jit_with_x64(kernel, circular, method, bins):
    # (boxcar and the circle also pass under jit: measured 1.2e-16 and 5e-16; each jit
    # compile costs seconds, so the suite keeps two)
    jax = pytest.importorskip("jax")  # installed here; the skip only guards other builds
    jnp = jax.numpy
    rng = np.random.default_rng(1)
    z, x = rng.normal(size=(3, 9)), rng.uniform(-1, 2, (3, 9))
    a, b = np.full(3, -0.5), np.full(3, 1.5)
    bw = np.full(3, 3.0) if kernel == "boxcar" else np.array([0.05, 0.3, 1.0])
    options = {"kernel": kernel, "circular": circular, "method": method, "bins": bins}
    with jax.enable_x64(True):
        run = jax.jit(lambda *v: derivatives(*v, **options))
        out = run(*(jnp.asarray(v) for v in (z, x, a, b, bw)))
        assert out[0].dtype == jnp.float64
        for r in range(3):
            loss, grad = symkde.loss_and_grad(
                z[r], x[r], a[r], b[r], bandwidth=bw[r], **{k: options[k] for k in options}
            )
            assert abs(float(out[0][r]) - loss) <= LOSS_RTOL * max(1.0, abs(loss))
            assert np.max(np.abs(np.asarray(out[1][r]) - grad)) <= GRAD_ATOL


def test_jax_without_x64_computes_in_float32_quietly():
    jax = pytest.importorskip("jax")
    import symkde.array as engine

    assert engine._work_dtype(jax.numpy, jax.numpy.float32) == jax.numpy.float32
    with jax.enable_x64(True):
        assert engine._work_dtype(jax.numpy, jax.numpy.float32) == jax.numpy.float64


def test_native_float32_arithmetic_is_finite_in_the_far_field(monkeypatch):
    # where float64 is missing (MPS, JAX without x64) the same code runs in float32
    import symkde.array as engine

    monkeypatch.setattr(engine, "_work_dtype", lambda xp, dtype: dtype)
    for name, z, x, a, b, bw in LAPLACE_CASES:
        out = _call("numpy", z, x, a, b, bw, dtype=np.float32)
        assert all(v.dtype == np.float32 for v in out), name
        assert all(bool(np.all(np.isfinite(v))) for v in out), name
