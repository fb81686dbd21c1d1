"""``dbt-automl card`` and ``models card``: render and publish a model's card, print its path."""

from __future__ import annotations

from pathlib import Path

from dbt_automl.cli import main


def test_card_publishes_the_serving_version_and_prints_its_path(
    registry, tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default --out is assets/cards under the project dir
    monkeypatch.delenv("DBT_AUTOML_CARDS_PATH", raising=False)
    assert main(["card", "sales_model", "--registry", str(registry.root)]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == (tmp_path / "assets" / "cards" / "sales_model" / "card.html").resolve()
    assert "## Chosen model" in (printed.parent / "card.md").read_text()
    assert (printed.parent / "backtest.png").is_file()


def test_card_of_one_version_stays_in_the_registry_unless_out_is_given(
    registry, tmp_path, capsys
) -> None:
    args = ["card", "churn_model", "--registry", str(registry.root), "--version", "1"]
    assert main(args) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == registry.root / "churn_model" / "v0001" / "card" / "card.html"
    assert main([*args, "--out", str(tmp_path / "out")]) == 0
    assert Path(capsys.readouterr().out.strip()) == tmp_path / "out" / "churn_model" / "card.html"


def test_card_of_a_missing_version_fails_with_the_fix(registry, capsys) -> None:
    assert main(["card", "churn_model", "--registry", str(registry.root), "--version", "4"]) == 1
    err = capsys.readouterr().err
    assert "no version 4" in err and "versions: v1" in err and "Fix:" in err


def test_models_card_is_the_same_command(registry, tmp_path, capsys) -> None:
    args = ["--registry", str(registry.root), "card", "churn_model", "--out", str(tmp_path)]
    assert main(["models", *args]) == 0
    assert Path(capsys.readouterr().out.strip()) == tmp_path / "churn_model" / "card.html"
    assert main(["models", "--registry", str(registry.root), "card", "no_such_model"]) == 1
    assert "no model 'no_such_model' in the registry" in capsys.readouterr().err
