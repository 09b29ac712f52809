"""symkde.cli.figures_training: the logit-descent numbers behind the ``training_curves`` figure."""

from __future__ import annotations

import numpy as np
import pytest

from symkde.cli import figures
from symkde.cli.figures_training import fig_training_curves, logit_descent_data


@pytest.fixture(scope="module")
def data():
    return logit_descent_data(steps=40, methods=(("exact", None), ("bins", 32)))


def test_registered_in_report_figures():
    assert figures.FIGURES["training_curves"] is fig_training_curves


def test_each_step_moves_a_logit_by_at_most_the_step(data):
    # gradient_bounds: every dL/dz_i lies in [S_i - 1, S_i], so |step| <= step_size = 1
    # (2 ulps of slack at |z| = 30 for the subtraction z - grad).
    for logits in data["logits"].values():
        assert np.abs(np.diff(logits, axis=0)).max() <= 1.0 + 30 * 4e-16


def test_boxcar_trajectory_ignores_the_far_points(data):
    # The far points' boxcars do not reach the target, so p on the target is the centre
    # point's alone and every distance gives the same trajectory (to rounding).
    mass = data["mass"][("boxcar", "exact")]
    np.testing.assert_allclose(mass, mass[:, :1].repeat(3, axis=1), rtol=0, atol=1e-12)
    assert mass[-1, 0] > 0.9 > 1e-12 > mass[0, 0]


def test_tails_decide_who_escapes(data):
    laplace = data["mass"][("laplace", "exact")][-1]
    cauchy = data["mass"][("cauchy", "exact")][-1]
    assert laplace[0] < 1e-6 < 0.9 < laplace[1]  # D = 10 stuck, D = 100 escaped
    assert cauchy.max() < 1e-6  # heavy tails: never escapes in 40 steps


def test_the_check_rejects_a_wrong_trajectory(data):
    # The comparison used above fails when the trajectory is perturbed.
    mass = data["mass"][("boxcar", "exact")].copy()
    mass[20, 1] += 1e-6
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(mass, mass[:, :1].repeat(3, axis=1), rtol=0, atol=1e-12)


def test_figure_renders(data):
    fig = fig_training_curves(data)
    assert len(fig.axes) == 2
