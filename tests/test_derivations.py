"""Every literate derivation under ``derivations/`` runs to its final asserts.

They are jupytext py:percent sources: as plain Python scripts each proves its theorems with
SymPy and ends in asserts, so a derivation that drifts from the library fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DERIVATIONS = sorted((ROOT / "derivations").glob("*.py"))


def test_derivations_exist():
    assert len(DERIVATIONS) >= 6, [p.name for p in DERIVATIONS]


@pytest.mark.parametrize("path", DERIVATIONS, ids=[p.stem for p in DERIVATIONS])
def test_derivation_runs_to_its_asserts(path):
    done = subprocess.run(
        [sys.executable, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    output = f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, f"{path.name} failed:\n{output}"
