"""train_detector on small real tables: planted anomalies found, scores calibrated, labels
choosing, and every refusal naming the model, the column or key, and the fix."""

from __future__ import annotations

import io
import logging

import joblib
import numpy as np
import pyarrow as pa
import pytest

from dbt_automl.anomaly import ENSEMBLE, AnomalyModel, parse_anomaly_config, train_detector
from dbt_automl.errors import SchemaMismatchError, TrainingDataError

from .conftest import N_PLANTED, config, readings, table_of, transactions

LOG = logging.getLogger("dbt_automl.tests")


@pytest.fixture(scope="module")
def unlabelled(fraud: pa.Table):
    return train_detector(fraud, config(contamination=0.02), LOG)


def test_planted_frauds_are_the_most_unusual_rows(unlabelled, fraud: pa.Table) -> None:
    found = unlabelled.model.detect(fraud)
    top = np.argsort(-found["anomaly_score"].to_numpy(), kind="stable")[:N_PLANTED]
    assert len(set(top) & set(range(N_PLANTED))) >= N_PLANTED - 1
    assert found["is_anomaly"][:N_PLANTED].mean() >= 0.9


def test_without_labels_the_detector_is_the_rank_average_of_every_family(unlabelled) -> None:
    assert unlabelled.model.detector == ENSEMBLE
    assert set(unlabelled.model.families) == {"hbos", "ecod", "copod", "iforest", "knn"}
    board = {row["family"]: row for row in unlabelled.leaderboard}
    assert set(board) == {"hbos", "ecod", "copod", "iforest", "knn", ENSEMBLE}
    assert [name for name, row in board.items() if row["chosen"]] == [ENSEMBLE]
    assert board[ENSEMBLE]["flag_overlap"] == 1.0
    assert "no single unsupervised detector" in unlabelled.decisions["detector"]["why"]


def test_scores_are_shares_of_training_rows_and_contamination_sets_the_flag_rate(
    unlabelled, fraud: pa.Table
) -> None:
    found = unlabelled.model.detect(fraud)
    scores, raw = found["anomaly_score"].to_numpy(), found["raw_score"].to_numpy()
    assert scores.min() == 0.0 and scores.max() < 1.0
    # A row's score is the share of training rows with a lower raw score.
    less = np.searchsorted(np.sort(raw), raw, side="left") / len(raw)
    assert np.allclose(scores, less)
    assert found["is_anomaly"].mean() == pytest.approx(0.02)
    assert unlabelled.metrics["flag_rate"] == pytest.approx(0.02)
    assert unlabelled.metrics["threshold"] == pytest.approx(0.98)
    assert found["is_anomaly"].equals(found["anomaly_score"] >= 0.98 - 1e-9)
    assert unlabelled.metrics["n_labelled"] == 0 and "roc_auc" not in unlabelled.metrics


def test_a_rows_score_is_the_same_alone_or_in_a_batch(unlabelled, fraud: pa.Table) -> None:
    batch = unlabelled.model.detect(fraud.slice(0, 50))
    for i in (0, 20):
        alone = unlabelled.model.detect(fraud.slice(i, 1))
        assert alone["anomaly_score"][0] == pytest.approx(batch["anomaly_score"][i])
    assert unlabelled.model.detect(fraud.slice(0, 0)).empty


def test_an_amount_far_beyond_training_stays_extreme(fraud: pa.Table) -> None:
    # The featurizer's 99.5 % clip is opened: a 100x amount must not read as an ordinary
    # top-0.5 % amount.
    model = train_detector(fraud, config(families=["knn"]), LOG).model
    largest = float(np.max(fraud.column("amount").to_numpy()))
    ordinary = fraud.slice(300, 1).to_pandas()  # one ordinary row, twice: two amounts
    rows = ordinary.loc[[0, 0]].assign(amount=[largest, 100 * largest])
    table = pa.Table.from_pandas(rows, preserve_index=False)
    column = model.featurizer.readable_names().index("amount")
    scaled = model.featurizer.transform(table)[:, column]
    assert scaled[1] > 50 * scaled[0] > 0
    found = model.detect(table)
    assert found["raw_score"][1] > 10 * found["raw_score"][0]
    assert found["anomaly_score"][1] == 1.0 and found["is_anomaly"][1]


