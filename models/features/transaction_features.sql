with

transactions as (
    select * from {{ ref('stg_bank__transactions') }}
),

history as (
    select * from {{ ref('int_transaction_customer_history') }}
),

customers as (
    select * from {{ ref('stg_bank__customers') }}
),

-- Backward-looking only (see int_transaction_customer_history): a scoring job has the same
-- values at the moment the transaction happens.
final as (
    select
        transactions.transaction_id,
        transactions.customer_id,
        transactions.transaction_at,
        transactions.is_fraud,
        transactions.amount,
        transactions.channel,
        transactions.merchant_category,
        transactions.merchant_id,
        transactions.country_code,
        transactions.is_foreign,
        customers.tier as customer_tier,
        history.customer_prior_tx_count,
        history.customer_prior_online_share,
        history.customer_prior_foreign_share,
        history.customer_prior_night_share,
        history.tx_count_prev_1h,
        history.tx_count_prev_24h,
        history.merchant_tx_count_prev_30d,
        transactions.amount / nullif(history.customer_prior_median_amount, 0)
            as amount_to_customer_median_ratio,
        hour(transactions.transaction_at) as hour_of_day,
        hour(transactions.transaction_at) < 6 as is_night,
        isodow(transactions.transaction_at) as day_of_week,
        coalesce(history.amount_prev_24h, 0) as amount_prev_24h,
        history.customer_merchant_prior_tx_count = 0 as is_new_merchant_for_customer,
        history.customer_country_prior_tx_count = 0 as is_new_country_for_customer,
        epoch(transactions.transaction_at - history.previous_transaction_at)
            as seconds_since_previous_transaction
    from transactions
    inner join history on transactions.transaction_id = history.transaction_id
    left join customers on transactions.customer_id = customers.customer_id
)

select * from final
