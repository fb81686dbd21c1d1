"""The tiny demo lake the read-only demo tests share."""

from __future__ import annotations

import pytest

from dbt_automl.demo import LakeSummary, generate_lake


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> LakeSummary:
    """One tiny lake shared by the read-only tests (generation takes about a second)."""
    return generate_lake(tmp_path_factory.mktemp("lake") / "raw", scale="tiny", seed=42)
