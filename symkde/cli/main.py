"""Command line: ``symkde verify``, ``symkde derive NAME``, ``symkde report --out DIR``.

``verify`` proves every theorem of the registry (a proof counts only if SymPy closes every
step; a known-false claim passes only when it is refuted with a counterexample) and then
cross-checks the NumPy code against the mpmath reference on a quick argument grid.  It exits
0 iff every verdict is the expected one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import NamedTuple, TextIO

__all__ = ["main"]


class _Summary(NamedTuple):
    """What ``verify`` prints of one proof: plain strings, so a worker process can send it."""

    name: str
    verdict: str
    steps: int
    seconds: float
    ok: bool
    failed: tuple[str, ...]
    #: (name, statement, citation) of every lemma the proof rests on.
    lemmas: tuple[tuple[str, str, str], ...]


def _summary(name: str) -> _Summary:
    """Prove one theorem of the registry and keep what the report prints."""
    import sympy as sp

    from symkde import theorems
    from symkde.cli.derive import verdict

    theorem = theorems.get(name)
    proof = theorem.prove()
    return _Summary(
        name=name,
        verdict=verdict(theorem, proof),
        steps=len(proof.steps),
        seconds=proof.seconds,
        ok=theorem.verdict_ok(proof),
        failed=tuple(f"{step.description}: {step.detail}" for step in proof.failed_steps),
        lemmas=tuple((lm.name, sp.sstr(lm.statement), lm.citation) for lm in proof.lemmas),
    )


def default_jobs() -> int:
    """The CPUs this process may run on (what ``--jobs`` defaults to)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _start_method() -> str:
    """How worker processes start: ``forkserver`` where the platform has it, else ``spawn``.

    Never ``fork``: a process that has loaded a multithreaded library (JAX, torch, numba's
    thread pool) may deadlock in a forked child, and the workers need nothing from this
    process (each imports the registry and proves its theorems from scratch).
    """
    import multiprocessing

    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _summaries(names: Sequence[str], jobs: int, out: TextIO) -> list[_Summary]:
    """Prove ``names`` with ``jobs`` worker processes (1: in this process), in registry order.

    Each theorem is proved from scratch in whichever process runs it (proofs share no state
    across theorems), so the verdicts do not depend on ``jobs``; only the order of the
    progress lines does.
    """
    total = len(names)
    done: dict[str, _Summary] = {}

    def report(summary: _Summary) -> None:
        done[summary.name] = summary
        mark = "ok" if summary.ok else "NOT AS EXPECTED"
        print(
            f"[{len(done):>2}/{total}] {summary.name}: {summary.verdict} "
            f"({summary.seconds:.2f} s, {mark})",
            file=out,
            flush=True,
        )

    if jobs <= 1 or total <= 1:
        for name in names:
            report(_summary(name))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context(_start_method())
        with ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=context) as pool:
            futures = [pool.submit(_summary, name) for name in names]
            for future in as_completed(futures):
                report(future.result())
    return [done[name] for name in names]


def _verify_theorems(out: TextIO, only: Sequence[str] | None, jobs: int = 1) -> bool:
    from symkde import theorems

    chosen = theorems.all() if not only else [theorems.get(name) for name in only]
    names = [t.name for t in chosen]
    print(f"proving {len(names)} theorems ({jobs} process{'es' if jobs > 1 else ''})", file=out)
    rows = _summaries(names, jobs, out)
    width = max(len(name) for name in names)
    print(file=out)
    print(f"{'theorem':<{width}}  {'verdict':<22} {'steps':>5} {'seconds':>8}  ok", file=out)
    for row in rows:
        print(
            f"{row.name:<{width}}  {row.verdict:<22} {row.steps:>5} "
            f"{row.seconds:>8.2f}  {'yes' if row.ok else 'NO'}",
            file=out,
        )
        for failed in row.failed if not row.ok else ():
            print(f"        step failed: {failed}", file=out)
    _print_lemmas(out, rows)
    return all(row.ok for row in rows)


