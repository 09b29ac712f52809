"""pytest configuration: version header and the shared argument grid fixtures."""

from __future__ import annotations

import os

import mpmath
import numpy
import pytest
import scipy
import sympy
from hypothesis import HealthCheck, settings

# Hypothesis profiles: CI is seeded (derandomized, no example database); symkde-dev explores
# 20x more examples at random (SYMKDE_HYPOTHESIS_PROFILE=symkde-dev python -m pytest ...).
settings.register_profile(
    "symkde-ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=20,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "symkde-dev",
    derandomize=False,
    deadline=None,
    max_examples=400,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("SYMKDE_HYPOTHESIS_PROFILE", "symkde-ci"))


def pytest_report_header(config):
    return (
        f"symkde versions: sympy {sympy.__version__}, mpmath {mpmath.__version__}, "
        f"numpy {numpy.__version__}, scipy {scipy.__version__}"
    )


@pytest.fixture(scope="session", autouse=True)
def _compile_the_fast_path_first():
    """Compile (or load from numba's cache) symkde's compiled loops before any test runs.

    On a fresh machine the first ``import symkde.numeric.compiled`` compiles for a few seconds;
    inside
    a time-boxed call (tests/test_fuzz.py, tests/test_properties.py) that would read as a
    hang.  Compile time is not what those tests judge.
    """
    import symkde.numeric.compiled  # noqa: F401
