"""``symkde report --out DIR``: a Markdown report with every theorem, the numeric check and figures.

:func:`build_report` writes ``DIR/report.md`` and ``DIR/figures/<name>.png``:

1. a summary (versions, how many verdicts came out as expected, whether the numeric
   cross-check ran and passed -- a failure is printed in bold at the top, never hidden);
2. the figures of :mod:`symkde.cli.figures` (PNG, Agg backend), each with one sentence;
3. the numeric verification table (``symkde.cli.verification.numeric_checks``: float64 API vs
   the mpmath reference, errors in units of eps);
4. every theorem of ``symkde.theorems.all()`` with its statement, proof steps in LaTeX and
   verdict (``symkde.cli.derive.render_derivation(..., "markdown")``).

A text progress bar is written to ``out`` while it works.
"""

from __future__ import annotations

import platform
import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

__all__ = ["FIGURE_CAPTIONS", "build_report"]

#: One sentence per figure (what it shows), in report order.
FIGURE_CAPTIONS: dict[str, str] = {
    "far_field": (
        "Gradient magnitude of one bin vs the distance of three receding points (n = 3, a "
        "unique nearest point): the Laplace gradient (not the loss) does not change at all, "
        "the Gaussian one tends to the one-hot cross-entropy and the Cauchy one decays like "
        "1/D to 0, each next to the limit its far_field theorem derives with sympy.limit "
        "(general n: far_field_general)."
    ),
    "laplace_shift": (
        "The seed's centre claim (h = 1, [a, b] = [-1, 1], x = (3, 5) shifted toward the "
        "centre): the single centre bin's gradient stays flat for every shift, the integrated "
        "one is flat only until the first point reaches the interval's edge and then bends to "
        "the counterexample value of center_claim_interval."
    ),
    "bins_convergence": (
        "Error of the binned (midpoint) Laplace loss and gradient against the exact closed "
        "form vs the number of bins M, for three bandwidths, with the M^-2 slope for reference."
    ),
    "ulp_errors": (
        "Float64 error of every kernel and method in units of machine epsilon against the "
        "mpmath reference, per regime (inside, edges, far on one side, far on both sides, "
        "logits of +-700, masked points), far below the API bound of 1e-12."
    ),
    "far_field_stability": (
        "Gradient error vs distance for symkde's log-space evaluation and a naive linear-space "
        "KDE: the naive gradient is NaN once the kernel values underflow (about 745 "
        "bandwidths for Laplace, 40 for Gaussian), symkde stays at the rounding level."
    ),
    "circle_kernels": (
        "The wrapped Laplace, Gaussian and Cauchy kernels and the von Mises kernel on "
        "[-pi, pi] for a narrow and a wide bandwidth, with the line kernels dashed: wrapping "
        "lifts the tails near the antipode."
    ),
    "circle_antipode": (
        "Laplace contraction invariance fails on the circle: moving both points toward the "
        "bin changes the wrapped-Laplace gradient, most when a point starts near the bin's "
        "antipode, while on the line the change is zero."
    ),
    "derivatives_far_field": (
        "symkde.derivatives with three points receding on one side of [0, 1]: the summed "
        "position derivative stays at 1/h for Laplace whatever the distance, grows like D/h^2 "
        "for the Gaussian and decays like 2/D for Cauchy (dashed: the limits); right, the "
        "bandwidth derivative next to its leading order."
    ),
    "training_curves": (
        "Plain gradient descent on the logits from a far start (one point at the target's "
        "centre with weight ~1e-13, the rest 10, 100 or 1000 bandwidths away): the centre "
        "point takes over within ~30 steps for boxcar and Gaussian at every distance and for "
        "Laplace from 100 bandwidths on; at 10 bandwidths Laplace's far tail explains the "
        "target better and the weight stays put, and heavy-tailed Cauchy never escapes."
    ),
}


class _Progress:
    """A small text progress bar: redrawn in place on a terminal, one line per step otherwise."""

    def __init__(self, total: int, out: TextIO, width: int = 30) -> None:
        self.total, self.out, self.width, self.done = total, out, width, 0
        self.start = time.perf_counter()
        isatty = getattr(out, "isatty", None)
        self.tty = bool(isatty and isatty())

    def step(self, label: str) -> None:
        """Announce the step about to run (the bar shows the steps finished so far)."""
        filled = int(self.width * self.done / max(1, self.total))
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        line = f"[{bar}] {self.done:>3}/{self.total} {elapsed:6.1f} s  {label}"
        if self.tty:
            self.out.write("\r" + line[:110].ljust(110))
        else:
            self.out.write(line + "\n")
        self.out.flush()
        self.done += 1

    def close(self, label: str = "done") -> None:
        self.done = self.total
        self.step(label)
        if self.tty:
            self.out.write("\n")
        self.out.flush()


@dataclass
class _Numeric:
    checks: list[Any] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.checks) and all(c.ok for c in self.checks)


