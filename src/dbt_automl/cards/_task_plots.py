"""PNG plots of forecasting, clustering, anomaly and recommendation versions, and of a
drift table, from what each recorded (same rules as :mod:`dbt_automl.cards._plots`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dbt_automl.cards._plots import (
    BLUE,
    GREY,
    MAX_BARS,
    ORANGE,
    Plot,
    Plotter,
    figure,
    missing,
    points,
    save,
)


def backtest(meta: Mapping[str, Any], out: Path) -> Plot:
    """The rolling-origin backtest: each candidate's MASE against seasonal naive's, and
    every series' MASE against seasonal naive's on the same windows."""
    caption = "Backtest: MASE by candidate and by series (below the line beats seasonal naive)"
    board = points(meta.get("leaderboard"), "backtest_mase")
    series = points(meta.get("series_metrics"), "seasonal_naive_mase", "mase")
    if board is None:
        return missing(out, "backtest.png", caption, "a backtest leaderboard")
    scores = meta.get("metrics", {}).get("backtest", {})
    names = [str(r["candidate"]) for r in meta["leaderboard"]]
    fig, (left, right) = figure(2)
    left.barh(names[::-1], board[0][::-1], color=BLUE)
    if isinstance(scores.get("mase"), int | float):
        left.axvline(scores["mase"], color=ORANGE, label=f"chosen {scores['mase']:.3f}")
    if isinstance(scores.get("seasonal_naive_mase"), int | float):
        left.axvline(scores["seasonal_naive_mase"], color=GREY, linestyle="--", label="naive")
    left.set(xlabel="backtest MASE (lower is better)")
    left.set_title("Candidates")
    left.legend(loc="lower right", fontsize="small")
    if series is not None:
        right.scatter(series[0], series[1], s=12, color=BLUE, alpha=0.7)
        top = max(max(series[0]), max(series[1]), 1.0)
        right.plot([0, top], [0, top], color=GREY, linestyle="--", linewidth=1)
        right.set(xlabel="seasonal naive MASE", ylabel="chosen MASE")
    cover = scores.get("coverage_80")
    right.set_title(
        f"Series (80% interval coverage {cover:.0%})" if isinstance(cover, float) else "Series"
    )
    return save(fig, out, "backtest.png", caption)


def k_curve(meta: Mapping[str, Any], out: Path) -> Plot:
    """The criterion of every k tried, per family, the chosen k marked."""
    caption = "Choice of k: the criterion of every k tried"
    curve = meta.get("curve")
    if not isinstance(curve, Mapping) or not curve:
        return missing(out, "k_curve.png", caption, "a k curve")
    criterion = "bic" if meta.get("metrics", {}).get("train", {}).get("bic") else "silhouette"
    fig, (ax,) = figure(width=5.2)
    for family, rows in curve.items():
        kept = [r for r in rows if isinstance(r.get(criterion), int | float)]
        if kept:
            ax.plot([r["k"] for r in kept], [r[criterion] for r in kept], marker="o", label=family)
    if isinstance(meta.get("k"), int):
        ax.axvline(meta["k"], color=ORANGE, linestyle="--", label=f"chosen k = {meta['k']}")
    better = "lower" if criterion == "bic" else "higher"
    ax.set(xlabel="k (segments)", ylabel=f"{criterion} ({better} is better)")
    ax.set_title("Choice of k")
    ax.legend(loc="best", fontsize="small")
    return save(fig, out, "k_curve.png", caption)


def segment_sizes(meta: Mapping[str, Any], out: Path) -> Plot:
    """Each segment's share of the training rows, labelled."""
    caption = "Segment sizes (share of training rows)"
    profiles = [p for p in meta.get("profiles") or [] if isinstance(p, Mapping)]
    if not profiles:
        return missing(out, "segment_sizes.png", caption, "segment profiles")
    names = [
        f"{p['segment']}: {p['label']}" if p.get("label") else str(p["segment"]) for p in profiles
    ]
    fig, (ax,) = figure(width=5.2, height=0.35 * len(profiles) + 1.4)
    ax.barh(names[::-1], [float(p["share"]) for p in profiles][::-1], color=BLUE)
    for y, p in enumerate(profiles[::-1]):
        ax.text(float(p["share"]), y, f" {int(p['size']):,}", va="center", fontsize="small")
    ax.set(xlabel="share of rows")
    ax.set_title("Segment sizes")
    return save(fig, out, "segment_sizes.png", caption)


