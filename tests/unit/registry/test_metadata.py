"""What a version records: the chosen model described once, old formats still readable."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from dbt_automl.registry import read_metadata
from dbt_automl.registry._metadata import _best


def _result(members: list[dict]) -> SimpleNamespace:
    return SimpleNamespace(ensemble=members, decisions={"ensemble": {"score": 0.9}})


def test_a_single_model_shows_its_own_family_and_params() -> None:
    member = {"trial": 3, "family": "lightgbm", "weight": 1.0, "params": {"num_leaves": 31}}
    assert _best(_result([member])) == {
        "family": "lightgbm",
        "params": {"num_leaves": 31},
        "cv_score": 0.9,
    }


def test_an_ensemble_shows_every_member_with_its_weight_and_params() -> None:
    members = [
        {"trial": 3, "family": "lightgbm", "weight": 0.6, "params": {"num_leaves": 31}},
        {"trial": 7, "family": "linear", "weight": 0.4, "params": {"C": 1.0}},
    ]
    best = _best(_result(members))
    # Not 'ensemble' next to the params of one member, as format 1 recorded it.
    assert best["family"] == "ensemble" and best["params"] == {"members": members}


def test_format_1_metadata_reads_with_one_task_vocabulary(tmp_path: Path) -> None:
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps({"format_version": 1, "task": "classification", "kind": "binary"}))
    meta = read_metadata(path)
    assert meta["task"] == "binary" and "kind" not in meta and meta["format_version"] == 1
