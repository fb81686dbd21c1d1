"""Fixtures that copy the demo project to a temp dir and run dbt on it through dbtRunner."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PARTS = ["dbt_project.yml", "profiles.yml", "models", "python_models", "macros", "seeds"]


@dataclass
class Project:
    """A copy of the demo project with its own lake, registry and warehouse file."""

    path: Path

    @property
    def lake(self) -> Path:
        return self.path / "lake" / "raw"

    @property
    def registry(self) -> Path:
        return self.path / "lake" / "models"

    @property
    def scores(self) -> Path:
        return self.path / "lake" / "scores"

    @property
    def warehouse(self) -> Path:
        return self.path / "target" / "warehouse.duckdb"

    def env(self) -> dict[str, str]:
        """The environment variables that point dbt and the library at this copy."""
        return {
            "DBT_AUTOML_LAKE_PATH": str(self.lake),
            "DBT_AUTOML_REGISTRY_PATH": str(self.registry),
            "DBT_AUTOML_SCORES_PATH": str(self.scores),
            "DBT_AUTOML_DUCKDB_PATH": str(self.warehouse),
            # dbtRunner runs in this process: release the file after each run to read it.
            "DBT_AUTOML_DUCKDB_KEEP_OPEN": "false",
            # Tiny data needs no long search; the cap keeps the suite fast.
            "DBT_AUTOML_MAX_TIME_BUDGET_S": "6",
            "DO_NOT_TRACK": "1",
        }

    def dbt(self, *args: str):  # noqa: ANN201 - dbtRunnerResult
        """Run one dbt command on this copy with its environment."""
        from dbt.cli.main import dbtRunner

        saved = {k: os.environ.get(k) for k in self.env()}
        os.environ.update(self.env())
        try:
            return dbtRunner().invoke(
                [*args, "--project-dir", str(self.path), "--profiles-dir", str(self.path)]
            )
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def query(self, sql: str) -> list[tuple]:
        """Read the warehouse file (dbt releases it after each run: keep_open is false)."""
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.sql(sql).fetchall()

    def copy(self, dest: Path) -> Project:
        """A full copy (lake, registry and warehouse included) to break without harm."""
        shutil.copytree(self.path, dest, symlinks=True)
        return Project(dest)

    def edit(self, relative: str, pattern: str, replacement: str) -> None:
        """Regex-replace text in one project file; fails loudly when nothing matches."""
        path = self.path / relative
        text, count = re.subn(pattern, replacement, path.read_text(), flags=re.MULTILINE)
        assert count, f"{pattern!r} not found in {relative}"
        path.write_text(text)


def copy_demo_project(dest: Path) -> None:
    """The demo dbt project's files (no lake, registry or warehouse) copied into ``dest``."""
    dest.mkdir()
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part)
        elif source.exists():
            shutil.copy(source, dest / part)
    shutil.copytree(ROOT / "tests" / "dbt", dest / "tests" / "dbt")


def statuses(result) -> dict[str, str]:  # noqa: ANN001
    """Node name -> status of a dbtRunner result."""
    return {r.node.name: str(r.status) for r in result.result.results}


def messages(result) -> str:  # noqa: ANN001
    """Every node message of a dbtRunner result, joined (where errors are reported)."""
    return "\n".join(str(r.message) for r in result.result.results)


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, object]]:
    """The demo project built once on the small lake: (project, dbt build result)."""
    from dbt_automl.demo import generate_lake

    base = tmp_path_factory.mktemp("demo") / "project"
    copy_demo_project(base)
    project = Project(base)
    # small, not tiny: 400 test customers keep the demo's real ROC AUC gate (0.80) meaningful.
    generate_lake(project.lake, scale="small", seed=42)
    result = project.dbt("build")
    yield project, result
