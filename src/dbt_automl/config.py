"""Read and validate the ``meta.automl`` block of a trained model's YAML."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dbt_automl.errors import ConfigError
from dbt_automl.lifecycle import LIFECYCLE_KEYS, promotion_rule, retrain_policy
from dbt_automl.search import FAMILY_NAMES
from dbt_automl.tasks import TASK_NAMES

MAX_BUDGET_ENV = "DBT_AUTOML_MAX_TIME_BUDGET_S"


@dataclass(frozen=True)
class AutomlConfig:
    """Validated AutoML settings of one trained model.

    Every field maps to a ``meta.automl`` key of the same name; README lists them all.
    """

    model_name: str
    target: str
    task: str | None = None
    metric: str | None = None
    time_budget_s: float = 60.0
    max_trials: int | None = None
    id_columns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    seed: int = 42
    test_size: float = 0.2
    max_train_rows: int = 1_000_000
    families: tuple[str, ...] = FAMILY_NAMES
    positive_class: Any = None
    registry_path: str | None = None
    n_jobs: int = 1
    group_column: str | None = None
    time_column: str | None = None
    cv_folds: int | None = None
    costs: Mapping[str, float] | None = None
    ensemble: bool = True
    calibrate: bool = True
    feature_selection: bool = True
    search_max_rows: int = 50_000
    bagging: bool = False
    refit_full: bool | str = "auto"
    max_predict_us_per_row: float | str | None = "auto"
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def error(self, key: str, message: str, fix: str) -> ConfigError:
        """Build a ConfigError that names the model, the key and the fix."""
        return ConfigError(message, fix, model=self.model_name, key=key)


def as_names(value: Any, key: str, model_name: str) -> tuple[str, ...]:
    """A ``meta.automl`` value naming one column or several, as a tuple.

    Raises:
        ConfigError: it is neither a name nor a list of names.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(
        f"expected a column name or a list of column names, got {value!r}",
        f"write e.g. `{key}: [customer_id]`",
        model=model_name,
        key=key,
    )


def whole_number(raw: Mapping[str, Any], key: str, model_name: str, default: int) -> int:
    """A ``meta.automl`` value that must be a whole number (``default`` when absent).

    Raises:
        ConfigError: it is not a whole number.
    """
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ConfigError(
            f"expected a whole number, got {value!r}",
            f"write e.g. `{key}: {default}`",
            model=model_name,
            key=key,
        )
    return int(value)


def check_keys(
    raw: Mapping[str, Any],
    known: set[str],
    task: str,
    model_name: str,
    required: Mapping[str, str],
) -> None:
    """Refuse unknown keys and missing required ones for a task's ``meta.automl`` block.

    ``required`` maps each required key to an example value for the fix.

    Raises:
        ConfigError: a key is unknown, or a required key is missing or empty.
    """
    unknown = sorted(set(raw) - known - {"task"} - LIFECYCLE_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {unknown} for task: {task}",
            f"use only {sorted(known | {'task'})}",
            model=model_name,
        )
    for key, example in required.items():
        if raw.get(key) in (None, "", [], ()):
            raise ConfigError(
                f"missing (task: {task} needs {', '.join(required)})",
                f"add e.g. `{key}: {example}`",
                model=model_name,
                key=key,
            )
    retrain_policy(raw, model_name)
    promotion_rule(raw, model_name)


def time_budget(raw: Mapping[str, Any], model_name: str) -> float:
    """``time_budget_s`` in seconds (default 60), capped by ``DBT_AUTOML_MAX_TIME_BUDGET_S``.

    Raises:
        ConfigError: it is not a number > 0.
    """
    return _budget(raw, model_name)


def _number(raw: Mapping[str, Any], key: str, default: float, model_name: str) -> float:
    value = raw.get(key, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"expected a number, got {value!r}",
            f"write a plain number, e.g. `{key}: {default}`",
            model=model_name,
            key=key,
        ) from None


def _budget(raw: Mapping[str, Any], model_name: str) -> float:
    budget = _number(raw, "time_budget_s", 60.0, model_name)
    if budget <= 0:
        raise ConfigError(
            f"must be > 0, got {raw.get('time_budget_s')!r}",
            "give the search a positive number of seconds",
            model=model_name,
            key="time_budget_s",
        )
    cap = os.environ.get(MAX_BUDGET_ENV)
    # CI and tests cap every model's budget without editing the project's YAML.
    return min(budget, float(cap)) if cap else budget


