"""Card terminals in the demo lake: the contract, the planted failures and labels, the mess,
determinism, and the other parts left byte for byte as they were."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dbt_automl.demo import SCALES, LakeSummary, generate_lake, resolve_scale
from dbt_automl.demo import _lake as demo_lake
from dbt_automl.demo._readings import READING_MONTHS, SLOTS_PER_DAY
from dbt_automl.demo._terminals import LOGGED_SHARE, TerminalStats, write_terminals

READINGS = "read_parquet('{root}/terminal_readings/*.parquet', union_by_name = true)"
TERMINALS = "read_csv('{root}/terminals/terminals.csv')"
LOG = "read_csv('{root}/terminal_failures/terminal_failures.csv')"
#: 4-hour slot of a reading, counted from 2026-01-01 like the generator's.
SLOT = "(epoch(reading_at)::bigint - epoch(timestamp '2026-01-01')::bigint) // 14400"
TERMINAL_FILES = ("terminals/", "terminal_readings/", "terminal_failures/")


def write(root: Path, seed: int, terminals: int = 150, branches: int = 4) -> TerminalStats:
    """The terminal part alone, drawn from ``seed`` the way the lake draws it."""
    seeds = np.random.SeedSequence(seed).spawn(len(READING_MONTHS) + 1)
    root.mkdir(parents=True, exist_ok=True)
    return write_terminals([np.random.default_rng(s) for s in seeds], root, terminals, branches)


def hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every data file under ``root`` (the marker holds a timestamp)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "_SUCCESS.json"
    }


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[TerminalStats, Path]:
    """150 terminals (18 failures) with their ground truth, for the signal tests."""
    root = tmp_path_factory.mktemp("terminals")
    return write(root, seed=7), root


@pytest.fixture(scope="module")
def windows(planted: tuple[TerminalStats, Path]) -> duckdb.DuckDBPyConnection:
    """:func:`failure_windows` of the planted terminals."""
    return failure_windows(*planted)


def failure_windows(stats: TerminalStats, root: Path) -> duckdb.DuckDBPyConnection:
    """Table ``truth`` (one row per failure) and ``windows``: per failure, the readings of
    the 2 days before it against the terminal's own days 20-50 before it."""
    fleet = stats.fleet
    failed = np.flatnonzero(fleet.failure_slot >= 0)
    truth = pa.table(
        {
            "terminal_id": fleet.terminal_ids(failed),
            "failure_slot": fleet.failure_slot[failed],
            "lead_slots": fleet.lead_slots[failed],
        }
    )
    con = duckdb.connect()
    con.register("truth", truth)
    con.execute(
        f"create table readings as select *, {SLOT} as slot "
        f"from {READINGS.format(root=root)} where temperature_c between -39 and 84"
    )
    con.execute(
        """
        create table windows as
        select
            t.terminal_id, t.lead_slots,
            avg(r.vibration_mm_s) filter (where r.slot between t.failure_slot - 12
                and t.failure_slot - 1) / avg(r.vibration_mm_s) filter (
                where r.slot between t.failure_slot - 300 and t.failure_slot - 120)
                as vibration_ratio,
            avg(r.temperature_c) filter (where r.slot between t.failure_slot - 12
                and t.failure_slot - 1) - avg(r.temperature_c) filter (
                where r.slot between t.failure_slot - 300 and t.failure_slot - 120)
                as temperature_delta,
            sum(r.card_read_failures) filter (where r.slot between t.failure_slot - 12
                and t.failure_slot - 1) / sum(r.transactions_count) filter (
                where r.slot between t.failure_slot - 12 and t.failure_slot - 1)
                as read_failure_rate,
            sum(r.error_count) filter (where r.slot between t.failure_slot - 12
                and t.failure_slot - 1) as errors_2d
        from truth as t
        inner join readings as r using (terminal_id)
        group by all
        """
    )
    return con


