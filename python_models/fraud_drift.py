import dbt_automl


def model(dbt, session):
    # dbt reads the literal ref() calls: the trained model, the rows it scores, its scores.
    return dbt_automl.drift(
        dbt,
        session,
        model=dbt.ref("fraud_model"),
        rows=dbt.ref("transaction_features"),
        scores=dbt.ref("fraud_scores"),
    )
