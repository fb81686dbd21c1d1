"""The dbt-duckdb plugin: predictions of trained models from any SQL query.

Enable it in ``profiles.yml``, under the duckdb output::

    plugins:
      - module: dbt_automl.plugin
        config:
          registry_path: lake/models  # optional: else $DBT_AUTOML_REGISTRY_PATH, else lake/models

dbt-duckdb then calls :meth:`Plugin.configure_connection` on every connection it opens, and
the SQL functions of :mod:`dbt_automl.scoring._sql` exist for every model, python model and
thread of the run; ``{{ dbt_automl.predict('fraud_model') }}`` writes the call. They exist
only inside that process: a view that calls one cannot be read from another connection,
so models that call them are tables.

Outside dbt, :func:`register_functions` creates them on any DuckDB connection.
"""

from __future__ import annotations

from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin

from dbt_automl.errors import ConfigError
from dbt_automl.scoring._sql import FUNCTIONS, register_functions

__all__ = ["FUNCTIONS", "Plugin", "register_functions"]


class Plugin(BasePlugin):
    """Registers dbt-automl's SQL functions on each DuckDB connection dbt opens."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        """Read ``registry_path`` (dbt-duckdb also passes the profile's ``settings``,
        which are ignored here)."""
        path = plugin_config.get("registry_path")
        if path is not None and not isinstance(path, str):
            raise ConfigError(
                f"plugin dbt_automl.plugin: `registry_path` must be a path, got {path!r}",
                "set config.registry_path of the plugin in profiles.yml to a directory, or "
                "leave it out to use $DBT_AUTOML_REGISTRY_PATH, else lake/models",
            )
        self.registry_path: str | None = path or None

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Create the SQL functions on a new connection."""
        register_functions(conn, self.registry_path)
