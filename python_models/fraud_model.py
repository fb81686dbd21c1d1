import dbt_automl


def model(dbt, session):
    # Settings live in _python_models.yml under config.meta.automl of fraud_model.
    return dbt_automl.train(
        dbt, session, dbt.ref("transaction_features"), dbt.config.meta_get("automl")
    )
