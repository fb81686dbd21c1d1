-- Range checks on the terminal, segmentation and interaction features. A value outside its
-- range points at a window, join or division bug (a share above 1, a 7-day count below the
-- day's, a first transaction after the last).
with

terminals as (
    select * from {{ ref('terminal_daily_features') }}
),

segments as (
    select * from {{ ref('customer_segment_features') }}
),

interactions as (
    select * from {{ ref('customer_merchant_interactions') }}
),

validation_errors as (
    select
        'terminal_daily_features' as model_name,
        terminals.terminal_day_id as row_key,
        'readings 1..6, rates 0..1, uptime 0..100, temperatures -40..85, std >= 0, '
        || 'ratio > 0, 7-day errors >= the day''s' as failure
    from terminals
    where
        terminals.reading_count not between 1 and 6
        or greatest(
            terminals.card_read_failure_rate, terminals.card_read_failure_rate_7d,
            terminals.card_read_failure_rate_28d
        ) > 1
        or least(
            terminals.card_read_failure_rate, terminals.card_read_failure_rate_7d,
            terminals.card_read_failure_rate_28d, terminals.temperature_c_std_7d,
            terminals.vibration_mm_s_std_7d, terminals.vibration_mm_s_mean,
            terminals.uptime_pct_mean, terminals.uptime_pct_mean_7d, terminals.error_count,
            terminals.transactions_count, terminals.terminal_age_days
        ) < 0
        or greatest(terminals.uptime_pct_mean, terminals.uptime_pct_mean_7d) > 100
        or terminals.temperature_c_max not between -40 and 85
        or terminals.vibration_ratio_vs_28d <= 0
        or terminals.error_count_7d < terminals.error_count

    union all

    select
        'customer_segment_features' as model_name,
        cast(segments.customer_id as varchar) as row_key,
        'shares 0..1, category groups sum to 1, online + contactless <= 1, counts >= 0'
            as failure
    from segments
    where
        least(
            segments.everyday_share, segments.dining_share, segments.fuel_share,
            segments.shopping_share, segments.travel_share, segments.cash_share,
            segments.online_share, segments.contactless_share, segments.foreign_share,
            segments.transaction_count_365d, segments.spend_365d, segments.login_count_90d
        ) < 0
        or greatest(segments.foreign_share, segments.online_share + segments.contactless_share)
        > 1 + 1e-9
        or abs(
            segments.everyday_share + segments.dining_share + segments.fuel_share
            + segments.shopping_share + segments.travel_share + segments.cash_share - 1
        ) > 1e-9
        or segments.active_month_count not between 0 and 13

    union all

    select
        'customer_merchant_interactions' as model_name,
        interactions.customer_id || ' / ' || interactions.merchant_category as row_key,
        'count >= 1, amount >= 0, 1 <= merchants <= count, first <= last' as failure
    from interactions
    where
        interactions.transaction_count < 1
        or interactions.total_amount < 0
        or interactions.merchant_count not between 1 and interactions.transaction_count
        or interactions.first_transaction_at > interactions.last_transaction_at
)

select * from validation_errors
