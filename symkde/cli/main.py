"""Command line: ``symkde verify``, ``symkde derive NAME``, ``symkde report --out DIR``.

``verify`` proves every theorem of the registry (a proof counts only if SymPy closes every
step; a known-false claim passes only when it is refuted with a counterexample) and then
cross-checks the NumPy code against the mpmath reference on a quick argument grid.  It exits
0 iff every verdict is the expected one.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["main"]


def _verify_theorems(out: TextIO, only: Sequence[str] | None) -> bool:
    from symkde import theorems
    from symkde.cli.derive import verdict

    chosen = theorems.all() if not only else [theorems.get(name) for name in only]
    rows = []
    ok_all = True
    width = max(len(t.name) for t in chosen)
    for number, theorem in enumerate(chosen, start=1):
        print(f"[{number:>2}/{len(chosen)}] proving {theorem.name} ...", file=out, flush=True)
        proof = theorem.prove()
        ok = theorem.verdict_ok(proof)
        ok_all &= ok
        rows.append((theorem, proof, ok))
        if not ok:
            for step in proof.failed_steps:
                print(f"        step failed: {step.description}: {step.detail}", file=out)
    print(file=out)
    print(f"{'theorem':<{width}}  {'verdict':<22} {'steps':>5} {'seconds':>8}  ok", file=out)
    for theorem, proof, ok in rows:
        print(
            f"{theorem.name:<{width}}  {verdict(theorem, proof):<22} {len(proof.steps):>5} "
            f"{proof.seconds:>8.2f}  {'yes' if ok else 'NO'}",
            file=out,
        )
    _print_lemmas(out, rows)
    return ok_all


def _print_lemmas(out: TextIO, rows: Sequence[tuple[Any, Any, bool]]) -> None:
    """Every lemma the proofs rest on, one per line: name, statement, citation, users."""
    import sympy as sp

    users: dict[tuple[str, str], list[str]] = {}
    lemmas: dict[tuple[str, str], Any] = {}
    for theorem, proof, _ in rows:
        for lemma in proof.lemmas:  # keyed by statement too: one name never hides two facts
            key = (lemma.name, sp.sstr(lemma.statement))
            lemmas.setdefault(key, lemma)
            users.setdefault(key, []).append(theorem.name)
    print(
        f"\nlemmas (facts SymPy cannot prove; each witnessed at 50 digits): {len(lemmas)}", file=out
    )
    for (name, statement), lemma in lemmas.items():
        used_by = ", ".join(users[name, statement])
        print(
            f"  {name}: {statement} | {lemma.citation} | used by {used_by}",
            file=out,
        )


def _cmd_verify(args: argparse.Namespace, out: TextIO) -> int:
    start = time.perf_counter()
    ok = True
    if not args.numeric_only:
        ok &= _verify_theorems(out, args.theorem)
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
