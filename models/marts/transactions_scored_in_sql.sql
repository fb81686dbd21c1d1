-- Fraud probability of the last seven days' transactions, the review queue's window,
-- computed in SQL by the function that the dbt_automl plugin registers (profiles.yml) with
-- the current fraud_model version: the same numbers as the python scoring model
-- fraud_scores. A table, never a view: the function exists only inside the dbt process.
with

transaction_features as (
    select * from {{ ref('transaction_features') }}
),

as_of as (
    select * from {{ ref('int_observation_as_of') }}
),

last_week as (
    select transaction_features.*
    from transaction_features
    cross join as_of
    where transaction_features.transaction_at > as_of.as_of_at - interval 7 day
),

scored as (
    select
        last_week.transaction_id,
        {{ dbt_automl.predict('fraud_model', relation_alias='last_week') }} as fraud_probability
    from last_week
)

select * from scored
