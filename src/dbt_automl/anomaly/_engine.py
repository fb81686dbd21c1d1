"""The anomaly-detection engine: featurize -> fit the families -> rank-average them ->
choose the detector and the threshold (labels decide when they can) -> calibrate.

No single unsupervised detector is best across data sets (ADBench, Han et al. 2022), so
without labels the detector is the rank average of every family fitted; a few labels
choose among the families and the ensemble instead, and set the threshold when the
settings do not. Scores are shares of training rows (an empirical CDF), so a threshold
reads as a share of rows whatever the family.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from dbt_automl._log import Logger
from dbt_automl.anomaly import _labels as lb
from dbt_automl.anomaly._config import DEFAULT_CONTAMINATION, ENSEMBLE, AnomalyConfig
from dbt_automl.anomaly._families import KNN_REFERENCE_ROWS, Ecdf, Family, build
from dbt_automl.anomaly._model import FLAG_TOLERANCE, AnomalyModel, rank_average
from dbt_automl.errors import TrainingDataError

MIN_ROWS = 10
BASELINE = "iforest"


@dataclass
class AnomalyResult:
    """A trained detector and what training measured about it."""

    model: AnomalyModel
    metrics: dict[str, Any]
    leaderboard: list[dict[str, Any]]
    decisions: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    n_rows: int = 0


@dataclass
class Candidates:
    """Every fitted family's raw scores on the training rows, their rank tables, and each
    candidate's (family or ensemble) calibrated scores."""

    families: dict[str, Family]
    raw: dict[str, np.ndarray]
    ranks: dict[str, Ecdf]
    calibration: dict[str, Ecdf]
    scores: dict[str, np.ndarray]
    seconds: dict[str, float]
    default: str


def train_detector(table: pa.Table, cfg: AnomalyConfig, log: Logger) -> AnomalyResult:
    """Fit the detector families on ``table``, choose, calibrate and set the threshold.

    Raises:
        TrainingDataError: a named column is missing, fewer than MIN_ROWS rows, no usable
            feature column, or labels that are not booleans / 0-1.
    """
    started = time.perf_counter()
    _check_table(table, cfg)
    table, sampling = _sample(table, cfg, log)
    labels = lb.read_labels(table, cfg.label_column, cfg.model_name)
    featurizer, X = _featurize(table, cfg)
    log.info(
        f"{cfg.model_name}: detecting anomalies in {len(X)} rows x {X.shape[1]} features; "
        f"families {', '.join(cfg.families)}; {labels.n} labelled row(s) "
        f"({labels.n_anomalies} anomalies)"
    )
    with one_thread():
        cands, skipped = _fit(X, cfg, started, log)
    detector, detector_why = _choose(cands, labels, cfg, log)
    threshold, threshold_why = _threshold(cands.scores[detector], labels, cfg)
    metrics, evaluation = _metrics(cands, detector, threshold, labels, cfg)
    log.info(
        f"{cfg.model_name}: detector {detector} ({detector_why}); threshold {threshold:.4f} "
        f"({threshold_why}); flags {metrics['flag_rate']:.2%} of training rows"
        + _label_line(metrics)
    )
    model = _model(cfg, featurizer, cands, detector, threshold)
    decisions = {
        "features": featurizer.decisions(),
        "sampling": sampling,
        "families": {"fitted": list(cands.families), "skipped": skipped},
        "detector": {"name": detector, "why": detector_why},
        "threshold": {"value": threshold, "why": threshold_why},
        "labels": _label_decisions(labels, cfg, evaluation),
        "model_size": _size(model),
    }
    return AnomalyResult(
        model=model,
        metrics=metrics,
        leaderboard=_leaderboard(cands, detector, threshold, labels, skipped),
        decisions=decisions,
        duration_s=time.perf_counter() - started,
        n_rows=table.num_rows,
    )


def _check_table(table: pa.Table, cfg: AnomalyConfig) -> None:
    """Enough rows, and every column the settings name."""
    if table.num_rows < MIN_ROWS:
        raise TrainingDataError(
            f"only {table.num_rows} row(s) to learn from; the detectors need at least "
            f"{MIN_ROWS} (the score is a share of training rows)",
            "train on more rows (a wider date range or more entities)",
            model=cfg.model_name,
        )
    present = set(table.schema.names)
    named = [("id_columns", c) for c in cfg.id_columns] + [("exclude", c) for c in cfg.exclude]
    named += [("label_column", cfg.label_column)] if cfg.label_column else []
    for key, column in named:
        if column not in present:
            raise TrainingDataError(
                f"not in the training table (it has {sorted(present)})",
                f"add the column to the feature model or correct meta.automl.{key}",
                model=cfg.model_name,
                column=column,
                key=key,
            )


