"""Evidence for an 'equivalent' verdict: a numeric.py mutant against the real module.

Loads ``symkde/numeric/api.py`` of a commit twice -- as it is and with mutant N of
``tools/mutation.py`` applied -- and compares ``loss_and_grad`` on seeded random problems
(every kernel, line and circle, quadrature and bins, logit spreads up to ~600, points up to
1000 away).  Prints the largest difference (loss relative to max(1, |L|), gradient absolute)
and the problem where it occurred; a mutant that raises where the real module does not is
reported as such.  Used for the survivors listed as equivalent in tools/MUTATION.md.

    python tools/mutant_compare.py 15 --commit 1de7954 --trials 300
"""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mutation

MODULE = "symkde/numeric/api.py"
KERNELS = ("laplace", "gaussian", "cauchy", "boxcar", "triangle", "vonmises")


def load(text: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(text, name, "exec"), module.__dict__)  # the repository's own code
    return module


def random_problem(rng: np.random.Generator) -> tuple[tuple, dict]:
    n = int(rng.integers(1, 6))
    kernel = str(rng.choice(KERNELS))
    circular = kernel == "vonmises" or bool(rng.random() < 0.3)
    h = float(10 ** rng.uniform(-2.5, 1.5))
    z = rng.normal(0, 1, n) * 10 ** rng.uniform(0, 2.8)
    if circular:
        a = float(rng.uniform(-4, 2))
        b = a + float(rng.uniform(0.1, 2 * np.pi))
        x = rng.uniform(-10, 10, n)
    else:
        a = float(rng.uniform(-2, 1))
        b = a + float(10 ** rng.uniform(-1, 1))
        x = a + rng.normal(0, 1, n) * 10 ** rng.uniform(-1, 3)
    if kernel in ("boxcar", "triangle"):
        h = max(h, 2 * (b - a) + float(np.abs(x - a).max()))  # covered: a finite loss
    method = str(rng.choice(["quadrature", "bins"]))
    options = dict(
        kernel=kernel,
        bandwidth=h,
        circular=circular,
        method=method,
        bins=37 if method == "bins" else None,
    )
    return (z, x, a, b), options


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=int, help="mutant number (tools/mutation.py --list)")
    parser.add_argument("--commit", default="HEAD")
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    commit = mutation.resolve_commit(args.commit)
    source = mutation.committed_text(commit, MODULE)
    real = load(source, "symkde_numeric_real")
    mutant = load(mutation.mutated_source(source, args.index), "symkde_numeric_mutant")
    rng = np.random.default_rng(args.seed)
    worst, where = 0.0, None
    for _ in range(args.trials):
        problem, options = random_problem(rng)
        try:
            loss, grad = real.loss_and_grad(*problem, **options)
        except Exception:  # invalid or unsupported input: nothing to compare
            continue
        try:
            m_loss, m_grad = mutant.loss_and_grad(*problem, **options)
        except Exception as error:
            print(f"mutant {args.index} raised {type(error).__name__}: {error}")
            print(f"  on {problem} {options}")
            return 1
        diff = max(abs(m_loss - loss) / max(1.0, abs(loss)), float(np.abs(m_grad - grad).max()))
        if not diff <= worst:
            worst, where = diff, (problem, options)
    print(f"mutant {args.index} at {commit[:12]}: largest difference {worst:.3g}", end="")
    print(f" over {args.trials} problems")
    if where is not None:
        print(f"  on {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
