with

daily as (
    select * from {{ ref('int_terminal_daily_readings') }}
),

-- Windows are calendar days (range frames), so missing days shorten a window instead of
-- stretching it: "7d" is the day and the 6 before, the baseline the 28 days before those.
windowed as (
    select
        daily.*,
        sum(daily.temperature_count) over last_7d as temperature_count_7d,
        sum(daily.temperature_sum) over last_7d as temperature_sum_7d,
        sum(daily.temperature_sum_sq) over last_7d as temperature_sum_sq_7d,
        sum(daily.vibration_count) over last_7d as vibration_count_7d,
        sum(daily.vibration_sum) over last_7d as vibration_sum_7d,
        sum(daily.vibration_sum_sq) over last_7d as vibration_sum_sq_7d,
        sum(daily.transactions_count) over last_7d as transactions_count_7d,
        sum(daily.card_read_failures) over last_7d as card_read_failures_7d,
        sum(daily.error_count) over last_7d as error_count_7d,
        sum(daily.uptime_count) over last_7d as uptime_count_7d,
        sum(daily.uptime_sum) over last_7d as uptime_sum_7d,
        sum(daily.temperature_count) over baseline as temperature_count_28d,
        sum(daily.temperature_sum) over baseline as temperature_sum_28d,
        sum(daily.vibration_count) over baseline as vibration_count_28d,
        sum(daily.vibration_sum) over baseline as vibration_sum_28d,
        sum(daily.transactions_count) over baseline as transactions_count_28d,
        sum(daily.card_read_failures) over baseline as card_read_failures_28d
    from daily
    window
        last_7d as (
            partition by daily.terminal_id
            order by daily.reading_date
            range between interval 6 days preceding and current row
        ),
        baseline as (
            partition by daily.terminal_id
            order by daily.reading_date
            range between interval 34 days preceding and interval 7 days preceding
        )
),

-- Means, standard deviations (from sums of squares) and rates; null where a window holds
-- too little to say (no reading, no transaction, or a single value for a deviation).
measured as (
    select
        terminal_id,
        reading_date,
        reading_count,
        temperature_c_max,
        vibration_mm_s_max,
        transactions_count,
        error_count,
        cast(error_count_7d as bigint) as error_count_7d,
        cast(cash_dispensed as double) as cash_dispensed,
        temperature_sum / nullif(temperature_count, 0) as temperature_c_mean,
        temperature_sum_7d / nullif(temperature_count_7d, 0) as temperature_c_mean_7d,
        sqrt(
            greatest(
                (
                    temperature_sum_sq_7d
                    - temperature_sum_7d * temperature_sum_7d / temperature_count_7d
                ) / nullif(temperature_count_7d - 1, 0),
                0
            )
        ) as temperature_c_std_7d,
        temperature_sum_7d / nullif(temperature_count_7d, 0)
        - temperature_sum_28d / nullif(temperature_count_28d, 0) as temperature_c_delta_vs_28d,
        vibration_sum / nullif(vibration_count, 0) as vibration_mm_s_mean,
        vibration_sum_7d / nullif(vibration_count_7d, 0) as vibration_mm_s_mean_7d,
        sqrt(
            greatest(
                (
                    vibration_sum_sq_7d
                    - vibration_sum_7d * vibration_sum_7d / vibration_count_7d
                ) / nullif(vibration_count_7d - 1, 0),
                0
            )
        ) as vibration_mm_s_std_7d,
        (vibration_sum_7d / nullif(vibration_count_7d, 0))
        / nullif(vibration_sum_28d / nullif(vibration_count_28d, 0), 0)
            as vibration_ratio_vs_28d,
        card_read_failures / nullif(transactions_count, 0) as card_read_failure_rate,
        card_read_failures_7d / nullif(transactions_count_7d, 0) as card_read_failure_rate_7d,
        card_read_failures_28d / nullif(transactions_count_28d, 0) as card_read_failure_rate_28d,
        uptime_sum / nullif(uptime_count, 0) as uptime_pct_mean,
        uptime_sum_7d / nullif(uptime_count_7d, 0) as uptime_pct_mean_7d
    from windowed
)

select * from measured
