with

customers as (
    select * from {{ ref('stg_bank__customers') }}
),

transactions as (
    select * from {{ ref('stg_bank__transactions') }}
),

as_of as (
    select * from {{ ref('int_observation_as_of') }}
),

-- Whole days before as_of: 0 is the as_of date itself, so "< 30" is the last 30 days.
dated as (
    select
        transactions.customer_id,
        -- Exact decimals: a sum of doubles depends on the order rows arrive in, which
        -- changes between builds and made unchanged data look changed (and retrain).
        cast(coalesce(transactions.amount, 0) as decimal(38, 6)) as amount,
        as_of.as_of_date - cast(transactions.transaction_at as date) as days_ago
    from transactions
    cross join as_of
    where transactions.transaction_at <= as_of.as_of_at
),

-- Starts from customers so that a customer without transactions gets zero counts. The
-- casts back to double read as simple targets to ST06; the column order stays as it was.
windowed as (
    select  -- noqa: ST06
        customers.customer_id,
        count(dated.days_ago) filter (where dated.days_ago < 30) as tx_count_30d,
        count(dated.days_ago) filter (where dated.days_ago between 30 and 89) as tx_count_30_90d,
        count(dated.days_ago) filter (where dated.days_ago between 90 and 364)
            as tx_count_90_365d,
        cast(coalesce(sum(dated.amount) filter (where dated.days_ago < 30), 0) as double)
            as tx_amount_30d,
        cast(
            coalesce(sum(dated.amount) filter (where dated.days_ago between 30 and 89), 0)
            as double
        ) as tx_amount_30_90d,
        cast(
            coalesce(sum(dated.amount) filter (where dated.days_ago between 90 and 364), 0)
            as double
        ) as tx_amount_90_365d,
        min(dated.days_ago) as days_since_last_transaction
    from customers
    left join dated on customers.customer_id = dated.customer_id
    group by customers.customer_id
),

-- Monthly rates compared: the last 30 days against the 60 before, the last 90 against the 275
-- before. +1 on both sides keeps a quiet customer near 1 instead of dividing by zero.
trended as (
    select
        windowed.*,
        (windowed.tx_count_30d + 1) / (windowed.tx_count_30_90d / 2 + 1) as tx_count_trend_30d,
        ((windowed.tx_count_30d + windowed.tx_count_30_90d) / 3 + 1)
        / (windowed.tx_count_90_365d * 30 / 275 + 1) as tx_count_trend_90d,
        ((windowed.tx_amount_30d + windowed.tx_amount_30_90d) / 3 + 1)
        / (windowed.tx_amount_90_365d * 30 / 275 + 1) as tx_amount_trend_90d
    from windowed
)

select * from trended
