"""dbt_automl as a package: integration_tests/ installs it from the repo root and runs it.

Each test copies integration_tests/ (or builds a fresh consumer project) in a temp dir,
points packages.yml at this repository and drives dbt in-process with dbtRunner, on a fresh
DuckDB file. No test reaches the dbt hub: every package is local.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import duckdb
import pytest
import yaml
from dbt.cli.main import dbtRunner, dbtRunnerResult

from tests.integration.conftest import copy_demo_project

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_PROJECT = REPO_ROOT / "integration_tests"

# Every generic-test case in integration_tests/ and the failing rows it must report.
# Cases named `*__fails` are inverted there (error_if/warn_if "!=N"), so they pass only
# when exactly N rows fail.
EXPECTED_FAILURES = {
    "churn_roc_auc_between_0_8_and_1": 0,
    "churn_log_loss_at_most_0_5": 0,
    "churn_pr_auc_at_least_0_3": 0,
    "churn_roc_auc_at_least_0_9__fails": 1,
    "churn_log_loss_at_most_0_2__fails": 1,
    "churn_rmse_is_null__fails": 1,
    "house_price_r2_at_least_0_7": 0,
    "house_price_rmse_at_most_25000": 0,
    "house_price_mae_between_0_and_10000__fails": 1,
    "retired_no_current_version__fails": 1,
    "empty_no_rows__fails": 1,
    "binary_predictions_are_valid": 0,
    "binary_predictions_tight_tolerance__fails": 1,
    "binary_predictions_with_errors__fails": 5,
    "binary_predictions_have_no_nulls": 0,
    "binary_predictions_with_errors_null_prediction__fails": 1,
    "binary_predictions_with_errors_where_excludes_the_null": 0,
    "binary_predictions_key": 0,
    "binary_predictions_with_errors_key__fails": 2,
    "binary_predictions_with_errors_composite_key__fails": 1,
    "multiclass_predictions_are_valid": 0,
    "multiclass_predictions_with_errors__fails": 4,
    "multiclass_predictions_loose_tolerance__fails": 3,
    "regression_predictions_are_valid": 0,
    "regression_predictions_with_errors__fails": 2,
    "sales_forecast_beats_seasonal_naive": 0,
    "sales_forecast_coverage_80_near_level": 0,
    "sales_forecast_halves_seasonal_naive__fails": 1,
    "sales_forecast_coverage_80_tight_band__fails": 1,
    "sales_forecast_is_complete": 0,
    "sales_forecast_with_gaps__fails": 2,
    "sales_forecast_longer_horizon__fails": 3,
    "segments_sizes_within_bounds": 0,
    "segments_tight_share_band__fails": 2,
    "segments_min_size_5__fails": 1,
    "segments_keep_their_meaning": 0,
    "segments_silhouette_at_least_0_25": 0,
    "segments_kept_97_percent__fails": 1,
    "segments_silhouette_at_least_0_4__fails": 1,
    "anomaly_rate_within_bounds": 0,
    "anomaly_rate_at_most_2_percent__fails": 1,
    "anomaly_precision_at_flagged_at_least_0_5": 0,
    "anomaly_precision_at_flagged_at_least_0_8__fails": 1,
    "offers_beat_popularity_by_2_points": 0,
    "offers_double_popularity__fails": 1,
    "drift_stable_passes": 0,
    "drift_shifted_errors__fails": 8,
    "drift_shifted_warnings__fails": 2,
    "drift_loose_levels__fails": 2,
    "drift_unknown_feature__fails": 2,
    "drift_loose_levels_on_present_features": 0,
    "drift_no_rows__fails": 1,
}

# What the stored failing rows say (`failure` column), in any order.
EXPECTED_FAILURE_TEXTS = {
    "churn_roc_auc_at_least_0_9__fails": [
        "test_roc_auc of churn_model v2 = 0.86 is below min_value 0.9",
    ],
    "churn_log_loss_at_most_0_2__fails": [
        "test_log_loss of churn_model v2 = 0.31 is above max_value 0.2",
    ],
    "churn_rmse_is_null__fails": ["test_rmse of churn_model v2 is null"],
    "retired_no_current_version__fails": [
        "model fraud_model has no version with is_current = true",
    ],
    "empty_no_rows__fails": ["the trained-model table has no rows"],
    "binary_predictions_with_errors__fails": [
        "duplicate key: 2 rows",
        "prediction is null",
        "probability = 1.2 is outside [0, 1]",
        "probabilities has a value outside [0, 1]: {false=-0.2, true=1.2}",
        "probabilities sum to 1.1, not 1 (tolerance 1e-06): {false=0.5, true=0.6}",
    ],
    "regression_predictions_with_errors__fails": ["duplicate key: 2 rows", "prediction is null"],
    "binary_predictions_with_errors_null_prediction__fails": ["`prediction` is null on 1 row"],
    "binary_predictions_with_errors_key__fails": [
        "key (customer_id) is not unique: 1 value appears more than once",
        "`prediction` is null on 1 row",
    ],
    "sales_forecast_halves_seasonal_naive__fails": [
        "test_relative_mase of sales_forecast_model v2 = 0.65 is above max_value 0.5",
    ],
    "sales_forecast_with_gaps__fails": [
        "series has 2 rows on 2 distinct periods; expected 3 of each",
        "series has 4 rows on 3 distinct periods; expected 3 of each",
    ],
    "sales_forecast_longer_horizon__fails": [
        "series has 3 rows on 3 distinct periods; expected 4 of each",
        "series has 3 rows on 3 distinct periods; expected 4 of each",
        "the series cover 3 distinct periods between them; expected the same 4 for all",
    ],
    "segments_tight_share_band__fails": [
        "segment 1 holds 0.5 of the rows, more than max_share 0.4",
        "segment 3 holds 0.15 of the rows, less than min_share 0.2",
    ],
    "segments_min_size_5__fails": ["segment 3 has 3 rows, fewer than min_size 5"],
    "segments_kept_97_percent__fails": [
        "segments of customer_segments v2 kept 0.94 of the rows in the same segment id as the"
        " version before, below min_kept_share 0.97",
    ],
    "anomaly_rate_at_most_2_percent__fails": [
        "flagged 2 of 50 rows (0.04), above max_value 0.02",
    ],
    "anomaly_precision_at_flagged_at_least_0_8__fails": [
        "test_precision_at_flagged of terminal_anomaly_model v1 = 0.6 is below min_value 0.8",
    ],
    "offers_double_popularity__fails": [
        "precision@N of card_offer_model v2 = 0.12 does not beat popularity (0.08) by margin 0"
        " and lift 2",
    ],
    "drift_shifted_errors__fails": [
        "psi of amount = 0.62 >= error_psi 0.25",
        "psi of __prediction__ = 0.3 >= error_psi 0.25",
        "psi of channel = 0.15 >= warn_psi 0.1",
        "psi of customer_tier = 0.12 >= warn_psi 0.1",
        "is_foreign has no value in the 5000 rows compared (the column is missing or all null)",
        "0.07 of country_code values were never seen in training, above max_unseen_share 0.05",
        "null rate of tenure_days went from 0.01 to 0.25, a change above max_null_rate_change 0.1",
        "null rate of is_foreign went from 0.0 to 1.0, a change above max_null_rate_change 0.1",
    ],
    "drift_loose_levels__fails": [
        "psi of amount = 0.62 >= warn_psi 0.5",
        "is_foreign has no value in the 5000 rows compared (the column is missing or all null)",
    ],
    "drift_unknown_feature__fails": [
        "psi of amount = 0.62 >= error_psi 0.25",
        "feature balance is not in the drift table",
    ],
    "drift_no_rows__fails": ["the drift table has no rows"],
}


def _copy_consumer_project(dest: Path) -> Path:
    project = dest / "integration_tests"
    shutil.copytree(
        INTEGRATION_PROJECT,
        project,
        ignore=shutil.ignore_patterns("target", "dbt_packages", "logs", "package-lock.yml"),
    )
    (project / "packages.yml").write_text(f"packages:\n  - local: {REPO_ROOT}\n")
    return project


def _dbt(project: Path, *args: str, env: dict[str, str] | None = None) -> dbtRunnerResult:
    """Runs one dbt command on `project`, with its DuckDB file next to it."""
    env = {
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_AUTOML_IT_DUCKDB_PATH": str(project / "warehouse.duckdb"),
        **(env or {}),
    }
    with mock.patch.dict(os.environ, env):
        return dbtRunner().invoke(
            [*args, "--project-dir", str(project), "--profiles-dir", str(project)]
        )


def _error_text(res: dbtRunnerResult) -> str:
    """The error a failed invocation reports: its exception, or its failed nodes' messages."""
    if res.exception is not None:
        return str(res.exception)
    return "\n".join(str(r.message) for r in res.result.results if r.status in ("error", "fail"))


