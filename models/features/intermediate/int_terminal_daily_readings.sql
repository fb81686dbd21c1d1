-- Readings summed per terminal and day, kept as sums and counts (not means) so that
-- terminal_daily_features can roll them over any window exactly. Exact decimals: a sum of
-- doubles depends on the order rows arrive in, which would make unchanged data look changed.
with

readings as (
    select * from {{ ref('stg_bank__terminal_readings') }}
),

typed as (
    select
        terminal_id,
        reading_date,
        temperature_c,
        vibration_mm_s,
        transactions_count,
        card_read_failures,
        error_count,
        uptime_pct,
        cash_dispensed,
        cast(temperature_c as decimal(18, 2)) as temperature_exact,
        cast(vibration_mm_s as decimal(18, 2)) as vibration_exact
    from readings
),

-- The casts read as simple targets to ST06; the columns stay in reading order.
daily as (
    select  -- noqa: ST06
        terminal_id,
        reading_date,
        count(*) as reading_count,
        count(temperature_exact) as temperature_count,
        sum(temperature_exact) as temperature_sum,
        sum(temperature_exact * temperature_exact) as temperature_sum_sq,
        max(temperature_c) as temperature_c_max,
        count(vibration_exact) as vibration_count,
        sum(vibration_exact) as vibration_sum,
        sum(vibration_exact * vibration_exact) as vibration_sum_sq,
        max(vibration_mm_s) as vibration_mm_s_max,
        cast(coalesce(sum(transactions_count), 0) as bigint) as transactions_count,
        cast(coalesce(sum(card_read_failures), 0) as bigint) as card_read_failures,
        cast(coalesce(sum(error_count), 0) as bigint) as error_count,
        count(uptime_pct) as uptime_count,
        sum(cast(uptime_pct as decimal(18, 1))) as uptime_sum,
        sum(cast(cash_dispensed as decimal(18, 2))) as cash_dispensed
    from typed
    group by terminal_id, reading_date
)

select * from daily
