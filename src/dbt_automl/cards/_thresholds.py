"""The thresholds a model's dbt tests hold its metrics to, read from dbt's manifest.

dbt writes ``target/manifest.json`` when it parses the project, before any model runs, so
a card rendered while ``dbt build`` trains a model already sees that model's tests. The
card compares the recorded metrics with each bound itself: the tests run after training.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Generic tests whose arguments are bounds on one `test_<metric>` column.
_BETWEEN_TESTS = ("expect_model_metric_to_be_between", "metric_threshold")
_cache: dict[Path, tuple[tuple[int, int], dict[str, list[dict[str, Any]]]]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Threshold:
    """A bound a dbt test puts on a metric, and whether the recorded value meets it."""

    metric: str
    rule: str
    passed: bool | None  # None: the metric was not recorded (or is null)
    test: str


def model_tests(manifest: Path | None, model_name: str) -> list[dict[str, Any]]:
    """The generic tests attached to ``model_name`` in a manifest: ``{"name", "kwargs",
    "severity"}`` each, in manifest order; none when the manifest is missing or unreadable."""
    if manifest is None or not manifest.is_file():
        return []
    stat = manifest.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cache.get(manifest)
        if cached is None or cached[0] != key:
            cached = (key, _index(manifest))
            _cache[manifest] = cached
    return cached[1].get(model_name, [])


def _index(manifest: Path) -> dict[str, list[dict[str, Any]]]:
    """Model name -> its generic tests, from one read of the manifest."""
    try:
        nodes = json.loads(manifest.read_text()).get("nodes", {})
    except (OSError, ValueError):  # being rewritten by another dbt run: no thresholds
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    for node in nodes.values():
        meta, attached = node.get("test_metadata"), node.get("attached_node")
        if node.get("resource_type") != "test" or not meta or not attached:
            continue
        test = {
            "name": meta.get("name", ""),
            "kwargs": {k: v for k, v in (meta.get("kwargs") or {}).items() if k != "model"},
            "severity": str((node.get("config") or {}).get("severity", "error")).lower(),
        }
        found.setdefault(attached.split(".")[-1], []).append(test)
    return found


def thresholds(tests: list[dict[str, Any]], metrics: dict[str, Any]) -> list[Threshold]:
    """Each metric bound among ``tests`` checked against the recorded ``metrics``."""
    out = []
    for test in tests:
        name, kwargs = test["name"], test["kwargs"]
        if name in _BETWEEN_TESTS and "metric" in kwargs:
            metric = str(kwargs["metric"])
            low, high = kwargs.get("min_value"), kwargs.get("max_value")
            out.append(_between(metric, low, high, metrics.get(metric), name))
        elif name == "expect_segments_to_be_stable":
            low = kwargs.get("min_kept_share", 0.9)
            out.append(_between("kept_share", low, None, metrics.get("kept_share"), name))
        elif name == "expect_recommendations_to_beat_popularity":
            out.append(_beats_popularity(kwargs, metrics, name))
    return out


def _between(metric: str, low: Any, high: Any, value: Any, test: str) -> Threshold:
    if low is not None and high is not None:
        rule = f"between {low} and {high}"
    elif low is not None:
        rule = f">= {low}"
    else:
        rule = f"<= {high}"
    if not isinstance(value, int | float):
        return Threshold(metric, rule, None, test)
    passed = (low is None or value >= low) and (high is None or value <= high)
    return Threshold(metric, rule, passed, test)


def _beats_popularity(kwargs: dict[str, Any], metrics: dict[str, Any], test: str) -> Threshold:
    margin, lift = kwargs.get("margin", 0), kwargs.get("min_lift", 1)
    value, popular = metrics.get("precision_at_n"), metrics.get("popularity_precision_at_n")
    rule = f"> popularity's precision@N + {margin}, and >= {lift} x it"
    if not isinstance(value, int | float) or not isinstance(popular, int | float):
        return Threshold("precision_at_n", rule, None, test)
    passed = value > popular + margin and value >= lift * popular
    return Threshold("precision_at_n", rule, passed, test)
