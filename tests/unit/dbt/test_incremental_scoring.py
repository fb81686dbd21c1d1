"""Incremental scoring and scores in the lake, on real DuckDB files, materialised the way
dbt-duckdb's table and incremental materializations do (delete+insert on the unique key)."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pytest

from dbt_automl import ConfigError, score, train
from dbt_automl.dbt import _glue
from tests.conftest import churn_like_frame

KEY = "customer_id"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One trained churn model, shared: each test's train() call reuses it (same data)."""
    path = tmp_path_factory.mktemp("registry")
    with duckdb.connect(str(path / "train.duckdb")) as con:
        _features(con)
        train(_dbt("churn_model"), con, con.table("features"), _settings(path))
    return path


def _settings(registry: Path) -> dict:
    return {
        "target": "is_churned",
        "max_trials": 4,
        "id_columns": [KEY],
        "registry_path": str(registry),
    }


def _dbt(name: str, is_incremental: bool = False) -> SimpleNamespace:
    return SimpleNamespace(this=f'"test"."main"."{name}"', is_incremental=is_incremental)


def _features(con: duckdb.DuckDBPyConnection) -> None:
    con.register("frame", churn_like_frame())
    con.execute("create table features as select * from frame")
    con.unregister("frame")


class ScoresModel:
    """The ``churn_scores`` python model, run as dbt-duckdb runs it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, registry: Path, lake: Path | None):
        self.con, self.lake = con, lake
        versions = train(_dbt("churn_model"), con, con.table("features"), _settings(registry))
        con.register("versions", versions)
        con.execute("create table churn_model as select * from versions")
        con.unregister("versions")

    def exists(self) -> bool:
        return bool(
            self.con.sql(
                "select * from duckdb_tables() where table_name = 'churn_scores'"
            ).fetchall()
        )

    def score(self, incremental: bool):  # noqa: ANN201 - what score() returns
        return score(
            _dbt("churn_scores", incremental),
            self.con,
            model=self.con.table("churn_model"),
            rows=self.con.table("features"),
            batch_size=128,
            lake_path=self.lake,
        )

    def run(self, full_refresh: bool = False) -> None:
        incremental = self.exists() and not full_refresh
        result = self.score(incremental)
        # A relation is written through the model's own cursor, anything else through a
        # second one (environments/__init__.py), into dbt's temp relation.
        cursor = self.con if isinstance(result, duckdb.DuckDBPyRelation) else self.con.cursor()
        cursor.register("incoming", result)
        cursor.execute("create or replace table churn_scores__dbt_tmp as select * from incoming")
        cursor.unregister("incoming")
        if incremental:  # duckdb__get_delete_insert_merge_sql with unique_key
            self.con.execute(
                f"""delete from churn_scores
                    where ({KEY}) in (select ({KEY}) from churn_scores__dbt_tmp);
                    insert into churn_scores by name select * from churn_scores__dbt_tmp"""
            )
        else:
            self.con.execute("create or replace table churn_scores as from churn_scores__dbt_tmp")
        self.con.execute("drop table churn_scores__dbt_tmp")

    def table(self) -> dict[int, tuple]:
        rows = self.con.sql(
            f"select {KEY}, probability, model_version, scored_at, feature_hash from churn_scores"
        ).fetchall()
        return {r[0]: r[1:] for r in rows}

    def lake_rows(self) -> dict[int, tuple]:
        rows = self.con.sql(
            f"""select {KEY}, probability, model_version, scored_at, feature_hash
                from read_parquet('{self.lake}/*/*.parquet', hive_partitioning = true)"""
        ).fetchall()
        keys = [r[0] for r in rows]
        assert len(keys) == len(set(keys)), "a key is in the lake twice"
        return {r[0]: r[1:] for r in rows}


@pytest.fixture
def model(con, registry) -> ScoresModel:
    _features(con)
    return ScoresModel(con, registry, lake=None)


@pytest.fixture
def lake_model(con, registry, tmp_path) -> ScoresModel:
    _features(con)
    return ScoresModel(con, registry, lake=tmp_path / "lake" / "scores" / "churn_scores")


def _scored_at(monkeypatch: pytest.MonkeyPatch, when: str) -> datetime:
    moment = datetime.fromisoformat(when)
    monkeypatch.setattr(_glue, "_now", lambda: moment)
    return moment


def test_an_unchanged_table_scores_nothing_again(model, monkeypatch, caplog) -> None:
    model.run()
    first = model.table()
    assert len(first) == 600 and all(h is not None for *_, h in first.values())
    _scored_at(monkeypatch, "2030-01-01 00:00:00")

    def no_load(path: Path) -> None:
        raise AssertionError(f"nothing to score, yet {path} was loaded")

    monkeypatch.setattr(_glue.Scorer, "load", no_load)
    with caplog.at_level(logging.INFO, logger="dbt_automl"):
        model.run()
    assert model.table() == first
    assert "scored 0 of 600 rows" in caplog.text and "skipped 600 unchanged" in caplog.text


def test_a_changed_row_is_rescored_alone_and_a_new_key_is_added(model, monkeypatch) -> None:
    model.run()
    before = model.table()
    when = _scored_at(monkeypatch, "2030-01-01 00:00:00")
    model.con.execute("update features set spend_90d = 1e6 where customer_id = 7")
    model.con.execute(
        "insert into features select * replace (601 as customer_id) from features "
        "where customer_id = 8"
    )
    model.run()
    after = model.table()
    assert sorted(k for k in after if after[k][2] == when) == [7, 601]
    assert after[7][3] != before[7][3]  # feature_hash follows the features
    assert {k: v for k, v in after.items() if k not in (7, 601)} == {
        k: v for k, v in before.items() if k != 7
    }


def test_a_key_gone_from_the_rows_leaves_the_table(model) -> None:
    model.run()
    model.con.execute("delete from features where customer_id in (3, 4)")
    model.run()
    assert set(model.table()) == set(range(1, 601)) - {3, 4}


def test_another_version_or_a_full_refresh_rescores_every_row(model, monkeypatch) -> None:
    model.run()
    # Rows the table says another version scored: as after a retrain.
    model.con.execute("update churn_scores set model_version = 0 where customer_id <= 10")
    when = _scored_at(monkeypatch, "2030-01-01 00:00:00")
    model.run()
    assert sorted(k for k, v in model.table().items() if v[2] == when) == list(range(1, 11))
    later = _scored_at(monkeypatch, "2030-01-02 00:00:00")
    model.run(full_refresh=True)
    assert {v[2] for v in model.table().values()} == {later}


def test_a_table_from_before_feature_hash_is_rescored_whole(model, caplog) -> None:
    model.run()
    model.con.execute("alter table churn_scores drop column feature_hash")
    with caplog.at_level(logging.WARNING, logger="dbt_automl"):
        result = model.score(incremental=True)
    assert "has no column(s) ['feature_hash']" in caplog.text
    assert "on_schema_change" in caplog.text and "--full-refresh" in caplog.text
    assert result.read_all().num_rows == 600


def test_tables_an_earlier_incremental_run_left_are_dropped(model) -> None:
    model.run()
    model.con.execute("create table churn_scores__dbt_tmp20260101000000123456 as select 1 as x")
    model.con.execute("create table other__dbt_tmp20260101000000123456 as select 1 as x")
    model.run()
    names = {r[0] for r in model.con.sql("select table_name from duckdb_tables()").fetchall()}
    assert "churn_scores__dbt_tmp20260101000000123456" not in names
    assert "other__dbt_tmp20260101000000123456" in names


# Scores in the lake ------------------------------------------------------------------------


def _partitions(lake: Path) -> dict[str, float]:
    return {str(p.relative_to(lake)): p.stat().st_mtime_ns for p in sorted(lake.glob("*/*"))}


def test_the_lake_holds_what_the_table_holds(lake_model, monkeypatch) -> None:
    _scored_at(monkeypatch, "2030-01-01 10:00:00")
    lake_model.run()
    assert _partitions(lake_model.lake).keys() == {"scored_date=2030-01-01/data_0.parquet"}
    assert lake_model.lake_rows() == lake_model.table()
    # Nothing changed: no file is rewritten.
    files = _partitions(lake_model.lake)
    _scored_at(monkeypatch, "2030-01-02 10:00:00")
    lake_model.run()
    assert _partitions(lake_model.lake) == files
    # A changed row moves to the new day's partition; a gone key leaves the lake.
    lake_model.con.execute("update features set tenure_days = 5 where customer_id = 7")
    lake_model.con.execute("delete from features where customer_id = 9")
    lake_model.run()
    assert set(_partitions(lake_model.lake)) == {
        "scored_date=2030-01-01/data_0.parquet",
        "scored_date=2030-01-02/data_0.parquet",
    }
    lake = lake_model.lake_rows()
    assert lake == lake_model.table() and 9 not in lake and len(lake) == 599
    assert lake[7][2] == datetime(2030, 1, 2, 10)
    # A full refresh leaves only the new day's partition.
    _scored_at(monkeypatch, "2030-01-03 10:00:00")
    lake_model.run(full_refresh=True)
    assert set(_partitions(lake_model.lake)) == {"scored_date=2030-01-03/data_0.parquet"}
    assert lake_model.lake_rows() == lake_model.table()


def test_an_interrupted_write_leaves_the_previous_files_and_a_rerun_adds_no_row_twice(
    lake_model, monkeypatch
) -> None:
    _scored_at(monkeypatch, "2030-01-01 10:00:00")
    lake_model.run()
    files = {p: p.read_bytes() for p in lake_model.lake.glob("*/*.parquet")}
    before = lake_model.lake_rows()
    lake_model.con.execute("update features set tenure_days = tenure_days + 1")  # every row
    _scored_at(monkeypatch, "2030-01-02 10:00:00")
    real = _glue.score_batches

    def dies_midway(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        for i, out in enumerate(real(*args, **kwargs)):
            if i == 2:  # 600 rows in batches of 128: the third of five fails
                raise OSError("disk full")
            yield out

    monkeypatch.setattr(_glue, "score_batches", dies_midway)
    with pytest.raises(OSError, match="disk full"):
        lake_model.run()
    assert {p: p.read_bytes() for p in lake_model.lake.glob("*/*.parquet")} == files
    assert lake_model.lake_rows() == before
    assert not list(lake_model.lake.parent.glob(".*staging*"))  # no staging left behind
    monkeypatch.setattr(_glue, "score_batches", real)
    lake_model.run()
    lake_model.run()
    lake = lake_model.lake_rows()  # asserts one row per key
    assert lake == lake_model.table() and len(lake) == 600
    assert {v[2] for v in lake.values()} == {datetime(2030, 1, 2, 10)}


def test_a_lake_a_run_ahead_of_the_table_is_put_right(lake_model, monkeypatch) -> None:
    _scored_at(monkeypatch, "2030-01-01 10:00:00")
    lake_model.run()
    lake_model.con.execute("update features set tenure_days = 5 where customer_id = 7")
    _scored_at(monkeypatch, "2030-01-02 10:00:00")
    # The model wrote the lake, then dbt failed before merging the table.
    assert lake_model.score(incremental=True).fetchall()
    assert 7 in lake_model.lake_rows() and lake_model.lake_rows() != lake_model.table()
    _scored_at(monkeypatch, "2030-01-03 10:00:00")
    lake_model.run()
    lake = lake_model.lake_rows()  # asserts one row per key
    assert lake == lake_model.table() and lake[7][2] == datetime(2030, 1, 3, 10)
    assert not (lake_model.lake / "scored_date=2030-01-02").exists()


def test_a_lake_added_to_an_existing_table_gets_every_row(model, tmp_path) -> None:
    model.run()
    model.lake = tmp_path / "late" / "churn_scores"
    model.run()
    assert model.lake_rows() == model.table()


def test_an_object_store_lake_path_is_refused(model) -> None:
    model.lake = "s3://bucket/scores"  # type: ignore[assignment]
    with pytest.raises(ConfigError, match="lake_path must be a local directory"):
        model.run()


def test_scores_without_a_lake_stream(model) -> None:
    result = score(
        _dbt("s"),
        model.con,
        model=model.con.table("churn_model"),
        rows=model.con.table("features"),
    )
    assert isinstance(result, pa.RecordBatchReader)
    assert result.schema.names[-1] == "feature_hash"
