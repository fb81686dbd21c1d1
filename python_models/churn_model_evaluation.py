import dbt_automl


def model(dbt, session):
    # The current churn_model version's test-split curves and importances (metadata only).
    return dbt_automl.evaluation(dbt, session, dbt.ref("churn_model"))
