"""The model lifecycle through real `dbt build`s: retrain rules, champion and challenger."""

from __future__ import annotations

from tests.integration.conftest import Project, messages

YAML = "python_models/_python_models.yml"


def _versions(project: Project, name: str) -> list[str]:
    return sorted(p.name for p in (project.registry / name).glob("v[0-9]*"))


def _serving(project: Project) -> dict[int, tuple[bool, str]]:
    found = project.query("select version, is_current, status from churn_model order by 1")
    return {v: (bool(c), s) for v, c, s in found}


def _scored_by(project: Project) -> list[int]:
    return [v for (v,) in project.query("select distinct model_version from churn_scores")]


def _weak_settings(project: Project) -> None:
    """Keep one noise-like column: a challenger that must lose to the champion."""
    columns = [
        c for (c,) in project.query("select name from pragma_table_info('customer_features')")
    ]
    dropped = [c for c in columns if c not in ("customer_id", "is_churned", "region")]
    project.edit(
        YAML, r"(churn_model\n(?:.*\n)*?\s+seed: 42)", rf"\1\n          exclude: {dropped}"
    )


def test_one_changed_row_retrains_and_the_var_forces_a_retrain(built_project, tmp_path) -> None:
    project = built_project[0].copy(tmp_path / "one_row")
    csv = project.lake / "customers" / "customers.csv"
    header, first, rest = csv.read_text().split("\n", 2)
    fields = first.split(",")
    fields[5] = f"{float(fields[5]) + 1:.2f}"  # one customer's annual_income, one unit up
    csv.write_text("\n".join([header, ",".join(fields), rest]))
    # Cautious: tests that also read nodes downstream of churn_model wait for those.
    result = project.dbt("build", "--select", "+churn_model", "--indirect-selection", "cautious")
    assert result.success, messages(result)
    assert _versions(project, "churn_model") == ["v0001", "v0002"]
    forced = project.dbt("run", "--select", "churn_model", "--vars", "{automl_retrain: true}")
    assert forced.success, messages(forced)
    assert _versions(project, "churn_model") == ["v0001", "v0002", "v0003"]
    reasons = project.query("select status_reason from churn_model where version = 3")
    assert reasons[0][0]  # judged and logged, promoted or not


def test_a_worse_challenger_is_kept_out_and_a_better_one_serves(built_project, tmp_path) -> None:
    from dbt_automl.cli import main

    project = built_project[0].copy(tmp_path / "challenger")
    _weak_settings(project)
    worse = project.dbt("build", "--select", "churn_model+")
    assert worse.success, messages(worse)
    assert _serving(project) == {1: (True, "champion"), 2: (False, "rejected")}
    assert _scored_by(project) == [1]
    registry_rows = project.query(
        "select version, status, status_reason from model_registry "
        "where model_name = 'churn_model' order by version"
    )
    assert [r[:2] for r in registry_rows] == [(1, "champion"), (2, "rejected")]
    assert "on the same held-out rows" in registry_rows[1][2]
    # The weak version is made champion by hand; the full settings then train a better one.
    registry = str(project.registry)
    assert main(["models", "--registry", registry, "promote", "churn_model", "2"]) == 0
    project.edit(YAML, r"\n\s+exclude: \[.*\]", "")
    better = project.dbt("build", "--select", "churn_model+")
    assert better.success, messages(better)
    serving = _serving(project)
    assert serving[3] == (True, "champion") and serving[2] == (False, "retired")
    assert _scored_by(project) == [3]
