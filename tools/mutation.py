"""Mutation testing for symkde: would the tests notice if the code were wrong?

A small AST mutator with mutmut's classic operators, run over the numeric core and the theorem
modules.  Each mutant is one small change -- a flipped comparison (``<`` -> ``<=``), a swapped
arithmetic operator (``+`` -> ``-``), a changed constant (``n`` -> ``n + 1``), a dropped ``abs``
or unary minus, ``and`` <-> ``or``, ``max`` <-> ``min``, ``any`` <-> ``all``, a deleted ``raise``,
a negated ``if``.  Docstrings, f-strings (error messages), annotations and ``assert`` lines are
not mutated.  A mutant is *killed* when the module's tests fail on it, *survives* when they pass,
and *times out* (counted as killed, listed) when it runs past 3x the baseline.

How it runs: the repository's ``symkde/``, ``tests/``, ``derivations/`` and ``pyproject.toml``
are copied to a scratch directory; NumPy, SciPy, SymPy, mpmath, hypothesis and pytest are
imported once; each mutant is written into the copy and a forked child runs
``pytest -x`` on the module's tests (``TARGETS``; first the module's own doctests).  The
baseline (no mutant) runs first: tests that already fail there are deselected and listed, so
a mutant is only "killed" by a test that passes on the real code.

    python tools/mutation.py                          # every target (slow: see --budget)
    python tools/mutation.py symkde/_validate.py      # one module
    python tools/mutation.py --sample 40 --seed 1 symkde/theorems/laplace.py
    python tools/mutation.py --list symkde/numeric.py          # the mutants, no run
    python tools/mutation.py --show 17 symkde/numeric.py       # one mutant as a diff
    python tools/mutation.py --jobs 2 --budget 3600 --json out.json

Exit status 0 iff every module reaches ``--target`` (default 0.90) killed.
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NUMERIC_TESTS = (
    "tests/test_validation.py",
    "tests/test_numeric.py",
    "tests/test_circle.py",
    "tests/test_kernels_circle.py",
    "tests/test_exact.py",
    "tests/test_properties.py",
    "tests/test_fuzz.py",
    "tests/test_accuracy.py",  # the mpmath grid: judges the quadrature mesh (slow, ~60 s)
)
#: Module -> the tests that judge its mutants (fast ones first: pytest -x stops at a failure).
TARGETS: dict[str, tuple[str, ...]] = {
    "symkde/_validate.py": ("tests/test_validation.py", "tests/test_fuzz.py"),
    "symkde/numeric.py": NUMERIC_TESTS,
}
THEOREM_TESTS = ("tests/test_theorems.py",)
#: hypothesis imports libcst to print a patch for a failing example; libcst warns on import,
#: and with warnings as errors the whole session aborts (INTERNALERROR) at the first failure.
LIBCST_WARNING = "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning"
#: Address space of one test run (the suite needs ~1.5 GB).
CHILD_MEMORY = 6 << 30
COPIED = ("symkde", "tests", "derivations", "pyproject.toml")


def default_targets() -> dict[str, tuple[str, ...]]:
    targets = dict(TARGETS)
    for path in sorted((ROOT / "symkde" / "theorems").glob("*.py")):
        if path.name != "__init__.py":
            targets[str(path.relative_to(ROOT))] = THEOREM_TESTS
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
    """One mutant: its number in the module, the line it changes and what it does."""

    index: int
    line: int
    description: str


class Mutator(ast.NodeTransformer):
    """Enumerates mutation sites in a fixed order; applies the one numbered ``target``."""

    def __init__(self, target: int = -1):
        self.target = target
        self.sites: list[Site] = []

    def _offer(self, node: ast.AST, description: str) -> bool:
        """Register a site; True if it is the one to apply."""
        index = len(self.sites)
        self.sites.append(Site(index, getattr(node, "lineno", 0), description))
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


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    module: str
    index: int
    line: int
    description: str
    status: str  # killed | survived | timeout | equivalent-syntax | error
    seconds: float


@dataclass
class ModuleReport:
    module: str
    tests: tuple[str, ...]
    total_sites: int
    deselected: list[str] = field(default_factory=list)
    baseline_seconds: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        return sum(o.status in statuses for o in self.outcomes)


def preload() -> None:
    """Import the heavy dependencies once, so each forked child starts warm.

    Not hypothesis: pytest must import its plugin itself (to rewrite its asserts).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.dont_write_bytecode = True
    import mpmath  # noqa: F401
    import numpy  # noqa: F401
    import pytest  # noqa: F401
    import scipy.special  # noqa: F401
    import sympy  # noqa: F401


def make_sandbox() -> Path:
    sandbox = Path(tempfile.mkdtemp(prefix="symkde-mutation-"))
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, sandbox / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        elif source.exists():
            shutil.copy2(source, sandbox / name)
    return sandbox


def _child(sandbox: Path, args: list[str], record: Path | None) -> None:
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

        class Recorder:
            def __init__(self) -> None:
                self.failed: list[str] = []

            def pytest_runtest_logreport(self, report):  # pytest hook
                if report.failed:
                    self.failed.append(report.nodeid)

        recorder = Recorder()
        options = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-W", LIBCST_WARNING]
        status = pytest.main([*args, *options], plugins=[recorder])
        if record is not None:
            record.write_text(json.dumps(recorder.failed))
        os._exit(int(status))
    except BaseException:
        import traceback

        (sandbox / "mutation-child-error.txt").write_text(traceback.format_exc())
        os._exit(99)


def run_tests(
    sandbox: Path, args: list[str], timeout: float, record: Path | None = None
) -> tuple[str, float]:
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(sandbox, args, record)
    deadline = start + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return ("passed" if code == 0 else f"failed({code})"), time.monotonic() - start
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout", time.monotonic() - start
        time.sleep(0.02)


