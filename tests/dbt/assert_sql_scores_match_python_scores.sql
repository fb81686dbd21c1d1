-- The SQL function and the python scoring model give the same fraud probability for every
-- transaction the SQL model scored (same model version, same rows), every probability is
-- within [0, 1], and the SQL model scored at least one transaction.
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
    left join python_scores
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

    union all

    select
        null as transaction_id,
        null as sql_probability,
        null as python_probability,
        'the SQL model scored no transaction' as failure
    where not exists (select 1 from sql_scores)
)

select * from validation_errors
