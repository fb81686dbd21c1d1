import dbt_automl


def model(dbt, session):
    # dbt reads the literal ref() calls: the trained model, the rows it scores, its scores.
    return dbt_automl.drift(
        dbt,
        session,
        model=dbt.ref("churn_model"),
        rows=dbt.ref("customer_features"),
        scores=dbt.ref("churn_scores"),
    )
