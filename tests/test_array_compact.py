"""The array engine's compact kernels and circle against the compiled engine, every derivative.

Exact triangle on the line, exact wrapped laplace/boxcar/triangle on the circle, ``bins`` on
the circle for every kernel, and (new here) every derivative of the exact laplace and boxcar
on the line.  Reference: the compiled engine, ``symkde.loss_and_grad`` and
``symkde.derivatives`` (themselves held to the contract against mpmath at 50 digits by
``tests/test_derivatives*.py``); tolerance: the contract's ``1e-12 * max(|v|, s)`` with
``s = 1`` for the loss, ``1e-12`` absolute for ``dL/dz``, ``s = 1/h`` for ``x`` and ``h`` and
``s = (1 + |L|)/(b - a)`` for ``a`` and ``b``.  Namespaces: NumPy, torch (CPU) and
``array_api_strict`` (nothing NumPy-only); JAX under ``jit`` for two configurations.
"""

from __future__ import annotations

import array_api_strict
import numpy as np
import pytest
import torch

import symkde
from symkde.array import derivatives
from symkde.numeric._generated.log_kernel_derivatives import (
    LOG_KERNEL_DH,
    LOG_KERNEL_DU,
    WRAPPED_LOG_KERNEL_DH,
    WRAPPED_LOG_KERNEL_DU,
)
from symkde.numeric._generated.log_kernels import LOG_KERNELS, WRAPPED_LOG_KERNELS
from tests.helpers import argument_grid

NAMES = ("loss", "z", "x", "bandwidth", "a", "b")


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
        return np.asarray(value._array, dtype=np.float64)
    return value.astype(np.float64)


def _engine(ns, case, *, kernel, circular, method, bins, dtype=np.float64):
    z, x, a, b, bw = case
    ends = (np.atleast_1d(a), np.atleast_1d(b), np.atleast_1d(bw))
    args = [_to(ns, v, dtype) for v in (np.atleast_2d(z), np.atleast_2d(x), *ends)]
    out = derivatives(*args, kernel=kernel, circular=circular, method=method, bins=bins)
    return [_back(v)[0] for v in out]


_REFERENCES: dict = {}


def _compiled(case, **options):
    """The compiled engine's values, computed once per case (shared by the namespaces)."""
    key = (repr([np.asarray(v).tobytes() for v in case]), tuple(sorted(options.items())))
    if key not in _REFERENCES:
        z, x, a, b, bw = case
        # errstate: symkde.derivatives' triangle quadrature multiplies a zero responsibility
        # by an infinite d/dh log K at a support's end (a NumPy warning; the value is masked)
        with np.errstate(invalid="ignore"):
            d = symkde.derivatives(z, x, a, b, bandwidth=bw, **options)
        _REFERENCES[key] = [d.loss, d.z, d.x, d.bandwidth, d.a, d.b]
    return _REFERENCES[key]


def contract_errors(got, want, case):
    """Each entry's error in units of the contract's ``1e-12 * max(|v|, s)`` (<= 1 passes)."""
    _, _, a, b, bw = case
    loss = want[0]
    scales = (1.0, None, 1 / bw, 1 / bw, (1 + abs(loss)) / (b - a), (1 + abs(loss)) / (b - a))
    errors = {}
    for name, g, w, s in zip(NAMES, got, want, scales, strict=False):
        g, w = np.asarray(g, dtype=np.float64), np.asarray(w, dtype=np.float64)
        bound = 1e-12 if s is None else 1e-12 * np.maximum(np.abs(w), s)
        errors[name] = float(np.max(np.abs(g - w) / bound))
    return errors


def _check(ns, cases, **options):
    failures = []
    for name, case in cases:
        got = _engine(ns, case, **options)
        if name.endswith("-loss-z"):  # compiled loss and dL/dz only (see _line_cases)
            z, x, a, b, bw = case
            want = symkde.loss_and_grad(z, x, a, b, bandwidth=bw, **_public(options))
            errors = contract_errors(got[:2], want, case)
        else:
            errors = contract_errors(got, _compiled(case, **_public(options)), case)
        if max(errors.values()) > 1.0:
            failures.append(f"{name}: {errors}")
    assert not failures, "\n".join(failures)


