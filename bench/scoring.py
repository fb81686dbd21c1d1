"""Scoring at lake scale: every way of scoring the demo's fraud model, next to its ceiling.

The demo project is copied to a work directory, built on the ``default`` lake up to
``fraud_model`` (trained as ``make demo`` trains it), and ``transaction_features`` is
replicated to each size in ``--rows``. Then, one process per measurement (peak RSS is per
process):

- ``ceiling``: the fitted model's own predict (the libraries, no compilation) on the rows
  already preprocessed into in-memory numpy, in 1M-row chunks; only the predict is timed;
- ``compiled``: the same with the members swapped for the scoring twins scoring uses (trees
  compiled, CatBoost on one thread, linear models as coefficients);
- ``python model``: ``dbt run`` of a python model calling ``dbt_automl.score`` (the node's
  time from run_results.json: read, preprocess, predict, write);
- ``explain=3``: the same python model with ``explain=3`` (each row's top three
  contributions), up to ``--explain-max-rows``; the report gives its cost as a ratio to
  the plain python model's time on the same rows;
- ``sql function``: ``dbt run`` of a table model selecting ``dbt_automl.predict(...)``;
- ``naive``: a python model doing ``dbt.ref(...).df()`` then predicting the whole frame.

Every measurement runs ``--repeat`` times and the fastest counts: the machine is shared,
and the same node's time moved by 28 % between three back-to-back runs.

    python bench/scoring.py [--rows 1000000,10000000] [--repeat 3] [--workdir DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from sections import markers, write_section  # noqa: E402

START, END = markers("scoring")
PROJECT_PARTS = ["dbt_project.yml", "profiles.yml", "models", "python_models", "macros", "seeds"]
PATHS = ("ceiling", "compiled", "python model", "explain=3", "sql function", "naive")
# DuckDB keeps the blocks it reads and writes cached up to its memory limit. At 300MB that
# cache alone grew by ~180MB between 1M and 10M rows (duckdb_memory()): 1M rows did not
# fill it, 10M did. Below what 1M rows fill, both sizes run with the same, full cache, and
# the peak RSS compares what scoring itself holds.
MEMORY_LIMIT = "128MB"

BENCH_MODELS = {
    "bench_rows.sql": """{{ config(materialized='table') }}
-- transaction_features replicated to var('bench_rows') rows, each copy a new transaction.
select
    features.* replace (features.transaction_id || '-' || copies.copy as transaction_id)
from {{ ref('transaction_features') }} as features
cross join (select range as copy from range({{ var('bench_copies', 1) }})) as copies
limit {{ var('bench_rows', 1000) }}
""",
    "bench_python_scores.py": """import dbt_automl


def model(dbt, session):
    dbt.config(materialized="table")
    return dbt_automl.score(
        dbt, session, model=dbt.ref("fraud_model"), rows=dbt.ref("bench_rows")
    )
""",
    "bench_explained_scores.py": """import dbt_automl


def model(dbt, session):
    dbt.config(materialized="table")
    return dbt_automl.score(
        dbt, session, model=dbt.ref("fraud_model"), rows=dbt.ref("bench_rows"), explain=3
    )
""",
    "bench_sql_scores.sql": """{{ config(materialized='table') }}
select
    t.transaction_id,
    {{ dbt_automl.predict('fraud_model', relation_alias='t') }} as probability
from {{ ref('bench_rows') }} as t
""",
    "bench_naive_scores.py": """from pathlib import Path

import pyarrow as pa

from dbt_automl.preprocess import FeatureSchema, to_frame
from dbt_automl.registry import load_version


def model(dbt, session):
    dbt.config(materialized="table")
    [(path,)] = dbt.ref("fraud_model").filter("is_current").project("artifact_path").fetchall()
    fitted, meta = load_version(Path(path).parent)
    frame = dbt.ref("bench_rows").df()
    schema = FeatureSchema.from_dict(meta["features"])
    proba = fitted.predict_raw(to_frame(pa.Table.from_pandas(frame), schema))
    return frame[["transaction_id"]].assign(probability=proba[:, 1])
