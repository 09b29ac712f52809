"""Batches (the contract's batch rules): (..., n) problems, each row exactly its single call."""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest

import symkde
from symkde.errors import UncoveredTargetError
from symkde.numeric.batch import apply_rows, assembled, validate_batch
from tests.helpers import argument_grid

EXACT = ("laplace", "boxcar", "triangle")


def _methods(kernel):
    yield "auto", None
    if kernel in EXACT:
        yield "exact", None
    yield "quadrature", None
    yield "bins", 7


def _rows_by_n():
    """The quick accuracy grid (every regime), rows of the same n stacked into one batch."""
    groups = defaultdict(list)
    for case in argument_grid(quick=True):
        for kernel in case.kernels:
            groups[(case.z.size, kernel)].append(case)
    return groups


def _check_rows(z, x, a, b, h, **options):
    """Batch results against single calls on every row: bit for bit."""
    value, gradient = symkde.loss_and_grad(z, x, a, b, bandwidth=h, **options)
    loss_only = symkde.loss(z, x, a, b, bandwidth=h, **options)
    assert value.shape == z.shape[:-1] and gradient.shape == z.shape
    np.testing.assert_array_equal(loss_only, value)
    for r in range(z.shape[0]):
        single = symkde.loss_and_grad(z[r], x[r], a[r], b[r], bandwidth=h[r], **options)
        assert value[r] == single[0], (r, options)
        np.testing.assert_array_equal(gradient[r], single[1], err_msg=f"row {r}, {options}")


@pytest.mark.parametrize("circular", [False, True], ids=["line", "circle"])
def test_rows_equal_single_calls_on_the_accuracy_grid(circular):
    for (_, kernel), cases in _rows_by_n().items():
        z = np.stack([c.z for c in cases])
        x = np.stack([c.x for c in cases])
        a, b, h = (np.array([getattr(c, f) for c in cases]) for f in ("a", "b", "bandwidth"))
        for method, bins in _methods(kernel):
            _check_rows(z, x, a, b, h, kernel=kernel, circular=circular, method=method, bins=bins)


def test_vonmises_rows_equal_single_calls():
    """The von Mises kernel (circle only; the accuracy grid's cases are line-first and never
    list it): rows with masks, logits +-700, arcs across pi, the full circle, wide and narrow
    kernels, every method, each row bit for bit its single call."""
    rng = np.random.default_rng(36)
    rows, n = 8, 12
    z = rng.normal(0.0, 2.0, (rows, n))
    z[1, :4] = -np.inf  # masked
    z[2, 0], z[2, 1] = 700.0, -700.0
    x = rng.uniform(-math.pi, math.pi, (rows, n)) + 2 * math.pi * rng.integers(-2, 3, (rows, 1))
    a = rng.uniform(-4.0, 4.0, rows)
    b = a + rng.uniform(0.05, 2 * math.pi, rows)
    a[3], b[3] = 3.0, 3.0 + 0.6  # across pi
    a[4], b[4] = -math.pi, math.pi  # the full circle
    h = rng.uniform(0.05, 2.0, rows)
    h[5], h[6] = 0.01, 8.0
    for method, bins in (("auto", None), ("quadrature", None), ("bins", 64)):
        _check_rows(z, x, a, b, h, kernel="vonmises", circular=True, method=method, bins=bins)


def test_a_wrong_row_is_caught_by_the_row_check():
    """The row-by-row check fails when one row's result is changed (it can fail)."""
    rng = np.random.default_rng(3)
    z, x = rng.normal(size=(3, 4)), rng.uniform(0, 1, (3, 4))
    value, _ = symkde.loss_and_grad(z, x, 0.0, 1.0)
    value[1] = np.nextafter(value[1], np.inf)
    assert value[1] != symkde.loss(z[1], x[1], 0.0, 1.0)


