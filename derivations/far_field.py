# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The far field: which kernels let far points learn less?
#
# All points recede from the bin together; `sympy.limit` takes $D \to \infty$.
# Library: `symkde.theorems.far_field`.

# %%
import sympy as sp

from symkde import theorems

try:  # rich output inside Jupyter, plain text as a script
    from IPython import get_ipython
    from IPython.display import Markdown, Math, display

    RICH = get_ipython() is not None
except ImportError:  # pragma: no cover - IPython is optional
    RICH = False


def say(text: str) -> None:
    """Markdown in a notebook, plain text in a terminal."""
    display(Markdown(text)) if RICH else print(text)


def show(label: str, expr: object) -> None:
    """One derivation line: LaTeX in a notebook, SymPy's string form in a terminal."""
    if RICH:
        display(Math(rf"\text{{{label}}}:\quad " + sp.latex(expr)))
    else:
        print(f"{label}: {sp.sstr(expr)}")


def walk(name: str) -> theorems.Proof:
    """Prove theorem ``name`` and show its statement and every checked step."""
    theorem = theorems.get(name)
    say(f"### {theorem.name}: {theorem.title}")
    show("statement", theorem.statement)
    proof = theorem.prove()
    for step in proof.steps:
        mark = "ok" if step.holds else ("counterexample" if step.counterexample else "FAILED")
        say(f"- [{mark}] {step.description}")
    return proof


# %%
from symkde.theorems.far_field import distance, far_gradient  # noqa: E402 - notebook cell

show("Cauchy gradient, first component", far_gradient("cauchy")[0])
show("Laplace gradient: d/dD", sp.simplify(far_gradient("laplace").diff(distance)).T)

# %%
NAMES = ["far_field_gaussian", "far_field_laplace", "far_field_cauchy"]
proofs = {name: walk(name) for name in NAMES}

# %%
assert all(proof.holds for proof in proofs.values())
