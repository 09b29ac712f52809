"""Mutation testing for symkde: would the tests notice if the code were wrong?

A small AST mutator with mutmut's classic operators, run over the numeric core and the theorem
modules.  Each mutant is one small change -- a flipped comparison (``<`` -> ``<=``), a swapped
arithmetic operator (``+`` -> ``-``), a changed constant (``n`` -> ``n + 1``), a dropped ``abs``
or unary minus, ``and`` <-> ``or``, ``max`` <-> ``min``, ``any`` <-> ``all``, a deleted ``raise``,
a negated ``if``.  Docstrings, f-strings (error messages), annotations and ``assert`` lines are
not mutated.  A mutant is *killed* when a test that passes on the real code fails on it,
*survives* when they all pass, is *not covered* (counted as survived) when no test runs its
line, and *times out* (counted as killed, listed) past 3x the expected time of its tests + 30 s.

What is measured is a commit, never the working tree: ``symkde/``, ``tests/``, ``derivations/``
and ``pyproject.toml`` of ``--commit`` (default ``HEAD``) are unpacked with ``git archive`` into
a scratch directory, so uncommitted edits (anyone's) cannot leak into a run.  The commit hash is
printed and written to ``--json``; a run refuses to start if the imported ``symkde`` is not the
unpacked copy.

How it runs: NumPy, SciPy, SymPy, mpmath and pytest are imported once; forked children run
pytest in the copy.  First the *baseline* (no mutant) runs every test of the module's list
(``TARGETS``) under coverage.py with one context per test, which records which tests execute
each line of the module; tests that fail on the real code are deselected and listed.  Then each
mutant is written into the copy and a child runs ``pytest -x`` on the module's own doctests plus
only the tests that executed the mutated statement, fastest first (baseline time).  A statement
that runs only at import (a module constant, a default argument) is charged to the tests that
run the statements reading the names it binds (through other module-level statements), or to
every test that touches the module if one of those names appears in another file.  With
``--recheck`` every survivor runs again against the module's full test list, so that a survivor
is not an artefact of the selection.

    python tools/mutation.py symkde/numeric/api.py --jobs 1 --json numeric.json   # full run
    python tools/mutation.py --sample 120 --seed 7 symkde/numeric/api.py          # seeded sample
    python tools/mutation.py --sample 120 --seed 7 --theorems                 # across theorems
    python tools/mutation.py --list symkde/numeric/api.py          # the mutants, no run
    python tools/mutation.py --show 17 symkde/numeric/api.py       # one mutant as a diff
    python tools/mutation.py --only 17,40 symkde/numeric/api.py    # just these mutants
    python tools/mutation.py --commit 1de7954 --sample 120 --seed 7 symkde/numeric/api.py
    python tools/mutant_compare.py 15 --commit 1de7954    # a survivor vs the real module

Scores: killed / (killed + survived + not covered), with a 95% Wilson interval when a sample
was drawn.  ``tools/MUTATION.md`` records the runs, the survivors judged equivalent and the
tests added.  Exit status 0 iff every module reaches ``--target`` (default 0.90) killed.
Needs ``coverage`` (in the ``test`` extra).
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import importlib
import io
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

NUMERIC_TESTS = (
    "tests/test_validation.py",
    "tests/test_numeric.py",
    "tests/test_numeric_mutants.py",
    "tests/test_coverage.py",
    "tests/test_circle.py",
    "tests/test_kernels_circle.py",
    "tests/test_exact.py",
    "tests/test_properties.py",
    "tests/test_fuzz.py",
    "tests/test_accuracy.py",  # the mpmath grid: judges the quadrature mesh (slow, ~60 s)
)
#: Module -> the tests that may judge its mutants (fast files first: pytest -x stops at a
#: failure).  Coverage then narrows each mutant to the tests that run its line.
TARGETS: dict[str, tuple[str, ...]] = {
    "symkde/numeric/validate.py": ("tests/test_validation.py", "tests/test_fuzz.py"),
    "symkde/numeric/api.py": NUMERIC_TESTS,
    "symkde/numeric/mixture.py": NUMERIC_TESTS,
    "symkde/numeric/images.py": NUMERIC_TESTS,
    "symkde/numeric/coverage.py": NUMERIC_TESTS,
    "symkde/numeric/bins.py": NUMERIC_TESTS,
    "symkde/numeric/quadrature.py": NUMERIC_TESTS,
}
THEOREM_TESTS = (
    "tests/test_adversarial.py",
    "tests/test_theorems_hypotheses.py",
    "tests/test_theorems.py",
    "tests/test_theorems_circle.py",
    "tests/test_theorems_mutants.py",
    "tests/test_theorems_derivative_closed_forms.py",
    "tests/test_theorems_derivatives.py",
    "tests/test_theorems_far_bounds.py",
    "tests/test_theorems_landscape.py",
    "tests/test_theorems_rewrites.py",
)
#: hypothesis imports libcst to print a patch for a failing example; libcst warns on import,
#: and with warnings as errors the whole session aborts (INTERNALERROR) at the first failure.
LIBCST_WARNING = "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning"
#: Address space of one test run (the suite needs ~1.5 GB).
CHILD_MEMORY = 6 << 30
COPIED = ("symkde", "tests", "derivations", "pyproject.toml")


def theorem_modules(commit: str) -> list[str]:
    """The theorem modules as they are in ``commit``."""
    names = git("ls-tree", "--name-only", commit, "symkde/theorems/").decode().split()
    return sorted(n for n in names if n.endswith(".py") and not n.endswith("__init__.py"))


def default_targets(commit: str) -> dict[str, tuple[str, ...]]:
    targets = dict(TARGETS)
    for module in theorem_modules(commit):
        targets[module] = THEOREM_TESTS
    return targets


# --------------------------------------------------------------------------- the mutator

COMPARE_SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.In: ast.NotIn, ast.NotIn: ast.In,
}  # fmt: skip
BINOP_SWAPS: dict[type, type] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult,
    ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr,
}  # fmt: skip
CALL_SWAPS = {
    "max": "min", "min": "max", "maximum": "minimum", "minimum": "maximum",
    "any": "all", "all": "any", "floor": "ceil", "ceil": "floor",
    "argmax": "argmin", "argmin": "argmax", "isposinf": "isneginf", "isneginf": "isposinf",
}  # fmt: skip


@dataclass(frozen=True)
class Site:
    """One mutant: its number, the line it changes, what it does, and where it sits.

    ``span`` is the first and last line of the innermost statement holding the change (only
    the header of an ``if``/``for``/``def``...): the lines whose coverage says which tests
    run it.  ``top`` is the index of the enclosing top-level statement in the module body.
    """

    index: int
    line: int
    description: str
    span: tuple[int, int] = (0, 0)
    top: int = -1


def header_span(stmt: ast.stmt) -> tuple[int, int]:
    """The lines of a statement that run when it starts: all of a simple statement, the
    header of a compound one (decorators and signature of a ``def``)."""
    start = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
    end: int | None
    if isinstance(stmt, ast.If | ast.While):
        end = stmt.test.end_lineno
    elif isinstance(stmt, ast.For | ast.AsyncFor):
        end = stmt.iter.end_lineno
    elif isinstance(stmt, ast.With | ast.AsyncWith):
        end = stmt.items[-1].context_expr.end_lineno
    elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        end = stmt.body[0].lineno - 1
    elif isinstance(stmt, ast.Try | ast.Match):
        end = stmt.lineno
    else:
        end = stmt.end_lineno
    return start, max(start, end or start)


class Mutator(ast.NodeTransformer):
    """Enumerates mutation sites in a fixed order; applies the one numbered ``target``."""

    def __init__(self, target: int = -1):
        self.target = target
        self.sites: list[Site] = []
        self._statements: list[ast.stmt] = []  # innermost last
        self._top = -1

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Module):
            for self._top, statement in enumerate(node.body):
                node.body[self._top] = self.visit(statement)
            return node
        if not isinstance(node, ast.stmt):
            return super().visit(node)
        self._statements.append(node)
        try:
            return super().visit(node)
        finally:
            self._statements.pop()

    def _offer(self, node: ast.AST, description: str) -> bool:
        """Register a site; True if it is the one to apply."""
        index = len(self.sites)
        line = getattr(node, "lineno", 0)
        span = header_span(self._statements[-1]) if self._statements else (line, line)
        self.sites.append(Site(index, line, description, span, self._top))
        return index == self.target

    # regions that are never mutated
    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return node

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        return node

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return node  # docstring
        return self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.returns = None if node.returns is None else node.returns  # not visited
        for field_name in ("decorator_list", "body"):
            setattr(node, field_name, [self.visit(n) for n in getattr(node, field_name)])
        node.args.defaults = [self.visit(d) for d in node.args.defaults]
        node.args.kw_defaults = [d if d is None else self.visit(d) for d in node.args.kw_defaults]
        node.body = [n for n in node.body if n is not None]
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return node
        return self.generic_visit(node)

    # operators
    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        for i, op in enumerate(node.ops):
            swap = COMPARE_SWAPS.get(type(op))
            if swap and self._offer(node, f"{type(op).__name__} -> {swap.__name__}"):
                node.ops[i] = swap()
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if any(
            isinstance(s, ast.Constant) and isinstance(s.value, str)
            for s in (node.left, node.right)
        ):
            return node  # string formatting
        swap = BINOP_SWAPS.get(type(node.op))
        if swap and self._offer(node, f"{type(node.op).__name__} -> {swap.__name__}"):
            node.op = swap()
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        swap = BINOP_SWAPS.get(type(node.op))
        if swap and self._offer(node, f"{type(node.op).__name__}= -> {swap.__name__}="):
            node.op = swap()
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.USub | ast.Not) and self._offer(
            node, f"drop unary {type(node.op).__name__}"
        ):
            return node.operand
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        swap = ast.Or if isinstance(node.op, ast.And) else ast.And
        if self._offer(node, f"{type(node.op).__name__} -> {swap.__name__}"):
            node.op = swap()
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, bool):
            if self._offer(node, f"{value} -> {not value}"):
                return ast.copy_location(ast.Constant(not value), node)
        elif isinstance(value, int):
            if self._offer(node, f"{value} -> {value + 1}"):
                return ast.copy_location(ast.Constant(value + 1), node)
        elif isinstance(value, float):
            new = value * 2 if value else 1.0
            if self._offer(node, f"{value!r} -> {new!r}"):
                return ast.copy_location(ast.Constant(new), node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "isinstance" and len(node.args) == 2:
            node.args[0] = self.visit(node.args[0])  # the type (union) is not mutated
            return node
        self.generic_visit(node)
        name = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else None
        )
        if name in ("abs", "fabs") and len(node.args) == 1 and not node.keywords:
            if self._offer(node, f"drop {name}()"):
                return node.args[0]
        if name in CALL_SWAPS and self._offer(node, f"{name} -> {CALL_SWAPS[name]}"):
            new_func = copy.deepcopy(func)
            if isinstance(new_func, ast.Name):
                new_func.id = CALL_SWAPS[name]
            else:
                assert isinstance(new_func, ast.Attribute)
                new_func.attr = CALL_SWAPS[name]
            node.func = new_func
        return node

    def visit_Raise(self, node: ast.Raise) -> ast.AST:
        if self._offer(node, "delete raise"):
            return ast.copy_location(ast.Pass(), node)
        return node  # exception messages are f-strings: nothing else to mutate

    def visit_If(self, node: ast.If) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.test, ast.Compare | ast.BoolOp | ast.UnaryOp) and self._offer(
            node, "negate if"
        ):
            node.test = ast.UnaryOp(ast.Not(), node.test)
        return node


def mutants(source: str) -> list[Site]:
    mutator = Mutator()
    mutator.visit(ast.parse(source))
    return mutator.sites


def mutated_source(source: str, index: int) -> str:
    tree = ast.parse(source)
    mutator = Mutator(index)
    tree = mutator.visit(tree)
    ast.fix_missing_locations(tree)
    return ast.unparse(tree)


# --------------------------------------------------------------------------- the commit


def git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=True).stdout


def resolve_commit(rev: str) -> str:
    return git("rev-parse", "--verify", f"{rev}^{{commit}}").decode().strip()


def committed_text(commit: str, path: str) -> str:
    return git("show", f"{commit}:{path}").decode()


def uncommitted(commit: str) -> list[str]:
    """Paths under COPIED that differ from ``commit`` in the working tree (they are ignored)."""
    out = git("status", "--porcelain", "--untracked-files=no", "--", *COPIED).decode()
    changed = {line[3:] for line in out.splitlines()}
    if commit != resolve_commit("HEAD"):
        changed |= set(git("diff", "--name-only", commit, "--", *COPIED).decode().split())
    return sorted(changed)


def make_sandbox(commit: str) -> Path:
    """``COPIED`` as they are in ``commit`` (``git archive``), in a new scratch directory."""
    sandbox = Path(tempfile.mkdtemp(prefix="symkde-mutation-"))
    with tarfile.open(fileobj=io.BytesIO(git("archive", "--format=tar", commit, *COPIED))) as tar:
        tar.extractall(sandbox, filter="data")
    return sandbox


def module_name(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".")


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    module: str
    index: int
    line: int
    description: str
    status: str  # killed | survived | not-covered | timeout | equivalent-syntax | error
    seconds: float
    tests: int = 0  # how many tests were selected (doctests not counted)
    selection: str = ""  # why those tests: line | import-time names | all | none
    killed_by: str = ""  # the first failing test
    recheck: str = ""  # survived | killed: the verdict of the full test list (--recheck)


@dataclass
class ModuleReport:
    module: str
    commit: str
    tests: tuple[str, ...]
    total_sites: int
    sampled: int = 0
    deselected: list[str] = field(default_factory=list)
    always: list[str] = field(default_factory=list)
    baseline_seconds: float = 0.0
    baseline_tests: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        return sum(o.status in statuses for o in self.outcomes)

    @property
    def killed(self) -> int:
        return self.count("killed", "timeout")

    @property
    def judged(self) -> int:
        return self.killed + self.count("survived", "not-covered")


def wilson(killed: int, total: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval of a proportion ``killed / total``."""
    if total == 0:
        return (0.0, 1.0)
    p = killed / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def preload() -> None:
    """Import the heavy dependencies once, so each forked child starts warm.

    Not hypothesis: pytest must import its plugin itself (to rewrite its asserts).  Not
    symkde: each child imports it from its own sandbox.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.dont_write_bytecode = True
    import coverage  # noqa: F401
    import mpmath  # noqa: F401
    import numpy  # noqa: F401
    import pytest  # noqa: F401
    import scipy.special  # noqa: F401
    import sympy  # noqa: F401


class _Session:
    """pytest plugin of a child: keeps only the selected tests, records failures, durations
    and (baseline) one coverage context per test."""

    def __init__(
        self, module: str, selected: set[str] | None, cov: Any, order: dict[str, float]
    ) -> None:
        self.module = module
        self.selected = selected
        self.order = order
        self.cov = cov
        self.failed: list[str] = []
        self.durations: dict[str, float] = {}
        self.started = time.monotonic()
        self.collect_seconds = 0.0

    def pytest_collection_modifyitems(self, session: Any, config: Any, items: list[Any]) -> None:
        self.collect_seconds = time.monotonic() - self.started
        if self.selected is None:
            return
        doctests = f"{self.module}::"
        keep = [i for i in items if i.nodeid.startswith(doctests) or i.nodeid in self.selected]
        # fastest first (by baseline time), so that -x stops early; the doctests lead
        keep.sort(key=lambda i: self.order.get(i.nodeid, 0.0))
        dropped = [i for i in items if i not in keep]
        items[:] = keep
        if dropped:
            config.hook.pytest_deselected(items=dropped)

    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> None:
        if self.cov is not None:
            self.cov.switch_context(item.nodeid)

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        if report.failed and report.nodeid not in self.failed:
            self.failed.append(report.nodeid)


def _child(
    sandbox: Path,
    module: str,
    args: list[str],
    selected: set[str] | None,
    record: Path | None,
    trace: tuple[str, ...],
    order: dict[str, float],
) -> None:
    """In the forked child: run pytest in the sandbox and exit with its status."""
    try:
        import resource

        # a runaway mutant (or test) gets a MemoryError, not the machine's memory
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, resource.RLIM_INFINITY))
        os.chdir(sandbox)
        sys.path.insert(0, str(sandbox))
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        import pytest

        cov = None
        if trace:
            import coverage

            cov = coverage.Coverage(
                data_file=None, config_file=False, include=[str(sandbox / m) for m in trace]
            )
            cov.start()
        # Imported before pytest collects the module's doctests: with --import-mode=importlib
        # that collection would otherwise load a second copy of the module, which the tests'
        # monkeypatching then misses (two tests of test_numeric.py failed on the real code).
        for name in (module, *trace):
            imported = importlib.import_module(module_name(name))
            if Path(imported.__file__ or "").resolve() != (sandbox / name).resolve():
                raise RuntimeError(f"{module_name(name)}: {imported.__file__} is not in {sandbox}")
        session = _Session(module, selected, cov, order)
        options = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-W", LIBCST_WARNING]
        status = pytest.main([*args, *options], plugins=[session])
        if cov is not None:
            cov.stop()
        if record is not None:
            foreign = sorted(
                f"{name}: {mod.__file__}"
                for name, mod in list(sys.modules.items())
                if (name == "symkde" or name.startswith(("symkde.", "tests.")))
                and getattr(mod, "__file__", None)
                and not Path(mod.__file__).resolve().is_relative_to(sandbox.resolve())
            )
            contexts: dict[str, dict[int, list[str]]] = {}
            if cov is not None:
                data = cov.get_data()
                for measured in data.measured_files():
                    name = str(Path(measured).resolve().relative_to(sandbox.resolve()))
                    contexts[name] = {
                        int(k): sorted(v) for k, v in data.contexts_by_lineno(measured).items()
                    }
            record.write_text(
                json.dumps(
                    {
                        "failed": session.failed,
                        "durations": session.durations,
                        "collect_seconds": session.collect_seconds,
                        "contexts": contexts,
                        "foreign": foreign,
                    }
                )
            )
        os._exit(int(status))
    except BaseException:
        import traceback

        (sandbox / "mutation-child-error.txt").write_text(traceback.format_exc())
        os._exit(99)


def start_child(
    sandbox: Path,
    module: str,
    args: list[str],
    selected: set[str] | None,
    record: Path | None = None,
    trace: tuple[str, ...] = (),
    order: dict[str, float] | None = None,
) -> int:
    pid = os.fork()
    if pid == 0:
        _child(sandbox, module, args, selected, record, trace, order or {})
    return pid


def wait_child(pid: int, deadline: float) -> str:
    """The child's end: passed, failed, error (it crashed) or timeout (killed at ``deadline``)."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return "passed" if code == 0 else "error" if code == 99 else "failed"
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout"
        time.sleep(0.02)