def _public(options):
    return {k: options[k] for k in ("kernel", "circular", "method", "bins")}


def _line_cases(kernel):
    """Covering supports (grid), dense points plus points 1e4 bandwidths away, logits +-700,
    masks; for laplace the grid's far-field regimes."""
    rng = np.random.default_rng(17)
    for case in argument_grid(quick=True):
        if kernel in case.kernels and (kernel == "laplace" or case.id.startswith("compact")):
            yield case.id, (case.z, case.x, case.a, case.b, case.bandwidth)
    if kernel == "laplace":
        return
    for trial in range(4):
        bw = (0.3, 0.3, 1e3, 0.3)[trial]
        n = 10  # (the compiled triangle's quadrature of dL/dx takes ~50 s at n = 25, h = 0.12)
        x = np.linspace(-0.55, 1.55, n) + rng.uniform(-0.02, 0.02, n)
        z = rng.normal(0, 2, n)
        if trial == 1:
            z[::3] = rng.choice([-700.0, 700.0], len(z[::3]))
            z[1::4] = -np.inf
        if trial in (2, 3):  # plus points 1e4 bandwidths away, heavy logits
            x = np.concatenate([x, 1.5 + 1e4 * bw + rng.uniform(0, 0.3, 4)])
            z = np.concatenate([z, rng.normal(0, 2, 4) + 700.0])
        # logits +-700: the compiled engine's derivatives in x, h, a, b for compact kernels
        # are adaptive quadratures that do not finish there in minutes (measured: triangle
        # n = 10 with +-700 and masks); the loss and dL/dz are its exact closed forms
        last = "-loss-z" if trial == 1 else ""
        yield f"{kernel}-dense-{trial}{last}", (z, x, -0.5, 1.5, bw)


def _circle_cases(kernel):
    """Arcs 0.5, 2, 2 pi; angles of many turns (and 1e4 rad); narrow to wide bandwidths."""
    rng = np.random.default_rng(170)
    for trial in range(9):
        n = 8
        bw = (0.6, 2.0, 4.0, 7.0, 20.0, 1e-3, 1.3, 3.3, 0.9)[trial]
        if kernel == "laplace":
            bw = (0.05, 0.3, 1.0, 4.0, 1e3, 1e-3, 1.3, 3.3, 0.9)[trial]
        z, x = rng.normal(0, 2, n), rng.uniform(-40, 40, n)
        a = rng.uniform(-5, 5)
        arc = (0.5, 2.0, 2 * np.pi)[trial % 3]
        if trial == 5:  # compact: dense enough to cover at h = 1e-3 is too many points
            bw = 1e-3 if kernel == "laplace" else 0.5
        if kernel != "laplace":  # spread over the arc (covering it), shuffled turns
            spread = np.linspace(-0.5 * bw, arc + 0.5 * bw, n) + rng.uniform(-0.01, 0.01, n)
            x = a + spread + 2 * np.pi * rng.integers(-6, 7, n)
        if trial == 5:
            x = x + 1e4 * 2 * np.pi
        if trial == 6:
            z[:3] = -np.inf
        if trial == 7:
            z = rng.choice([-700.0, 700.0], n) + rng.normal(0, 1, n)
        yield f"{kernel}-circle-{trial}-h{bw:g}-arc{arc:.2f}", (z, x, a, a + arc, bw)


@pytest.mark.parametrize("ns", ["numpy", "torch", "strict"])
@pytest.mark.parametrize("kernel", ["laplace", "boxcar", "triangle"])
def test_exact_line_every_derivative_matches_the_compiled_engine(kernel, ns):
    cases = list(_line_cases(kernel))
    if ns == "strict":
        cases = cases[::3]
    options = {"kernel": kernel, "circular": False, "method": "exact", "bins": None}
    _check(ns, cases, **options)


