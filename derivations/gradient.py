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
# # The gradient of the softmax-KDE cross-entropy
#
# SymPy differentiates the per-bin loss $-\log p(t)$, $p(t) = \sum_j S_j K_j$, for a
# symbolic number of points $n$, and the integrated loss under the integral sign.
# Library: `symkde.model`, `symkde.theorems.gradient`.

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


# %% [markdown]
# ## The per-bin gradient, derived

# %%
from symkde.model import bin_loss, i, responsibility, softmax  # noqa: E402 - notebook cell
from symkde.theorems.gradient import collapse, derive_bin_gradient  # noqa: E402 - notebook cell

show("loss", bin_loss())
derived = derive_bin_gradient()
show("d loss / d z_i", derived)
assert sp.cancel(derived - collapse(softmax(i) - responsibility(i))) == 0

# %% [markdown]
# ## Every theorem of this topic, proved

# %%
NAMES = [
    "kernel_normalized_laplace",
    "kernel_normalized_gaussian",
    "kernel_normalized_boxcar",
    "kernel_normalized_triangle",
    "kernel_normalized_cauchy",
    "kernel_normalized_vonmises",
    "kde_normalized",
    "gradient",
    "gradient_integrated",
    "gradient_bounds",
    "one_hot",
    "partial_labels",
]
proofs = {name: walk(name) for name in NAMES}

# %%
assert all(proof.holds for proof in proofs.values())
