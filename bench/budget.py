"""Does the search honour ``time_budget_s``? Search and total time per benchmark table.

The acceptance bar (issue: "a run with time_budget_s: 30 finishes its search within 33 s plus
the final refit on every benchmark table") is checked as search_s <= 1.1 * budget + 3 s.
Each table runs in its own subprocess, so peak memory is per table.

    python bench/budget.py --budget 30 [--tables a,b] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sections import markers, write_section  # noqa: E402

START, END = markers("budget")


def run_one(name: str, budget: float) -> dict:
    """Fit dbt-automl on one table's training split; report search and total seconds."""
    import tables

    import dbt_automl

    data = tables.split(tables.DATASETS[name])
    dataset = data.dataset
    settings = {
        "target": dataset.target,
        "task": "regression" if dataset.kind == "regression" else "classification",
        "metric": dataset.metric,
        "time_budget_s": budget,
        "seed": 0,
    }
    started = time.perf_counter()
    fitted = dbt_automl.fit(data.train, settings)
    wall = time.perf_counter() - started
    validation = fitted.result_.decisions["validation"]
    return {
        "table": name,
        "rows": len(data.train),
        "search_s": validation["search_s"],
        "wall_s": wall,
        "trials": len(fitted.result_.search.trials),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(name: str, budget: float) -> dict:
    cmd = [sys.executable, __file__, "--one", name, "--budget", str(budget)]
    done = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"}
    )
    if done.returncode != 0:
        return {"table": name, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(rows: list[dict], budget: float) -> str:
    """The markdown section, markers included."""
    limit = 1.1 * budget + 3
    lines = [
        START,
        "## Time budget",
        "",
        f"`python bench/budget.py --budget {budget:g}` on {os.cpu_count()} cores, "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d}. Bar: search <= "
        f"{limit:.0f} s (budget + 10 % + 3 s); the total adds the final model and metrics.",
        "",
        "| table | train rows | trials | search s | total s | peak MB | within bar |",
        "| --- | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['table']} | | | | | | error: {r['error']} |")
            continue
        ok = "yes" if r["search_s"] <= limit else "**no**"
        lines.append(
            f"| {r['table']} | {r['rows']} | {r['trials']} | {r['search_s']:.1f} | "
            f"{r['wall_s']:.1f} | {r['peak_rss_mb']:.0f} | {ok} |"
        )
    return "\n".join([*lines, "", END]) + "\n"


def main() -> int:
    """Run every table (or one, with --one) and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--tables", default="")
    parser.add_argument("--one", default="")
    parser.add_argument("--out", default=str(HERE.parent / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.budget)))
        return 0
    import tables

    names = [t for t in args.tables.split(",") if t] or list(tables.DATASETS)
    rows = []
    for name in names:
        rows.append(_child(name, args.budget))
        print(json.dumps(rows[-1]), flush=True)
    section = report(rows, args.budget)
    print(section)
    write_section(Path(args.out), section, "budget")
    return (
        0 if all("error" not in r and r["search_s"] <= 1.1 * args.budget + 3 for r in rows) else 1
    )


if __name__ == "__main__":
    raise SystemExit(main())
