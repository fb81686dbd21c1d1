import dbt_automl


def model(dbt, session):
    # task: clustering; settings (k range, families, segment labels) in _python_models.yml.
    return dbt_automl.train(
        dbt, session, dbt.ref("customer_segment_features"), dbt.config.meta_get("automl")
    )
