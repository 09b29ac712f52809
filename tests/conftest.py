"""pytest configuration: version header, error summaries, the shared argument grid fixtures."""

from __future__ import annotations

import os

import mpmath
import numpy
import pytest
import scipy
import sympy
from hypothesis import HealthCheck, settings

from tests.helpers import SUMMARY

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


_summaries: list[str] = []


def pytest_runtest_logreport(report):
    """Collect the summary tables tests record (``record_property(SUMMARY, text)``).

    Called in the controlling process for every test, also for those a pytest-xdist worker
    ran (their user properties travel with the report), so the tables reach the terminal
    whether or not the run is distributed (``python -m pytest -n auto``)."""
    if report.when == "call" and report.passed:
        _summaries.extend(value for name, value in report.user_properties if name == SUMMARY)


def pytest_terminal_summary(terminalreporter):
    if _summaries:
        terminalreporter.section("symkde error summaries")
        for text in _summaries:
            terminalreporter.write_line(text)


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
