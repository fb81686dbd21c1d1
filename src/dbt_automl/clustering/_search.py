"""The search over families and k under the time budget, and the stated choice.

Candidates run k by k (every family at k before any at k + 1), so a budget that runs out
cuts the largest k of every family rather than a whole family. A warm candidate (the
previous version's family and k, started from its segments) runs first. Every candidate is
logged and recorded, fitted or not, with why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dbt_automl._log import Logger
from dbt_automl.clustering._config import ClusterConfig
from dbt_automl.clustering._families import (
    DensityFamily,
    Fitted,
    KMeansFamily,
    MixtureFamily,
)
from dbt_automl.errors import TrainingDataError

# The previous version's k is kept (its ids stay meaningful) unless another candidate is
# clearly better: BIC lower by 10 or more ("very strong" evidence on Kass & Raftery's
# scale), or silhouette higher by 0.02 or more.
STABLE_BIC_MARGIN = 10.0
STABLE_SILHOUETTE_MARGIN = 0.02


@dataclass
class Candidate:
    """One (family, k) tried, or skipped with the reason in ``note``."""

    family: str
    k: int | None
    warm: bool = False
    fitted: Fitted | None = None
    silhouette: float | None = None
    min_share: float | None = None
    seconds: float = 0.0
    note: str | None = None

    @property
    def bic(self) -> float | None:
        """The mixture's BIC (None for the other families)."""
        return None if self.fitted is None else self.fitted.bic

    def row(self, chosen: bool) -> dict[str, Any]:
        """The leaderboard row."""
        return {
            "family": self.family,
            "k": self.k,
            "silhouette": self.silhouette,
            "bic": self.bic,
            "min_segment_share": self.min_share,
            "seconds": round(self.seconds, 4),
            "warm_start": self.warm,
            "chosen": chosen,
            "note": self.note,
        }


