"""Model cards of real tiny fits of every task: what each card says and draws, the dbt
test thresholds it reads from a manifest, and publishing (skipped when unchanged,
atomic when it fails)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from dbt_automl.cards import CARDS_ENV, publish_after_train, publish_card, render_card
from dbt_automl.errors import RegistryError
from dbt_automl.registry import Registry
from tests.unit.cards.conftest import fit

PNG = b"\x89PNG\r\n\x1a\n"
# The plots each task draws from what its version recorded (none may be a placeholder).
DRAWN = {
    "churn_model": {"roc_pr", "calibration", "confusion", "importances", "predictions"},
    "spend_model": {"residuals", "importances", "predictions"},
    "segment_model": {"k_curve", "segment_sizes"},
    "anomaly_model": {"scores"},
    "offer_model": {"precision_at_n"},
    "sales_model": {"backtest"},
}
SECTIONS = ("Overview", "Data", "Metrics", "Leaderboard", "Chosen model", "Decisions")


@pytest.mark.parametrize("name", sorted(DRAWN))
def test_every_task_gets_a_card_with_its_sections_and_plots(registry, tmp_path, name) -> None:
    card = render_card(registry, name, project=tmp_path)
    text = (card / "card.md").read_text()
    assert text.startswith(f"# Model card: {name} v1\n")
    for title in (*SECTIONS, "Status and history", "Plots"):
        assert f"\n## {title}\n" in text, title
    stamp = json.loads((card / "card.json").read_text())
    assert {Path(p).stem for p in stamp["plots"]} == DRAWN[name]
    for plot in stamp["plots"]:
        data = (card / plot).read_bytes()
        assert data.startswith(PNG) and len(data) > 5_000, plot  # a real chart, not a stub
        assert "![" in text and f"]({plot})" in text
    html = (card / "card.html").read_text()
    for anchor in ("metrics", "leaderboard", "decisions", "status"):
        assert f'<section id="{anchor}">' in html
    assert "Status: champion. Scoring uses this version." in text
    assert "no threshold" in text  # no manifest in tmp_path: no metric has a test bound


def test_the_card_reads_what_each_task_decided(registry, tmp_path) -> None:
    churn = (render_card(registry, "churn_model", project=tmp_path) / "card.md").read_text()
    meta = registry.versions("churn_model")[0].metadata
    threshold = meta["decisions"]["threshold"]
    assert f"decision threshold {threshold['value']:.4g}: {threshold['reason']}" in churn
    assert "not features by the settings (id_columns, exclude): customer_id" in churn
    assert f"| data fingerprint | {meta['data']['fingerprint']} |" in churn
    best = meta["best"]["family"]
    assert "| 1 | " in churn and f"| {best} |" in churn  # the leaderboard ranks the winner
    sales = (render_card(registry, "sales_model", project=tmp_path) / "card.md").read_text()
    assert "rolling-origin backtest" in sales and "| relative_mase |" in sales
    # Forecasting knows its time column's range (the profile's min / max, else the last period).
    assert "| date range | " in sales and "not recorded (time column" not in sales
    segments = (render_card(registry, "segment_model", project=tmp_path) / "card.md").read_text()
    assert "| segments (k) | 4 |" in segments  # the blobs fixture has four segments


def test_metrics_are_checked_against_the_thresholds_of_the_models_dbt_tests(
    registry, tmp_path
) -> None:
    auc = registry.versions("churn_model")[0].metadata["metrics"]["test"]["roc_auc"]
    _manifest(
        tmp_path,
        "churn_model",
        [
            ("expect_model_metric_to_be_between", {"metric": "roc_auc", "min_value": 0.5}),
            ("metric_threshold", {"metric": "f1", "max_value": 0.01}),
            ("expect_model_metric_to_be_between", {"metric": "brier", "min_value": 0.0}),
            ("unique", {"column_name": "version"}),
        ],
    )
    text = (render_card(registry, "churn_model", project=tmp_path) / "card.md").read_text()
    assert f"| roc_auc | {auc:.4g} | >= 0.5 (expect_model_metric_to_be_between) | yes |" in text
    assert "| f1 | " in text and "<= 0.01 (metric_threshold) | NO |" in text
    assert "| brier | not recorded | >= 0.0 (expect_model_metric_to_be_between) | unknown |" in (
        text
    )
    assert "| accuracy | " in text and "| no threshold |" in text


def test_publishing_copies_the_serving_card_and_skips_when_nothing_changed(
    registry, tmp_path
) -> None:
    published = publish_card(registry, "offer_model", tmp_path / "cards", project=tmp_path)
    assert published == tmp_path / "cards" / "offer_model" / "card.html"
    files = {p.name for p in published.parent.iterdir()}
    assert files == {"card.html", "card.md", "card.json", "precision_at_n.png"}
    before = {p.name: p.stat().st_mtime_ns for p in published.parent.iterdir()}
    publish_card(registry, "offer_model", tmp_path / "cards", project=tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in published.parent.iterdir()} == before
    drift = [{"feature": "amount", "psi": 0.31}, {"feature": "hour", "psi": 0.02}]
    publish_card(registry, "offer_model", tmp_path / "cards", drift=drift, project=tmp_path)
    text = (published.parent / "card.md").read_text()
    assert "## Drift" in text and "| amount | 0.31 |" in text
    assert (published.parent / "drift.png").read_bytes().startswith(PNG)
    assert not [p for p in (tmp_path / "cards").iterdir() if p.name.startswith(".")]


def test_a_failure_mid_render_leaves_the_published_card_intact(
    registry, tmp_path, monkeypatch
) -> None:
    cards = tmp_path / "cards"
    published = publish_card(registry, "segment_model", cards, project=tmp_path)
    before = {p.name: p.read_bytes() for p in published.parent.iterdir()}
    version_card = registry.versions("segment_model")[0].path / "card"
    card_before = {p.name: p.read_bytes() for p in version_card.iterdir()}

    def broken(doc: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr("dbt_automl.cards._card.to_html", broken)
    drift = [{"feature": "income", "psi": 0.5}]  # new content: the card must re-render
    with pytest.raises(RuntimeError, match="disk full"):
        publish_card(registry, "segment_model", cards, drift=drift, project=tmp_path)
    assert {p.name: p.read_bytes() for p in published.parent.iterdir()} == before
    assert {p.name: p.read_bytes() for p in version_card.iterdir()} == card_before
    leftovers = [*cards.glob(".*"), *version_card.parent.glob(".card*")]
    assert not leftovers


def test_a_new_version_re_renders_the_cards_that_list_the_statuses(registry, tmp_path) -> None:
    root = tmp_path / "registry"
    shutil.copytree(registry.root / "segment_model", root / "segment_model")
    copy = Registry(root)
    first = publish_card(copy, "segment_model", tmp_path / "cards", project=tmp_path)
    assert "| v1 (this card) | champion |" in (first.parent / "card.md").read_text()
    from tests.unit.clustering.conftest import blobs

    with duckdb.connect() as con:
        fit(con, root, "segment_model", blobs(seed=1)[0])
    published = publish_card(copy, "segment_model", tmp_path / "cards", project=tmp_path)
    status = copy.status("segment_model") if hasattr(copy, "status") else {1: "retired"}
    serving = json.loads((published.parent / "card.json").read_text())["version"]
    text = (published.parent / "card.md").read_text()
    assert f"| v{serving} (this card) | {status[serving]} |" in text
    assert "| v2" in text
    # Both versions have a card in the registry, whichever serves.
    assert all((v.path / "card" / "card.html").is_file() for v in copy.versions("segment_model"))


def test_an_unknown_model_or_version_names_what_exists(registry, tmp_path) -> None:
    with pytest.raises(RegistryError, match=r"no version 9 .*\(versions: v1\).*Fix:"):
        render_card(registry, "sales_model", 9, project=tmp_path)
    with pytest.raises(RegistryError, match="no trained version"):
        publish_card(registry, "nothing_model", tmp_path, project=tmp_path)


def test_training_publishes_only_where_cards_are_expected(
    registry, tmp_path, monkeypatch, caplog
) -> None:
    monkeypatch.delenv(CARDS_ENV, raising=False)
    monkeypatch.setattr("dbt_automl.cards._publish.dbt_flag", lambda name: None)
    monkeypatch.chdir(tmp_path)
    publish_after_train(registry, "spend_model")  # outside dbt, no env var: nothing
    assert not (tmp_path / "assets").exists()
    monkeypatch.setenv(CARDS_ENV, str(tmp_path / "published"))
    publish_after_train(registry, "spend_model")
    assert (tmp_path / "published" / "spend_model" / "residuals.png").is_file()
    monkeypatch.setattr("dbt_automl.cards._card.to_html", _raise)
    publish_after_train(registry, "churn_model")  # a card failure never fails training
    assert not (tmp_path / "published" / "churn_model").exists()


def _raise(doc: object) -> str:
    raise RuntimeError("no card")


def _manifest(project: Path, model: str, tests: list[tuple[str, dict]]) -> None:
    """A dbt manifest holding ``tests`` attached to ``model`` (the keys cards read)."""
    nodes = {
        f"test.p.t{i}": {
            "resource_type": "test",
            "attached_node": f"model.p.{model}",
            "test_metadata": {"name": name, "kwargs": {**kwargs, "model": "{{ ref('x') }}"}},
            "config": {"severity": "ERROR"},
        }
        for i, (name, kwargs) in enumerate(tests)
    }
    (project / "target").mkdir(exist_ok=True)
    (project / "target" / "manifest.json").write_text(json.dumps({"nodes": nodes}))


def test_drift_from_compare_is_drawn_and_listed_worst_first(registry, tmp_path) -> None:
    from dbt_automl.drift import compare
    from tests.conftest import churn_like_frame

    frame = churn_like_frame(seed=1)
    frame["spend_90d"] = frame["spend_90d"] * 3  # a shift the profile's deciles must see
    profile = registry.versions("churn_model")[0].metadata["profile"]
    with duckdb.connect() as con:
        con.register("scored", frame)
        drift = compare(profile, con.sql("select * from scored"))
    published = publish_card(registry, "churn_model", tmp_path, drift=drift, project=tmp_path)
    text = (published.parent / "card.md").read_text()
    drift_table = text[text.index("## Drift") :]
    first_row = drift_table.split("\n|---")[1].split("\n")[1]
    assert first_row.startswith("| spend_90d | numeric | ")  # the largest PSI leads
    assert "drift.png" in json.loads((published.parent / "card.json").read_text())["plots"]
