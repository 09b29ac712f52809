"""Bad input: every case of API.md raises ValueError (or a subclass) naming the argument."""

from __future__ import annotations

import math

import numpy as np
import pytest

import symkde
from symkde.errors import ArgumentTypeError

GOOD = {"z": [0.0, 1.0], "x": [0.0, 0.5], "a": 0.0, "b": 1.0}


def call(fn, **changes):
    args = {**GOOD, **changes}
    options = {k: v for k, v in args.items() if k not in "zxab"}
    return fn(args["z"], args["x"], args["a"], args["b"], **options)


# (changes to the good call, the argument the message must name, a phrase of the expectation)
BAD = [
    ({"z": [0.0]}, "z, x", "same shape"),
    ({"z": [], "x": []}, "z, x", "at least one point"),
    ({"z": 0.0, "x": 0.0}, "z", "shape (..., n)"),  # (1, n) is a batch of one row
    ({"z": "ab"}, "z", "real numbers"),
    ({"z": [1 + 2j, 0.0]}, "z", "real numbers"),
    ({"z": [0.0, [1.0, 2.0]]}, "z", "real numbers"),
    ({"z": [math.nan, 0.0]}, "z", "NaN"),
    ({"z": [math.inf, 0.0]}, "z", "+inf"),
    ({"z": [-math.inf, -math.inf]}, "z", "finite logit"),
    ({"x": [0.0, math.nan]}, "x", "finite"),
    ({"x": [0.0, math.inf]}, "x", "finite"),
    ({"a": math.nan}, "a", "finite"),
    ({"b": math.inf}, "b", "finite"),
    ({"a": "0"}, "a", "real number"),
    ({"b": 10**400}, "b", "finite"),
    ({"a": -1e308, "b": 1e308}, "a", "|a| <= 1e+50"),
    ({"a": 0.0, "b": 5e-324}, "a, b", "b - a >= 1e-50"),
    ({"x": [0.0, 1e300]}, "x", "|x| <= 1e+50"),
    ({"bandwidth": 1e-300}, "bandwidth", "1e-50 <= bandwidth"),
    ({"method": "bins", "bins": 2**70}, "bins", "2**26"),
    ({"a": 1.0, "b": 1.0}, "a, b", "a < b"),
    ({"a": 2.0, "b": 1.0}, "a, b", "a < b"),
    ({"bandwidth": 0.0}, "bandwidth", "positive"),
    ({"bandwidth": -1.0}, "bandwidth", "positive"),
    ({"bandwidth": math.nan}, "bandwidth", "finite"),
    ({"bandwidth": math.inf}, "bandwidth", "finite"),
    ({"kernel": "epanechnikov"}, "kernel", "one of"),
    ({"kernel": None}, "kernel", "one of"),
    ({"kernel": "vonmises"}, "kernel", "circle"),
    ({"method": "simpson"}, "method", "one of"),
    ({"method": "bins"}, "bins", "bins=M"),
    ({"method": "bins", "bins": 0}, "bins", "integer 1 <= bins"),
    ({"method": "bins", "bins": 1.5}, "bins", "integer"),
    ({"method": "bins", "bins": True}, "bins", "integer"),
    ({"method": "quadrature", "bins": 8}, "bins", "only used"),
    ({"bins": 8}, "bins", "only used"),
    ({"method": "exact", "kernel": "gaussian"}, "method", "closed form"),
    ({"circular": True, "a": 0.0, "b": 7.0}, "a, b", "2*pi"),
    ({"circular": "yes"}, "circular", "True or False"),
]


@pytest.mark.parametrize("fn", [symkde.loss, symkde.grad, symkde.loss_and_grad])
@pytest.mark.parametrize(("changes", "name", "phrase"), BAD, ids=[f"{c}" for c, _, _ in BAD])
def test_bad_input_names_the_argument(fn, changes, name, phrase):
    with pytest.raises(ValueError) as info:
        call(fn, **changes)
    message = str(info.value)
    assert message.startswith(f"{name}:"), message
    assert phrase in message, message


def test_type_errors_are_also_value_errors():
    with pytest.raises(TypeError):
        call(symkde.loss, z="ab")
    assert issubclass(ArgumentTypeError, ValueError)


def test_full_circle_forgives_four_ulps():
    two_pi = 2 * math.pi
    b_ok = two_pi + 4 * math.ulp(two_pi)
    from symkde.numeric.validate import validate

    assert validate([0.0], [0.0], 0.0, b_ok, circular=True).b == b_ok
    with pytest.raises(ValueError, match=r"^a, b:"):
        validate([0.0], [0.0], 0.0, two_pi + 5 * math.ulp(two_pi), circular=True)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int8, np.float16])
def test_any_real_dtype_computes_in_float64(dtype):
    z = np.array([0, 1], dtype=dtype)
    x = np.array([0, 1], dtype=dtype)
    got = symkde.grad(z, x, 0, 1)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, symkde.grad([0.0, 1.0], [0.0, 1.0], 0.0, 1.0))
    assert isinstance(symkde.loss(z, x, np.float32(0), 1), float)
