"""``symkde verify``: the theorem table, the lemma lines and the exit code, in one process and
in several (``--jobs``): the verdicts must not depend on how many processes prove them."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest

from symkde import theorems
from symkde.cli import main as cli

CHEAP = ["logit_shift", "gradient_sum_zero", "kernel_normalized_vonmises"]


def _table(jobs: int) -> tuple[int, list[str]]:
    out = io.StringIO()
    args = ["verify", "--theorems-only", f"--jobs={jobs}"]
    for name in CHEAP:
        args += ["--theorem", name]
    code = cli.main(args, out)
    text = out.getvalue()
    rows = [re.sub(r"\s+\d+\.\d+\s+(yes|NO)$", r" \1", line) for line in text.splitlines()]
    return code, [r for r in rows if r.split(" ")[0] in CHEAP or r.startswith("  L-")]


def test_verdicts_do_not_depend_on_the_number_of_processes() -> None:
    one, rows_one = _table(1)
    two, rows_two = _table(2)
    assert one == two == 0
    assert rows_one == rows_two
    assert any(r.startswith("  L-bessel-integral:") for r in rows_two)
    assert sum(r.endswith(" yes") for r in rows_two) == len(CHEAP)


def test_a_verdict_not_as_expected_fails_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    """A true theorem registered as expected-false must make ``verify`` exit 1 (in this
    process: worker processes import the registry afresh, so they cannot see the patch; the
    test above shows the workers' verdicts are the in-process ones)."""
    wrong = dataclasses.replace(theorems.get("logit_shift"), expected=False)
    assert not wrong.verdict_ok(wrong.prove())
    registry_get = theorems.get
    monkeypatch.setattr(
        theorems, "get", lambda name: wrong if name == "logit_shift" else registry_get(name)
    )
    out = io.StringIO()
    args = ["verify", "--theorems-only", "--jobs=1"]
    code = cli.main([*args, "--theorem", "logit_shift", "--theorem", "gradient_sum_zero"], out)
    assert code == 1
    assert "SOME VERDICTS FAILED" in out.getvalue()


def test_default_jobs_is_the_cpus_available() -> None:
    assert cli.default_jobs() >= 1
