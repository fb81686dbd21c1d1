"""The lifecycle settings every task shares: ``retrain`` and ``promotion`` in ``meta.automl``.

They say when a new version is trained and when it replaces the champion; they do not say
what a model is, so changing them retrains nothing (they are left out of the config hash).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from dbt_automl.errors import ConfigError

RULES = ("on_change", "always", "never", "max_age", "on_drift")
DEFAULT_DRIFT_PSI = 0.2  # the usual "significant shift" line for the population stability index
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class RetrainPolicy:
    """When a new version is trained.

    ``rule``: ``on_change`` (data fingerprint, settings or dbt-automl's version changed),
    ``always``, ``never`` (after the first), ``max_age`` (the newest version is older than
    ``max_age``, or the settings changed) or ``on_drift`` (a training column's PSI against
    the newest version's training profile passes ``drift_psi``, or the settings changed).
    """

    rule: str = "on_change"
    max_age: timedelta | None = None
    drift_psi: float = DEFAULT_DRIFT_PSI

    def describe(self) -> str:
        """The rule as written in YAML, for the log."""
        if self.rule == "max_age":
            return f"retrain: {{max_age: {_age_text(self.max_age)}}}"
        if self.rule == "on_drift":
            return f"retrain: on_drift (PSI > {self.drift_psi:g})"
        return f"retrain: {self.rule}"


@dataclass(frozen=True)
class PromotionRule:
    """When a challenger replaces the champion (MLflow's ``MetricThreshold`` vocabulary).

    The challenger is promoted when its score on the held-out rows reaches ``threshold``
    (an absolute floor, None: none) and beats the champion's score on the same rows by at
    least ``min_absolute_change`` and ``min_relative_change`` (a share of the champion's
    score), both in the metric's better direction. ``always`` promotes every new version.
    """

    threshold: float | None = None
    min_absolute_change: float = 0.0
    min_relative_change: float = 0.0
    always: bool = False


def retrain_policy(raw: Mapping[str, Any], model_name: str) -> RetrainPolicy:
    """The ``retrain`` setting: a rule name, or ``{max_age: 7d}`` / ``{on_drift: 0.25}``.

    Raises:
        ConfigError: an unknown rule, or an age or PSI that cannot be read.
    """
    value = raw.get("retrain", "on_change")
    if isinstance(value, str) and value in RULES and value != "max_age":
        return RetrainPolicy(rule=value)
    if isinstance(value, Mapping) and len(value) == 1:
        ((rule, arg),) = value.items()
        if rule == "max_age":
            return RetrainPolicy(rule="max_age", max_age=_age(arg, model_name))
        if rule == "on_drift" and _positive(arg):
            return RetrainPolicy(rule="on_drift", drift_psi=float(arg))
    raise ConfigError(
        f"unknown retrain rule {value!r}",
        "write one of `retrain: on_change` (default), `always`, `never`, `on_drift`, "
        "`{on_drift: 0.25}` (a PSI), or `{max_age: 7d}` (s, m, h, d, w)",
        model=model_name,
        key="retrain",
    )


def promotion_rule(raw: Mapping[str, Any], model_name: str) -> PromotionRule:
    """The ``promotion`` setting: ``always``, or a mapping of threshold and minimum gains.

    Raises:
        ConfigError: an unknown key or a value that is not a number.
    """
    value = raw.get("promotion")
    if value is None:
        return PromotionRule()
    if value == "always":
        return PromotionRule(always=True)
    known = {"threshold", "min_absolute_change", "min_relative_change"}
    if (
        isinstance(value, Mapping)
        and set(value) <= known
        and all(_number(v) for v in value.values())
    ):
        return PromotionRule(
            threshold=None if value.get("threshold") is None else float(value["threshold"]),
            min_absolute_change=float(value.get("min_absolute_change", 0.0)),
            min_relative_change=float(value.get("min_relative_change", 0.0)),
        )
    raise ConfigError(
        f"cannot read promotion {value!r}",
        "write `promotion: always`, or a mapping of numbers with keys from "
        f"{sorted(known)}, e.g. `promotion: {{threshold: 0.8, min_absolute_change: 0.005}}`",
        model=model_name,
        key="promotion",
    )


def _age(value: Any, model_name: str) -> timedelta:
    found = _AGE.match(str(value))
    if found is None or float(found.group(1)) <= 0:
        raise ConfigError(
            f"cannot read max_age {value!r}",
            "write a positive number and a unit (s, m, h, d, w), e.g. `{max_age: 7d}`",
            model=model_name,
            key="retrain",
        )
    return timedelta(seconds=float(found.group(1)) * _UNIT_S[found.group(2)])


def _age_text(age: timedelta | None) -> str:
    seconds = 0.0 if age is None else age.total_seconds()
    for unit in ("w", "d", "h", "m"):
        if seconds >= _UNIT_S[unit] and seconds % _UNIT_S[unit] == 0:
            return f"{int(seconds // _UNIT_S[unit])}{unit}"
    return f"{seconds:g}s"


def _number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _positive(value: Any) -> bool:
    return _number(value) and value is not None and value > 0
