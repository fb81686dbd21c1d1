import dbt_automl


def model(dbt, session):
    # Incremental (see _python_models.yml): only new, changed or other-version rows are scored.
    return dbt_automl.score(
        dbt, session, model=dbt.ref("churn_model"), rows=dbt.ref("customer_features")
    )
