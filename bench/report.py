"""Turn cached cell results into ranks and a markdown report between two markers."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import sections
from scipy.stats import rankdata
from sections import markers
from tables import Split

START, END = markers("quality")
GREATER_IS_BETTER = {"roc_auc": True, "log_loss": False, "rmse": False}
BASELINE, ENGINE = "hgb", "dbt_automl"
TOLERANCE = 0.01  # dbt-automl may trail default HGB by at most 1% of the metric
Records = dict[tuple[str, str], dict[str, Any]]


def _loss(record: dict[str, Any] | None, metric: str) -> float:
    """The metric as a loss (lower is better); a failed cell is infinitely bad."""
    if not record or record.get("status") != "ok":
        return math.inf
    value = float(record["metric"])
    return -value if GREATER_IS_BETTER[metric] else value


def ranks(records: Records, split: Split, systems: list[str]) -> dict[str, float]:
    """Rank of each system on one table (1 = best, ties averaged, failures share last)."""
    metric = split.dataset.metric
    losses = [_loss(records.get((split.dataset.name, s)), metric) for s in systems]
    return dict(zip(systems, rankdata(losses, method="average").tolist(), strict=True))


def relative_to_baseline(records: Records, split: Split) -> float | None:
    """dbt-automl's metric relative to HGB's, signed so that positive means better."""
    engine = records.get((split.dataset.name, ENGINE))
    base = records.get((split.dataset.name, BASELINE))
    if not engine or not base or engine.get("status") != "ok" or base.get("status") != "ok":
        return None
    sign = 1.0 if GREATER_IS_BETTER[split.dataset.metric] else -1.0
    return sign * (engine["metric"] - base["metric"]) / abs(base["metric"])


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _header(first: list[str], systems: list[str], last: list[str] | None = None) -> list[str]:
    cells = first + systems + (last or [])
    return [_row(cells), _row(["---"] * len(cells))]


def _fmt_metric(value: float, metric: str) -> str:
    return f"{value:.4f}" if metric != "rmse" else f"{value:.4g}"


def _metric_cell(record: dict[str, Any] | None, rank: float, best: bool, metric: str) -> str:
    if not record:
        return "not run"
    if record.get("status") != "ok":
        return f"**{record.get('status', 'error')}**"
    text = f"{_fmt_metric(record['metric'], metric)} ({rank:g})"
    return f"**{text}**" if best else text


def metric_table(records: Records, splits: list[Split], systems: list[str]) -> list[str]:
    """Test metric and rank per table and system, plus dbt-automl relative to HGB."""
    extra = ["dbt-automl vs HGB"] if {ENGINE, BASELINE} <= set(systems) else []
    lines = _header(["table", "task", "metric"], systems, extra)
    for split in splits:
        name, metric = split.dataset.name, split.dataset.metric
        table_ranks = ranks(records, split, systems)
        best = min(table_ranks.values())
        cells = [name, split.dataset.kind, metric]
        for system in systems:
            rec = records.get((name, system))
            cells.append(
                _metric_cell(rec, table_ranks[system], table_ranks[system] == best, metric)
            )
        if extra:
            rel = relative_to_baseline(records, split)
            flag = " ✗" if rel is not None and rel < -TOLERANCE else ""
            cells.append("n/a" if rel is None else f"{rel:+.2%}{flag}")
        lines.append(_row(cells))
    means = mean_ranks(records, splits, systems)
    lines.append(
        _row(
            ["**mean rank**", "", ""]
            + [f"**{means[s]:.2f}**" for s in systems]
            + [""] * len(extra)
        )
    )
    return lines


def mean_ranks(records: Records, splits: list[Split], systems: list[str]) -> dict[str, float]:
    """Mean rank of each system over the tables."""
    per_table = [ranks(records, split, systems) for split in splits]
    return {s: float(np.mean([r[s] for r in per_table])) for s in systems}


def _numbers_table(
    records: Records, splits: list[Split], systems: list[str], fmt: Any, total: bool = False
) -> list[str]:
    lines = _header(["table"], systems)
    for split in splits:
        recs = [records.get((split.dataset.name, s)) for s in systems]
        lines.append(_row([split.dataset.name] + [fmt(r) if r else "" for r in recs]))
    if total:  # whole-benchmark cost of each system: sums of the numeric fields
        sums = []
        for system in systems:
            recs = [r for (_, s), r in records.items() if s == system]
            keys = [k for k in ("fit_s", "wall_s", "cpu_s") if all(k in r for r in recs)]
            sums.append(fmt({k: sum(r[k] for r in recs) for k in keys}) if recs else "")
        lines.append(_row(["**total**"] + [f"**{c}**" for c in sums]))
    return lines


def _time_cell(record: dict[str, Any]) -> str:
    fit = f"{record['fit_s']:.1f}" if "fit_s" in record else "-"
    cpu = f" ({record['cpu_s']:.0f})" if "cpu_s" in record else ""
    return f"{fit} / {record['wall_s']:.1f}{cpu}"


def mean_load(records: Records) -> float | None:
    """Mean 1-minute load average seen when the cells started (None when not recorded)."""
    loads = [r["load_1m_before"] for r in records.values() if "load_1m_before" in r]
    return float(np.mean(loads)) if loads else None


def tables_table(splits: list[Split]) -> list[str]:
    """What each table is: source, task, size, categorical and missing counts."""
    head = ["table", "source", "task", "label", "train", "test", "features", "categorical"]
    head += ["missing cells", "note"]
    lines = [_row(head), _row(["---"] * len(head))]
    for split in splits:
        d, info = split.dataset, split.describe()
        note = ("**simulated** (ISLP); " if d.simulated else "") + d.note
        lines.append(
            _row(
                [d.name, d.source, d.kind, d.target, str(info["rows_train"])]
                + [str(info["rows_test"]), str(info["features"]), str(info["categorical"])]
                + [str(info["missing_cells"]), note.rstrip("; ")]
            )
        )
    return lines


def verdict(records: Records, splits: list[Split], systems: list[str]) -> list[str]:
    """The two acceptance checks, stated with their numbers."""
    lines = []
    means = mean_ranks(records, splits, systems)
    lines.append(
        "- Mean rank (lower is better): "
        + ", ".join(f"{s} {means[s]:.2f}" for s in sorted(systems, key=means.__getitem__))
    )
    rivals = [s for s in ("autogluon", "flaml") if s in systems]
    if ENGINE in systems and rivals:
        beats = all(means[ENGINE] < means[r] for r in rivals)
        lines.append(
            f"- dbt-automl's mean rank beats {' and '.join(rivals)}: "
            f"**{'yes' if beats else 'no'}**."
        )
    if {ENGINE, BASELINE} <= set(systems):
        rel = {s.dataset.name: relative_to_baseline(records, s) for s in splits}
        worse = [f"{t} ({r:+.2%})" for t, r in rel.items() if r is not None and r < -TOLERANCE]
        missing = [t for t, r in rel.items() if r is None]
        lines.append(
            "- dbt-automl worse than default HGB by more than 1% on: "
            + (", ".join(worse) if worse else "**no table**")
            + "."
        )
        if missing:
            lines.append(
                f"- No comparison (a system failed or did not run): {', '.join(missing)}."
            )
    return lines


def overruns(records: Records, systems: list[str]) -> str:
    """The longest fit of each system, as a multiple of the budget, and where it happened."""
    parts = []
    for system in systems:
        fits = [
            (r["fit_s"] / r["budget"], t)
            for (t, s), r in records.items()
            if s == system and "fit_s" in r
        ]
        if fits and system != BASELINE:
            ratio, table = max(fits)
            parts.append(f"{system} {ratio:.1f}× ({table})")
    return "- Longest fit as a multiple of the budget: " + ", ".join(parts) + "."


def failures(records: Records) -> list[str]:
    """Tracebacks of failed cells, folded."""
    lines = []
    for (table, system), rec in sorted(records.items()):
        if rec.get("status") != "ok":
            lines += [
                "",
                f"<details><summary>{system} on {table}: {rec.get('status')}</summary>",
                "",
                "```",
                str(rec.get("traceback", "")).rstrip(),
                "```",
                "",
                "</details>",
            ]
    return lines


def render(records: Records, splits: list[Split], systems: list[str], context: dict) -> str:
    """The whole quality section, markers included."""

    def mb(r: dict[str, Any]) -> str:
        return f"{r['peak_rss_mb']:.0f}"

    def model(r: dict[str, Any]) -> str:
        return str(r.get("model", r.get("status", "")))

    parts = [START, "## Quality: dbt-automl against AutoGluon, FLAML and default HGB", ""]
    parts += context["preamble"] + ["", "### Verdict", ""]
    parts += (
        verdict(records, splits, systems)
        + [overruns(records, systems)]
        + ["", "### Test metric (rank on the table)", ""]
    )
    parts += metric_table(records, splits, systems) + ["", context["metric_note"], ""]
    parts += [
        "### Wall time, seconds: fit / whole subprocess (start-up, imports, fit, predict)",
        "",
        "CPU seconds of the subprocess tree in parentheses.",
        "",
    ]
    parts += _numbers_table(records, splits, systems, _time_cell, total=True)
    parts += ["", "### Peak memory, MB (RSS of the subprocess tree)", ""]
    parts += _numbers_table(records, splits, systems, mb)
    parts += ["", "### Model each system chose", ""]
    parts += _numbers_table(records, splits, systems, model)
    parts += ["", "### Tables", ""] + tables_table(splits)
    fails = failures(records)
    if fails:
        parts += ["", "### Failures"] + fails
    return "\n".join(parts + ["", END]) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace the quality section of ``path`` (see sections.write_section)."""
    sections.write_section(path, section, "quality")
