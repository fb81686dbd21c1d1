"""Segment profiles an analyst can read: size, share, and what sets each segment apart.

A trait is an encoded feature ranked by its standardised difference from the whole:
``(segment mean - overall mean) / overall sd``, measured in the encoded space (numbers
clipped and scaled, categories one-hot) so every feature is on one footing. Means are
reported in the units an analyst knows: a number's own units, a category level's or a
missing value's share of rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from dbt_automl.preprocess import Featurizer


TOP_TRAITS = 5
DESCRIBED_TRAITS = 3


def profiles(
    matrix: np.ndarray,
    segments: np.ndarray,
    featurizer: Featurizer,
    frame: pd.DataFrame,
    labels: dict[int, str],
) -> list[dict[str, Any]]:
    """One profile per segment id (ascending): segment, label, size, share, traits and a
    one-line description.

    ``frame`` is the training rows as the featurizer reads them (``to_frame``), for means
    in the features' own units.
    """
    names = featurizer.readable_names()
    readers = [_reader(name, featurizer, frame, matrix[:, j]) for j, name in enumerate(names)]
    spread = matrix.std(axis=0)
    centre = matrix.mean(axis=0)
    out = []
    for segment in np.unique(segments):
        members = segments == segment
        diff = np.divide(
            matrix[members].mean(axis=0) - centre,
            spread,
            out=np.zeros_like(centre),
            where=spread > 0,
        )
        order = sorted(range(len(names)), key=lambda j: (-abs(diff[j]), names[j]))
        traits = [_trait(names[j], readers[j], members, diff[j]) for j in order[:TOP_TRAITS]]
        out.append(
            {
                "segment": int(segment),
                "label": labels.get(int(segment)),
                "size": int(members.sum()),
                "share": float(members.mean()),
                "traits": traits,
                "description": ", ".join(_phrase(t) for t in traits[:DESCRIBED_TRAITS]),
            }
        )
    return out


def _reader(
    name: str, featurizer: Featurizer, frame: pd.DataFrame, encoded: np.ndarray
) -> tuple[str, np.ndarray]:
    """How to report a feature's means: (unit, values per training row)."""
    encodings = {c.name: c.encoding for c in featurizer.schema.columns}
    if encodings.get(name) == "scaled":
        return "value", pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    source = name.removesuffix(" is missing")
    if source != name and source in frame.columns:
        return "share", frame[source].isna().to_numpy(dtype=float)
    if " = " in name:
        return "share", encoded  # one-hot levels are 0/1
    return "sd", encoded


def _trait(
    name: str, reader: tuple[str, np.ndarray], members: np.ndarray, diff: float
) -> dict[str, Any]:
    unit, values = reader
    return {
        "feature": name,
        "segment_mean": _mean(values[members]),
        "overall_mean": _mean(values),
        "std_diff": round(float(diff), 4),
        "unit": unit,
    }


def _mean(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return round(float(finite.mean()), 6) if finite.size else None


def _phrase(trait: dict[str, Any]) -> str:
    if trait["unit"] == "share" and trait["segment_mean"] is not None:
        return f"{trait['feature']} {trait['segment_mean']:.0%} (vs {trait['overall_mean']:.0%})"
    return f"{trait['feature']} {trait['std_diff']:+.1f} sd"
