"""Stable SymPy nodes and the NumPy printer that knows them.

SymPy has ``sympy.codegen.numpy_nodes.logaddexp`` for two terms but no n-term
log-sum-exp and no scaled Bessel logarithm.  Each node here is a small theorem of its own
(``tests/test_nodes.py``): it rewrites back to the naive form, its derivative agrees with the
naive form's, and the printed stable code stays finite where the naive code overflows.

>>> from sympy import symbols, exp, log
>>> a, b, c = symbols("a b c", real=True)
>>> LogSumExp(a, b, c).rewrite("naive")
log(exp(a) + exp(b) + exp(c))
>>> LogSumExp(a, b).diff(a)
exp(a - LogSumExp(a, b))
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

__all__ = ["LogI0e", "LogSumExp", "StableNumPyPrinter"]


class LogSumExp(sp.Function):
    """``log(sum_k exp(a_k))`` for any number of terms, evaluated stably.

    The derivative with respect to term ``k`` is the softmax weight
    ``exp(a_k - LogSumExp(a))``; :meth:`rewrite` with ``"naive"`` (or ``exp``) gives the
    textbook form.  Printed by :class:`StableNumPyPrinter` as a max-shifted reduction.
    """

    is_real = True

    @classmethod
    def eval(cls, *args: sp.Expr) -> sp.Expr | None:
        if len(args) == 0:
            raise ValueError("LogSumExp: expected at least one term, got none")
        if len(args) == 1:
            return args[0]
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.exp(self.args[argindex - 1] - self)

    def _eval_rewrite_as_naive(self, *args: sp.Expr, **kwargs: Any) -> sp.Expr:
        return sp.log(sp.Add(*[sp.exp(a) for a in args]))

    _eval_rewrite_as_exp = _eval_rewrite_as_naive
    _eval_rewrite_as_log = _eval_rewrite_as_naive

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return self.rewrite("naive")._eval_evalf(prec)


class LogI0e(sp.Function):
    """``log(I0(k)) - k``: the logarithm of the exponentially scaled Bessel function ``i0e``.

    ``I0(k)`` overflows float64 near ``k = 710``; ``log(i0e(k))`` is finite for every
    ``k >= 0`` (about ``-log(2 pi k)/2`` for large ``k``).
    """

    is_real = True

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        k = self.args[0]
        return sp.besseli(1, k) / sp.besseli(0, k) - 1

    def _eval_rewrite_as_naive(self, k: sp.Expr, **kwargs: Any) -> sp.Expr:
        return sp.log(sp.besseli(0, k)) - k

    _eval_rewrite_as_besseli = _eval_rewrite_as_naive

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return self.rewrite("naive")._eval_evalf(prec)


class StableNumPyPrinter(NumPyPrinter):
    """NumPy printer that emits the stable forms of symkde's nodes.

    ``LogSumExp`` prints as ``numpy.logaddexp`` (two terms) or ``symkde.numeric.stable.logsumexp``
    over the stacked terms, ``LogI0e`` as ``numpy.log(scipy.special.i0e(k))``, and the
    dilogarithm ``polylog(2, z)`` as ``scipy.special.spence(1 - z)``.
    """

    def _print_And(self, expr: sp.And) -> str:
        # NumPyPrinter prints logical_and.reduce((...)), which fails for operands of
        # different (broadcastable) shapes; nest binary calls instead.
        fn = self._module_format("numpy.logical_and")
        out = self._print(expr.args[0])
        for arg in expr.args[1:]:
            out = f"{fn}({out}, {self._print(arg)})"
        return out

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        # (value, cond), (fallback, True) -> numpy.where: NumPyPrinter's numpy.select builds a
        # full array for the literal True and is several times slower on large blocks
        if len(expr.args) == 2 and expr.args[1].cond == sp.true:
            (value, cond), (fallback, _) = expr.args
            fn = self._module_format("numpy.where")
            return f"{fn}({self._print(cond)}, {self._print(value)}, {self._print(fallback)})"
        return super()._print_Piecewise(expr)

    def _print_LogSumExp(self, expr: LogSumExp) -> str:
        if len(expr.args) == 2:
            fn = self._module_format("numpy.logaddexp")
            return f"{fn}({self._print(expr.args[0])}, {self._print(expr.args[1])})"
        fn = self._module_format("symkde.numeric.stable.logsumexp")
        terms = ", ".join(self._print(a) for a in expr.args)
        return f"{fn}(({terms},))"

    def _print_polylog(self, expr: sp.polylog) -> str:
        # SymPy's NumPy printer has no polylog.  Li2(z) = spence(1 - z) (SciPy's spence is
        # int_1^z log(t)/(1 - t) dt, real for real z >= 0, i.e. for Li2 on z <= 1).
        order, z = expr.args
        if order != 2:
            raise NotImplementedError(f"polylog of order {order}: only Li2 maps to SciPy")
        return f"{self._module_format('scipy.special.spence')}({self._print(1 - z)})"

    def _print_LogI0e(self, expr: LogI0e) -> str:
        log = self._module_format("numpy.log")
        i0e = self._module_format("scipy.special.i0e")
        return f"{log}({i0e}({self._print(expr.args[0])}))"