def test_broadcasting_shapes():
    """Shared grid (n,), per-row bandwidth (4, 1), per-column b (3,), scalar a."""
    rng = np.random.default_rng(7)
    z = rng.normal(size=(4, 3, 5))
    x = np.linspace(-1.0, 2.0, 5)
    b = np.array([1.0, 1.5, 2.0])
    h = np.array([[0.1], [0.3], [1.0], [2.0]])
    value, gradient = symkde.loss_and_grad(z, x, 0.0, b, bandwidth=h)
    assert value.shape == (4, 3) and gradient.shape == (4, 3, 5)
    assert symkde.grad(z, x, 0.0, b, bandwidth=h).shape == (4, 3, 5)
    for i, j in itertools.product(range(4), range(3)):
        single = symkde.loss_and_grad(z[i, j], x, 0.0, b[j], bandwidth=h[i, 0])
        assert value[i, j] == single[0]
        np.testing.assert_array_equal(gradient[i, j], single[1])


def test_one_row_batch_is_the_single_call_and_a_1d_call_returns_a_float():
    rng = np.random.default_rng(11)
    z, x = rng.normal(size=6), rng.uniform(-1, 2, 6)
    value, gradient = symkde.loss_and_grad(z[None], x, 0.0, 1.0)
    single = symkde.loss_and_grad(z, x, 0.0, 1.0)
    assert isinstance(single[0], float) and value.shape == (1,)
    assert value[0] == single[0]
    np.testing.assert_array_equal(gradient[0], single[1])


def test_empty_batch_returns_empty_arrays():
    """B = 0: no rows to check, empty results of the batch shape and of z's shape."""
    x = np.linspace(0.0, 1.0, 4)
    assert symkde.loss(np.zeros((0, 4)), x, 0.0, 1.0).shape == (0,)
    value, gradient = symkde.loss_and_grad(np.zeros((2, 0, 4)), x, 0.0, 1.0)
    assert value.shape == (2, 0) and gradient.shape == (2, 0, 4)
    with pytest.raises(ValueError, match=r"^kernel:"):  # the options are still checked
        symkde.loss(np.zeros((0, 4)), x, 0.0, 1.0, kernel="nope")
    with pytest.raises(ValueError, match="at least one point"):
        symkde.loss(np.zeros((0, 0)), np.zeros(0), 0.0, 1.0)


def test_padding_by_masks_gives_rows_their_own_n():
    rng = np.random.default_rng(5)
    sizes = (1, 4, 7)
    z = np.full((3, 7), -np.inf)
    x = np.zeros((3, 7))
    for r, size in enumerate(sizes):
        z[r, :size] = rng.normal(size=size)
        x[r, :size] = rng.uniform(-0.5, 1.5, size)
    for kernel, method in (
        ("laplace", "auto"),
        ("gaussian", "auto"),
        ("triangle", "auto"),
        ("boxcar", "auto"),
        ("gaussian", "bins"),
        ("triangle", "bins"),
    ):
        kw = {"kernel": kernel, "bandwidth": 1.5, "method": method}
        if method == "bins":
            kw["bins"] = 16
        value, gradient = symkde.loss_and_grad(z, x, 0.0, 1.0, **kw)
        for r, size in enumerate(sizes):
            ref, ref_grad = symkde.loss_and_grad(z[r, :size], x[r, :size], 0.0, 1.0, **kw)
            # masked points drop out before any arithmetic: within 1e-14 of the unpadded call
            # (the contract is 1e-12; the two differ only in sums' order)
            assert abs(value[r] - ref) <= 1e-14 * max(1.0, abs(ref))
            np.testing.assert_allclose(gradient[r, :size], ref_grad, rtol=0, atol=1e-15)
            assert np.all(gradient[r, size:] == 0.0)


