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
# # The Laplace kernel: moving points toward the target
#
# Per bin, moving every point toward $t$ by the same $d$ multiplies every Laplace kernel
# value by $e^{d/h}$, so the gradient is unchanged. On $[a, b]$ this holds only while no
# point is inside the interval; the seed's "centre" claim fails once a point passes an edge.
# Library: `symkde.theorems.laplace`.

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
# ## The seed's counterexample, integrated exactly by SymPy

# %%
from symkde.theorems.laplace import exact_integrated_gradient  # noqa: E402 - notebook cell

before = exact_integrated_gradient([0, 0], [3, 5], -1, 1)
after = exact_integrated_gradient([0, 0], [0, 2], -1, 1)
show("dL/dz_1 at x = (3, 5)", before)
show("dL/dz_1 at x = (0, 2)", after)
print(sp.N(before, 20), sp.N(after, 20))

# %%
NAMES = [
    "laplace_contraction_bin",
    "laplace_contraction_interval",
    "center_claim_bin",
    "center_claim_interval",
]
proofs = {name: walk(name) for name in NAMES}

# %%
assert all(proofs[name].holds for name in NAMES[:3])
assert proofs["center_claim_interval"].refuted
assert abs(sp.N(before, 30) + sp.Rational(38080, 10**5)) < 1e-5
assert abs(sp.N(after, 30) + sp.Rational(29884, 10**5)) < 1e-5
