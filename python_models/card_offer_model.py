import dbt_automl


def model(dbt, session):
    # task: recommendation over customer x merchant-category interactions.
    return dbt_automl.train(
        dbt, session, dbt.ref("customer_merchant_interactions"), dbt.config.meta_get("automl")
    )
