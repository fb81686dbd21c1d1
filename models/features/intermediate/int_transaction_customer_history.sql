-- One row per transaction: what the customer (and the merchant) looked like BEFORE it. Every
-- frame ends at the previous row or excludes the current one, so no value depends on the
-- transaction itself, its label, or anything that happened later.
with

transactions as (
    select * from {{ ref('stg_bank__transactions') }}
),

flagged as (
    select
        transactions.*,
        case when transactions.channel = 'online' then 1.0 else 0.0 end as online_flag,
        case when transactions.is_foreign then 1.0 else 0.0 end as foreign_flag,
        case when hour(transactions.transaction_at) < 6 then 1.0 else 0.0 end as night_flag
    from transactions
),

-- The decimal sum cast back to double reads as a simple target to ST06; the column order
-- stays as it was.
history as (
    select  -- noqa: ST06
        flagged.transaction_id,
        count(*) over customer_before as customer_prior_tx_count,
        median(flagged.amount) over customer_before as customer_prior_median_amount,
        avg(flagged.online_flag) over customer_before as customer_prior_online_share,
        avg(flagged.foreign_flag) over customer_before as customer_prior_foreign_share,
        avg(flagged.night_flag) over customer_before as customer_prior_night_share,
        lag(flagged.transaction_at) over customer_by_time as previous_transaction_at,
        count(*) over customer_last_hour as tx_count_prev_1h,
        count(*) over customer_last_day as tx_count_prev_24h,
        -- Summed as exact decimals: the same rows give the same total in any order.
        cast(sum(cast(flagged.amount as decimal(38, 6))) over customer_last_day as double)
            as amount_prev_24h,
        count(*) over customer_merchant_before as customer_merchant_prior_tx_count,
        count(*) over customer_country_before as customer_country_prior_tx_count,
        count(*) over merchant_last_30_days as merchant_tx_count_prev_30d
    from flagged
    window
        customer_by_time as (
            partition by flagged.customer_id
            order by flagged.transaction_at, flagged.transaction_id
        ),
        customer_before as (
            customer_by_time rows between unbounded preceding and 1 preceding
        ),
        customer_last_hour as (
            partition by flagged.customer_id
            order by flagged.transaction_at
            range between interval 1 hour preceding and current row exclude current row
        ),
        customer_last_day as (
            partition by flagged.customer_id
            order by flagged.transaction_at
            range between interval 24 hour preceding and current row exclude current row
        ),
        customer_merchant_before as (
            partition by flagged.customer_id, flagged.merchant_id
            order by flagged.transaction_at, flagged.transaction_id
            rows between unbounded preceding and 1 preceding
        ),
        customer_country_before as (
            partition by flagged.customer_id, flagged.country_code
            order by flagged.transaction_at, flagged.transaction_id
            rows between unbounded preceding and 1 preceding
        ),
        merchant_last_30_days as (
            partition by flagged.merchant_id
            order by flagged.transaction_at
            range between interval 30 day preceding and current row exclude current row
        )
)

select * from history
