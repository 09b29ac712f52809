"""Print the numeric kernels from their SymPy definitions (SymForce style).

``python -m symkde.symbolic.codegen --update`` rewrites
``symkde/numeric/_generated/log_kernels.py``;
``python -m symkde.symbolic.codegen --check`` exits 1 with a unified diff when the committed file
is stale.  ``tests/test_codegen.py`` regenerates into a temporary directory and fails with
the diff and this command.

For each kernel of :data:`symkde.symbolic.kernels.KERNELS` two functions are printed (and a third,
``log_kernel_circ_<name>(u, h)``, for kernels whose wrapped form has a closed form):

``log_kernel_<name>(u, h)``
    ``log K_h(u)``, SymPy's :func:`symkde.symbolic.kernels.log_density` (``-oo`` where ``K = 0``).
``log_kernel_ratio_<name>(t, x, y, h)``
    ``log K_h(t - x) - log K_h(t - y)`` in a form without cancellation: written in
    ``d = x - y`` and ``s = x + y`` (both formed first, exactly when the points nearly
    coincide or mirror each other), one branch per sign case of ``|t - x|`` and ``|t - y|``.
    With the Gaussian kernel and points 1000 bandwidths away the naive difference of two
    ``~5e5`` numbers loses 11 digits; this form loses none (NOTES.md, "Numerical traps").

The printer is :class:`symkde.symbolic.nodes.StableNumPyPrinter`.

``symkde/numeric/_generated/laplace_forms.py`` holds the midpoint series of a short Laplace segment
(:func:`symkde.theorems.closed_forms.short_segment_series`, theorem ``laplace_short_segment``)
as two plain-arithmetic Horner functions, so that the compiled fast path
(:mod:`symkde.numeric.compiled`) can inline them, and the short-segment bandwidth moment
(:func:`symkde.theorems.derivatives_bandwidth.short_bandwidth_series`) that the compiled
derivatives (:mod:`symkde.numeric.derivative_rows`) inline.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import sympy as sp

from symkde.symbolic import codegen_cli
from symkde.symbolic.kernels import KERNELS, Kernel, h, log_density, u, wrapped_log_density
from symkde.symbolic.nodes import StableNumPyPrinter

__all__ = [
    "DERIVATIVES",
    "GENERATED",
    "SERIES",
    "generate",
    "log_kernel_derivatives",
    "log_kernel_ratio",
    "main",
    "render",
    "render_derivatives",
    "render_series",
]

#: The committed generated modules: the kernels, and the short-segment Laplace series.
GENERATED = Path(__file__).parent.parent / "numeric" / "_generated" / "log_kernels.py"
SERIES = Path(__file__).parent.parent / "numeric" / "_generated" / "laplace_forms.py"
#: The derivatives of each log-kernel in ``u`` and ``h`` (``symkde.numeric.derivatives``).
DERIVATIVES = Path(__file__).parent.parent / "numeric" / "_generated" / "log_kernel_derivatives.py"

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
        kernel: a kernel of :data:`symkde.symbolic.kernels.KERNELS`.

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
        "# Generated by symkde.symbolic.codegen from symkde/symbolic/kernels.py"
        f" with SymPy {sp.__version__}.",
        "# Do not edit: regenerate with `python -m symkde.symbolic.codegen --update`.",
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
        "#: Facts about each kernel the numerics need (from symkde.symbolic.kernels.KERNELS).",
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


def _horner(poly: sp.Expr, outer: sp.Symbol, inner: sp.Symbol) -> str:
    """``poly`` as nested Horner text in ``outer``, each coefficient Horner in ``inner``.

    Rationals print as ``p/q`` (a correctly rounded division of two exact integers).
    """
    coeffs = sp.Poly(poly, outer).all_coeffs()[::-1]  # c0, c1, ...
    text = ""
    for coeff in reversed(coeffs):
        term = f"({sp.pycode(sp.horner(coeff, wrt=inner))})"
        text = term if not text else f"{term} + {outer}*({text})"
    return text


def render_series() -> str:
    """The full text of the short-segment series module (``laplace_forms.py``)."""
    from symkde.theorems.closed_forms import (
        SHORT_SEGMENT,
        SHORT_SERIES_ORDER,
        T_shape,
        d2,
        half_dilog,
        q_shape,
        short_segment_series,
        w,
    )
    from symkde.theorems.derivatives_bandwidth import short_bandwidth_series

    series = short_segment_series()
    bandwidth_series = short_bandwidth_series()
    dilog = half_dilog()
    printer = StableNumPyPrinter({"fully_qualified_modules": True, "inline": True})
    # everything is printed before the header, which lists the modules the printer used
    dilog_text = {name: printer.doprint(expr) for name, expr in dilog.items() if name != "H_series"}
    dilog_text["H_series"] = printer.doprint(sp.horner(dilog["H_series"], wrt=w))
    header = [
        "# Generated by symkde.symbolic.codegen from symkde/theorems/closed_forms.py with SymPy "
        f"{sp.__version__}.",
        "# Do not edit: regenerate with `python -m symkde.symbolic.codegen --update`.",
        '"""Per-segment Laplace forms: the short-segment midpoint series (theorem',
        "``laplace_short_segment``; plain arithmetic, inlined by the compiled fast path",
        "symkde.numeric.compiled; the bandwidth moment of theorem",
        "``laplace_bandwidth_short_series``, symkde.numeric.derivative_rows) and the",
        "dilogarithm pieces of long segments (theorem",
        '``laplace_log_correction``; Li2 printed as scipy.special.spence)."""',
        "",
        *[f"import {m}" for m in sorted(m for m in printer.module_imports if m)],
        "",
        "#: Segments up to this length in bandwidths use the series (truncation below 2e-20 d",
        "#: for the loss and 3e-19 relative for the responsibility integrals).",
        f"SHORT_SEGMENT = {float(SHORT_SEGMENT)!r}",
        f"#: Taylor terms below v**{SHORT_SERIES_ORDER} about the midpoint are kept.",
        f"SERIES_ORDER = {SHORT_SERIES_ORDER}",
        "",
        "",
    ]
    log_doc = (
        "(1/d) int_0^d log(B e^{-s} + A e^{s-d}) ds - log(A + B) + d/2; "
        "d2 = d**2, T = (A - B)/(A + B)."
    )
    resp_doc = (
        "((A + B)/d) int_0^d ds/(B + A e^{2s-d}); d2 = d**2, q = B/(A + B) "
        "(at 1 - q: the e^{s-d} twin)."
    )
    functions = [
        _function(
            "laplace_short_log",
            "d2, T",
            log_doc,
            [f"return {_horner(series['log'], d2, T_shape)}"],
        ),
        _function(
            "laplace_short_resp",
            "d2, q",
            resp_doc,
            [f"return {_horner(series['resp'], d2, q_shape)}"],
        ),
        _function(
            "laplace_short_bandwidth",
            "d2, T",
            "P with int_0^d [s B e^{-s} + (d-s) A e^{s-d}]/(B e^{-s} + A e^{s-d}) ds = "
            "d**2/2 - d**3 P; d2 = d**2, T = (A - B)/(A + B) (theorem "
            "laplace_bandwidth_short_series).",
            [f"return {_horner(bandwidth_series, d2, T_shape)}"],
        ),
        _function(
            "laplace_half_dilog",
            "w",
            f"H(w) = int_0^w log(1 + e^(-2v)) dv for w >= 0: {sp.sstr(dilog['H'])}.",
            [f"return {dilog_text['H']}"],
        ),
        _function(
            "laplace_half_li2",
            "w",
            f"{sp.sstr(dilog['half_li2'])}: H(w1) - H(w0) without the constant.",
            [f"return {dilog_text['half_li2']}"],
        ),
        _function(
            "laplace_half_dilog_series",
            "w",
            "H(w) by its Taylor polynomial through w**11 (for 0 <= w < 0.1).",
            [f"return {dilog_text['H_series']}"],
        ),
    ]
    return "\n".join(header) + "\n\n".join(functions)