@dataclass
class Baseline:
    """What the unmutated tests did: failures, time per test, and who ran which line."""

    failed: list[str]
    durations: dict[str, float]
    collect_seconds: float
    tests_by_line: dict[int, set[str]]  # excluding the module's doctests and failing tests
    import_lines: set[int]  # lines run outside any test (at import or collection)
    seconds: float
    #: tests that failed under coverage but pass without it (a time box, e.g. test_fuzz.py's
    #: 5 s per call): their coverage is cut short, so they judge every mutant
    always: set[str] = field(default_factory=set)


#: (commit, modules, tests) -> each module's baseline: modules judged by the same tests share
#: one traced run (the theorem modules).
_BASELINES: dict[tuple[str, tuple[str, ...], tuple[str, ...]], dict[str, Baseline]] = {}


def get_baseline(
    sandbox: Path, commit: str, module: str, group: tuple[str, ...], tests: tuple[str, ...]
) -> Baseline:
    key = (commit, group, tests)
    if key not in _BASELINES:
        _BASELINES[key] = run_baseline(sandbox, group, tests)
    return _BASELINES[key][module]


def run_baseline(
    sandbox: Path, modules: tuple[str, ...], tests: tuple[str, ...]
) -> dict[str, Baseline]:
    record = sandbox / "baseline.json"
    start = time.monotonic()
    pid = start_child(sandbox, modules[0], [*modules, *tests], None, record, trace=modules)
    status = wait_child(pid, start + 3600)
    seconds = time.monotonic() - start
    crash = sandbox / "mutation-child-error.txt"
    if status in ("error", "timeout") or not record.exists():
        detail = crash.read_text() if crash.exists() else ""
        raise RuntimeError(f"{modules}: baseline {status}; cannot judge mutants\n{detail}")
    data = json.loads(record.read_text())
    if data["foreign"]:
        raise RuntimeError(f"{modules}: imported from outside the sandbox: {data['foreign']}")
    failed = set(data["failed"])
    always: set[str] = set()
    if failed:  # once more without coverage: which fail on the real code, which under tracing
        again = sandbox / "baseline-again.json"
        files = [*modules, *test_files(tests, failed)]
        pid = start_child(sandbox, modules[0], files, failed, again)
        wait_child(pid, time.monotonic() + 3 * seconds + 30)
        still = set(json.loads(again.read_text())["failed"]) if again.exists() else failed
        always = failed - still
        failed = still
    doctests = tuple(f"{m}::" for m in modules)
    baselines = {}
    for module in modules:
        tests_by_line: dict[int, set[str]] = {}
        import_lines: set[int] = set()
        for line, contexts in data["contexts"].get(module, {}).items():
            if "" in contexts:
                import_lines.add(int(line))
            chosen = {
                c for c in contexts if c and c not in failed | always and not c.startswith(doctests)
            }
            if chosen:
                tests_by_line[int(line)] = chosen
        baselines[module] = Baseline(
            sorted(failed),
            data["durations"],
            data["collect_seconds"],
            tests_by_line,
            import_lines,
            seconds,
            always,
        )
    return baselines