# (argument, bad value, the phrase of the single call's message)
BAD_ROW = [
    ("z", np.nan, "NaN"),
    ("z", np.inf, "+inf"),
    ("x", np.inf, "finite"),
    ("x", 1e300, "|x| <= 1e+50"),
    ("a", np.nan, "finite"),
    ("a", 5.0, "a < b"),
    ("b", -5.0, "a < b"),
    ("bandwidth", 0.0, "positive"),
    ("bandwidth", 1e-300, "1e-50 <= bandwidth"),
]


@pytest.mark.parametrize(("name", "bad", "phrase"), BAD_ROW)
def test_a_bad_value_names_the_argument_and_the_first_bad_row(name, bad, phrase):
    args = {
        "z": np.zeros((2, 3, 4)),
        "x": np.tile(np.linspace(0.0, 1.0, 4), (2, 3, 1)),
        "a": np.zeros((2, 3)),
        "b": np.ones((2, 3)),
        "bandwidth": np.ones((2, 3)),
    }
    target = args[name]
    for row in ((1, 2), (1, 1)):  # two bad rows: the first in C order is named
        if target.ndim == 3:
            target[(*row, 2)] = bad
        else:
            target[row] = bad
    with pytest.raises(ValueError) as info:
        symkde.loss(args["z"], args["x"], args["a"], args["b"], bandwidth=args["bandwidth"])
    message = str(info.value)
    assert f"{name}[1, 1]" in message.partition(":")[0], message
    assert phrase in message, message
    if name == "a" and bad == 5.0:  # the other argument of the pair has rows too
        assert message.startswith("a[1, 1], b[1, 1]: expected a < b"), message


def test_an_argument_without_batch_dimensions_keeps_its_plain_name():
    z = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"^x: expected finite positions, got .*nan.* at index 1"):
        symkde.loss(z, [0.0, np.nan], 0.0, 1.0)
    with pytest.raises(ValueError, match=r"^a, b\[2\]: expected a < b"):
        symkde.loss(z, [0.0, 1.0], 0.5, [1.0, 2.0, 0.25])


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ({"x": np.zeros((2, 4))}, r"^z, x: expected x broadcastable"),
        ({"a": np.zeros(2)}, r"^a: expected a value or an array broadcastable"),
        ({"bandwidth": np.ones((3, 1))}, r"^bandwidth: expected"),
        ({"b": True}, r"^b: expected a real number"),
        ({"z": 0.0, "x": 0.0}, r"^z: expected an array of shape \(\.\.\., n\)"),
    ],
)
def test_shapes_that_do_not_broadcast_are_refused(args, match):
    call = {"z": np.zeros((3, 5)), "x": np.zeros(5), "a": 0.0, "b": 1.0, "bandwidth": 1.0}
    call.update(args)
    with pytest.raises(ValueError, match=match):
        symkde.loss(call["z"], call["x"], call["a"], call["b"], bandwidth=call["bandwidth"])


def test_an_uncovered_row_gives_inf_and_its_gradient_names_the_row():
    x = np.array([[0.1, 0.9], [0.1, 0.9], [0.5, 0.55]])  # row 2: boxcar of 0.2 leaves gaps
    z = np.zeros((3, 2))
    value = symkde.loss(z, x, 0.0, 1.0, kernel="boxcar", bandwidth=0.45)
    assert np.isfinite(value[:2]).all() and value[2] == np.inf
    with pytest.raises(UncoveredTargetError) as info:
        symkde.grad(z, x, 0.0, 1.0, kernel="boxcar", bandwidth=0.45)
    assert info.value.row == (2,)
    assert str(info.value).startswith("a, b (row [2]): the density is zero"), str(info.value)
    assert info.value.interval[0] == 0.0  # the single call's interval: [0, 0.05]


