"""Rows now against the training profile: PSI, unseen categories and null rates per feature.

The rows are binned with the training bins (decile edges, recorded categories) in one
DuckDB aggregate over the relation; only the bin counts reach Python.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from dbt_automl.drift._sql import (
    OTHER,
    RELATION,
    UNSEEN,
    bin_counts,
    category_bin,
    category_value,
    fetch,
    left_closed_bin,
    numeric_histogram,
    numeric_value,
)
from dbt_automl.errors import RegistryError

EPSILON = 1e-4  # share given to an empty bin in PSI, so a new category counts, not divides by 0
WARN_PSI = 0.1  # the usual reading of PSI: < 0.1 stable, 0.1-0.25 some shift, >= 0.25 shifted
ERROR_PSI = 0.25


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index of two share vectors over the same bins.

    ``sum((a - e) * ln(a / e))`` with each share floored at ``EPSILON`` (an empty bin on
    either side would make it infinite). 0 when the shares are equal.

    Example::

        >>> round(psi([0.5, 0.5], [0.6, 0.4]), 4)
        0.0405
    """
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, EPSILON), max(a, EPSILON)
        total += (a - e) * math.log(a / e)
    return total


def drift_level(psi_value: float, warn_psi: float = WARN_PSI, error_psi: float = ERROR_PSI) -> str:
    """'ok', 'warn' (PSI >= ``warn_psi``) or 'error' (PSI >= ``error_psi``)."""
    if psi_value >= error_psi:
        return "error"
    return "warn" if psi_value >= warn_psi else "ok"


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's drift: PSI over the training bins, unseen categories, null rates.

    ``bins`` names the bins (``"(10, 25]"``, a category, ``"__unseen__"``,
    ``"__other__"``) and ``train_shares`` / ``now_shares`` hold the share of non-null values
    in each: what a chart of the drift plots. ``psi`` is None when either side has no
    value (a column missing now counts as all null).
    """

    feature: str
    kind: str  # numeric | categorical | prediction
    psi: float | None
    unseen_share: float | None
    null_rate_train: float | None
    null_rate_now: float | None
    rows_train: int | None
    rows_now: int
    bins: list[str] = field(default_factory=list)
    train_shares: list[float] = field(default_factory=list)
    now_shares: list[float] = field(default_factory=list)

    @property
    def null_rate_change(self) -> float | None:
        """Null rate now minus at training (positive: more missing values now)."""
        if self.null_rate_train is None or self.null_rate_now is None:
            return None
        return self.null_rate_now - self.null_rate_train

    @property
    def level(self) -> str:
        """:func:`drift_level` of the PSI; 'error' when the training rows had values of the
        feature and the rows now have none, 'ok' when neither side has any."""
        if self.psi is None:
            return "error" if self.train_shares and not self.now_shares else "ok"
        return drift_level(self.psi)

    def bin_rows(self) -> list[dict[str, Any]]:
        """One dict per bin: its name and the training and current shares (None for a side
        without values)."""
        blank: list[float | None] = [None] * len(self.bins)
        train = self.train_shares or blank
        now = self.now_shares or blank
        return [
            {"bin": b, "train": t, "now": n} for b, t, n in zip(self.bins, train, now, strict=True)
        ]

    def as_row(self) -> dict[str, Any]:
        """The drift table's feature columns, bins as plot-ready lists."""
        return {
            "feature": self.feature,
            "kind": self.kind,
            "psi": self.psi,
            "unseen_share": self.unseen_share,
            "null_rate_train": self.null_rate_train,
            "null_rate_now": self.null_rate_now,
            "null_rate_change": self.null_rate_change,
            "rows_train": self.rows_train,
            "rows_now": self.rows_now,
            "level": self.level,
            "bins": self.bin_rows(),
        }


@dataclass(frozen=True)
class Reference:
    """The training side of one comparison: how to bin a column and the shares expected."""

    feature: str
    kind: str
    column: str
    shares: list[float]
    null_rate: float | None
    rows: int | None
    edges: list[float] | None = None  # numeric bins
    categories: list[str] | None = None  # categorical bins, without the rest bin
    rest: str = UNSEEN  # the bin of values outside `categories`
    # Numeric bins are (lo, hi] (the profile's: a repeated decile keeps its mass in one
    # bin) or [lo, hi) (numpy's histogram, which the test-split predictions were cut with).
    closed: str = "right"

    @property
    def is_numeric(self) -> bool:
        return self.edges is not None

    def labels(self) -> list[str]:
        """The bins' names, in the order of ``shares``."""
        if self.edges is not None:
            return interval_labels(self.edges, self.closed)
        return [*(self.categories or []), self.rest]

    def histogram_sql(self) -> str:
        if self.edges is not None and self.closed == "left":
            return f"histogram({left_closed_bin(numeric_value(self.column), self.edges)})"
        if self.edges is not None:
            return numeric_histogram(numeric_value(self.column), self.edges)
        binned = category_bin(category_value(self.column), self.categories or [], self.rest)
        return f"histogram({binned})"

    def counts(self, histogram: dict[Any, int] | None) -> list[int]:
        if self.edges is not None and self.closed == "left":
            return [int((histogram or {}).get(i, 0)) for i in range(len(self.edges) + 1)]
        if self.edges is not None:
            return bin_counts(histogram, self.edges)
        found = histogram or {}
        return [int(found.get(label, 0)) for label in self.labels()]


