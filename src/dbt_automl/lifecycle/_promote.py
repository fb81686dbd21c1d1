"""Champion and challenger: whether a new version replaces the one scoring uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dbt_automl.lifecycle._settings import PromotionRule

# Metrics where lower is better, whichever task records them.
LOWER_IS_BETTER = frozenset(
    {"log_loss", "rmse", "mae", "mse", "mape", "smape", "mase", "relative_mase", "brier", "bic"}
)


# Recorded metrics that say nothing of quality (an anomaly detector without labels records
# its flag rate) and ones not comparable across data (BIC grows with the rows): clustering
# versions are compared by silhouette whichever criterion chose k.
_NOT_QUALITY = frozenset({"flag_rate"})
_COMPARED_BY = {"bic": "silhouette"}


@dataclass(frozen=True)
class Scores:
    """Challenger and champion measured on the same held-out rows (``same_rows``), or each
    as recorded on its own holdout when the task cannot score the champion on the
    challenger's rows."""

    metric: str
    challenger: float | None
    champion: float | None
    greater_is_better: bool
    same_rows: bool = True
    rows: str = "the same held-out rows"  # what "same rows" were, for the log


@dataclass(frozen=True)
class Judgement:
    """Promote or keep the champion, and why (recorded in the lifecycle log)."""

    promote: bool
    reason: str


def judge(scores: Scores | None, rule: PromotionRule, champion_version: int | None) -> Judgement:
    """Apply the promotion rule: the floor first, then the gain over the champion."""
    if rule.always:
        return Judgement(True, "promotion: always")
    if scores is None or scores.challenger is None:
        return Judgement(True, "no metric to judge by: the newest version serves")
    metric, ch = scores.metric, scores.challenger
    better = 1.0 if scores.greater_is_better else -1.0
    if rule.threshold is not None and better * (ch - rule.threshold) < 0:
        return Judgement(False, f"{metric} {ch:.4g} misses the threshold {rule.threshold:g}")
    if champion_version is None:
        return Judgement(True, f"first version ({metric} {ch:.4g})")
    if scores.champion is None:
        return Judgement(True, f"the champion v{champion_version} cannot be scored on these rows")
    where = f"on {scores.rows}" if scores.same_rows else "each on its own holdout"
    gain = better * (ch - scores.champion)
    needed = max(rule.min_absolute_change, rule.min_relative_change * abs(scores.champion))
    versus = f"{metric} {ch:.4g} vs v{champion_version}'s {scores.champion:.4g} {where}"
    if gain >= needed:  # ties promote: the newer data wins when it costs nothing
        return Judgement(True, f"{versus}: gain {gain:+.4g} >= {needed:g}")
    return Judgement(False, f"{versus}: gain {gain:+.4g} < the {needed:g} required")


def recorded_scores(challenger: dict[str, Any], champion: dict[str, Any] | None) -> Scores | None:
    """Scores of two versions as their metadata records them (the same metric, each on
    its own holdout): for tasks that cannot score the champion on the challenger's rows."""
    metric = _COMPARED_BY.get(challenger.get("metric") or "", challenger.get("metric"))
    if not metric or metric in _NOT_QUALITY:
        return None
    return Scores(
        metric,
        recorded_score(challenger, metric),
        recorded_score(champion or {}, metric),
        metric not in LOWER_IS_BETTER,
        same_rows=False,
    )


def recorded_score(metadata: dict[str, Any], metric: str | None = None) -> float | None:
    """A version's value of ``metric`` (default: its own) as its metadata records it
    (``metrics.test``, ``metrics.backtest`` or ``metrics.train``), or None."""
    metric = metric or metadata.get("metric")
    for split in metadata.get("metrics", {}).values():
        if isinstance(split, dict) and isinstance(split.get(metric), int | float):
            return float(split[metric])
    return None
