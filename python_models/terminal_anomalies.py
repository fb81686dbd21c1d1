import dbt_automl


def model(dbt, session):
    return dbt_automl.detect_anomalies(
        dbt,
        session,
        model=dbt.ref("terminal_anomaly_model"),
        rows=dbt.ref("terminal_daily_features"),
    )