@pytest.fixture
def consumer(tmp_path: Path) -> Path:
    project = _copy_consumer_project(tmp_path)
    assert _dbt(project, "deps").success
    return project


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dbtRunnerResult]]:
    project = _copy_consumer_project(tmp_path_factory.mktemp("built"))
    assert _dbt(project, "deps").success
    yield project, _dbt(project, "build")


def _stored_failures(project: Path, res: dbtRunnerResult, test_name: str) -> list[tuple]:
    """The failing rows a test stored (integration_tests/ sets store_failures)."""
    (node,) = [r.node for r in res.result.results if r.node.name == test_name]
    with duckdb.connect(str(project / "warehouse.duckdb"), read_only=True) as conn:
        return conn.sql(f"select * from {node.relation_name}").fetchall()


# Installing the package: a consumer gets the macros and generic tests and nothing else.

NODE_TYPES = ["model", "source", "seed", "test", "unit_test"]
DEMO_HOOK = "operation.dbt_automl.dbt_automl-on-run-start-0"
README_MARKERS = ("<!-- consumer-snippet:start -->", "<!-- consumer-snippet:end -->")


def _listed_nodes(project: Path, env: dict[str, str] | None = None) -> list[dict[str, str]]:
    """`dbt ls` of every node type that can come from a package, as dicts."""
    types = [arg for node_type in NODE_TYPES for arg in ("--resource-type", node_type)]
    keys = ["--output-keys", "unique_id", "--output-keys", "package_name"]
    res = _dbt(project, "ls", *types, "--output", "json", *keys, env=env)
    assert res.success, _error_text(res)
    return [json.loads(line) for line in res.result]