def bound_names(statement: ast.stmt) -> set[str]:
    """Names a top-level statement binds (assignment targets, def and class names)."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {statement.name}
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
        targets = [statement.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


class Selector:
    """Which tests judge a mutant, from the baseline's coverage contexts."""

    def __init__(self, source: str, baseline: Baseline, elsewhere: Callable[[str], bool]):
        self.tree = ast.parse(source)
        self.baseline = baseline
        self.elsewhere = elsewhere
        self.touching = set().union(*baseline.tests_by_line.values())
        # name -> header spans of the statements that read it, and their top-level index
        self.readers: dict[str, list[tuple[tuple[int, int], int]]] = {}
        for top, statement in enumerate(self.tree.body):
            self._collect_reads(statement, top, [statement])

    def _collect_reads(self, node: ast.AST, top: int, stack: list[ast.stmt]) -> None:
        for child in ast.iter_child_nodes(node):
            inner = [*stack, child] if isinstance(child, ast.stmt) else stack
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                self.readers.setdefault(child.id, []).append((header_span(stack[-1]), top))
            self._collect_reads(child, top, inner)

    def tests_on(self, span: tuple[int, int]) -> set[str]:
        found: set[str] = set()
        for line in range(span[0], span[1] + 1):
            found |= self.baseline.tests_by_line.get(line, set())
        return found

    def ran_at_import(self, span: tuple[int, int]) -> bool:
        return any(line in self.baseline.import_lines for line in range(span[0], span[1] + 1))

    def select(self, site: Site) -> tuple[set[str], str]:
        tests = self.tests_on(site.span)
        if tests:
            return tests, "line"
        if not self.ran_at_import(site.span):
            return set(), "none"
        top = self.tree.body[site.top] if 0 <= site.top < len(self.tree.body) else None
        if top is None:
            return self.touching, "all"
        if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef):
            # a default argument or decorator: judged by the tests that run the body
            end = top.end_lineno or top.lineno
            body = self.tests_on((top.body[0].lineno, end))
            return (body, "body") if body else (set(), "none")
        names, todo = set(), list(bound_names(top))
        tests: set[str] = set()
        while todo:
            name = todo.pop()
            if name in names:
                continue
            names.add(name)
            if self.elsewhere(name):
                return self.touching, f"all ({name} is used in another file)"
            for span, reader_top in self.readers.get(name, []):
                found = self.tests_on(span)
                tests |= found
                if not found and self.ran_at_import(span):  # read by another module constant
                    todo.extend(bound_names(self.tree.body[reader_top]))
        return tests, "names " + ",".join(sorted(names))


