"""WAEA's rank normalisation: each term becomes its rank among existing weights, in [0, 1]."""

import torch

from randrnn.pruning.waea import WaeaOptions, activity


def test_rank_terms_are_ranks_in_unit_interval():
    """Ranked terms are 0..1 evenly spaced over existing weights, order kept, masked ones 0."""
    q = {"m": torch.tensor([[0.0, 3.0], [1.0, -2.0]])}
    i = {"m": torch.tensor([[1e-9, 1e-3], [1e-7, 5.0]])}
    mask = {"m": torch.tensor([[1.0, 1.0], [1.0, 0.0]])}
    out = activity(q, i, mask, WaeaOptions(alpha=0.0, normalize="rank"))["m"]
    # α = 0: activity is the ranked gradient variance of the three existing weights
    assert out["activity"].tolist() == [[0.0, 1.0], [0.5, 0.0]]


def test_rank_makes_alpha_matter_despite_skew():
    """With skewed variances, rank normalisation lets α move the ranking; min-max barely does."""
    gen = torch.Generator().manual_seed(0)
    q = {"m": torch.randn(20, 20, generator=gen)}
    i = {"m": torch.randn(20, 20, generator=gen).exp() ** 8}  # heavy right skew
    mask = {"m": torch.ones(20, 20)}

    def order(alpha, normalize):
        act = activity(q, i, mask, WaeaOptions(alpha=alpha, normalize=normalize))["m"]
        return act["activity"].flatten().argsort()

    changed_rank = (order(0.3, "rank") != order(0.7, "rank")).float().mean()
    changed_minmax = (order(0.3, "minmax") != order(0.7, "minmax")).float().mean()
    assert changed_rank > 0.5 and changed_minmax < 0.1, (changed_rank, changed_minmax)
