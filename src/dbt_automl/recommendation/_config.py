"""The ``meta.automl`` block of a recommendation model (``task: recommendation``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dbt_automl.config import as_names, check_keys, time_budget, whole_number
from dbt_automl.errors import ConfigError

RECOMMEND_TASK = "recommendation"
# Candidates, cheapest first. Popularity is always fitted: it is the floor every model is
# compared with, and what cold-start users get.
CANDIDATES = ("popularity", "item_knn", "als", "bpr")
METRICS = ("precision_at_n", "recall_at_n", "ndcg_at_n")
# Share of each user's interactions held out: bounds that leave both sides something.
HOLDOUT_RANGE = (0.05, 0.5)
MAX_N = 1000


@dataclass(frozen=True)
class RecommendConfig:
    """Validated settings of one recommendation model; each field is a ``meta.automl`` key.

    ``weight_column`` is the strength of an interaction (spend, count); without it every
    row counts once. ``time_column`` orders the holdout (each user's latest interactions);
    without it the held-out interactions are drawn at random with ``seed``.
    """

    model_name: str
    user_column: str
    item_column: str
    weight_column: str | None = None
    time_column: str | None = None
    n: int = 10
    holdout: float = 0.2
    candidates: tuple[str, ...] = CANDIDATES
    metric: str = "precision_at_n"
    exclude_seen: bool = True
    time_budget_s: float = 60.0
    seed: int = 42
    registry_path: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def task(self) -> str:
        """Always ``recommendation``."""
        return RECOMMEND_TASK

    def error(self, key: str, message: str, fix: str) -> ConfigError:
        """A ConfigError that names the model, the key and the fix."""
        return ConfigError(message, fix, model=self.model_name, key=key)


def is_recommendation(raw: Mapping[str, Any] | None) -> bool:
    """Whether a ``meta.automl`` block asks for a recommendation model."""
    return bool(raw) and raw.get("task") == RECOMMEND_TASK  # type: ignore[union-attr]


def parse_recommend_config(raw: Mapping[str, Any], model_name: str) -> RecommendConfig:
    """Validate a recommendation ``meta.automl`` block.

    Example::

        >>> cfg = parse_recommend_config(
        ...     {"task": "recommendation", "user_column": "customer_id",
        ...      "item_column": "merchant_category", "n": 5}, "card_offer_model")
        >>> cfg.n, cfg.metric
        (5, 'precision_at_n')

    Raises:
        ConfigError: a key is unknown or missing, or a value is out of range.
    """
    known = {f for f in RecommendConfig.__dataclass_fields__ if f not in ("model_name", "raw")}
    required = {"user_column": "customer_id", "item_column": "merchant_category"}
    check_keys(raw, known, RECOMMEND_TASK, model_name, required)
    cfg = RecommendConfig(
        model_name=model_name,
        user_column=_name(raw, "user_column", model_name),
        item_column=_name(raw, "item_column", model_name),
        weight_column=_optional_name(raw, "weight_column", model_name),
        time_column=_optional_name(raw, "time_column", model_name),
        n=whole_number(raw, "n", model_name, 10),
        holdout=_share(raw, model_name),
        candidates=_candidates(raw, model_name),
        metric=str(raw.get("metric", "precision_at_n")),
        exclude_seen=_flag(raw, "exclude_seen", model_name),
        time_budget_s=time_budget(raw, model_name),
        seed=whole_number(raw, "seed", model_name, 42),
        registry_path=raw.get("registry_path"),
        raw=dict(raw),
    )
    _check(cfg)
    return cfg


def _name(raw: Mapping[str, Any], key: str, model_name: str) -> str:
    names = as_names(raw.get(key), key, model_name)
    if len(names) != 1:
        raise ConfigError(
            f"expected one column name, got {raw.get(key)!r}",
            f"name a single column, e.g. `{key}: customer_id`",
            model=model_name,
            key=key,
        )
    return names[0]


def _optional_name(raw: Mapping[str, Any], key: str, model_name: str) -> str | None:
    return None if raw.get(key) in (None, "") else _name(raw, key, model_name)


def _share(raw: Mapping[str, Any], model_name: str) -> float:
    value = raw.get("holdout", 0.2)
    low, high = HOLDOUT_RANGE
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(
            f"must be a share of each user's interactions in [{low}, {high}], got {value!r}",
            "use 0.2 (each user's latest fifth held out)",
            model=model_name,
            key="holdout",
        )
    return float(value)


def _flag(raw: Mapping[str, Any], key: str, model_name: str) -> bool:
    value = raw.get(key, True)
    if not isinstance(value, bool):
        raise ConfigError(
            f"must be true or false, got {value!r}",
            f"write `{key}: true`",
            model=model_name,
            key=key,
        )
    return value


def _candidates(raw: Mapping[str, Any], model_name: str) -> tuple[str, ...]:
    named = as_names(raw.get("candidates"), "candidates", model_name) or CANDIDATES
    bad = [c for c in named if c not in CANDIDATES]
    if bad:
        raise ConfigError(
            f"unknown candidates {bad}",
            f"choose from {list(CANDIDATES)}",
            model=model_name,
            key="candidates",
        )
    # Popularity is the floor whatever is listed; the order is the cheap-first one.
    return tuple(c for c in CANDIDATES if c in named or c == "popularity")


def _check(cfg: RecommendConfig) -> None:
    if not 1 <= cfg.n <= MAX_N:
        raise cfg.error("n", f"must be in [1, {MAX_N}], got {cfg.n}", "use e.g. 10")
    if cfg.metric not in METRICS:
        raise cfg.error("metric", f"unknown metric {cfg.metric!r}", f"choose from {list(METRICS)}")
    roles = [cfg.user_column, cfg.item_column, cfg.weight_column, cfg.time_column]
    named = [r for r in roles if r is not None]
    repeated = sorted({c for c in named if named.count(c) > 1})
    if repeated:
        raise cfg.error(
            "item_column",
            f"column(s) {repeated} named in more than one role (user, item, weight, time)",
            "give each column one role",
        )
