import dbt_automl


def model(dbt, session):
    # dbt reads the literal ref() and meta_get() calls in this file; the settings live in
    # churn_model.yml under config.meta.automl.
    return dbt_automl.train(
        dbt, session, dbt.ref("customer_features"), dbt.config.meta_get("automl")
    )
