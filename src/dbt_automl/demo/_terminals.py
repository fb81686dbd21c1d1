"""Card terminals and ATMs: a catalogue, 4-hourly sensor readings and a maintenance log.

A predictive-maintenance task where labels are scarce. :data:`FAILURE_SHARE` of the
terminals fail once between :data:`READINGS_START` and ``AS_OF`` (older terminals and ATMs
more often). Three failures in four are preceded by 3-14 days of degradation whose
signature depends on the failure type (:data:`~dbt_automl.demo._readings.SIGNATURES`: a
dispenser jam vibrates, a card reader fails reads, an overheating unit warms up, a power
supply throws errors and loses uptime); the rest are sudden. A failed terminal reports once
more (low uptime, an error storm), then goes silent for 1-4 days while it is repaired, and
comes back healthy.

``terminal_failures.csv`` is the maintenance log. Only :data:`LOGGED_SHARE` of the failures
are in it (at least one); the others were fixed without a ticket. It also holds routine
checks that found the terminal fine (outcome 'ok', ~0.8 a terminal, never within 8 days of
a failure or its degradation): the only negative labels. What else looks like a fault and
is not: 5% of terminals warm up for 2-6 days (a branch's air conditioning) and 8% go
silent for 1-3 days (network), without failing.

The mess: ~3% of catalogue rows exported twice (newer ``updated_at``, sometimes another
branch: the terminal moved), mixed-case ``terminal_type`` ('ATM', 'atm', 'Atm', 'ATM '),
off-site ATMs with an empty ``branch_id``, ~2% empty ``installed_date``; readings ~2%
missing at random, ~0.5% delivered twice (identical rows), ~0.3% null temperature or
vibration, ~0.1% sensor fault codes (85.0 or -40.0 degrees), ~0.1% vibration spikes
(x8-x20, one reading); files from 2026-03 on carry an extra ``firmware_version`` column (a
schema change mid-stream); in the log, ~5% of records entered twice (another ``log_id``),
mixed-case ``outcome`` and ``failure_type``, ~5% lower-case terminal ids ('tm0012').

Types DuckDB infers:

- terminals.csv: terminal_id VARCHAR ('TM0001'), branch_id VARCHAR (NULL: off-site ATM),
  terminal_type VARCHAR, model VARCHAR, installed_date DATE, updated_at TIMESTAMP.
- terminal_readings (``union_by_name=true``): terminal_id VARCHAR, reading_at TIMESTAMP,
  temperature_c DOUBLE, vibration_mm_s DOUBLE, transactions_count BIGINT,
  card_read_failures BIGINT, error_count BIGINT, cash_dispensed DOUBLE (NULL for POS),
  uptime_pct DOUBLE, firmware_version VARCHAR (NULL before 2026-03).
- terminal_failures.csv: log_id VARCHAR ('ML00001'), terminal_id VARCHAR, event_date DATE,
  outcome VARCHAR ('failure' / 'ok', mixed case), failure_type VARCHAR (NULL for 'ok').
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from dbt_automl.demo._common import DAY_S, prefixed_ids, spell, to_timestamp
from dbt_automl.demo._readings import (
    FAILURE_TYPES,
    READING_DAYS,
    READINGS_START,
    SLOTS_PER_DAY,
    write_readings,
)

FAILURE_SHARE = 0.12
LOGGED_SHARE = 0.4
SUDDEN_SHARE = 0.25
#: Days of healthy history a terminal has before it can fail: a 28-day baseline and a week.
_MIN_HISTORY_DAYS = 42
#: No routine check is logged this close to a failure or its degradation.
_CHECK_MARGIN_DAYS = 8
TYPE_SPELLINGS = (("ATM", "atm", "Atm", "ATM "), ("POS", "pos", "Pos", "pos "))
_TYPE_WEIGHTS = (0.7, 0.15, 0.1, 0.05)
MODELS = (
    ("NCR SelfServ 84", "Diebold DN200", "Hyosung MX8200"),
    ("Verifone V400m", "Ingenico Move 5000", "PAX A920"),
)
#: Failure-type mix by terminal type (POS terminals have no cash dispenser).
_FAILURE_TYPE_P = np.array([[0.35, 0.25, 0.2, 0.2], [0.0, 0.5, 0.2, 0.3]])
OUTCOME_SPELLINGS = (("failure", "Failure", "FAILURE"), ("ok", "OK", "Ok"))
_FAILURE_TYPE_SPELLINGS = [(name, name.upper(), name.replace("_", " ")) for name in FAILURE_TYPES]


@dataclass(frozen=True)
class Fleet:
    """Per-terminal traits as parallel arrays (index = position; ``terminal_id`` = index + 1).

    Slots count 4-hour periods from :data:`READINGS_START`; -1 means "none".
    """

    is_atm: np.ndarray
    branch: np.ndarray  # -1: an off-site ATM
    model: np.ndarray  # index into MODELS[type]
    installed_day: np.ndarray  # days since the epoch
    first_slot: np.ndarray  # first reading: 0, or later for a terminal installed meanwhile
    outdoor: np.ndarray  # through-the-wall ATMs feel the weather
    temp_base: np.ndarray
    vib_base: np.ndarray
    tx_per_day: np.ndarray
    read_fail_p: np.ndarray
    failure_slot: np.ndarray
    failure_type: np.ndarray  # index into FAILURE_TYPES
    lead_slots: np.ndarray  # degradation before the failure; 0 = sudden
    downtime_slots: np.ndarray  # silent slots after the failure reading
    outage: np.ndarray  # (start, end) slots without readings and without a failure
    episode: np.ndarray  # (start, end) slots of a harmless warm spell
    firmware_slot: np.ndarray  # slot of the upgrade to fw-4.3

    @property
    def size(self) -> int:
        """Number of terminals."""
        return len(self.is_atm)

    def terminal_ids(self, index: np.ndarray | None = None) -> pa.Array:
        """'TM0001', ... of the terminals at ``index`` (all by default)."""
        numbers = np.arange(self.size) if index is None else np.asarray(index)
        return prefixed_ids("TM", numbers + 1, 4)

    @property
    def failure_day(self) -> np.ndarray:
        """Day index (0 = READINGS_START) of each terminal's failure, -1 without one."""
        return np.where(self.failure_slot >= 0, self.failure_slot // SLOTS_PER_DAY, -1)


@dataclass(frozen=True)
class TerminalStats:
    """What :func:`write_terminals` wrote: lines (duplicates included) and entities, plus
    the fleet behind them (the ground truth: every failure, logged or not)."""

    terminal_rows: int
    terminals: int
    reading_rows: int
    failures: int
    logged_failures: int
    log_rows: int
    fleet: Fleet = field(repr=False, compare=False)


def make_fleet(rng: np.random.Generator, n: int, branches: int) -> Fleet:
    """Draw ``n`` terminals spread over ``branches`` branches and plan their failures."""
    is_atm = rng.random(n) < 0.45
    start = int(READINGS_START.astype(np.int64))
    age_days = rng.uniform(60, 9 * 365, n)
    new = rng.random(n) < 0.05
    installed = np.where(new, start + rng.integers(10, 120, n), start - age_days.astype(np.int64))
    first_slot = np.maximum(installed - start, 0) * SLOTS_PER_DAY
    outdoor = is_atm & (rng.random(n) < 0.6)
    total = READING_DAYS * SLOTS_PER_DAY
    return Fleet(
        is_atm=is_atm,
        branch=np.where(is_atm & (rng.random(n) < 0.3), -1, rng.integers(0, branches, n)),
        model=rng.integers(0, 3, n),
        installed_day=installed,
        first_slot=first_slot,
        outdoor=outdoor,
        temp_base=rng.normal(np.where(is_atm, 31.0, 36.0), 2.5),
        vib_base=rng.lognormal(np.log(np.where(is_atm, 1.8, 0.6)), 0.25),
        tx_per_day=rng.lognormal(np.log(np.where(is_atm, 70.0, 140.0)), 0.4),
        read_fail_p=rng.uniform(0.002, 0.008, n),
        **_plan_failures(rng, is_atm, installed, first_slot),
        outage=_spells(rng, first_slot, 0.08, (6, 19), total),
        episode=_spells(rng, first_slot, 0.05, (12, 37), total),
        firmware_slot=rng.integers(59 * SLOTS_PER_DAY, total, n),  # rolled out from March
    )


def _plan_failures(
    rng: np.random.Generator, is_atm: np.ndarray, installed: np.ndarray, first_slot: np.ndarray
) -> dict[str, np.ndarray]:
    """Which terminals fail, when, how, with how much warning and for how long."""
    n = len(is_atm)
    first_day = first_slot // SLOTS_PER_DAY + _MIN_HISTORY_DAYS
    eligible = np.flatnonzero(first_day <= READING_DAYS - 2)
    # Older terminals and ATMs (moving parts) fail more often.
    age_years = (int(READINGS_START.astype(np.int64)) - installed[eligible]) / 365.0
    weight = (1.0 + np.maximum(age_years, 0) / 3) * np.where(is_atm[eligible], 1.6, 1.0)
    count = min(round(FAILURE_SHARE * n), len(eligible))
    failing = rng.choice(eligible, count, replace=False, p=weight / weight.sum())
    day = rng.integers(first_day[failing], READING_DAYS - 1)
    slot = np.full(n, -1)
    # Never the day's first slot, so the failure day has a reading before the failure one.
    slot[failing] = day * SLOTS_PER_DAY + rng.integers(1, SLOTS_PER_DAY, count)
    kind = np.full(n, -1)
    u = rng.random(count)[:, None]
    p = _FAILURE_TYPE_P[np.where(is_atm[failing], 0, 1)]
    kind[failing] = (u > np.cumsum(p, axis=1)).sum(axis=1)
    lead = np.zeros(n, dtype=np.int64)
    warned = rng.random(count) >= SUDDEN_SHARE
    lead[failing] = np.where(warned, rng.integers(3 * SLOTS_PER_DAY, 14 * SLOTS_PER_DAY, count), 0)
    downtime = np.zeros(n, dtype=np.int64)
    downtime[failing] = rng.integers(SLOTS_PER_DAY, 4 * SLOTS_PER_DAY + 1, count)
    return {
        "failure_slot": slot,
        "failure_type": kind,
        "lead_slots": lead,
        "downtime_slots": downtime,
    }


def _spells(
    rng: np.random.Generator,
    first_slot: np.ndarray,
    share: float,
    length: tuple[int, int],
    total: int,
) -> np.ndarray:
    """(start, end) slots of a spell for ``share`` of terminals; (0, 0) for the others."""
    n = len(first_slot)
    start = rng.integers(first_slot, total)
    end = np.minimum(start + rng.integers(*length, n), total)
    has = rng.random(n) < share
    return np.stack([np.where(has, start, 0), np.where(has, end, 0)], axis=1)


def write_terminals(
    rngs: list[np.random.Generator], root: Path, n: int, branches: int
) -> TerminalStats:
    """Write ``terminals/``, ``terminal_readings/`` and ``terminal_failures/`` under ``root``.

    ``rngs[0]`` plans the fleet, the catalogue and the log; ``rngs[1:]`` draw one reading
    month each (:data:`~dbt_automl.demo._readings.READING_MONTHS`).
    """
    rng = rngs[0]
    fleet = make_fleet(rng, n, branches)
    for folder in ("terminals", "terminal_readings", "terminal_failures"):
        (root / folder).mkdir()
    catalogue = _catalogue(rng, fleet, branches)
    pa_csv.write_csv(catalogue, root / "terminals" / "terminals.csv")
    log, logged = _maintenance_log(rng, fleet)
    pa_csv.write_csv(log, root / "terminal_failures" / "terminal_failures.csv")
    readings = write_readings(rngs[1:], fleet, root / "terminal_readings")
    return TerminalStats(
        terminal_rows=catalogue.num_rows,
        terminals=fleet.size,
        reading_rows=readings,
        failures=int((fleet.failure_slot >= 0).sum()),
        logged_failures=logged,
        log_rows=log.num_rows,
        fleet=fleet,
    )


def _catalogue(rng: np.random.Generator, fleet: Fleet, branches: int) -> pa.Table:
    """``terminals.csv``: every terminal once, ~3% exported again later (some moved)."""
    n = fleet.size
    dup = np.flatnonzero(rng.random(n) < 0.03)
    rows = np.concatenate([np.arange(n), dup])
    is_update = np.arange(len(rows)) >= n
    start_s = int(READINGS_START.astype("datetime64[s]").astype(np.int64))
    updated = start_s - rng.integers(0, 200 * DAY_S, n)[rows]
    updated = updated + is_update * rng.integers(DAY_S, 150 * DAY_S, len(rows))
    # A terminal installed meanwhile was catalogued on installation.
    installed_s = fleet.installed_day[rows] * DAY_S + rng.integers(8 * 3600, 18 * 3600, len(rows))
    updated = np.maximum(updated, installed_s)
    moved = is_update & (fleet.branch[rows] >= 0) & (rng.random(len(rows)) < 0.4)
    branch = np.where(moved, rng.integers(0, branches, len(rows)), fleet.branch[rows])
    kind = np.where(fleet.is_atm[rows], 0, 1)
    order = np.lexsort((updated, rows))  # by terminal, then export time
    rows, branch, kind, updated = rows[order], branch[order], kind[order], updated[order]
    models = pa.array([name for names in MODELS for name in names])
    installed = fleet.installed_day[rows].astype("datetime64[D]")
    return pa.table(
        {
            "terminal_id": fleet.terminal_ids(rows),
            "branch_id": _masked(prefixed_ids("BR", np.maximum(branch, 0) + 1, 2), branch < 0),
            "terminal_type": spell(rng, kind, TYPE_SPELLINGS, _TYPE_WEIGHTS),
            "model": models.take(pa.array(kind * 3 + fleet.model[rows])),
            "installed_date": pa.array(installed, pa.date32(), mask=rng.random(len(rows)) < 0.02),
            "updated_at": to_timestamp(updated, unit="s"),
        }
    )


def _masked(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """``values`` with nulls where ``mask`` is true (written as empty CSV cells)."""
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)


def _maintenance_log(rng: np.random.Generator, fleet: Fleet) -> tuple[pa.Table, int]:
    """``terminal_failures.csv``: some failures and the routine checks; returns the table and
    how many distinct failures it logs."""
    failed = np.flatnonzero(fleet.failure_slot >= 0)
    size = max(1, round(LOGGED_SHARE * len(failed))) if len(failed) else 0
    logged = np.sort(rng.choice(failed, size, replace=False))
    checks, check_day = _routine_checks(rng, fleet)
    terminal = np.concatenate([logged, checks])
    day = np.concatenate([fleet.failure_day[logged], check_day])
    is_failure = np.arange(len(terminal)) < len(logged)
    dup = np.flatnonzero(rng.random(len(terminal)) < 0.05)
    rows = np.concatenate([np.arange(len(terminal)), dup])
    rows = rows[np.lexsort((np.arange(len(rows)), terminal[rows], day[rows]))]
    n = len(rows)
    kind = np.maximum(fleet.failure_type[terminal[rows]], 0)
    kind_text = spell(rng, kind, _FAILURE_TYPE_SPELLINGS, (0.85, 0.1, 0.05))
    ids = fleet.terminal_ids(terminal[rows])
    lower = pa.array(rng.random(n) < 0.05)
    dates = (READINGS_START + day[rows]).astype("datetime64[D]")
    table = pa.table(
        {
            "log_id": prefixed_ids("ML", np.arange(1, n + 1), 5),
            "terminal_id": pc.if_else(lower, pc.utf8_lower(ids), ids),
            "event_date": pa.array(dates, pa.date32()),
            "outcome": spell(
                rng, np.where(is_failure[rows], 0, 1), OUTCOME_SPELLINGS, (0.85, 0.1, 0.05)
            ),
            "failure_type": _masked(kind_text, ~is_failure[rows]),
        }
    )
    return table, len(logged)


def _routine_checks(rng: np.random.Generator, fleet: Fleet) -> tuple[np.ndarray, np.ndarray]:
    """Terminal index and day of each logged check that found nothing, away from failures."""
    first_day = fleet.first_slot // SLOTS_PER_DAY
    terminal = np.repeat(np.arange(fleet.size), rng.poisson(0.8, fleet.size))
    day = rng.integers(first_day[terminal], READING_DAYS)
    fail_day = fleet.failure_day[terminal]
    lead_days = -(-fleet.lead_slots[terminal] // SLOTS_PER_DAY)
    down_days = -(-fleet.downtime_slots[terminal] // SLOTS_PER_DAY)
    near = (
        (fail_day >= 0)
        & (day >= fail_day - lead_days - _CHECK_MARGIN_DAYS)
        & (day <= fail_day + down_days + _CHECK_MARGIN_DAYS)
    )
    keep = ~near
    # One check a terminal a day at most: a second visit the same day adds nothing.
    pairs = np.unique(np.stack([terminal[keep], day[keep]], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]
