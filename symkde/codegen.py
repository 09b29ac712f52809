"""Print the numeric kernels from their SymPy definitions (SymForce style).

``python -m symkde.codegen --update`` rewrites ``symkde/_generated/log_kernels.py``;
``python -m symkde.codegen --check`` exits 1 with a unified diff when the committed file
is stale.  ``tests/test_codegen.py`` regenerates into a temporary directory and fails with
the diff and this command.

For each kernel of :data:`symkde.kernels.KERNELS` two functions are printed (and a third,
``log_kernel_circ_<name>(u, h)``, for kernels whose wrapped form has a closed form):

``log_kernel_<name>(u, h)``
    ``log K_h(u)``, SymPy's :func:`symkde.kernels.log_density` (``-oo`` where ``K = 0``).
``log_kernel_ratio_<name>(t, x, y, h)``
    ``log K_h(t - x) - log K_h(t - y)`` in a form without cancellation: written in
    ``d = x - y`` and ``s = x + y`` (both formed first, exactly when the points nearly
    coincide or mirror each other), one branch per sign case of ``|t - x|`` and ``|t - y|``.
    With the Gaussian kernel and points 1000 bandwidths away the naive difference of two
    ``~5e5`` numbers loses 11 digits; this form loses none (NOTES.md, "Numerical traps").

The printer is :class:`symkde.nodes.StableNumPyPrinter`.
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import sys
from pathlib import Path

import sympy as sp

from symkde.kernels import KERNELS, Kernel, log_density, u, wrapped_log_density
from symkde.nodes import StableNumPyPrinter

__all__ = ["GENERATED", "generate", "log_kernel_ratio", "main", "render"]

#: The committed generated module.
GENERATED = Path(__file__).parent / "_generated" / "log_kernels.py"

t, x, y = sp.symbols("t x y", real=True)
#: ``d = x - y`` and ``s = x + y``: the ratio forms are written in these.
d, s = sp.symbols("d s", real=True)


def _sign_cases(expr: sp.Expr) -> list[tuple[sp.Expr, sp.Boolean]]:
    """Split ``expr`` on the signs of ``t - x`` and ``t - y`` (Abs removed in each case)."""
    abs_x, abs_y = sp.Abs(t - x), sp.Abs(t - y)
    if not expr.has(abs_x) and not expr.has(abs_y):
        return [(expr, sp.true)]
    cases = []
    for sx, sy in itertools.product((1, -1), repeat=2):
        cond = sp.And(
            (t >= x) if sx == 1 else (t < x),
            (t >= y) if sy == 1 else (t < y),
        )
        cases.append((expr.subs({abs_x: sx * (t - x), abs_y: sy * (t - y)}), cond))
    return cases


def log_kernel_ratio(kernel: Kernel) -> sp.Expr:
    """``log K(t - x) - log K(t - y)``, derived from the kernel and rewritten without cancellation.

    Args:
        kernel: a kernel of :data:`symkde.kernels.KERNELS`.

    Returns:
        A SymPy expression in ``t, d, s, h`` (``d = x - y``, ``s = x + y``) and, for
        piecewise kernels, ``t, x, y, h``; ``tests/test_codegen.py`` proves it equals the
        naive difference.

    >>> log_kernel_ratio(KERNELS["gaussian"])
    -d*(s - 2*t)/(2*h**2)
    """
    log_k = log_density(kernel.density)
    naive = log_k.subs(u, t - x) - log_k.subs(u, t - y)
    if isinstance(log_k, sp.Piecewise) or any(g.has(u) for g in log_k.atoms(sp.log)):
        # compact kernels and cauchy: values are logs of moderate numbers, nothing cancels
        return naive
    to_ds = {x: (s + d) / 2, y: (s - d) / 2}
    abs_x, abs_y = sp.Abs(t - x), sp.Abs(t - y)
    if naive.has(abs_x) and naive.has(abs_y):
        # alpha (|t - x| - |t - y|): multiply by the conjugate, so the difference of two
        # large distances becomes d (s - 2t) / (|t - x| + |t - y|): no cancellation, no branch
        a_sym, b_sym = sp.symbols("A B", nonnegative=True)
        linear = sp.expand(naive.subs({abs_x: a_sym, abs_y: b_sym}))
        alpha = linear.coeff(a_sym)
        if sp.simplify(linear - alpha * (a_sym - b_sym)) == 0 and not alpha.has(a_sym, b_sym):
            numerator = sp.factor(sp.expand(((t - x) ** 2 - (t - y) ** 2).subs(to_ds)))
            total = abs_x + abs_y
            return sp.Piecewise((alpha * numerator / total, total > 0), (0, True))

    def stable(case: sp.Expr) -> sp.Expr:
        case = sp.expand(case.subs(to_ds))
        # sum-to-product (fu) turns sin^2 a - sin^2 b into sin(a - b) sin(a + b)
        return sp.factor(sp.fu(case) if case.has(sp.sin, sp.cos) else case)

    pieces = [(stable(case), cond) for case, cond in _sign_cases(naive)]
    if len(pieces) == 1:
        return pieces[0][0]
    return sp.Piecewise(*pieces)


def _function(name: str, args: str, doc: str, body: list[str]) -> str:
    lines = [f"def {name}({args}):", f'    """{doc}"""', *[f"    {line}" for line in body]]
    return "\n".join(lines) + "\n"


def render() -> str:
    """The full text of the generated module."""
    printer = StableNumPyPrinter({"fully_qualified_modules": True, "inline": True})
    functions = []
    for name, kernel in KERNELS.items():
        log_k = kernel.log_density
        functions.append(
            _function(
                f"log_kernel_{name}",
                "u, h",
                f"log K_h(u) for the {name} kernel: {sp.sstr(log_k)}.",
                [f"return {printer.doprint(log_k)}"],
            )
        )
        ratio = log_kernel_ratio(kernel)
        body = []
        if ratio.has(d):
            body.append("d = x - y")
        if ratio.has(s):
            body.append("s = x + y")
        # common subexpressions (|t - x| + |t - y| appears in the guard and the value) once
        shared, (reduced,) = sp.cse(ratio, symbols=sp.numbered_symbols("common"))
        body += [f"{sym} = {printer.doprint(value)}" for sym, value in shared]
        body.append(f"return {printer.doprint(reduced)}")
        functions.append(
            _function(
                f"log_kernel_ratio_{name}",
                "t, x, y, h",
                f"log K_h(t - x) - log K_h(t - y) for the {name} kernel, d = x - y, s = x + y.",
                body,
            )
        )
        wrapped = wrapped_log_density(name)
        if wrapped is not None:
            functions.append(
                _function(
                    f"log_kernel_circ_{name}",
                    "u, h",
                    f"log of the wrapped {name} kernel sum_k K_h(u + 2 pi k): {sp.sstr(wrapped)}.",
                    [f"return {printer.doprint(wrapped)}"],
                )
            )
    imports = sorted(m for m in printer.module_imports if m)
    header = [
        f"# Generated by symkde.codegen from symkde/kernels.py with SymPy {sp.__version__}.",
        "# Do not edit: regenerate with `python -m symkde.codegen --update`.",
        '"""Log-kernels and stable log-kernel ratios, printed from their SymPy definitions."""',
        "",
        *[f"import {m}" for m in imports],
        "",
        "",
    ]
    info = {
        name: {
            "compact": k.compact,
            "kinks": k.kinks,
            "circular_only": k.circular_only,
            "stable_ratio": log_kernel_ratio(k).has(d),
            "wrapped_closed_form": wrapped_log_density(name) is not None,
        }
        for name, k in KERNELS.items()
    }
    tables = [
        "#: Facts about each kernel the numerics need (from symkde.kernels.KERNELS).",
        "KERNEL_INFO = {",
        *[f'    "{name}": {facts!r},' for name, facts in info.items()],
        "}",
        "",
        "LOG_KERNELS = {",
        *[f'    "{name}": log_kernel_{name},' for name in KERNELS],
        "}",
        "LOG_KERNEL_RATIOS = {",
        *[f'    "{name}": log_kernel_ratio_{name},' for name in KERNELS],
        "}",
        "WRAPPED_LOG_KERNELS = {",
        *[
            f'    "{name}": log_kernel_circ_{name},'
            for name in KERNELS
            if wrapped_log_density(name) is not None
        ],
        "}",
    ]
    return "\n".join(header) + "\n\n".join(functions) + "\n\n" + "\n".join(tables) + "\n"


def generate(output_dir: Path) -> Path:
    """Write the generated module into ``output_dir``; returns its path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / GENERATED.name
    target.write_text(render())
    return target


def diff_against_committed() -> str:
    """Unified diff between the committed module and a fresh render ('' when identical)."""
    committed = GENERATED.read_text() if GENERATED.exists() else ""
    return "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            render().splitlines(keepends=True),
            fromfile=f"committed {GENERATED.name}",
            tofile=f"regenerated with SymPy {sp.__version__}",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m symkde.codegen", description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--update", action="store_true", help="rewrite the committed module")
    group.add_argument("--check", action="store_true", help="exit 1 with a diff if stale")
    args = parser.parse_args(argv)
    if args.update:
        print(f"wrote {generate(GENERATED.parent)}")
        return 0
    diff = diff_against_committed()
    if diff:
        sys.stdout.write(diff)
        print("generated code is stale: run `python -m symkde.codegen --update`")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
