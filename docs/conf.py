"""Sphinx configuration of the symkde documentation (``sphinx-build -W -b html docs OUT``).

Why Sphinx and not MkDocs: the API reference is read from numpydoc docstrings, which Sphinx's
own autodoc and napoleon render with cross-references (``:func:`symkde.grad```) and no extra
parser; ``-W`` turns every broken reference or malformed docstring into a build error, which is
what ``tests/test_docs.py`` relies on; and the only addition to the test extra is myst-parser,
for the pages written in Markdown (MkDocs would need mkdocstrings, a Python handler and a
theme plugin for the same). The build reads nothing from the network: the theme is Sphinx's
built-in alabaster, and MathJax is only loaded by the reader's browser.

Two pages are assembled at build time, in memory, from files of the repository:

* the API reference (``api.rst``) lists every name of ``symkde.__all__``, so a name added to
  the package appears without editing the docs;
* each tutorial (``tutorials/*.md``) is its notebook's py:percent source, turned into Markdown
  by jupytext (prose as text, code as code blocks; outputs are produced by running the
  notebook, which the test suite does).
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import symkde  # noqa: E402

project = "symkde"
copyright = "2026, the symkde authors"
release = version = symkde.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
napoleon_google_docstring = True
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
# The optional frameworks: documented without being installed.
autodoc_mock_imports = [m for m in ("torch", "jax", "jaxlib") if not importlib.util.find_spec(m)]
html_theme = "alabaster"
html_static_path: list[str] = []
# The tutorials' sources on disk are placeholders (filled at build time): do not publish them.
html_copy_source = False
html_show_sourcelink = False

#: Marker in api.rst replaced by one autodoc entry per public name.
PUBLIC_NAMES = ".. symkde-public-names::"


def _autodoc_entry(name: str) -> str:
    obj = getattr(symkde, name)
    if inspect.ismodule(obj):
        title = f"``symkde.{name}``"
        return f"{title}\n{'-' * len(title)}\n\n.. automodule:: symkde.{name}\n   :members:\n"
    if isinstance(obj, type) and issubclass(obj, BaseException):
        return f".. autoexception:: symkde.{name}\n"
    if isinstance(obj, type):
        return f".. autoclass:: symkde.{name}\n   :members:\n"
    return f".. autofunction:: symkde.{name}\n"


#: The order a reader meets the functions in; any other public name follows alphabetically.
READING_ORDER = ("loss", "grad", "loss_and_grad", "derivatives", "log_density", "responsibilities")


def public_api() -> str:
    """The autodoc entries of ``symkde.__all__``: functions, then classes, then modules."""

    def kind(name: str) -> int:
        obj = getattr(symkde, name)
        return 2 if inspect.ismodule(obj) else 1 if isinstance(obj, type) else 0

    def rank(name: str) -> tuple[int, int, str]:
        first = READING_ORDER.index(name) if name in READING_ORDER else len(READING_ORDER)
        return kind(name), first, name

    names = sorted([*symkde.__all__, *symkde.FRAMEWORKS], key=rank)
    headings = {0: "Functions", 1: "Classes and exceptions"}
    parts = []
    for number, name in enumerate(names):
        heading = headings.get(kind(name))
        if heading and (number == 0 or kind(names[number - 1]) != kind(name)):
            parts.append(f"{heading}\n{'-' * len(heading)}\n")
        parts.append(_autodoc_entry(name))
    return "\n".join(parts)


def _tutorial_source(docname: str) -> Path | None:
    """``notebooks/<stem>.py`` for the page ``tutorials/<stem>``; None for any other page."""
    if not docname.startswith("tutorials/") or docname == "tutorials/index":
        return None
    return ROOT / "notebooks" / (docname.removeprefix("tutorials/") + ".py")


def _tutorial(docname: str) -> str | None:
    """The py:percent source of ``notebooks/<stem>.py`` as Markdown, for tutorials/<stem>."""
    source = _tutorial_source(docname)
    if source is None:
        return None
    import jupytext

    notebook = jupytext.reads(source.read_text(), fmt="py:percent")
    note = (
        f"\n\n*The source of this page is `notebooks/{source.name}`, a jupytext py:percent file "
        f"paired with `notebooks/{source.stem}.ipynb`: run it to see the outputs.*\n"
    )
    text: str = jupytext.writes(notebook, fmt="md")
    title_end = text.index("\n", text.index("# "))  # the note goes after the page's title
    return text[:title_end] + note + text[title_end:]


def _fill(app, docname: str, source: list[str]) -> None:  # type: ignore[no-untyped-def]
    if PUBLIC_NAMES in source[0]:
        source[0] = source[0].replace(PUBLIC_NAMES, public_api())
    tutorial = _tutorial(docname)
    if tutorial is not None:
        source[0] = tutorial


def _generated_pages(app, env, added, changed, removed):  # type: ignore[no-untyped-def]
    """Pages assembled from other files are re-read on every build, so none goes stale."""
    return ["api", *(d for d in env.found_docs if _tutorial_source(d) is not None)]


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("source-read", _fill)
    app.connect("env-get-outdated", _generated_pages)
    return {"parallel_read_safe": True}
