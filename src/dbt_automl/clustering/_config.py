"""The ``meta.automl`` block of a segmentation model (``task: clustering``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dbt_automl.config import as_names, check_keys, time_budget, whole_number
from dbt_automl.errors import ConfigError

CLUSTERING_TASK = "clustering"
# Families in the order the search tries them at each k.
FAMILIES = ("kmeans", "gmm", "hdbscan")
DEFAULT_FAMILIES = ("kmeans", "gmm")
# bic: Gaussian mixtures compared by BIC where the data suit them, k-means (and HDBSCAN)
# by silhouette otherwise; silhouette: every candidate compared by silhouette on a sample.
CRITERIA = ("bic", "silhouette")
DEFAULT_CRITERION = "bic"
K_LIMIT = 50


@dataclass(frozen=True)
class ClusterConfig:
    """Validated settings of one segmentation model; each field is a ``meta.automl`` key.

    ``id_columns`` name the entity (e.g. ``customer_id``): carried to the assignment table,
    never used as features; ``exclude`` are columns not used at all. ``labels`` attach a
    human name to a segment id (``{1: "young high spenders"}``), kept as sorted pairs so the
    settings stay hashable. ``min_segment_share``: a candidate with a smaller segment is not
    chosen (unless none is large enough, said in the decisions).
    """

    model_name: str
    id_columns: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    k_min: int = 2
    k_max: int = 8
    families: tuple[str, ...] = DEFAULT_FAMILIES
    criterion: str = DEFAULT_CRITERION
    sample_rows: int = 5000
    labels: tuple[tuple[int, str], ...] = ()
    min_segment_share: float = 0.02
    max_train_rows: int = 100_000
    time_budget_s: float = 60.0
    seed: int = 42
    registry_path: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def task(self) -> str:
        """Always ``clustering``."""
        return CLUSTERING_TASK

    @property
    def label_map(self) -> dict[int, str]:
        """Segment id -> human label, as written in ``labels``."""
        return dict(self.labels)

    def error(self, key: str, message: str, fix: str) -> ConfigError:
        """A ConfigError that names the model, the key and the fix."""
        return ConfigError(message, fix, model=self.model_name, key=key)


def is_clustering(raw: Mapping[str, Any] | None) -> bool:
    """Whether a ``meta.automl`` block asks for a segmentation model."""
    return bool(raw) and raw.get("task") == CLUSTERING_TASK  # type: ignore[union-attr]


def parse_cluster_config(raw: Mapping[str, Any], model_name: str) -> ClusterConfig:
    """Validate a segmentation ``meta.automl`` block.

    Example::

        >>> cfg = parse_cluster_config({"task": "clustering", "id_columns": "customer_id",
        ...                             "k_max": 6, "labels": {1: "savers"}}, "segments")
        >>> cfg.k_max, cfg.label_map
        (6, {1: 'savers'})

    Raises:
        ConfigError: a key is unknown or missing, or a value is out of range.
    """
    known = {f for f in ClusterConfig.__dataclass_fields__ if f not in ("model_name", "raw")}
    check_keys(raw, known, CLUSTERING_TASK, model_name, {"id_columns": "[customer_id]"})
    cfg = ClusterConfig(
        model_name=model_name,
        id_columns=as_names(raw.get("id_columns"), "id_columns", model_name),
        exclude=as_names(raw.get("exclude"), "exclude", model_name),
        k_min=whole_number(raw, "k_min", model_name, 2),
        k_max=whole_number(raw, "k_max", model_name, 8),
        families=as_names(raw.get("families"), "families", model_name) or DEFAULT_FAMILIES,
        criterion=str(raw.get("criterion", DEFAULT_CRITERION)),
        sample_rows=whole_number(raw, "sample_rows", model_name, 5000),
        labels=_labels(raw.get("labels"), model_name),
        min_segment_share=_share(raw, model_name),
        max_train_rows=whole_number(raw, "max_train_rows", model_name, 100_000),
        time_budget_s=time_budget(raw, model_name),
        seed=whole_number(raw, "seed", model_name, 42),
        registry_path=raw.get("registry_path"),
        raw=dict(raw),
    )
    _check(cfg)
    return cfg


def _labels(value: Any, model_name: str) -> tuple[tuple[int, str], ...]:
    if value is None:
        return ()
    fix = 'write e.g. `labels: {"1": "young high spenders", "2": "savers"}` (quoted ids)'
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"expected a mapping of segment id to label, got {value!r}",
            fix,
            model=model_name,
            key="labels",
        )
    pairs = []
    for key, label in value.items():
        segment = _segment_id(key)
        if segment is None or not isinstance(label, str) or not label.strip():
            raise ConfigError(
                f"expected a segment id >= 1 mapped to a non-empty text, got {key!r}: {label!r}",
                fix,
                model=model_name,
                key="labels",
            )
        pairs.append((segment, label.strip()))
    return tuple(sorted(pairs))


def _segment_id(key: Any) -> int | None:
    # YAML reads `1:` as an int and `"1":` as a string; both name segment 1.
    if isinstance(key, bool):
        return None
    if isinstance(key, str) and key.strip().isdigit():
        key = int(key)
    return key if isinstance(key, int) and key >= 1 else None


def _share(raw: Mapping[str, Any], model_name: str) -> float:
    value = raw.get("min_segment_share", 0.02)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 0.5:
        raise ConfigError(
            f"must be a share in [0, 0.5), got {value!r}",
            "use e.g. 0.02 (no segment under 2% of the rows), or 0 to allow any size",
            model=model_name,
            key="min_segment_share",
        )
    return float(value)


def _check(cfg: ClusterConfig) -> None:
    if cfg.k_min < 2:
        raise cfg.error(
            "k_min", f"must be >= 2 (one segment is no segmentation), got {cfg.k_min}", "use 2"
        )
    if cfg.k_max < cfg.k_min:
        raise cfg.error(
            "k_max",
            f"must be >= k_min ({cfg.k_min}), got {cfg.k_max}",
            "raise k_max or lower k_min",
        )
    if cfg.k_max > K_LIMIT:
        raise cfg.error("k_max", f"must be <= {K_LIMIT}, got {cfg.k_max}", "use e.g. 8")
    bad = [f for f in cfg.families if f not in FAMILIES]
    if bad:
        raise cfg.error("families", f"unknown families {bad}", f"choose from {list(FAMILIES)}")
    if cfg.criterion not in CRITERIA:
        raise cfg.error(
            "criterion", f"must be one of {list(CRITERIA)}, got {cfg.criterion!r}", "use bic"
        )
    if cfg.sample_rows < 100:
        raise cfg.error("sample_rows", f"must be >= 100, got {cfg.sample_rows}", "use 5000")
    if cfg.max_train_rows < 100:
        raise cfg.error(
            "max_train_rows", f"must be >= 100, got {cfg.max_train_rows}", "use 100000"
        )
    both = sorted(set(cfg.id_columns) & set(cfg.exclude))
    if both:
        raise cfg.error(
            "exclude", f"column(s) {both} are both id_columns and excluded", "list each once"
        )
