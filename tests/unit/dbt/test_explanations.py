"""Explanations: the evaluation table of a version, and per-row contributions in the
scores table (through score(), incremental and into the lake), on real fitted models."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from dbt_automl import ConfigError, evaluation, score, train
from dbt_automl.dbt._evaluation import EXPECTED, evaluation_rows
from dbt_automl.preprocess import FeatureSchema
from dbt_automl.registry import METADATA_FILE, read_metadata
from dbt_automl.scoring import Explainer
from dbt_automl.scoring._explain import owners
from tests.conftest import churn_like_frame

LOG = logging.getLogger("dbt_automl.tests")
# One family and one trial each: a single member, so contributions must add up exactly.
MODELS = {
    "lgbm_model": {"target": "is_churned", "families": ["lightgbm"]},
    "linear_model": {"target": "is_churned", "families": ["linear"]},
    "forest_model": {"target": "tenure_days", "families": ["random_forest"]},
    "tier_model": {"target": "tier", "families": ["lightgbm"]},
}


def _dbt(name: str, is_incremental: bool = False) -> SimpleNamespace:
    return SimpleNamespace(this=f'"warehouse"."main"."{name}"', is_incremental=is_incremental)


def _settings(name: str, registry: Path) -> dict:
    return {
        **MODELS[name],
        "max_trials": 1,
        "time_budget_s": 5,
        "id_columns": ["customer_id"],
        "registry_path": str(registry),
    }


def _store(con: duckdb.DuckDBPyConnection, name: str, data: object) -> duckdb.DuckDBPyRelation:
    cursor = con.cursor()  # a stream is written through its own cursor, as dbt-duckdb does
    cursor.register("incoming", data)
    cursor.execute(f"create or replace table {name} as select * from incoming")
    cursor.unregister("incoming")
    cursor.close()
    return con.table(name)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The three models trained once into a registry, their tables in a DuckDB file."""
    root = tmp_path_factory.mktemp("explain")
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        con.register("frame", churn_like_frame())
        con.execute("create table features as select * from frame")
        for name in MODELS:
            versions = train(_dbt(name), con, con.table("features"), _settings(name, root))
            _store(con, name, versions)
    return root, root / "warehouse.duckdb"


@pytest.fixture
def con(warehouse: tuple[Path, Path]) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(warehouse[1]))
    yield connection
    connection.close()


def _explainer(root: Path, name: str) -> tuple[Explainer, pa.Table]:
    explainer = Explainer.load(root / name / "v0001", 3, LOG)
    return explainer, pa.Table.from_pandas(churn_like_frame(), preserve_index=False)


@pytest.mark.parametrize("name", ["lgbm_model", "linear_model"])
def test_contributions_and_baseline_add_up_to_the_log_odds(warehouse, name) -> None:
    explainer, table = _explainer(warehouse[0], name)
    raw = explainer.arrow.predict_raw_arrow(table)
    total, baseline = explainer.contributions(table, raw)
    log_odds = np.log(raw[:, 1]) - np.log(raw[:, 0])
    np.testing.assert_allclose(baseline + total.sum(axis=1), log_odds, atol=1e-6)
    # One column per input column: the encoded ones (one-hot levels, missing flags, date
    # parts) were summed back, and every input column moves some row.
    assert total.shape[1] == len(explainer.columns) < len(owners(explainer.arrow.transforms[0]))
    assert (np.abs(total) > 1e-9).any(axis=0).sum() >= len(explainer.columns) - 1


def test_a_family_without_native_contributions_adds_up_to_its_value(warehouse) -> None:
    explainer, table = _explainer(warehouse[0], "forest_model")
    raw = explainer.arrow.predict_raw_arrow(table)
    total, baseline = explainer.contributions(table, raw)
    np.testing.assert_allclose(baseline + total.sum(axis=1), raw, atol=1e-6)
    assert np.ptp(baseline) == 0  # the same reference row for every row


def test_multiclass_contributions_explain_each_class_score_up_to_the_softmax(warehouse) -> None:
    explainer, table = _explainer(warehouse[0], "tier_model")
    raw = explainer.arrow.predict_raw_arrow(table)
    scores = []
    for k in range(raw.shape[1]):  # raw one-hot on class k: class k's score is explained
        total, baseline = explainer.contributions(table, np.eye(raw.shape[1])[[k] * len(raw)])
        scores.append(baseline + total.sum(axis=1))
    # log p_k - score_k is the same for every class of a row: the softmax's normaliser.
    gaps = np.log(raw) - np.column_stack(scores)
    np.testing.assert_allclose(gaps - gaps[:, :1], 0.0, atol=1e-6)


def test_the_top_columns_are_the_largest_contributions_in_order(warehouse) -> None:
    explainer, table = _explainer(warehouse[0], "lgbm_model")
    arrays = explainer.arrays(table.to_batches()[0], explainer.arrow.predict_raw_arrow(table))
    top = np.abs(np.column_stack([arrays[2].to_numpy(), arrays[4].to_numpy(), arrays[6]]))
    assert (top[:, 0] >= top[:, 1]).all() and (top[:, 1] >= top[:, 2]).all()
    names = FeatureSchema.from_dict(
        read_metadata(warehouse[0] / "lgbm_model" / "v0001" / METADATA_FILE)["features"]
    ).names()
    assert set(arrays[1].to_pylist()) <= set(names)


