import dbt_automl


def model(dbt, session):
    return dbt_automl.leaderboard(dbt, session, dbt.ref("fraud_model"))
