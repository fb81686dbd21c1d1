"""Where cards go: the project a dbt run works on, its manifest, the published cards."""

from __future__ import annotations

import os
from pathlib import Path

from dbt_automl.lifecycle import dbt_flag

CARDS_ENV = "DBT_AUTOML_CARDS_PATH"
CARD_DIR = "card"  # inside a registry version directory: vNNNN/card/


def project_dir(project: Path | None = None) -> Path:
    """``project`` if given; inside a dbt run its project dir; else the working directory."""
    if project is not None:
        return project
    return Path(dbt_flag("PROJECT_DIR") or os.getcwd())


def cards_root(project: Path | None = None) -> Path:
    """The published cards: $DBT_AUTOML_CARDS_PATH, else ``<project>/assets/cards``.

    ``assets/`` is the dbt project's ``asset-paths`` entry, which ``dbt docs generate``
    copies to ``target/assets/``, where the model pages' links and images point.
    """
    configured = os.environ.get(CARDS_ENV)
    if configured:
        return Path(configured).resolve()
    return (project_dir(project) / "assets" / "cards").resolve()


def manifest_path(project: Path | None = None) -> Path:
    """``<project>/<target path>/manifest.json``: inside a dbt run, the invocation's
    project and target path; else ``<project or working dir>/target/manifest.json``."""
    root = project_dir(project)
    target = Path(dbt_flag("TARGET_PATH") or "target") if project is None else Path("target")
    return (target if target.is_absolute() else root / target) / "manifest.json"