def degraded(con: duckdb.DuckDBPyConnection, where: str) -> tuple[int, int]:
    """(failures matching ``where``, of them how many show a fault's signature)."""
    [(total, showing)] = con.sql(
        "select count(*), count(*) filter (where vibration_ratio > 1.5 or "
        "temperature_delta > 3 or read_failure_rate > 0.025 or errors_2d >= 4) "
        f"from windows where {where}"
    ).fetchall()
    return total, showing


def test_files_and_types_match_the_contract(lake: LakeSummary) -> None:
    assert lake.terminals_csv.is_file() and lake.terminal_failures_csv.is_file()
    assert sorted(p.name for p in lake.terminal_readings_dir.iterdir()) == [
        f"readings_2026-0{m}.parquet" for m in range(1, 7)
    ]
    expected = {
        TERMINALS: "terminal_id VARCHAR, branch_id VARCHAR, terminal_type VARCHAR, "
        "model VARCHAR, installed_date DATE, updated_at TIMESTAMP",
        READINGS: "terminal_id VARCHAR, reading_at TIMESTAMP, temperature_c DOUBLE, "
        "vibration_mm_s DOUBLE, transactions_count BIGINT, card_read_failures BIGINT, "
        "error_count BIGINT, cash_dispensed DOUBLE, uptime_pct DOUBLE, "
        "firmware_version VARCHAR",
        LOG: "log_id VARCHAR, terminal_id VARCHAR, event_date DATE, outcome VARCHAR, "
        "failure_type VARCHAR",
    }
    for source, columns in expected.items():
        rel = duckdb.sql(f"select * from {source.format(root=lake.root)}")
        assert ", ".join(f"{c} {t}" for c, t in zip(rel.columns, rel.types, strict=True)) == (
            columns
        )


def test_the_schema_grows_in_march(lake: LakeSummary) -> None:
    names = {p.stem[-7:]: pq.read_schema(p).names for p in lake.terminal_readings_dir.iterdir()}
    assert all(("firmware_version" in n) == (month >= "2026-03") for month, n in names.items())


def test_counts_match_the_summary(lake: LakeSummary) -> None:
    root = lake.root
    [(rows, terminals)] = duckdb.sql(
        f"select count(*), count(distinct terminal_id) from {TERMINALS.format(root=root)}"
    ).fetchall()
    [(readings, first, last)] = duckdb.sql(
        f"select count(*), min(reading_at)::date, max(reading_at)::date "
        f"from {READINGS.format(root=root)}"
    ).fetchall()
    [(log_rows, logged)] = duckdb.sql(
        "select count(*), count(distinct (upper(terminal_id), event_date)) filter "
        f"(where lower(outcome) = 'failure') from {LOG.format(root=root)}"
    ).fetchall()
    assert (rows, terminals, readings, log_rows, logged) == (
        lake.terminal_rows,
        lake.terminals,
        lake.terminal_reading_rows,
        lake.terminal_log_rows,
        lake.logged_terminal_failures,
    )
    assert terminals == 40 and 35_000 < readings < 45_000
    assert (first, last) == (date(2026, 1, 1), date(2026, 6, 30))


def test_labels_are_scarce(lake: LakeSummary, planted: tuple[TerminalStats, Path]) -> None:
    stats, _ = planted
    for logged, failures, terminals in (
        (lake.logged_terminal_failures, lake.terminal_failures, lake.terminals),
        (stats.logged_failures, stats.failures, stats.terminals),
    ):
        assert 0.08 <= failures / terminals <= 0.15
        assert logged == max(1, round(LOGGED_SHARE * failures)) < failures


