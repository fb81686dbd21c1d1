"""Refuse rows to score that lack a training column or whose column changed kind."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from dbt_automl.errors import SchemaMismatchError
from dbt_automl.preprocess import FeatureSchema, kind_of

# Booleans and numbers both become floats in the pipeline, so either may replace the other.
_COMPATIBLE = {"boolean": "number", "numeric": "number"}


def check_rows(metadata: dict[str, Any], schema: pa.Schema, scores_name: str) -> None:
    """Refuse rows that lack a feature or id column, or whose column changed kind.

    Raises:
        SchemaMismatchError: naming the scores model, the column and the fix.
    """
    trained = metadata["model_name"]
    model = f"{trained} v{metadata['version']}"
    features = FeatureSchema.from_dict(metadata["features"])
    present = {f.name: f.type for f in schema}
    for name in [c["name"] for c in metadata["id_columns"]] + features.names():
        if name not in present:
            raise SchemaMismatchError(
                f"was used to train model {model} but is missing from the rows to score "
                f"(they have {sorted(present)})",
                f"add {name!r} back to the scored model, or retrain {trained} on the new "
                "columns (`dbt build --select <model>+`)",
                model=scores_name,
                column=name,
            )
    for col in features.columns:
        seen = kind_of(present[col.name])
        if _COMPATIBLE.get(seen or "", seen) != _COMPATIBLE.get(col.kind, col.kind):
            raise SchemaMismatchError(
                f"was {col.arrow_type} ({col.kind}) when model {model} was trained but is now "
                f"{present[col.name]}",
                f"cast {col.name!r} back to its training type in the scored model, or retrain "
                f"{trained} (`dbt build --select <model>+`)",
                model=scores_name,
                column=col.name,
            )