def _versions() -> str:
    import matplotlib
    import mpmath
    import numpy
    import scipy
    import sympy

    import symkde

    return (
        f"symkde {symkde.__version__}, sympy {sympy.__version__}, mpmath {mpmath.__version__}, "
        f"numpy {numpy.__version__}, scipy {scipy.__version__}, matplotlib "
        f"{matplotlib.__version__}, Python {platform.python_version()}"
    )


def _numeric_table(numeric: _Numeric) -> list[str]:
    loss_rtol, grad_atol, ref_dps = 1e-12, 1e-12, "?"  # the contract, if verification won't import
    try:
        from symkde.cli import verification

        loss_rtol, grad_atol = verification.LOSS_RTOL, verification.GRAD_ATOL
        ref_dps = str(verification.REF_DPS)
    except Exception:  # the import error itself is reported by build_report
        pass
    eps = 2.0**-52

    lines = ["## Numeric verification: float64 API vs the mpmath reference", ""]
    if numeric.error is not None:
        lines += [
            "> **NUMERIC VERIFICATION DID NOT RUN — THIS REPORT IS INCOMPLETE.**",
            "",
            "```",
            numeric.error.rstrip(),
            "```",
            "",
        ]
        if not numeric.checks:
            return lines
    lines += [
        f"Quick seeded grid of `symkde.cli.verification.numeric_checks(quick=True)`, reference at "
        f"{ref_dps} digits. Errors in units of eps = {eps:.3e}: loss "
        "`|L - L_ref| / max(1, |L_ref|)`, gradient `max_i |g_i - g_ref_i|`. Bound (the contract): "
        f"loss {loss_rtol:g} relative = {loss_rtol / eps:.0f} eps, gradient {grad_atol:g} "
        f"absolute = {grad_atol / eps:.0f} eps.",
        "",
        "| kernel | method | cases | loss max (eps) | loss mean (eps) | grad max (eps) "
        "| grad mean (eps) | worst regime | ok |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for check in numeric.checks:
        groups[(check.kernel, check.method)].append(check)
    for (kernel, method), checks in groups.items():
        loss = [c.loss_err / eps for c in checks]
        grad = [c.grad_err / eps for c in checks]
        worst = max(checks, key=lambda c: max(c.loss_err / loss_rtol, c.grad_err / grad_atol))
        ok = all(c.ok for c in checks)
        lines.append(
            f"| {kernel} | {method} | {len(checks)} | {max(loss):.2f} | "
            f"{sum(loss) / len(loss):.2f} | {max(grad):.2f} | {sum(grad) / len(grad):.2f} | "
            f"{worst.regime} | {'yes' if ok else '**NO**'} |"
        )
    lines += ["", "<details><summary>Every comparison</summary>", ""]
    lines += [
        "| kernel | method | regime | loss err (eps) | grad err (eps) | ok |",
        "|---|---|---|---:|---:|---|",
    ]
    for c in numeric.checks:
        lines.append(
            f"| {c.kernel} | {c.method} | {c.regime} | {c.loss_err / eps:.2f} | "
            f"{c.grad_err / eps:.2f} | {'yes' if c.ok else '**NO**'} |"
        )
    lines += ["", "</details>", ""]
    return lines


def build_report(
    out_dir: str | Path,
    out: TextIO = sys.stdout,
    *,
    only: Iterable[str] | None = None,
    figures: Iterable[str] | None = None,
    numeric: bool = True,
) -> Path:
    """Write ``out_dir/report.md`` and ``out_dir/figures/*.png``; return the Markdown path.

    Args:
        out_dir: output directory (created if missing).
        out: stream for the progress bar and warnings.
        only: theorem names to include (default: every theorem of ``symkde.theorems.all()``).
        figures: names from ``symkde.cli.figures.FIGURES`` to draw (default: all).
        numeric: run the numeric cross-check against mpmath (default True; when False the
            report says it was skipped).

    Returns:
        The path of ``report.md``.
    """
    from symkde import theorems
    from symkde.cli import figures as figure_module
    from symkde.cli.derive import render_derivation, verdict

    start = time.perf_counter()
    out_dir = Path(out_dir)
    figure_dir = out_dir / "figures"
    figure_dir.mkdir(parents=True, exist_ok=True)
    names = list(figure_module.FIGURES) if figures is None else list(figures)
    unknown = [n for n in names if n not in figure_module.FIGURES]
    if unknown:
        raise ValueError(f"figures: unknown {unknown}; known: {list(figure_module.FIGURES)}")
    chosen = theorems.all() if only is None else [theorems.get(name) for name in only]
    progress = _Progress(len(chosen) + 1 + len(names) + 1, out)

    # Theorems: a prover that raises is reported as an error, not dropped.
    results: list[tuple[Any, Any, str | None]] = []
    for theorem in chosen:
        progress.step(f"proving {theorem.name}")
        try:
            results.append((theorem, theorem.prove(), None))
        except Exception:
            results.append((theorem, None, traceback.format_exc()))

    numeric_result = _Numeric()
    progress.step("numeric cross-check against mpmath" if numeric else "numeric check skipped")
    if numeric:
        try:
            from symkde.cli.verification import numeric_checks

            for check in numeric_checks(quick=True):
                numeric_result.checks.append(check)
        except Exception:
            numeric_result.error = traceback.format_exc()
    else:
        numeric_result.error = "skipped: build_report(..., numeric=False)"

    counterexample = next(
        (p.counterexample for t, p, _ in results if t.name == "center_claim_interval" and p),
        None,
    )
    drawn: dict[str, Path | str] = {}
    for name in names:
        progress.step(f"figure {name}")
        kwargs: dict[str, Any] = {}
        if name == "ulp_errors":
            if numeric_result.error is not None and not numeric_result.checks:
                drawn[name] = "not drawn: the numeric cross-check did not run"
                continue
            kwargs["checks"] = numeric_result.checks
        if name == "laplace_shift" and counterexample is not None:
            kwargs["counterexample"] = counterexample
        try:
            fig = figure_module.FIGURES[name](**kwargs)
            path = figure_dir / f"{name}.png"
            fig.savefig(path)
            drawn[name] = path
        except Exception:
            drawn[name] = "not drawn:\n" + traceback.format_exc()

    progress.step("writing report.md")
    expected = [p is not None and t.verdict_ok(p) for t, p, _ in results]
    problems: list[str] = []
    if not all(expected):
        bad = [t.name for (t, _, _), ok in zip(results, expected, strict=True) if not ok]
        problems.append(f"theorems not as expected: {', '.join(bad)}")
    if not numeric_result.ok:
        problems.append(
            "numeric verification "
            + ("did not run" if numeric_result.error and not numeric_result.checks else "failed")
        )
    failed_figures = [n for n, v in drawn.items() if isinstance(v, str)]
    if failed_figures:
        problems.append(f"figures not drawn: {', '.join(failed_figures)}")

    lines = [
        "# symkde report",
        "",
        "The softmax-weighted KDE cross-entropy: every theorem proved (or refuted) by SymPy, "
        "the float64 code cross-checked against mpmath, and figures computed from the package "
        "API.",
        "",
        f"Versions: {_versions()}.",
        "",
    ]
    if problems:
        lines += ["> **WARNING — NOT EVERYTHING CHECKED OUT:**"]
        lines += [f"> - **{p}**" for p in problems]
        lines += [""]
    numeric_line = (
        f"{sum(c.ok for c in numeric_result.checks)}/{len(numeric_result.checks)} comparisons "
        "within the API bounds"
        if numeric_result.checks
        else "**did not run**"
    )
    lines += [
        "## Summary",
        "",
        f"- Theorems: {sum(expected)}/{len(results)} verdicts as expected.",
        f"- Numeric verification: {numeric_line}"
        + (" — **FAILED**" if not numeric_result.ok else "")
        + ".",
        f"- Figures: {len(names) - len(failed_figures)}/{len(names)} drawn.",
        "",
        "| theorem | title | verdict | steps | seconds | as expected |",
        "|---|---|---|---:|---:|---|",
    ]
    for (theorem, proof, _), ok in zip(results, expected, strict=True):
        shown = "ERROR" if proof is None else verdict(theorem, proof)
        steps = "-" if proof is None else str(len(proof.steps))
        seconds = "-" if proof is None else f"{proof.seconds:.2f}"
        lines.append(
            f"| [`{theorem.name}`](#{theorem.name.replace('_', '-')}) | {theorem.title} | "
            f"{shown} | {steps} | {seconds} | {'yes' if ok else '**NO**'} |"
        )
    lines += ["", "## Figures", ""]
    for name in names:
        caption = FIGURE_CAPTIONS.get(name, name)
        value = drawn[name]
        lines += [f"### {name.replace('_', ' ')}", ""]
        if isinstance(value, Path):
            lines += [f"![{name}](figures/{value.name})", "", caption, ""]
        else:
            lines += [
                f"> **FIGURE {name} {value.splitlines()[0].upper()}**",
                "",
                "```",
                value.rstrip(),
                "```",
                "",
            ]
    lines += _numeric_table(numeric_result)
    lines += ["## Theorems", ""]
    for theorem, proof, error in results:
        lines.append(f'<a id="{theorem.name.replace("_", "-")}"></a>')
        lines.append("")
        if proof is None:
            lines += [
                f"### `{theorem.name}` — {theorem.title}",
                "",
                "> **THE PROVER RAISED AN EXCEPTION**",
                "",
                "```",
                str(error).rstrip(),
                "```",
                "",
            ]
            continue
        lines.append(render_derivation(theorem, proof, "markdown"))
        if theorem.reference:
            lines += [f"Walk-through: `{theorem.reference}`.", ""]
    lines += [f"_Built in {time.perf_counter() - start:.1f} s._", ""]
    report = out_dir / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    progress.close(f"wrote {report}")
    for problem in problems:
        print(f"WARNING: {problem}", file=out)
    return report