def interval_labels(edges: Sequence[float], closed: str = "right") -> list[str]:
    """Names of the ``len(edges) + 1`` bins: ``(-inf, 1]``, ``(1, 5]``, ``(5, inf)`` (or
    ``(-inf, 1)``, ``[1, 5)``, ``[5, inf)`` for bins closed on the left)."""
    bounds = [f"{e:.6g}" for e in edges]
    opening, closing = ("(", "]") if closed == "right" else ("[", ")")
    lows = ["(-inf", *(opening + b for b in bounds)]
    highs = [*(b + closing for b in bounds), "inf)"]
    return [f"{lo}, {hi}" for lo, hi in zip(lows, highs, strict=True)]


def reference_of(column: dict[str, Any], rows: int) -> Reference:
    """A profile column as the training side of a comparison."""
    if column["kind"] == "numeric":
        edges = [float(e) for e in column["edges"]]
        return Reference(
            column["name"],
            "numeric",
            column["name"],
            column["shares"],
            column["null_rate"],
            rows,
            edges=edges,
        )
    categories = list(column["categories"])
    shares = list(column["shares"])
    if column["complete"]:
        # A value never seen in training gets its own bin, expected share 0 (EPSILON in PSI).
        return Reference(
            column["name"],
            "categorical",
            column["name"],
            [*shares, 0.0] if shares else [],
            column["null_rate"],
            rows,
            categories=categories,
            rest=UNSEEN,
        )
    return Reference(
        column["name"],
        "categorical",
        column["name"],
        shares,
        column["null_rate"],
        rows,
        categories=categories[:-1],
        rest=OTHER,
    )


def compare(profile: dict[str, Any], rows: duckdb.DuckDBPyRelation) -> list[FeatureDrift]:
    """Each profiled feature of ``rows`` against the training ``profile``, in profile order.

    Numerics are binned with the training decile edges, categories by the recorded values
    (a value absent from a complete list goes to ``"__unseen__"``; past a capped list, to
    ``"__other__"``, and the unseen share is then unknown: None). A profiled column
    missing from ``rows`` counts as all null. One aggregate query over ``rows``.

    Example::

        for feature in compare(metadata["profile"], con.table("customer_features")):
            print(feature.feature, feature.psi, feature.level)
    """
    if profile.get("format") != 1:
        raise RegistryError(
            f"training profile format {profile.get('format')!r} is not one this release reads",
            "retrain the model with this release (`--vars '{automl_retrain: true}'`)",
        )
    references = [reference_of(c, profile["rows"]) for c in profile["columns"]]
    return measure(rows, references)


def measure(rows: duckdb.DuckDBPyRelation, references: list[Reference]) -> list[FeatureDrift]:
    """Bin ``rows`` as each reference says (one query) and compare the shares."""
    present = [r for r in references if r.column in rows.columns]
    parts = ["count(*)"]
    for ref in present:
        parts += [f"count({_value_of(ref)})", ref.histogram_sql()]
    [found] = fetch(rows, f"select {', '.join(parts)} from {RELATION}")
    n_rows = int(found[0])
    measured = {
        ref.feature: (int(found[1 + 2 * i]), found[2 + 2 * i]) for i, ref in enumerate(present)
    }
    return [_drift(ref, n_rows, *measured.get(ref.feature, (0, None))) for ref in references]


def _value_of(ref: Reference) -> str:
    return numeric_value(ref.column) if ref.is_numeric else category_value(ref.column)


def _drift(
    ref: Reference, n_rows: int, count: int, histogram: dict[Any, int] | None
) -> FeatureDrift:
    now = [n / count for n in ref.counts(histogram)] if count else []
    both = bool(now) and bool(ref.shares)
    unseen = None
    if ref.rest == UNSEEN and ref.categories is not None and now:
        unseen = now[-1]
    return FeatureDrift(
        feature=ref.feature,
        kind=ref.kind,
        psi=psi(ref.shares, now) if both else None,
        unseen_share=unseen,
        null_rate_train=ref.null_rate,
        null_rate_now=1.0 - count / n_rows if n_rows else None,
        rows_train=ref.rows,
        rows_now=n_rows,
        bins=ref.labels(),
        train_shares=list(ref.shares),
        now_shares=now,
    )
