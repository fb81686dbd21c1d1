import dbt_automl


def model(dbt, session):
    # task: anomaly; the few logged failures (label_column) choose the detector and threshold.
    return dbt_automl.train(
        dbt, session, dbt.ref("terminal_daily_features"), dbt.config.meta_get("automl")
    )
