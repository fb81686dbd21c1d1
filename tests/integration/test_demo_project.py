"""The demo project end to end: lake files -> dbt build -> models, scores, tests, docs."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import Project, messages, statuses

pytestmark = pytest.mark.slow


def test_build_passes_every_node(built_project) -> None:
    project, result = built_project
    states = statuses(result)
    assert result.success, {n: s for n, s in states.items() if s not in ("success", "pass")}
    assert {"churn_model", "churn_scores", "fraud_model", "fraud_scores"} <= set(states)
    # Only a test the demo declares a warning (`severity: warn`) may warn: the
    # recommender's beat-popularity test, a coin flip on 12 categories (see
    # test_unsupervised_demo). Anything else must pass; a failure names the node and why.
    unexpected = {
        r.node.name: f"{r.status}: {r.message}"
        for r in result.result.results
        if str(r.status) not in ("success", "pass")
        and not (str(r.status) == "warn" and str(r.node.config.severity).lower() == "warn")
    }
    assert not unexpected, unexpected
    tests = [n for n in states if "expect_model_metric" in n or "expect_valid_predictions" in n]
    assert len(tests) >= 4


def test_prediction_tables_have_one_row_per_key(built_project) -> None:
    project, _ = built_project
    [(customers, scored, distinct)] = project.query(
        """select (select count(*) from customer_features), count(*), count(distinct customer_id)
           from churn_scores"""
    )
    assert customers == scored == distinct > 0
    [(transactions, scored_tx, positives)] = project.query(
        """select (select count(*) from transaction_features), count(*),
                  count(*) filter (prediction)
           from fraud_scores"""
    )
    assert transactions == scored_tx
    assert positives > 0  # the fraud model must not predict all-negative


def test_registry_holds_checksummed_versions(built_project) -> None:
    project, _ = built_project
    for name in ("churn_model", "fraud_model"):
        [(version, sha, path)] = project.query(
            f"select version, sha256, artifact_path from {name} where is_current"
        )
        meta = json.loads(
            (project.registry / name / f"v{version:04d}" / "metadata.json").read_text()
        )
        assert meta["artifact"]["sha256"] == sha
        assert path.startswith(str(project.registry))
        assert meta["data"]["fingerprint"] and meta["versions"]["scikit-learn"]


def test_metrics_are_recorded(built_project) -> None:
    project, _ = built_project
    [(auc, pr, f1)] = project.query(
        "select test_roc_auc, test_pr_auc, test_f1 from churn_model where is_current"
    )
    assert 0.5 < auc <= 1 and 0 < pr <= 1 and 0 <= f1 <= 1
    [(fraud_pr, fraud_rate)] = project.query(
        """select m.test_pr_auc, (select avg(is_fraud::int) from transaction_features)
           from fraud_model as m where m.is_current"""
    )
    assert fraud_pr > 3 * fraud_rate


def test_marts_read_the_prediction_tables(built_project) -> None:
    project, _ = built_project
    [(to_call,)] = project.query("select count(*) from customers_to_call")
    [(scored,)] = project.query("select count(*) from churn_scores")
    assert 0 < to_call < scored


def test_a_second_full_build_on_the_same_lake_trains_nothing(built_project, tmp_path) -> None:
    # The whole project is rebuilt, feature tables included: the same lake must give the
    # same data fingerprint however DuckDB orders rows or adds up floats.
    project = built_project[0].copy(tmp_path / "again")
    before = project.query("select model_name, data_fingerprint from churn_model")
    result = project.dbt("build")
    assert result.success, messages(result)
    for name in (
        "churn_model",
        "fraud_model",
        "sales_forecast_model",
        "customer_segment_model",
        "terminal_anomaly_model",
        "card_offer_model",
    ):
        assert [p.name for p in (project.registry / name).glob("v[0-9]*")] == ["v0001"], name
    assert project.query("select model_name, data_fingerprint from churn_model") == before


def test_impossible_threshold_fails_the_build_and_keeps_scores(built_project, tmp_path) -> None:
    project = built_project[0].copy(tmp_path / "strict")
    before = project.query("select count(*), max(scored_at) from churn_scores")
    project.edit(
        "python_models/_python_models.yml",
        r"\{metric: roc_auc, min_value: 0\.80\}",
        "{metric: roc_auc, min_value: 0.9999}",
    )
    result = project.dbt("build", "--select", "churn_model+")
    states = statuses(result)
    assert not result.success
    failed = [n for n, s in states.items() if s == "fail"]
    assert any("expect_model_metric_to_be_between" in n and "roc_auc" in n for n in failed)
    assert states["churn_scores"] == "skipped"
    assert project.query("select count(*), max(scored_at) from churn_scores") == before


def _assert_untouched(project: Project, table: str, before: list[tuple]) -> None:
    assert (
        project.query(f"select count(*), max(model_version), max(scored_at) from {table}")
        == before
    )


def _last_select(project: Project, replacement: str) -> None:
    project.edit(
        "models/features/customer_features.sql", r"^select \* from (\w+)\s*$", replacement
    )


@pytest.mark.parametrize(
    ("replacement", "fragment"),
    [
        (r"select * exclude ({column}) from \1", "column '{column}': was used to train"),
        (
            r"select * replace (cast({column} as varchar) as {column}) from \1",
            "column '{column}': was",
        ),
    ],
    ids=["missing-column", "changed-type"],
)
def test_scoring_refuses_changed_features_and_keeps_scores(
    built_project, tmp_path, replacement: str, fragment: str
) -> None:
    project = built_project[0].copy(tmp_path / "scoring")
    before = project.query("select count(*), max(model_version), max(scored_at) from churn_scores")
    # A numeric column the current model really uses (feature selection may drop weak ones).
    [(column,)] = project.query(
        """select c ->> 'name'
           from churn_model,
               unnest(from_json(decisions -> '$.features.columns', '["json"]')) as u(c)
           where is_current and c ->> 'kind' = 'numeric' limit 1"""
    )
    replacement, fragment = replacement.format(column=column), fragment.format(column=column)
    _last_select(project, replacement)
    result = project.dbt("run", "--select", "customer_features", "churn_scores")
    assert not result.success
    text = messages(result)
    assert fragment in text and "churn_scores" in text and "Fix:" in text
    _assert_untouched(project, "churn_scores", before)


@pytest.mark.parametrize(
    ("replacement", "fragment"),
    [
        (r"select * replace (false as is_churned) from \1", "single class"),
        (r"select * from \1 where false", "has no rows"),
    ],
    ids=["single-class", "empty"],
)
def test_training_refuses_bad_data_and_keeps_versions(
    built_project, tmp_path, replacement: str, fragment: str
) -> None:
    project = built_project[0].copy(tmp_path / "training")
    before = project.query("select count(*), max(version) from churn_model")
    _last_select(project, replacement)
    result = project.dbt("run", "--select", "customer_features", "churn_model")
    assert not result.success
    text = messages(result)
    assert fragment in text and "churn_model" in text and "Fix:" in text
    assert project.query("select count(*), max(version) from churn_model") == before
    assert [p.name for p in (project.registry / "churn_model").glob("v[0-9]*")] == ["v0001"]


def test_missing_target_column_names_it(built_project, tmp_path) -> None:
    project = built_project[0].copy(tmp_path / "target")
    project.edit("python_models/_python_models.yml", r"target: is_churned", "target: has_churned")
    result = project.dbt("run", "--select", "churn_model")
    assert not result.success
    text = messages(result)
    assert "column 'has_churned' (meta.automl.target): not in the training table" in text
    assert "Fix:" in text


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_broken_lake_file_stops_the_run_before_anything_is_written(
    built_project, tmp_path, damage: str
) -> None:
    project = built_project[0].copy(tmp_path / damage)
    before = project.query("select count(*), max(model_version), max(scored_at) from fraud_scores")
    partition = sorted((project.lake / "transactions").glob("month=*/*.parquet"))[-1]
    if damage == "missing":
        for path in (project.lake / "transactions").glob("month=*/*.parquet"):
            path.unlink()
    else:
        partition.write_bytes(partition.read_bytes()[: len(partition.read_bytes()) // 2])
    result = project.dbt("build")
    assert not result.success
    text = str(result.exception) + messages(result) if result.result else str(result.exception)
    assert "transactions" in text and "Fix:" in text
    _assert_untouched(project, "fraud_scores", before)


def test_leaderboard_and_decisions_are_visible_from_sql(built_project) -> None:
    project, _ = built_project
    rows = project.query(
        "select trial, family, score, state from churn_model_leaderboard order by score desc"
    )
    assert len(rows) >= 3 and {r[1] for r in rows} >= {"linear", "lightgbm"}
    [(n_members, threshold, validation)] = project.query(
        """select json_array_length(decisions -> '$.ensemble_members'),
                  decisions ->> '$.threshold.reason', decisions ->> '$.validation.split'
           from fraud_model where is_current"""
    )
    assert n_members >= 1 and threshold == "maximum F1" and validation == "stratified"
    [(weights,)] = project.query(
        "select sum(ensemble_weight) from fraud_model_leaderboard where is_current"
    )
    assert abs(weights - 1.0) < 1e-9


def test_the_sales_forecast_covers_every_active_series_for_its_horizon(built_project) -> None:
    project, result = built_project
    states = statuses(result)
    assert states["sales_forecast_model"] == "success" and states["sales_forecast"] == "success"
    [(series, rows, days, version)] = project.query(
        """select count(distinct branch_id || product_line), count(*),
                  count(distinct sale_date), max(model_version)
           from sales_forecast"""
    )
    [(active,)] = project.query(
        "select count(distinct branch_id || product_line) from branch_sales_future_covariates"
    )
    assert series == active and days == 28 and rows == series * 28
    [(current, relative, coverage)] = project.query(
        "select version, test_relative_mase, test_coverage_80 from sales_forecast_model "
        "where is_current"
    )
    assert version == current
    assert relative < 1.0 and 0 < coverage <= 1
    [(negative,)] = project.query("select count(*) from sales_forecast where lower_80 < 0")
    assert negative == 0  # unit sales were never negative, so neither are their bounds
