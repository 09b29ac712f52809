"""The notebooks: paired with their py:percent sources, committed without outputs, and run.

Each ``notebooks/NAME.py`` (jupytext py:percent, the source of truth) has a ``NAME.ipynb``
twin; after editing the source, ``jupytext --sync notebooks/NAME.py`` updates the twin.
Every notebook is executed top to bottom in a fresh kernel with nbclient; each ends with
assert cells, so a notebook whose results change fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9]*.py"))
#: One cell may prove a theorem by sympy.limit (far_field_laplace: ~15 s on this 2-core VM);
#: 240 s leaves room for a busy machine while still catching a hung kernel.
CELL_TIMEOUT = 240


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_every_topic_has_a_notebook():
    assert len(SOURCES) >= 5, [p.name for p in SOURCES]
    for source in SOURCES:
        assert source.with_suffix(".ipynb").exists(), f"{source.name} has no .ipynb twin"
    for notebook in NOTEBOOKS.glob("*.ipynb"):
        assert notebook.with_suffix(".py").exists(), f"{notebook.name} has no .py source"


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_pair_in_sync(source: Path):
    """The .ipynb holds the same cells as its py:percent source."""
    from_py = jupytext.read(source)
    from_ipynb = jupytext.read(source.with_suffix(".ipynb"))
    cells_py = [(c.cell_type, c.source) for c in from_py.cells]
    cells_nb = [(c.cell_type, c.source) for c in from_ipynb.cells]
    assert cells_nb == cells_py, f"out of sync: run `jupytext --sync {source}`"


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_outputs_stripped(source: Path):
    notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert not cell.get("outputs"), f"cell {number} has outputs"
            assert cell.get("execution_count") is None, f"cell {number} has a count"


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_notebook_runs(source: Path):
    """Execute in a fresh kernel; every assert cell must pass and every figure must render."""
    notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    images = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    calls = len(re.findall(r"figures\w*\.fig_", code))  # figures.fig_x, figures_circle.fig_y
    assert len(images) >= calls, "a figure did not render as PNG"
