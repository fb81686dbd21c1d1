"""The clustering families: k-means, a Gaussian mixture, HDBSCAN.

Each is a small class that fits one candidate on the encoded matrix and returns the same
:class:`Fitted` shape: labels on the training rows, one centroid per segment in the encoded
space, and what the deployed model needs to assign new rows (only the mixture keeps its
estimator: k-means and HDBSCAN assign to the nearest centroid).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

# Gaussian mixtures on the standardised matrix: a floor on each variance (sd 0.01) keeps a
# component from collapsing onto a handful of identical rows.
REG_COVAR = 1e-4
# A column with this few distinct values is discrete (a one-hot level, a flag, a 1-10
# score). One is enough to unbound a mixture's likelihood: a component shrinks onto a
# repeated value (measured: on blobs with a 4-level region, BIC kept splitting by region).
DISCRETE_MAX_LEVELS = 10


@dataclass
class Fitted:
    """One fitted candidate: segments as internal labels ``0..k-1``."""

    family: str
    k: int
    labels: np.ndarray
    centroids: np.ndarray
    mixture: Any | None = None
    bic: float | None = None


def centroids_of(matrix: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Mean row of each label ``0..k-1`` (a label without rows gets NaNs)."""
    sums = np.zeros((k, matrix.shape[1]))
    np.add.at(sums, labels, matrix)
    counts = np.bincount(labels, minlength=k).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[:, None]


def nearest(matrix: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centroid of every row and the distances to all of them."""
    squared = (
        np.einsum("ij,ij->i", matrix, matrix)[:, None]
        - 2.0 * matrix @ centroids.T
        + np.einsum("ij,ij->i", centroids, centroids)[None, :]
    )
    distances = np.sqrt(np.maximum(squared, 0.0))
    return distances.argmin(axis=1), distances


class KMeansFamily:
    """k-means (k-means++ starts, best of 4; one start from given centroids when warm)."""

    name = "kmeans"

    def fit(self, matrix: np.ndarray, k: int, seed: int, init: np.ndarray | None = None) -> Fitted:
        """Fit k segments on ``matrix``."""
        from sklearn.cluster import KMeans

        start: Any = "k-means++" if init is None else init
        model = KMeans(k, init=start, n_init=4 if init is None else 1, random_state=seed)
        model.fit(matrix)
        labels = model.labels_.astype(np.int64)
        return Fitted(self.name, k, labels, np.asarray(model.cluster_centers_, dtype=float))


class MixtureFamily:
    """A Gaussian mixture with full covariances (best of 2 starts; one when warm)."""

    name = "gmm"

    def fit(self, matrix: np.ndarray, k: int, seed: int, init: np.ndarray | None = None) -> Fitted:
        """Fit k components on ``matrix``; its BIC is recorded."""
        from sklearn.mixture import GaussianMixture

        model = GaussianMixture(
            k,
            covariance_type="full",
            reg_covar=REG_COVAR,
            n_init=2 if init is None else 1,
            means_init=init,
            random_state=seed,
        )
        model.fit(matrix)
        labels = model.predict(matrix).astype(np.int64)
        return Fitted(
            self.name, k, labels, np.asarray(model.means_), model, float(model.bic(matrix))
        )

    @staticmethod
    def parameters(k: int, n_columns: int) -> int:
        """Free parameters of a k-component full-covariance mixture."""
        per_component = n_columns + n_columns * (n_columns + 1) // 2
        return k * per_component + k - 1

    @staticmethod
    def unsuited(matrix: np.ndarray) -> str | None:
        """Why a Gaussian mixture does not suit these columns at all, or None."""
        levels = [np.unique(matrix[:, j]).size for j in range(matrix.shape[1])]
        discrete = sum(n <= DISCRETE_MAX_LEVELS for n in levels)
        if discrete:
            return (
                f"{discrete} of {len(levels)} encoded columns take <= {DISCRETE_MAX_LEVELS} "
                "distinct values (one-hot levels, flags, scores): a Gaussian mixture's "
                "likelihood grows without bound on repeated values, so BIC would mean nothing"
            )
        return None


class DensityFamily:
    """HDBSCAN on a sample: it finds its own number of segments (k is not asked for);
    every row, noise included, then joins the nearest segment's centroid."""

    name = "hdbscan"

    def __init__(self, min_share: float) -> None:
        self.min_share = min_share

    def fit(self, matrix: np.ndarray, sample: np.ndarray) -> Fitted | None:
        """Fit on ``matrix[sample]``; None when it finds fewer than two segments."""
        from sklearn.cluster import HDBSCAN

        rows = matrix[sample]
        size = max(5, math.ceil(self.min_share * len(rows)))
        found = HDBSCAN(min_cluster_size=size, copy=True).fit_predict(rows)
        clusters = np.unique(found[found >= 0])
        if clusters.size < 2:
            return None
        centroids = np.vstack([rows[found == c].mean(axis=0) for c in clusters])
        labels, _ = nearest(matrix, centroids)
        return Fitted(self.name, int(clusters.size), labels.astype(np.int64), centroids)
