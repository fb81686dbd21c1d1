import dbt_automl


def model(dbt, session):
    # Settings live in fraud_model.yml under config.meta.automl.
    return dbt_automl.train(
        dbt, session, dbt.ref("transaction_features"), dbt.config.meta_get("automl")
    )
