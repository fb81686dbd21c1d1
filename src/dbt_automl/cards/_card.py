"""One version's card assembled and written into a directory: ``card.md``, ``card.html``,
the PNGs and ``card.json`` (what the card was rendered from, to skip re-rendering)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbt_automl.cards import _choices, _facts
from dbt_automl.cards._doc import Block, CardDoc, Image, Section, Table, to_html, to_markdown
from dbt_automl.cards._lifecycle import Lifecycle
from dbt_automl.cards._plots import SUPERVISED_PLOTS, Plot
from dbt_automl.cards._task_plots import TASK_PLOTS, drift
from dbt_automl.cards._thresholds import thresholds
from dbt_automl.registry import ModelVersion

# Raise when the card's content or layout changes: cards of an older format re-render.
CARD_FORMAT = 1
STAMP_FILE = "card.json"
MAX_DRIFT_ROWS = 30


@dataclass(frozen=True)
class CardInputs:
    """Everything a card shows besides the version's own (immutable) metadata."""

    lifecycle: Lifecycle
    tests: list[dict[str, Any]]
    tests_known: bool
    drift: list[dict[str, Any]] | None = None

    def key(self, version: ModelVersion) -> str:
        """A digest of what the card of ``version`` would show: equal keys, equal cards."""
        parts = {
            "format": CARD_FORMAT,
            "model": version.model_name,
            "version": version.version,
            "sha256": (version.metadata.get("artifact") or {}).get("sha256"),
            "status": self.lifecycle.status,
            "history": self.lifecycle.history,
            "tests": self.tests,
            "tests_known": self.tests_known,
            "drift": self.drift,
        }
        text = json.dumps(parts, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def read_stamp(card_dir: Path) -> dict[str, Any]:
    """The stamp of a rendered card ({} when there is none or it is unreadable)."""
    try:
        stamp: dict[str, Any] = json.loads((card_dir / STAMP_FILE).read_text())
        return stamp
    except (OSError, ValueError):
        return {}


def write_card(version: ModelVersion, inputs: CardInputs, out: Path) -> None:
    """Write the card of ``version`` into the (new, empty) directory ``out``."""
    meta = version.metadata
    plots = [plot(meta, out) for plot in SUPERVISED_PLOTS.get(meta["task"], ())]
    plots += [plot(meta, out) for plot in TASK_PLOTS.get(meta["task"], ())]
    if inputs.drift:
        plots.append(drift(inputs.drift, out))
    doc = document(version, inputs, plots)
    (out / "card.md").write_text(to_markdown(doc))
    (out / "card.html").write_text(to_html(doc))
    stamp = {
        "model_name": version.model_name,
        "version": version.version,
        "status": inputs.lifecycle.status_of(version.version),
        "key": inputs.key(version),
        "plots": [p.file for p in plots if p.file],
    }
    (out / STAMP_FILE).write_text(json.dumps(stamp, indent=2))


def document(version: ModelVersion, inputs: CardInputs, plots: list[Plot]) -> CardDoc:
    """The card's sections in reading order."""
    meta = version.metadata
    _, values = _facts.metrics_of(meta)
    sections = [
        _facts.overview(meta),
        _facts.data(meta),
        _facts.metrics(meta, thresholds(inputs.tests, values), inputs.tests_known),
        _facts.leaderboard(meta),
        _choices.chosen(meta),
        _choices.decisions(meta),
        status(version, inputs.lifecycle),
        _plot_section(plots),
    ]
    if inputs.drift:
        sections.append(_drift_section(inputs.drift))
    title = f"Model card: {version.model_name} v{version.version}"
    return CardDoc(title, headline(version, inputs.lifecycle), sections)


def headline(version: ModelVersion, life: Lifecycle) -> str:
    """One line: this version's status and which version scoring uses."""
    state = life.status_of(version.version)
    serving = life.champion.version if life.champion is not None else None
    if serving == version.version:
        return f"Status: {state}. Scoring uses this version."
    elsewhere = f"v{serving}" if serving is not None else "no version"
    return f"Status: {state}. Scoring uses {elsewhere}, not this version."


def status(version: ModelVersion, life: Lifecycle) -> Section:
    """Every version's status, then the lifecycle events (promotions, rejections, ...)."""
    rows = [
        [f"v{v}" + (" (this card)" if v == version.version else ""), state]
        for v, state in sorted(life.status.items())
    ]
    blocks: list[Block] = [
        headline(version, life),
        Table(["version", "status"], rows),
    ]
    if life.history:
        keys = ["at", "version", "action", "reason", "metric", "challenger_score"]
        keys += ["champion_score", "champion_version"]
        events = [[_facts.compact(e.get(k, ""), 200) for k in keys] for e in life.history]
        blocks += ["Lifecycle events, oldest first:", Table(keys, events)]
    else:
        blocks.append("No lifecycle events recorded: the newest version serves.")
    return Section("status", "Status and history", blocks)


def _plot_section(plots: list[Plot]) -> Section:
    blocks: list[Block] = []
    for plot in plots:
        blocks.append(Image(plot.file, plot.caption) if plot.file else str(plot.note))
    return Section("plots", "Plots", blocks or ["No plots for this task."])


def _drift_section(rows: Sequence[Mapping[str, Any]]) -> Section:
    ordered = sorted(rows, key=lambda r: -float(r.get("psi") or 0))[:MAX_DRIFT_ROWS]
    headers = list(dict.fromkeys(k for r in ordered for k in r))
    table = Table(headers, [[_facts.compact(r.get(h), 80) for h in headers] for r in ordered])
    note = f"{len(rows)} feature(s) compared; the {len(ordered)} with the largest PSI:"
    return Section("drift", "Drift", [note, table])