def log_kernel_derivatives(name: str, wrapped: bool = False) -> tuple[sp.Expr, sp.Expr] | None:
    """``(d/du log K_h(u), d/dh log K_h(u))`` differentiated by SymPy, or None.

    Compact kernels: the derivative of the piece inside the support (``|u| <= h``); the jumps
    at the support's ends are separate terms (:mod:`symkde.numeric.derivatives`).  ``wrapped``:
    the derivatives of the closed-form wrapped kernel (None for a kernel without one), with
    ``Mod(u, 2 pi)`` differentiated as ``u`` (their difference is a constant a.e.).  The Bessel
    ratio ``I1/I0`` of von Mises is printed as ``ive(1, k)/ive(0, k)`` (no overflow).

    >>> log_kernel_derivatives("laplace")
    (Piecewise((0, Eq(u, 0)), (-u/(h*Abs(u)), True)), (-h + Abs(u))/h**2)
    """
    if wrapped:
        expr = wrapped_log_density(name)
        if expr is None or name == "vonmises":
            return None
        if not expr.has(sp.Mod):
            return sp.diff(expr, u), sp.diff(expr, h)
        r = sp.Symbol("r", real=True)
        expr = expr.subs(sp.Mod(u, 2 * sp.pi), r)
        du, dh = sp.diff(expr, r), sp.diff(expr, h)
        return du.subs(r, sp.Mod(u, 2 * sp.pi)), dh.subs(r, sp.Mod(u, 2 * sp.pi))
    expr = KERNELS[name].log_density
    if isinstance(expr, sp.Piecewise):
        expr = expr.args[0][0]
    du, dh = sp.simplify(sp.diff(expr, u)), sp.simplify(sp.diff(expr, h))
    ive = sp.Function("ive")
    return du, dh.replace(sp.besseli, lambda order, k: ive(order, k))


