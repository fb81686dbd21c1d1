"""PNG plots of a supervised version (classification, regression) from its metadata.

Figures are built with matplotlib's object API on the Agg canvas, never ``pyplot``:
pyplot keeps global state, and dbt trains two python models at once on two threads. Every
plot reads what the version recorded (``decisions``); nothing is refitted or rescored.

A plotter returns a :class:`Plot`: the PNG written, or a note saying why it could not be
(an older version without the curve), which the card prints in its place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DPI = 100
BLUE, ORANGE, GREY = "#1f77b4", "#ff7f0e", "#888888"
MAX_BARS = 15


@dataclass(frozen=True)
class Plot:
    """One plot of the card: its file (None when not drawn), caption and note."""

    file: str | None
    caption: str
    note: str | None = None


Plotter = Callable[[Mapping[str, Any], Path], Plot]


def figure(ncols: int = 1, width: float = 4.6, height: float = 3.6) -> tuple[Any, Any]:
    """A figure with ``ncols`` axes side by side on the Agg canvas (no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def save(fig: Any, out: Path, name: str, caption: str) -> Plot:
    """Write ``fig`` as ``out/name`` (PNG) and return its :class:`Plot`."""
    fig.savefig(out / name, format="png", dpi=DPI)
    return Plot(name, caption)


def missing(out: Path, name: str, caption: str, what: str) -> Plot:
    """A plot that cannot be drawn because the version did not record ``what``.

    The card prints the note instead of the image; the PNG is still written, saying the
    same, because the dbt docs page links the task's plots by file name.
    """
    note = f"{caption}: not drawn, this version did not record {what}"
    fig, (ax,) = figure(height=1.6, width=5.6)
    ax.axis("off")
    ax.text(
        0.5,
        0.5,
        f"{caption}\nnot recorded by this version ({what})",
        ha="center",
        va="center",
        wrap=True,
        color=GREY,
    )
    fig.savefig(out / name, format="png", dpi=DPI)
    return Plot(None, caption, note)


def points(records: Any, *names: str) -> list[list[float]] | None:
    """Columns ``names`` of a list of records (``[{"fpr": .., "tpr": ..}, ...]``), None
    when absent or empty."""
    if not isinstance(records, Sequence) or not records:
        return None
    try:
        return [[float(r[n]) for r in records] for n in names]
    except (KeyError, TypeError, ValueError):
        return None


def roc_pr(meta: Mapping[str, Any], out: Path) -> Plot:
    """ROC curve and precision-recall curve of the test split, side by side."""
    caption = "ROC and precision-recall curves (test split)"
    decisions = meta.get("decisions", {})
    roc = points(decisions.get("roc_curve") or decisions.get("roc"), "fpr", "tpr")
    pr = points(decisions.get("pr_curve") or decisions.get("pr"), "recall", "precision")
    if roc is None or pr is None:
        return missing(out, "roc_pr.png", caption, "ROC and PR curve points")
    metrics = meta.get("metrics", {}).get("test", {})
    fig, (left, right) = figure(2)
    left.plot(roc[0], roc[1], color=BLUE)
    left.plot([0, 1], [0, 1], color=GREY, linestyle="--", linewidth=1)
    left.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1))
    left.set_title(f"ROC (AUC {_fmt(metrics.get('roc_auc'))})")
    right.plot(pr[0], pr[1], color=ORANGE)
    right.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
    right.set_title(f"Precision-recall (AP {_fmt(metrics.get('pr_auc'))})")
    return save(fig, out, "roc_pr.png", caption)


def calibration(meta: Mapping[str, Any], out: Path) -> Plot:
    """Observed positive rate against mean predicted probability, per bin."""
    caption = "Calibration (test split)"
    curve = points(meta.get("decisions", {}).get("calibration_curve"), "mean_predicted")
    rates = points(meta.get("decisions", {}).get("calibration_curve"), "observed_rate")
    if curve is None or rates is None:
        return missing(out, "calibration.png", caption, "a calibration curve")
    fig, (ax,) = figure()
    ax.plot([0, 1], [0, 1], color=GREY, linestyle="--", linewidth=1, label="perfect")
    ax.plot(curve[0], rates[0], marker="o", color=BLUE, label="model")
    ax.set(xlabel="mean predicted probability", ylabel="observed rate", xlim=(0, 1), ylim=(0, 1))
    ax.set_title("Calibration")
    ax.legend(loc="upper left")
    return save(fig, out, "calibration.png", caption)


