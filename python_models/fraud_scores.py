import dbt_automl


def model(dbt, session):
    return dbt_automl.score(
        dbt, session, model=dbt.ref("fraud_model"), rows=dbt.ref("transaction_features")
    )