@dataclass
class Plan:
    """What to try: the k range, the families, a warm start, and why mixtures are out."""

    ks: range
    families: tuple[str, ...]
    warm: tuple[str, np.ndarray] | None = None
    mixture_unsuited: str | None = None
    jobs: list[tuple[str, int | None, np.ndarray | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.warm is not None:
            family, init = self.warm
            self.jobs.append((family, len(init), init))
        # Mixtures unsuited to the columns are not tried at any k (said once, in decisions).
        skip = {"hdbscan", "gmm"} if self.mixture_unsuited else {"hdbscan"}
        for k in self.ks:
            self.jobs += [(f, k, None) for f in self.families if f not in skip]
            if k == self.ks.start and "hdbscan" in self.families:
                self.jobs.append(("hdbscan", None, None))


def search(
    matrix: np.ndarray,
    sample: np.ndarray,
    cfg: ClusterConfig,
    plan: Plan,
    deadline: float,
    log: Logger,
) -> list[Candidate]:
    """Fit the plan's candidates until the budget is spent (the first always runs)."""
    candidates: list[Candidate] = []
    for family, k, init in plan.jobs:
        candidate = Candidate(family, k, warm=init is not None)
        candidates.append(candidate)
        if candidates[:-1] and time.perf_counter() + _expected(candidates, family, k) > deadline:
            candidate.note = "skipped: not within the time budget"
            continue
        candidate.note = _unfit_reason(family, k, matrix.shape)
        if candidate.note is None:
            _run(candidate, matrix, sample, cfg, init)
        log.info(f"{cfg.model_name}: {_describe(candidate)}")
    skipped = [c for c in candidates if c.note == "skipped: not within the time budget"]
    if skipped:
        log.warning(
            f"{cfg.model_name}: time_budget_s={cfg.time_budget_s:g} spent; skipped "
            + ", ".join(f"{c.family} k={c.k}" for c in skipped)
            + " (raise time_budget_s to try them)"
        )
    return candidates


def _expected(done: list[Candidate], family: str, k: int | None) -> float:
    """Seconds a candidate should take: the family's last fit scaled by k (fits grow
    about linearly with k), so a budget is not overrun by the last candidate started."""
    last = next((c for c in reversed(done) if c.family == family and c.fitted), None)
    if last is None or k is None or not last.k:
        return 0.0
    return last.seconds * k / last.k


def _unfit_reason(family: str, k: int | None, shape: tuple[int, ...]) -> str | None:
    if family != "gmm" or k is None:
        return None
    needed = MixtureFamily.parameters(k, shape[1])
    if needed > shape[0]:
        return f"not fitted: {needed} free parameters for {shape[0]} rows"
    return None


def _run(
    candidate: Candidate,
    matrix: np.ndarray,
    sample: np.ndarray,
    cfg: ClusterConfig,
    init: np.ndarray | None,
) -> None:
    started = time.perf_counter()
    fitted: Fitted | None
    if candidate.family == "hdbscan":
        fitted = DensityFamily(cfg.min_segment_share).fit(matrix, sample)
        if fitted is None:
            candidate.note = "found fewer than 2 segments"
        elif not cfg.k_min <= fitted.k <= cfg.k_max:
            candidate.note = f"found {fitted.k} segments, outside [k_min, k_max]"
            candidate.k, fitted = fitted.k, None
    else:
        family = KMeansFamily() if candidate.family == "kmeans" else MixtureFamily()
        assert candidate.k is not None
        fitted = family.fit(matrix, candidate.k, cfg.seed, init)
        distinct = np.unique(fitted.labels).size
        if distinct < fitted.k:
            candidate.note = f"collapsed to {distinct} segments"
            fitted = None
    if fitted is not None:
        candidate.k = fitted.k
        candidate.fitted = fitted
        candidate.silhouette = silhouette(matrix, fitted.labels, sample)
        candidate.min_share = float(np.bincount(fitted.labels).min() / len(fitted.labels))
    candidate.seconds = time.perf_counter() - started


def silhouette(matrix: np.ndarray, labels: np.ndarray, sample: np.ndarray) -> float | None:
    """Mean silhouette on the sampled rows (None when they hold a single segment)."""
    from sklearn.metrics import silhouette_score

    chosen = labels[sample]
    distinct = np.unique(chosen).size
    if distinct < 2 or distinct >= len(sample):
        return None
    return float(silhouette_score(matrix[sample], chosen))


def _describe(c: Candidate) -> str:
    head = f"{c.family}{' (warm start)' if c.warm else ''} k={c.k}"
    if c.fitted is None:
        return f"{head}: {c.note}"
    parts = [f"silhouette {_fmt(c.silhouette)}"]
    if c.bic is not None:
        parts.append(f"BIC {c.bic:.1f}")
    parts.append(f"smallest segment {c.min_share:.1%}")
    return f"{head}: " + ", ".join(parts) + f" ({c.seconds:.2f}s)"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def choose(
    candidates: list[Candidate], cfg: ClusterConfig, unsuited: str | None
) -> tuple[Candidate, dict[str, Any]]:
    """The candidate the criterion prefers, and why (recorded in the decisions).

    Raises:
        TrainingDataError: no candidate could be fitted.
    """
    fitted = [c for c in candidates if c.fitted is not None]
    if not fitted:
        notes = "; ".join(f"{c.family} k={c.k}: {c.note}" for c in candidates)
        raise TrainingDataError(
            f"no segmentation could be fitted ({notes})",
            "widen [k_min, k_max], add families, or give more varied rows",
            model=cfg.model_name,
        )
    why: dict[str, Any] = {}
    large = [c for c in fitted if (c.min_share or 0.0) >= cfg.min_segment_share]
    if not large:
        large = fitted
        why["min_segment_share"] = (
            f"every candidate has a segment under {cfg.min_segment_share:.1%} of the rows; "
            "chosen among all of them"
        )
    by, pool = _pool(large, cfg, unsuited, why)
    ranked = sorted(pool, key=lambda c: _score(c, by), reverse=True)
    best = ranked[0]
    chosen = _stable_choice(ranked, by, why)
    why["criterion"] = by
    why["chosen"] = f"{chosen.family} k={chosen.k}: {by} {_value(chosen, by)}"
    if len(ranked) > 1 and chosen is best:
        runner = ranked[1]
        why["runner_up"] = f"{runner.family} k={runner.k}: {by} {_value(runner, by)}"
    return chosen, why


def _pool(
    large: list[Candidate], cfg: ClusterConfig, unsuited: str | None, why: dict[str, Any]
) -> tuple[str, list[Candidate]]:
    if cfg.criterion == "silhouette":
        return "silhouette", large
    mixtures = [c for c in large if c.family == "gmm"]
    if mixtures:
        why["family"] = "a Gaussian mixture, compared by BIC (criterion bic)"
        return "bic", mixtures
    if "gmm" not in cfg.families:
        reason = "gmm is not in families"
    else:
        reason = unsuited or "no Gaussian mixture could be fitted within the settings"
    why["family"] = f"criterion bic fell back to silhouette: {reason}"
    return "silhouette", large


def _score(c: Candidate, by: str) -> float:
    if by == "bic":
        return -float(c.bic if c.bic is not None else np.inf)
    return c.silhouette if c.silhouette is not None else -1.0


def _value(c: Candidate, by: str) -> str:
    return f"{c.bic:.1f}" if by == "bic" and c.bic is not None else _fmt(c.silhouette)


def _stable_choice(ranked: list[Candidate], by: str, why: dict[str, Any]) -> Candidate:
    best = ranked[0]
    warm = next((c for c in ranked if c.warm), None)
    if warm is None or warm is best:
        return best
    margin = STABLE_BIC_MARGIN if by == "bic" else STABLE_SILHOUETTE_MARGIN
    gap = _score(best, by) - _score(warm, by)
    if gap < margin:
        why["stability"] = (
            f"kept the previous version's {warm.family} k={warm.k} ({by} {_value(warm, by)}) "
            f"over {best.family} k={best.k} ({_value(best, by)}): within {margin:g}, "
            "so segment ids keep their meaning"
        )
        return warm
    why["stability"] = (
        f"left the previous version's k={warm.k}: {best.family} k={best.k} is better by "
        f"{gap:.3g} {by} (margin {margin:g})"
    )
    return best