def word_in_other_files(sandbox: Path, module: str) -> Callable[[str], bool]:
    texts = [
        p.read_text()
        for folder in ("symkde", "tests")
        for p in sorted((sandbox / folder).rglob("*.py"))
        if p.resolve() != (sandbox / module).resolve()
    ]
    cache: dict[str, bool] = {}

    def used(name: str) -> bool:
        if name not in cache:
            pattern = re.compile(rf"\b{re.escape(name)}\b")
            cache[name] = any(pattern.search(t) for t in texts)
        return cache[name]

    return used


def test_files(tests: Iterable[str], selected: set[str]) -> list[str]:
    files = {nodeid.split("::")[0] for nodeid in selected}
    return [t for t in tests if t in files]


def run_module(
    module: str,
    group: tuple[str, ...],
    tests: tuple[str, ...],
    commit: str,
    indices: list[int],
    jobs: int,
    stop_at: float,
    recheck: bool,
    log: Callable[[str], None],
    save: Callable[[ModuleReport], None],
) -> ModuleReport:
    sandboxes = [make_sandbox(commit) for _ in range(jobs)]
    try:
        source = (sandboxes[0] / module).read_text()
        sites = mutants(source)
        tests = tuple(t for t in tests if (sandboxes[0] / t).exists())
        report = ModuleReport(module, commit, tests, len(sites), len(indices))
        baseline = get_baseline(sandboxes[0], commit, module, group, tests)
        report.deselected = baseline.failed
        report.always = sorted(baseline.always)
        report.baseline_seconds = baseline.seconds
        report.baseline_tests = len(baseline.durations)
        log(
            f"{module} @ {commit[:12]}: {len(sites)} mutants, baseline {baseline.seconds:.1f} s "
            f"under coverage ({len(baseline.durations)} tests), "
            f"{len(baseline.failed)} failing tests deselected, "
            f"{len(baseline.always)} failing only under coverage (they judge every mutant)"
        )
        selector = Selector(source, baseline, word_in_other_files(sandboxes[0], module))
        original = ast.unparse(ast.parse(source))
        queue = list(indices)
        # pid -> (index, slot, start, deadline, selected tests, how chosen)
        running: dict[int, tuple[int, int, float, float, set[str], str]] = {}
        free = list(range(jobs))

        def finish(
            site: Site, status: str, seconds: float, chosen: set[str], how: str, killer: str = ""
        ) -> None:
            report.outcomes.append(
                Outcome(
                    module, site.index, site.line, site.description, status, seconds,
                    len(chosen), how, killer,
                )
            )  # fmt: skip
            save(report)
            log(
                f"  [{len(report.outcomes)}/{len(indices)}] #{site.index} line {site.line} "
                f"{site.description}: {status} ({seconds:.0f} s, {len(chosen)} tests, {how})"
            )

        while queue or running:
            while queue and free and time.monotonic() < stop_at:
                index = queue.pop(0)
                site = sites[index]
                text = mutated_source(source, index)
                if text == original:
                    finish(site, "equivalent-syntax", 0.0, set(), "")
                    continue
                chosen, how = selector.select(site)
                if not chosen:
                    finish(site, "not-covered", 0.0, chosen, how)
                    continue
                chosen = chosen | baseline.always
                slot = free.pop()
                box = sandboxes[slot]
                (box / module).write_text(text)
                expected = baseline.collect_seconds + sum(
                    baseline.durations.get(t, 0.0) for t in chosen
                )
                args = [module, *test_files(tests, chosen), "-x"]
                start = time.monotonic()
                pid = start_child(
                    box, module, args, chosen, box / "record.json", order=baseline.durations
                )
                running[pid] = (index, slot, start, start + 3 * expected + 30, chosen, how)
            if not running:
                break
            time.sleep(0.02)
            for pid, (index, slot, start, deadline, chosen, how) in list(running.items()):
                done, wait_status = os.waitpid(pid, os.WNOHANG)
                if not done and time.monotonic() < deadline:
                    continue
                box = sandboxes[slot]
                if not done:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    verdict = "timeout"
                else:
                    code = os.waitstatus_to_exitcode(wait_status)
                    verdict = "survived" if code == 0 else "error" if code == 99 else "killed"
                killer = ""
                record = box / "record.json"
                if verdict == "killed" and record.exists():
                    failed = json.loads(record.read_text())["failed"]
                    killer = failed[0] if failed else ""
                record.unlink(missing_ok=True)
                (box / module).write_text(source)
                del running[pid]
                free.append(slot)
                finish(sites[index], verdict, time.monotonic() - start, chosen, how, killer)
        if recheck:
            rerun_survivors(report, sites, source, sandboxes[0], baseline, log)
            save(report)
    finally:
        for box in sandboxes:
            shutil.rmtree(box, ignore_errors=True)
    return report


