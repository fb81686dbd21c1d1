"""Quality benchmark: dbt-automl against AutoGluon, FLAML and default HistGradientBoosting.

Every system fits the same fixed 75/25 split of each real table, one system at a time, each
in its own subprocess with the whole machine, told to optimise the table's metric within the
same time budget. Results are cached per (table, system) under ``bench/results/``.

Example::

    make bench-setup                     # side venvs for AutoGluon and FLAML, once
    .venv/bin/python bench/quality.py --budget 60
    .venv/bin/python bench/quality.py --budget 10 --tables wine,oj --systems dbt_automl,hgb
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
from pathlib import Path

import psutil
from report import Records, mean_load, render, write_section
from runner import BENCH, ROOT, Cell, cached, engine_snapshot, missing_venvs, run_cell
from tables import DATASETS, METRIC, Split, split, write_split

SYSTEMS = ["dbt_automl", "autogluon", "flaml", "hgb"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per AutoML fit")
    parser.add_argument("--tables", default=",".join(DATASETS), help="comma-separated tables")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated systems")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument(
        "--engine-ref", default="HEAD", help="git commit of dbt-automl to measure (committed)"
    )
    parser.add_argument("--fresh", action="store_true", help="ignore cached cells, run all")
    args = parser.parse_args(argv)
    args.tables = _choose(args.tables, list(DATASETS), "table")
    args.systems = _choose(args.systems, SYSTEMS, "system")
    return args


def _choose(value: str, known: list[str], what: str) -> list[str]:
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in known]
    if unknown or not chosen:
        sys.exit(f"quality.py: unknown {what}(s) {unknown or value!r}; choose from {known}")
    return [k for k in known if k in chosen]  # a stable order, whatever the command line said


def _status(record: dict) -> str:
    if record.get("status") != "ok":
        return f"{record.get('status')} ({record['wall_s']:.0f} s)"
    return f"{record['metric']:.4g} in {record['wall_s']:.0f} s, {record['peak_rss_mb']:.0f} MB"


def run_all(args: argparse.Namespace, splits: list[Split]) -> Records:
    """Run (or read from cache) every cell, table by table, one system at a time."""
    records: Records = {}
    for data in splits:
        train, test = write_split(data, args.results / "data" / data.dataset.name)
        for system in args.systems:
            engine = args.engine if system == "dbt_automl" else None
            cell = Cell(data.dataset.name, system, args.budget, args.results, engine)
            record = None if args.fresh else cached(cell)
            label = f"{data.dataset.name:>14} {system:<11}"
            if record is None:
                print(f"{label} running ...", flush=True)
                record = run_cell(cell, data, train, test)
            print(f"{label} {_status(record)}", flush=True)
            records[(data.dataset.name, system)] = record
    return records


def context(args: argparse.Namespace, records: Records) -> dict:
    """Preamble lines: machine, budget, date, versions, caveats, how to reproduce."""
    versions = {}
    for (_, system), rec in records.items():
        versions.setdefault(system, rec.get("version"))
    memory = psutil.virtual_memory().total / 2**30
    version_text = ", ".join(f"{s} {v}" for s, v in versions.items() if v)
    load = mean_load(records)
    command = f".venv/bin/python bench/quality.py --budget {args.budget:g}"
    preamble = [
        f"Run {dt.date.today().isoformat()} on {os.cpu_count()} cores, {memory:.0f} GiB "
        f"({platform.machine()}, Python {platform.python_version()}); time budget "
        f"**{args.budget:g} s** per AutoML fit. Versions: {version_text}; dbt-automl is the "
        f"committed `src/` of `{args.engine.commit[:10]}` (uncommitted edits not measured).",
        "",
        "Systems run one at a time, each in its own subprocess with every core: dbt-automl "
        "(`dbt_automl.fit`, seed 0, `n_jobs: -1`; it holds out 20% of what it is given as its "
        "own test split), AutoGluon (`TabularPredictor`, `presets='medium_quality'`, no torch), "
        "FLAML (`AutoML().fit`, seed 0) and scikit-learn's HistGradientBoosting with default "
        "settings (categoricals as pandas categories). Each table has one fixed split, 75% train "
        "/ 25% test (seed 0, stratified for classification), the same for every system; the "
        "metric is measured on the 25% test rows that no system saw.",
        "",
        "The machine is shared with other work, so wall times are noisy"
        + (
            f" (mean 1-minute load average {load:.1f} on {os.cpu_count()} cores when cells "
            "started)"
            if load is not None
            else ""
        )
        + "; the budget is a target each system interprets its own way (FLAML and dbt-automl "
        "refit after the search, AutoGluon stops model training at the limit).",
        "",
        f"Reproduce: `make bench-setup && {command}` (cells are cached in `bench/results/`; "
        "`--fresh` re-runs them, `--tables`/`--systems` pick a subset).",
    ]
    note = (
        f"Metrics: {', '.join(f'{k} → {v}' for k, v in METRIC.items())}; rank 1 is best, "
        "bold is the table's best, a failed system ranks last. Every AutoML system is told to "
        "optimise the table's metric. *dbt-automl vs HGB* is the relative difference of the "
        "metric, positive when dbt-automl is better; ✗ marks a loss of more than 1%."
    )
    return {"preamble": preamble, "metric_note": note}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the report and write it into ``--out``."""
    args = parse_args(argv)
    missing = missing_venvs(args.systems)
    if missing:
        sys.exit(f"quality.py: no venv for {missing}; run `make bench-setup` first")
    args.engine = engine_snapshot(args.results, args.engine_ref)
    splits = [split(DATASETS[name]) for name in args.tables]
    records = run_all(args, splits)
    section = render(records, splits, args.systems, context(args, records))
    print(section)
    write_section(args.out, section)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