class ScoresModel:
    """lgbm_scores as dbt-duckdb runs an incremental python model (delete+insert)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, lake: Path | None = None) -> None:
        self.con, self.lake = con, lake

    def run(self, explain: int | None, incremental: bool) -> None:
        result = score(
            _dbt("lgbm_scores", incremental),
            self.con,
            model=self.con.table("lgbm_model"),
            rows=self.con.table("features"),
            batch_size=256,
            lake_path=self.lake,
            explain=explain,
        )
        if isinstance(result, duckdb.DuckDBPyRelation):
            result = result.to_arrow_table()
        if not incremental:
            _store(self.con, "lgbm_scores", result)
            return
        _store(self.con, "lgbm_scores__new", result)
        for column in self.con.table("lgbm_scores__new").columns:  # on_schema_change
            if column not in self.con.table("lgbm_scores").columns:
                kind = self.con.sql(f"select typeof({column}) from lgbm_scores__new limit 1")
                self.con.execute(
                    f"alter table lgbm_scores add column {column} {kind.fetchall()[0][0]}"
                )
        self.con.execute(
            """delete from lgbm_scores
               where customer_id in (select customer_id from lgbm_scores__new);
               insert into lgbm_scores by name select * from lgbm_scores__new;
               drop table lgbm_scores__new"""
        )


def test_switching_explain_on_rescores_every_row_with_its_contributions(con, caplog) -> None:
    scores = ScoresModel(con)
    scores.run(explain=None, incremental=False)
    assert "top_feature_1" not in con.table("lgbm_scores").columns
    with caplog.at_level(logging.INFO, logger="dbt_automl"):
        scores.run(explain=3, incremental=True)
    assert "has no column(s) ['contribution_baseline'" in caplog.text
    [(rows, filled, rest, unexplained)] = con.sql(
        """with gaps as (
               select ln(probability / (1 - probability)) - contribution_baseline as gap,
                      top_contribution_1 + top_contribution_2 + top_contribution_3 as top3,
                      top_feature_3
               from lgbm_scores
           )
           select count(*), count(top_feature_3), avg(abs(gap - top3)), avg(abs(gap))
           from gaps"""
    ).fetchall()
    assert rows == filled == 600
    assert rest < 0.5 * unexplained  # three of six columns take most of the way
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="dbt_automl"):
        scores.run(explain=3, incremental=True)
    assert "scored 0 of 600 rows" in caplog.text  # explained rows are not rescored


def test_explanations_land_in_the_scores_lake(con, tmp_path) -> None:
    lake = tmp_path / "scores" / "lgbm_scores"
    ScoresModel(con, lake).run(explain=2, incremental=False)
    [(rows, named)] = con.sql(
        f"""select count(*), count(top_feature_2) from read_parquet('{lake}/*/*.parquet')"""
    ).fetchall()
    assert rows == named == 600


@pytest.mark.parametrize("bad", [-1, "3", True, 99])
def test_explain_must_be_a_small_whole_number(con, bad) -> None:
    with pytest.raises(ConfigError, match="explain") as error:
        ScoresModel(con).run(explain=bad, incremental=False)
    assert "lgbm_scores" in str(error.value)


def test_the_evaluation_table_holds_every_curve_of_the_current_version(con) -> None:
    table = evaluation(_dbt("lgbm_model_evaluation"), con, con.table("lgbm_model"))
    _store(con, "lgbm_eval", table)
    curves = {r[0] for r in con.sql("select distinct curve from lgbm_eval").fetchall()}
    assert curves == {*EXPECTED["binary"], "importance"}
    [(cells, test_rows)] = con.sql(
        """select sum(count), (select test_rows from lgbm_model where is_current)
           from lgbm_eval where curve = 'confusion_matrix'"""
    ).fetchall()
    assert cells == test_rows > 0
    [(outside,)] = con.sql(
        """select count(*) from lgbm_eval where curve in ('roc', 'pr')
           and not (x between 0 and 1 and y between 0 and 1)"""
    ).fetchall()
    assert outside == 0


def test_a_regression_evaluation_has_residuals_by_decile(con) -> None:
    table = evaluation(_dbt("forest_model_evaluation"), con, con.table("forest_model"))
    deciles = [r for r in table.to_pylist() if r["curve"] == "residuals_by_decile"]
    assert [r["point"] for r in deciles] == list(range(1, 11))
    assert {r["curve"] for r in table.to_pylist()} == {*EXPECTED["regression"], "importance"}


def test_a_version_from_before_the_curves_says_what_is_missing(warehouse) -> None:
    meta = read_metadata(warehouse[0] / "lgbm_model" / "v0001" / METADATA_FILE)
    for key in ("roc_curve", "pr_curve", "confusion_matrix", "prediction_distribution"):
        del meta["decisions"][key]
    rows, missing = evaluation_rows(meta)
    assert missing == ["confusion_matrix", "roc", "pr", "prediction_distribution"]
    assert {r["curve"] for r in rows} == {"calibration", "importance"}
