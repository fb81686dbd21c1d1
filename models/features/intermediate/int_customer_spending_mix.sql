-- How each customer spends over the 365 days to as_of: volume, and the share of their
-- transactions by category group, channel and country. Fraud is left out.
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

-- Twelve categories in six groups, so that a share is a habit rather than noise.
grouped as (
    select
        transactions.customer_id,
        transactions.channel,
        transactions.is_foreign,
        cast(transactions.amount as decimal(38, 2)) as amount,
        date_trunc('month', transactions.transaction_at) as transaction_month,
        case
            when transactions.merchant_category in ('grocery', 'utilities', 'health')
                then 'everyday'
            when transactions.merchant_category in ('restaurants', 'entertainment')
                then 'dining'
            when transactions.merchant_category in ('retail', 'electronics', 'gift_cards', 'crypto')
                then 'shopping'
            else transactions.merchant_category
        end as category_group
    from transactions
    cross join as_of
    where
        not transactions.is_fraud
        and transactions.transaction_at <= as_of.as_of_at
        and as_of.as_of_date - cast(transactions.transaction_at as date) < 365
),

-- Starts from customers: one without transactions gets zero counts (and null shares).
counted as (
    select
        customers.customer_id,
        count(grouped.customer_id) as transaction_count_365d,
        count(grouped.amount) as amount_count,
        coalesce(sum(grouped.amount), 0) as spend_365d,
        count(distinct grouped.transaction_month) as active_month_count,
        count(*) filter (where grouped.category_group = 'everyday') as everyday_count,
        count(*) filter (where grouped.category_group = 'dining') as dining_count,
        count(*) filter (where grouped.category_group = 'fuel') as fuel_count,
        count(*) filter (where grouped.category_group = 'shopping') as shopping_count,
        count(*) filter (where grouped.category_group = 'travel') as travel_count,
        count(*) filter (where grouped.category_group = 'cash') as cash_count,
        count(*) filter (where grouped.channel = 'online') as online_count,
        count(*) filter (where grouped.channel = 'contactless') as contactless_count,
        count(*) filter (where grouped.is_foreign) as foreign_count
    from customers
    left join grouped on customers.customer_id = grouped.customer_id
    group by customers.customer_id
),

-- Shares of the customer's transaction count, null without transactions.
mixed as (
    select
        customer_id,
        transaction_count_365d,
        active_month_count,
        cast(spend_365d as double) as spend_365d,
        cast(spend_365d / nullif(amount_count, 0) as double) as avg_transaction_amount,
        everyday_count / nullif(transaction_count_365d, 0) as everyday_share,
        dining_count / nullif(transaction_count_365d, 0) as dining_share,
        fuel_count / nullif(transaction_count_365d, 0) as fuel_share,
        shopping_count / nullif(transaction_count_365d, 0) as shopping_share,
        travel_count / nullif(transaction_count_365d, 0) as travel_share,
        cash_count / nullif(transaction_count_365d, 0) as cash_share,
        online_count / nullif(transaction_count_365d, 0) as online_share,
        contactless_count / nullif(transaction_count_365d, 0) as contactless_share,
        foreign_count / nullif(transaction_count_365d, 0) as foreign_share
    from counted
)

select * from mixed
