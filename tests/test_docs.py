"""The documentation in ``docs/``: it builds without a warning, its examples run, its theorem
catalogue is current, and no page points outside the repository."""

from __future__ import annotations

import doctest
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import symkde

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: Every page a reader sees: the README and the docs' sources (the tutorials' real sources are
#: the notebooks, the benchmark page includes benchmarks/RESULTS.md).
PAGES = sorted(
    [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "benchmarks" / "RESULTS.md"]
    + [p for p in DOCS.rglob("*") if p.suffix in {".md", ".rst", ".py"}]
    + [p for p in (ROOT / "notebooks").glob("*.py")]
)


def _sphinx(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q"]
    return subprocess.run(
        [*command, "-d", str(out / "doctrees"), *extra, str(DOCS), str(out / "html")],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    return out, _sphinx(out)


def test_docs_build_without_warnings(built):
    _, done = built
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr


def test_api_page_lists_every_public_name(built):
    out, _ = built
    page = (out / "html" / "api.html").read_text()
    for name in [*symkde.__all__, *symkde.FRAMEWORKS]:
        module = inspect.ismodule(getattr(symkde, name))
        anchor = f'id="symkde-{name}"' if module else f'id="symkde.{name}"'
        assert anchor in page, f"symkde.{name} is missing from the API reference"


def test_tutorials_are_the_notebooks(built):
    out, _ = built
    for source in sorted((ROOT / "notebooks").glob("*.py")):
        page = (out / "html" / "tutorials" / f"{source.stem}.html").read_text()
        assert "Placeholder" not in page
        assert f"notebooks/{source.name}" in page


def test_a_warning_fails_the_build(tmp_path):
    # The same docs with one page excluded: the toctree entry pointing to it is a warning.
    done = _sphinx(tmp_path, "-D", "exclude_patterns=_build,changelog.md")
    assert done.returncode != 0
    assert "changelog" in done.stderr


@pytest.mark.parametrize("page", ["quickstart.md"])
def test_examples_in_docs_run(page):
    failures, tried = doctest.testfile(
        str(DOCS / page), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert tried > 0 and failures == 0


def test_theorem_catalogue_is_current():
    from tools import theorem_catalogue

    diff = theorem_catalogue.diff_against_committed()
    assert not diff, f"{diff}\nrun `{theorem_catalogue.COMMAND}`"


def test_stale_catalogue_is_detected(monkeypatch, tmp_path):
    from tools import theorem_catalogue

    stale = tmp_path / "theorems.md"
    stale.write_text(theorem_catalogue.CATALOGUE.read_text().replace("## `gradient`", "## `grad`"))
    monkeypatch.setattr(theorem_catalogue, "CATALOGUE", stale)
    assert "-## `grad`" in theorem_catalogue.diff_against_committed()


# -- no page points outside the repository ---------------------------------------------------

#: ``[text](target)``, ``![alt](target)``, MyST ``{include} target`` and
#: ``.. literalinclude:: target``.
_TARGET = re.compile(r"\]\(([^)\s]+)\)|\{(?:include|literalinclude)\}\s+(\S+)|include::\s+(\S+)")


def outside_targets(page: Path, text: str) -> list[str]:
    """The link and include targets of ``page`` that leave the repository or do not exist,
    and every mention of the development-only contract file (users do not have it)."""
    bad = [m for m in ("../shared", "API.md") if m in text]
    for match in _TARGET.finditer(text):
        target = next(g for g in match.groups() if g)
        if re.match(r"[a-z]+:|#", target):  # a URL (https:, mailto:) or an anchor
            continue
        resolved = (page.parent / target.split("#")[0]).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            bad.append(target)
    return bad


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_points_outside_the_repository(page):
    assert outside_targets(page, page.read_text()) == []


@pytest.mark.parametrize(
    "text",
    [
        "see [the contract](../shared/API.md)",
        "the contract is `API.md`",
        "![figure](../../elsewhere.png)",
        "[missing](docs/no_such_page.md)",
        "```{include} ../../outside.md\n```",
    ],
)
def test_outside_targets_are_found(text):
    assert outside_targets(ROOT / "README.md", text)


def test_readme_loss_example_runs():
    # The README's first Python example, as written; its binned loss must be the binned form of
    # the same loss (it once silently used another bandwidth: 0.5 for one, the default 1.0 for
    # the other), so the two differ only by the binning error (6e-8 here, M = 1024).
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"```python\n(.*?)```", readme, re.DOTALL)
    assert example is not None
    names: dict[str, object] = {}
    exec(compile(example.group(1), "README.md", "exec"), names)  # our own README, not user text
    loss, binned, ref = (float(names[k]) for k in ("L", "L_bins", "L_ref"))  # type: ignore[arg-type]
    assert abs(binned - loss) <= 1e-6 * abs(loss)
    assert abs(ref - loss) <= 1e-12 * max(1.0, abs(loss))


def test_package_does_not_point_to_the_private_contract():
    # Users have the package and docs/contract.md; the development notes are not shipped.
    sources = sorted((ROOT / "symkde").rglob("*.py"))
    found = [
        f"{path.relative_to(ROOT)}: {mention}"
        for path in sources
        for mention in ("../shared", "API.md")
        if mention in path.read_text()
    ]
    assert found == []


def test_every_readme_python_example_runs():
    # Our own README, executed block after block in one namespace as a reader would paste it.
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert len(blocks) >= 4
    names: dict[str, object] = {}
    for number, block in enumerate(blocks):
        exec(compile(block, f"README.md python block {number}", "exec"), names)
    assert np.shape(names["L"]) == (4096,)
    assert np.shape(names["d"].x) == (3,)  # type: ignore[attr-defined]
