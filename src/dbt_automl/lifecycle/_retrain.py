"""Whether a build trains a new version, and which rule said so (the log quotes it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dbt_automl.lifecycle._settings import RetrainPolicy

RETRAIN_VAR = "automl_retrain"
PIN_VAR = "automl_pin"
RETRAIN_ENV = "DBT_AUTOML_RETRAIN"


@dataclass(frozen=True)
class Newest:
    """What the retrain rules read of the newest version (trained, promoted or not)."""

    version: int
    data_fingerprint: str
    config_hash: str
    library_version: str
    readable: bool  # written in the registry format this release loads
    created_at: datetime


@dataclass(frozen=True)
class Verdict:
    """Train or reuse, and why."""

    train: bool
    reason: str


def decide(
    newest: Newest | None,
    policy: RetrainPolicy,
    data_fingerprint: str,
    config_hash: str,
    library_version: str,
    drift: Callable[[], tuple[str, float] | None] | None = None,
) -> Verdict:
    """Apply the retrain rules in order: no version yet, the var, an unreadable version,
    then the model's ``retrain`` rule.

    ``drift`` (``on_drift`` only) returns the training column that moved most and its PSI
    against the newest version's profile, or None when the newest version has no profile.
    """
    if newest is None:
        return Verdict(True, "no version yet")
    if forced():
        return Verdict(True, f"forced by --vars '{{{RETRAIN_VAR}: true}}'")
    if not newest.readable:
        return Verdict(True, f"v{newest.version} was written by an older registry format")
    if policy.rule == "never":
        return Verdict(False, f"{policy.describe()}: v{newest.version} is kept whatever changes")
    if policy.rule == "always":
        return Verdict(True, policy.describe())
    if newest.config_hash != config_hash:
        return Verdict(True, f"{policy.describe()}: settings changed since v{newest.version}")
    return _by_rule(newest, policy, data_fingerprint, library_version, drift)


def _by_rule(
    newest: Newest,
    policy: RetrainPolicy,
    data_fingerprint: str,
    library_version: str,
    drift: Callable[[], tuple[str, float] | None] | None,
) -> Verdict:
    rule, v = policy.describe(), f"v{newest.version}"
    if policy.rule == "max_age":
        age = datetime.now(UTC) - newest.created_at
        assert policy.max_age is not None
        if age > policy.max_age:
            return Verdict(True, f"{rule}: {v} is {_days(age)} old")
        return Verdict(False, f"{rule}: {v} is {_days(age)} old, within the limit")
    if policy.rule == "on_drift":
        moved = None if drift is None else drift()
        if moved is None:
            return _on_change(newest, rule, data_fingerprint, library_version, "no profile")
        column, psi = moved
        if psi > policy.drift_psi:
            return Verdict(True, f"{rule}: column {column} moved, PSI {psi:.3f}")
        return Verdict(False, f"{rule}: largest PSI {psi:.3f} ({column}); {v} kept")
    return _on_change(newest, rule, data_fingerprint, library_version, "")


def _on_change(
    newest: Newest, rule: str, data_fingerprint: str, library_version: str, note: str
) -> Verdict:
    v = f"v{newest.version}"
    prefix = f"{rule} ({note}: on_change instead)" if note else rule
    if newest.data_fingerprint != data_fingerprint:
        return Verdict(True, f"{prefix}: the data changed since {v}")
    if newest.library_version != library_version:
        return Verdict(
            True, f"{prefix}: dbt-automl {newest.library_version} -> {library_version} since {v}"
        )
    return Verdict(False, f"{prefix}: data, settings and dbt-automl unchanged since {v}")


def forced() -> bool:
    """Whether this run was told to retrain: ``--vars '{automl_retrain: true}'`` (read from
    the running dbt invocation) or ``DBT_AUTOML_RETRAIN=1``."""
    if os.environ.get(RETRAIN_ENV, "").lower() in ("1", "true", "yes"):
        return True
    return _truthy(run_vars().get(RETRAIN_VAR))


def pinned_versions() -> dict[str, int]:
    """``--vars '{automl_pin: {churn_model: 3}}'``: model -> version to serve in this run."""
    value = run_vars().get(PIN_VAR) or {}
    if not isinstance(value, Mapping):
        return {}
    return {str(k): int(v) for k, v in value.items() if str(v).isdigit()}


def run_vars() -> Mapping[str, Any]:
    """The ``--vars`` of the dbt invocation running this python model, else {}."""
    found = dbt_flag("VARS")
    return found if isinstance(found, Mapping) else {}


def dbt_flag(name: str) -> Any:
    """A flag of the dbt invocation this process is running (``VARS``, ``FULL_REFRESH``,
    ``PROJECT_DIR``, ``TARGET_PATH``), or None outside dbt.

    dbt-duckdb runs python models inside dbt's own process, where dbt keeps the parsed
    command line in ``dbt.flags``: a python model cannot call ``var()``, and the project
    dir dbt was given need not be the working directory.
    """
    try:
        from dbt.flags import get_flags

        return getattr(get_flags(), name, None)
    except Exception:  # dbt not installed or not initialised: not inside a dbt run
        return None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _days(age: Any) -> str:
    seconds = age.total_seconds()
    return f"{seconds / 86400:.1f} days" if seconds >= 86400 else f"{seconds / 3600:.1f} hours"