""",
}


def _env(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "DBT_AUTOML_LAKE_PATH": str(work / "lake"),
        "DBT_AUTOML_REGISTRY_PATH": str(work / "registry"),
        "DBT_AUTOML_SCORES_PATH": str(work / "scores"),
        "DBT_AUTOML_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        # DuckDB's cache grows to its memory limit, 80 % of RAM by default: see MEMORY_LIMIT.
        "DBT_AUTOML_DUCKDB_MEMORY_LIMIT": MEMORY_LIMIT,
    }


def _dbt(work: Path, *args: str) -> tuple[dict, float]:
    """Run dbt in its own process; return run_results.json and the process tree's peak RSS."""
    project = work / "project"
    cmd = [str(ROOT / ".venv" / "bin" / "dbt"), *args, "--project-dir", str(project)]
    cmd += ["--profiles-dir", str(project)]
    peak = _run_watched(cmd, _env(work), cwd=project)
    return json.loads((project / "target" / "run_results.json").read_text()), peak


def _run_watched(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    """Run ``cmd``, polling the RSS of its process tree; return the peak in MB."""
    import psutil

    process = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, text=True)
    peak = [0.0]

    def watch() -> None:
        parent = psutil.Process(process.pid)
        while process.poll() is None:
            try:
                tree = [parent, *parent.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, _ = process.communicate()
    watcher.join()
    if process.returncode:
        sys.exit(f"scoring.py: {' '.join(cmd[:3])} failed:\n{out[-4000:]}")
    return peak[0]


def prepare(work: Path) -> None:
    """The demo project with the bench models, the default lake, fraud_model trained."""
    project = work / "project"
    if (work / ".prepared").exists():
        _write_bench_models(project)  # a workdir prepared before a bench model was added
        return
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    for part in PROJECT_PARTS:
        source = ROOT / part
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, project / part)
    _write_bench_models(project)
    lake = [str(ROOT / ".venv" / "bin" / "dbt-automl"), "generate-lake", "--scale", "default"]
    subprocess.run([*lake, "--out", str(work / "lake")], check=True, env=_env(work))
    _dbt(work, "build", "--select", "+fraud_model", "--exclude", "test_type:data")
    (work / ".prepared").touch()


def _write_bench_models(project: Path) -> None:
    (project / "models" / "bench").mkdir(parents=True, exist_ok=True)
    for name, text in BENCH_MODELS.items():
        (project / "models" / "bench" / name).write_text(text)


def measure_dbt(work: Path, rows: int, node: str, repeat: int) -> dict:
    """Rows/s of one scoring node over ``rows`` rows (its fastest of ``repeat`` runs), and
    the highest peak RSS of its dbt processes."""
    seconds, peaks = [], []
    for _ in range(repeat):
        results, peak = _dbt(work, "run", "--select", node, "--vars", _rows_vars(rows))
        [result] = [r for r in results["results"] if r["unique_id"].endswith("." + node)]
        seconds.append(result["execution_time"])
        peaks.append(peak)
    return {"rows_per_s": rows / min(seconds), "peak_rss_mb": max(peaks)}