def _print_lemmas(out: TextIO, rows: Sequence[_Summary]) -> None:
    """Every lemma the proofs rest on, one per line: name, statement, citation, users."""
    users: dict[tuple[str, str], list[str]] = {}
    citations: dict[tuple[str, str], str] = {}
    for row in rows:
        for name, statement, citation in row.lemmas:  # keyed by statement too: one name
            key = (name, statement)  # never hides two facts
            citations.setdefault(key, citation)
            users.setdefault(key, []).append(row.name)
    print(
        f"\nlemmas (facts SymPy cannot prove; each witnessed at 50 digits): {len(citations)}",
        file=out,
    )
    for (name, statement), citation in citations.items():
        used_by = ", ".join(users[name, statement])
        print(f"  {name}: {statement} | {citation} | used by {used_by}", file=out)


def _cmd_verify(args: argparse.Namespace, out: TextIO) -> int:
    start = time.perf_counter()
    ok = True
    if not args.numeric_only:
        ok &= _verify_theorems(out, args.theorem, args.jobs or default_jobs())
    if not args.theorems_only:
        from symkde.cli.verification import run_numeric_checks

        print("\nnumeric cross-check against the mpmath reference", file=out, flush=True)
        ok &= run_numeric_checks(out, quick=not args.full)
    seconds = time.perf_counter() - start
    print(
        f"\n{'ALL VERDICTS AS EXPECTED' if ok else 'SOME VERDICTS FAILED'} ({seconds:.1f} s)",
        file=out,
    )
    return 0 if ok else 1


def _cmd_derive(args: argparse.Namespace, out: TextIO) -> int:
    from symkde import theorems
    from symkde.cli.derive import render_derivation

    try:
        theorem = theorems.get(args.name)
    except KeyError as exc:
        print(f"symkde derive: {exc.args[0]}", file=sys.stderr)
        return 2
    style = "latex" if args.latex else "markdown" if args.markdown else "text"
    out.write(render_derivation(theorem, theorem.prove(), style))
    return 0


#: What ``symkde report`` says when matplotlib (the ``report`` extra) is not installed.
REPORT_NEEDS = 'symkde report: needs matplotlib; install it with: pip install "symkde[report]"'


def _cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    try:  # checked first: the report proves every theorem before it draws a figure
        import matplotlib  # noqa: F401
    except ModuleNotFoundError:
        print(REPORT_NEEDS, file=sys.stderr)
        return 2
    from symkde.cli.report import build_report

    path = build_report(args.out, out=out)
    print(f"wrote {path}", file=out)
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the ``symkde`` console script."""
    stream = out if out is not None else sys.stdout
    from symkde import __version__

    parser = argparse.ArgumentParser(prog="symkde", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"symkde {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="prove every theorem and cross-check the numerics")
    verify.add_argument("--theorem", action="append", help="only this theorem (repeatable)")
    part = verify.add_mutually_exclusive_group()
    part.add_argument("--theorems-only", action="store_true", help="skip the numeric check")
    part.add_argument("--numeric-only", action="store_true", help="skip the theorems")
    verify.add_argument("--full", action="store_true", help="the full numeric grid (slow)")
    verify.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="prove theorems in N processes (default: the CPUs available; 1: in this process)",
    )
    derive = sub.add_parser("derive", help="print one derivation step by step")
    derive.add_argument("name", help="theorem name (see `symkde verify`)")
    style = derive.add_mutually_exclusive_group()
    style.add_argument("--latex", action="store_true")
    style.add_argument("--markdown", action="store_true")
    report = sub.add_parser("report", help="write a Markdown report with figures")
    report.add_argument("--out", required=True, help="output directory")
    args = parser.parse_args(argv)
    command = {"verify": _cmd_verify, "derive": _cmd_derive, "report": _cmd_report}[args.command]
    return command(args, stream)


if __name__ == "__main__":
    raise SystemExit(main())
