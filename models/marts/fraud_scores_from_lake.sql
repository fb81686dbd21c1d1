-- The fraud scores as fraud_scores wrote them to the lake: hive-partitioned Parquet under
-- var dbt_automl_scores_path (env DBT_AUTOML_SCORES_PATH, else lake/scores), read in place.
-- A view: it reads the files when queried, as any engine reading the lake would.
-- depends_on: {{ ref('fraud_scores') }}
{{ config(materialized='view') }}

with

lake_files as (
    select
        transaction_id,
        prediction,
        probability,
        probabilities,
        model_name,
        model_version,
        scored_at,
        feature_hash,
        scored_date
    from read_parquet(
        '{{ var("dbt_automl_scores_path", env_var("DBT_AUTOML_SCORES_PATH", "lake/scores")) }}'
        || '/fraud_scores/scored_date=*/*.parquet',
        hive_partitioning = true
    )
)

select * from lake_files
