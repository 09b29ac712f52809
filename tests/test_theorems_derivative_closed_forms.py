"""Theorems of symkde.theorems.derivative_closed_forms: each proves, and each check can fail."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from symkde import theorems
from symkde.theorems import derivative_closed_forms as dcf

NAMES = [t.name for t in dcf.THEOREMS]


def test_registered():
    assert set(NAMES) <= set(theorems.names())


@pytest.mark.parametrize("name", NAMES)
def test_proves(name):
    proof = theorems.get(name).prove()
    assert proof.holds, [(s.description, s.detail) for s in proof.failed_steps]


def test_segment_bandwidth_rejects_a_wrong_rate_of_d():
    """With d'(h) = +d/h (wrong sign) the chain-rule step must fail."""
    lhs, rhs = dcf._segment_bandwidth_sides()
    wrong = rhs + 2 * dcf.d * (sp.log(dcf._segment_density().subs(dcf.s, dcf.d)))
    theorem = dataclasses.replace(
        theorems.get("laplace_segment_bandwidth"),
        statement=sp.Eq(lhs, wrong),
    )
    assert not theorem.prove().holds


def test_boxcar_jump_rejects_the_opposite_sign():
    theorem = theorems.get("boxcar_edge_jump")
    flipped = dataclasses.replace(
        theorem, statement=sp.Eq(theorem.statement.lhs, -theorem.statement.rhs)
    )
    assert not flipped.prove().holds
