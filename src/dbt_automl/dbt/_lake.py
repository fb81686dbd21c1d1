"""Scores in the lake: a hive-partitioned Parquet copy of a prediction table.

Layout: ``<root>/scored_date=YYYY-MM-DD/data_0.parquet``, one partition per day a row was
scored (UTC), the same columns as the prediction table. The lake holds the same rows as the
table after the run: rescored keys leave their old partition, keys gone from the scored
rows leave the lake, unchanged rows stay where they are.

Crash safety: every file is written in a staging directory next to ``root``
(``.<name>.staging-<id>``) and moved into place with ``os.replace``, which is atomic, so a
reader of ``<root>/*/*.parquet`` sees each file whole, old or new, never half-written. A
failure before the move leaves every partition as it was; the staging directory is removed
whatever happens (and a crashed process's leftover by the next run). Each partition that
changes is rewritten whole from the table's rows, so a rerun never adds a row twice.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dbt_automl.dbt._relations import quote
from dbt_automl.errors import ConfigError

PARTITION = "scored_date"


def _literal(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _same_key(keys: list[str], left: str, right: str) -> str:
    return " and ".join(f"{left}.{quote(k)} = {right}.{quote(k)}" for k in keys)


class ScoresLake:
    """The lake directory of one prediction table, keyed by the model's id columns."""

    def __init__(self, root: str | Path, keys: list[str], model: str) -> None:
        if "://" in str(root):
            raise ConfigError(
                f"lake_path must be a local directory, got {str(root)!r}",
                "write scores to a local path (an atomic rename needs one filesystem)",
                model=model,
            )
        self.root = Path(root).absolute()
        self.keys = keys
        self.model = model

    @property
    def files(self) -> str:
        """SQL for reading every published file (hive partitioning gives ``scored_date``)."""
        glob = _literal(self.root / f"{PARTITION}=*" / "*.parquet")
        return f"read_parquet({glob}, hive_partitioning = true, union_by_name = true)"

    def partitions(self) -> set[date]:
        """The days that have a partition directory."""
        if not self.root.is_dir():
            return set()
        found = set()
        for path in self.root.glob(f"{PARTITION}=*"):
            try:
                found.add(date.fromisoformat(path.name.split("=", 1)[1]))
            except ValueError:
                continue
        return found

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A fresh staging directory next to the root, removed on exit."""
        self.root.parent.mkdir(parents=True, exist_ok=True)
        prefix = f".{self.root.name}.staging-"
        for stale in self.root.parent.glob(prefix + "*"):  # a crashed run's leftover
            shutil.rmtree(stale, ignore_errors=True)
        path = self.root.parent / f"{prefix}{uuid.uuid4().hex[:12]}"
        path.mkdir()
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def write_new(
        self, staging: Path, batches: Iterator[pa.RecordBatch], schema: pa.Schema
    ) -> tuple[Path, int]:
        """Stream the scored batches into ``staging/new.parquet``; returns it and its rows."""
        path, count = staging / "new.parquet", 0
        with pq.ParquetWriter(path, schema) as writer:
            for batch in batches:
                writer.write_batch(batch)
                count += batch.num_rows
        return path, count

    def publish(
        self,
        session: Any,
        staging: Path,
        new: Path,
        this: str | None,
        today: date,
        deleted: int = 0,
    ) -> int:
        """Rewrite the partitions that change; returns how many were written or removed.

        ``new`` holds the rows scored now (``today``). ``this`` is the prediction table
        before the run's merge (incremental runs; ``deleted`` keys just left it), whose
        rows not rescored stay; ``None`` means the new rows replace the whole lake.
        """
        final = f"select * from read_parquet({_literal(new)})"
        if this is not None:
            final = (
                f"select t.* from {this} as t where not exists (select 1 from "
                f"read_parquet({_literal(new)}) as n where {_same_key(self.keys, 'n', 't')})"
                f" union all by name {final}"
            )
        days = self._changed_days(session, final, new, this, today, deleted)
        if not days:
            return 0
        parts = staging / "parts"
        listed = ", ".join(f"date '{d.isoformat()}'" for d in sorted(days))
        session.execute(
            f"""copy (
                    select *, cast(scored_at as date) as {PARTITION} from ({final})
                    where cast(scored_at as date) in ({listed})
                ) to {_literal(parts)} (format parquet, partition_by ({PARTITION}))"""
        )
        # Partitions that lose rows first, today's last: a reader between two moves may
        # miss a rescored row, never see it twice.
        for day in sorted(days, key=lambda d: (d == today, d)):
            self._replace(parts, day)
        return len(days)

    def _changed_days(
        self, session: Any, final: str, new: Path, this: str | None, today: date, deleted: int
    ) -> set[date]:
        existing = self.partitions()
        if this is None:
            return existing | {today}
        wanted = session.sql(f"select distinct cast(scored_at as date) from ({final})")
        # Days the table has and the lake lacks, or the other way round; today's new rows.
        days = {r[0] for r in wanted.fetchall()} ^ existing
        scored = pq.read_metadata(new).num_rows
        if scored:
            days.add(today)
        if existing and (scored or deleted):
            # Partitions holding a rescored key, or a key the table no longer has (a run
            # that changed nothing skips this scan of every key in the lake).
            touched = session.sql(
                f"""select distinct l.{PARTITION} from {self.files} as l
                    where exists (select 1 from read_parquet({_literal(new)}) as n
                                  where {_same_key(self.keys, "n", "l")})
                       or not exists (select 1 from {this} as t
                                      where {_same_key(self.keys, "t", "l")})"""
            ).fetchall()
            days |= {r[0] for r in touched}
        return days

    def _replace(self, parts: Path, day: date) -> None:
        name = f"{PARTITION}={day.isoformat()}"
        staged, target = parts / name, self.root / name
        if staged.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            written = set()
            for path in sorted(staged.iterdir()):
                os.replace(path, target / path.name)  # atomic: the old file or the new one
                written.add(path.name)
            for path in target.iterdir():
                if path.name not in written:
                    path.unlink()
        elif target.is_dir():
            shutil.rmtree(target)

    def published(self, session: Any, schema: pa.Schema, scored_at: datetime) -> Any:
        """The rows this run scored, read back from the lake (a lazy relation)."""
        glob = _literal(self.root / f"{PARTITION}={scored_at.date().isoformat()}" / "*.parquet")
        columns = ", ".join(quote(name) for name in schema.names)
        return session.sql(
            f"select {columns} from read_parquet({glob}, hive_partitioning = false) "
            f"where scored_at = timestamp '{scored_at.isoformat(sep=' ')}'"
        )
