"""The segmentation engine: rows -> encoded matrix -> candidates over families and k ->
the stated choice -> stable segment ids -> metrics and profiles.

Runs under ``time_budget_s`` like the other tasks (see :mod:`._search`); the encoding is
the shared :class:`~dbt_automl.preprocess.Featurizer`'s, fitted once on the training rows.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from dbt_automl._log import Logger
from dbt_automl.clustering._config import ClusterConfig
from dbt_automl.clustering._families import MixtureFamily
from dbt_automl.clustering._model import ClusterModel
from dbt_automl.clustering._profiles import profiles
from dbt_automl.clustering._search import Candidate, Plan, choose, search
from dbt_automl.clustering._stable import Ids, Previous, first_ids, matched_ids
from dbt_automl.errors import DbtAutomlError, TrainingDataError

if TYPE_CHECKING:
    from dbt_automl.preprocess import Featurizer


@dataclass
class ClusterResult:
    """A trained segmentation and what was measured and decided on the way."""

    model: ClusterModel
    metrics: dict[str, Any]
    leaderboard: list[dict[str, Any]]
    curve: dict[str, list[dict[str, Any]]]
    profiles: list[dict[str, Any]]
    matching: dict[str, Any] | None
    decisions: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    n_rows: int = 0


def train_clusterer(
    table: pa.Table, cfg: ClusterConfig, log: Logger, previous: ClusterModel | None = None
) -> ClusterResult:
    """Segment the rows of ``table`` (id columns + features).

    ``previous`` is the current version's model: its segment ids are carried over to the
    new segments they match, and its family and k are tried first, warm-started.

    Raises:
        TrainingDataError: no rows, a missing id column, no usable feature, or fewer
            distinct rows than ``k_min + 1``.
    """
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    # dbt runs models side by side: one thread each (oversubscribed BLAS/OpenMP spins).
    with (
        threadpool_limits(limits=1, user_api="blas"),
        threadpool_limits(limits=1, user_api="openmp"),
        warnings.catch_warnings(),
    ):
        # An unconverged fit is still a candidate: its criterion says how good it is.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _train(table, cfg, log, previous)


def _train(
    table: pa.Table, cfg: ClusterConfig, log: Logger, previous: ClusterModel | None
) -> ClusterResult:
    from dbt_automl.preprocess import Featurizer

    started = time.perf_counter()
    decisions: dict[str, Any] = {}
    table = _training_rows(table, cfg, decisions, log)
    features = table.drop_columns([*cfg.id_columns, *cfg.exclude])
    featurizer, matrix = Featurizer.fit(features, cfg.model_name, cfg.seed)
    decisions["features"] = featurizer.decisions()
    ks = _k_range(matrix, cfg, decisions, log)
    deadline = time.perf_counter() + cfg.time_budget_s
    rng = np.random.default_rng(cfg.seed)
    sample = np.sort(
        rng.choice(len(matrix), size=min(len(matrix), cfg.sample_rows), replace=False)
    )
    before = _previous(previous, table, matrix, cfg, decisions, log)
    unsuited = MixtureFamily.unsuited(matrix) if "gmm" in cfg.families else None
    plan = Plan(ks, cfg.families, _warm(before, previous, cfg, ks, unsuited), unsuited)
    if unsuited:
        log.info(f"{cfg.model_name}: no Gaussian mixture tried: {unsuited}")
    log.info(
        f"{cfg.model_name}: segmenting {len(matrix)} rows on {matrix.shape[1]} encoded "
        f"features, k in [{ks.start}, {ks.stop - 1}], families {list(cfg.families)}, "
        f"criterion {cfg.criterion}, budget {cfg.time_budget_s:g}s"
    )
    candidates = search(matrix, sample, cfg, plan, deadline, log)
    chosen, why = choose(candidates, cfg, unsuited)
    result = _result(chosen, candidates, featurizer, features, matrix, before, cfg)
    notes = _choice_notes(why, candidates, chosen, unsuited, cfg)
    result.decisions = {**decisions, **notes, **_id_notes(result, cfg)}
    kept = result.metrics["kept_share"]
    log.info(
        f"{cfg.model_name}: chose {why['chosen']}; segments "
        + ", ".join(f"{p['segment']}: {p['share']:.0%}" for p in result.profiles)
        + ("" if kept is None else f"; {kept:.1%} of the rows keep their segment id")
    )
    result.duration_s = time.perf_counter() - started
    return result


def _result(
    chosen: Candidate,
    candidates: list[Candidate],
    featurizer: Featurizer,
    features: pa.Table,
    matrix: np.ndarray,
    before: Previous | None,
    cfg: ClusterConfig,
) -> ClusterResult:
    """The model with its segment ids, its metrics and its segments' profiles."""
    from dbt_automl.preprocess import to_frame

    fitted = chosen.fitted
    assert fitted is not None
    if before is None:
        ids = first_ids(fitted.labels, fitted.k)
    else:
        ids = matched_ids(matrix, fitted.labels, fitted.k, before)
    model = ClusterModel(
        cfg.model_name,
        featurizer,
        fitted.family,
        ids.by_label,
        fitted.centroids,
        fitted.mixture,
        cfg.label_map,
        cfg.id_columns,
        ids.max_id,
    )
    model.radius = _radius(model, matrix, fitted.labels)
    segments = ids.by_label[fitted.labels]
    frame = to_frame(features, featurizer.schema)
    return ClusterResult(
        model=model,
        metrics=_metrics(matrix, fitted.labels, chosen, ids, len(matrix)),
        leaderboard=[c.row(c is chosen) for c in candidates],
        curve=_curve(candidates),
        profiles=profiles(matrix, segments, featurizer, frame, cfg.label_map),
        matching=ids.matching,
        n_rows=len(matrix),
    )


