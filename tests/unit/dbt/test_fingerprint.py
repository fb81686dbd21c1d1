"""The data fingerprint: the same for the same data however DuckDB orders or sums it."""

from __future__ import annotations

import duckdb

from dbt_automl.dbt import fingerprint


def _table(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    con.execute(
        """create table t as
           select range as id, 'c' || (range % 7) as category, range % 3 = 0 as flag,
                  timestamp '2026-01-01' + to_seconds(range) as event_at,
                  (range * 0.1) / 3.0 as amount, cast(range as float) / 7 as ratio
           from range(5000)"""
    )
    return con.table("t")


def test_row_order_and_summation_noise_do_not_change_it(con) -> None:
    count, digest = fingerprint(_table(con))
    assert count == 5000
    shuffled = con.sql("select * from t order by hash(id, 42)")
    assert fingerprint(shuffled) == (count, digest)
    # One unit in the last place of every non-zero double: what summing in another order
    # gives. (Zero is exact; noise around it is a limit of any rounding, see _relations.)
    nudged = con.sql(
        "select * replace (case when amount = 0 then 0 else nextafter(amount, 1e300) end "
        "as amount) from t"
    )
    assert fingerprint(nudged) == (count, digest)
    signed_zero = con.sql(
        "select * replace (case when id = 0 then -0.0 else amount end as amount) from t"
    )
    assert fingerprint(signed_zero) == (count, digest)


def test_one_changed_value_changes_it(con) -> None:
    _, digest = fingerprint(_table(con))
    changes = [
        "amount * (1 + 1e-7) as amount",
        "category || 'x' as category",
        "not flag as flag",
        "event_at + interval 1 second as event_at",
    ]
    for change in changes:
        column = change.split(" as ")[-1]
        changed = con.sql(
            f"select * replace (case when id = 17 then {change.split(' as ')[0]} "
            f"else {column} end as {column}) from t"
        )
        assert fingerprint(changed)[1] != digest, change
    assert fingerprint(con.sql("select * from t where id > 0"))[1] != digest
