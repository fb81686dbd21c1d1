import dbt_automl


def model(dbt, session):
    # Incremental (see _python_models.yml): only new, changed or other-version rows are
    # scored. meta.explain adds each customer's top contributions; dbt reads the literal
    # meta_get() call in this file.
    return dbt_automl.score(
        dbt,
        session,
        model=dbt.ref("churn_model"),
        rows=dbt.ref("customer_features"),
        explain=dbt.config.meta_get("explain"),
    )
