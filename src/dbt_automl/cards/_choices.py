"""The card's "chosen model" and "decisions" sections: what the search settled on, and
every decision the version recorded with its reason (dropped columns, threshold, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbt_automl.cards._doc import Block, Bullets, Section, Table
from dbt_automl.cards._facts import SHOWN_ELSEWHERE, SUPERVISED, compact


def chosen(meta: Mapping[str, Any]) -> Section:
    """The chosen family and parameters, or the ensemble and its members."""
    task = meta.get("task")
    blocks: list[Block]
    if task in SUPERVISED:
        blocks = _supervised_choice(meta)
    else:
        decisions = meta.get("decisions") or {}
        rows = [
            [label, compact(value, 300)]
            for label, value in (
                ("detector", meta.get("detector")),
                ("candidate", meta.get("candidate")),
                ("family", meta.get("family")),
                ("segments (k)", meta.get("k")),
                ("strategy", meta.get("strategy")),
                ("parameters", meta.get("params")),
                ("why", _why(decisions)),
            )
            if value not in (None, "", {})
        ]
        blocks = [Table(["", ""], rows)] if rows else ["This version recorded no choice."]
    return Section("model", "Chosen model", blocks)


def _supervised_choice(meta: Mapping[str, Any]) -> list[Block]:
    summary = ((meta.get("decisions") or {}).get("ensemble") or {}).get("summary")
    members = meta.get("ensemble") or []
    blocks: list[Block] = [str(summary)] if summary else []
    rows = [
        [str(m.get("family")), str(m.get("trial")), compact(m.get("weight")), compact(m["params"])]
        for m in members
        if isinstance(m, Mapping) and "params" in m
    ]
    if rows:
        title = "An ensemble of" if len(rows) > 1 else "A single model:"
        blocks += [title, Table(["family", "trial", "weight", "params"], rows)]
    return blocks


def _why(decisions: Mapping[str, Any]) -> Any:
    """The recorded reason for the choice, wherever the task keeps it."""
    for key in ("detector", "choice", "chosen", "strategy"):
        found = decisions.get(key)
        if isinstance(found, Mapping) and (found.get("why") or found.get("chosen")):
            return found.get("why") or found.get("chosen")
    return None


def decisions(meta: Mapping[str, Any]) -> Section:
    """Dropped columns and why, the threshold and why, then every other decision."""
    recorded = meta.get("decisions") or {}
    items = [*dropped_columns(meta), *_threshold(meta, recorded)]
    for key, value in recorded.items():
        if key not in SHOWN_ELSEWHERE and value not in (None, [], {}):
            items.append(f"{key.replace('_', ' ')}: {compact(value, 300)}")
    return Section("decisions", "Decisions", [Bullets(items or ["None recorded."])])


def dropped_columns(meta: Mapping[str, Any]) -> list[str]:
    """One line per column left out of the model, with the reason."""
    config = meta.get("config") or {}
    lines = []
    settings = [*(config.get("id_columns") or []), *(config.get("exclude") or [])]
    if settings:
        lines.append(f"not features by the settings (id_columns, exclude): {', '.join(settings)}")
    features = meta.get("features")
    if not isinstance(features, Mapping):
        features = (meta.get("decisions") or {}).get("features") or {}
    for gone in features.get("dropped") or []:
        lines.append(f"column {gone.get('name')} dropped: {gone.get('reason')}")
    selection = (meta.get("decisions") or {}).get("feature_selection") or {}
    if selection.get("dropped"):
        lines.append(
            f"dropped by feature selection (no importance): {', '.join(selection['dropped'])}"
        )
    elif selection.get("skipped"):
        lines.append(f"feature selection skipped: {selection['skipped']}")
    return lines


def _threshold(meta: Mapping[str, Any], recorded: Mapping[str, Any]) -> list[str]:
    found = recorded.get("threshold")
    if isinstance(found, Mapping) and found.get("value") is not None:
        why = found.get("reason") or found.get("why") or "not recorded"
        return [f"decision threshold {compact(float(found['value']))}: {why}"]
    if meta.get("task") == "binary":
        return ["decision threshold: not recorded"]
    return []
