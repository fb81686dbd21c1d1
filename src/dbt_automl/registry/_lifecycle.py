"""Which version serves: champion, challengers, pins and rollbacks, as a deployment log.

Versions are immutable (their metadata is checksummed with the model file), so what happens
to them afterwards is a separate, append-only log per model, ``<model>/lifecycle.json``
(PostgresML's deployment log; MLflow's aliases): every promotion, rejection, rollback and
pin with when and why. The champion is the last version promoted or rolled back to; a pin
overrides it until unpinned. A model with no log (registered before the log existed) is
served by its newest version, as before.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LIFECYCLE_FILE = "lifecycle.json"
ACTIONS = ("promoted", "rejected", "rolled_back", "pinned", "unpinned")


@dataclass(frozen=True)
class Event:
    """One entry of the deployment log."""

    version: int
    action: str
    reason: str
    at: str = ""
    metric: str | None = None
    challenger_score: float | None = None
    champion_score: float | None = None
    champion_version: int | None = None


@dataclass(frozen=True)
class Serving:
    """What the log says: the champion, the pin, and every version's status."""

    champion: int | None
    pinned: int | None
    status: dict[int, str]

    @property
    def version(self) -> int | None:
        """The version scoring uses: the pin, else the champion."""
        return self.pinned if self.pinned is not None else self.champion


def read_log(model_dir: Path) -> list[dict[str, Any]]:
    """The model's lifecycle events, oldest first ([] when it has none)."""
    path = model_dir / LIFECYCLE_FILE
    if not path.is_file():
        return []
    events: list[dict[str, Any]] = json.loads(path.read_text())
    return events


def append_event(model_dir: Path, event: Event) -> dict[str, Any]:
    """Add an event to the log, atomically (the whole log is rewritten, then renamed)."""
    entry = asdict(event)
    entry["at"] = entry["at"] or datetime.now(UTC).isoformat(timespec="seconds")
    events = [*read_log(model_dir), entry]
    tmp = model_dir / f".{LIFECYCLE_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(events, indent=2))
    os.replace(tmp, model_dir / LIFECYCLE_FILE)
    return entry


def serving(versions: list[int], events: list[dict[str, Any]]) -> Serving:
    """Replay the log over the model's versions.

    Without events the newest version is the champion (models registered before the log).
    A version never judged is a ``challenger``; one judged and kept out, ``rejected``; a
    champion replaced, ``retired``.
    """
    if not versions:
        return Serving(None, None, {})
    stack = _champions(events) or ([] if events else [versions[-1]])
    pinned: int | None = None
    status = {v: "challenger" for v in versions}
    for event in events:
        if event["action"] in ("promoted", "rolled_back"):
            status[event["version"]] = "retired"
        elif event["action"] == "rejected":
            status[event["version"]] = "rejected"
        elif event["action"] == "pinned":
            pinned = event["version"]
        elif event["action"] == "unpinned":
            pinned = None
    for retired in stack[:-1]:
        status[retired] = "retired"
    champion = stack[-1] if stack else None
    if champion is not None:
        status[champion] = "champion"
    if pinned is not None and pinned in status:
        status[pinned] = "pinned"
    return Serving(champion, pinned if pinned in status else None, status)


def previous_champion(events: list[dict[str, Any]]) -> int | None:
    """The champion before the current one (what a rollback returns to), or None."""
    stack = _champions(events)
    return stack[-2] if len(stack) > 1 else None


def _champions(events: list[dict[str, Any]]) -> list[int]:
    """The champions in order, the current last: a promotion pushes, a rollback pops."""
    stack: list[int] = []
    for event in events:
        if event["action"] == "promoted":
            stack.append(event["version"])
        elif event["action"] == "rolled_back" and stack:
            stack.pop()
    return stack
