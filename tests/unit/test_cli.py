from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dbt_automl.cli import main


def test_summary_reports_models_and_prediction_tables(tmp_path: Path, capsys) -> None:
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            """create table churn_model as select 'churn_model' as model_name, 3 as version,
                   true as is_current, 'lightgbm' as family, 12.0 as duration_s,
                   0.91 as test_roc_auc, 0.7 as test_pr_auc, 0.6 as test_f1,
                   null::double as test_rmse, null::double as test_r2,
                   '/x/model.joblib' as artifact_path, 'abc' as sha256"""
        )
        con.execute(
            """create table sales_forecast_model as select 'sales_forecast_model' as model_name,
                   2 as version, true as is_current, 'lightgbm+ets' as members,
                   30.0 as duration_s, 0.71 as test_mase, 0.65 as test_relative_mase,
                   0.81 as test_coverage_80, '/x/model.joblib' as artifact_path,
                   'def' as sha256"""
        )
        con.execute(
            """create table card_offer_model as select 'card_offer_model' as model_name,
                   1 as version, true as is_current, 'als' as candidate, 5.0 as duration_s,
                   0.12 as test_precision_at_n, 0.08 as test_popularity_precision_at_n,
                   '/x/model.joblib' as artifact_path, 'ghi' as sha256"""
        )
        con.execute(
            """create table churn_scores as select range as customer_id, true as prediction,
                   'churn_model' as model_name, 3 as model_version, now() as scored_at
               from range(7)"""
        )
    assert main(["summary", "--duckdb", str(warehouse), "--registry", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "model churn_model v3: lightgbm, roc_auc=0.910, pr_auc=0.700, f1=0.600" in out
    assert "output churn_scores: 7 rows" in out
    assert (
        "model card_offer_model v1: als, precision_at_n=0.120, popularity_precision_at_n=0.080"
        in out
    )
    assert (
        "model sales_forecast_model v2: lightgbm+ets, mase=0.710, relative_mase=0.650, "
        "coverage_80=0.810" in out
    )


def test_summary_without_warehouse_says_how_to_fix(tmp_path: Path, capsys) -> None:
    assert main(["summary", "--duckdb", str(tmp_path / "none.duckdb")]) == 1
    assert "Fix: run `dbt build`" in capsys.readouterr().err


def test_unknown_command_is_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
