"""Predictions from SQL in the demo: the plugin, the dbt_automl.predict macro, its errors."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.integration.conftest import messages, statuses

pytestmark = pytest.mark.slow

MODEL = "transactions_scored_in_sql"


def test_sql_function_and_python_scoring_model_give_identical_probabilities(
    built_project,
) -> None:
    project, result = built_project
    states = statuses(result)
    assert states[MODEL] == "success", messages(result)
    assert states["assert_sql_scores_match_python_scores"] == "pass"
    [(transactions, scored, joined, max_diff)] = project.query(
        f"""select (select count(*) from transaction_features), count(*), count(p.probability),
                   max(abs(s.fraud_probability - p.probability))
            from {MODEL} as s left join fraud_scores as p using (transaction_id)"""
    )
    assert transactions > scored == joined > 0  # the last week's transactions, all found
    assert max_diff < 1e-12


def test_the_version_used_is_in_the_compiled_sql_and_the_log(built_project) -> None:
    project, _ = built_project
    [(version,)] = project.query("select version from fraud_model where is_current")
    compiled = project.path / "target" / "compiled" / "dbt_automl" / "models" / "marts"
    sql = (compiled / f"{MODEL}.sql").read_text()
    assert f"/* fraud_model v{version} */ dbt_automl_predict('fraud_model', 'probability'" in sql
    log = (project.path / "logs" / "dbt.log").read_text()
    assert f"fraud_model: SQL functions score with v{version}" in log


def test_a_view_calling_the_function_cannot_be_read_elsewhere(built_project, tmp_path) -> None:
    # Why callers are tables: the function exists only inside the dbt process.
    project = built_project[0].copy(tmp_path / "view")
    project.edit(f"models/marts/{MODEL}.sql", r"^with$", "{{ config(materialized='view') }}\nwith")
    result = project.dbt("run", "--select", MODEL)
    assert result.success, messages(result)
    with pytest.raises(duckdb.Error, match="dbt_automl_predict"):
        project.query(f"select count(*) from {MODEL}")


def test_without_the_plugin_the_macro_says_how_to_enable_it(built_project, tmp_path) -> None:
    project = built_project[0].copy(tmp_path / "no_plugin")
    project.edit("profiles.yml", r"^ +plugins:\n +- module: dbt_automl\.plugin\n", "")
    result = project.dbt("run", "--select", MODEL)
    assert not result.success
    text = messages(result)
    assert "dbt_automl.predict: the dbt_automl plugin is not enabled for target 'dev'" in text
    assert "Fix: add `plugins: [{module: dbt_automl.plugin}]`" in text


def test_a_model_never_trained_stops_the_caller_with_the_fix(built_project, tmp_path) -> None:
    project = built_project[0].copy(tmp_path / "untrained")
    shutil.rmtree(project.registry / "fraud_model")
    result = project.dbt("run", "--select", MODEL)
    assert not result.success
    text = messages(result)
    assert f"model fraud_model has no registered version in {project.registry}" in text
    assert "Fix: build it first (`dbt build --select fraud_model+`)" in text
