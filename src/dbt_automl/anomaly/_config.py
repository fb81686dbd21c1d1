"""The ``meta.automl`` block of an anomaly-detection model (``task: anomaly``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dbt_automl.config import as_names, check_keys, time_budget, whole_number
from dbt_automl.errors import ConfigError

ANOMALY_TASK = "anomaly"
# Detector families, cheapest first: training fits them in this order while the budget
# lasts. Each has a different idea of "unusual" (see _families.py).
FAMILIES = ("hbos", "ecod", "copod", "iforest", "knn")
ENSEMBLE = "ensemble"
DEFAULT_CONTAMINATION = 0.01
DEFAULT_MAX_TRAIN_ROWS = 100_000
MIN_TRAIN_ROWS = 100


@dataclass(frozen=True)
class AnomalyConfig:
    """Validated settings of one anomaly detector; each field is a ``meta.automl`` key.

    ``label_column`` holds the few known outcomes (true = anomaly, mostly null): they choose
    the detector and, without ``contamination`` / ``score_threshold``, the threshold; they
    are never a feature. ``contamination`` is the expected share of anomalies (flag that
    share of training rows); ``score_threshold`` flags rows whose score reaches it instead.
    """

    model_name: str
    id_columns: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    label_column: str | None = None
    contamination: float | None = None
    score_threshold: float | None = None
    families: tuple[str, ...] = FAMILIES
    max_train_rows: int = DEFAULT_MAX_TRAIN_ROWS
    time_budget_s: float = 60.0
    seed: int = 42
    registry_path: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def task(self) -> str:
        """Always ``anomaly``."""
        return ANOMALY_TASK

    @property
    def threshold_from_labels(self) -> bool:
        """Whether labels may choose the threshold (neither setting fixes it)."""
        return self.contamination is None and self.score_threshold is None

    def error(self, key: str, message: str, fix: str) -> ConfigError:
        """A ConfigError that names the model, the key and the fix."""
        return ConfigError(message, fix, model=self.model_name, key=key)


def is_anomaly(raw: Mapping[str, Any] | None) -> bool:
    """Whether a ``meta.automl`` block asks for an anomaly detector."""
    return bool(raw) and raw.get("task") == ANOMALY_TASK  # type: ignore[union-attr]


def parse_anomaly_config(raw: Mapping[str, Any], model_name: str) -> AnomalyConfig:
    """Validate an anomaly-detection ``meta.automl`` block.

    Raises:
        ConfigError: a key is unknown or missing, or a value is out of range (e.g.
            ``contamination`` outside (0, 0.5], or both it and ``score_threshold`` given).
    """
    known = {f for f in AnomalyConfig.__dataclass_fields__ if f not in ("model_name", "raw")}
    check_keys(raw, known, ANOMALY_TASK, model_name, {"id_columns": "[transaction_id]"})
    label = raw.get("label_column")
    if label is not None and not isinstance(label, str):
        raise ConfigError(
            f"expected one column name, got {label!r}",
            "write e.g. `label_column: is_confirmed_fraud`",
            model=model_name,
            key="label_column",
        )
    cfg = AnomalyConfig(
        model_name=model_name,
        id_columns=as_names(raw.get("id_columns"), "id_columns", model_name),
        exclude=as_names(raw.get("exclude"), "exclude", model_name),
        label_column=label,
        contamination=_share(raw, "contamination", model_name),
        score_threshold=_share(raw, "score_threshold", model_name),
        families=as_names(raw.get("families"), "families", model_name) or FAMILIES,
        max_train_rows=whole_number(raw, "max_train_rows", model_name, DEFAULT_MAX_TRAIN_ROWS),
        time_budget_s=time_budget(raw, model_name),
        seed=whole_number(raw, "seed", model_name, 42),
        registry_path=raw.get("registry_path"),
        raw=dict(raw),
    )
    _check(cfg)
    return cfg


def _share(raw: Mapping[str, Any], key: str, model_name: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(
            f"expected a number, got {value!r}",
            f"write e.g. `{key}: {0.01 if key == 'contamination' else 0.99}`",
            model=model_name,
            key=key,
        )
    return float(value)


def _check(cfg: AnomalyConfig) -> None:
    if cfg.contamination is not None and not 0 < cfg.contamination <= 0.5:
        raise cfg.error(
            "contamination",
            f"must be a share in (0, 0.5], got {cfg.contamination}",
            "give the expected share of anomalies, e.g. `contamination: 0.01` (1 %)",
        )
    if cfg.score_threshold is not None and not 0 < cfg.score_threshold < 1:
        raise cfg.error(
            "score_threshold",
            f"must be in (0, 1), got {cfg.score_threshold}",
            "use e.g. 0.99 (flag rows more unusual than 99 % of training rows)",
        )
    if cfg.contamination is not None and cfg.score_threshold is not None:
        raise cfg.error(
            "score_threshold",
            "both contamination and score_threshold are set; each decides the flag alone",
            "keep one: contamination (a share of rows) or score_threshold (a score)",
        )
    bad = [f for f in cfg.families if f not in FAMILIES]
    if bad or not cfg.families:
        raise cfg.error("families", f"unknown families {bad}", f"choose from {list(FAMILIES)}")
    if cfg.max_train_rows < MIN_TRAIN_ROWS:
        raise cfg.error(
            "max_train_rows",
            f"must be >= {MIN_TRAIN_ROWS}, got {cfg.max_train_rows}",
            f"use {DEFAULT_MAX_TRAIN_ROWS}",
        )
    roles = [*cfg.id_columns, *cfg.exclude, *([cfg.label_column] if cfg.label_column else [])]
    repeated = sorted({c for c in roles if roles.count(c) > 1})
    if repeated:
        raise cfg.error(
            "label_column",
            f"column(s) {repeated} named in more than one role (id, exclude, label)",
            "give each column one role",
        )
