"""Run one (table, system) cell in a subprocess, measure it, score it and cache the result.

Every system, in-process ones included, runs as a child process so wall time and peak memory
mean the same thing for all four: memory is the peak of the summed RSS of the child's process
tree (polled every 0.1 s), or the child's own ``ru_maxrss`` when that is higher.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from sklearn import metrics as skm
from tables import Split

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = {
    "dbt_automl": ROOT / ".venv" / "bin" / "python",
    "hgb": ROOT / ".venv" / "bin" / "python",
    "flaml": BENCH / ".venvs" / "flaml" / "bin" / "python",
    "autogluon": BENCH / ".venvs" / "autogluon" / "bin" / "python",
}
POLL_S = 0.1


@dataclass(frozen=True)
class Engine:
    """The dbt-automl source a run measures: one commit, exported outside the work tree.

    The project is installed editable and its ``src/`` changes while a long run goes on, so
    the dbt-automl worker imports a ``git archive`` of one commit (put first on PYTHONPATH)
    instead of the live tree: every table of a run sees the same engine.
    """

    commit: str
    src: Path


def engine_snapshot(results: Path, ref: str = "HEAD") -> Engine:
    """Export ``src/`` at ``ref`` under ``results/engine/<commit>/`` (once per commit)."""
    commit = subprocess.run(
        ["git", "rev-parse", ref], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    dest = results / "engine" / commit[:12]
    if not (dest / ".complete").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", commit, "src"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        (dest / ".complete").touch()
    return Engine(commit, dest / "src")


@dataclass(frozen=True)
class Cell:
    """One system on one table at one budget, and where its files live."""

    table: str
    system: str
    budget: float
    results: Path
    engine: Engine | None = None  # only for dbt_automl

    @property
    def folder(self) -> Path:
        """Scratch folder of this cell: spec, predictions, log."""
        return self.results / f"budget_{self.budget:g}" / self.table / self.system

    @property
    def cache(self) -> Path:
        """The cached JSON result of this cell."""
        return self.folder.parent / f"{self.system}.json"


def score(kind: str, y: np.ndarray, pred: np.ndarray, classes: list[str] | None) -> float:
    """The table's metric: ROC AUC (binary), log loss (multiclass), RMSE (regression)."""
    if kind == "regression":
        return float(skm.root_mean_squared_error(y.astype(float), pred))
    assert classes is not None
    proba = np.clip(pred, 0.0, None)
    proba = proba / np.maximum(proba.sum(axis=1, keepdims=True), 1e-15)
    if kind == "binary":
        return float(skm.roc_auc_score(y == classes[1], proba[:, 1]))
    return float(skm.log_loss(y, proba, labels=classes))


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # a child that just exited
            continue
    return total


def _child_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _watch(cmd: list[str], log: Path, timeout_s: float, env: dict[str, str]) -> dict[str, Any]:
    """Run ``cmd`` to completion; return its exit code (None on timeout) and measurements.

    CPU seconds come from ``RUSAGE_CHILDREN`` deltas (user + system, the whole tree once it
    is reaped); the 1-minute load average before the start tells how busy the machine was.
    """
    peak, cpu_before, load = 0, _child_cpu_s(), os.getloadavg()[0]
    start = time.perf_counter()
    timed_out = False
    with log.open("w") as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        proc = psutil.Process(child.pid)
        while child.poll() is None:
            peak = max(peak, _tree_rss(proc))
            if time.perf_counter() - start > timeout_s:
                timed_out = True
                for p in [*proc.children(recursive=True), proc]:
                    p.kill()
                break
            time.sleep(POLL_S)
        code = child.wait()
    return {
        "exit_code": None if timed_out else code,
        "wall_s": time.perf_counter() - start,
        "tree_peak_rss_mb": peak / 2**20,
        "cpu_s": _child_cpu_s() - cpu_before,
        "load_1m_before": load,
    }


def run_cell(cell: Cell, data: Split, train: Path, test: Path) -> dict[str, Any]:
    """Fit, predict and score one cell in a child process; write and return its record."""
    cell.folder.mkdir(parents=True, exist_ok=True)
    for stale in ("pred.npy", "info.json"):
        (cell.folder / stale).unlink(missing_ok=True)
    spec = {
        "table": cell.table,
        "system": cell.system,
        "train": str(train),
        "test": str(test),
        "target": data.dataset.target,
        "kind": data.dataset.kind,
        "metric": data.dataset.metric,
        "classes": data.classes,
        "positive_class": data.dataset.positive_class,
        "budget": cell.budget,
        "out": str(cell.folder),
    }
    (cell.folder / "spec.json").write_text(json.dumps(spec, indent=2))
    cmd = [str(PYTHON[cell.system]), str(BENCH / "worker.py"), str(cell.folder / "spec.json")]
    timeout_s = max(10 * cell.budget, 600.0)
    env = dict(os.environ)
    if cell.engine is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(cell.engine.src), env.get("PYTHONPATH", "")])
    watch = _watch(cmd, cell.folder / "log.txt", timeout_s, env)
    info_path = cell.folder / "info.json"
    info = json.loads(info_path.read_text()) if info_path.exists() else {"status": "error"}
    record: dict[str, Any] = {
        "table": cell.table,
        "system": cell.system,
        "budget": cell.budget,
        "engine_commit": cell.engine.commit if cell.engine else None,
        **info,
        **watch,
        "peak_rss_mb": max(watch["tree_peak_rss_mb"], info.get("self_peak_rss_mb", 0.0)),
        "finished_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if watch["exit_code"] is None:
        record.update(status="timeout", traceback=f"killed after {timeout_s:.0f} s")
    elif record["status"] == "ok":
        y = data.test[data.dataset.target].to_numpy()
        record["metric"] = score(
            data.dataset.kind, y, np.load(cell.folder / "pred.npy"), data.classes
        )
    elif "traceback" not in record:
        record["traceback"] = _tail(cell.folder / "log.txt")
    cell.cache.write_text(json.dumps(record, indent=2))
    return record


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def cached(cell: Cell) -> dict[str, Any] | None:
    """The cell's earlier result when it finished well on the same engine; else None."""
    if not cell.cache.exists():
        return None
    record = json.loads(cell.cache.read_text())
    if cell.engine is not None and record.get("engine_commit") != cell.engine.commit:
        return None  # measured on another commit of dbt-automl
    return record if record.get("status") == "ok" else None


def missing_venvs(systems: list[str]) -> list[str]:
    """Systems whose interpreter does not exist yet (run ``make bench-setup``)."""
    return [s for s in systems if not PYTHON[s].exists()]
