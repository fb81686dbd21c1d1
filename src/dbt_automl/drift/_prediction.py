"""The predictions now against the test split's: the prediction distribution a version
records (``metadata["decisions"]["prediction_distribution"]``) read as a drift reference.

The distribution is ``{"kind": "probability" | "value", "edges": [...], "shares": [...]}``
(``edges`` all the bins' edges, one more than the shares, numpy-style, bins [lo, hi): the
outer two are dropped, as the outer bins are open-ended here; or the inner edges only,
one fewer than the shares) or ``{"kind": "class", "classes": [...], "shares": [...]}``.

A version also records ``fit_shares``: its predictions on the rows it trained on, in the
same bins. A model is surer of those rows than of new ones, so when some of the scored rows
are training rows (``trained_share``, the share of them), the reference is the mixture the
model would give such a population: ``trained_share`` of ``fit_shares`` and the rest of
the test split's ``shares``.
"""

from __future__ import annotations

from typing import Any

import duckdb

from dbt_automl.drift._compare import FeatureDrift, Reference, measure
from dbt_automl.drift._sql import UNSEEN
from dbt_automl.errors import RegistryError, SchemaMismatchError

PREDICTION_FEATURE = "__prediction__"
# The scores table's column each kind of distribution describes.
PREDICTION_COLUMNS = {"probability": "probability", "value": "prediction", "class": "prediction"}


def prediction_reference(
    distribution: dict[str, Any],
    model: str | None = None,
    rows: int | None = None,
    trained_share: float = 0.0,
) -> Reference:
    """The recorded test-split distribution (of ``rows`` test rows) as the training side
    of a comparison, mixed with the training rows' own (``fit_shares``) in proportion to
    ``trained_share`` when the version recorded it. Edges cut bins [lo, hi), as numpy does.

    Raises:
        RegistryError: the distribution is not one of the shapes above.
    """
    kind = distribution.get("kind")
    shares = _mixed_shares(distribution, trained_share, model)
    if kind == "class":
        classes = [_class_text(c) for c in distribution.get("classes", [])]
        _require(len(classes) == len(shares), distribution, model)
        return Reference(
            PREDICTION_FEATURE,
            "prediction",
            PREDICTION_COLUMNS[kind],
            [*shares, 0.0],
            None,
            rows,
            categories=classes,
            rest=UNSEEN,
        )
    _require(kind in PREDICTION_COLUMNS, distribution, model)
    edges = [float(e) for e in distribution.get("edges", [])]
    if len(edges) == len(shares) + 1:
        edges = edges[1:-1]
    _require(len(edges) == len(shares) - 1 and bool(shares), distribution, model)
    return Reference(
        PREDICTION_FEATURE,
        "prediction",
        PREDICTION_COLUMNS[str(kind)],
        shares,
        None,
        rows,
        edges=edges,
        closed="left",
    )


def compare_predictions(
    distribution: dict[str, Any],
    scores: duckdb.DuckDBPyRelation,
    model: str | None = None,
    rows: int | None = None,
    trained_share: float = 0.0,
) -> FeatureDrift:
    """PSI of the scored predictions against the recorded distribution (``probability``
    for a probability histogram, ``prediction`` otherwise): the test split's, mixed with
    the training rows' for the ``trained_share`` of the scores that are training rows
    (see :func:`prediction_reference`).

    Raises:
        SchemaMismatchError: the scores lack the column the distribution describes.
    """
    reference = prediction_reference(distribution, model, rows, trained_share)
    if reference.column not in scores.columns:
        raise SchemaMismatchError(
            "the scores passed have no such column to compare with the test split's "
            f"{distribution['kind']} distribution",
            "pass the model's prediction table as `scores`",
            model=model,
            column=reference.column,
        )
    [drift] = measure(scores, [reference])
    return drift


def _mixed_shares(
    distribution: dict[str, Any], trained_share: float, model: str | None
) -> list[float]:
    shares = [float(s) for s in distribution.get("shares", [])]
    fit = distribution.get("fit_shares")
    if fit is None or trained_share <= 0:
        return shares
    _require(len(fit) == len(shares), distribution, model)
    w = min(float(trained_share), 1.0)
    return [(1 - w) * s + w * float(f) for s, f in zip(shares, fit, strict=True)]


def _class_text(value: Any) -> str:
    # As DuckDB casts a prediction to text: booleans are 'true' / 'false'.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _require(ok: bool, distribution: dict[str, Any], model: str | None) -> None:
    if not ok:
        shape = {k: (len(v) if isinstance(v, list) else v) for k, v in distribution.items()}
        raise RegistryError(
            f"the recorded prediction distribution cannot be read: {shape}",
            "retrain the model with this release (`--vars '{automl_retrain: true}'`)",
            model=model,
        )