def test_args(module: str, tests: tuple[str, ...], deselected: list[str]) -> list[str]:
    args = [module, *tests]
    for nodeid in deselected:
        args += ["--deselect", nodeid]
    return args


def run_module(
    module: str, tests: tuple[str, ...], indices: list[int], jobs: int, stop_at: float, log
) -> ModuleReport:
    source = (ROOT / module).read_text()
    sites = mutants(source)
    report = ModuleReport(module, tests, len(sites))
    sandboxes = [make_sandbox() for _ in range(jobs)]
    try:
        record = sandboxes[0] / "baseline-failures.json"
        status, seconds = run_tests(sandboxes[0], test_args(module, tests, []), 1800, record)
        report.deselected = json.loads(record.read_text()) if record.exists() else []
        report.baseline_seconds = seconds
        log(
            f"{module}: {len(sites)} mutants, baseline {status} in {seconds:.1f} s, "
            f"{len(report.deselected)} failing tests deselected"
        )
        if status == "timeout" or (status != "passed" and not report.deselected):
            crash = sandboxes[0] / "mutation-child-error.txt"
            detail = crash.read_text() if crash.exists() else ""
            raise RuntimeError(f"{module}: baseline {status}; cannot judge mutants\n{detail}")
        args = test_args(module, tests, report.deselected)
        timeout = 3 * seconds + 30
        original = ast.unparse(ast.parse(source))
        queue = list(indices)
        running: dict[int, tuple[int, int, float, Path]] = {}  # pid -> (index, slot, start, box)
        free = list(range(jobs))
        while queue or running:
            while queue and free and time.monotonic() < stop_at:
                index = queue.pop(0)
                site = sites[index]
                text = mutated_source(source, index)
                if text == original:
                    report.outcomes.append(
                        Outcome(
                            module, index, site.line, site.description, "equivalent-syntax", 0.0
                        )
                    )
                    continue
                slot = free.pop()
                box = sandboxes[slot]
                (box / module).write_text(text)
                pid = os.fork()
                if pid == 0:
                    _child(box, args, None)
                running[pid] = (index, slot, time.monotonic(), box)
            if not running:
                break
            time.sleep(0.02)
            for pid, (index, slot, start, box) in list(running.items()):
                done, wait_status = os.waitpid(pid, os.WNOHANG)
                elapsed = time.monotonic() - start
                if not done and elapsed < timeout:
                    continue
                if not done:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    verdict = "timeout"
                else:
                    code = os.waitstatus_to_exitcode(wait_status)
                    verdict = "survived" if code == 0 else "error" if code == 99 else "killed"
                site = sites[index]
                report.outcomes.append(
                    Outcome(module, index, site.line, site.description, verdict, elapsed)
                )
                (box / module).write_text(source)
                del running[pid]
                free.append(slot)
                done_count = len(report.outcomes)
                log(
                    f"  [{done_count}/{len(indices)}] #{index} line {site.line} "
                    f"{site.description}: {verdict} ({elapsed:.0f} s)"
                )
    finally:
        for box in sandboxes:
            shutil.rmtree(box, ignore_errors=True)
    return report


def summary_line(report: ModuleReport) -> str:
    killed = report.count("killed", "timeout")
    judged = killed + report.count("survived")
    score = killed / judged if judged else float("nan")
    return (
        f"{report.module}: {killed}/{judged} killed ({score:.1%}); "
        f"{report.count('timeout')} by timeout, {report.count('error')} errors, "
        f"{report.count('equivalent-syntax')} no-op; {report.total_sites} sites"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="modules to mutate (default: all targets)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--show", type=int, metavar="N", help="print mutant N as a diff and exit")
    parser.add_argument(
        "--sample", type=int, metavar="N", help="at most N mutants per module (seeded)"
    )
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument(
        "--budget",
        type=float,
        default=math_inf(),
        metavar="SECONDS",
        help="stop starting mutants after this much wall time",
    )
    parser.add_argument("--target", type=float, default=0.90)
    parser.add_argument("--json", type=Path, help="write every outcome here")
    args = parser.parse_args(argv)
    targets = default_targets()
    chosen = args.modules or list(targets)
    for module in chosen:
        if module not in targets:
            targets[module] = NUMERIC_TESTS
    if args.list or args.show is not None:
        for module in chosen:
            source = (ROOT / module).read_text()
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
    preload()
    stop_at = time.monotonic() + args.budget
    reports = []
    for module in chosen:
        count = len(mutants((ROOT / module).read_text()))
        indices = list(range(count))
        if args.sample and args.sample < count:
            indices = sorted(random.Random(f"{args.seed}:{module}").sample(indices, args.sample))
        reports.append(
            run_module(
                module,
                targets[module],
                indices,
                args.jobs,
                stop_at,
                lambda line: print(line, flush=True),
            )
        )
        print(summary_line(reports[-1]), flush=True)
    print("\nmutation score (killed = tests failed or timed out; no-op mutants excluded)")
    ok = True
    for report in reports:
        print("  " + summary_line(report))
        killed = report.count("killed", "timeout")
        judged = killed + report.count("survived")
        ok &= judged > 0 and killed / judged >= args.target
        for outcome in report.outcomes:
            if outcome.status == "survived":
                where = f"{report.module}:{outcome.line} #{outcome.index}"
                print(f"    survived {where}: {outcome.description}")
        for nodeid in report.deselected:
            print(f"    deselected (fails on the real code): {nodeid}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in reports], indent=1, default=str))
    return 0 if ok else 1


def math_inf() -> float:
    return float("inf")


if __name__ == "__main__":
    sys.exit(main())
