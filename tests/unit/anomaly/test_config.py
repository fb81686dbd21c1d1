"""meta.automl for task: anomaly: defaults, and every refusal naming the key and the fix."""

from __future__ import annotations

import pytest

from dbt_automl.anomaly import FAMILIES, parse_anomaly_config
from dbt_automl.errors import ConfigError


def parse(**raw: object):
    return parse_anomaly_config({"task": "anomaly", **raw}, "fraud_detector")


def test_defaults_fit_every_family_and_leave_the_threshold_to_labels_or_one_percent() -> None:
    cfg = parse(id_columns="transaction_id")
    assert cfg.id_columns == ("transaction_id",)
    assert cfg.families == FAMILIES and {"iforest", "ecod", "hbos", "knn"} <= set(FAMILIES)
    assert cfg.contamination is None and cfg.score_threshold is None
    assert cfg.threshold_from_labels
    assert cfg.task == "anomaly"


@pytest.mark.parametrize("value", [0, 0.0, -0.1, 0.51, 1, 2])
def test_contamination_outside_zero_to_half_is_refused(value: float) -> None:
    with pytest.raises(ConfigError) as err:
        parse(id_columns=["id"], contamination=value)
    assert err.value.key == "contamination"
    assert "(0, 0.5]" in str(err.value) and "fraud_detector" in str(err.value)
    assert "Fix:" in str(err.value)


def test_contamination_of_one_half_is_the_largest_accepted() -> None:
    assert parse(id_columns=["id"], contamination=0.5).contamination == 0.5


@pytest.mark.parametrize("value", ["1%", True, [0.01]])
def test_contamination_must_be_a_number(value: object) -> None:
    with pytest.raises(ConfigError, match="expected a number"):
        parse(id_columns=["id"], contamination=value)


def test_contamination_and_score_threshold_together_are_refused() -> None:
    with pytest.raises(ConfigError) as err:
        parse(id_columns=["id"], contamination=0.01, score_threshold=0.99)
    assert err.value.key == "score_threshold"
    assert "keep one" in str(err.value)


@pytest.mark.parametrize("value", [0, 1, 1.5])
def test_score_threshold_must_be_inside_zero_one(value: float) -> None:
    with pytest.raises(ConfigError, match=r"must be in \(0, 1\)"):
        parse(id_columns=["id"], score_threshold=value)


def test_id_columns_are_required() -> None:
    with pytest.raises(ConfigError) as err:
        parse(contamination=0.01)
    assert err.value.key == "id_columns"


def test_unknown_family_and_unknown_key_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown families"):
        parse(id_columns=["id"], families=["iforest", "autoencoder"])
    with pytest.raises(ConfigError, match="unknown key"):
        parse(id_columns=["id"], target="is_fraud")


def test_label_column_is_one_name_and_has_one_role() -> None:
    with pytest.raises(ConfigError, match="one column name"):
        parse(id_columns=["id"], label_column=["a", "b"])
    with pytest.raises(ConfigError, match="more than one role"):
        parse(id_columns=["id"], label_column="id")


def test_max_train_rows_has_a_floor() -> None:
    with pytest.raises(ConfigError) as err:
        parse(id_columns=["id"], max_train_rows=10)
    assert err.value.key == "max_train_rows"
