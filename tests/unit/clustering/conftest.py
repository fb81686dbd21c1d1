"""Small real tables with known segments: Gaussian blobs of different sizes, an id column,
and (optionally) a categorical column that follows the blobs."""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
import pytest

from dbt_automl.clustering import ClusterConfig, parse_cluster_config

SIZES = (400, 300, 200, 100)
CENTERS = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 3.0], [0.0, 6.0, -3.0], [6.0, 6.0, 6.0]])
REGIONS = np.array(["north", "south", "east", "west"])


def blobs(
    sizes: tuple[int, ...] = SIZES, seed: int = 0, region: bool = True, start_id: int = 0
) -> tuple[pa.Table, np.ndarray]:
    """Customers from ``len(sizes)`` well-separated blobs; returns the table and each row's
    blob. ``income`` is in currency units (x 1000), so scaling matters."""
    rng = np.random.default_rng(seed)
    blob = np.repeat(np.arange(len(sizes)), sizes)
    points = CENTERS[blob] + rng.normal(size=(len(blob), 3))
    columns = {
        "customer_id": np.arange(start_id, start_id + len(blob)),
        "income": 50_000 + 1_000 * points[:, 0],
        "tenure_years": points[:, 1],
        "spend_score": points[:, 2],
    }
    if region:
        # Mostly the blob's own region, 10% anything: informative but not the whole story.
        noise = rng.random(len(blob)) < 0.1
        columns["region"] = np.where(noise, rng.choice(REGIONS, len(blob)), REGIONS[blob])
    return pa.table(columns), blob


def config(**settings: object) -> ClusterConfig:
    """A segmentation config over :func:`blobs`' columns."""
    raw = {"task": "clustering", "id_columns": ["customer_id"], "time_budget_s": 30, **settings}
    return parse_cluster_config(raw, "customer_segments")


@pytest.fixture
def log() -> logging.Logger:
    return logging.getLogger("clustering-tests")
