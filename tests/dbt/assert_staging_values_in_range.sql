-- Range checks on cleaned columns: staging nulls impossible values, so any value left outside
-- its range means a cleaning rule was lost. One row per offending value, naming the rule.
with

customers as (
    select * from {{ ref('stg_bank__customers') }}
),

transactions as (
    select * from {{ ref('stg_bank__transactions') }}
),

app_events as (
    select * from {{ ref('stg_bank__app_events') }}
),

validation_errors as (
    select
        'stg_bank__customers' as model_name,
        cast(customers.customer_id as varchar) as row_key,
        'birth_year in 1901..2010, annual_income in 0..1M, counts >= 0' as failure
    from customers
    where
        customers.birth_year not between 1901 and 2010
        or customers.annual_income not between 0 and 1000000
        or customers.product_count < 0
        or customers.complaint_count < 0

    union all

    select
        'stg_bank__transactions' as model_name,
        transactions.transaction_id as row_key,
        'amount >= 0 and ingested_at >= transaction_at' as failure
    from transactions
    where
        transactions.amount < 0
        or transactions.ingested_at < transactions.transaction_at

    union all

    select
        'stg_bank__app_events' as model_name,
        app_events.event_id as row_key,
        'session_seconds in 0..86399' as failure
    from app_events
    where app_events.session_seconds not between 0 and 86399
)

select * from validation_errors
