"""Log lines that land in dbt's console and dbt.log when running inside dbt."""

from __future__ import annotations

import logging
from typing import Protocol


class Logger(Protocol):
    """The two levels the engine uses."""

    def info(self, msg: str) -> None: ...  # noqa: D102

    def warning(self, msg: str) -> None: ...  # noqa: D102


def get_logger() -> Logger:
    """dbt's adapter logger when dbt is importable (python models), else stdlib logging."""
    try:
        from dbt.adapters.events.logging import AdapterLogger
    except ImportError:  # used as a plain library, outside dbt
        return logging.getLogger("dbt_automl")
    return AdapterLogger("dbt_automl")
