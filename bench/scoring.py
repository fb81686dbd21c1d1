"""Streaming batch scoring: wall time and peak memory as the scored table grows.

Each measurement runs in its own process (peak RSS is per process). The engine path is what
a dbt python model does: ``dbt_automl.score`` returns a RecordBatchReader that DuckDB writes
through a second cursor. The baseline loads the whole table into pandas, predicts, and writes
the result back.

    python bench/scoring.py [--rows 1000000,4000000] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sections import markers, write_section  # noqa: E402

START, END = markers("scoring")
FEATURES = """range as id, (range % 97) / 97.0 as x1, ((range * 7) % 101) / 101.0 as x2,
    ['a', 'b', 'c', 'd'][1 + (range % 4)::int] as segment,
    ((range * 13) % 89) / 89.0 + (range % 3) as x3"""


def _prepare(db: Path) -> None:
    """A warehouse with a 20k-row labelled table, a trained model, and its model table."""
    import duckdb

    import dbt_automl

    con = duckdb.connect(str(db))
    con.execute(
        f"create table train as select {FEATURES}, (x1 + x2 > 1.0) as label from range(20000)"
    )
    settings = {
        "target": "label",
        "id_columns": ["id"],
        "max_trials": 2,
        "families": ["lightgbm"],
        "registry_path": str(db.parent / "registry"),
    }
    dbt = SimpleNamespace(this='"w"."main"."m"')
    versions = dbt_automl.train(dbt, con, con.table("train"), settings)
    con.register("v", versions)
    con.execute("create table m as select * from v")
    con.close()


def _measure(db: Path, rows: int, mode: str) -> dict:
    import duckdb

    import dbt_automl

    con = duckdb.connect(str(db))
    con.execute(f"create or replace table rows_{rows} as select {FEATURES} from range({rows})")
    relation = con.table(f"rows_{rows}")
    dbt = SimpleNamespace(this='"w"."main"."s"')
    started = time.perf_counter()
    if mode == "stream":
        reader = dbt_automl.score(dbt, con, model=con.table("m"), rows=relation)
        cursor = con.cursor()
        cursor.register("scored", reader)
        cursor.execute("create or replace table s as select * from scored")
    else:
        from dbt_automl.preprocess import FeatureSchema, to_frame
        from dbt_automl.registry import load_version

        [(path,)] = con.sql("select artifact_path from m where is_current").fetchall()
        model, meta = load_version(Path(path).parent)
        table = relation.to_arrow_table()
        proba = model.predict_raw(to_frame(table, FeatureSchema.from_dict(meta["features"])))
        frame = table.select(["id"]).to_pandas()
        frame["probability"] = proba[:, 1]
        con.register("scored", frame)
        con.execute("create or replace table s as select * from scored")
    seconds = time.perf_counter() - started
    [(count,)] = con.sql("select count(*) from s").fetchall()
    assert count == rows, (count, rows)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "mode": mode, "seconds": seconds, "peak_rss_mb": peak}


def report(results: list[dict]) -> str:
    """The markdown section, markers included."""
    lines = [
        START,
        "## Batch scoring memory",
        "",
        f"`python bench/scoring.py` on {os.cpu_count()} cores. `stream` is `dbt_automl.score` "
        "(Arrow record batches of 50k rows, written by DuckDB as they come); `pandas` loads "
        "the whole table, predicts, writes back. Same LightGBM model, 5 features. Peak RSS per "
        "process; ratios against the smallest table in the same mode.",
        "",
        "| rows | mode | seconds | peak MB | peak vs smallest |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for mode in ("stream", "pandas"):
        runs = [r for r in results if r["mode"] == mode]
        base = runs[0]["peak_rss_mb"]
        for r in runs:
            lines.append(
                f"| {r['rows']:,} | {mode} | {r['seconds']:.1f} | {r['peak_rss_mb']:.0f} | "
                f"{r['peak_rss_mb'] / base:.2f}x |"
            )
    return "\n".join([*lines, "", END]) + "\n"


def main() -> int:
    """Prepare once, measure each (rows, mode) in a fresh process, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,4000000")
    parser.add_argument("--out", default=str(HERE.parent / "docs" / "benchmarks.md"))
    parser.add_argument("--measure", nargs=3, metavar=("DB", "ROWS", "MODE"))
    args = parser.parse_args()
    if args.measure:
        db, rows, mode = args.measure
        print(json.dumps(_measure(Path(db), int(rows), mode)))
        return 0
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "w.duckdb"
        _prepare(db)
        for mode in ("stream", "pandas"):
            for rows in [int(r) for r in args.rows.split(",")]:
                cmd = [sys.executable, __file__, "--measure", str(db), str(rows), mode]
                out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                results.append(json.loads(out.strip().splitlines()[-1]))
                print(json.dumps(results[-1]), flush=True)
    section = report(results)
    print(section)
    write_section(Path(args.out), section, "scoring")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
