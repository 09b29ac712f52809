"""pytest configuration: version header and the shared argument grid fixtures."""

from __future__ import annotations

import mpmath
import numpy
import scipy
import sympy


def pytest_report_header(config):
    return (
        f"symkde versions: sympy {sympy.__version__}, mpmath {mpmath.__version__}, "
        f"numpy {numpy.__version__}, scipy {scipy.__version__}"
    )
