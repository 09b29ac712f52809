"""Exceptions raised by symkde."""

from __future__ import annotations

__all__ = ["ArgumentTypeError", "UncoveredTargetError"]


class UncoveredTargetError(ValueError):
    """The density is zero on part of the target, so the loss is infinite.

    Raised by ``grad`` / ``loss_and_grad`` when a compact kernel leaves a sub-interval
    of ``[a, b]`` uncovered; ``interval`` holds that sub-interval ``(lo, hi)``.
    """

    def __init__(self, interval: tuple[float, float]):
        self.interval = (float(interval[0]), float(interval[1]))
        lo, hi = self.interval
        super().__init__(
            f"a, b: the density is zero on [{lo!r}, {hi!r}] inside the target; the loss is "
            "infinite there and has no gradient (widen the bandwidth or move points closer)"
        )


class ArgumentTypeError(ValueError, TypeError):
    """An argument of the wrong type (a string for an array, a complex number, ...).

    Both a ``ValueError`` (docs/contract.md: bad input raises ValueError) and a ``TypeError``
    (what Python code expects for a wrong type).
    """