def render_derivatives() -> str:
    """The full text of ``log_kernel_derivatives.py``."""
    printer = StableNumPyPrinter(
        {
            "fully_qualified_modules": True,
            "inline": True,
            "user_functions": {"ive": "scipy.special.ive"},
        }
    )
    functions = []
    tables: dict[str, list[str]] = {"LOG_KERNEL_DU": [], "LOG_KERNEL_DH": []}
    tables.update(WRAPPED_LOG_KERNEL_DU=[], WRAPPED_LOG_KERNEL_DH=[])
    for name in KERNELS:
        for wrapped in (False, True):
            pair = log_kernel_derivatives(name, wrapped)
            if pair is None:
                continue
            tag = "circ_" if wrapped else ""
            for var, expr in zip(("u", "h"), pair, strict=True):
                fname = f"dlog_kernel_{tag}d{var}_{name}"
                what = "wrapped " if wrapped else ""
                functions.append(
                    _function(
                        fname,
                        "u, h",
                        f"d/d{var} of log K_h(u), {what}{name} kernel: {sp.sstr(expr)}.",
                        [f"return {printer.doprint(expr)}"],
                    )
                )
                table = ("WRAPPED_" if wrapped else "") + f"LOG_KERNEL_D{var.upper()}"
                tables[table].append(f'    "{name}": {fname},')
    imports = sorted({m for m in printer.module_imports if m} | {"scipy.special"})
    header = [
        "# Generated by symkde.symbolic.codegen from symkde/symbolic/kernels.py"
        f" with SymPy {sp.__version__}.",
        "# Do not edit: regenerate with `python -m symkde.symbolic.codegen --update`.",
        '"""Derivatives of the log-kernels in u and h, differentiated and printed by SymPy."""',
        "",
        *[f"import {m}" for m in imports],
        "",
        "",
    ]
    table_text = [line for key, rows in tables.items() for line in (f"{key} = {{", *rows, "}")]
    return "\n".join(header) + "\n\n".join(functions) + "\n\n" + "\n".join(table_text) + "\n"


def _outputs() -> dict[Path, Callable[[], str]]:
    return {GENERATED: render, SERIES: render_series, DERIVATIVES: render_derivatives}


def generate(output_dir: Path) -> list[Path]:
    """Write every generated module into ``output_dir``; returns their paths."""
    return codegen_cli.write(_outputs(), output_dir)


def diff_against_committed() -> str:
    """Unified diff between the committed modules and a fresh render ('' when identical)."""
    return codegen_cli.diff(_outputs())


def main(argv: list[str] | None = None) -> int:
    return codegen_cli.main("symkde.symbolic.codegen", __doc__, _outputs, argv)


if __name__ == "__main__":
    raise SystemExit(main())