def _sample(table: pa.Table, cfg: AnomalyConfig, log: Logger) -> tuple[pa.Table, dict]:
    """At most ``max_train_rows`` rows, every labelled row kept (labels are scarce)."""
    n = table.num_rows
    if n <= cfg.max_train_rows:
        return table, {"rows": n, "sampled": False}
    rng = np.random.default_rng(cfg.seed)
    keep = np.zeros(n, dtype=bool)
    if cfg.label_column:
        keep |= table.column(cfg.label_column).is_valid().to_numpy(zero_copy_only=False)
    rest = np.flatnonzero(~keep)
    extra = max(cfg.max_train_rows - int(keep.sum()), 0)
    keep[rng.choice(rest, min(extra, len(rest)), replace=False)] = True
    log.info(
        f"{cfg.model_name}: {n} rows exceed max_train_rows={cfg.max_train_rows}; fitting "
        f"on a random sample of {int(keep.sum())} (every labelled row kept)"
    )
    return table.filter(pa.array(keep)), {"rows": n, "sampled": True, "kept": int(keep.sum())}


def _featurize(table: pa.Table, cfg: AnomalyConfig) -> tuple[Any, np.ndarray]:
    from dbt_automl.preprocess import Featurizer

    roles = {*cfg.id_columns, *cfg.exclude, *([cfg.label_column] if cfg.label_column else [])}
    features = table.select([c for c in table.schema.names if c not in roles])
    # Clipping to training quantiles would erase the extremes a detector looks for.
    return Featurizer.fit(features, cfg.model_name, cfg.seed, keep_extremes=True)


