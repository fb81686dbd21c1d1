-- Fraud probability of every transaction, computed in SQL by the function that the
-- dbt_automl plugin registers (profiles.yml), with the current fraud_model version: the
-- same numbers as the python scoring model fraud_scores. A table, never a view: the
-- function exists only inside the dbt process.
with

transaction_features as (
    select * from {{ ref('transaction_features') }}
),

scored as (
    select
        transaction_features.transaction_id,
        {{ dbt_automl.predict('fraud_model', relation_alias='transaction_features') }}
            as fraud_probability
    from transaction_features
)

select * from scored
