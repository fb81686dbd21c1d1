"""Where a version stands: which version scoring uses, every version's status, the events.

The registry's lifecycle (``Registry.champion`` / ``status`` / ``history``) decides; a
registry without it (an older release) is read as "the newest version is the champion",
which is what scoring did before champions and challengers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbt_automl.registry import ModelVersion, Registry


@dataclass(frozen=True)
class Lifecycle:
    """A model's lifecycle as the card shows it."""

    champion: ModelVersion | None
    status: dict[int, str]
    history: list[dict[str, Any]] = field(default_factory=list)

    def status_of(self, version: int) -> str:
        """The status of one version ("champion", "challenger", ...)."""
        return self.status.get(version, "challenger")


def lifecycle(registry: Registry, model_name: str) -> Lifecycle:
    """The champion, the status of every version and the lifecycle events of a model."""
    versions = registry.versions(model_name)
    champion_of = getattr(registry, "champion", None)
    status_of = getattr(registry, "status", None)
    history_of = getattr(registry, "history", None)
    if champion_of is not None and status_of is not None and history_of is not None:
        status = {int(v): str(s) for v, s in status_of(model_name).items()}
        return Lifecycle(champion_of(model_name), status, list(history_of(model_name)))
    # Before champions and challengers: scoring used the newest version.
    newest = versions[-1] if versions else None
    status = {v.version: "retired" for v in versions[:-1]}
    if newest is not None:
        status[newest.version] = "champion"
    return Lifecycle(newest, status, [])