@pytest.mark.parametrize("ns", ["numpy", "torch", "strict"])
@pytest.mark.parametrize("kernel", ["laplace", "boxcar", "triangle"])
def test_exact_circle_every_derivative_matches_the_compiled_engine(kernel, ns):
    cases = list(_circle_cases(kernel))
    if ns == "strict":
        cases = cases[::3]
    options = {"kernel": kernel, "circular": True, "method": "exact", "bins": None}
    _check(ns, cases, **options)


def _bins_cases(kernel):
    rng = np.random.default_rng(171)
    bandwidths = (0.3, 1.0, 1.9, 2.1, 5.0, 0.05, 12.0)
    for trial, bw in enumerate(bandwidths):
        if kernel in ("boxcar", "triangle"):
            bw = max(bw, 1.5)
        z, x = rng.normal(0, 2, 7), rng.uniform(-40, 40, 7)
        a = rng.uniform(-5, 5)
        arc = (0.5, 2.0, 2 * np.pi)[trial % 3]
        if trial == 3:
            z[:3] = -np.inf
        if trial == 6:
            z = rng.choice([-700.0, 700.0], 7) + rng.normal(0, 1, 7)
        yield f"{kernel}-bins-{trial}-h{bw:g}", (z, x, a, a + arc, bw), (37, 64, 5, 100)[trial % 4]


@pytest.mark.parametrize("ns", ["numpy", "torch"])
@pytest.mark.parametrize(
    "kernel", ["laplace", "gaussian", "cauchy", "boxcar", "triangle", "vonmises"]
)
def test_circle_bins_every_derivative_matches_the_compiled_engine(kernel, ns):
    for name, case, bins in _bins_cases(kernel):
        options = {"kernel": kernel, "circular": True, "method": "bins", "bins": bins}
        _check(ns, [(name, case)], **options)


@pytest.mark.parametrize("kernel", ["laplace", "gaussian", "cauchy", "boxcar", "triangle"])
def test_circle_bins_under_array_api_strict(kernel):
    for name, case, bins in list(_bins_cases(kernel))[::3]:
        options = {"kernel": kernel, "circular": True, "method": "bins", "bins": bins}
        _check("strict", [(name, case)], **options)


def test_vonmises_bins_without_bessel_functions_is_a_named_value_error():
    case = (np.zeros(2), np.array([0.1, 0.2]), 0.0, 1.0, 0.5)
    with pytest.raises(ValueError, match="kernel"):
        _engine("strict", case, kernel="vonmises", circular=True, method="bins", bins=8)


def test_the_contract_check_rejects_a_wrong_derivative():
    # the wrapped triangle's dL/dh with the floor's slope dropped (2 j' -> 0): a plausible bug
    name, case = next(c for c in _circle_cases("triangle") if "h7" in c[0])
    options = {"kernel": "triangle", "circular": True, "method": "exact", "bins": None}
    got = _engine("numpy", case, **options)
    want = _compiled(case, **options)
    assert max(contract_errors(got, want, case).values()) <= 1.0, name
    import symkde.array.circle_compact as module
    from symkde.array import triangle

    def no_floor_slope(xp, lw, items, width, h, log_norm, floor_slope, floor_items=None):
        return triangle.finish_triangle(xp, lw, items, width, h, log_norm, 0 * h, floor_items)

    original = module.finish_triangle
    module.finish_triangle = no_floor_slope
    try:
        wrong = _engine("numpy", case, **options)
    finally:
        module.finish_triangle = original
    assert contract_errors(wrong, want, case)["bandwidth"] > 1.0


