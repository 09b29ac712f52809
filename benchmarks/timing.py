"""Shared helpers of the benchmark scripts: the median of repeated runs after a warm-up, and
the replacement of a script's generated block in ``RESULTS.md``."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls of ``fn`` after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def replace_block(results: Path, start: str, end: str, block: str) -> None:
    """Put ``block`` (which begins with the marker ``start`` and ends with ``end``) where
    ``results`` has the text from ``start`` to ``end``, or append it where it has none.

    A match that spans more than one ``## `` section means a lost end marker: refused
    (``SystemExit``), so a run never swallows other scripts' sections."""
    old = results.read_text(encoding="utf-8") if results.exists() else ""
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    found = pattern.search(old)
    if found and found.group(0).count("\n## ") > 1:
        raise SystemExit(f"{results}: the block {start} spans other sections; fix its markers")
    if found:
        new = pattern.sub(lambda _m: block, old)
    else:
        new = old.rstrip("\n") + "\n\n" + block
    results.write_text(new, encoding="utf-8")