def confusion(meta: Mapping[str, Any], out: Path) -> Plot:
    """The confusion matrix at the chosen threshold, counts in the cells."""
    caption = "Confusion matrix (test split)"
    recorded = meta.get("decisions", {}).get("confusion_matrix") or {}
    cells = recorded.get("cells") if isinstance(recorded, Mapping) else None
    if not cells:
        return missing(out, "confusion.png", caption, "a confusion matrix")
    labels = list(dict.fromkeys([str(c["actual"]) for c in cells]))
    labels += [p for p in dict.fromkeys(str(c["predicted"]) for c in cells) if p not in labels]
    index = {label: i for i, label in enumerate(labels)}
    grid = [[0] * len(labels) for _ in labels]
    for cell in cells:
        grid[index[str(cell["actual"])]][index[str(cell["predicted"])]] = int(cell["count"])
    fig, (ax,) = figure(width=max(3.8, 0.6 * len(labels) + 2.5))
    ax.imshow(grid, cmap="Blues")
    peak = max(max(row) for row in grid) or 1
    for a, row in enumerate(grid):
        for p, count in enumerate(row):
            colour = "white" if count > peak / 2 else "black"
            ax.text(p, a, f"{count:,}", ha="center", va="center", color=colour)
    ax.set_xticks(range(len(labels)), labels, rotation=45 if len(labels) > 4 else 0)
    ax.set_yticks(range(len(labels)), labels)
    ax.set(xlabel="predicted", ylabel="actual")
    threshold = recorded.get("threshold")
    ax.set_title("Confusion matrix" + ("" if threshold is None else f" at {threshold:.3f}"))
    return save(fig, out, "confusion.png", caption)


def residuals(meta: Mapping[str, Any], out: Path) -> Plot:
    """Mean residual and mean absolute residual by decile of the prediction."""
    caption = "Residuals by decile of the prediction (test split)"
    cols = points(
        meta.get("decisions", {}).get("residuals_by_decile"),
        "decile",
        "mean_residual",
        "mean_abs_residual",
    )
    if cols is None:
        return missing(out, "residuals.png", caption, "residuals by decile")
    deciles, mean, absolute = cols
    fig, (ax,) = figure(width=5.5)
    ax.bar(deciles, mean, color=BLUE, label="mean residual (actual - predicted)")
    ax.plot(deciles, absolute, color=ORANGE, marker="o", label="mean absolute residual")
    ax.axhline(0, color=GREY, linewidth=1)
    ax.set(xlabel="decile of the prediction (1 = lowest)", ylabel=str(meta.get("target", "")))
    ax.set_xticks(deciles)
    ax.set_title("Residuals by decile")
    ax.legend(loc="best", fontsize="small")
    return save(fig, out, "residuals.png", caption)


def importances(meta: Mapping[str, Any], out: Path) -> Plot:
    """Permutation importance of each input column, largest first, with its spread."""
    caption = "Permutation importance of each column (validation)"
    found = meta.get("decisions", {}).get("feature_importance") or []
    rows = [r for r in found if isinstance(r, Mapping) and "column" in r]
    if not rows:
        return missing(out, "importances.png", caption, "feature importances")
    rows = sorted(rows, key=lambda r: float(r.get("importance") or 0), reverse=True)[:MAX_BARS]
    rows.reverse()  # barh draws bottom-up: the largest on top
    fig, (ax,) = figure(width=5.8, height=0.3 * len(rows) + 1.4)
    ax.barh(
        [str(r["column"]) for r in rows],
        [float(r.get("importance") or 0) for r in rows],
        xerr=[float(r.get("std") or 0) for r in rows],
        color=BLUE,
    )
    ax.axvline(0, color=GREY, linewidth=1)
    ax.set(xlabel=f"{meta.get('metric', 'metric')} lost when the column is shuffled")
    ax.set_title("Permutation importance")
    return save(fig, out, "importances.png", caption)


def prediction_distribution(meta: Mapping[str, Any], out: Path) -> Plot:
    """The share of test rows per bin of the prediction (or per predicted class)."""
    caption = "Distribution of the test predictions"
    found = meta.get("decisions", {}).get("prediction_distribution")
    if not isinstance(found, Mapping) or not found.get("shares"):
        return missing(out, "predictions.png", caption, "a prediction distribution")
    shares = [float(s) for s in found["shares"]]
    fig, (ax,) = figure(width=5.0)
    if found.get("kind") == "class":
        ax.bar([str(c) for c in found.get("classes", [])], shares, color=BLUE)
        ax.set(ylabel="share of test rows")
    else:
        # Bins are deciles of unequal width: height = share / width keeps areas honest.
        edges = [float(e) for e in found["edges"]]
        widths = [max(b - a, 1e-12) for a, b in zip(edges, edges[1:], strict=False)]
        ax.stairs([s / w for s, w in zip(shares, widths, strict=True)], edges, fill=True)
        ax.set(xlabel=str(found.get("kind", "prediction")), ylabel="share of test rows per unit")
    ax.set_title("Test predictions")
    return save(fig, out, "predictions.png", caption)


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "n/a"


SUPERVISED_PLOTS: dict[str, tuple[Plotter, ...]] = {
    "binary": (roc_pr, calibration, confusion, importances, prediction_distribution),
    "multiclass": (confusion, importances, prediction_distribution),
    "regression": (residuals, importances, prediction_distribution),
}
