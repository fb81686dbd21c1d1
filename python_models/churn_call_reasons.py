import dbt_automl


def model(dbt, session):
    # Why each customer on the call list may churn: their top contributions, scored for the
    # call list only (explanations cost far more than scores: see churn_call_reasons.yml).
    # Incremental: only new, changed or other-version customers are explained again.
    calls = dbt.ref("customers_to_call").project("customer_id")
    rows = dbt.ref("customer_features").join(calls, "customer_id")
    return dbt_automl.score(
        dbt,
        session,
        model=dbt.ref("churn_model"),
        rows=rows,
        explain=dbt.config.meta_get("explain"),
    )
