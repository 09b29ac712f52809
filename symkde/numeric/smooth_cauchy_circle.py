"""Fast wrapped-Cauchy integrals on the circle: poles inside the unit disk, box expansions.

Owns :func:`loss_and_grad_cauchy_circle_row` (called for Cauchy rows on the circle by
:func:`symkde.numeric.smooth_cauchy.loss_and_grad_cauchy_row`) and its compiled loops;
imports NumPy, numba, the generated margins and the panel driver of
:mod:`symkde.numeric.smooth` (the adaptive quadrature stays the fallback).

With ``s = e^{ix}`` on the unit circle and the node's pole ``w = rho e^{it}``, ``rho = e^{-h}``,
the wrapped Cauchy kernel is ``2 pi K = (1 - rho^2) / |s - w|^2 = 1 + 2 Re[w / (s - w)]``
(the Poisson kernel).  So ``2 pi p(t) = W + 2 Re[w sum_j w_j / (s_j - w)]``, and the sum is a
sum of poles as on the line: points in angular boxes ``h/2`` wide (``|s - c| <= h/4``) and
every pole at least ``1 - e^{-h}`` from the circle give the ratio ``<= 7/25`` for
``1/50 <= h <= 1/5``, near or far; ``CIRCLE_CAUCHY_ORDER`` terms leave at most ``2**-60`` of
``p`` (theorem ``cauchy_multipole_remainder``'s argument with this ratio and
``2/(1 - rho^2) <= CIRCLE_SPAN``).  Outside that range of ``h``, or with fewer points than the
expansions cost, the sums are taken point by point with the stable form
``(1 - rho^2) / ((1 - rho)^2 + 4 rho sin^2((t - x)/2))``.  The gradient's transposed sums
expand the same poles about the boxes of points.

>>> import numpy as np
>>> from symkde.numeric.validate import validate
>>> row = validate([0.0, 1.0], [0.2, 3.0], 0.0, 1.0, kernel="cauchy", bandwidth=0.3,
...                circular=True)
>>> round(loss_and_grad_cauchy_circle_row(row)[0], 12)  # mpmath: 1.8793000201005694
1.879300020101
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from symkde.numeric._generated.smooth_bounds import (
    CIRCLE_CAUCHY_ORDER,
    CIRCLE_H_MAX,
    CIRCLE_H_MIN,
    DROP_MARGIN,
)
from symkde.numeric.mixture import _Mixture, _mixture
from symkde.numeric.smooth_cauchy import PoleSums, pole_row
from symkde.numeric.validate import Problem

__all__ = ["CirclePoles", "loss_and_grad_cauchy_circle_row"]

FloatArray = NDArray[np.float64]
TWO_PI = 2.0 * math.pi


def _jit(signature: str) -> Any:
    return numba.njit(signature, cache=True, nogil=True, error_model="numpy")


@_jit("void(f8[::1], f8[::1], i8[::1], i8[::1], f8[::1], c16[:, ::1])")
def _moments(x, w, first, stop, centre, moments):  # type: ignore[no-untyped-def]
    """``moments[B, k] = sum_{j in B} w_j (e^{i x_j} - e^{i c_B})^k``."""
    order = moments.shape[1]
    for box in range(first.shape[0]):
        c = complex(math.cos(centre[box]), math.sin(centre[box]))
        for k in range(order):
            moments[box, k] = 0.0
        for j in range(first[box], stop[box]):
            d = complex(math.cos(x[j]), math.sin(x[j])) - c
            term = complex(w[j], 0.0)
            for k in range(order):
                moments[box, k] += term
                term *= d


@_jit("void(f8[::1], f8, f8[::1], c16[:, ::1], f8, f8[::1])")
def _forward_boxes(t, rho, centre, moments, total_w, out):  # type: ignore[no-untyped-def]
    """``out[m] = W + 2 Re[w_m sum_B -sum_k M_k (w_m - c_B)^{-(k+1)}]`` (``= 2 pi sum w K``)."""
    order = moments.shape[1]
    for m in range(t.shape[0]):
        pole = complex(rho * math.cos(t[m]), rho * math.sin(t[m]))
        acc_all = complex(0.0, 0.0)
        for box in range(centre.shape[0]):
            q = 1.0 / (pole - complex(math.cos(centre[box]), math.sin(centre[box])))
            acc = moments[box, order - 1]
            for k in range(order - 2, -1, -1):
                acc = acc * q + moments[box, k]
            acc_all -= acc * q
        out[m] = total_w + 2.0 * (pole * acc_all).real


@_jit("void(f8[::1], f8, f8[::1], f8[::1], f8[::1])")
def _forward_direct(t, h, x, w, out):  # type: ignore[no-untyped-def]
    """``out[m] = sum_j w_j (1 - rho^2) / ((1 - rho)^2 + 4 rho sin^2((t - x_j)/2))``."""
    rho = math.exp(-h)
    gap = -math.expm1(-h)
    top = -math.expm1(-2.0 * h)
    for m in range(t.shape[0]):
        total = 0.0
        for j in range(x.shape[0]):
            s = math.sin(0.5 * (t[m] - x[j]))
            total += w[j] * top / (gap * gap + 4.0 * rho * s * s)
        out[m] = total


@_jit("void(f8[::1], f8[::1], f8, f8[::1], f8[::1], i8[::1], i8[::1], f8[::1], i8, f8[::1])")
def _transposed_boxes(t, c, rho, x, w, first, stop, centre, order, out):  # type: ignore[no-untyped-def]
    """``out[j] = w_j (C + 2 Re sum_m c_m w_m / (s_j - w_m))`` by local expansions."""
    coeff = np.empty(order, np.complex128)
    total_c = 0.0
    for m in range(t.shape[0]):
        total_c += c[m]
    for box in range(first.shape[0]):
        centre_s = complex(math.cos(centre[box]), math.sin(centre[box]))
        for k in range(order):
            coeff[k] = 0.0
        for m in range(t.shape[0]):
            pole = complex(rho * math.cos(t[m]), rho * math.sin(t[m]))
            q = 1.0 / (centre_s - pole)
            power = c[m] * pole * q
            for k in range(order):
                coeff[k] += power
                power *= q
        for j in range(first[box], stop[box]):
            y = centre_s - complex(math.cos(x[j]), math.sin(x[j]))
            acc = coeff[order - 1]
            for k in range(order - 2, -1, -1):
                acc = acc * y + coeff[k]
            out[j] = w[j] * (total_c + 2.0 * acc.real)


@_jit("void(f8[::1], f8[::1], f8, f8[::1], f8[::1], f8[::1])")
def _transposed_direct(t, c, h, x, w, out):  # type: ignore[no-untyped-def]
    rho = math.exp(-h)
    gap = -math.expm1(-h)
    top = -math.expm1(-2.0 * h)
    for j in range(x.shape[0]):
        total = 0.0
        for m in range(t.shape[0]):
            s = math.sin(0.5 * (t[m] - x[j]))
            total += c[m] * top / (gap * gap + 4.0 * rho * s * s)
        out[j] = w[j] * total


class CirclePoles(PoleSums):
    """Angular boxes ``h/2`` wide, their moments, and the panels' view of every turn."""

    def __init__(self, mix: _Mixture) -> None:
        h = mix.h
        self.rho = math.exp(-h)
        # the kernel's largest over smallest value is ((1 + rho)/(1 - rho))^2
        ratio = 2.0 * math.log((1.0 + self.rho) / -math.expm1(-h))
        cut = math.log(mix.x.size) + DROP_MARGIN + ratio
        super().__init__(mix, min(cut, 700.0), 0.5 * h)
        self.log_norm = math.log(TWO_PI)
        boxes = self.first.size
        self.expand = bool(
            CIRCLE_H_MIN <= h <= CIRCLE_H_MAX and self.x.size > boxes * CIRCLE_CAUCHY_ORDER
        )
        self.moments = np.zeros((boxes, CIRCLE_CAUCHY_ORDER), np.complex128)
        if self.expand:
            _moments(self.x, self.w, self.first, self.stop, self.box_centre, self.moments)
        self.total_w = float(self.w.sum())
        # panels: the driver's grid near the points, on every turn that reaches the arc
        copies = [self.box_centre + k * TWO_PI for k in (-1, 0, 1)]
        self.centre = np.sort(np.concatenate(copies))

    def forward(self, t: FloatArray, out: FloatArray) -> None:
        if self.expand:
            _forward_boxes(t, self.rho, self.box_centre, self.moments, self.total_w, out)
        else:
            _forward_direct(t, self.h, self.x, self.w, out)

    def transposed(self, t: FloatArray, c: FloatArray, out: FloatArray) -> None:
        if self.expand:
            _transposed_boxes(
                t, c, self.rho, self.x, self.w_all, self.first, self.stop, self.box_centre,
                CIRCLE_CAUCHY_ORDER, out,
            )  # fmt: skip
        else:
            _transposed_direct(t, c, self.h, self.x, self.w_all, out)


def loss_and_grad_cauchy_circle_row(
    problem: Problem, with_grad: bool = True
) -> tuple[float, FloatArray | None]:
    """``(loss, dL/dz or None)`` of one validated Cauchy row on the circle (angles from ``a``)."""
    mix = _mixture(problem)
    return pole_row(CirclePoles(mix), mix, problem.a, problem.b, with_grad)