def test_consumer_lists_no_node_of_the_package(consumer: Path) -> None:
    listed = _listed_nodes(consumer)
    assert listed, "integration_tests/ lists no node at all"
    assert [n["unique_id"] for n in listed if n["package_name"] == "dbt_automl"] == []
    # The demo's lake-check hook is disabled too (dbt runs the hooks of packages).
    manifest = _dbt(consumer, "parse").result
    assert DEMO_HOOK in manifest.disabled
    assert [uid for uid in manifest.nodes if uid.startswith("operation.dbt_automl.")] == []


def _copy_root_project(dest: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the demo project (as tests/integration/conftest.py makes it), and its env."""
    project = dest / "demo"
    copy_demo_project(project)
    env = {
        "DBT_AUTOML_DUCKDB_PATH": str(project / "warehouse.duckdb"),
        "DBT_AUTOML_LAKE_PATH": str(project / "lake"),
    }
    return project, env


def test_root_project_still_lists_the_whole_demo(tmp_path: Path) -> None:
    project, env = _copy_root_project(tmp_path)
    listed = {n["unique_id"] for n in _listed_nodes(project, env)}
    for node in [
        "model.dbt_automl.stg_bank__transactions",
        "model.dbt_automl.churn_model",
        "source.dbt_automl.bank.transactions",
        "seed.dbt_automl.merchant_category_spellings",
        "seed.dbt_automl.region_spellings",
        "test.dbt_automl.assert_staging_values_in_range",
    ]:
        assert node in listed
    assert any(uid.startswith("test.dbt_automl.dbt_automl_expect_model_metric") for uid in listed)
    assert DEMO_HOOK in _dbt(project, "parse", env=env).result.nodes


def test_demo_sources_advise_regenerating_the_demo_lake(tmp_path: Path) -> None:
    project, env = _copy_root_project(tmp_path)
    # No lake at all: the demo's hook stops the run before any model, with the demo's hint.
    res = _dbt(project, "run", "--select", "stg_bank__customers", env=env)
    assert not res.success
    assert (
        "Fix: regenerate the demo lake with `make lake` (or `dbt-automl generate-lake --out "
        f"{project / 'lake'}`), or correct meta.external_location in "
        "models/staging/bank/_bank__sources.yml."
    ) in _error_text(res)


def _readme_consumer_snippet() -> list[str]:
    """The yaml blocks between the README's consumer-snippet markers, verbatim."""
    readme = (REPO_ROOT / "README.md").read_text()
    start, end = README_MARKERS
    assert readme.count(start) == 1 and readme.count(end) == 1
    snippet = readme[readme.index(start) + len(start) : readme.index(end)]
    blocks = re.findall(r"^```yaml\n(.*?)^```$", snippet, flags=re.MULTILINE | re.DOTALL)
    assert blocks, "no ```yaml block between the README's consumer-snippet markers"
    return blocks


def _write_readme_consumer(project: Path) -> None:
    """A fresh consumer: one model, one generic test of the package, the README's snippet."""
    project.mkdir()
    (project / "dbt_project.yml").write_text(
        'name: readme_consumer\nversion: "1.0.0"\nconfig-version: 2\nprofile: readme_consumer\n'
        "flags:\n  send_anonymous_usage_stats: false\n"
    )
    (project / "profiles.yml").write_text(
        "readme_consumer:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {project / 'warehouse.duckdb'}\n      keep_open: false\n"
    )
    (project / "models").mkdir()
    (project / "models" / "house_price_versions.sql").write_text(
        "select 'house_price_model' as model_name, 1 as version, true as is_current,\n"
        "    0.81 as test_r2\n"
    )
    (project / "models" / "house_price_versions.yml").write_text(
        "models:\n"
        "  - name: house_price_versions\n"
        "    description: A trained-model table, one row per model version.\n"
        "    data_tests:\n"
        "      - dbt_automl.expect_model_metric_to_be_between:\n"
        "          arguments: {metric: r2, min_value: 0.7}\n"
    )
    # Each block names its file in its first line (`# packages.yml`): write it verbatim,
    # after what the project already has in that file.
    for block in _readme_consumer_snippet():
        name = re.fullmatch(r"# (\S+)", block.splitlines()[0])
        assert name, f"a README consumer block must start with `# <file>`, got {block!r}"
        path = project / name.group(1)
        path.write_text((path.read_text() + "\n" if path.exists() else "") + block)


def _place_local_packages(project: Path) -> None:
    """Puts this repository where the snippet's `local:` paths point (e.g. ../dbt-automl)."""
    packages = yaml.safe_load((project / "packages.yml").read_text())["packages"]
    # Anything but local packages would reach the network.
    assert packages and all(set(package) == {"local"} for package in packages), packages
    for package in packages:
        place = project / package["local"]
        place.parent.mkdir(parents=True, exist_ok=True)
        place.symlink_to(REPO_ROOT, target_is_directory=True)


def test_readme_consumer_snippet_builds_without_demo_nodes(tmp_path: Path) -> None:
    project = tmp_path / "consumer"
    _write_readme_consumer(project)
    _place_local_packages(project)
    assert _dbt(project, "deps").success
    res = _dbt(project, "build")
    assert res.success, _error_text(res)
    ran = {(r.node.package_name, r.node.resource_type, r.status) for r in res.result.results}
    assert ran == {("readme_consumer", "model", "success"), ("readme_consumer", "test", "pass")}


def test_build_passes_and_every_failing_case_fails(built: tuple[Path, dbtRunnerResult]) -> None:
    project, res = built
    assert res.success, _error_text(res)
    statuses = {
        r.node.name: r.status for r in res.result.results if r.node.resource_type == "test"
    }
    assert statuses == dict.fromkeys(EXPECTED_FAILURES, "pass")
    # dbt reports 0 failures for a passing test; count the rows each case stored instead.
    failing_rows = {name: len(_stored_failures(project, res, name)) for name in statuses}
    assert failing_rows == EXPECTED_FAILURES


def test_lake_check_hook_is_a_no_op_without_lake_sources(
    built: tuple[Path, dbtRunnerResult],
) -> None:
    _, res = built
    hooks = [r for r in res.result.results if r.node.resource_type == "operation"]
    assert [(h.node.unique_id, h.status) for h in hooks] == [
        (
            "operation.dbt_automl_integration_tests.dbt_automl_integration_tests-on-run-start-0",
            "success",
        ),
    ]


@pytest.mark.parametrize("test_name", sorted(EXPECTED_FAILURE_TEXTS))
def test_failing_rows_say_what_failed(built: tuple[Path, dbtRunnerResult], test_name: str) -> None:
    project, res = built
    rows = _stored_failures(project, res, test_name)
    # `failure` is the last column of every validation_errors CTE.
    assert sorted(row[-1] for row in rows) == sorted(EXPECTED_FAILURE_TEXTS[test_name])


def test_a_failing_case_that_stops_failing_breaks_the_build(consumer: Path) -> None:
    seed = consumer / "seeds" / "trained_models" / "retired_model_versions.csv"
    seed.write_text(seed.read_text().replace("fraud_model,2,false", "fraud_model,2,true"))
    res = _dbt(consumer, "build", "--select", "retired_model_versions")
    assert not res.success
    statuses = {r.node.name: r.status for r in res.result.results}
    assert statuses["retired_no_current_version__fails"] == "fail"


def test_drift_levels_are_dbt_severities(consumer: Path) -> None:
    # No config in YAML: the test's own fail_calc / warn_if / error_if decide.
    models = consumer / "models" / "drift"
    (models / "warned_drift.sql").write_text(
        "select * from {{ ref('shifted_drift_rows') }}\n"
        "where feature in ('channel', 'customer_tier', 'hour_of_day')\n"
    )
    (models / "failed_drift.sql").write_text("select * from {{ ref('shifted_drift_rows') }}\n")
    (models / "severity.yml").write_text(
        "version: 2\n"
        "models:\n"
        + "".join(
            f"  - name: {name}\n"
            "    data_tests:\n"
            "      - dbt_automl.expect_no_feature_drift:\n"
            f"          name: {name}_level\n"
            for name in ("warned_drift", "failed_drift")
        )
    )
    res = _dbt(consumer, "build", "--select", "shifted_drift_rows", "warned_drift", "failed_drift")
    statuses = {r.node.name: r.status for r in res.result.results}
    assert statuses["warned_drift_level"] == "warn"
    assert statuses["failed_drift_level"] == "fail"
    assert not res.success


def _add_model_with_test(
    project: Path, test: str, arguments: str, seed: str, extra_columns: str = ""
) -> None:
    (project / "models" / "argument_check.sql").write_text(
        f"select *{extra_columns} from {{{{ ref('{seed}') }}}}\n"
    )
    (project / "models" / "argument_check.yml").write_text(
        "version: 2\n"
        "models:\n"
        "  - name: argument_check\n"
        "    data_tests:\n"
        f"      - dbt_automl.{test}:\n"
        f"          arguments: {arguments}\n"
    )


@pytest.mark.parametrize(
    ("test", "arguments", "message"),
    [
        (
            "metric_threshold",
            "{metric: roc-auc, min_value: 0.5}",
            "dbt_automl.metric_threshold: `metric` must be a metric name of letters, digits "
            "and underscores (the test reads column test_<metric> of a trained-model table), "
            'got "roc-auc"',
        ),
        (
            "expect_model_metric_to_be_between",
            "{metric: roc_auc}",
            "dbt_automl.expect_model_metric_to_be_between: at least one of `min_value`, "
            "`max_value` is required, got neither",
        ),
        (
            "expect_model_metric_to_be_between",
            "{metric: r2, min_value: 0.9, max_value: 0.1}",
            "`min_value` must be <= `max_value`, got min_value=0.9 and max_value=0.1",
        ),
        (
            "metric_threshold",
            "{metric: f1, min_value: high}",
            'dbt_automl.metric_threshold: `min_value` must be a number, got "high"',
        ),
        (
            "expect_valid_predictions",
            "{key_columns: []}",
            "dbt_automl.expect_valid_predictions: `key_columns` must be a column name or a "
            "non-empty list of column names, got []",
        ),
        (
            "expect_valid_predictions",
            "{key_columns: customer_id, probability_tolerance: -1}",
            "`probability_tolerance` must be a number >= 0, got -1",
        ),
        (
            "expect_columns_not_null",
            "{columns: []}",
            "dbt_automl.expect_columns_not_null: `columns` must be a column name or a non-empty "
            "list of column names, got []",
        ),
        (
            "expect_columns_not_null",
            "{columns: [version, 3]}",
            'got ["version", 3]',
        ),
        (
            "expect_primary_key",
            "{columns: [version], not_null: {a: 1}}",
            "dbt_automl.expect_primary_key: `not_null` must be a column name or a non-empty "
            'list of column names, got {"a": 1}',
        ),
        (
            "expect_no_feature_drift",
            "{warn_psi: 0.3, error_psi: 0.2}",
            "dbt_automl.expect_no_feature_drift: `warn_psi` must be <= `error_psi`, got "
            "warn_psi=0.3 and error_psi=0.2",
        ),
        (
            "expect_no_feature_drift",
            "{max_unseen_share: -1, features: [amount]}",
            "dbt_automl.expect_no_feature_drift: `max_unseen_share` must be a number >= 0 (or "
            "null to skip the check), got -1",
        ),
    ],
)
def test_invalid_arguments_fail_at_parse_time(
    consumer: Path, test: str, arguments: str, message: str
) -> None:
    _add_model_with_test(consumer, test, arguments, seed="churn_model_versions")
    res = _dbt(consumer, "parse")
    assert not res.success
    assert message in _error_text(res)


def test_missing_key_column_fails_when_the_test_runs(consumer: Path) -> None:
    _add_model_with_test(
        consumer,
        "expect_valid_predictions",
        "{key_columns: [account_id]}",
        seed="binary_prediction_rows",
    )
    res = _dbt(consumer, "build", "--select", "binary_prediction_rows", "argument_check+")
    assert not res.success
    assert "dbt_automl.expect_valid_predictions: expected a column `account_id`" in _error_text(
        res
    )


def test_missing_metric_column_fails_when_the_test_runs(consumer: Path) -> None:
    _add_model_with_test(
        consumer,
        "expect_model_metric_to_be_between",
        "{metric: auc, min_value: 0.5}",
        seed="churn_model_versions",
    )
    res = _dbt(consumer, "build", "--select", "churn_model_versions", "argument_check+")
    assert not res.success
    error = _error_text(res)
    assert (
        "dbt_automl.expect_model_metric_to_be_between: expected a column `test_auc` in "
    ) in error
    assert 'for metric "auc", got columns model_name, version, is_current, task,' in error


def test_a_metric_unknown_to_the_package_works_when_its_column_exists(consumer: Path) -> None:
    # A new task brings new metrics: the test needs no edit, only the test_<metric> column.
    _add_model_with_test(
        consumer,
        "metric_threshold",
        "{metric: SMAPE, max_value: 0.2}",
        seed="house_price_model_versions",
        extra_columns=", 0.12 as test_smape",
    )
    res = _dbt(consumer, "build", "--select", "house_price_model_versions", "argument_check+")
    assert res.success, _error_text(res)
    statuses = {r.node.name: r.status for r in res.result.results}
    (smape_test,) = [name for name in statuses if name.startswith("dbt_automl_metric_threshold")]
    assert statuses[smape_test] == "pass"


# check_lake_sources: a consumer model reads a lake source through meta.external_location.


def _add_lake_source(project: Path, external_location: str, fix_hint: str = "") -> None:
    (project / "models" / "lake_transactions.sql").write_text(
        "select * from {{ source('lake', 'transactions') }}\n"
    )
    (project / "models" / "_lake__sources.yml").write_text(
        "version: 2\n"
        "sources:\n"
        "  - name: lake\n"
        "    meta:\n"
        f'      external_location: "{external_location}"\n'
        + (f'      lake_fix_hint: "{fix_hint}"\n' if fix_hint else "")
        + "    tables:\n"
        "      - name: transactions\n"
    )


def _write_partitions(lake: Path, months: list[str]) -> list[Path]:
    files = []
    with duckdb.connect() as conn:
        for month in months:
            folder = lake / "transactions" / f"month={month}"
            folder.mkdir(parents=True)
            files.append(folder / "part-0.parquet")
            conn.sql(
                "select range as transaction_id, range * 1.5 as amount from range(50)"
            ).write_parquet(str(files[-1]))
    return files


def _hive_location(lake: Path) -> str:
    # `{name}` is the table name, as dbt-duckdb formats it.
    return f"read_parquet('{lake}/{{name}}/*/*.parquet', hive_partitioning=true)"


def _glob_location(lake: Path) -> str:
    # Without a function call dbt-duckdb quotes the path and DuckDB picks the reader.
    return f"{lake}/{{name}}/*/*.parquet"


@pytest.mark.parametrize("location", [_hive_location, _glob_location])
def test_lake_check_passes_for_readable_parquet(
    consumer: Path, location: Callable[[Path], str]
) -> None:
    lake = consumer / "lake"
    _write_partitions(lake, ["2026-05", "2026-06"])
    _add_lake_source(consumer, location(lake))
    res = _dbt(consumer, "run", "--select", "lake_transactions")
    assert res.success, _error_text(res)


def test_lake_check_fails_for_a_missing_partition_folder(consumer: Path) -> None:
    lake = consumer / "lake"
    (lake / "transactions").mkdir(parents=True)
    _add_lake_source(consumer, _hive_location(lake))
    res = _dbt(consumer, "run", "--select", "lake_transactions")
    assert not res.success
    error = _error_text(res)
    assert (
        "dbt_automl: lake source lake.transactions cannot be read from "
        f"read_parquet('{lake}/transactions/*/*.parquet', hive_partitioning=true): "
        f"no file matches '{lake}/transactions/*/*.parquet'. "
        "Fix: check that the files exist at that location and are complete, "
        "or correct meta.external_location in models/_lake__sources.yml."
    ) in error
    # The demo's advice is for the demo's sources only.
    assert "make lake" not in error


def test_lake_check_gives_the_sources_own_fix_hint(consumer: Path) -> None:
    lake = consumer / "lake"
    (lake / "transactions").mkdir(parents=True)
    _add_lake_source(consumer, _hive_location(lake), fix_hint="rerun the nightly export job")
    res = _dbt(consumer, "run", "--select", "lake_transactions")
    assert not res.success
    assert (
        f"no file matches '{lake}/transactions/*/*.parquet'. "
        "Fix: rerun the nightly export job, "
        "or correct meta.external_location in models/_lake__sources.yml."
    ) in _error_text(res)


@pytest.mark.parametrize("location", [_hive_location, _glob_location])
def test_lake_check_fails_for_a_truncated_parquet_file(
    consumer: Path, location: Callable[[Path], str]
) -> None:
    lake = consumer / "lake"
    _, last = _write_partitions(lake, ["2026-05", "2026-06"])
    last.write_bytes(last.read_bytes()[:100])
    _add_lake_source(consumer, location(lake))
    res = _dbt(consumer, "run", "--select", "lake_transactions")
    assert not res.success
    error = _error_text(res)
    assert "dbt_automl: lake source lake.transactions cannot be read from " in error
    assert (
        "1 of 2 matched files cannot be read as Parquet (truncated or corrupt): "
        f"{last}. Fix: check that the files exist at that location and are complete"
    ) in error


def test_lake_check_reports_other_read_errors_with_the_query(consumer: Path) -> None:
    lake = consumer / "lake"
    (lake / "transactions").mkdir(parents=True)
    (lake / "transactions" / "2026-06.json").write_text('{"transaction_id": 1}\n{"transac')
    location = f"read_json('{lake}/{{name}}/*.json', format='newline_delimited')"
    _add_lake_source(consumer, location)
    res = _dbt(consumer, "run", "--select", "lake_transactions")
    assert not res.success
    assert (
        f"DuckDB failed on `select count(*) from read_json('{lake}/transactions/*.json', "
        "format='newline_delimited')` (DuckDB's error is in dbt's debug log, logs/dbt.log). "
        "Fix: check that the files exist"
    ) in _error_text(res)


def test_lake_check_can_be_skipped(consumer: Path) -> None:
    lake = consumer / "lake"
    (lake / "transactions").mkdir(parents=True)
    _add_lake_source(consumer, _hive_location(lake))
    res = _dbt(
        consumer,
        "run",
        "--select",
        "lake_transactions",
        "--vars",
        "{dbt_automl_check_lake: false}",
    )
    # The model itself now hits DuckDB's own error, without the hint.
    assert not res.success
    error = _error_text(res)
    assert "No files found that match the pattern" in error
    assert "dbt_automl: lake source" not in error