def anomaly_scores(meta: Mapping[str, Any], out: Path) -> Plot:
    """The histogram of the chosen detector's raw scores on the training rows (read from
    the version's calibration table), the flag threshold marked."""
    import numpy as np

    caption = "Anomaly scores of the training rows (log scale), flag threshold marked"
    ecdf = _calibration(meta)
    if ecdf is None:
        return missing(out, "scores.png", caption, "a loadable calibration table")
    values, cdf = np.asarray(ecdf.values, float), np.asarray(ecdf.at_or_below, float)
    edges = np.linspace(values[0], values[-1], 41)
    shares = np.diff(np.interp(edges, values, cdf, left=0.0, right=1.0))
    fig, (ax,) = figure(width=5.6)
    ax.stairs(np.maximum(shares, 1e-6), edges, fill=True, color=BLUE)
    ax.set_yscale("log")
    threshold = meta.get("threshold")
    if isinstance(threshold, int | float):
        raw = float(np.interp(threshold, cdf, values))
        ax.axvline(raw, color=ORANGE, label=f"flagged above (top {1 - threshold:.1%})")
        ax.legend(loc="upper right", fontsize="small")
    ax.set(xlabel=f"raw score of {meta.get('detector', 'the detector')}", ylabel="share of rows")
    ax.set_title("Anomaly scores (training rows)")
    return save(fig, out, "scores.png", caption)


def _calibration(meta: Mapping[str, Any]) -> Any:
    """The version's calibration table (model file loaded, checksum verified), or None."""
    from dbt_automl.errors import DbtAutomlError
    from dbt_automl.registry import load_version, locate_version

    try:
        where = locate_version(meta["artifact"]["path"], meta["model_name"], meta["version"])
        model, _ = load_version(where)
    except (DbtAutomlError, KeyError, OSError):
        return None
    return getattr(model, "calibration", None)


def precision_at_n(meta: Mapping[str, Any], out: Path) -> Plot:
    """Precision@N of the chosen model against popularity on the test holdout, and of
    each candidate's best trial on validation."""
    caption = "Precision@N: the model against popularity"
    test = meta.get("metrics", {}).get("test", {})
    if not isinstance(test.get("precision_at_n"), int | float):
        return missing(out, "precision_at_n.png", caption, "holdout precision@N")
    n = meta.get("n", "N")
    fig, (left, right) = figure(2)
    measures = ["precision_at_n", "recall_at_n", "ndcg_at_n"]
    xs = range(len(measures))
    model = [float(test.get(m) or 0) for m in measures]
    popular = [float(test.get(f"popularity_{m}") or 0) for m in measures]
    left.bar([x - 0.2 for x in xs], model, 0.4, color=BLUE, label="model")
    left.bar([x + 0.2 for x in xs], popular, 0.4, color=GREY, label="popularity")
    left.set_xticks(list(xs), [m.replace("_at_n", f"@{n}") for m in measures])
    left.set_title("Test holdout")
    left.legend(loc="best", fontsize="small")
    best = _best_per_candidate(meta.get("leaderboard") or [])
    right.barh(
        list(best)[::-1],
        [b["precision_at_n"] for b in best.values()][::-1],
        xerr=[b.get("precision_at_n_se") or 0 for b in best.values()][::-1],
        color=BLUE,
    )
    right.set(xlabel=f"precision@{n} (validation, best trial)")
    right.set_title("Candidates")
    return save(fig, out, "precision_at_n.png", caption)


def _best_per_candidate(board: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    best: dict[str, Mapping[str, Any]] = {}
    for row in board:
        name, value = str(row.get("candidate")), row.get("precision_at_n")
        if isinstance(value, int | float) and value >= best.get(name, {}).get(
            "precision_at_n", -1
        ):
            best[name] = row
    return best


def drift(rows: Sequence[Mapping[str, Any]], out: Path) -> Plot:
    """PSI of each feature between the training rows and the rows scored, worst first."""
    from dbt_automl.drift import ERROR_PSI, WARN_PSI

    caption = "Drift per feature (PSI: training rows against the rows scored)"
    found = [(drift_feature(r), r.get("psi")) for r in rows]
    kept = sorted(((f, float(v)) for f, v in found if isinstance(v, int | float)), key=_second)
    if not kept:
        return missing(out, "drift.png", caption, "a PSI per feature")
    kept = kept[-MAX_BARS:]
    fig, (ax,) = figure(width=5.8, height=0.3 * len(kept) + 1.4)
    colours = [ORANGE if v >= ERROR_PSI else BLUE for _, v in kept]
    ax.barh([f for f, _ in kept], [v for _, v in kept], color=colours)
    ax.axvline(WARN_PSI, color=GREY, linestyle=":", label=f"{WARN_PSI}: some shift")
    ax.axvline(ERROR_PSI, color=GREY, linestyle="--", label=f"{ERROR_PSI}: shifted")
    ax.set(xlabel="population stability index")
    ax.set_title("Drift per feature")
    ax.legend(loc="lower right", fontsize="small")
    return save(fig, out, "drift.png", caption)


def drift_feature(row: Mapping[str, Any]) -> str:
    """The feature a drift row is about (the drift table's ``feature`` or ``column``)."""
    return str(row.get("feature") or row.get("column") or row.get("column_name") or "?")


def _second(pair: tuple[str, float]) -> float:
    return pair[1]


TASK_PLOTS: dict[str, tuple[Plotter, ...]] = {
    "forecasting": (backtest,),
    "clustering": (k_curve, segment_sizes),
    "anomaly": (anomaly_scores,),
    "recommendation": (precision_at_n,),
}
