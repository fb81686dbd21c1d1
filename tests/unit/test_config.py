from __future__ import annotations

import pyarrow as pa
import pytest

from dbt_automl import ConfigError
from dbt_automl.config import parse_config
from dbt_automl.tasks import Classification, group_of


def test_defaults_and_aliases() -> None:
    cfg = parse_config({"target": "y", "task": "binary", "id_columns": "id"}, "m")
    # `binary` and `multiclass` name the classification group: the classes decide which.
    assert group_of(pa.chunked_array([["a", "b", "c"]]), cfg) is Classification
    assert cfg.id_columns == ("id",)
    assert cfg.time_budget_s == 60.0
    assert cfg.seed == 42


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({}, "no meta.automl settings"),
        ({"task": "classification"}, "meta.automl.target: missing"),
        ({"target": "y", "taget": 1}, "unknown meta.automl key(s) ['taget']"),
        ({"target": "y", "time_budget_s": -5}, "time_budget_s: must be > 0, got -5"),
        ({"target": "y", "time_budget_s": "soon"}, "expected a number, got 'soon'"),
        ({"target": "y", "task": "ranking"}, "unknown task 'ranking'"),
        ({"target": "y", "families": ["xgb"]}, "unknown families ['xgb']"),
        ({"target": "y", "id_columns": ["y"]}, "is also listed as an id"),
        ({"target": "y", "test_size": 0.9}, "test_size: must be in [0.05, 0.5]"),
        ({"target": "y", "max_predict_us_per_row": -1}, "max_predict_us_per_row: must be auto"),
    ],
)
def test_bad_settings_name_model_key_and_fix(raw: dict, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(raw, "churn_model")
    assert "churn_model" in str(err.value)
    assert fragment in str(err.value)
    assert "Fix:" in str(err.value)


def test_budget_cap_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_AUTOML_MAX_TIME_BUDGET_S", "3")
    assert parse_config({"target": "y", "time_budget_s": 120}, "m").time_budget_s == 3.0
    assert parse_config({"target": "y", "time_budget_s": 2}, "m").time_budget_s == 2.0