def rerun_survivors(
    report: ModuleReport,
    sites: list[Site],
    source: str,
    box: Path,
    baseline: Baseline,
    log: Callable[[str], None],
) -> None:
    """Run each survivor against every test of the module's list that passes on the real code."""
    everything = set(baseline.durations) - set(baseline.failed)
    expected = baseline.collect_seconds + sum(baseline.durations.values())
    for outcome in report.outcomes:
        if outcome.status not in ("survived", "not-covered"):
            continue
        (box / report.module).write_text(mutated_source(source, outcome.index))
        start = time.monotonic()
        args = [report.module, *report.tests, "-x"]
        pid = start_child(
            box, report.module, args, everything, box / "record.json", order=baseline.durations
        )
        verdict = wait_child(pid, start + 3 * expected + 30)
        outcome.recheck = {"passed": "survived", "failed": "killed"}.get(verdict, verdict)
        record = box / "record.json"
        if verdict == "failed" and record.exists():
            failed = json.loads(record.read_text())["failed"]
            outcome.killed_by = failed[0] if failed else ""
        record.unlink(missing_ok=True)
        (box / report.module).write_text(source)
        log(f"  recheck #{outcome.index}: {outcome.recheck} {outcome.killed_by}")


def summary_line(report: ModuleReport) -> str:
    killed, judged = report.killed, report.judged
    score = killed / judged if judged else float("nan")
    text = (
        f"{report.module}: {killed}/{judged} killed ({score:.1%}); "
        f"{report.count('not-covered')} not covered, {report.count('timeout')} by timeout, "
        f"{report.count('error')} errors, {report.count('equivalent-syntax')} no-op; "
        f"{report.total_sites} sites"
    )
    if report.sampled < report.total_sites:
        lo, hi = wilson(killed, judged)
        text += f", sample of {report.sampled}: 95% Wilson [{lo:.1%}, {hi:.1%}]"
    return text


