-- Range checks on both feature tables. A value outside its range points at a window or join
-- bug (a negative count, a share above 1, a 1-hour count above the 24-hour one).
with

customer_features as (
    select * from {{ ref('customer_features') }}
),

transaction_features as (
    select * from {{ ref('transaction_features') }}
),

validation_errors as (
    select
        'customer_features' as model_name,
        cast(customer_features.customer_id as varchar) as row_key,
        'counts and days >= 0, trends > 0, age in 16..125' as failure
    from customer_features
    where
        least(
            customer_features.tx_count_30d, customer_features.tx_count_30_90d,
            customer_features.tx_count_90_365d, customer_features.login_count_30d,
            customer_features.login_count_30_90d, customer_features.support_chat_count_90d,
            customer_features.complaint_event_count_90d, customer_features.tenure_days,
            customer_features.days_since_last_transaction,
            customer_features.days_since_last_login
        ) < 0
        or least(
            customer_features.tx_count_trend_30d, customer_features.tx_count_trend_90d,
            customer_features.login_trend_30d, customer_features.login_trend_90d
        ) <= 0
        or customer_features.age not between 16 and 125

    union all

    select
        'transaction_features' as model_name,
        transaction_features.transaction_id as row_key,
        'hour 0..23, ISO weekday 1..7, shares in 0..1, 1h count <= 24h count, gaps >= 0'
            as failure
    from transaction_features
    where
        transaction_features.hour_of_day not between 0 and 23
        or transaction_features.day_of_week not between 1 and 7
        or transaction_features.customer_prior_online_share not between 0 and 1
        or transaction_features.customer_prior_foreign_share not between 0 and 1
        or transaction_features.customer_prior_night_share not between 0 and 1
        or transaction_features.tx_count_prev_1h > transaction_features.tx_count_prev_24h
        or transaction_features.seconds_since_previous_transaction < 0
        or transaction_features.amount_to_customer_median_ratio < 0
)

select * from validation_errors
