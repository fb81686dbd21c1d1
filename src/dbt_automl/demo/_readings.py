"""Terminal sensor readings every 4 hours, one Parquet file per month, month by month.

Each terminal reports at 00:00, 04:00, ... 20:00 (plus up to two minutes of clock jitter)
from :data:`READINGS_START`, or from its installation, to ``AS_OF``. A healthy terminal's
temperature follows the day (and the season, for through-the-wall ATMs) around its own
level; vibration follows its load; transactions follow the hour and the weekday; card-read
failures are a small binomial share of them; errors are rare; uptime is 100% but for short
blips. Degradation before a failure multiplies the signals of its type
(:data:`SIGNATURES`) by a factor rising from 0 to 1 over the warning period.

The monthly files differ on purpose: from :data:`FIRMWARE_MONTH` on they carry an extra
``firmware_version`` column (read them with ``union_by_name``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dbt_automl.demo._common import AS_OF, DAY_S, to_timestamp

if TYPE_CHECKING:
    from dbt_automl.demo._terminals import Fleet

READINGS_START = np.datetime64("2026-01-01", "D")
READING_DAYS = int((AS_OF - READINGS_START).astype(np.int64)) + 1
SLOTS_PER_DAY = 6
SLOT_S = DAY_S // SLOTS_PER_DAY
READING_MONTHS = np.arange(
    READINGS_START.astype("datetime64[M]"), AS_OF.astype("datetime64[M]") + 1
)
FIRMWARE_MONTH = np.datetime64("2026-03", "M")
FAILURE_TYPES = ("dispenser_jam", "card_reader", "overheating", "power_supply")
#: How a failure type shows at full degradation: vibration x(1 + v), temperature +t degrees,
#: read-failure rate x(1 + r), errors + e per reading, uptime - u points.
SIGNATURES = np.array(
    [
        # v    t     r     e    u
        [3.0, 2.0, 0.5, 1.5, 5.0],  # dispenser_jam
        [0.6, 1.0, 12.0, 1.0, 2.0],  # card_reader
        [0.6, 12.0, 1.0, 1.0, 5.0],  # overheating
        [0.8, 3.0, 1.0, 2.5, 15.0],  # power_supply
    ]
)
#: Share of a day's transactions in each 4-hour slot (00:00, 04:00, ... 20:00).
_SLOT_SHARE = np.array([0.03, 0.04, 0.2, 0.3, 0.28, 0.15])
#: Weekday (Monday-Friday), Saturday and Sunday traffic of ATMs (row 0) and POS terminals.
_WEEKDAY_FACTOR = np.array([[1.0, 1.1, 0.8], [1.0, 0.9, 0.6]])


def write_readings(rngs: list[np.random.Generator], fleet: Fleet, folder: Path) -> int:
    """Write ``folder/readings_YYYY-MM.parquet`` for :data:`READING_MONTHS`; return the rows."""
    rows = 0
    for month, rng in zip(READING_MONTHS, rngs, strict=True):
        first = max(month.astype("datetime64[D]"), READINGS_START)
        last = min((month + 1).astype("datetime64[D]"), AS_OF + 1)
        s0 = int((first - READINGS_START).astype(np.int64)) * SLOTS_PER_DAY
        s1 = int((last - READINGS_START).astype(np.int64)) * SLOTS_PER_DAY
        table = _month_table(rng, fleet, s0, s1, with_firmware=month >= FIRMWARE_MONTH)
        pq.write_table(table, folder / f"readings_{month}.parquet", compression="zstd")
        rows += table.num_rows
    return rows


def _present_cells(
    rng: np.random.Generator, fleet: Fleet, s0: int, s1: int
) -> tuple[np.ndarray, np.ndarray]:
    """(terminal, slot) of every reading sent in slots ``s0``..``s1``, in time order."""
    slots = np.arange(s0, s1)[:, None]  # rows: slot, so nonzero() comes out in time order
    fail, down = fleet.failure_slot[None], fleet.downtime_slots[None]
    present = slots >= fleet.first_slot[None]
    present &= ~((fail >= 0) & (slots > fail) & (slots <= fail + down))
    present &= ~((slots >= fleet.outage[None, :, 0]) & (slots < fleet.outage[None, :, 1]))
    present &= rng.random(present.shape) >= 0.02
    present |= slots == fail  # a failing terminal always reports the fault
    slot, terminal = np.nonzero(present)
    return terminal, slot + s0


def _degradation(fleet: Fleet, terminal: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """0 when healthy, rising to 1 at the failure reading over the warning period."""
    fail, lead = fleet.failure_slot[terminal], fleet.lead_slots[terminal]
    start = fail - lead
    warned = (fail >= 0) & (lead > 0) & (slot >= start) & (slot <= fail)
    return np.where(warned, (slot - start + 1) / np.maximum(lead + 1, 1), 0.0)


def _month_table(
    rng: np.random.Generator, fleet: Fleet, s0: int, s1: int, with_firmware: bool
) -> pa.Table:
    """The readings of slots ``s0``..``s1`` with their planted signal and mess."""
    terminal, slot = _present_cells(rng, fleet, s0, s1)
    n = len(terminal)
    p = _degradation(fleet, terminal, slot)
    sig = SIGNATURES[np.maximum(fleet.failure_type[terminal], 0)] * (p > 0)[:, None]
    failing_now = slot == fleet.failure_slot[terminal]
    uptime = _uptime(rng, p, sig, failing_now)
    tx = _transactions(rng, fleet, terminal, slot, uptime)
    read_p = np.minimum(fleet.read_fail_p[terminal] * (1 + sig[:, 2] * p**2), 0.5)
    errors = rng.poisson(0.05 + sig[:, 3] * p**2 + 6.0 * failing_now)
    atm = fleet.is_atm[terminal]
    cash = np.round(tx * 80.0 * rng.lognormal(0.0, 0.2, n), -1)
    columns = {
        "terminal_id": fleet.terminal_ids(terminal),
        "reading_at": to_timestamp(
            (READINGS_START.astype("datetime64[s]").astype(np.int64) + slot * SLOT_S)
            + rng.integers(0, 120, n)
        ),
        "temperature_c": _temperature(rng, fleet, terminal, slot, p, sig),
        "vibration_mm_s": _vibration(rng, fleet, terminal, slot, p, sig),
        "transactions_count": pa.array(tx),
        "card_read_failures": pa.array(rng.binomial(tx, read_p)),
        "error_count": pa.array(errors),
        "cash_dispensed": pa.array(cash, mask=~atm),
        "uptime_pct": pa.array(uptime.round(1)),
    }
    if with_firmware:
        upgraded = slot >= fleet.firmware_slot[terminal]
        columns["firmware_version"] = pa.array(np.where(upgraded, "fw-4.3", "fw-4.2"))
    # ~0.5% delivered twice: identical rows, next to the original.
    repeat = np.where(rng.random(n) < 0.005, 2, 1)
    return pa.table(columns).take(pa.array(np.repeat(np.arange(n), repeat)))


def _uptime(
    rng: np.random.Generator, p: np.ndarray, sig: np.ndarray, failing_now: np.ndarray
) -> np.ndarray:
    """Percent of the 4 hours the terminal was in service."""
    n = len(p)
    blip = np.where(rng.random(n) < 0.03, rng.exponential(4.0, n), 0.0)
    uptime = 100.0 - blip - sig[:, 4] * p**2 * rng.uniform(0.5, 1.5, n)
    uptime = np.where(failing_now, rng.uniform(5.0, 60.0, n), uptime)
    return np.clip(uptime, 0.0, 100.0)


def _transactions(
    rng: np.random.Generator,
    fleet: Fleet,
    terminal: np.ndarray,
    slot: np.ndarray,
    uptime: np.ndarray,
) -> np.ndarray:
    """Card transactions in the slot: the terminal's rate by hour and weekday, while up."""
    day = slot // SLOTS_PER_DAY
    weekday = (int(READINGS_START.astype(np.int64)) + day + 3) % 7  # 0 = Monday
    factor = _WEEKDAY_FACTOR[np.where(fleet.is_atm[terminal], 0, 1), np.clip(weekday - 4, 0, 2)]
    rate = fleet.tx_per_day[terminal] * _SLOT_SHARE[slot % SLOTS_PER_DAY] * factor
    return rng.poisson(rate * uptime / 100.0)