def main(argv: list[str] | None = None) -> int:
    assert __doc__ is not None
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="modules to mutate (default: all targets)")
    parser.add_argument("--commit", default="HEAD", help="the commit to measure (default HEAD)")
    parser.add_argument("--theorems", action="store_true", help="the theorem modules")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--show", type=int, metavar="N", help="print mutant N as a diff and exit")
    parser.add_argument("--only", metavar="N,M,...", help="run just these mutant numbers")
    parser.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="N mutants drawn at random (seeded): per module, or across them with --theorems",
    )
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument(
        "--budget",
        type=float,
        default=math.inf,
        metavar="SECONDS",
        help="stop starting mutants after this much wall time",
    )
    parser.add_argument(
        "--recheck", action="store_true", help="rerun survivors against the full test list"
    )
    parser.add_argument("--target", type=float, default=0.90)
    parser.add_argument("--json", type=Path, help="write every outcome here")
    args = parser.parse_args(argv)
    commit = resolve_commit(args.commit)
    targets = default_targets(commit)
    chosen = list(args.modules) + (theorem_modules(commit) if args.theorems else [])
    chosen = chosen or list(targets)
    for module in chosen:
        targets.setdefault(module, NUMERIC_TESTS)
    sources = {module: committed_text(commit, module) for module in chosen}
    if args.list or args.show is not None:
        for module in chosen:
            source = sources[module]
            if args.show is not None:
                text = mutated_source(source, args.show)
                diff = difflib.unified_diff(
                    ast.unparse(ast.parse(source)).splitlines(),
                    text.splitlines(),
                    module,
                    f"{module} (mutant {args.show})",
                    lineterm="",
                )
                print("\n".join(diff))
            else:
                for site in mutants(source):
                    print(f"{module}:{site.line}: #{site.index} {site.description}")
        return 0
    counts = {module: len(mutants(sources[module])) for module in chosen}
    picked = {module: list(range(n)) for module, n in counts.items()}
    if args.only:
        wanted = sorted({int(n) for n in args.only.split(",")})
        picked = {m: [i for i in wanted if i < counts[m]] for m in chosen}
    elif args.sample and args.theorems and not args.modules:
        pool = [(m, i) for m in chosen for i in range(counts[m])]
        draw = random.Random(f"{args.seed}:theorems").sample(pool, min(args.sample, len(pool)))
        picked = {m: sorted(i for mm, i in draw if mm == m) for m in chosen}
    elif args.sample:
        picked = {
            m: sorted(random.Random(f"{args.seed}:{m}").sample(range(n), min(args.sample, n)))
            for m, n in counts.items()
        }
    ignored = uncommitted(commit)
    print(f"measuring commit {commit}", flush=True)
    if ignored:
        print(f"  uncommitted changes not measured: {', '.join(ignored)}", flush=True)
    preload()
    stop_at = time.monotonic() + args.budget
    reports: list[ModuleReport] = []

    def save(current: ModuleReport | None = None) -> None:
        """Write the JSON (after every mutant: an interrupted run keeps what it measured)."""
        if not args.json:
            return
        done = [*reports, *([current] if current is not None else [])]
        payload = {
            "commit": commit,
            "uncommitted_not_measured": ignored,
            "argv": sys.argv[1:] if argv is None else argv,
            "reports": [asdict(r) for r in done],
        }
        args.json.write_text(json.dumps(payload, indent=1, default=str))

    # SIGTERM unwinds like Ctrl-C, so the sandboxes are removed
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    for module in chosen:
        if not picked[module]:
            continue
        group = tuple(m for m in chosen if picked[m] and targets[m] == targets[module])
        report = run_module(
            module,
            group,
            targets[module],
            commit,
            picked[module],
            args.jobs,
            stop_at,
            args.recheck,
            lambda line: print(line, flush=True),
            save,
        )
        report.total_sites = counts[module]
        reports.append(report)
        print(summary_line(report), flush=True)
    print(f"\nmutation score at {commit} (killed = a passing test failed or timed out;")
    print("survived includes not covered; no-op mutants excluded)")
    ok = True
    for report in reports:
        print("  " + summary_line(report))
        ok &= report.judged > 0 and report.killed / report.judged >= args.target
        for outcome in report.outcomes:
            if outcome.status in ("survived", "not-covered"):
                where = f"{report.module}:{outcome.line} #{outcome.index}"
                extra = f" [recheck: {outcome.recheck}]" if outcome.recheck else ""
                print(f"    {outcome.status} {where}: {outcome.description}{extra}")
        for nodeid in report.deselected:
            print(f"    deselected (fails on the real code): {nodeid}")
    if len(reports) > 1:
        killed = sum(r.killed for r in reports)
        judged = sum(r.judged for r in reports)
        lo, hi = wilson(killed, judged)
        score = killed / judged if judged else float("nan")
        print(f"  all: {killed}/{judged} killed ({score:.1%}); 95% Wilson [{lo:.1%}, {hi:.1%}]")
    save()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