def _rows_vars(rows: int) -> str:
    copies = -(-rows // 249_292)
    return json.dumps({"bench_rows": rows, "bench_copies": copies})


def _fastest(repeat: int, fn: Any, *args: Any) -> float:
    """The fastest of ``repeat`` timed calls, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - started)
    return min(times)


def measure_models(work: Path, repeat: int) -> None:
    """Child process: the library's and the compiled model's predict on in-memory numpy."""
    import resource

    import duckdb

    from dbt_automl.registry import load_version
    from dbt_automl.scoring import Scorer
    from dbt_automl.scoring._compiled import CompiledTrees, _members
    from dbt_automl.search import PreparedFolds

    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    [(path,)] = con.sql("select artifact_path from fraud_model where is_current").fetchall()
    library, _ = load_version(Path(path).parent)
    scorer = Scorer.load(Path(path).parent)
    rows, seconds = 0, {"ceiling": 0.0, "compiled": 0.0}
    pairs = [
        (type(lib).__name__, lib, twin)
        for lib, twin in zip(
            _members(library.estimator), _members(scorer.model.estimator), strict=True
        )
        if isinstance(twin, CompiledTrees)
    ]
    member_s = {name: [0.0, 0.0] for name, _, _ in pairs}
    for chunk in con.table("bench_rows").to_arrow_reader(1_000_000):
        X = scorer.model.matrices(chunk)  # the same preprocessed rows for every model
        first = X[0] if isinstance(X, PreparedFolds) else X
        for name, model in (("ceiling", library), ("compiled", scorer.model)):
            seconds[name] += _fastest(repeat, model.task.predict, model.estimator, X)
        for name, lib, twin in pairs:  # each compiled member against its own library
            for k, member in enumerate((lib, twin)):
                member_s[name][k] += _fastest(repeat, member.predict_proba, first)
        rows += chunk.num_rows
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rates: dict = {k: {"rows_per_s": rows / s, "peak_rss_mb": peak} for k, s in seconds.items()}
    rates["members"] = {name: lib / twin for name, (lib, twin) in member_s.items()}
    print(json.dumps(rates))


def measure_all(
    work: Path, rows: int, naive_max: int, repeat: int, explain_max: int
) -> dict[str, dict]:
    """Every path over ``rows`` rows (the naive one up to ``naive_max`` rows, explain=3 up
    to ``explain_max``)."""
    _dbt(work, "run", "--select", "bench_rows", "--vars", _rows_vars(rows))
    cmd = [sys.executable, __file__, "--measure-models", str(work), "--repeat", str(repeat)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    found = json.loads(out.strip().splitlines()[-1])  # after any log lines
    nodes = {
        "python model": "bench_python_scores",
        "explain=3": "bench_explained_scores",
        "sql function": "bench_sql_scores",
        "naive": "bench_naive_scores",
    }
    limits = {"naive": naive_max, "explain=3": explain_max}
    for path, node in nodes.items():
        if rows > limits.get(path, rows):
            continue  # naive: the whole table in pandas; explain: see --explain-max-rows
        found[path] = measure_dbt(work, rows, node, repeat)
        print(f"{rows:>11,} {path:<13} {found[path]['rows_per_s']:>12,.0f} rows/s", flush=True)
    return found


def measure_startup(work: Path) -> dict[str, float]:
    """Node seconds of the python model and the SQL function on a 1,000-row table: what
    a scoring run costs before its first row (imports, loading the model)."""
    _dbt(work, "run", "--select", "bench_rows", "--vars", _rows_vars(1_000))
    _dbt(work, "run", "--select", "bench_python_scores")  # builds the version's scoring cache
    seconds = {}
    for path, node in (
        ("python model", "bench_python_scores"),
        ("sql function", "bench_sql_scores"),
    ):
        results, _ = _dbt(work, "run", "--select", node, "--vars", _rows_vars(1_000))
        [result] = [r for r in results["results"] if r["unique_id"].endswith("." + node)]
        seconds[path] = result["execution_time"]
    return seconds


def report(
    results: dict[int, dict[str, dict]], model: str, startup: dict[str, float], repeat: int
) -> str:
    """The markdown section, markers included."""
    sizes = sorted(results)
    lines = [
        START,
        "## Scoring at lake scale",
        "",
        f"`python bench/scoring.py` on {os.cpu_count()} cores: the demo's `fraud_model` "
        f"({model}) trained on the default lake, `transaction_features` replicated to each "
        "size. Rows/s; ratio to the ceiling (the fitted model's own predict on the rows "
        "already preprocessed into numpy, one core); peak RSS of the measuring process. The "
        "dbt paths are the node's time in `run_results.json`: reading, preprocessing, "
        f"predicting and writing the table. Every figure is the fastest of {repeat} runs "
        "(the machine is shared; peak RSS is the highest). DuckDB's memory_limit is "
        f"{MEMORY_LIMIT} "
        "(`DBT_AUTOML_DUCKDB_MEMORY_LIMIT`): DuckDB caches the blocks it reads and writes up to "
        "that limit, and at 300MB the cache alone grew ~180MB from 1M to 10M rows, which 1M "
        "rows did not fill; below what 1M rows fill, the peak compares what scoring holds.",
        "",
        "| path | " + " | ".join(f"{n:,} rows: rows/s (x ceiling), peak MB" for n in sizes) + " |",
        "| --- |" + " ---: |" * len(sizes),
    ]
    for path in PATHS:
        cells = []
        for n in sizes:
            if path not in results[n]:
                flag = "--naive-max-rows" if path == "naive" else "--explain-max-rows"
                cells.append(f"not run (`{flag}`)")
                continue
            r, ceiling = results[n][path], results[n]["ceiling"]["rows_per_s"]
            cells.append(
                f"{r['rows_per_s']:,.0f} ({r['rows_per_s'] / ceiling:.2f}x), "
                f"{r['peak_rss_mb']:,.0f}"
            )
        lines.append(f"| {path} | " + " | ".join(cells) + " |")
    members = results[sizes[-1]].get("members", {})
    if members:
        lines += [
            "",
            "Compiled members against their own library's predict, same rows: "
            + ", ".join(f"{name} {ratio:.2f}x" for name, ratio in members.items())
            + " (CatBoost members run on one thread, linear ones as coefficients; kNN and SVM "
            "members keep their library).",
        ]
    explained = [n for n in sizes if "explain=3" in results[n]]
    if explained:
        lines += [
            "",
            "`explain=3` (each row's top three contributions, decision 0014) against the "
            "plain python model on the same rows: "
            + ", ".join(f"{n:,} rows {_explain_cost(results[n]):.2f}x the time" for n in explained)
            + ".",
        ]
    lines += [
        "",
        "Start-up, the node's seconds on a 1,000-row table (imports, loading the model): "
        + ", ".join(f"{path} {secs:.2f} s" for path, secs in startup.items())
        + ".",
    ]
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        growth = {
            p: results[hi][p]["peak_rss_mb"] / results[lo][p]["peak_rss_mb"]
            for p in ("python model", "sql function")
        }
        lines += [
            "",
            f"Peak RSS at {hi:,} rows against {lo:,}: "
            + ", ".join(f"{p} {g:.2f}x" for p, g in growth.items())
            + ".",
        ]
    return "\n".join([*lines, "", END]) + "\n"


def _explain_cost(result: dict[str, dict]) -> float:
    """How many times the plain python model's time scoring with explain=3 takes."""
    return result["python model"]["rows_per_s"] / result["explain=3"]["rows_per_s"]


def _model_label(work: Path) -> str:
    import duckdb

    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    [(members, rps)] = con.sql(
        "select decisions ->> '$.ensemble.members', expected_rows_per_s "
        "from fraud_model where is_current"
    ).fetchall()
    return f"{members}; the model table expects {rps:,.0f} rows/s a core"


def main() -> int:
    """Prepare once, measure every path at every size, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,10000000")
    parser.add_argument("--workdir", default=str(HERE / "results" / "scoring"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument(
        "--naive-max-rows",
        type=int,
        default=1_000_000,
        help="largest table the naive path loads into pandas (it holds every row at once)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of every measurement; the fastest counts (the machine is shared)",
    )
    parser.add_argument(
        "--explain-max-rows",
        type=int,
        default=1_000_000,
        help="largest table scored with explain=3 (model-agnostic members cost 2 predictions "
        "a feature)",
    )
    parser.add_argument("--measure-models", metavar="WORKDIR")
    args = parser.parse_args()
    if args.measure_models:
        measure_models(Path(args.measure_models), args.repeat)
        return 0
    work = Path(args.workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    prepare(work)
    sizes = [int(r) for r in args.rows.split(",")]
    startup = measure_startup(work)
    results = {
        n: measure_all(work, n, args.naive_max_rows, args.repeat, args.explain_max_rows)
        for n in sizes
    }
    section = report(results, _model_label(work), startup, args.repeat)
    print(section)
    write_section(Path(args.out), section, "scoring")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
