import dbt_automl


def model(dbt, session):
    # Future promotions and holidays come from the covariates relation of future days.
    return dbt_automl.forecast(
        dbt,
        session,
        model=dbt.ref("sales_forecast_model"),
        future=dbt.ref("branch_sales_future_covariates"),
    )
