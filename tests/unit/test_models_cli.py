"""``dbt-automl models``: list, show, promote, rollback, pin and unpin on a real registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbt_automl.cli import main
from dbt_automl.registry import Registry
from tests.unit.lifecycle.test_champion import WEAK, _settings, _trained


@pytest.fixture
def registry(con, churn_table, tmp_path, monkeypatch) -> Path:
    """churn_model with v1 champion (all features) and v2 rejected (noise columns only)."""
    monkeypatch.chdir(tmp_path)  # not a dbt project: no card is published here
    root = tmp_path / "registry"
    _trained(con, churn_table, _settings(root))
    _trained(con, churn_table, _settings(root, exclude=WEAK))
    return root


def _run(registry: Path, *args: str) -> int:
    return main(["models", "--registry", str(registry), *args])


def test_list_shows_each_model_and_the_version_serving(registry, capsys) -> None:
    assert _run(registry, "list") == 0
    out = capsys.readouterr().out
    assert "churn_model" in out and "v1" in out and "champion" in out and "roc_auc" in out


def test_show_lists_versions_and_the_lifecycle_log(registry, capsys) -> None:
    assert _run(registry, "show", "churn_model") == 0
    out = capsys.readouterr().out
    assert "rejected" in out and "promoted" in out and "first version" in out


def test_promote_then_rollback(registry, capsys) -> None:
    assert _run(registry, "promote", "churn_model", "2", "--reason", "a/b test won") == 0
    assert Registry(registry).serving("churn_model").champion == 2
    assert "serving v2" in capsys.readouterr().out
    assert _run(registry, "rollback", "churn_model") == 0
    assert Registry(registry).serving("churn_model").champion == 1
    assert Registry(registry).history("churn_model")[-1]["action"] == "rolled_back"


def test_pin_overrides_the_champion_until_unpinned(registry) -> None:
    assert _run(registry, "pin", "churn_model", "2") == 0
    state = Registry(registry).serving("churn_model")
    assert state.version == 2 and state.champion == 1
    assert _run(registry, "unpin", "churn_model") == 0
    assert Registry(registry).serving("churn_model").version == 1


def test_refusals_name_the_model_and_the_fix(registry, capsys) -> None:
    assert _run(registry, "promote", "churn_model", "9") == 1
    assert "has no version 9" in capsys.readouterr().err
    assert _run(registry, "rollback", "churn_model") == 1
    assert "no earlier champion" in capsys.readouterr().err
    assert _run(registry, "show", "nope") == 1
    assert "choose one of ['churn_model']" in capsys.readouterr().err


def test_a_change_made_in_a_dbt_project_republishes_the_model_card(registry, tmp_path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: demo\n")
    assert _run(registry, "promote", "churn_model", "2") == 0
    card = tmp_path / "assets" / "cards" / "churn_model" / "card.html"
    assert card.is_file() and "v2" in card.read_text()