def _temperature(
    rng: np.random.Generator,
    fleet: Fleet,
    terminal: np.ndarray,
    slot: np.ndarray,
    p: np.ndarray,
    sig: np.ndarray,
) -> pa.Array:
    """Inside temperature: level, day cycle, season outdoors, degradation, warm spells,
    noise; then fault codes (85.0 / -40.0) and nulls."""
    n = len(terminal)
    hour = (slot % SLOTS_PER_DAY) * (24 // SLOTS_PER_DAY) + 2
    outdoor = fleet.outdoor[terminal]
    cycle = np.where(outdoor, 3.5, 1.2) * np.cos(2 * np.pi * (hour - 15) / 24)
    season = outdoor * 7.0 * (slot / (READING_DAYS * SLOTS_PER_DAY))  # January to June
    episode = fleet.episode[terminal]
    warm = 5.0 * ((slot >= episode[:, 0]) & (slot < episode[:, 1]))
    temp = fleet.temp_base[terminal] + cycle + season + sig[:, 1] * p**1.5 + warm
    temp = (temp + rng.normal(0.0, 0.5, n)).round(1)
    fault = rng.random(n) < 0.001
    temp = np.where(fault, np.where(rng.random(n) < 0.5, 85.0, -40.0), temp)
    return pa.array(temp, mask=rng.random(n) < 0.003)


def _vibration(
    rng: np.random.Generator,
    fleet: Fleet,
    terminal: np.ndarray,
    slot: np.ndarray,
    p: np.ndarray,
    sig: np.ndarray,
) -> pa.Array:
    """RMS vibration: level by load and degradation, noise; then spikes and nulls."""
    n = len(terminal)
    load = 0.85 + 0.5 * _SLOT_SHARE[slot % SLOTS_PER_DAY]
    vib = fleet.vib_base[terminal] * load * (1 + sig[:, 0] * p**2) * rng.lognormal(0, 0.12, n)
    vib = np.where(rng.random(n) < 0.001, vib * rng.uniform(8.0, 20.0, n), vib)
    return pa.array(vib.round(2), mask=rng.random(n) < 0.003)