def test_score_threshold_flags_rows_scoring_at_least_it(fraud: pa.Table) -> None:
    result = train_detector(fraud, config(score_threshold=0.95, families=["ecod", "hbos"]), LOG)
    found = result.model.detect(fraud)
    assert found["is_anomaly"].equals(found["anomaly_score"] >= 0.95 - 1e-9)
    assert result.metrics["flag_rate"] == pytest.approx(0.05)
    assert "score_threshold" in result.decisions["threshold"]["why"]


def test_default_threshold_flags_one_percent(fraud: pa.Table) -> None:
    result = train_detector(fraud, config(families=["copod"]), LOG)
    assert result.model.detector == "copod"
    assert result.metrics["threshold"] == pytest.approx(0.99)
    assert "default contamination" in result.decisions["threshold"]["why"]


def test_labels_choose_the_detector_and_threshold_and_are_reported(
    labelled_fraud: pa.Table,
) -> None:
    result = train_detector(labelled_fraud, config(label_column="is_fraud"), LOG)
    metrics, labels = result.metrics, result.decisions["labels"]
    assert metrics["n_labelled"] == 46 and metrics["n_labelled_anomalies"] == 6
    assert labels["used_for"] == ["detector", "threshold"]
    assert labels["evaluation"].startswith("cross-validated over 5 folds")
    assert "best ROC AUC" in result.decisions["detector"]["why"]
    assert "best F1" in result.decisions["threshold"]["why"]
    assert metrics["roc_auc"] > 0.95 and metrics["precision_at_flagged"] >= 0.8
    assert metrics["recall_at_flagged"] >= 0.8
    assert metrics["iforest_roc_auc"] > 0.9  # the baseline, on the same labelled rows
    # The label is never a feature: the model scores rows that lack it.
    assert "is_fraud" not in result.model.featurizer.schema.names()
    without = labelled_fraud.drop(["is_fraud"])
    assert len(result.model.detect(without)) == labelled_fraud.num_rows
    chosen = [row for row in result.leaderboard if row["chosen"]]
    assert len(chosen) == 1 and chosen[0]["roc_auc"] is not None


def test_labels_with_a_fixed_contamination_choose_only_the_detector(
    labelled_fraud: pa.Table,
) -> None:
    cfg = config(label_column="is_fraud", contamination=0.05, families=["hbos", "iforest"])
    result = train_detector(labelled_fraud, cfg, LOG)
    assert result.decisions["labels"]["used_for"] == ["detector"]
    assert result.metrics["threshold"] == pytest.approx(0.95)


@pytest.mark.parametrize("value", [True, False])
def test_labels_all_one_value_are_ignored_for_the_choices_and_said(caplog, value: bool) -> None:
    frame = transactions()
    frame["is_fraud"] = frame["is_fraud"].map({True: value, False: value})
    cfg = config(label_column="is_fraud", families=["ecod", "iforest"])
    with caplog.at_level(logging.WARNING):
        result = train_detector(table_of(frame), cfg, LOG)
    assert result.model.detector == ENSEMBLE
    assert result.decisions["labels"]["used_for"] == []
    assert "one value" in result.decisions["labels"]["note"]
    assert "default contamination" in result.decisions["threshold"]["why"]
    assert result.metrics["roc_auc"] is None
    # What can be measured still is: recall of known anomalies, or none of them.
    assert (result.metrics["recall_at_flagged"] is not None) == value
    assert "labels ignored" in caplog.text


