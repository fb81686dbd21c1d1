"""The demo lake: contract layout, planted mess and signal, determinism, atomic writes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from dbt_automl import DbtAutomlError
from dbt_automl.cli import main
from dbt_automl.demo import LakeSummary, generate_lake, resolve_scale
from dbt_automl.demo import _lake as demo_lake

CUSTOMERS = "read_csv('{lake}/customers/customers.csv')"
TRANSACTIONS = "read_parquet('{lake}/transactions/*/*.parquet', hive_partitioning=true)"
APP_EVENTS = "read_json('{lake}/app_events/*.json', format='newline_delimited')"


def data_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` except the marker (it holds generated_at)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "_SUCCESS.json"
    }


def query(sql: str, lake: LakeSummary) -> list[tuple]:
    """Run ``sql`` with ``{customers}``, ``{transactions}``, ``{app_events}`` as sources."""
    sources = {
        "customers": CUSTOMERS.format(lake=lake.root),
        "transactions": TRANSACTIONS.format(lake=lake.root),
        "app_events": APP_EVENTS.format(lake=lake.root),
    }
    return duckdb.sql(sql.format(**sources)).fetchall()


def test_layout_matches_the_contract(lake: LakeSummary) -> None:
    months = [f"2025-{m:02d}" for m in range(7, 13)] + [f"2026-{m:02d}" for m in range(1, 7)]
    assert lake.customers_csv.is_file()
    assert [p.name for p in sorted(lake.transactions_dir.iterdir())] == [
        f"month={m}" for m in months
    ]
    assert all((lake.transactions_dir / f"month={m}" / "part-0.parquet").is_file() for m in months)
    assert sorted(p.name for p in lake.app_events_dir.iterdir()) == [
        f"app_events_{m}.json" for m in months
    ]
    marker = json.loads((lake.root / "_SUCCESS.json").read_text())
    assert {"scale", "seed", "counts", "as_of", "generated_at"} <= set(marker)
    assert marker["as_of"] == "2026-06-30"
    assert marker["counts"] == lake.counts()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            CUSTOMERS,
            "customer_id BIGINT, signup_date DATE, birth_year BIGINT, region VARCHAR, "
            "tier VARCHAR, annual_income DOUBLE, product_count BIGINT, "
            "has_credit_card VARCHAR, complaint_count BIGINT, churned BOOLEAN, "
            "updated_at TIMESTAMP",
        ),
        (
            TRANSACTIONS,
            "transaction_id VARCHAR, customer_id BIGINT, transaction_at TIMESTAMP, "
            "ingested_at TIMESTAMP, amount DOUBLE, merchant_id VARCHAR, "
            "merchant_category VARCHAR, channel VARCHAR, country VARCHAR, is_fraud BOOLEAN, "
            "month VARCHAR",
        ),
        (
            APP_EVENTS,
            "event_id VARCHAR, customer_id BIGINT, event_type VARCHAR, event_at TIMESTAMP, "
            "device VARCHAR, session_seconds BIGINT, "
            "context STRUCT(app_version VARCHAR, os_version VARCHAR)",
        ),
    ],
    ids=["customers", "transactions", "app_events"],
)
def test_duckdb_infers_the_documented_types(lake: LakeSummary, source: str, expected: str) -> None:
    rel = duckdb.sql(f"select * from {source.format(lake=lake.root)}")
    assert ", ".join(f"{c} {t}" for c, t in zip(rel.columns, rel.types, strict=True)) == expected


def test_counts_match_the_files(lake: LakeSummary) -> None:
    [(customer_rows, customers)] = query(
        "select count(*), count(distinct customer_id) from {customers}", lake
    )
    [(tx_rows, tx, fraud)] = query(
        "select count(*), count(distinct transaction_id), "
        "count(distinct transaction_id) filter (where is_fraud) from {transactions}",
        lake,
    )
    [(events,)] = query("select count(*) from {app_events}", lake)
    assert (customer_rows, customers) == (lake.customer_rows, lake.customers)
    assert (tx_rows, tx, fraud) == (
        lake.transaction_rows,
        lake.transactions,
        lake.fraud_transactions,
    )
    assert events == lake.app_events
    assert 500 <= customers <= 700 and 15_000 <= tx <= 25_000


def test_label_rates_are_realistic(lake: LakeSummary) -> None:
    [(churn_rate,)] = query(
        "select avg(churned::int) from (select distinct customer_id, churned from {customers})",
        lake,
    )
    [(fraud_rate,)] = query(
        "select avg(is_fraud::int) from (select distinct transaction_id, is_fraud "
        "from {transactions})",
        lake,
    )
    assert 0.10 <= churn_rate <= 0.20
    assert 0.005 <= fraud_rate <= 0.02


def test_duplicates_and_late_rows_are_present(lake: LakeSummary) -> None:
    [(dup_customers, newer)] = query(
        "select count(*), count(*) filter (where n = 2 and last_at > first_at) from ("
        "select customer_id, count(*) n, min(updated_at) first_at, max(updated_at) last_at "
        "from {customers} group by 1 having count(*) > 1)",
        lake,
    )
    [(dup_tx,)] = query(
        "select count(*) from (select transaction_id from {transactions} "
        "group by 1 having count(*) > 1)",
        lake,
    )
    [(later_partition, early_ingest)] = query(
        "select count(*) filter (where month > strftime(transaction_at, '%Y-%m')), "
        "count(*) filter (where ingested_at < transaction_at) from {transactions}",
        lake,
    )
    assert dup_customers > 0 and newer == dup_customers
    assert dup_tx > 0
    assert later_partition > 0 and early_ingest == 0


def test_messy_values_are_present(lake: LakeSummary) -> None:
    raw = f"read_csv('{lake.customers_csv}', all_varchar=true)"
    [(regions, tiers, flags, labels)] = duckdb.sql(
        f"select list(distinct region), list(distinct tier), list(distinct has_credit_card), "
        f"list(distinct churned) from {raw}"
    ).fetchall()
    [(categories, countries)] = query(
        "select list(distinct merchant_category), list(distinct country) from {transactions}",
        lake,
    )
    assert {"North", "north ", "NORTH", "N"} <= set(regions)
    assert {"Basic", "basic", "BASIC ", "gold", "Platinum"} <= set(tiers)
    assert set(flags) == {"Y", "N"} and set(labels) == {"Yes", "No"}
    assert {"grocery", "Grocery", "GROCERY", "groceries"} <= set(categories)
    assert {"US", "us"} <= set(countries)


def test_nulls_and_outliers_are_present(lake: LakeSummary) -> None:
    [(no_signup, odd_birth, no_income)] = query(
        "select count(*) filter (where signup_date is null), "
        "count(*) filter (where birth_year < 1900 or birth_year > 2026), "
        "count(*) filter (where annual_income is null) from {customers}",
        lake,
    )
    [(no_amount, negative, merchants)] = query(
        "select count(*) filter (where amount is null), count(*) filter (where amount < 0), "
        "count(distinct merchant_id) from {transactions}",
        lake,
    )
    [(no_device, no_session)] = query(
        "select count(*) filter (where device is null), "
        "count(*) filter (where session_seconds is null) from {app_events}",
        lake,
    )
    assert min(no_signup, odd_birth, no_income, no_amount, negative, no_device, no_session) > 0
    assert merchants >= 300


def test_same_seed_gives_byte_identical_files(lake: LakeSummary, tmp_path: Path) -> None:
    again = generate_lake(tmp_path / "again", scale="tiny", seed=42)
    other = generate_lake(tmp_path / "other", scale="tiny", seed=43)
    assert data_hashes(again.root) == data_hashes(lake.root)
    assert {"branch_sales/branch_sales_2024.csv", "promotions/promotions.csv"} <= set(
        data_hashes(lake.root)
    )
    assert data_hashes(other.root) != data_hashes(lake.root)


def test_complete_lake_is_skipped_unless_forced(tmp_path: Path) -> None:
    first = generate_lake(tmp_path / "raw", scale="tiny")
    marker = (tmp_path / "raw" / "_SUCCESS.json").stat()
    skipped = generate_lake(tmp_path / "raw", scale="tiny")
    assert skipped.skipped and not first.skipped
    assert skipped.counts() == first.counts()
    assert (tmp_path / "raw" / "_SUCCESS.json").stat().st_ino == marker.st_ino
    forced = generate_lake(tmp_path / "raw", scale="tiny", force=True)
    assert not forced.skipped
    assert (tmp_path / "raw" / "_SUCCESS.json").stat().st_ino != marker.st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


def test_a_different_seed_replaces_the_lake(tmp_path: Path) -> None:
    generate_lake(tmp_path / "raw", scale="tiny", seed=1)
    replaced = generate_lake(tmp_path / "raw", scale="tiny", seed=2)
    assert not replaced.skipped
    assert json.loads((tmp_path / "raw" / "_SUCCESS.json").read_text())["seed"] == 2


def _fail(*args: object, **kwargs: object) -> int:
    raise OSError("disk full (simulated)")


def test_failure_mid_write_leaves_no_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Customers and transactions are on disk by the time app events are written.
    monkeypatch.setattr(demo_lake, "write_app_events", _fail)
    with pytest.raises(OSError, match="simulated"):
        generate_lake(tmp_path / "raw", scale="tiny")
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_write_keeps_the_previous_lake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_lake(tmp_path / "raw", scale="tiny", seed=1)
    before = data_hashes(tmp_path / "raw")
    monkeypatch.setattr(demo_lake, "write_app_events", _fail)
    with pytest.raises(OSError, match="simulated"):
        generate_lake(tmp_path / "raw", scale="tiny", seed=2)
    assert data_hashes(tmp_path / "raw") == before
    assert json.loads((tmp_path / "raw" / "_SUCCESS.json").read_text())["seed"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


def test_refuses_to_replace_a_directory_that_is_not_a_lake(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "thesis.tex").write_text("precious")
    with pytest.raises(DbtAutomlError, match="refusing to replace"):
        generate_lake(tmp_path / "raw", scale="tiny")
    assert (tmp_path / "raw" / "thesis.tex").read_text() == "precious"


@pytest.mark.parametrize(
    ("scale", "customers"),
    [
        ("tiny", 600),
        ("small", 2_000),
        ("default", 5_000),
        ("large", 250_000),
        ("0.5", 2_500),
        (2, 10_000),
    ],
)
def test_scale_names_and_multiples(scale: str | float, customers: int) -> None:
    assert resolve_scale(scale).customers == customers


@pytest.mark.parametrize("scale", ["huge", "-1", "0", "nan", "0.001"])
def test_bad_scale_is_refused(scale: str) -> None:
    with pytest.raises(DbtAutomlError, match="scale"):
        resolve_scale(scale)


def test_cli_generates_then_skips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "raw")
    assert main(["generate-lake", "--scale", "tiny", "--out", out]) == 0
    assert "written" in capsys.readouterr().out
    assert main(["generate-lake", "--scale", "tiny", "--out", out, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["skipped"] is True and summary["customers"] == 600


def test_cli_out_defaults_to_the_lake_path_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_AUTOML_LAKE_PATH", str(tmp_path / "from_env"))
    assert main(["generate-lake", "--scale", "tiny"]) == 0
    assert (tmp_path / "from_env" / "_SUCCESS.json").is_file()


def test_cli_rejects_a_bad_scale(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["generate-lake", "--scale", "enormous"])
    assert exc.value.code == 2
    assert "scale must be one of" in capsys.readouterr().err


def churn_features(lake: LakeSummary) -> pd.DataFrame:
    """Quick per-customer aggregates, the kind a features model computes in SQL."""
    customers = pd.read_csv(lake.customers_csv, parse_dates=["signup_date", "updated_at"])
    customers = customers.sort_values("updated_at").drop_duplicates("customer_id", keep="last")
    tx = pd.read_parquet(lake.transactions_dir).drop_duplicates("transaction_id")
    events = pd.read_json(lake.app_events_dir / "app_events_2026-06.json", lines=True)
    for month in ("2026-04", "2026-05"):
        more = pd.read_json(lake.app_events_dir / f"app_events_{month}.json", lines=True)
        events = pd.concat([events, more])
    as_of = pd.Timestamp("2026-07-01")
    days_ago = (as_of - tx["transaction_at"]).dt.days
    by_customer = tx.assign(
        last_30=days_ago < 30, last_90=days_ago < 90, earlier=days_ago >= 90
    ).groupby("customer_id")
    logins = events[events["event_type"] == "login"].groupby("customer_id")
    complaints = events[events["event_type"].isin(["complaint", "support_chat"])]
    features = pd.DataFrame(
        {
            "tx_30": by_customer["last_30"].sum(),
            "tx_90": by_customer["last_90"].sum(),
            "tx_earlier": by_customer["earlier"].sum(),
            "days_since_tx": (as_of - by_customer["transaction_at"].max()).dt.days,
            "logins_90": logins.size(),
            "days_since_login": (as_of - pd.to_datetime(logins["event_at"].max())).dt.days,
            "complaints_90": complaints.groupby("customer_id").size(),
        }
    )
    table = customers.set_index("customer_id").join(features)
    table["tenure_days"] = (as_of - table["signup_date"]).dt.days
    table["is_basic"] = table["tier"].str.strip().str.lower().eq("basic")
    table["is_churned"] = table["churned"].eq("Yes")
    return table


def test_churn_signal_is_learnable_from_aggregates(lake: LakeSummary) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from threadpoolctl import threadpool_limits

    table = churn_features(lake)
    columns = [
        "tx_30", "tx_90", "tx_earlier", "days_since_tx", "logins_90", "days_since_login",
        "complaints_90", "tenure_days", "is_basic", "product_count", "complaint_count",
    ]  # fmt: skip
    X, y = table[columns].astype(float).to_numpy(), table["is_churned"].to_numpy()
    model = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, random_state=0)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    # One OpenMP thread: on 600 rows, thread start-up costs more than it saves (10x here).
    with threadpool_limits(limits=1):
        proba = cross_val_predict(model, X, y, cv=folds, method="predict_proba")[:, 1]
    auc = roc_auc_score(y, proba)
    assert 0.75 < auc < 0.99, f"churn ROC AUC {auc:.3f} on the tiny lake"
    assert np.isfinite(proba).all()
