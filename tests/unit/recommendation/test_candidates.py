"""The one ranking every top N goes through, and each family's fit on a tiny matrix."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from dbt_automl.recommendation._candidates import (
    FAMILIES,
    NO_ITEM,
    NeighbourScorer,
    PopularScorer,
    popularity,
    rank,
)

# 4 users x 5 items. Item 4 is user 3's alone: nothing co-occurs with it.
SEEN = sp.csr_matrix(
    np.array(
        [
            [1, 1, 0, 0, 0],
            [1, 0, 1, 0, 0],
            [0, 1, 1, 0, 0],
            [0, 0, 0, 0, 1],
        ],
        dtype=float,
    )
)


def test_rank_skips_seen_and_excluded_items_and_orders_by_score() -> None:
    scorer = PopularScorer(np.array([0.9, 0.8, 0.7, 0.6, 0.5]))
    ranked = rank(
        scorer,
        popularity(SEEN),
        np.array([0, 1]),
        SEEN,
        n=2,
        excluded=np.array([False, False, True, False, False]),
    )
    assert ranked.items.tolist() == [[3, 4], [1, 3]]
    assert ranked.from_model.all()


def test_slots_without_evidence_are_filled_with_popular_items_and_marked() -> None:
    # Item-item for user 3: item 4 has no neighbours, so no item has evidence.
    scorer = NeighbourScorer(sp.csr_matrix(np.eye(5)))
    ranked = rank(scorer, popularity(SEEN), np.array([3]), SEEN, n=3)
    assert ranked.items.tolist() == [[0, 1, 2]]  # the most popular items, 4 skipped (seen)
    assert not ranked.from_model.any()
    assert ranked.scores[0].tolist() == pytest.approx([0.5, 0.5, 0.5])


def test_a_user_who_has_everything_gets_no_item() -> None:
    full = sp.csr_matrix(np.ones((1, 3)))
    ranked = rank(PopularScorer(np.ones(3)), popularity(full), np.array([0]), full, n=2)
    assert ranked.items.tolist() == [[NO_ITEM, NO_ITEM]]


def test_without_exclude_seen_seen_items_are_ranked() -> None:
    ranked = rank(
        PopularScorer(np.array([0.9, 0.8, 0.7, 0.6, 0.5])),
        popularity(SEEN),
        np.array([0]),
        SEEN,
        n=2,
        exclude_seen=False,
    )
    assert ranked.items.tolist() == [[0, 1]]


@pytest.mark.parametrize("name", ["popularity", "item_knn", "als", "bpr"])
def test_every_family_fits_its_default_and_scores_every_item(name: str) -> None:
    family = FAMILIES[name]
    scorer = family.fit(SEEN, family.default(), seed=0)
    scores = scorer.scores(np.array([0, 3]), SEEN[[0, 3]])
    assert scores.shape == (2, 5)
    assert not np.isnan(scores).any()
