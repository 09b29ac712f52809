"""The symbolic model: softmax weights, the KDE, the per-bin and integrated losses.

Two forms of every quantity:

* **general n** -- the points are ``IndexedBase`` objects (:data:`z`, :data:`x`) and every
  sum is a SymPy ``Sum`` over ``1..n`` with a symbolic :data:`n`;
* **concrete n** -- plain lists of SymPy expressions, one per point.

The kernel is either left abstract (the bin-level values ``K[j]``, positive, or the positive
function :data:`abstract_kernel` ``K(u)``) or taken from :mod:`symkde.symbolic.kernels`: any
kernel is a
SymPy expression in :data:`symkde.symbolic.kernels.u`, and the model substitutes ``u = t - x_j``.
No
kernel formula is typed here.

The derivations that use this model live in ``derivations/gradient.py`` and the theorems in
:mod:`symkde.theorems`.

>>> bin_loss()
-log(Sum(exp(z[j])*K[j]/Sum(exp(z[k]), (k, 1, n)), (j, 1, n)))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy as sp
from sympy.simplify.simplify import factor_sum

from symkde.symbolic.kernels import u

__all__ = [
    "K",
    "a",
    "abstract_kernel",
    "b",
    "bin_loss",
    "bin_loss_concrete",
    "i",
    "j",
    "k",
    "kde",
    "kde_concrete",
    "kernel_value",
    "loss",
    "loss_concrete",
    "n",
    "pull_constants_out_of_sums",
    "rename_summation_indices",
    "responsibilities_concrete",
    "responsibility",
    "softmax",
    "softmax_concrete",
    "substitute_indexed",
    "symbols_for",
    "t",
    "within_range",
    "x",
    "z",
]

#: The number of points (general n).
n = sp.Symbol("n", integer=True, positive=True)
#: ``i`` is a free point index; ``j`` and ``k`` are the summation indices of the KDE and of the
#: softmax normalizer.
i, j, k = sp.symbols("i j k", integer=True, positive=True)
#: Logits, positions, and abstract bin-level kernel values ``K_j = K(t - x_j) > 0``.
z = sp.IndexedBase("z", real=True)
x = sp.IndexedBase("x", real=True)
K = sp.IndexedBase("K", positive=True)
#: The bin (a point of the target) and the target interval ``[a, b]``.
t, a, b = sp.symbols("t a b", real=True)
#: An abstract positive kernel ``K(u)`` (an undefined SymPy function of :data:`u`).
abstract_kernel: sp.Expr = sp.Function("K", positive=True)(u)


def softmax(index: sp.Expr = i, logits: sp.IndexedBase = z, count: sp.Expr = n) -> sp.Expr:
    """The softmax weight ``S_index = exp(z_index) / sum_k exp(z_k)`` for general n.

    Args:
        index: the point index (a SymPy integer symbol or number).
        logits: the ``IndexedBase`` of logits.
        count: the number of points.

    Returns:
        ``exp(z[index]) / Sum(exp(z[k]), (k, 1, count))``.

    >>> softmax()
    exp(z[i])/Sum(exp(z[k]), (k, 1, n))
    """
    return sp.exp(logits[index]) / sp.Sum(sp.exp(logits[k]), (k, 1, count))


def kernel_value(
    kernel: sp.Expr | None = None,
    index: sp.Expr = j,
    point: sp.Expr = t,
    positions: sp.IndexedBase = x,
) -> sp.Expr:
    """The kernel at the offset of point ``index`` from the bin: ``K(point - x_index)``.

    Args:
        kernel: a SymPy expression in :data:`symkde.symbolic.kernels.u` (for example
            ``KERNELS["laplace"].density`` or :data:`abstract_kernel`), or ``None`` for the
            abstract positive bin-level value ``K[index]``.
        index: the point index.
        point: the bin ``t``.
        positions: the ``IndexedBase`` of point positions.

    Returns:
        ``K[index]`` when ``kernel`` is None, else ``kernel`` with ``u = point - x[index]``.

    >>> kernel_value()
    K[j]
    >>> kernel_value(abstract_kernel)
    K(t - x[j])
    """
    if kernel is None:
        return K[index]
    return kernel.subs(u, point - positions[index])


def kde(
    kernel: sp.Expr | None = None,
    point: sp.Expr = t,
    logits: sp.IndexedBase = z,
    positions: sp.IndexedBase = x,
    count: sp.Expr = n,
) -> sp.Expr:
    """The softmax-weighted KDE ``p(t) = sum_j S_j K(t - x_j)`` for general n.

    Args:
        kernel: see :func:`kernel_value` (``None``: abstract bin values ``K[j]``).
        point: the bin ``t``.
        logits: the ``IndexedBase`` of logits.
        positions: the ``IndexedBase`` of positions.
        count: the number of points.

    Returns:
        ``Sum(S_j * K_j, (j, 1, count))``.

    >>> kde()
    Sum(exp(z[j])*K[j]/Sum(exp(z[k]), (k, 1, n)), (j, 1, n))
    """
    weight = softmax(j, logits, count)
    return sp.Sum(weight * kernel_value(kernel, j, point, positions), (j, 1, count))


def bin_loss(kernel: sp.Expr | None = None, point: sp.Expr = t, **model: sp.Basic) -> sp.Expr:
    """The per-bin loss ``-log p(t)`` for general n.

    Args:
        kernel: see :func:`kernel_value`.
        point: the bin ``t``.
        **model: ``logits``, ``positions``, ``count`` as in :func:`kde`.

    Returns:
        ``-log(kde(kernel, point))``.

    >>> bin_loss(abstract_kernel)
    -log(Sum(K(t - x[j])*exp(z[j])/Sum(exp(z[k]), (k, 1, n)), (j, 1, n)))
    """
    return -sp.log(kde(kernel, point, **model))  # type: ignore[arg-type]


def responsibility(
    index: sp.Expr = i, kernel: sp.Expr | None = None, point: sp.Expr = t, **model: sp.Basic
) -> sp.Expr:
    """The responsibility ``R_i(t) = S_i K(t - x_i) / p(t)`` for general n.

    Args:
        index: the point index ``i``.
        kernel: see :func:`kernel_value`.
        point: the bin ``t``.
        **model: ``logits``, ``positions``, ``count`` as in :func:`kde`.

    Returns:
        ``S_i * K_i / p(t)``.

    >>> responsibility().subs({n: 2, i: 1}).doit().subs({z[1]: 0, z[2]: 0, K[1]: 1, K[2]: 3})
    1/4
    """
    logits = model.get("logits", z)
    positions = model.get("positions", x)
    count = model.get("count", n)
    weight = softmax(index, logits, count)  # type: ignore[arg-type]
    value = kernel_value(kernel, index, point, positions)  # type: ignore[arg-type]
    return weight * value / kde(kernel, point, **model)  # type: ignore[arg-type]


def loss(
    kernel: sp.Expr = abstract_kernel,
    lower: sp.Expr = a,
    upper: sp.Expr = b,
    **model: sp.Basic,
) -> sp.Expr:
    """The integrated loss ``L = -(1/(b-a)) Integral(log p(t), (t, a, b))`` for general n.

    Args:
        kernel: a kernel expression in :data:`symkde.symbolic.kernels.u` (default: the abstract
            one).
        lower, upper: the target interval ``[a, b]``.
        **model: ``logits``, ``positions``, ``count`` as in :func:`kde`.

    Returns:
        The unevaluated integral, scaled by ``-1/(b - a)``.

    >>> loss().args[-1]
    Integral(log(Sum(K(t - x[j])*exp(z[j])/Sum(exp(z[k]), (k, 1, n)), (j, 1, n))), (t, a, b))
    """
    density = kde(kernel, t, **model)  # type: ignore[arg-type]
    return -sp.Integral(sp.log(density), (t, lower, upper)) / (upper - lower)


# --------------------------------------------------------------------------- concrete n


def symbols_for(name: str, count: int, **assumptions: bool) -> list[sp.Symbol]:
    """``count`` symbols ``name1 .. name<count>`` with the given assumptions.

    Args:
        name: the stem, e.g. ``"z"``.
        count: how many (>= 1).
        **assumptions: SymPy assumptions (``real=True``, ``positive=True``, ...).

    Returns:
        The symbols, in order.

    >>> symbols_for("z", 3, real=True)
    [z1, z2, z3]
    """
    if count < 1:
        raise ValueError(f"count: expected at least 1, got {count}")
    return [sp.Symbol(f"{name}{m}", **assumptions) for m in range(1, count + 1)]


def softmax_concrete(logits: Sequence[sp.Expr]) -> list[sp.Expr]:
    """The softmax weights of concrete logits.

    Args:
        logits: one expression per point.

    Returns:
        ``[exp(z_m) / sum_k exp(z_k)]``.

    >>> softmax_concrete(sp.symbols("z1 z2"))
    [exp(z1)/(exp(z1) + exp(z2)), exp(z2)/(exp(z1) + exp(z2))]
    """
    total = sp.Add(*[sp.exp(v) for v in logits])
    return [sp.exp(v) / total for v in logits]


def kde_concrete(logits: Sequence[sp.Expr], kernel_values: Sequence[sp.Expr]) -> sp.Expr:
    """``p = sum_j S_j K_j`` for concrete n.

    Args:
        logits: one expression per point.
        kernel_values: the kernel at each point's offset from the bin.

    Returns:
        The mixture density at the bin.

    >>> kde_concrete([0, 0], [1, 3])
    2
    """
    if len(logits) != len(kernel_values):
        raise ValueError("kernel_values: expected one value per logit")
    weights = softmax_concrete(logits)
    return sp.Add(*[w * kv for w, kv in zip(weights, kernel_values, strict=True)])


def bin_loss_concrete(logits: Sequence[sp.Expr], kernel_values: Sequence[sp.Expr]) -> sp.Expr:
    """The per-bin loss ``-log p`` for concrete n.

    Args:
        logits: one expression per point.
        kernel_values: the kernel at each point's offset from the bin.

    Returns:
        ``-log(kde_concrete(logits, kernel_values))``.

    >>> bin_loss_concrete([0, 0], [1, 3])
    -log(2)
    """
    return -sp.log(kde_concrete(logits, kernel_values))


def responsibilities_concrete(
    logits: Sequence[sp.Expr], kernel_values: Sequence[sp.Expr]
) -> list[sp.Expr]:
    """The responsibilities ``R_i = S_i K_i / p`` for concrete n.

    Args:
        logits: one expression per point.
        kernel_values: the kernel at each point's offset from the bin.

    Returns:
        One responsibility per point (they sum to 1).

    >>> responsibilities_concrete([0, 0], [1, 3])
    [1/4, 3/4]
    """
    total = kde_concrete(logits, kernel_values)
    weights = softmax_concrete(logits)
    return [w * kv / total for w, kv in zip(weights, kernel_values, strict=True)]


def loss_concrete(
    logits: Sequence[sp.Expr],
    positions: Sequence[sp.Expr],
    kernel: sp.Expr,
    lower: sp.Expr = a,
    upper: sp.Expr = b,
) -> sp.Expr:
    """The integrated loss for concrete n, as an unevaluated integral over ``t``.

    Args:
        logits: one expression per point.
        positions: one position per point.
        kernel: a kernel expression in :data:`symkde.symbolic.kernels.u`.
        lower, upper: the target interval.

    Returns:
        ``-(1/(upper - lower)) Integral(log p(t), (t, lower, upper))``.

    >>> from symkde.symbolic.kernels import KERNELS
    >>> loss_concrete([0], [0], KERNELS["laplace"].density, -1, 1)
    -Integral(log(exp(-Abs(t)/h)/(2*h)), (t, -1, 1))/2
    """
    values = [kernel.subs(u, t - p) for p in positions]
    density = kde_concrete(logits, values)
    return -sp.Integral(sp.log(density), (t, lower, upper)) / (upper - lower)


# --------------------------------------------------------------------------- sum helpers


def pull_constants_out_of_sums(expr: sp.Expr) -> sp.Expr:
    """Linearity of ``Sum``: move factors free of the summation index outside every sum.

    Args:
        expr: any expression.

    Returns:
        ``expr`` with each ``Sum(c * f(j), (j, ...))`` written as ``c * Sum(f(j), (j, ...))``.

    >>> c = sp.Symbol("c")
    >>> pull_constants_out_of_sums(sp.Sum(c * K[j], (j, 1, n)))
    c*Sum(K[j], (j, 1, n))
    """
    expanded = sp.sympify(expr).replace(
        lambda e: isinstance(e, sp.Sum),
        lambda e: sp.Sum(sp.expand(sp.powsimp(e.function), power_exp=True), *e.limits),
    )
    return expanded.replace(lambda e: isinstance(e, sp.Sum), factor_sum)


def within_range(expr: sp.Expr, index: sp.Expr = i, count: sp.Expr = n) -> sp.Expr:
    """Resolve the ``Piecewise`` conditions ``1 <= index <= count`` that ``Sum.doit`` leaves.

    Collapsing ``Sum(KroneckerDelta(i, j) f(j), (j, 1, n))`` gives ``f(i)`` only when ``i`` is
    one of the indices; this applies that hypothesis with ``sympy.refine``.

    Args:
        expr: an expression from ``Sum(...).doit()``.
        index: the free index.
        count: the number of points.

    Returns:
        ``expr`` refined under ``1 <= index <= count``.

    >>> within_range(sp.Sum(sp.KroneckerDelta(i, j) * K[j], (j, 1, n)).doit())
    K[i]
    """
    return sp.refine(expr, sp.Q.le(index, count) & sp.Q.ge(index, 1))


def rename_summation_indices(expr: sp.Expr, to: sp.Symbol = j) -> sp.Expr:
    """Alpha-conversion: rename the bound index of every innermost ``Sum`` to ``to``.

    ``Sum(f(k), (k, 1, n))`` and ``Sum(f(j), (j, 1, n))`` are the same number; after renaming
    SymPy sees that they are the same expression.  A sum whose summand already contains ``to``
    as a free symbol is left alone.

    Args:
        expr: any expression.
        to: the canonical index.

    Returns:
        ``expr`` with innermost sums over ``to``.

    >>> rename_summation_indices(sp.Sum(z[k], (k, 1, n)) - sp.Sum(z[j], (j, 1, n)))
    0
    """

    def rename(s: sp.Sum) -> sp.Expr:
        if len(s.limits) != 1 or s.function.has(sp.Sum):
            return s
        var, lower, upper = s.limits[0]
        if var == to or to in s.function.free_symbols:
            return s
        return sp.Sum(s.function.xreplace({var: to}), (to, lower, upper))

    return sp.sympify(expr).replace(lambda e: isinstance(e, sp.Sum), rename)


def substitute_indexed(
    expr: sp.Expr, base: sp.IndexedBase, value: Callable[[sp.Expr], sp.Expr]
) -> sp.Expr:
    """Replace every ``base[index]`` by ``value(index)``, bound summation indices included.

    ``Expr.subs`` does not reach into a ``Sum`` over the index; this does, which is what
    "let ``K_j = f(j)`` for every ``j``" means.

    Args:
        expr: any expression.
        base: the ``IndexedBase`` to replace.
        value: maps an index to the replacement.

    Returns:
        ``expr`` with ``base[m]`` replaced by ``value(m)`` for every index ``m``.

    >>> substitute_indexed(sp.Sum(K[j], (j, 1, n)), K, lambda m: 2 * m)
    Sum(2*j, (j, 1, n))
    """
    return sp.sympify(expr).replace(
        lambda e: isinstance(e, sp.Indexed) and e.base == base,
        lambda e: value(*e.indices),
    )