def parse_config(raw: Mapping[str, Any] | None, model_name: str) -> AutomlConfig:
    """Validate ``meta.automl`` and return an :class:`AutomlConfig`.

    Args:
        raw: the dict returned by ``dbt.config.meta_get("automl")``.
        model_name: the dbt model being trained, used in every error message.

    Raises:
        ConfigError: on a missing target, an unknown key or a value out of range.
    """
    _check_keys(raw, model_name)
    assert raw is not None
    cfg = AutomlConfig(
        model_name=model_name,
        target=raw["target"],
        task=_task(raw.get("task"), model_name),
        metric=raw.get("metric"),
        time_budget_s=_budget(raw, model_name),
        max_trials=int(raw["max_trials"]) if raw.get("max_trials") is not None else None,
        id_columns=as_names(raw.get("id_columns"), "id_columns", model_name),
        exclude=as_names(raw.get("exclude"), "exclude", model_name),
        seed=int(_number(raw, "seed", 42, model_name)),
        test_size=_number(raw, "test_size", 0.2, model_name),
        max_train_rows=int(_number(raw, "max_train_rows", 1_000_000, model_name)),
        families=as_names(raw.get("families"), "families", model_name) or FAMILY_NAMES,
        positive_class=raw.get("positive_class"),
        registry_path=raw.get("registry_path"),
        n_jobs=int(_number(raw, "n_jobs", 1, model_name)),
        group_column=raw.get("group_column"),
        time_column=raw.get("time_column"),
        cv_folds=int(raw["cv_folds"]) if raw.get("cv_folds") is not None else None,
        costs=raw.get("costs"),
        ensemble=bool(raw.get("ensemble", True)),
        calibrate=bool(raw.get("calibrate", True)),
        feature_selection=bool(raw.get("feature_selection", True)),
        search_max_rows=int(_number(raw, "search_max_rows", 50_000, model_name)),
        bagging=bool(raw.get("bagging", False)),
        refit_full=raw.get("refit_full", "auto"),
        max_predict_us_per_row=_cost_budget(raw, model_name),
        raw=dict(raw),
    )
    _check_ranges(cfg)
    return cfg


def _cost_budget(raw: Mapping[str, Any], model_name: str) -> float | str | None:
    """``max_predict_us_per_row``: ``auto``, a positive number, or null (no budget)."""
    value = raw.get("max_predict_us_per_row", "auto")
    if value is None or value == "auto":
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ConfigError(
        f"must be auto, a number of microseconds > 0, or null, got {value!r}",
        "use auto (the default), e.g. 10, or null to turn the scoring budget off",
        model=model_name,
        key="max_predict_us_per_row",
    )


def _check_keys(raw: Mapping[str, Any] | None, model_name: str) -> None:
    """Settings present, every key known, a target named."""
    if not raw:
        raise ConfigError(
            "no meta.automl settings",
            "add `config: {meta: {automl: {target: <label column>}}}` to its YAML entry",
            model=model_name,
        )
    known = {f for f in AutomlConfig.__dataclass_fields__ if f not in ("model_name", "raw")}
    known |= LIFECYCLE_KEYS
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"unknown meta.automl key(s) {unknown}", f"use only {sorted(known)}", model=model_name
        )
    if not isinstance(raw.get("target"), str) or not raw["target"]:
        raise ConfigError(
            "missing",
            "name the label column, e.g. `target: is_churned`",
            model=model_name,
            key="target",
        )
    retrain_policy(raw, model_name)
    promotion_rule(raw, model_name)


def _task(value: Any, model_name: str) -> str | None:
    if value is None:
        return None
    if value not in TASK_NAMES:
        raise ConfigError(
            f"unknown task {value!r}",
            f"use one of {list(TASK_NAMES)}",
            model=model_name,
            key="task",
        )
    return str(value)


def _check_ranges(cfg: AutomlConfig) -> None:
    if not 0.05 <= cfg.test_size <= 0.5:
        raise cfg.error("test_size", f"must be in [0.05, 0.5], got {cfg.test_size}", "use 0.2")
    if cfg.max_trials is not None and cfg.max_trials < 1:
        raise cfg.error("max_trials", f"must be >= 1, got {cfg.max_trials}", "remove it or use 50")
    if cfg.max_train_rows < 100:
        raise cfg.error(
            "max_train_rows", f"must be >= 100, got {cfg.max_train_rows}", "use 1000000"
        )
    if cfg.n_jobs == 0 or cfg.n_jobs < -1:
        raise cfg.error("n_jobs", f"must be >= 1 or -1 (all cores), got {cfg.n_jobs}", "use 1")
    if cfg.cv_folds is not None and not 1 <= cfg.cv_folds <= 20:
        raise cfg.error("cv_folds", f"must be in [1, 20], got {cfg.cv_folds}", "use 5, or 1")
    if cfg.search_max_rows < 1000:
        raise cfg.error(
            "search_max_rows", f"must be >= 1000, got {cfg.search_max_rows}", "use 50000"
        )
    if cfg.refit_full not in (True, False, "auto"):
        raise cfg.error(
            "refit_full", f"must be true, false or auto, got {cfg.refit_full!r}", "use auto"
        )
    _check_costs(cfg)
    bad = [f for f in cfg.families if f not in FAMILY_NAMES]
    if bad:
        raise cfg.error("families", f"unknown families {bad}", f"choose from {list(FAMILY_NAMES)}")
    clash = set(cfg.id_columns) & {cfg.target} | set(cfg.exclude) & {cfg.target}
    if clash:
        raise cfg.error(
            "id_columns",
            f"the target {cfg.target!r} is also listed as an id or excluded column",
            "remove it from id_columns / exclude",
        )


def _check_costs(cfg: AutomlConfig) -> None:
    if cfg.costs is None:
        return
    keys = {"false_positive", "false_negative"}
    if not isinstance(cfg.costs, Mapping) or set(cfg.costs) != keys:
        raise cfg.error(
            "costs",
            f"expected {{false_positive: <cost>, false_negative: <cost>}}, got {cfg.costs!r}",
            "e.g. `costs: {false_positive: 1, false_negative: 20}`",
        )
    if any(not isinstance(v, int | float) or v < 0 for v in cfg.costs.values()):
        raise cfg.error("costs", f"costs must be numbers >= 0, got {dict(cfg.costs)}", "fix them")