@contextmanager
def one_thread() -> Iterator[None]:
    """BLAS and OpenMP at one thread: dbt runs models side by side, one core each
    (decision 0002); oversubscribed threads spin instead of computing."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _fit(
    X: np.ndarray, cfg: AnomalyConfig, started: float, log: Logger
) -> tuple[Candidates, dict[str, str]]:
    """Fit the families in order while the budget lasts (the first always, and isolation
    forest always: it is the baseline every report compares with)."""
    families: dict[str, Family] = {}
    raw: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    skipped: dict[str, str] = {}
    order = [*cfg.families, *([BASELINE] if BASELINE not in cfg.families else [])]
    for name in order:
        spent = time.perf_counter() - started
        if families and name != BASELINE and spent > cfg.time_budget_s:
            skipped[name] = f"time budget spent ({spent:.1f}s of {cfg.time_budget_s:.0f}s)"
            log.info(f"{cfg.model_name} family {name:<8} skipped: {skipped[name]}")
            continue
        tick = time.perf_counter()
        families[name] = build(name).fit(X, cfg.seed)
        raw[name] = families[name].score(X)
        seconds[name] = time.perf_counter() - tick
        log.info(f"{cfg.model_name} family {name:<8} fitted and scored ({seconds[name]:.2f}s)")
    ranks = {name: Ecdf.of(scores) for name, scores in raw.items()}
    members = [name for name in families if name in cfg.families]
    if len(members) > 1:
        raw[ENSEMBLE] = rank_average({m: ranks[m] for m in members}, raw)
        seconds[ENSEMBLE] = sum(seconds[m] for m in members)
    calibration = {name: Ecdf.of(scores) for name, scores in raw.items()}
    scores = {name: calibration[name].less(r) for name, r in raw.items()}
    default = ENSEMBLE if ENSEMBLE in raw else members[0]
    cands = Candidates(families, raw, ranks, calibration, scores, seconds, default)
    return cands, skipped


def _candidate_names(cands: Candidates, cfg: AnomalyConfig) -> list[str]:
    """The detectors that may be chosen: the configured families fitted, and the ensemble."""
    return [n for n in cands.scores if n in cfg.families or n == ENSEMBLE]


def _choose(
    cands: Candidates, labels: lb.Labels, cfg: AnomalyConfig, log: Logger
) -> tuple[str, str]:
    names = _candidate_names(cands, cfg)
    if not labels.usable:
        why = (
            "the rank average of the families: no single unsupervised detector is best "
            "across data sets, and averaged ranks are robust"
            if cands.default == ENSEMBLE
            else "the only family fitted"
        )
        if labels.n:
            log.warning(
                f"{cfg.model_name}: every labelled row of {cfg.label_column!r} is "
                f"{'an anomaly' if labels.n_anomalies else 'normal'}; labels ignored for the "
                "choice of detector and threshold (they need both outcomes)"
            )
        return cands.default, why
    labelled = {n: cands.scores[n][labels.rows] for n in names}
    chosen = lb.choose(labelled, labels.outcome, cands.default)
    auc = lb.roc_auc(labels.outcome, labelled[chosen])
    return chosen, f"best ROC AUC on {labels.n} labelled rows ({auc:.3f})"


def _threshold(scores: np.ndarray, labels: lb.Labels, cfg: AnomalyConfig) -> tuple[float, str]:
    if cfg.score_threshold is not None:
        return cfg.score_threshold, "score_threshold in meta.automl"
    if cfg.contamination is not None:
        return 1 - cfg.contamination, (
            f"contamination {cfg.contamination} in meta.automl: flag that share of rows"
        )
    if labels.usable:
        threshold = lb.best_f1_threshold(labels.outcome, scores[labels.rows])
        return threshold, f"best F1 on {labels.n} labelled rows (threshold at least 0.5)"
    return 1 - DEFAULT_CONTAMINATION, (
        f"default contamination {DEFAULT_CONTAMINATION}: no contamination, score_threshold "
        "or usable labels"
    )


def _metrics(
    cands: Candidates,
    detector: str,
    threshold: float,
    labels: lb.Labels,
    cfg: AnomalyConfig,
) -> tuple[dict[str, Any], str | None]:
    scores = cands.scores[detector]
    metrics: dict[str, Any] = {
        "flag_rate": float((scores >= threshold - FLAG_TOLERANCE).mean()),
        "threshold": threshold,
        "contamination": round(1 - threshold, 12),
        "n_rows": len(scores),
        "n_labelled": labels.n,
        "n_labelled_anomalies": labels.n_anomalies,
    }
    if not labels.n:
        return metrics, None
    for prefix, name in (("", detector), (f"{BASELINE}_", BASELINE)):
        on_labels = cands.scores[name][labels.rows]
        measured = lb.at_threshold(labels.outcome, on_labels, threshold - FLAG_TOLERANCE)
        measured["roc_auc"] = lb.roc_auc(labels.outcome, on_labels)
        measured["average_precision"] = lb.average_precision(labels.outcome, on_labels)
        metrics.update({prefix + k: v for k, v in measured.items()})
    if not labels.usable:
        return metrics, "in-sample (labels did not choose anything)"
    names = _candidate_names(cands, cfg)
    fixed = None if cfg.threshold_from_labels else threshold - FLAG_TOLERANCE
    held = lb.cross_validated(
        {n: cands.scores[n][labels.rows] for n in names},
        labels.outcome,
        cands.default,
        fixed,
        cfg.seed,
    )
    if held is None:
        return metrics, "in-sample, optimistic: too few labels of one outcome to hold out"
    metrics.update({k: held[k] for k in ("precision_at_flagged", "recall_at_flagged", "roc_auc")})
    return metrics, f"cross-validated over {held['folds']} folds of the labelled rows"


def _label_line(metrics: dict[str, Any]) -> str:
    if not metrics["n_labelled"]:
        return ""
    shown = {k: metrics.get(k) for k in ("precision_at_flagged", "recall_at_flagged", "roc_auc")}
    text = ", ".join(f"{k} {v:.3f}" if v is not None else f"{k} n/a" for k, v in shown.items())
    return f"; on labelled rows: {text}"


def _label_decisions(labels: lb.Labels, cfg: AnomalyConfig, evaluation: str | None) -> dict:
    used = []
    if labels.usable:
        used = ["detector"] + (["threshold"] if cfg.threshold_from_labels else [])
    note = None
    if labels.n and not labels.usable:
        note = "every label has one value: ignored for the choices, reported only"
    return {
        "column": cfg.label_column,
        "n": labels.n,
        "n_anomalies": labels.n_anomalies,
        "used_for": used,
        "note": note,
        "evaluation": evaluation,
    }


def _model(
    cfg: AnomalyConfig, featurizer: Any, cands: Candidates, detector: str, threshold: float
) -> AnomalyModel:
    """The model keeps only the families the chosen detector reads."""
    members = [n for n in cands.families if n in cfg.families] if detector == ENSEMBLE else []
    needed = members or [detector]
    return AnomalyModel(
        model_name=cfg.model_name,
        featurizer=featurizer,
        detector=detector,
        families={n: cands.families[n] for n in needed},
        ranks={n: cands.ranks[n] for n in members},
        calibration=cands.calibration[detector],
        threshold=threshold,
        id_columns=cfg.id_columns,
        label_column=cfg.label_column,
    )


def _size(model: AnomalyModel) -> dict[str, Any]:
    knn = model.families.get("knn")
    rows = int(knn.index_.n_samples_fit_) if knn is not None else 0  # type: ignore[attr-defined]
    return {
        "knn_reference_rows": rows,
        "knn_reference_cap": KNN_REFERENCE_ROWS,
        "calibration_points": len(model.calibration.values),
    }


def _leaderboard(
    cands: Candidates,
    detector: str,
    threshold: float,
    labels: lb.Labels,
    skipped: dict[str, str],
) -> list[dict[str, Any]]:
    """One row per candidate: its cost, how it does on labels, how much its flags overlap
    the chosen detector's."""
    chosen_flags = cands.scores[detector] >= threshold - FLAG_TOLERANCE
    rows = []
    for name, scores in cands.scores.items():
        flags = scores >= threshold - FLAG_TOLERANCE
        on_labels = scores[labels.rows]
        rows.append(
            {
                "family": name,
                "seconds": round(cands.seconds[name], 4),
                "roc_auc": lb.roc_auc(labels.outcome, on_labels),
                "average_precision": lb.average_precision(labels.outcome, on_labels),
                "precision_at_flagged": lb.at_threshold(
                    labels.outcome, on_labels, threshold - FLAG_TOLERANCE
                )["precision_at_flagged"],
                "flag_overlap": (
                    float((flags & chosen_flags).sum() / chosen_flags.sum())
                    if chosen_flags.any()
                    else None
                ),
                "chosen": name == detector,
            }
        )
    rows += [{"family": name, "skipped": why, "chosen": False} for name, why in skipped.items()]
    return rows
