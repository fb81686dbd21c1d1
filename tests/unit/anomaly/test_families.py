"""The detector families: PyOD's definitions, scored from training alone, compactly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from dbt_automl.anomaly._families import KEPT_POINTS, TAIL_POINTS, Ecdf, build


@pytest.fixture(scope="module")
def matrix() -> np.ndarray:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 4))
    X[:, 1] = rng.exponential(size=400)  # skewed: ECOD reads its right tail
    for i in range(8):  # eight corners, not a cluster kNN would see as neighbours
        X[i] += 7 * np.array([1 if i >> bit & 1 else -1 for bit in range(3)] + [1])
    return X


def pyod(name: str):
    from pyod.models.copod import COPOD
    from pyod.models.ecod import ECOD
    from pyod.models.hbos import HBOS
    from pyod.models.iforest import IForest
    from pyod.models.knn import KNN

    return {
        "ecod": ECOD(),
        "copod": COPOD(),
        "hbos": HBOS(),
        "knn": KNN(),
        "iforest": IForest(random_state=0),
    }[name]


@pytest.mark.parametrize("name", ["hbos", "ecod", "copod", "iforest", "knn"])
def test_family_ranks_training_rows_as_pyod_does(name: str, matrix: np.ndarray) -> None:
    ours = build(name).fit(matrix, 0).score(matrix)
    reference = pyod(name).fit(matrix).decision_scores_
    assert spearmanr(ours, reference).statistic > 0.99
    assert set(np.argsort(-ours)[:8]) == set(range(8))  # the planted rows come first


@pytest.mark.parametrize("name", ["hbos", "ecod", "copod", "iforest", "knn"])
def test_a_rows_score_does_not_depend_on_the_rows_scored_with_it(
    name: str, matrix: np.ndarray
) -> None:
    family = build(name).fit(matrix, 0)
    fresh = np.random.default_rng(9).normal(size=(50, 4))
    together = family.score(np.vstack([fresh, matrix[:8]]))
    assert np.allclose(together[:50], family.score(fresh))
    assert np.allclose(together[50:], family.score(matrix[:8]))


def test_knn_scores_a_training_row_again_as_in_training(matrix: np.ndarray) -> None:
    knn = build("knn").fit(matrix, 0)
    row = matrix[20:21]
    # Its own zero distance is skipped: the 5th neighbour is another row.
    assert knn.score(row)[0] > 0
    assert knn.score(row)[0] == pytest.approx(knn.score(matrix)[20])


def test_ecdf_is_exact_on_small_samples_with_ties() -> None:
    table = Ecdf.of(np.array([1.0, 2.0, 2.0, 2.0, 5.0]))
    x = np.array([0.0, 1.0, 2.0, 3.5, 5.0, 9.0])
    assert table.less(x).tolist() == pytest.approx([0, 0, 0.2, 0.8, 0.8, 1])
    assert table.at_most(x).tolist() == pytest.approx([0, 0.2, 0.8, 0.8, 1, 1])
    assert table.mid(np.array([2.0]))[0] == pytest.approx(0.5)


def test_ecdf_of_a_large_sample_is_compact_and_exact_in_the_tails() -> None:
    sample = np.random.default_rng(0).normal(size=100_000)
    table = Ecdf.of(sample)
    assert len(table.values) <= KEPT_POINTS + 2 * TAIL_POINTS
    ordered = np.sort(sample)
    top = ordered[-10:]  # the most extreme values are stored exactly
    assert np.allclose(table.less(top), np.arange(len(ordered) - 10, len(ordered)) / 1e5)
    probe = np.random.default_rng(1).normal(size=5_000)
    exact = np.searchsorted(ordered, probe) / len(ordered)
    assert np.abs(table.less(probe) - exact).max() < 2e-3
    # In the upper tail the share above is read to within a few percent of itself.
    tail = probe[exact > 0.99]
    above, true_above = 1 - table.less(tail), 1 - exact[exact > 0.99]
    assert np.abs(above / true_above - 1).max() < 0.05


def test_ecdf_of_one_value() -> None:
    table = Ecdf.of(np.array([3.0, 3.0]))
    assert table.less(np.array([2.0, 3.0, 4.0])).tolist() == [0.0, 0.0, 1.0]