def test_row_function_front_assembles_outputs_of_given_shapes():
    """The entry point other engines plug into (symkde.derivatives): row -> outputs."""
    batch = validate_batch(np.zeros((2, 3, 4)), np.arange(4.0), 0.0, [[1.0], [2.0]])
    layout = ("batch", "point", "batch")
    outputs = apply_rows(batch, lambda p: (p.b, p.x * p.b, p.bandwidth), layout)
    loss_like, point_like, _ = assembled(batch, outputs, layout)
    assert loss_like.shape == (2, 3) and point_like.shape == (2, 3, 4)
    np.testing.assert_array_equal(loss_like, [[1.0] * 3, [2.0] * 3])
    np.testing.assert_array_equal(point_like[1, 2], np.arange(4.0) * 2.0)

    def compiled(batch, outputs):  # does rows 0..2 itself, hands rows 3..5 back
        for out in outputs:
            out[:3] = -1.0
        return np.arange(batch.size) >= 3

    outputs = apply_rows(batch, lambda p: (p.b, p.x, p.a), layout, compiled=compiled)
    np.testing.assert_array_equal(outputs[0], [-1.0] * 3 + [2.0] * 3)


def test_caller_arrays_are_used_in_place():
    """A C-contiguous float64 (B, n) buffer, read-only (a PyTorch/JAX view), is not copied."""
    z = np.random.default_rng(0).normal(size=(8, 5))
    z.flags.writeable = False
    x = np.linspace(0.0, 1.0, 5)
    batch = validate_batch(z, x, 0.0, 1.0)
    assert np.shares_memory(batch.z, z) and np.shares_memory(batch.x, x)
    assert batch.x.strides[0] == 0  # one grid, not B copies


def _layouts(arr):
    """The array as given, read-only, non-contiguous and foreign-endian."""
    read_only = arr.copy()
    read_only.flags.writeable = False
    strided = np.repeat(arr, 2, axis=-1)[..., ::2]
    swapped = arr.astype(arr.dtype.newbyteorder())
    return {"read-only": read_only, "strided": strided, "big-endian": swapped}


@pytest.mark.parametrize("shape", [(6,), (2, 6)], ids=["1-D", "batch"])
@pytest.mark.parametrize("kernel", ["laplace", "triangle", "gaussian"])
def test_read_only_strided_and_foreign_endian_arrays(shape, kernel):
    """Issue 12 #2: a read-only x with a == 0.0 on the default Laplace path raised numba's
    TypeError (its compiled loops took writeable arrays only)."""
    rng = np.random.default_rng(2)
    z, x = rng.normal(size=shape), rng.uniform(-0.2, 1.2, shape)
    options = {"kernel": kernel, "bandwidth": 0.7}
    ref_value, ref_grad = symkde.loss_and_grad(z, x, 0.0, 1.0, **options)
    z_layouts, x_layouts = _layouts(z), _layouts(x)
    for label in z_layouts:
        zz, xx = z_layouts[label], x_layouts[label]
        value, gradient = symkde.loss_and_grad(zz, xx, 0.0, 1.0, **options)
        np.testing.assert_array_equal(value, ref_value, err_msg=label)
        np.testing.assert_array_equal(gradient, ref_grad, err_msg=label)
        np.testing.assert_array_equal(symkde.loss(zz, xx, 0.0, 1.0, **options), ref_value)
        np.testing.assert_array_equal(symkde.grad(zz, xx, 0.0, 1.0, **options), ref_grad)


def test_thread_count_does_not_change_a_bit():
    """NUMBA_NUM_THREADS=1 and 2 in fresh processes give the same bytes."""
    code = (
        "import hashlib, numpy as np, symkde\n"
        "rng = np.random.default_rng(9)\n"
        "z = rng.normal(size=(64, 16)); x = np.linspace(-3, 3, 16)\n"
        "a = rng.uniform(-3, 2, 64); b = a + rng.uniform(0.1, 3, 64)\n"
        "h = hashlib.sha256()\n"
        "for kw in ({}, {'circular': True}, {'kernel': 'triangle', 'bandwidth': 2.0},\n"
        "           {'kernel': 'boxcar', 'bandwidth': 0.5, 'circular': True},\n"
        "           {'kernel': 'gaussian', 'method': 'bins', 'bins': 64},\n"
        "           {'kernel': 'gaussian', 'method': 'bins', 'bins': 64, 'circular': True}):\n"
        "    v, g = symkde.loss_and_grad(z, x, a, b, **kw)\n"
        "    h.update(v.tobytes()); h.update(g.tobytes())\n"
        "print(h.hexdigest())\n"
    )
    digests = []
    for threads in ("1", "2"):
        env = {**os.environ, "NUMBA_NUM_THREADS": threads}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        digests.append(done.stdout.strip())
    assert len(digests[0]) == 64 and digests[0] == digests[1]


