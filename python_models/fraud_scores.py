import dbt_automl


def model(dbt, session):
    # Incremental, and also written to the lake as Parquet under meta.lake_path
    # (see _python_models.yml); dbt reads the literal meta_get() call in this file.
    return dbt_automl.score(
        dbt,
        session,
        model=dbt.ref("fraud_model"),
        rows=dbt.ref("transaction_features"),
        lake_path=dbt.config.meta_get("lake_path"),
    )
