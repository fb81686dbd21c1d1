"""Precision@N, recall@N and NDCG@N of a scorer on held-out interactions.

Each evaluated user (one with held-out interactions) gets the top N the model would give
in production (the same :func:`rank`: seen items skipped when ``exclude_seen``, popular
items filling slots the model has no evidence for); a hit is a held-out item in that list.
Precision divides the hits by N, recall by the user's held-out items, NDCG discounts a hit
at rank r by log2(r + 1) against the best possible order. Each is the mean over users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dbt_automl.recommendation._candidates import NO_ITEM, Scorer, popularity, rank
from dbt_automl.recommendation._data import I, U


@dataclass
class Holdout:
    """What a scorer is measured on: the interactions it was trained on (``seen``) and the
    held-out ones, users x items."""

    seen: sp.csr_matrix
    held: sp.csr_matrix
    popular: np.ndarray

    @classmethod
    def of(cls, train: pd.DataFrame, test: pd.DataFrame, shape: tuple[int, int]) -> Holdout:
        """The holdout of a split (codes of ``train`` and ``test`` frames)."""
        seen = _binary(train, shape)
        return cls(seen, _binary(test, shape), popularity(seen))

    @property
    def users(self) -> np.ndarray:
        """Users with at least one held-out interaction: the ones evaluated."""
        return np.flatnonzero(self.held.getnnz(axis=1))


def _binary(frame: pd.DataFrame, shape: tuple[int, int]) -> sp.csr_matrix:
    ones = np.ones(len(frame))
    return sp.csr_matrix((ones, (frame[U].to_numpy(), frame[I].to_numpy())), shape=shape)


def evaluate(scorer: Scorer, holdout: Holdout, n: int, exclude_seen: bool) -> dict[str, float]:
    """The mean precision@n, recall@n and NDCG@n over the evaluated users, and coverage
    (share of the catalogue appearing in any of their lists)."""
    users = holdout.users
    if len(users) == 0:
        nan = float("nan")
        return {"precision_at_n": nan, "recall_at_n": nan, "ndcg_at_n": nan, "coverage": nan}
    ranked = rank(scorer, holdout.popular, users, holdout.seen, n, exclude_seen)
    held = holdout.held[users]
    valid = ranked.items != NO_ITEM
    hits = np.zeros(ranked.items.shape, dtype=bool)
    rows, cols = np.nonzero(valid)
    hits[rows, cols] = np.asarray(held[rows, ranked.items[rows, cols]]).ravel() > 0
    n_held = held.getnnz(axis=1)
    discount = 1.0 / np.log2(np.arange(2, ranked.items.shape[1] + 2))
    ideal = np.cumsum(discount)[np.minimum(n_held, len(discount)) - 1]
    recommended = np.unique(ranked.items[valid])
    per_user = {
        "precision_at_n": hits.sum(axis=1) / n,
        "recall_at_n": hits.sum(axis=1) / n_held,
        "ndcg_at_n": (hits * discount).sum(axis=1) / ideal,
    }
    # Standard errors of the means: the choice asks a model to beat popularity by more.
    spread = {f"{m}_se": _standard_error(v) for m, v in per_user.items()}
    return {
        **{m: float(v.mean()) for m, v in per_user.items()},
        **spread,
        "coverage": len(recommended) / max(holdout.seen.shape[1], 1),
    }


def _standard_error(values: np.ndarray) -> float:
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
