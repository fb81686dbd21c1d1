"""Mobile-app events: one newline-delimited JSON file per month.

Logins, balance views and transfers follow the same fade as a customer's card spending, so
declining logins are a churn signal. Support chats and complaints rise once a customer
starts to fade; card freezes follow some fraud bursts a few hours later.

Lines are assembled column-wise with Arrow string kernels and written as one buffer per
chunk: no per-row Python, and the bytes depend only on the seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl.demo._common import (
    DAY_HOUR_P,
    DAY_S,
    MONTH_LABELS,
    iso_strings,
    month_bounds,
    prefixed_ids,
)
from dbt_automl.demo._population import Population

EVENT_TYPES = ("login", "view_balance", "transfer", "support_chat", "complaint", "card_freeze")
DEVICES = ("ios", "android", "web")
_OS_VERSIONS = (
    ("17.5", "17.6", "18.1", "18.3"),
    ("12", "13", "14", "15"),
    ("chrome-126", "chrome-131", "firefox-128", "safari-17.5"),
)
#: Median session length per event type, seconds.
_SESSION_MEDIAN_S = np.array([150, 25, 70, 420, 300, 40])
_CHUNK_ROWS = 500_000


def write_app_events(
    rngs: list[np.random.Generator],
    pop: Population,
    root: Path,
    burst_customer: np.ndarray,
    burst_start_s: np.ndarray,
) -> int:
    """Write ``root/app_events_YYYY-MM.json`` for the 12 window months; return the row count."""
    next_id = 1
    for month, rng in enumerate(rngs):
        cust, t, kind = _month_events(rng, pop, month, burst_customer, burst_start_s)
        with open(root / f"app_events_{MONTH_LABELS[month]}.json", "wb") as f:
            for lo in range(0, len(t), _CHUNK_ROWS):
                part = slice(lo, lo + _CHUNK_ROWS)
                ids = np.arange(next_id + lo, next_id + lo + len(t[part]))
                _write_lines(f, _json_lines(rng, pop, month, ids, cust[part], t[part], kind[part]))
        next_id += len(t)
    return next_id - 1


def _candidates(
    rng: np.random.Generator, per_day: np.ndarray, month: int
) -> tuple[np.ndarray, np.ndarray]:
    """Customer index and time of Poisson events at ``per_day`` rates, before thinning."""
    start, end = month_bounds(month)
    days = (end - start) // DAY_S
    idx = np.repeat(np.arange(len(per_day)), rng.poisson(per_day * days))
    n = len(idx)
    hour = np.where(rng.random(n) < 0.03, rng.integers(0, 6, n), rng.choice(24, n, p=DAY_HOUR_P))
    t = start + rng.integers(0, days, n) * DAY_S + hour * 3600 + rng.integers(0, 3600, n)
    return idx, t


def _month_events(
    rng: np.random.Generator,
    pop: Population,
    month: int,
    burst_customer: np.ndarray,
    burst_start_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All events of one month as (customer index, time, event type), in time order."""
    custs, times, kinds = [], [], []
    for kind, share in enumerate((1.0, 0.5, 0.15)):
        idx, t = _candidates(rng, pop.login_rate * share, month)
        keep = rng.random(len(idx)) < pop.intensity(idx, t)
        custs.append(idx[keep])
        times.append(t[keep])
        kinds.append(np.full(keep.sum(), kind))
    # Chats and complaints: a base rate, boosted (by thinning from the boosted maximum)
    # once the customer is fading; churners complain a little more even when silent.
    mood = 1.0 + 0.5 * pop.churned
    for kind, base, boost in (
        (3, 0.1 / 30, 4.0),
        (4, (0.02 + 0.03 * pop.complaint_count) / 30, 5.0),
    ):
        idx, t = _candidates(rng, base * mood * (1 + boost), month)
        accept = (1 + boost * pop.is_fading(idx, t)) / (1 + boost) * (t >= pop.signup_s[idx])
        keep = rng.random(len(idx)) < accept
        custs.append(idx[keep])
        times.append(t[keep])
        kinds.append(np.full(keep.sum(), kind))
    idx, t = _card_freezes(rng, pop, month, burst_customer, burst_start_s)
    custs.append(idx)
    times.append(t)
    kinds.append(np.full(len(idx), 5))
    cust, at, kinds_all = (np.concatenate(x).astype(np.int64) for x in (custs, times, kinds))
    order = np.lexsort((kinds_all, cust, at))
    return cust[order], at[order], kinds_all[order]


def _card_freezes(
    rng: np.random.Generator,
    pop: Population,
    month: int,
    burst_customer: np.ndarray,
    burst_start_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """A few random freezes, and 40% of fraud victims freezing their card 0.5-36 h later."""
    idx, t = _candidates(rng, np.full(pop.size, 0.004 / 30), month)
    idx, t = idx[t >= pop.signup_s[idx]], t[t >= pop.signup_s[idx]]
    reacts = rng.random(len(burst_customer)) < 0.4
    after = burst_start_s + rng.integers(1800, 36 * 3600, len(burst_start_s))
    start, end = month_bounds(month)
    hit = reacts & (after >= start) & (after < end)
    return np.concatenate([idx, burst_customer[hit]]), np.concatenate([t, after[hit]])


def _json_lines(
    rng: np.random.Generator,
    pop: Population,
    month: int,
    ids: np.ndarray,
    cust: np.ndarray,
    t: np.ndarray,
    kind: np.ndarray,
) -> pa.Array:
    """One JSON object per event, each ending in a newline (strings need no escaping)."""
    n = len(cust)
    primary = pop.device[cust]
    device = np.where(rng.random(n) < 0.85, primary, rng.integers(0, 3, n))
    device_json = pa.array([f'"{d}"' for d in DEVICES] + ["null"])
    session = np.round(rng.lognormal(np.log(_SESSION_MEDIAN_S[kind]), 0.8)).astype(np.int64)
    session = np.where(rng.random(n) < 0.001, session + 86_400, session)
    session_json = pc.cast(pa.array(session, mask=rng.random(n) < 0.05), pa.string())
    # Versions derive from the customer id so a customer upgrades steadily, never randomly.
    customer_id = pop.customer_id[cust]
    lag = np.array([0, 0, 0, 1, 2])[customer_id % 5]
    app = np.maximum(2 + month // 2 - lag, 0) * 4 + customer_id % 4
    app_pool = pa.array([f"6.{minor}.{patch}" for minor in range(10) for patch in range(4)])
    os_k = np.minimum(customer_id % 3 + month // 5, 3)
    os_pool = pa.array([v for versions in _OS_VERSIONS for v in versions])
    return pc.binary_join_element_wise(
        '{"event_id":"',
        prefixed_ids("E", ids, 11),
        '","customer_id":',
        pc.cast(pa.array(customer_id), pa.string()),
        ',"event_type":"',
        pa.array(EVENT_TYPES).take(pa.array(kind)),
        '","event_at":"',
        iso_strings(t),
        '","device":',
        device_json.take(pa.array(np.where(rng.random(n) < 0.03, 3, device))),
        ',"session_seconds":',
        pc.fill_null(session_json, "null"),
        ',"context":{"app_version":"',
        app_pool.take(pa.array(app)),
        '","os_version":"',
        os_pool.take(pa.array(device * 4 + os_k)),
        '"}}\n',
        "",
    )


def _write_lines(f: BinaryIO, lines: pa.Array) -> None:
    """Write the concatenated characters of ``lines`` straight from the Arrow buffer."""
    if len(lines) == 0:
        return
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset :]
    f.write(memoryview(lines.buffers()[2])[offsets[0] : offsets[len(lines)]])
