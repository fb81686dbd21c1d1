import dbt_automl


def model(dbt, session):
    # dbt reads the literal ref() and meta_get() calls in this file; the settings live in
    # _python_models.yml under config.meta.automl of churn_model.
    return dbt_automl.train(
        dbt, session, dbt.ref("customer_features"), dbt.config.meta_get("automl")
    )
