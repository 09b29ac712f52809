"""What a new user hit (issue 12), one test each: the numba cache, ``--version``, ``python -m
symkde``, ``symkde report`` without matplotlib, a ``True`` hypothesis, ``dir(symkde)``."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import sympy as sp

import symkde
from symkde.cli.derive import render_derivation
from symkde.cli.main import REPORT_NEEDS, main
from symkde.numeric import compiled
from symkde.theorems._core import Theorem, equal

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(symkde.__file__).resolve().parent


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code`` on this checkout, with ``env`` added to the environment."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": path, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# -- 1. numba's cache stays out of the installed package ------------------------------------


def _cached_dispatchers() -> list[object]:
    found = [f for f in vars(compiled).values() if getattr(f, "_cache", None) is not None]
    caching = [f for f in found if type(f._cache).__name__ == "FunctionCache"]
    assert caching, "compiled.py has no cache=True function: this test checks nothing"
    return caching


def test_numba_cache_outside_package():
    # A cache inside site-packages/symkde outlives `pip uninstall` and shadows the next install.
    for function in _cached_dispatchers():
        cache_path = Path(function._cache._cache_path).resolve()
        assert PACKAGE not in cache_path.parents, f"{function}: caches into {cache_path}"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"}, "/xdg/symkde/numba"),
        ({"XDG_CACHE_HOME": "", "HOME": "/home/u"}, "/home/u/.cache/symkde/numba"),
    ],
)
def test_user_cache_dir(monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert compiled._user_cache_dir() == expected


def test_numba_cache_dir_env_wins(tmp_path):
    # A fresh process: numba compiles into NUMBA_CACHE_DIR (a few seconds) and nowhere else.
    done = _python(
        "from symkde.numeric import compiled; print(compiled.count_sides._cache._cache_path)",
        NUMBA_CACHE_DIR=str(tmp_path),
        XDG_CACHE_HOME=str(tmp_path / "not-here"),
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(tmp_path)
    assert list(tmp_path.rglob("*.nbi")), "nothing was cached in NUMBA_CACHE_DIR"
    assert not (tmp_path / "not-here").exists()


# -- 6. --version and python -m symkde ------------------------------------------------------


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"symkde {symkde.__version__}"


def test_version_written_once():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "symkde.__version__"


def test_python_dash_m():
    done = subprocess.run(
        [sys.executable, "-m", "symkde", "--version"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"symkde {symkde.__version__}"


# -- 3. symkde report without matplotlib -----------------------------------------------------


def test_report_without_matplotlib(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    assert main(["report", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == REPORT_NEEDS
    assert 'pip install "symkde[report]"' in REPORT_NEEDS
    assert not (tmp_path / "report.md").exists()


# -- 7. no `True` among the printed hypotheses; dir(symkde) ----------------------------------


def _theorem_with_implied_hypothesis() -> Theorem:
    i = sp.Symbol("i", integer=True, positive=True)
    n = sp.Symbol("n", integer=True, positive=True)
    implied = sp.Le(1, i)  # SymPy evaluates it to True from i's assumptions
    assert implied is sp.true
    return Theorem(
        "implied", "a hypothesis SymPy already knows", sp.Eq((i + 1) ** 2, i**2 + 2 * i + 1),
        (implied, sp.Le(i, n)), lambda: [equal("expand", (i + 1) ** 2, i**2 + 2 * i + 1)],
    )  # fmt: skip


@pytest.mark.parametrize("style", ["text", "latex", "markdown"])
def test_derive_omits_hypotheses_that_are_true(style):
    theorem = _theorem_with_implied_hypothesis()
    hypotheses = render_derivation(theorem, theorem.prove(), style).splitlines()
    shown = next(line for line in hypotheses if "hypotheses" in line.lower() or "under" in line)
    assert "True" not in shown
    assert "i \\leq n" in shown or "i <= n" in shown  # the real hypothesis is still printed


def test_dir_shows_the_public_names_only():
    assert dir(symkde) == sorted([*symkde.__all__, *symkde.FRAMEWORKS, "__version__"])
    for name in [*symkde.__all__, *symkde.FRAMEWORKS]:
        assert getattr(symkde, name) is not None, name
    for private in ("Any", "importlib", "annotations", "numeric", "errors"):
        assert private not in dir(symkde)


def test_import_loads_no_framework_or_sympy():
    done = _python(
        "import sys, symkde; "
        "print(sorted({'torch', 'jax', 'sympy', 'matplotlib'} & set(sys.modules)))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
