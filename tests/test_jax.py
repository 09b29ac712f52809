"""symkde.jax: custom_vjp over the CPU engine under jit, grad and vmap, float32 and x64.

References: the float64 NumPy API, whose accuracy against mpmath is tested elsewhere.  JAX
runs in float32 here unless a test enters ``jax.enable_x64(True)`` (a context manager that
leaves the global setting as it was).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symkde
from symkde import jax as skj

F32_EPS = float(np.finfo(np.float32).eps)


def _problem(batch=(4,), n=5, seed=0, circular=False):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(*batch, n))
    x = rng.uniform(-3.0, 3.0, size=n) if circular else rng.uniform(-0.5, 1.5, size=n)
    a = rng.uniform(-0.2, 0.2, size=batch)
    b = a + rng.uniform(0.5, 1.5, size=batch)
    return z, x, a, b


@pytest.mark.parametrize(
    ("kernel", "circular"), [("laplace", False), ("laplace", True), ("gaussian", False)]
)
def test_x64_jit_grad_equal_the_numpy_api(kernel, circular):
    z, x, a, b = _problem(circular=circular)
    with jax.enable_x64(True):
        fn = jax.jit(
            jax.value_and_grad(
                lambda t: skj.kde_cross_entropy(
                    t, x, a, b, kernel=kernel, bandwidth=0.4, circular=circular, reduction="sum"
                )
            )
        )
        value, grad = fn(jnp.asarray(z))
        assert grad.dtype == jnp.float64
    ref_loss, ref_grad = symkde.loss_and_grad(
        z, x, a, b, kernel=kernel, bandwidth=0.4, circular=circular
    )
    assert float(value) == pytest.approx(ref_loss.sum(), rel=1e-15)  # one float64 sum
    np.testing.assert_array_equal(np.asarray(grad), ref_grad)  # same engine: equal


def test_float32_in_float32_out_within_float32_rounding():
    z, x, a, b = _problem()
    z32, x32 = jnp.asarray(z, jnp.float32), jnp.asarray(x, jnp.float32)
    a32, b32 = jnp.asarray(a, jnp.float32), jnp.asarray(b, jnp.float32)
    loss, grad = jax.value_and_grad(
        lambda t: skj.kde_cross_entropy(t, x32, a32, b32, reduction="sum")
    )(z32)
    assert loss.dtype == jnp.float32 and grad.dtype == jnp.float32
    # The float64 engine on the float32-rounded inputs, rounded once more.
    ref_loss, ref_grad = symkde.loss_and_grad(
        *(np.asarray(v, np.float64) for v in (z32, x32, a32, b32))
    )
    assert float(loss) == pytest.approx(ref_loss.sum(), rel=4 * F32_EPS)  # 4 rows summed in f32
    np.testing.assert_allclose(np.asarray(grad), ref_grad, atol=F32_EPS)


def test_vmap_is_one_callback_and_equals_the_batch(monkeypatch):
    calls = []
    real = skj.host_engine

    def spy(*args):
        calls.append(np.broadcast_shapes(args[0].shape, args[1].shape))
        return real(*args)

    monkeypatch.setattr(skj, "host_engine", spy)
    z, x, _, _ = _problem(batch=(6,))
    z32 = jnp.asarray(z, jnp.float32)
    mapped = jax.jit(jax.vmap(jax.value_and_grad(lambda r: skj.kde_cross_entropy(r, x, 0.0, 1.0))))(
        z32
    )
    assert calls == [(6, 5)]  # one callback for the 6 rows, not 6 callbacks
    whole = skj.kde_cross_entropy(z32, x, 0.0, 1.0, reduction="none")
    np.testing.assert_array_equal(np.asarray(mapped[0]), np.asarray(whole))
    ref = symkde.grad(
        np.asarray(z32, np.float64), np.asarray(jnp.asarray(x, jnp.float32), np.float64), 0.0, 1.0
    )
    np.testing.assert_allclose(np.asarray(mapped[1]), ref, atol=F32_EPS)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_reductions(reduction):
    z, x, a, b = _problem()
    with jax.enable_x64(True):
        out = np.asarray(skj.kde_cross_entropy(jnp.asarray(z), x, a, b, reduction=reduction))
    per_row = symkde.loss(z, x, a, b)
    expected = {"none": per_row, "mean": per_row.mean(), "sum": per_row.sum()}[reduction]
    np.testing.assert_allclose(out, expected, rtol=1e-15)


def test_grad_of_every_argument():
    z, x, a, b = _problem(batch=(2,), n=3)
    h = np.array([0.5, 0.7])
    with jax.enable_x64(True):
        fn = jax.grad(
            lambda *args: skj.kde_cross_entropy(*args[:4], bandwidth=args[4], reduction="sum"),
            argnums=(0, 1, 2, 3, 4),
        )
        grads = jax.jit(fn)(*(jnp.asarray(v) for v in (z, x, a, b, h)))
    rows = [symkde.derivatives(z[i], x, a[i], b[i], bandwidth=h[i]) for i in range(2)]
    want = (
        np.array([r.z for r in rows]),
        np.sum([r.x for r in rows], axis=0),  # the shared grid: summed over rows
        np.array([r.a for r in rows]),
        np.array([r.b for r in rows]),
        np.array([r.bandwidth for r in rows]),
    )
    for got, ref in zip(grads, want, strict=True):
        # Same float64 engine; the grid's sum over 2 rows may round differently: 1 ulp.
        np.testing.assert_allclose(np.asarray(got), ref, rtol=4e-16, atol=1e-300)


def test_far_field_float32_is_finite():
    # Two points 1e4 bandwidths from [0, 1], mirror images about 1/2: dL/dz = 0 by symmetry.
    h = 0.01
    x = jnp.asarray([1.0 + 1e4 * h, -1e4 * h], jnp.float32)
    loss, grad = jax.value_and_grad(lambda t: skj.kde_cross_entropy(t, x, 0.0, 1.0, bandwidth=h))(
        jnp.zeros(2, jnp.float32)
    )
    assert np.isfinite(float(loss)) and np.isfinite(np.asarray(grad)).all()
    ref = symkde.loss([0.0, 0.0], np.asarray(x, np.float64), 0.0, 1.0, bandwidth=h)
    assert float(loss) == pytest.approx(ref, rel=F32_EPS)
    np.testing.assert_allclose(np.asarray(grad), [0.0, 0.0], atol=F32_EPS)
    # The naive float32 mixture on 64 nodes fails here: exp(-1e4) = 0.
    t = (jnp.arange(64, dtype=jnp.float32) + 0.5) / 64
    naive = jax.grad(
        lambda w: (
            -jnp.log(
                (jax.nn.softmax(w) * jnp.exp(-jnp.abs(t[:, None] - x) / h) / (2 * h)).sum(1)
            ).mean()
        )
    )(jnp.zeros(2, jnp.float32))
    assert not np.isfinite(np.asarray(naive)).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reduction": "avg"}, "reduction"),
        ({"kernel": "epanechnikov"}, "kernel"),
        ({"method": "bins"}, "bins"),
        ({"kernel": "vonmises"}, "circular"),
        ({"positions": [0.0, 1.0, 2.0]}, "positions: shape"),
        ({"b": jnp.ones((2, 3))}, "b: shape"),
        ({"logits": jnp.float32(1.0)}, "logits: expected shape"),
    ],
)
def test_static_errors_name_the_argument(kwargs, match):
    args = {"logits": jnp.zeros((3, 2)), "positions": [0.0, 1.0], "a": 0.0, "b": 1.0}
    args.update(kwargs)
    pos = [args.pop(k) for k in ("logits", "positions", "a", "b")]
    with pytest.raises(ValueError, match=match):
        skj.kde_cross_entropy(*pos, **args)


def test_value_errors_inside_jit_carry_the_engine_message():
    fn = jax.jit(lambda b: skj.kde_cross_entropy(jnp.zeros((3, 2)), [0.0, 1.0], 0.0, b))
    with pytest.raises(Exception, match=r"a\[1\], b\[1\]: expected a < b"):
        fn(jnp.asarray([1.0, -1.0, 2.0])).block_until_ready()


def test_masked_logit_and_uncovered_target():
    grad = jax.grad(lambda t: skj.kde_cross_entropy(t, [0.0, 5.0, 1.0], 0.0, 1.0))(
        jnp.asarray([0.3, -math.inf, 0.1], jnp.float32)
    )
    assert float(grad[1]) == 0.0 and np.isfinite(np.asarray(grad)).all()
    value = skj.kde_cross_entropy(
        jnp.zeros(2), [0.0, 1.0], 0.0, 1.0, kernel="boxcar", bandwidth=0.1
    )
    assert float(value) == math.inf


def test_engine_errors_use_the_frameworks_argument_names():
    # The shared host call renames the numeric API's z, x to logits, positions (as torch does).
    logits = jnp.asarray([[0.0, 1.0], [math.nan, 0.0]])
    with pytest.raises(Exception, match=r"logits\[1\]: expected no NaN") as info:
        skj.kde_cross_entropy(logits, [0.0, 1.0], 0.0, 1.0).block_until_ready()
    assert "z[1]" not in str(info.value)


@pytest.mark.parametrize(
    ("kernel", "circular", "method"),
    [("laplace", False, "auto"), ("laplace", True, "auto"), ("gaussian", False, "bins")],
)
def test_accelerator_route_runs_the_array_engine_in_jax(monkeypatch, kernel, circular, method):
    """On a GPU/TPU backend the array engine computes in JAX operations (no host callback).
    Forced here on the CPU backend; every argument's gradient must equal the CPU engine's to
    the contract's 1e-12 (both float64), and the host callback must not be called."""
    z, x, a, b = _problem(batch=(2,), n=4, circular=circular)
    h = np.array([0.5, 0.7])
    bins = 64 if method == "bins" else None
    options = {"kernel": kernel, "circular": circular, "method": method, "bins": bins}

    def run():
        fn = jax.value_and_grad(
            lambda *args: skj.kde_cross_entropy(
                *args[:4], bandwidth=args[4], reduction="sum", **options
            ),
            argnums=(0, 1, 2, 3, 4),
        )
        with jax.enable_x64(True):
            value, grads = jax.jit(fn)(*(jnp.asarray(v) for v in (z, x, a, b, h)))
            return float(value), [np.asarray(g) for g in grads]

    host_value, host_grads = run()
    monkeypatch.setattr(skj, "_on_accelerator", lambda: True)
    monkeypatch.setattr(skj, "_callback", lambda *a, **k: pytest.fail("host callback called"))
    value, grads = run()
    assert value == pytest.approx(host_value, rel=1e-12)
    for got, want in zip(grads, host_grads, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
    # ... and the comparison can fail: another bandwidth gives another loss.
    h = h * 1.1
    assert run()[0] != pytest.approx(host_value, rel=1e-6)