def test_labels_other_than_booleans_or_zero_one_are_refused() -> None:
    frame = transactions()
    frame["is_fraud"] = frame["is_fraud"].map({True: 2.0, False: 0.0})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pytest.raises(TrainingDataError) as err:
        train_detector(table, config(label_column="is_fraud"), LOG)
    assert err.value.column == "is_fraud" and "cast the column to boolean" in str(err.value)


def test_zero_one_labels_are_read_as_booleans(labelled_fraud: pa.Table) -> None:
    frame = transactions()
    frame["is_fraud"] = frame["is_fraud"].map({True: 1, False: 0}).astype("Int64")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    result = train_detector(table, config(label_column="is_fraud", families=["ecod"]), LOG)
    assert result.metrics["n_labelled_anomalies"] == 6


def test_too_few_rows_are_refused(fraud: pa.Table) -> None:
    with pytest.raises(TrainingDataError, match="at least 10") as err:
        train_detector(fraud.slice(0, 9), config(), LOG)
    assert err.value.model == "fraud_detector"


def test_no_usable_feature_is_refused() -> None:
    table = pa.table({"transaction_id": list(range(50)), "country": ["GB"] * 50})
    with pytest.raises(TrainingDataError, match="no usable feature"):
        train_detector(table, config(), LOG)


def test_a_named_column_missing_from_the_table_is_refused(fraud: pa.Table) -> None:
    with pytest.raises(TrainingDataError) as err:
        train_detector(fraud, config(label_column="is_chargeback"), LOG)
    assert err.value.column == "is_chargeback" and err.value.key == "label_column"


def test_a_feature_missing_at_detection_is_named(unlabelled, fraud: pa.Table) -> None:
    with pytest.raises(SchemaMismatchError) as err:
        unlabelled.model.detect(fraud.drop(["distance_km"]))
    assert err.value.column == "distance_km"


def test_model_pickles_and_does_not_grow_with_the_training_rows() -> None:
    def pickled(n: int) -> tuple[bytes, AnomalyModel]:
        table = table_of(transactions(n=n, seed=2).drop(columns=["is_fraud"]))
        model = train_detector(table, config(families=["hbos", "ecod", "copod"]), LOG).model
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        return buffer.getvalue(), model

    small, _ = pickled(3_000)
    large, model = pickled(12_000)
    assert len(large) < 1.3 * len(small)  # quantile tables, not the training rows
    again = joblib.load(io.BytesIO(large))
    rows = table_of(transactions(n=40, seed=5).drop(columns=["is_fraud"]))
    assert again.detect(rows).equals(model.detect(rows))


def test_max_train_rows_samples_and_keeps_every_labelled_row() -> None:
    table = table_of(transactions(n=1_500))
    cfg = config(label_column="is_fraud", max_train_rows=300, families=["ecod", "iforest"])
    result = train_detector(table, cfg, LOG)
    assert result.n_rows == 300 and result.decisions["sampling"]["sampled"]
    assert result.metrics["n_labelled"] == 46


def test_sensor_readings_flag_the_overheating_machine() -> None:
    frame = readings()
    cfg = parse_anomaly_config(
        {"task": "anomaly", "id_columns": ["terminal_id", "reading_date"], "contamination": 0.03},
        "terminal_health",
    )
    result = train_detector(pa.Table.from_pandas(frame, preserve_index=False), cfg, LOG)
    found = result.model.detect(pa.Table.from_pandas(frame, preserve_index=False))
    # The five overheating days are the five most unusual readings, and flagged.
    top = np.argsort(-found["anomaly_score"].to_numpy(), kind="stable")[:5]
    assert set(frame.index[top]) == set(frame.index[frame["terminal_id"] == "T3"][-5:])
    assert found["is_anomaly"].to_numpy()[top].all()
    assert found["is_anomaly"].sum() == pytest.approx(0.03 * len(frame), abs=1)
    used = result.model.featurizer.schema.names()
    assert "terminal_id" not in used and "reading_date" not in used
