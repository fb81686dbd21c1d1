"""Branch sales in the demo lake: the contract, the planted signal and the planted mess."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from dbt_automl.demo import SCALES, LakeSummary
from dbt_automl.demo._holidays import bank_holidays, easter_sunday, holidays_csv
from dbt_automl.demo._sales import PRODUCT_LINES, product_lines

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def sales(lake: LakeSummary) -> duckdb.DuckDBPyConnection:
    """Tables ``sales``, ``promotions`` (the files as DuckDB reads them), ``holidays`` and
    ``workdays`` (sales on weekdays that are not bank holidays), read once."""
    con = duckdb.connect()
    con.execute(f"create table sales as select * from read_csv('{lake.branch_sales_dir}/*.csv')")
    con.execute(f"create table promotions as select * from read_csv('{lake.promotions_csv}')")
    holidays = ", ".join(f"date '{day}'" for day, _ in bank_holidays())
    con.execute(f"create table holidays as select unnest([{holidays}]) as holiday_date")
    con.execute(
        "create table workdays as select * from sales where isodow(sale_date) < 6 "
        "and sale_date not in (select holiday_date from holidays)"
    )
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    """The single row ``sql`` returns."""
    [row] = con.sql(sql).fetchall()
    return row


def test_files_and_types_match_the_contract(
    lake: LakeSummary, sales: duckdb.DuckDBPyConnection
) -> None:
    assert sorted(p.name for p in lake.branch_sales_dir.iterdir()) == [
        f"branch_sales_{year}.csv" for year in (2024, 2025, 2026)
    ]
    expected = {
        "sales": "sale_date DATE, branch_id VARCHAR, product_line VARCHAR, units BIGINT",
        "promotions": "promotion_id VARCHAR, product_line VARCHAR, branch_id VARCHAR, "
        "start_date DATE, end_date DATE, discount_pct BIGINT",
    }
    for view, columns in expected.items():
        rel = sales.sql(f"select * from {view}")
        assert ", ".join(f"{c} {t}" for c, t in zip(rel.columns, rel.types, strict=True)) == (
            columns
        )


def test_counts_match_the_summary(lake: LakeSummary, sales: duckdb.DuckDBPyConnection) -> None:
    rows, series, branches, first, last, negative = one(
        sales,
        "select count(*), count(distinct (branch_id, product_line)), count(distinct branch_id), "
        "min(sale_date), max(sale_date), count(*) filter (where units < 0) from sales",
    )
    [(promotions,)] = sales.sql("select count(*) from promotions").fetchall()
    assert (rows, series, branches, promotions) == (
        lake.branch_sales_rows,
        lake.branch_sales_series,
        lake.branches,
        lake.promotions,
    )
    assert (series, branches) == (9, 3)
    assert (first, last, negative) == (date(2024, 1, 1), date(2026, 6, 30), 0)
    products = sales.sql("select distinct product_line from sales order by 1").fetchall()
    assert [p for (p,) in products] == ["cards", "insurance", "mortgages"]


def test_sunday_is_online_only_and_saturday_is_lower(sales: duckdb.DuckDBPyConnection) -> None:
    weekday, saturday, sunday = one(
        sales,
        "select avg(units) filter (where isodow(sale_date) < 6), "
        "avg(units) filter (where isodow(sale_date) = 6), "
        "avg(units) filter (where isodow(sale_date) = 7) "
        "from sales where sale_date not in (select holiday_date from holidays)",
    )
    assert sunday < 0.25 * weekday
    assert sunday < saturday < 0.75 * weekday


def test_branches_are_closed_on_bank_holidays(sales: duckdb.DuckDBPyConnection) -> None:
    holiday, workday, days = one(
        sales,
        "select avg(units) filter (where is_holiday), "
        "avg(units) filter (where isodow(sale_date) < 6), "
        "count(distinct sale_date) filter (where is_holiday) from (select *, sale_date in "
        "(select holiday_date from holidays) as is_holiday from sales)",
    )
    assert days == 21  # 8 a year in 2024 and 2025, 5 by the end of June 2026
    assert holiday < 0.1 * workday


def test_late_branch_discontinued_series_and_outage(sales: duckdb.DuckDBPyConnection) -> None:
    spans = {
        (branch, product): (first, last)
        for branch, product, first, last in sales.sql(
            "select branch_id, product_line, min(sale_date), max(sale_date) "
            "from sales group by all"
        ).fetchall()
    }
    assert {first for (branch, _), (first, _) in spans.items() if branch == "BR03"} == {
        date(2025, 3, 1)
    }
    assert spans["BR01", "insurance"][1] == date(2026, 3, 31)
    ended_early = [key for key, (_, last) in spans.items() if last < date(2026, 6, 30)]
    assert ended_early == [("BR01", "insurance")]
    [(outage_rows,)] = sales.sql(
        "select count(*) from sales where branch_id = 'BR02' "
        "and sale_date between '2025-08-11' and '2025-08-17'"
    ).fetchall()
    assert outage_rows == 0


def test_some_branch_days_are_missing(sales: duckdb.DuckDBPyConnection) -> None:
    # Branch-days expected: BR01 and BR02 from 2024-01-01, BR03 from 2025-03-01, less the
    # outage week; ~1% of the rest is missing.
    [(present,)] = sales.sql("select count(distinct (branch_id, sale_date)) from sales").fetchall()
    expected = 2 * 912 + 487 - 7
    assert 0.003 < 1 - present / expected < 0.02


def test_some_rows_are_exported_twice_as_identical_lines(
    lake: LakeSummary, sales: duckdb.DuckDBPyConnection
) -> None:
    rows, lines, keys = one(
        sales,
        "select count(*), (select count(*) from (select distinct * from sales)), "
        "count(distinct (branch_id, product_line, sale_date)) from sales",
    )
    assert lines == keys  # copies are identical, never a conflicting count
    assert 0.001 < (rows - keys) / rows < 0.006


def test_mortgages_drop_after_the_rate_change(sales: duckdb.DuckDBPyConnection) -> None:
    # Same months a year apart (October to June), so the season cancels out.
    before, after = one(
        sales,
        "select avg(units) filter (where sale_date between '2024-10-01' and '2025-06-30'), "
        "avg(units) filter (where sale_date >= '2025-10-01') "
        "from workdays where product_line = 'mortgages' and branch_id != 'BR03'",
    )
    assert after < 0.7 * before


@pytest.mark.parametrize(
    ("product", "peak_months", "other_months"),
    [
        ("cards", "11, 12", "1, 2, 3, 4, 5, 6, 7, 8, 9, 10"),
        ("mortgages", "5, 6, 7", "11, 12, 1, 2"),
        ("insurance", "1", "6, 7, 8, 9, 10"),
    ],
)
def test_yearly_seasons(
    sales: duckdb.DuckDBPyConnection, product: str, peak_months: str, other_months: str
) -> None:
    peak, other = one(
        sales,
        f"select avg(units) filter (where month(sale_date) in ({peak_months})), "
        f"avg(units) filter (where month(sale_date) in ({other_months})) "
        f"from workdays where product_line = '{product}' and sale_date < '2025-10-01'",
    )
    assert peak > 1.2 * other


def test_promotions_lift_sales_and_reach_past_as_of(sales: duckdb.DuckDBPyConnection) -> None:
    promoted, plain = one(
        sales,
        "with days as (select w.units, exists (select 1 from promotions p "
        "where p.product_line = w.product_line and coalesce(p.branch_id, w.branch_id) = "
        "w.branch_id and w.sale_date between p.start_date and p.end_date) as promoted "
        "from workdays w) "
        "select avg(units) filter (where promoted), avg(units) filter (where not promoted) "
        "from days",
    )
    assert promoted > 1.15 * plain
    planned = sales.sql(
        "select product_line, max(start_date) from promotions where branch_id is null "
        "group by all order by 1"
    ).fetchall()
    assert [p for p, _ in planned] == ["cards", "insurance", "mortgages"]
    assert all(date(2026, 6, 30) < start <= date(2026, 8, 25) for _, start in planned)
    bounds = one(
        sales, "select min(discount_pct), max(discount_pct), min(start_date) from promotions"
    )
    assert bounds[0] >= 5 and bounds[1] <= 25 and bounds[2] >= date(2024, 1, 1)


def test_scales_set_the_number_of_series() -> None:
    counts = {name: (s.branches, s.product_lines) for name, s in SCALES.items()}
    assert counts == {"tiny": (3, 3), "small": (6, 5), "default": (12, 5), "large": (40, 5)}
    assert product_lines(5) == PRODUCT_LINES


def test_the_holiday_seed_is_the_generators_definition() -> None:
    seed = REPO_ROOT / "seeds" / "bank_holidays.csv"
    assert seed.read_text() == holidays_csv(), (
        "seeds/bank_holidays.csv differs from dbt_automl.demo._holidays: regenerate it with "
        "`.venv/bin/python -m dbt_automl.demo._holidays > seeds/bank_holidays.csv`"
    )


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2024, 3, 29), "Good Friday"),
        (date(2025, 4, 21), "Easter Monday"),
        (date(2026, 5, 4), "Early May bank holiday"),
        (date(2026, 8, 31), "Summer bank holiday"),
        (date(2026, 12, 28), "Boxing Day (substitute day)"),
        (date(2027, 5, 31), "Spring bank holiday"),
        (date(2027, 12, 27), "Christmas Day (substitute day)"),
        (date(2027, 12, 28), "Boxing Day (substitute day)"),
    ],
)
def test_holiday_dates(day: date, name: str) -> None:
    assert (day, name) in bank_holidays()


def test_substitute_days_follow_the_weekend_rules() -> None:
    # 2022: Christmas on a Sunday -> Tuesday 27th, Boxing Day keeps Monday 26th.
    # 2022-01-01 (Saturday) and 2023-01-01 (Sunday) -> the next Monday.
    days = dict(bank_holidays(2021, 2023))
    assert days[date(2022, 12, 26)] == "Boxing Day"
    assert days[date(2022, 12, 27)] == "Christmas Day (substitute day)"
    assert days[date(2022, 1, 3)] == days[date(2023, 1, 2)] == "New Year's Day (substitute day)"
    assert [easter_sunday(y) for y in (2024, 2027, 2038)] == [
        date(2024, 3, 31),
        date(2027, 3, 28),
        date(2038, 4, 25),
    ]
    assert len(bank_holidays()) == 32
