-- What each customer buys, by merchant category: the interactions card offers are
-- recommended from. Fraudulent transactions are left out: they say nothing about the
-- customer's own taste.
with

transactions as (
    select * from {{ ref('stg_bank__transactions') }}
),

as_of as (
    select * from {{ ref('int_observation_as_of') }}
),

-- Exact decimals: a sum of doubles depends on the order rows arrive in, which would make
-- unchanged data look changed (and retrain the recommender).
aggregated as (
    select
        transactions.customer_id,
        transactions.merchant_category,
        count(*) as transaction_count,
        sum(cast(coalesce(transactions.amount, 0) as decimal(38, 2))) as total_amount_exact,
        count(distinct transactions.merchant_id) as merchant_count,
        min(transactions.transaction_at) as first_transaction_at,
        max(transactions.transaction_at) as last_transaction_at
    from transactions
    cross join as_of
    where
        not transactions.is_fraud
        and transactions.transaction_at <= as_of.as_of_at
    group by transactions.customer_id, transactions.merchant_category
),

interactions as (
    select
        customer_id,
        merchant_category,
        transaction_count,
        cast(total_amount_exact as double) as total_amount,
        merchant_count,
        first_transaction_at,
        last_transaction_at
    from aggregated
)

select * from interactions
