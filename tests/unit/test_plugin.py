"""The SQL functions of the dbt-duckdb plugin, on a real DuckDB file with a real trained model.

The plugin's ``configure_connection`` is applied to a plain connection, as dbt-duckdb does to
every connection it opens; the python scoring model (``score``) is the reference.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import pytest

from dbt_automl import ConfigError, score, train
from dbt_automl.plugin import Plugin
from dbt_automl.registry import REGISTRY_ENV
from dbt_automl.scoring import Scorer, _sql
from tests.unit.dbt.test_train_and_score import _dbt, _settings, _store

# 6,000 rows: DuckDB hands the function ~2,048 rows a call, so several calls score them.
MANY_ROWS = """create table many as
    select f.* replace (f.customer_id + 1000 * r.range as customer_id)
    from features as f, range(10) as r"""


@pytest.fixture
def registry(con, churn_table, tmp_path) -> Path:
    """A registry holding churn_model v1, its trained-model table stored as churn_model."""
    path = tmp_path / "registry"
    _store(con, "churn_model", train(_dbt("churn_model"), con, churn_table, _settings(path)))
    return path


@pytest.fixture
def sql(con, registry) -> duckdb.DuckDBPyConnection:
    """The connection with the plugin applied (dbt-duckdb also passes the settings)."""
    config = {"registry_path": str(registry), "preserve_insertion_order": False}
    Plugin(name="plugin", plugin_config=config).configure_connection(con)
    return con


def _info(con: duckdb.DuckDBPyConnection, model: str = "churn_model") -> dict:
    return json.loads(con.sql(f"select dbt_automl_model_info('{model}')").fetchall()[0][0])


def _packed(features: list[str], alias: str = "f") -> str:
    """What the dbt_automl.predict macro writes: the features by name, in model order."""
    return "struct_pack(" + ", ".join(f'"{c}" := {alias}."{c}"' for c in features) + ")"


def _python_scores(con: duckdb.DuckDBPyConnection, rows: str, name: str) -> None:
    model = con.table("churn_model")
    _store(con, name, score(_dbt(name), con, model=model, rows=con.table(rows)))


def _probabilities(con: duckdb.DuckDBPyConnection, rows: str) -> list[float]:
    return [
        r[0]
        for r in con.sql(
            f"select dbt_automl_predict('churn_model', 'probability', f) from {rows} as f "
            "order by f.customer_id"
        ).fetchall()
    ]


def test_sql_functions_and_python_scoring_give_identical_predictions(sql) -> None:
    sql.execute(MANY_ROWS)
    _python_scores(sql, "many", "python_scores")
    packed = _packed(_info(sql)["features"])
    # Macro-style packing for two outputs, a whole row (extra fields ignored) for the map.
    sql.execute(
        f"""create table sql_scores as select
              f.customer_id,
              dbt_automl_predict('churn_model', 'probability', {packed}) as probability,
              cast(dbt_automl_predict_label('churn_model', {packed}) as boolean) as prediction,
              dbt_automl_predict_probabilities('churn_model', f) as probabilities
            from many as f"""
    )
    [(rows, max_diff, other_labels, other_maps, positives)] = sql.sql(
        """select count(*), max(abs(s.probability - p.probability)),
                  count(*) filter (s.prediction is distinct from p.prediction),
                  count(*) filter (s.probabilities is distinct from p.probabilities),
                  count(*) filter (s.prediction)
           from sql_scores as s inner join python_scores as p using (customer_id)"""
    ).fetchall()
    assert rows == 6000
    assert max_diff == 0.0
    assert other_labels == 0 and other_maps == 0
    assert 0 < positives < rows


def test_unknown_model_names_the_model_the_registry_and_the_fix(sql, registry) -> None:
    with pytest.raises(duckdb.Error) as err:
        sql.sql(
            "select dbt_automl_predict('fraud_modle', 'probability', f) from features f"
        ).fetchall()
    assert "RegistryError: dbt-automl: model fraud_modle: no model of that name" in str(err.value)
    assert f"registry {registry} (it holds churn_model)" in str(err.value)
    assert "Fix: check the name, or train it first (`dbt build --select fraud_modle`)" in str(
        err.value
    )
    assert _info(sql, "fraud_modle")["version"] is None


def test_wrong_number_of_features_names_the_missing_ones(sql) -> None:
    features = _info(sql)["features"]
    query = (
        f"select dbt_automl_predict('churn_model', 'probability', {_packed(features[:-1])}) "
        "from features as f"
    )
    with pytest.raises(duckdb.Error) as err:
        sql.sql(query).fetchall()
    n = len(features)
    assert (
        f"SchemaMismatchError: dbt-automl: model churn_model: dbt_automl_predict got a STRUCT "
        f"of {n - 1} fields without 1 of the {n} features of churn_model v1: "
        f"missing ['{features[-1]}']"
    ) in str(err.value)
    assert "Fix: pass every feature by its name" in str(err.value)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "select dbt_automl_predict('churn_model', 'probability', f.tenure_days) "
            "from features as f",
            "takes the 6 features of churn_model v1 as one STRUCT of named columns, got double",
        ),
        (
            "select dbt_automl_predict('churn_model', 'probability', f) "
            "from (select * replace (tier = 'gold' as tier) from features) as f",
            "column 'tier': was string (categorical) when model churn_model v1 was trained but "
            "is now bool. Fix: cast 'tier' back",
        ),
        (
            "select dbt_automl_predict('churn_model', 'prediction', f) from features as f",
            "dbt_automl_predict cannot return 'prediction' of model churn_model v1 (binary); "
            "of this model's outputs it returns probability. Fix: call "
            "{{ dbt_automl.predict('churn_model', output='prediction') }}",
        ),
        (
            "select dbt_automl_predict('churn_model', "
            "case when f.customer_id < 9 then 'probability' else 'x' end, f) from features as f",
            "`output` must be the same on every row, got 2 values",
        ),
    ],
)
def test_misuse_gets_a_clear_error(sql, query: str, expected: str) -> None:
    with pytest.raises(duckdb.Error) as err:
        sql.sql(query).fetchall()
    assert expected in str(err.value)


def test_null_features_are_scored_as_missing_like_the_python_model(sql) -> None:
    # Nulls in a number, a category and a date; the same rows through both paths.
    sql.execute(
        """create table holes as select * replace (
               case when customer_id % 2 = 0 then null else tenure_days end as tenure_days,
               case when customer_id % 3 = 0 then null else tier end as tier,
               null::timestamp as signup_at)
           from features"""
    )
    _python_scores(sql, "holes", "python_holes")
    [(rows, scored, max_diff)] = sql.sql(
        """select count(*), count(s.probability), max(abs(s.probability - p.probability))
           from (select f.customer_id,
                        dbt_automl_predict('churn_model', 'probability', f) as probability
                 from holes as f) as s
           inner join python_holes as p using (customer_id)"""
    ).fetchall()
    assert rows == scored == 600
    assert max_diff == 0.0
    # A NULL struct (e.g. no row on the outer side of a join) has nothing to score: NULL.
    [(nulls,)] = sql.sql(
        """select count(*) filter (p is null) from (
               select dbt_automl_predict('churn_model', 'probability',
                   case when f.customer_id = 1 then null else f end) as p
               from features as f)"""
    ).fetchall()
    assert nulls == 1


def test_a_new_version_is_picked_up_and_reported(
    sql, registry, monkeypatch, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("dbt_automl.tests.sql")
    monkeypatch.setattr(_sql, "get_logger", lambda: logger)
    caplog.set_level(logging.INFO, logger=logger.name)
    before = _probabilities(sql, "features")
    before_again = _probabilities(sql, "features")
    sql.execute("update features set spend_90d = spend_90d * 3 + 100 where customer_id % 2 = 0")
    # promotion: always, so that v2 serves whatever the judge would say of it.
    settings = _settings(registry, promotion="always")
    versions = train(_dbt("churn_model"), sql, sql.table("features"), settings)
    assert versions.column("version").to_pylist() == [1, 2]
    after = _probabilities(sql, "features")
    rows = sql.sql("select * from features order by customer_id").to_arrow_table()
    expected = Scorer.load(registry / "churn_model" / "v0002").raw(rows)[:, 1].tolist()
    assert after == expected and after != before == before_again
    used = [r.getMessage() for r in caplog.records if "SQL functions score with" in r.message]
    assert len(used) == 2  # once per version, not once per call
    assert "churn_model: SQL functions score with v1" in used[0]
    assert "churn_model: SQL functions score with v2" in used[1]
    assert _info(sql)["version"] == 2


def test_regression_and_multiclass_outputs_match_the_python_model(con, tmp_path) -> None:
    con.execute(
        """create table t as select range as id, (range % 7)::double as x,
                  ['a','b','c'][1 + (range % 3)::int] as cls,
                  (range % 7) * 2.0 + (range % 3) as y
           from range(300)"""
    )
    reg = {"registry_path": str(tmp_path / "r"), "max_trials": 4, "id_columns": ["id"]}
    models = {
        "reg": train(_dbt("reg"), con, con.table("t"), {"target": "y", **reg}),
        "multi": train(
            _dbt("multi"), con, con.sql("select * exclude (y) from t"), {"target": "cls", **reg}
        ),
    }
    Plugin(name="p", plugin_config={"registry_path": reg["registry_path"]}).configure_connection(
        con
    )
    for name, versions in models.items():
        model = _store(con, name, versions)
        _store(con, f"{name}_scores", score(_dbt(name), con, model=model, rows=con.table("t")))
    [(value_diff, other_labels, other_maps)] = con.sql(
        """select max(abs(dbt_automl_predict('reg', 'prediction', t) - r.prediction)),
                  count(*) filter (dbt_automl_predict_label('multi', t) != m.prediction),
                  count(*) filter (dbt_automl_predict_probabilities('multi', t) != m.probabilities)
           from t inner join reg_scores as r using (id) inner join multi_scores as m using (id)"""
    ).fetchall()
    assert value_diff == 0.0 and other_labels == 0 and other_maps == 0
    with pytest.raises(
        duckdb.Error, match=r"model reg v1 \(regression\) has no output 'probability'"
    ):
        con.sql("select dbt_automl_predict('reg', 'probability', t) from t").fetchall()


def test_registry_comes_from_the_environment_without_config(con, registry, monkeypatch) -> None:
    monkeypatch.setenv(REGISTRY_ENV, str(registry))
    Plugin(name="plugin", plugin_config={}).configure_connection(con)
    Plugin(name="plugin", plugin_config={}).configure_connection(con)  # again: replaced
    assert len(_probabilities(con, "features")) == 600


def test_plugin_refuses_a_registry_path_that_is_not_a_path() -> None:
    with pytest.raises(ConfigError, match=r"`registry_path` must be a path, got \['x'\].*Fix:"):
        Plugin(name="plugin", plugin_config={"registry_path": ["x"]})
