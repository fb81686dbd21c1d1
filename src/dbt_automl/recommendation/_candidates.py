"""Candidate recommenders: each a small class with a default, a search space and a fit
(FLAML's idea, as ``search/_family.py``), and the one ranking every user's top N goes
through, in evaluation and in production.

A fit returns a *scorer* that keeps only plain arrays (factors, the item similarity, the
popularity), so a pickled model loads without ``implicit`` state and scores the same way.
Fits run on one thread: BLAS is limited with threadpoolctl (implicit warns otherwise) and
implicit's own solvers get ``num_threads=1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from optuna import Trial

# Dense score blocks are at most this many cells (users x items) at a time: ~32 MB.
BLOCK_CELLS = 4_000_000
NO_ITEM = -1


class Scorer:
    """What a fitted candidate keeps: a score per (user, item); ``-inf`` means no evidence
    (the ranking then falls back to popular items, saying so)."""

    def scores(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        """Scores of every item for ``users`` (codes), whose interactions are ``rows``."""
        raise NotImplementedError


@dataclass
class PopularScorer(Scorer):
    """Every user gets the items most users have: ``share`` of users per item."""

    share: np.ndarray

    def scores(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:  # noqa: D102
        return np.tile(self.share, (len(users), 1))


@dataclass
class NeighbourScorer(Scorer):
    """Item-item: the sum of the user's items' cosine similarities to each item."""

    similarity: sp.csr_matrix

    def scores(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:  # noqa: D102
        out = np.asarray((rows @ self.similarity).todense(), dtype=float)
        out[out <= 0] = -np.inf  # no neighbour of anything the user has
        return out


@dataclass
class FactorScorer(Scorer):
    """Matrix factorisation: the user's factors dotted with each item's."""

    user_factors: np.ndarray
    item_factors: np.ndarray

    def scores(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:  # noqa: D102
        return np.asarray(self.user_factors[users] @ self.item_factors.T, dtype=float)


class Candidate:
    """A recommender family: a default tried first, a search space, a fit."""

    name: ClassVar[str] = ""
    tunable: ClassVar[bool] = True

    def default(self) -> dict[str, Any]:
        """A configuration known to be reasonable, tried first."""
        return {}

    def suggest(self, trial: Trial) -> dict[str, Any]:
        """Sample hyperparameters for one optuna trial."""
        return {}

    def fit(self, strength: sp.csr_matrix, params: dict[str, Any], seed: int) -> Scorer:
        """Fit on users x items of ``log1p(weight)``; return the scorer."""
        raise NotImplementedError


class Popularity(Candidate):
    """The floor: the items most users have, for everyone."""

    name = "popularity"
    tunable = False

    def fit(self, strength: sp.csr_matrix, params: dict[str, Any], seed: int) -> Scorer:  # noqa: D102
        return PopularScorer(popularity(strength))


def popularity(interactions: sp.csr_matrix) -> np.ndarray:
    """Share of users who have each item (users x items, any value > 0 an interaction)."""
    return np.asarray(interactions.getnnz(axis=0), dtype=float) / max(interactions.shape[0], 1)


class ItemKNN(Candidate):
    """Item-item cosine over each item's ``K`` nearest items (implicit's k-NN)."""

    name = "item_knn"

    def default(self) -> dict[str, Any]:  # noqa: D102
        return {"K": 100}

    def suggest(self, trial: Trial) -> dict[str, Any]:  # noqa: D102
        return {"K": trial.suggest_int("item_knn__K", 5, 500, log=True)}

    def fit(self, strength: sp.csr_matrix, params: dict[str, Any], seed: int) -> Scorer:  # noqa: D102
        from implicit.nearest_neighbours import ItemItemRecommender
        from sklearn.preprocessing import normalize

        # Cosine is the dot product of unit item columns. CosineRecommender normalises the
        # same way but hands the k-NN a COO matrix, and implicit warns on every fit.
        unit = normalize(strength.T.tocsr().astype(np.float64)).T.tocsr()
        with one_thread():
            model = ItemItemRecommender(K=int(params["K"]), num_threads=1)
            model.fit(unit, show_progress=False)
        return NeighbourScorer(model.similarity.tocsr().astype(np.float64))


class ALS(Candidate):
    """Implicit-feedback ALS (Hu, Koren, Volinsky 2008): confidence ``1 + alpha *
    log1p(weight)`` on observed pairs, 1 elsewhere."""

    name = "als"

    def default(self) -> dict[str, Any]:  # noqa: D102
        return {"factors": 32, "regularization": 0.1, "iterations": 15, "alpha": 2.0}

    def suggest(self, trial: Trial) -> dict[str, Any]:  # noqa: D102
        return {
            "factors": trial.suggest_int("als__factors", 8, 256, log=True),
            "regularization": trial.suggest_float("als__regularization", 1e-3, 10.0, log=True),
            "iterations": trial.suggest_int("als__iterations", 5, 30),
            "alpha": trial.suggest_float("als__alpha", 0.5, 100.0, log=True),
        }

    def fit(self, strength: sp.csr_matrix, params: dict[str, Any], seed: int) -> Scorer:  # noqa: D102
        from implicit.cpu.als import AlternatingLeastSquares

        confidence = strength.astype(np.float32)
        confidence.data = 1 + float(params["alpha"]) * confidence.data
        with one_thread():
            model = AlternatingLeastSquares(
                factors=int(params["factors"]),
                regularization=float(params["regularization"]),
                iterations=int(params["iterations"]),
                num_threads=1,
                random_state=seed,
            )
            model.fit(confidence, show_progress=False)
        return FactorScorer(np.asarray(model.user_factors), np.asarray(model.item_factors))


class BPR(Candidate):
    """Bayesian personalised ranking: learns to rank a user's items above sampled others
    (the weight only says whether a pair is an interaction)."""

    name = "bpr"

    def default(self) -> dict[str, Any]:  # noqa: D102
        return {"factors": 64, "learning_rate": 0.01, "regularization": 0.01, "iterations": 100}

    def suggest(self, trial: Trial) -> dict[str, Any]:  # noqa: D102
        return {
            "factors": trial.suggest_int("bpr__factors", 8, 256, log=True),
            "learning_rate": trial.suggest_float("bpr__learning_rate", 3e-3, 0.2, log=True),
            "regularization": trial.suggest_float("bpr__regularization", 1e-4, 0.1, log=True),
            "iterations": trial.suggest_int("bpr__iterations", 20, 300, log=True),
        }

    def fit(self, strength: sp.csr_matrix, params: dict[str, Any], seed: int) -> Scorer:  # noqa: D102
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        binary = strength.astype(np.float32)
        binary.data[:] = 1.0
        with one_thread():
            model = BayesianPersonalizedRanking(
                factors=int(params["factors"]),
                learning_rate=float(params["learning_rate"]),
                regularization=float(params["regularization"]),
                iterations=int(params["iterations"]),
                num_threads=1,
                random_state=seed,
            )
            model.fit(binary, show_progress=False)
        return FactorScorer(np.asarray(model.user_factors), np.asarray(model.item_factors))


FAMILIES: dict[str, Candidate] = {c.name: c for c in (Popularity(), ItemKNN(), ALS(), BPR())}


def one_thread() -> Any:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


@dataclass
class Ranked:
    """Top-N per user: item codes (``NO_ITEM`` when nothing is left to recommend), scores,
    and whether the model ranked it (else a popular item filled the slot)."""

    items: np.ndarray
    scores: np.ndarray
    from_model: np.ndarray


def rank(
    scorer: Scorer,
    popular: np.ndarray,
    users: np.ndarray,
    seen: sp.csr_matrix,
    n: int,
    exclude_seen: bool = True,
    excluded: np.ndarray | None = None,
) -> Ranked:
    """Each user's top ``n`` items by ``scorer``; ``seen`` holds all users' interactions.

    Items the user has are skipped when ``exclude_seen``; ``excluded`` (a mask over items)
    are never recommended. Slots the model has no evidence for are filled with the most
    popular remaining items (``popular``: share of users per item).
    """
    n_items = seen.shape[1]
    k = min(n, n_items)
    block = max(1, BLOCK_CELLS // max(n_items, 1))
    fallback = Fallback(popular, np.argsort(-popular, kind="stable"))
    parts = [
        _rank_block(scorer, fallback, users[s : s + block], seen, k, exclude_seen, excluded)
        for s in range(0, len(users), block)
    ]
    if not parts:
        empty = np.empty((0, k))
        return Ranked(empty.astype(int), empty, empty.astype(bool))
    return Ranked(
        np.vstack([p.items for p in parts]),
        np.vstack([p.scores for p in parts]),
        np.vstack([p.from_model for p in parts]),
    )


@dataclass
class Fallback:
    """Popular items, to fill slots a model has no evidence for: share of users per item
    and the items from most to least popular."""

    share: np.ndarray
    order: np.ndarray


def _rank_block(
    scorer: Scorer,
    fallback: Fallback,
    users: np.ndarray,
    seen: sp.csr_matrix,
    k: int,
    exclude_seen: bool,
    excluded: np.ndarray | None,
) -> Ranked:
    rows = seen[users]
    blocked = np.zeros((len(users), seen.shape[1]), dtype=bool)
    if exclude_seen:
        blocked[rows.nonzero()] = True
    if excluded is not None:
        blocked[:, excluded] = True
    scores = np.where(blocked, -np.inf, scorer.scores(users, rows))
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, 1), axis=1, kind="stable")
    items = np.take_along_axis(top, order, 1)
    values = np.take_along_axis(scores, items, 1)
    from_model = np.isfinite(values)
    for r in np.flatnonzero(~from_model.all(axis=1)):
        _fill(items[r], values[r], from_model[r], blocked[r], fallback)
    return Ranked(items, values, from_model)


def _fill(
    items: np.ndarray,
    values: np.ndarray,
    from_model: np.ndarray,
    blocked: np.ndarray,
    fallback: Fallback,
) -> None:
    """Fill one user's empty slots, in place, with the most popular allowed items."""
    taken = set(items[from_model].tolist())
    order = (i for i in fallback.order if not blocked[i] and i not in taken)
    for slot in np.flatnonzero(~from_model):
        item = next(order, None)
        items[slot] = NO_ITEM if item is None else item
        values[slot] = np.nan if item is None else fallback.share[item]
