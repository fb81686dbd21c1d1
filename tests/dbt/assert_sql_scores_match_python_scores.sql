-- The SQL function and the python scoring model give the same fraud probability for every
-- transaction (same model version, same rows), and every probability is within [0, 1].
with

sql_scores as (
    select * from {{ ref('transactions_scored_in_sql') }}
),

python_scores as (
    select * from {{ ref('fraud_scores') }}
),

compared as (
    select
        sql_scores.fraud_probability as sql_probability,
        python_scores.probability as python_probability,
        coalesce(sql_scores.transaction_id, python_scores.transaction_id) as transaction_id
    from sql_scores
    full outer join python_scores
        on sql_scores.transaction_id = python_scores.transaction_id
),

validation_errors as (
    select
        compared.transaction_id,
        compared.sql_probability,
        compared.python_probability,
        case
            when compared.sql_probability is null then 'no SQL probability'
            when compared.python_probability is null then 'no python probability'
            when compared.sql_probability not between 0 and 1 then 'outside [0, 1]'
            else 'SQL and python probabilities differ'
        end as failure
    from compared
    where
        compared.sql_probability is null
        or compared.python_probability is null
        or compared.sql_probability not between 0 and 1
        or abs(compared.sql_probability - compared.python_probability) > 1e-12
)

select * from validation_errors