def test_the_log_tells_the_truth(planted: tuple[TerminalStats, Path]) -> None:
    # Every logged failure is a real one on its day; every check that found the terminal
    # working is at least 8 days clear of a failure and of its warning period.
    stats, root = planted
    fleet = stats.fleet
    log = duckdb.sql(
        f"select distinct upper(terminal_id), event_date, lower(outcome) "
        f"from {LOG.format(root=root)}"
    ).fetchall()
    start = np.datetime64("2026-01-01", "D")
    for terminal_id, day, outcome in log:
        index = int(terminal_id[2:]) - 1
        offset = int((np.datetime64(day, "D") - start).astype(int))
        failure_day = fleet.failure_day[index]
        if outcome == "failure":
            assert offset == failure_day
        elif failure_day >= 0:
            warning_days = -(-fleet.lead_slots[index] // SLOTS_PER_DAY)
            assert offset < failure_day - warning_days - 8 or offset > failure_day + 8
    assert sum(outcome == "failure" for _, _, outcome in log) == stats.logged_failures
    assert sum(outcome == "ok" for _, _, outcome in log) > stats.terminals // 2


def test_failures_are_preceded_by_degradation(windows: duckdb.DuckDBPyConnection) -> None:
    warned, showing = degraded(windows, "lead_slots >= 3 * 6")
    sudden, sudden_showing = degraded(windows, "lead_slots = 0")
    assert warned >= 8 and showing >= 0.9 * warned
    assert sudden >= 2 and sudden_showing <= sudden // 2


def test_healthy_terminals_rarely_look_degraded(planted: tuple[TerminalStats, Path]) -> None:
    stats, root = planted
    fleet = stats.fleet
    healthy = np.flatnonzero((fleet.failure_slot < 0) & (fleet.episode[:, 1] == 0))
    ids = ", ".join(f"'{t}'" for t in fleet.terminal_ids(healthy).to_pylist())
    # Days 100-101 against days 20-60, as for a failure on day 102.
    [(terminals, looking_bad)] = duckdb.sql(
        f"""
        with r as (select *, {SLOT} as slot from {READINGS.format(root=root)}
                   where terminal_id in ({ids}) and temperature_c between -39 and 84),
        w as (
            select terminal_id,
                avg(vibration_mm_s) filter (where slot between 600 and 611)
                / avg(vibration_mm_s) filter (where slot between 120 and 360) as vib,
                avg(temperature_c) filter (where slot between 600 and 611)
                - avg(temperature_c) filter (where slot between 120 and 360) as temp,
                sum(error_count) filter (where slot between 600 and 611) as errors
            from r group by all)
        select count(*), count(*) filter (where vib > 1.5 or temp > 3 or errors >= 4) from w
        """
    ).fetchall()
    assert terminals > 80 and looking_bad <= 0.05 * terminals


def test_a_failed_terminal_goes_silent_then_recovers(planted: tuple[TerminalStats, Path]) -> None:
    stats, root = planted
    fleet = stats.fleet
    slots = duckdb.sql(
        f"select terminal_id, {SLOT} as slot, uptime_pct from {READINGS.format(root=root)}"
    ).fetchall()
    by_terminal: dict[str, dict[int, float]] = {}
    for terminal_id, slot, uptime in slots:
        by_terminal.setdefault(terminal_id, {})[slot] = uptime
    for index in np.flatnonzero(fleet.failure_slot >= 0):
        seen = by_terminal[fleet.terminal_ids([index])[0].as_py()]
        fail, down = int(fleet.failure_slot[index]), int(fleet.downtime_slots[index])
        assert seen[fail] < 60  # the failure is reported, then silence
        assert not any(fail < s <= fail + down for s in seen)
        assert any(s > fail + down for s in seen) or fail + down >= 181 * SLOTS_PER_DAY - 6


def test_failures_need_history_and_match_the_terminal(planted: tuple[TerminalStats, Path]) -> None:
    fleet = planted[0].fleet
    failed = fleet.failure_slot >= 0
    assert (fleet.failure_slot[failed] >= fleet.first_slot[failed] + 42 * SLOTS_PER_DAY).all()
    assert not (failed & ~fleet.is_atm & (fleet.failure_type == 0)).any()  # no POS cash jam
    assert set(np.unique(fleet.failure_type[failed])) >= {1, 2, 3}


def test_messy_on_purpose(lake: LakeSummary) -> None:
    root = lake.root
    [(types, off_site, re_exported)] = duckdb.sql(
        f"""select list(distinct terminal_type), count(*) filter (where branch_id is null),
        (select count(*) from (select terminal_id from {TERMINALS.format(root=root)}
         group by 1 having count(*) > 1 and max(updated_at) > min(updated_at)))
        from {TERMINALS.format(root=root)}"""
    ).fetchall()
    assert {"ATM", "atm", "POS", "pos"} <= set(types) and off_site > 0 and re_exported > 0
    [(rows, keys, distinct_rows, faults, nulls, spikes)] = duckdb.sql(
        f"""select count(*), count(distinct (terminal_id, reading_at)),
        (select count(*) from (select distinct * from {READINGS.format(root=root)})),
        count(*) filter (where temperature_c in (85, -40)),
        count(*) filter (where vibration_mm_s is null or temperature_c is null),
        count(*) filter (where vibration_mm_s > 5 * (select median(vibration_mm_s)
                         from {READINGS.format(root=root)}))
        from {READINGS.format(root=root)}"""
    ).fetchall()
    assert keys == distinct_rows < rows  # duplicates are identical rows
    assert min(faults, nulls, spikes) > 0
    [(outcomes, lower_ids, twice)] = duckdb.sql(
        f"""select list(distinct outcome), count(*) filter (where terminal_id like 'tm%'),
        count(*) - count(distinct (upper(terminal_id), event_date))
        from {LOG.format(root=root)}"""
    ).fetchall()
    assert {"failure", "ok", "OK"} <= set(outcomes) and lower_ids > 0 and twice > 0


def test_readings_and_install_dates_go_missing(planted: tuple[TerminalStats, Path]) -> None:
    stats, root = planted
    fleet = stats.fleet
    [(no_install,)] = duckdb.sql(
        f"select count(*) filter (where installed_date is null) from {TERMINALS.format(root=root)}"
    ).fetchall()
    assert no_install > 0
    expected = (181 * SLOTS_PER_DAY - fleet.first_slot).sum()
    [(present,)] = duckdb.sql(
        f"select count(distinct (terminal_id, reading_at)) from {READINGS.format(root=root)}"
    ).fetchall()
    assert 0.02 < 1 - present / expected < 0.05


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    write(tmp_path / "a", seed=3, terminals=30)
    write(tmp_path / "b", seed=3, terminals=30)
    write(tmp_path / "c", seed=4, terminals=30)
    assert hashes(tmp_path / "a") == hashes(tmp_path / "b") != hashes(tmp_path / "c")


def test_the_other_parts_are_unchanged(
    lake: LakeSummary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lake without its terminal part: every other file is byte for byte the same, so
    # adding the part disturbed no other part's random stream.
    def no_terminals(rngs: list, root: Path, n: int, branches: int) -> TerminalStats:
        for folder in ("terminals", "terminal_readings", "terminal_failures"):
            (root / folder).mkdir()
        return TerminalStats(0, 0, 0, 0, 0, 0, fleet=None)  # type: ignore[arg-type]

    monkeypatch.setattr(demo_lake, "write_terminals", no_terminals)
    without = generate_lake(tmp_path / "raw", scale="tiny", seed=42)
    others = {k: v for k, v in hashes(lake.root).items() if not k.startswith(TERMINAL_FILES)}
    assert hashes(without.root) == others
    assert len(others) == 29


@pytest.mark.parametrize(
    ("scale", "terminals"),
    [("tiny", 40), ("small", 100), ("default", 300), ("large", 3_000), ("2", 600)],
)
def test_scales_set_the_number_of_terminals(scale: str, terminals: int) -> None:
    assert resolve_scale(scale).terminals == terminals
    assert {name: s.terminals for name, s in SCALES.items()}["tiny"] == 40
