import dbt_automl


def model(dbt, session):
    return dbt_automl.score(
        dbt, session, model=dbt.ref("churn_model"), rows=dbt.ref("customer_features")
    )
