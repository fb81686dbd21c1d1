import dbt_automl


def model(dbt, session):
    # task: forecasting; settings in _python_models.yml under config.meta.automl.
    return dbt_automl.train(
        dbt, session, dbt.ref("branch_sales_daily"), dbt.config.meta_get("automl")
    )
