"""Explanations in the demo build: the evaluation tables and the call list's contributions."""

from __future__ import annotations

from tests.integration.conftest import statuses

EVALUATIONS = ("churn_model_evaluation", "fraud_model_evaluation")


def test_the_evaluation_tables_and_their_tests_pass(built_project) -> None:
    project, result = built_project
    states = statuses(result)
    for name in (*EVALUATIONS, "assert_evaluation_tables_are_consistent"):
        assert states[name] in ("success", "pass"), (name, states[name])
    # The evaluation tables' column tests and churn_call_reasons' (explanation columns).
    tested = {n: s for n, s in states.items() if "evaluation" in n or "churn_call_reasons" in n}
    assert len(tested) > 10 and set(tested.values()) <= {"success", "pass"}, tested
    [(curves, cells, test_rows)] = project.query(
        """select count(distinct curve),
                  sum(count) filter (where curve = 'confusion_matrix'),
                  (select test_rows from fraud_model where is_current)
           from fraud_model_evaluation"""
    )
    assert curves == 6 and cells == test_rows


def test_the_call_list_carries_each_customers_top_three_contributions(built_project) -> None:
    project, _ = built_project
    columns = [r[0] for r in project.query("describe churn_call_reasons")]
    wanted = ["contribution_baseline"] + [
        f"top_{part}_{k}" for k in (1, 2, 3) for part in ("feature", "contribution")
    ]
    assert wanted == [c for c in columns if c in wanted]
    [(rows, explained, ordered, features)] = project.query(
        """select count(*), count(top_feature_3),
                  count(*) filter (where abs(top_contribution_1) >= abs(top_contribution_2)
                                     and abs(top_contribution_2) >= abs(top_contribution_3)),
                  count(distinct top_feature_1)
           from churn_call_reasons"""
    )
    assert rows == explained == ordered > 0
    assert rows == project.query("select count(*) from customers_to_call")[0][0]
    assert features > 1  # different customers, different reasons
    [(unknown,)] = project.query(
        """select count(*) from churn_call_reasons
           where top_feature_1 not in (select column_name from information_schema.columns
                                       where table_name = 'customer_features')"""
    )
    assert unknown == 0