def test_uncovered_rows_give_an_infinite_loss():
    far = (np.zeros(2), np.array([0.0, 5.0]), 0.0, 1.0, 0.3)
    assert (
        _engine("torch", far, kernel="triangle", circular=False, method="exact", bins=None)[0]
        == np.inf
    )
    arc = (np.zeros(2), np.array([0.0, 3.0]), 0.0, 2.0, 0.3)
    for kernel in ("boxcar", "triangle"):
        out = _engine("torch", arc, kernel=kernel, circular=True, method="exact", bins=None)
        assert out[0] == np.inf, kernel


def _images(kernel, r, h, turns=40):
    """``log sum_k K(r + 2 pi k)`` and its derivatives from the SymPy-printed line kernels."""
    v = r[None, :] + 2 * np.pi * np.arange(-turns, turns + 1)[:, None]
    with np.errstate(all="ignore"):
        log_k = np.broadcast_to(LOG_KERNELS[kernel](v, h), v.shape)
        top = np.max(log_k, axis=0)
        top = np.where(np.isinf(top), 0.0, top)  # a compact kernel reaching no image
        weights = np.exp(log_k - top)
        total = weights.sum(axis=0)
        du = np.where(weights > 0, weights * LOG_KERNEL_DU[kernel](v, h), 0).sum(0) / total
        dh = np.where(weights > 0, weights * LOG_KERNEL_DH[kernel](v, h), 0).sum(0) / total
        return top + np.log(total), du, dh


@pytest.mark.parametrize(
    "kernel", ["laplace", "gaussian", "cauchy", "boxcar", "triangle", "vonmises"]
)
def test_wrapped_kernels_are_the_generated_ones(kernel):
    from symkde.array.bins_circle import wrapped_log_kernel

    r = np.linspace(-np.pi, np.pi, 41)[1:-1] + 1e-3  # off the triangle's kinks
    for h in (0.3, 1.0, 1.99, 2.01, 3.7, 9.0):
        with np.errstate(all="ignore"):  # log 0 masked by where, as in the engine
            got = wrapped_log_kernel(np, kernel, r, np.full_like(r, h))
        if kernel in WRAPPED_LOG_KERNELS:
            with np.errstate(all="ignore"):
                want = (WRAPPED_LOG_KERNELS[kernel](r, h),)
                if kernel in WRAPPED_LOG_KERNEL_DU:
                    want += (
                        WRAPPED_LOG_KERNEL_DU[kernel](r, h),
                        WRAPPED_LOG_KERNEL_DH[kernel](r, h),
                    )
                else:  # von Mises is periodic already
                    want += (LOG_KERNEL_DU[kernel](r, h), LOG_KERNEL_DH[kernel](r, h))
        else:
            want = _images(kernel, r, h)
        covered = np.isfinite(np.broadcast_to(want[0], r.shape))
        assert np.array_equal(np.isfinite(got[0]), covered), (kernel, h)
        for what, g, w in zip(("log K", "d/du", "d/dh"), got, want, strict=True):
            g, w = np.broadcast_to(g, r.shape)[covered], np.broadcast_to(w, r.shape)[covered]
            # both in float64 from different formulas: a few ulps of the largest term
            assert np.max(np.abs(g - w)) <= 1e-13 * max(1.0, np.max(np.abs(w))), (kernel, h, what)


@pytest.mark.parametrize(
    ("kernel", "circular", "method"),
    [("triangle", False, "exact"), ("boxcar", True, "exact"), ("triangle", True, "bins")],
)
def test_float32_tensors_meet_the_stated_bound(kernel, circular, method):
    # float32 inputs are computed in float64 and rounded once: loss within 1e-6 relative and
    # every gradient entry within 1e-6 of the float64 result on the same inputs; finite
    cases = _circle_cases(kernel) if circular else _line_cases(kernel)
    bins = 48 if method == "bins" else None
    options = {"kernel": kernel, "circular": circular, "method": method, "bins": bins}
    for name, case in list(cases)[::2]:
        case32 = tuple(np.float32(v) for v in case)
        out = _engine("torch", case32, dtype=np.float32, **options)
        ref = _engine("numpy", case32, **options)
        assert all(np.all(np.isfinite(v)) for v in out), name
        assert abs(out[0] - ref[0]) <= 1e-6 * max(1.0, abs(ref[0])), name
        assert np.max(np.abs(out[1] - ref[1])) <= 1e-6, name


