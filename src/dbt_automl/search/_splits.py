"""Test and validation splits: stratified, group-aware or time-ordered, sized by the data."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from dbt_automl.config import AutomlConfig

Split = tuple[np.ndarray, np.ndarray]
# Up to this many search rows, cross-validation is repeated with a second shuffle. On a few
# hundred rows one 5-fold split is noisy enough that, over hundreds of trials, the top of the
# leaderboard is won by luck of the folds (hitters: the CV-best LightGBM was 2.8 % worse on
# the benchmark's test rows than default HGB); a second shuffle halves that luck's variance.
REPEAT_MAX_ROWS = 1_000


def _ms() -> Any:
    """``sklearn.model_selection``, imported on first use (a build that trains nothing needs
    no split)."""
    from sklearn import model_selection

    return model_selection


def default_folds(n_rows: int) -> int:
    """5-fold CV on small tables, 3-fold on medium ones, one holdout split above 20k rows."""
    if n_rows <= 5_000:
        return 5
    return 3 if n_rows <= 20_000 else 1


def holdout_split(
    y: np.ndarray,
    stratify: bool,
    test_size: float,
    seed: int,
    groups: np.ndarray | None = None,
    times: np.ndarray | None = None,
) -> Split:
    """Rows for training and for the final test, which the search never sees.

    Time-ordered: the latest ``test_size`` share of rows. Group-aware: whole groups (e.g.
    every row of a customer) fall on one side. Otherwise a stratified random split.
    """
    index = np.arange(len(y))
    if times is not None:
        order = np.argsort(times, kind="stable")
        cut = len(y) - max(1, math.ceil(len(y) * test_size))
        return np.sort(order[:cut]), np.sort(order[cut:])
    if groups is not None:
        splitter = _ms().GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
        return next(splitter.split(index, y, groups))
    return tuple(
        _ms().train_test_split(
            index, test_size=test_size, random_state=seed, stratify=y if stratify else None
        )
    )


def cv_splits(
    y: np.ndarray,
    stratify: bool,
    folds: int,
    seed: int,
    groups: np.ndarray | None = None,
    times: np.ndarray | None = None,
    repeats: int = 1,
) -> list[Split]:
    """Validation splits for the search (``folds`` == 1 means one 20 % holdout).

    ``repeats`` > 1 repeats shuffled k-fold with new shuffles (not for groups or time), so
    every row is validated ``repeats`` times.
    """
    index = np.arange(len(y))
    if times is not None:
        order = np.argsort(times, kind="stable")
        if folds == 1:
            cut = int(len(y) * 0.8)
            return [(order[:cut], order[cut:])]
        # Expanding windows: always validate on rows later than those trained on.
        return [(order[a], order[b]) for a, b in _ms().TimeSeriesSplit(folds).split(order)]
    if groups is not None:
        if folds == 1:
            gss = _ms().GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
            return [next(gss.split(index, y, groups))]
        return list(
            _ms().GroupKFold(folds, shuffle=True, random_state=seed).split(index, y, groups)
        )
    if folds == 1:
        return [holdout_split(y, stratify, 0.2, seed)]
    if repeats > 1:
        repeated = _ms().RepeatedStratifiedKFold if stratify else _ms().RepeatedKFold
        return list(
            repeated(n_splits=folds, n_repeats=repeats, random_state=seed).split(
                index, y if stratify else None
            )
        )
    splitter = _ms().StratifiedKFold if stratify else _ms().KFold
    return list(
        splitter(folds, shuffle=True, random_state=seed).split(index, y if stratify else None)
    )


def search_rows(
    y: np.ndarray,
    stratify: bool,
    max_rows: int,
    seed: int,
    times: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    train_idx: np.ndarray | None = None,
) -> np.ndarray:
    """Positions (into ``y``) of the rows the search uses: all, or a sample of ``max_rows``.

    The search compares configurations, which a sample does as well as the whole table in a
    fraction of the time; the chosen models are then refitted on every training row.
    Time-ordered data keeps its most recent rows; grouped data keeps whole groups.
    """
    index = np.arange(len(y))
    if len(y) <= max_rows:
        return index
    if times is not None and train_idx is not None:
        order = np.argsort(times[train_idx], kind="stable")
        return np.sort(order[-max_rows:])
    if groups is not None and train_idx is not None:
        splitter = _ms().GroupShuffleSplit(
            n_splits=1, train_size=max_rows / len(y), random_state=seed
        )
        return np.sort(next(splitter.split(index, y, groups[train_idx]))[0])
    sample, _ = _ms().train_test_split(
        index, train_size=max_rows, random_state=seed, stratify=y if stratify else None
    )
    return np.sort(sample)


@dataclass(frozen=True)
class ValidationPlan:
    """Which rows train, which test, which the search sees, and its folds (positions into
    ``train`` rows)."""

    train: np.ndarray
    test: np.ndarray
    search: np.ndarray
    folds: list[Split]
    split: str  # time-ordered | group-aware | stratified | random
    repeats: int = 1

    def describe(self) -> str:
        """E.g. '5-fold', '5-fold x2' or 'holdout on a 50000-row sample', for the log."""
        k = len(self.folds) // self.repeats
        text = "holdout" if k == 1 else f"{k}-fold"
        if self.repeats > 1:
            text += f" x{self.repeats}"
        if len(self.search) < len(self.train):
            text += f" on a {len(self.search)}-row sample"
        return text


def plan_validation(
    y: np.ndarray,
    stratify: bool,
    cfg: AutomlConfig,
    groups: np.ndarray | None = None,
    times: np.ndarray | None = None,
) -> ValidationPlan:
    """Test split, search sample and validation folds, all honouring groups and time order.

    ``cfg`` gives ``test_size``, ``seed``, ``search_max_rows`` and ``cv_folds``.
    """
    train, test = holdout_split(y, stratify, cfg.test_size, cfg.seed, groups, times)
    y_train = y[train]
    search = search_rows(y_train, stratify, cfg.search_max_rows, cfg.seed, times, groups, train)
    n_folds = cfg.cv_folds or default_folds(len(search))
    plain = cfg.cv_folds is None and groups is None and times is None
    repeats = 2 if plain and n_folds > 1 and len(search) <= REPEAT_MAX_ROWS else 1
    splits = cv_splits(
        y_train[search],
        stratify,
        n_folds,
        cfg.seed,
        None if groups is None else groups[train][search],
        None if times is None else times[train][search],
        repeats,
    )
    if times is not None:
        kind = "time-ordered"
    elif groups is not None:
        kind = "group-aware"
    else:
        kind = "stratified" if stratify else "random"
    return ValidationPlan(train, test, search, splits, kind, repeats)
