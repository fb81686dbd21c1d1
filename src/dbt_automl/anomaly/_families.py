"""Detector families, each a different idea of "unusual", and the empirical distribution
table that turns any raw score into a share of training rows.

Each family follows PyOD's definition of the detector (PyOD is the reference: the unit
tests compare training scores with PyOD's), but scores a new row from what it learned in
training alone. PyOD's ECOD and COPOD score new rows by recomputing their empirical
distributions over the training matrix *plus the rows being scored*, so a row's score
would depend on the batch it arrives with, and the fitted object keeps the whole training
matrix and four more matrices of its size; its HBOS compiles with numba on first use
(~3 s in every dbt run) or loops in Python per cell. Here:

- ``hbos``: one histogram per feature (10 equal bins, PyOD's defaults); score: the sum
  over features of -log2 of the density of the row's bin (rare values anywhere add up);
- ``ecod`` / ``copod``: per-feature empirical tail probabilities, kept as compact quantile
  tables; score: the sum over features of -log of the row's tail probability (ECOD takes
  the skewed side's tail, COPOD a copula-style mean of both tails);
- ``iforest``: scikit-learn's IsolationForest with its defaults (what PyOD's IForest wraps);
  score: how few random splits isolate the row;
- ``knn``: distance to the 5th nearest training row (PyOD's KNN, ``largest``), against a
  reference sample of at most KNN_REFERENCE_ROWS rows (the only family that keeps rows).
"""

from __future__ import annotations

import numpy as np

# Above this many values, an empirical distribution keeps KEPT_POINTS evenly spaced order
# statistics plus TAIL_POINTS geometrically spaced ones from each end (the tails are where
# anomalies are).
KEPT_POINTS = 1024
TAIL_POINTS = 256
KNN_NEIGHBOURS = 5
# kNN keeps its reference rows in the model: 5,000 rows x 8 bytes x features (0.4 MB per
# 10 features). Distance to a random sample's k-th neighbour ranks outliers as well as the
# full set does (Zimek et al. 2013, "Subsampling for efficient and effective unsupervised
# outlier detection"), and scoring cost grows with the reference size: against 10,000 rows
# of 28 features, kNN took 7 of the 14 s that scoring 100,000 rows cost here.
KNN_REFERENCE_ROWS = 5_000
HBOS_BINS, HBOS_ALPHA, HBOS_TOL = 10, 0.1, 0.5


