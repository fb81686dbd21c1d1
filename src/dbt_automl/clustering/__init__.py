"""Segmentation (``task: clustering``): segments with ids that survive retrains.

:func:`train_clusterer` encodes the rows with the shared featurizer, fits k-means and
Gaussian mixtures (HDBSCAN on request) over ``[k_min, k_max]`` under the time budget,
chooses by a stated criterion (BIC among mixtures that suit the data, silhouette
otherwise, or silhouette throughout), matches the new segments to the previous version's
so their ids keep their meaning, and profiles every segment. :class:`ClusterModel` is what
a registry version holds and assigns rows with.
"""

from __future__ import annotations

from dbt_automl.clustering._config import (
    CLUSTERING_TASK,
    CRITERIA,
    FAMILIES,
    ClusterConfig,
    is_clustering,
    parse_cluster_config,
)
from dbt_automl.clustering._engine import ClusterResult, train_clusterer
from dbt_automl.clustering._model import ASSIGNMENT_COLUMNS, ClusterModel

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "CLUSTERING_TASK",
    "CRITERIA",
    "FAMILIES",
    "ClusterConfig",
    "ClusterModel",
    "ClusterResult",
    "is_clustering",
    "parse_cluster_config",
    "train_clusterer",
]
