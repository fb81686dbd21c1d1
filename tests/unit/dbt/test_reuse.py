"""Output tables are kept when the serving version and the input rows are unchanged."""

from __future__ import annotations

from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pytest

from dbt_automl.dbt._reuse import SOURCE_COLUMN, reuse_or_build


@pytest.fixture
def parts(con: duckdb.DuckDBPyConnection):
    con.execute(
        "create table m as select 'seg_model' as model_name, 1 as version, 'abc' as sha256, "
        "true as is_current"
    )
    con.execute("create table rows_in as select range as id, range * 2.5 as x from range(100)")
    return con.table("m"), con.table("rows_in")


def _run(con, model, rows, calls: list[int]):
    dbt = SimpleNamespace(this='"test"."main"."out"')  # the file test.duckdb

    def build() -> pa.Table:
        calls.append(1)
        return pa.table({"id": pa.array([1, 2]), "value": pa.array([0.5, 0.7])})

    result = reuse_or_build(dbt, con, model, [rows], {"n": 2}, build)
    table = result if isinstance(result, pa.Table) else result.to_arrow_table()
    cursor = con.cursor()
    cursor.register("incoming", table)
    cursor.execute("create or replace table out as select * from incoming")
    cursor.close()
    return table


def test_unchanged_inputs_keep_the_table_and_changes_rebuild_it(con, parts, monkeypatch):
    model, rows = parts
    calls: list[int] = []
    first = _run(con, model, rows, calls)
    assert SOURCE_COLUMN in first.column_names and len(calls) == 1
    again = _run(con, model, rows, calls)
    assert len(calls) == 1 and again.equals(first)  # read back as it was, not rebuilt
    con.execute("update rows_in set x = x + 1 where id = 7")
    _run(con, model, rows, calls)
    assert len(calls) == 2  # one changed input row
    con.execute("update m set version = 2, sha256 = 'def'")
    _run(con, model, rows, calls)
    assert len(calls) == 3  # another version serves
    monkeypatch.setenv("DBT_AUTOML_RETRAIN", "1")
    _run(con, model, rows, calls)
    assert len(calls) == 4  # forced