class Ecdf:
    """A sample's empirical distribution as a compact table of sorted values.

    ``less(x)`` is the share of the sample strictly below ``x``, ``at_most(x)`` the share
    at or below it: exact at stored values, linear between them, 0 below the minimum and 1
    above the maximum. Samples up to 2 x KEPT_POINTS values are stored whole.
    """

    def __init__(self, values: np.ndarray, below: np.ndarray, at_or_below: np.ndarray) -> None:
        self.values = values
        self.below = below
        self.at_or_below = at_or_below

    @classmethod
    def of(cls, sample: np.ndarray) -> Ecdf:
        """The table of a non-empty sample of finite numbers."""
        ordered = np.sort(np.asarray(sample, dtype=np.float64))
        n = len(ordered)
        if n <= 2 * KEPT_POINTS:
            kept = np.unique(ordered)
        else:
            # Geometric steps from each end: a tail share such as 1 % or 0.1 % is read to
            # within ~3 % of itself, where even steps alone would blur it.
            tail = np.geomspace(1, n / 2, TAIL_POINTS).astype(np.int64) - 1
            even = np.linspace(0, n - 1, KEPT_POINTS).round().astype(np.int64)
            ranks = np.concatenate([even, tail, n - 1 - tail])
            kept = np.unique(ordered[ranks])
        below = np.searchsorted(ordered, kept, side="left") / n
        at_or_below = np.searchsorted(ordered, kept, side="right") / n
        return cls(kept, below, at_or_below)

    def less(self, x: np.ndarray) -> np.ndarray:
        """Share of the sample strictly below each ``x``."""
        return self.shares(x)[0]

    def at_most(self, x: np.ndarray) -> np.ndarray:
        """Share of the sample at or below each ``x``."""
        return self.shares(x)[1]

    def mid(self, x: np.ndarray) -> np.ndarray:
        """Mid-rank share (ties count half): the rank a rank average should use."""
        less, at_most = self.shares(x)
        return (less + at_most) / 2

    def shares(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``less(x)`` and ``at_most(x)`` from one search."""
        x = np.asarray(x, dtype=np.float64)
        v = self.values
        j = np.searchsorted(v, x, side="left")  # v[j - 1] < x <= v[j]
        out = np.where(j == 0, 0.0, 1.0)
        if len(v) > 1:
            k = np.clip(j, 1, len(v) - 1)
            x0, x1 = v[k - 1], v[k]
            t = np.clip((x - x0) / (x1 - x0), 0.0, 1.0)
            between = self.at_or_below[k - 1] + t * (self.below[k] - self.at_or_below[k - 1])
            out = np.where((j > 0) & (j < len(v)), between, out)
        hit = np.clip(j, 0, len(v) - 1)
        exact = v[hit] == x
        return np.where(exact, self.below[hit], out), np.where(exact, self.at_or_below[hit], out)

    @property
    def nbytes(self) -> int:
        """Bytes the table holds."""
        return int(self.values.nbytes + self.below.nbytes + self.at_or_below.nbytes)


class Family:
    """A detector family: ``fit`` on a training matrix, ``score`` any rows (higher = more
    unusual). Scoring depends on the training fit alone, never on the other rows scored."""

    name = ""

    def fit(self, X: np.ndarray, seed: int) -> Family:  # pragma: no cover - interface
        """Learn from the training matrix; returns self."""
        raise NotImplementedError

    def score(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        """Raw anomaly scores of rows, higher = more unusual."""
        raise NotImplementedError


class Hbos(Family):
    """Histogram-based outlier score (PyOD's HBOS, static bins)."""

    name = "hbos"

    def fit(self, X: np.ndarray, seed: int) -> Hbos:
        """One density histogram per feature."""
        edges, logs = [], []
        for j in range(X.shape[1]):
            hist, edge = np.histogram(X[:, j], bins=HBOS_BINS, density=True)
            edges.append(edge)
            logs.append(np.log2(hist + HBOS_ALPHA))
        self.edges_ = np.column_stack(edges)
        self.log_density_ = np.column_stack(logs)
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """Minus the summed log densities of each row's bins; a value beyond the training
        range by more than half a bin takes the feature's lowest density."""
        total = np.zeros(X.shape[0])
        for j in range(X.shape[1]):
            edge, logd, x = self.edges_[:, j], self.log_density_[:, j], X[:, j]
            index = np.digitize(x, edge, right=True)
            width = edge[1] - edge[0]
            far = ((index == 0) & (edge[0] - x > width * HBOS_TOL)) | (
                (index == HBOS_BINS + 1) & (x - edge[-1] > width * HBOS_TOL)
            )
            total += np.where(far, logd.min(), logd[np.clip(index - 1, 0, HBOS_BINS - 1)])
        return -total


class Ecod(Family):
    """Empirical-CDF outlier detection (Li et al. 2022; PyOD's ECOD)."""

    name = "ecod"

    def fit(self, X: np.ndarray, seed: int) -> Ecod:
        """Each feature's empirical distribution and the sign of its skewness."""
        from scipy.stats import skew

        self.n_ = X.shape[0]
        self.columns_ = [Ecdf.of(X[:, j]) for j in range(X.shape[1])]
        with np.errstate(all="ignore"):
            self.skew_ = np.nan_to_num(np.sign(skew(X, axis=0)))
        return self

    def tails(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """-log of each value's left and right tail probabilities, and the skewed side's."""
        n = self.n_
        shares = [c.shares(X[:, j]) for j, c in enumerate(self.columns_)]
        left = np.column_stack([at_most for _, at_most in shares])
        right = 1 - np.column_stack([less for less, _ in shares])
        # The scored row counts in its own tail, as in ECOD's ECDF over training + scored
        # rows: probabilities stay >= 1 / (n + 1), and the logs finite.
        u_left = -np.log((left * n + 1) / (n + 1))
        u_right = -np.log((right * n + 1) / (n + 1))
        skewed = np.where(self.skew_ < 0, u_left, np.where(self.skew_ > 0, u_right, 0.0))
        symmetric = np.where(self.skew_ == 0, u_left + u_right, 0.0)
        return u_left, u_right, skewed + symmetric

    def score(self, X: np.ndarray) -> np.ndarray:
        """Sum over features of the largest of the left, right and skewed-side tail."""
        u_left, u_right, u_skew = self.tails(X)
        return np.maximum(u_skew, np.maximum(u_left, u_right)).sum(axis=1)


class Copod(Ecod):
    """Copula-based outlier detection (Li et al. 2020; PyOD's COPOD)."""

    name = "copod"

    def score(self, X: np.ndarray) -> np.ndarray:
        """Sum over features of the larger of the skewed-side tail and the mean tail."""
        u_left, u_right, u_skew = self.tails(X)
        return np.maximum(u_skew, (u_left + u_right) / 2).sum(axis=1)


class IsolationForestFamily(Family):
    """scikit-learn's IsolationForest with its defaults (100 trees of 256 rows)."""

    name = "iforest"

    def fit(self, X: np.ndarray, seed: int) -> IsolationForestFamily:
        """Grow the forest."""
        from sklearn.ensemble import IsolationForest

        self.forest_ = IsolationForest(random_state=seed, n_jobs=1).fit(X)
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """Minus scikit-learn's score_samples: higher = isolated in fewer splits."""
        return np.asarray(-self.forest_.score_samples(X))


class Knn(Family):
    """Distance to the k-th nearest reference row (PyOD's KNN, ``largest``, k = 5)."""

    name = "knn"

    def fit(self, X: np.ndarray, seed: int) -> Knn:
        """Index a reference sample of at most KNN_REFERENCE_ROWS training rows."""
        from sklearn.neighbors import NearestNeighbors

        rows = X
        if len(X) > KNN_REFERENCE_ROWS:
            pick = np.random.default_rng(seed).choice(len(X), KNN_REFERENCE_ROWS, replace=False)
            rows = X[np.sort(pick)]
        self.k_ = min(KNN_NEIGHBOURS, len(rows) - 1)
        self.index_ = NearestNeighbors(n_neighbors=self.k_ + 1, n_jobs=1).fit(rows)
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """Distance to the k-th nearest reference row other than the row itself."""
        dist, _ = self.index_.kneighbors(X, n_neighbors=self.k_ + 1)
        # A row equal to a reference row is that row when the training table is scored
        # again: its own zero distance is skipped, as PyOD's training scores skip it, so
        # training rows and new rows are scored alike.
        itself = dist[:, 0] == 0
        return np.where(itself, dist[:, self.k_], dist[:, self.k_ - 1])


FAMILY_CLASSES: dict[str, type[Family]] = {
    f.name: f for f in (Hbos, Ecod, Copod, IsolationForestFamily, Knn)
}


def build(name: str) -> Family:
    """A fresh, unfitted family by name."""
    return FAMILY_CLASSES[name]()