def _radius(model: ClusterModel, matrix: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per internal label, the distance within which 90% of its training rows lie."""
    _, distance, _ = model.internal(matrix)
    return np.array([np.quantile(distance[labels == j], 0.9) for j in range(model.k)])


def _training_rows(
    table: pa.Table, cfg: ClusterConfig, decisions: dict[str, Any], log: Logger
) -> pa.Table:
    """Check the columns named in the settings; sample down to ``max_train_rows``."""
    if table.num_rows < cfg.k_min + 1:
        raise TrainingDataError(
            f"the training table has {table.num_rows} row(s); k_min={cfg.k_min} segments "
            f"need at least {cfg.k_min + 1} distinct rows",
            "check the feature model's filters, or lower k_min (>= 2)",
            model=cfg.model_name,
        )
    for key, names in (("id_columns", cfg.id_columns), ("exclude", cfg.exclude)):
        for name in names:
            if name not in table.column_names:
                raise TrainingDataError(
                    f"not in the training table (columns: {table.column_names})",
                    f"add it to the feature model or correct {key}",
                    model=cfg.model_name,
                    column=name,
                    key=key,
                )
    decisions["sampling"] = {"rows": table.num_rows, "sampled": False}
    if table.num_rows > cfg.max_train_rows:
        rng = np.random.default_rng(cfg.seed)
        keep = np.sort(rng.choice(table.num_rows, size=cfg.max_train_rows, replace=False))
        decisions["sampling"] = {"rows": table.num_rows, "sampled": True, "kept": len(keep)}
        log.info(
            f"{cfg.model_name}: {table.num_rows} rows exceed max_train_rows="
            f"{cfg.max_train_rows}; segmenting a random {len(keep)}-row sample"
        )
        table = table.take(pa.array(keep))
    return table


def _k_range(
    matrix: np.ndarray, cfg: ClusterConfig, decisions: dict[str, Any], log: Logger
) -> range:
    """[k_min, k_max], k_max clipped to the distinct rows less one (said so)."""
    distinct = len(np.unique(matrix, axis=0))
    if distinct < cfg.k_min + 1:
        raise TrainingDataError(
            f"{len(matrix)} row(s) hold only {distinct} distinct point(s) once encoded; "
            f"k_min={cfg.k_min} segments need at least {cfg.k_min + 1}",
            "give the model more varied rows, or lower k_min (>= 2)",
            model=cfg.model_name,
            key="k_min",
        )
    k_max = min(cfg.k_max, distinct - 1)
    decisions["k_range"] = {"k_min": cfg.k_min, "k_max": k_max, "distinct_rows": distinct}
    if k_max < cfg.k_max:
        note = (
            f"k_max={cfg.k_max} clipped to {k_max}: only {distinct} distinct rows "
            "(a segment needs at least one, and k = rows says nothing)"
        )
        decisions["k_range"]["fallback"] = note
        log.warning(f"{cfg.model_name}: {note}")
    return range(cfg.k_min, k_max + 1)


def _previous(
    previous: ClusterModel | None,
    table: pa.Table,
    matrix: np.ndarray,
    cfg: ClusterConfig,
    decisions: dict[str, Any],
    log: Logger,
) -> Previous | None:
    """The previous version's segments of the training rows, or None (fresh ids)."""
    if previous is None:
        decisions["stability"] = "first version: ids 1..k by segment size, largest first"
        return None
    try:
        assigned = previous.assign(table)
    except DbtAutomlError as error:
        note = f"the previous version cannot assign these rows ({error}); fresh ids"
        decisions["stability"] = note
        log.warning(f"{cfg.model_name}: {note}")
        return None
    return Previous.of(matrix, assigned, previous.radii(), previous.max_id)


def _warm(
    before: Previous | None,
    previous: ClusterModel | None,
    cfg: ClusterConfig,
    ks: range,
    unsuited: str | None,
) -> tuple[str, np.ndarray] | None:
    """The previous version's family and k, started from its segments, when allowed."""
    if before is None or previous is None:
        return None
    family = previous.family if previous.family in ("kmeans", "gmm") else "kmeans"
    if family not in cfg.families or (family == "gmm" and unsuited):
        family = "kmeans" if "kmeans" in cfg.families else ""
    init = before.init()
    if not family or len(init) not in ks:
        return None
    return family, init


def _choice_notes(
    why: dict[str, Any],
    candidates: list[Candidate],
    chosen: Candidate,
    unsuited: str | None,
    cfg: ClusterConfig,
) -> dict[str, Any]:
    notes: dict[str, Any] = {"choice": why}
    notes["mixtures"] = unsuited or "suited (continuous features)"
    skipped = [f"{c.family} k={c.k}" for c in candidates if c.note and "budget" in c.note]
    notes["budget"] = {"time_budget_s": cfg.time_budget_s, "skipped": skipped}
    density = [c for c in candidates if c.family == "hdbscan"]
    if not density:
        notes["hdbscan"] = "not in families (add it to try a density method)"
    elif chosen.family != "hdbscan":
        c = density[0]
        notes["hdbscan"] = f"not chosen: k={c.k}, silhouette {c.silhouette}; {c.note or ''}"
    return notes


def _id_notes(result: ClusterResult, cfg: ClusterConfig) -> dict[str, Any]:
    notes: dict[str, Any] = {}
    if result.matching is not None:
        notes["stability"] = (
            "matched to the previous version's segments: "
            f"{result.metrics['kept_share']:.1%} of the rows keep their segment id"
        )
    unknown = sorted(set(cfg.label_map) - {int(i) for i in result.model.segment_ids})
    if unknown:
        notes["labels"] = f"labels for segment ids {unknown}, which this version does not have"
    return notes


def _metrics(
    matrix: np.ndarray, labels: np.ndarray, chosen: Candidate, ids: Ids, n: int
) -> dict[str, Any]:
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

    shares = np.bincount(labels) / len(labels)
    return {
        "k": int(chosen.k or 0),
        "family": chosen.family,
        "silhouette": chosen.silhouette,
        "davies_bouldin": float(davies_bouldin_score(matrix, labels)),
        "calinski_harabasz": float(calinski_harabasz_score(matrix, labels)),
        "bic": chosen.bic,
        "min_segment_share": float(shares.min()),
        "max_segment_share": float(shares.max()),
        "kept_share": ids.kept_share,
        "n_rows": n,
    }


def _curve(candidates: list[Candidate]) -> dict[str, list[dict[str, Any]]]:
    """family -> [{k, silhouette, bic, warm_start}] of every fitted candidate, by k."""
    curve: dict[str, list[dict[str, Any]]] = {}
    for c in sorted(candidates, key=lambda c: (c.family, c.k or 0, c.warm)):
        if c.fitted is not None:
            curve.setdefault(c.family, []).append(
                {"k": c.k, "silhouette": c.silhouette, "bic": c.bic, "warm_start": c.warm}
            )
    return curve