#: Four Python threads calling every row-parallel engine at once (``sys.argv[1]`` =
#: "unlocked" first swaps the Laplace engine's lock for a no-op).
_CONCURRENT = """
import contextlib, sys, threading
import numpy as np
import numba
import symkde
import symkde.numeric.compiled as compiled
if sys.argv[1] == "unlocked":
    compiled.PARALLEL_LOCK = contextlib.nullcontext()
rng = np.random.default_rng(0)
z = rng.normal(size=(64, 32)); x = np.linspace(-1.0, 2.0, 32)
calls = [dict(bandwidth=0.2)] if sys.argv[1] == "unlocked" else [
    dict(bandwidth=0.2), dict(kernel="triangle", bandwidth=0.3),
    dict(kernel="gaussian", method="bins", bins=64, bandwidth=0.2)]
def work():
    for _ in range(40):
        for kw in calls:
            symkde.loss_and_grad(z, x, 0.0, 1.0, **kw)
        if sys.argv[1] != "unlocked":
            symkde.derivatives(z, x, 0.0, 1.0, bandwidth=0.2)
threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("ok", numba.threading_layer())
"""


def test_concurrent_calls_under_the_workqueue_threading_layer():
    """numba's workqueue layer (where neither TBB nor OpenMP is installed) aborts the process
    when two threads enter parallel code at once; the engines hold
    ``symkde.numeric.compiled.PARALLEL_LOCK`` around their parallel loops, so four threads
    calling the Laplace, triangle, Gaussian-bins and derivative engines together finish.
    Without the lock (the control) the same calls abort the process."""
    env = {**os.environ, "NUMBA_THREADING_LAYER": "workqueue"}

    def run(mode):
        return subprocess.run(
            [sys.executable, "-c", _CONCURRENT, mode],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    done = run("locked")
    assert done.returncode == 0 and done.stdout.split() == ["ok", "workqueue"], done.stderr
    # the control: concurrency is detected on most runs, not every one; three tries
    aborted = [run("unlocked") for _ in range(3)]
    assert any(r.returncode != 0 and "Concurrent access" in r.stderr for r in aborted)


#: Holds the engines' lock, forks, and reports whether the child could take it.
_FORK = """
import os
from symkde.numeric import compiled
with compiled.PARALLEL_LOCK:  # as if a thread were inside a parallel loop
    pid = os.fork()
    if pid == 0:
        ok = compiled.PARALLEL_LOCK.acquire(timeout=5)
        os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_forked_child_gets_a_free_parallel_lock():
    """A child forked while another thread holds the engines' lock would wait for ever on the
    parent's copy; the child gets a fresh lock (``os.register_at_fork``).  In a fresh process
    (the test process has threads of its own, and JAX warns on fork)."""
    done = subprocess.run(
        [sys.executable, "-c", _FORK], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["0"], (done.stdout, done.stderr)


def test_arc_written_across_pi_suggests_b_plus_two_pi():
    """Issue 12 #5: (2.8, -2.68) on the circle says what b to pass."""
    with pytest.raises(ValueError) as info:
        symkde.loss([0.0], [0.0], 2.8, -2.68, circular=True)
    message = str(info.value)
    assert message.startswith("a, b: expected a < b") and "b + 2*pi" in message
    assert repr(-2.68 + 2 * math.pi) in message
    assert symkde.loss([0.0], [0.0], 2.8, -2.68 + 2 * math.pi, circular=True) > 0
    for a, b, circular in ((2.8, -2.68, False), (7.0, 0.5, True), (1.0, 1.0, True)):
        with pytest.raises(ValueError) as info:  # no hint off the circle or past a full turn
            symkde.loss([0.0], [0.0], a, b, circular=circular)
        assert "2*pi" not in str(info.value), str(info.value)


def test_engine_rows_and_handed_back_rows_both_equal_single_calls():
    """A batch mixing rows the compiled engine does (plain) and rows it hands back to the
    log-space scans (weights e^700 apart; a cluster 3000 bandwidths away that matters)."""
    from symkde.numeric.rows import laplace_exact_rows

    rng = np.random.default_rng(17)
    z = rng.normal(size=(12, 6))
    x = rng.uniform(-0.5, 1.5, (12, 6))
    z[3, :3] += 700.0  # spread beyond e^500: handed back
    x[7] = 1.0 + 3000 * 0.1 + rng.uniform(0, 0.3, 6)  # all far right: handed back
    a, b, h = np.zeros(12), np.ones(12), np.full(12, 0.1)
    loss, gradient = np.empty(12), np.empty((12, 6))
    for circular in (False, True):
        handed_back = laplace_exact_rows(z, x, a, b, h, circular, True, loss, gradient)
        assert handed_back[3] and not handed_back[[0, 1, 2, 4, 5]].any(), handed_back
        if not circular:
            assert handed_back[7]
        _check_rows(z, x, a, b, h, circular=circular)


def test_sides_up_to_64_bandwidths_out_stay_in_the_engine():
    """A grid of spacing 0.32 with h = 0.01 (a bandwidth learnt below the spacing): the
    outside points nearest each target lie 8 to 32 bandwidths out.  The engine answers these
    rows (before, beyond 8 bandwidths, they went to the log-space scans, serially) and agrees
    with mpmath (30 digits) within the contract; a side that matters 100 bandwidths out is
    still handed back."""
    from symkde import reference
    from symkde.numeric.rows import laplace_exact_rows
    from tests.helpers import GRAD_ATOL, LOSS_RTOL, assert_close

    rng = np.random.default_rng(64)
    rows, n, h = 6, 64, 0.01
    z = rng.normal(size=(rows, n))
    x = np.tile(np.linspace(-10.0, 10.0, n), (rows, 1))
    a = rng.uniform(-1.0, 0.0, rows)
    b = a + rng.uniform(0.1, 0.3, rows)
    loss, gradient = np.empty(rows), np.empty((rows, n))
    handed_back = laplace_exact_rows(z, x, a, b, np.full(rows, h), False, True, loss, gradient)
    assert not handed_back.any(), handed_back
    reach = [
        min(a[r] - x[r][x[r] <= a[r]].max(), x[r][x[r] >= b[r]].min() - b[r]) / h
        for r in range(rows)
    ]
    assert max(reach) > 8.0, reach  # the rows are the ones the old guard sent away
    for r in range(2):
        ref_loss, ref_grad = reference.loss_and_grad(
            z[r].tolist(), x[r].tolist(), float(a[r]), float(b[r]), bandwidth=h, dps=30
        )
        assert_close(loss[r], ref_loss, rtol=LOSS_RTOL, ref_dps=30, what="loss")
        assert_close(gradient[r], ref_grad, atol=GRAD_ATOL, ref_dps=30, what="gradient")
    far = np.array([[0.0, 0.0]]), np.array([[-5.0, 2.0]])  # 100 bandwidths beyond b = 1
    back = laplace_exact_rows(
        *far, np.zeros(1), np.ones(1), np.full(1, 0.01), False, True, np.empty(1), np.empty((1, 2))
    )
    assert back.tolist() == [True]


def test_compiled_spence_is_scipys():
    """The engine's dilogarithm (Cephes, as SciPy) against scipy.special.spence: within 16 ulps
    everywhere; a value off by 1e-14 relative (about 45 ulps) is caught.

    Not bit for bit: in a fresh process the two agree to the bit on [1, 2], but once torch or
    JAX code has run in the process, 1156 of 2001 points on [1, 2] differ in the last bits
    (measured: our compiled values are unchanged, SciPy's move). Against mpmath at 40 digits
    both are within 15 ulps there (relative to the value, which tends to 0 at 1). What must be
    bit-identical (a row in a batch against the single call, one thread against two) runs the
    same compiled code and is tested above."""
    import scipy.special

    from symkde.numeric.rows import spence

    x = np.concatenate([np.linspace(1.0, 2.0, 2001), np.geomspace(1e-8, 1e8, 401), [0.0, 0.5]])
    got = np.array([spence(v) for v in x])
    want = scipy.special.spence(x)
    np.testing.assert_array_max_ulp(got, want, maxulp=16)
    assert np.isnan(spence(-1.0))
    with pytest.raises(AssertionError):
        np.testing.assert_array_max_ulp(got * (1 + 1e-14), want, maxulp=16)


@pytest.mark.parametrize("circular", [False, True], ids=["line", "circle"])
def test_laplace_rows_match_the_numpy_closed_form_where_terms_are_pruned(circular):
    """Rows whose side masses have many terms below e^-64 of their largest (skipped by the
    engine), weights from the softmax pass and e^-o as 1/e^o: against the NumPy closed form
    (``exact_loss_grad``: ``_laplace_fast`` or the log-space scans, no shared loop), loss to
    1e-13 relative and gradient to 1e-13 absolute (a few hundred ulps; the contract asks
    1e-12); a gradient 1e-11 off is caught."""
    from symkde.numeric.angles import difference_turned
    from symkde.numeric.exact import exact_loss_grad
    from symkde.numeric.rows import laplace_exact_rows

    rng = np.random.default_rng(64)
    rows, n = 10, 90
    z = rng.normal(0.0, 2.0, (rows, n))
    z[::4, 5] = -np.inf
    if circular:
        x = np.linspace(-math.pi, math.pi, n, endpoint=False) + rng.uniform(-0.01, 0.01, (rows, n))
        a = rng.uniform(-3.0, 3.0, rows)
        b = a + rng.uniform(0.1, 1.0, rows)
    else:
        x = rng.uniform(-3.0, 4.0, (rows, n))
        a = rng.uniform(-0.5, 0.5, rows)
        b = a + rng.uniform(0.1, 1.0, rows)
    h = np.full(rows, 0.04)  # sides span up to 90 (line) or 150 (circle) bandwidths
    loss, grad = np.empty(rows), np.empty((rows, n))
    left = laplace_exact_rows(z, x, a, b, h, circular, True, loss, grad)
    assert not left.any()
    for r in range(rows):
        with np.errstate(over="ignore"):
            shifted = z[r] - z[r].max()
        log_w = shifted - math.log(float(np.sum(np.exp(shifted))))
        if circular:
            moved = difference_turned(x[r], a[r], 0.5 * (b[r] - a[r]))
        else:
            moved = x[r] - a[r]
        ref_loss, ref_grad = exact_loss_grad(
            "laplace", log_w, moved, 0.0, b[r] - a[r], h[r], circular=circular
        )
        assert abs(loss[r] - ref_loss) <= 1e-13 * max(1.0, abs(ref_loss)), (r, loss[r], ref_loss)
        assert np.max(np.abs(grad[r] - ref_grad)) <= 1e-13, r
        assert np.max(np.abs(grad[r] + 1e-11 * (np.arange(n) == 0) - ref_grad)) > 1e-13
