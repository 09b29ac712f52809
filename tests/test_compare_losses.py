"""examples/compare_losses.py: the peers' targets match their published scalar definitions."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import symkde

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compare_losses.py"


@pytest.fixture(scope="module")
def peers():
    spec = importlib.util.spec_from_file_location("compare_losses", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ends():
    a = torch.tensor([-0.3, 3.0, -3.5, 2.0], dtype=torch.float64)
    return a, a + torch.tensor([0.5, 0.6, 0.4, 1.0], dtype=torch.float64)


def _scalar_average(peers, a, b, encode):
    """The definition: the scalar encoding averaged over 4000 midpoints of the interval."""
    y = a[:, None] + (b - a)[:, None] * (torch.arange(4000, dtype=torch.float64) + 0.5) / 4000
    offset = peers._wrap(torch.as_tensor(peers.CENTRES) - y[..., None])
    return encode(offset).mean(1)


# float32 targets (rounding ~6e-8) and the 4000-node midpoint rule (~1e-8): 1e-6 is ample.
@pytest.mark.parametrize("ratio", [0.75, 2.0])
def test_hl_gauss_closed_form_is_the_averaged_scalar_target(peers, ratio):
    a, b = _ends()
    sigma, width = ratio * peers.WIDTH, peers.WIDTH
    normal = torch.distributions.Normal(0.0, 1.0)
    reference = _scalar_average(
        peers,
        a,
        b,
        lambda d: normal.cdf((d + width / 2) / sigma) - normal.cdf((d - width / 2) / sigma),
    )
    got = peers.hl_gauss_targets(a, b, ratio, True).double()
    assert (got - reference).abs().max() < 1e-6
    wrong = peers.hl_gauss_targets(a, b, 2.75 - ratio, True).double()  # the other ratio
    assert (wrong - reference).abs().max() > 1e-2


def test_two_hot_closed_form_is_the_averaged_scalar_target(peers):
    a, b = _ends()
    reference = _scalar_average(peers, a, b, lambda d: (1 - d.abs() / peers.WIDTH).clamp_min(0))
    got = peers.two_hot_targets(a, b, True).double()
    assert (got - reference).abs().max() < 1e-6
    assert (torch.roll(got, 1, -1) - reference).abs().max() > 1e-2  # a shifted encoding fails


def test_line_targets_are_clipped_to_the_support(peers):
    a = torch.tensor([4.0], dtype=torch.float64)  # wholly right of the bins' support [-pi, pi]
    b = a + 0.5
    for target in (peers.hl_gauss_targets(a, b, 0.75, False), peers.two_hot_targets(a, b, False)):
        assert torch.isclose(target.sum(), torch.tensor(1.0))
        assert target.argmax().item() == peers.M - 1  # all on the outer bins


def test_histogram_density_is_covered_inside_and_uncovered_outside(peers):
    logits = np.zeros((2, peers.M))
    histogram = dict(kernel="boxcar", bandwidth=peers.WIDTH / 2 * (1 + 1e-9))
    ce = symkde.loss(logits, peers.CENTRES, [-1.0, 3.0], [0.0, 3.5], **histogram)
    assert ce[0] == pytest.approx(math.log(2 * math.pi), rel=1e-9)  # uniform histogram
    assert math.isinf(ce[1])  # the target leaves [-pi, pi]: the histogram is zero there


def test_binned_kde_peer_matches_symkde_bins(peers):
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(3, peers.M, generator=generator, dtype=torch.float64)
    a, b = _ends()
    a, b = a[:3], b[:3]
    for circular in (True, False):
        got = peers.binned_kde_loss(logits, a, b, circular)
        want = symkde.loss(
            logits.numpy(),
            peers.CENTRES,
            a.numpy(),
            b.numpy(),
            kernel="laplace",
            bandwidth=peers.WIDTH,
            circular=circular,
            method="bins",
            bins=peers.NODES,
        ).mean()
        # float64 log-space sums of 64 terms: agreement to 1e-12 relative.
        assert float(got) == pytest.approx(want, rel=1e-12)
