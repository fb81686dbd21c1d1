"""The trained recommender a registry version holds, and how it recommends."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp

from dbt_automl._log import Logger, get_logger
from dbt_automl.errors import DbtAutomlError
from dbt_automl.recommendation._candidates import NO_ITEM, Scorer, one_thread, rank

COLUMNS = ("user", "rank", "item", "score", "source")
MODEL, POPULAR = "model", "popular"


@dataclass
class RecommendModel:
    """The chosen candidate refitted on every interaction, with what it needs to recommend:
    the users and items it knows (labels as read), what each user has (``seen``: users x
    items) and the popularity that cold-start users and empty slots fall back to."""

    model_name: str
    candidate: str
    params: dict[str, Any]
    n: int
    exclude_seen: bool
    users: np.ndarray
    items: np.ndarray
    user_type: pa.DataType
    item_type: pa.DataType
    seen: sp.csr_matrix
    scorer: Scorer
    popular: np.ndarray
    _index: pd.Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = pd.Index(self.users)

    def recommend(
        self,
        users: Sequence[Any] | None = None,
        n: int | None = None,
        catalogue: Iterable[Any] | None = None,
        log: Logger | None = None,
    ) -> pd.DataFrame:
        """Top ``n`` items per user: columns user, rank (1..n), item, score, source.

        ``source`` is ``model`` where the chosen candidate ranked the item, ``popular``
        where the user was not seen in training (cold start: the popular items) or the
        model had no evidence left for the slot. Items the user has are skipped when the
        model excludes seen items; items not in ``catalogue`` (when given: the items still
        offered) are never recommended. ``users`` None means every training user. A user
        with nothing left to recommend gets fewer than ``n`` rows.

        Example::

            >>> model.recommend(["c1", "new"], n=2)  # doctest: +SKIP
              user  rank item  score   source
            0   c1     1   i7   0.81    model
            1   c1     2   i3   0.77    model
            2  new     1   i1   0.42  popular
            3  new     2   i3   0.40  popular
        """
        log = log or get_logger()
        n = self.n if n is None else int(n)
        if n < 1:
            raise DbtAutomlError(
                f"n must be >= 1, got {n}", "ask for 1 or more items", model=self.model_name
            )
        requested = self._requested(users, log)
        excluded = self._excluded(catalogue, log)
        codes = self._index.get_indexer(pd.Index(requested, dtype=object))
        known = codes >= 0
        parts = [self._known(requested[known], codes[known], n, excluded)]
        if (~known).any():
            log.info(
                f"{self.model_name}: {int((~known).sum())} user(s) not seen in training "
                "(cold start) get the most popular items (source 'popular')"
            )
            parts.append(self._cold(requested[~known], n, excluded))
        frame = pd.concat(parts, ignore_index=True)
        position = {u: p for p, u in enumerate(requested.tolist())}
        frame["_pos"] = frame["user"].map(position)
        frame = frame.sort_values(["_pos", "rank"], kind="stable").drop(columns="_pos")
        return frame.reset_index(drop=True)

    def _requested(self, users: Sequence[Any] | None, log: Logger) -> np.ndarray:
        if users is None:
            return np.asarray(self.users, dtype=object)
        listed = pd.Series(list(users), dtype=object)
        missing = int(listed.isna().sum())
        if missing:
            log.warning(f"{self.model_name}: {missing} null user(s) skipped")
        return np.asarray(listed.dropna().drop_duplicates().tolist(), dtype=object)

    def _excluded(self, catalogue: Iterable[Any] | None, log: Logger) -> np.ndarray | None:
        """Mask of known items no longer offered (None: no catalogue given)."""
        if catalogue is None:
            return None
        offered = pd.Index(pd.Series(list(catalogue), dtype=object).dropna().unique())
        gone = ~pd.Index(self.items, dtype=object).isin(offered)
        if gone.any():
            log.info(
                f"{self.model_name}: {int(gone.sum())} of {len(self.items)} trained item(s) "
                "are not in the catalogue any more and are never recommended"
            )
        new = int((~offered.isin(pd.Index(self.items, dtype=object))).sum())
        if new:
            log.info(
                f"{self.model_name}: {new} catalogue item(s) have no interactions in training "
                "and cannot be recommended until the model is retrained with some"
            )
        return np.asarray(gone, dtype=bool)

    def _known(
        self, users: np.ndarray, codes: np.ndarray, n: int, excluded: np.ndarray | None
    ) -> pd.DataFrame:
        with one_thread():
            ranked = rank(
                self.scorer, self.popular, codes, self.seen, n, self.exclude_seen, excluded
            )
        k = ranked.items.shape[1]
        valid = ranked.items != NO_ITEM
        return pd.DataFrame(
            {
                "user": np.repeat(users, k)[valid.ravel()],
                "rank": np.tile(np.arange(1, k + 1), len(users))[valid.ravel()],
                "item": self.items[ranked.items[valid]],
                "score": ranked.scores[valid],
                "source": np.where(ranked.from_model[valid], MODEL, POPULAR),
            },
            columns=list(COLUMNS),
        )

    def _cold(self, users: np.ndarray, n: int, excluded: np.ndarray | None) -> pd.DataFrame:
        order = np.argsort(-self.popular, kind="stable")
        if excluded is not None:
            order = order[~excluded[order]]
        top = order[:n]
        return pd.DataFrame(
            {
                "user": np.repeat(users, len(top)),
                "rank": np.tile(np.arange(1, len(top) + 1), len(users)),
                "item": np.tile(self.items[top], len(users)),
                "score": np.tile(self.popular[top], len(users)),
                "source": POPULAR,
            },
            columns=list(COLUMNS),
        )