def test_jax_arrays():
    # one small wrapped-boxcar row, eager: op-by-op JAX costs ~9 s here on the shared 2-core
    # machine (the triangle, 6 points: ~33 s, measured equal to the compiled loss to 1 ulp;
    # jit-compiling the unrolled range trees took minutes), so the suite keeps one
    jax = pytest.importorskip("jax")  # installed here; the skip only guards other builds
    jnp = jax.numpy
    options = {"kernel": "boxcar", "circular": True, "method": "exact", "bins": None}
    rng = np.random.default_rng(3)
    case = (rng.normal(size=6), np.linspace(-0.55, 1.55, 6), -0.5, 1.5, 0.5)
    rows = [np.atleast_2d(case[0]), np.atleast_2d(case[1])]
    rows += [np.atleast_1d(np.float64(v)) for v in case[2:]]
    with jax.enable_x64(True):
        out = derivatives(*(jnp.asarray(v) for v in rows), **options)
        assert out[0].dtype == jnp.float64
        got = [np.asarray(v)[0] for v in out]
    errors = contract_errors(got, _compiled(case, **options), case)
    assert max(errors.values()) <= 1.0, errors


@pytest.mark.parametrize(
    ("kernel", "circular", "method", "bins"),
    [
        ("triangle", False, "exact", None),
        ("triangle", True, "exact", None),
        ("boxcar", True, "exact", None),
        ("vonmises", True, "bins", 16),
        ("gaussian", True, "bins", 16),
    ],
)
def test_symkde_torch_routes_what_the_array_engine_computes(kernel, circular, method, bins):
    # engine="auto" sends CUDA tensors to the array engine exactly when this says so
    import symkde.array as engine
    import symkde.torch as skt
    from symkde._frameworks import Options

    assert skt._array_engine_handles(engine, Options(kernel, circular, method, bins))
    _name, case = next(iter(_circle_cases(kernel) if circular else _line_cases(kernel)))
    z, x, a, b, bw = (torch.tensor(np.asarray(v, dtype=np.float64)) for v in case)
    options = {"kernel": kernel, "circular": circular, "method": method, "bins": bins}
    losses = [
        skt.kde_cross_entropy(z, x, a, b, bandwidth=bw, engine=e, **options)
        for e in ("torch", "compiled")
    ]
    assert abs(float(losses[0]) - float(losses[1])) <= 1e-12 * max(1.0, abs(float(losses[1])))


@pytest.mark.parametrize(("kernel", "circular"), [("triangle", False), ("triangle", True)])
def test_native_float32_is_finite(kernel, circular, monkeypatch):
    # where float64 is missing (MPS, JAX without x64) the same code runs in float32: finite,
    # far field included (measured: triangle line loss 1.3e-7, dL/dz 1.8e-5 of float64;
    # circle 2.5e-4 / 3.1e-4); this caught dL/dh = 0 * inf = NaN before it was masked
    import symkde.array as engine

    monkeypatch.setattr(engine, "_work_dtype", lambda xp, dtype: dtype)
    options = {"kernel": kernel, "circular": circular, "method": "exact", "bins": None}
    for name, case in _circle_cases(kernel) if circular else _line_cases(kernel):
        case32 = tuple(np.float32(v) for v in case)
        args = [np.atleast_2d(case32[0]), np.atleast_2d(case32[1])]
        args += [np.atleast_1d(v) for v in case32[2:]]
        with np.errstate(all="ignore"):
            out = derivatives(*args, **options)
        assert all(v.dtype == np.float32 for v in out), name
        assert all(bool(np.all(np.isfinite(v))) for v in out), name
