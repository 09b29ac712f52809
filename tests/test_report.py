"""``symkde report``: the Markdown names every theorem with its verdict and embeds real PNGs."""

from __future__ import annotations

import io
import re

import matplotlib.image
import pytest

from symkde import theorems
from symkde.cli import figures
from symkde.cli.derive import verdict
from symkde.cli.main import main
from symkde.cli.report import FIGURE_CAPTIONS, build_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One full report (every theorem, the numeric check, every figure), shared by the tests."""
    out_dir = tmp_path_factory.mktemp("report")
    stream = io.StringIO()
    path = build_report(out_dir, out=stream)
    return path, stream.getvalue()


def test_report_written(built):
    path, log = built
    assert path.name == "report.md" and path.is_file()
    assert "WARNING" not in log, log
    text = path.read_text(encoding="utf-8")
    assert "NOT EVERYTHING CHECKED OUT" not in text
    assert "## Numeric verification" in text and "did not run" not in text.lower()


def test_progress_bar(built):
    _, log = built
    steps = re.findall(r"\[[#-]{30}\]\s+(\d+)/(\d+)", log)
    assert steps, log
    total = int(steps[0][1])
    assert [int(done) for done, _ in steps] == list(range(total + 1))  # every step, in order


def test_every_theorem_with_its_verdict(built):
    path, _ = built
    text = path.read_text(encoding="utf-8")
    for theorem in theorems.all():
        assert f"`{theorem.name}`" in text, theorem.name
        section = text.split(f"### `{theorem.name}`", 1)[1].split("\n### ", 1)[0]
        assert "**Statement** $$" in section, theorem.name
        assert "**Verdict:** " in section, theorem.name
    # The summary table repeats each verdict, and the refuted claim says so.
    for theorem in theorems.all():
        row = next(line for line in text.splitlines() if line.startswith(f"| [`{theorem.name}`]"))
        assert row.endswith("| yes |"), row
    refuted = [t for t in theorems.all() if not t.expected]
    for theorem in refuted:
        assert verdict(theorem, theorem.prove()) in text


@pytest.mark.parametrize("name", list(figures.FIGURES))
def test_figure_is_a_real_png(built, name):
    path, _ = built
    png = path.parent / "figures" / f"{name}.png"
    data = png.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) < 5 * 2**20  # < 5 MB
    image = matplotlib.image.imread(png)
    height, width = image.shape[:2]
    assert width >= 400 and height >= 300, (width, height)
    assert image.std() > 0.01  # not a blank canvas
    text = path.read_text(encoding="utf-8")
    assert f"](figures/{name}.png)" in text and FIGURE_CAPTIONS[name] in text


def test_numeric_failure_is_loud(tmp_path):
    """A report without the numeric check says so at the top (fast: one theorem, one figure)."""
    stream = io.StringIO()
    path = build_report(
        tmp_path,
        out=stream,
        only=["center_claim_interval"],
        figures=["laplace_shift"],
        numeric=False,
    )
    text = path.read_text(encoding="utf-8")
    assert "NOT EVERYTHING CHECKED OUT" in text.split("## Summary")[0]
    assert "NUMERIC VERIFICATION DID NOT RUN" in text
    assert "WARNING: numeric verification did not run" in stream.getvalue()


def test_unknown_figure_rejected(tmp_path):
    with pytest.raises(ValueError, match="figures"):
        build_report(tmp_path, out=io.StringIO(), figures=["no_such_figure"])


def test_cli_dispatch(tmp_path, monkeypatch):
    """``symkde report --out DIR`` calls build_report and prints the path."""
    calls = []

    def fake(out_dir, out):
        calls.append(out_dir)
        return tmp_path / "report.md"

    monkeypatch.setattr("symkde.cli.report.build_report", fake)
    stream = io.StringIO()
    assert main(["report", "--out", str(tmp_path)], out=stream) == 0
    assert calls == [str(tmp_path)] and "report.md" in stream.getvalue()
