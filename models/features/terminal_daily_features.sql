with

rolling as (
    select * from {{ ref('int_terminal_rolling_readings') }}
),

terminals as (
    select * from {{ ref('stg_bank__terminals') }}
),

maintenance as (
    select * from {{ ref('stg_bank__terminal_failures') }}
),

-- The label, from the maintenance log: true when a logged failure follows within 7 days,
-- false when a routine check in those 7 days found the terminal working (and no failure is
-- logged in them), null otherwise: most rows, since most failures are never logged.
labels as (
    select
        rolling.terminal_id,
        rolling.reading_date,
        rolling.terminal_id || ':' || cast(rolling.reading_date as varchar) as terminal_day_id,
        case
            when bool_or(maintenance.is_failure) then true
            when count(maintenance.log_id) > 0 then false
        end as failed_within_7d
    from rolling
    left join maintenance
        on
            rolling.terminal_id = maintenance.terminal_id
            and rolling.reading_date < maintenance.event_date
            and rolling.reading_date + 7 >= maintenance.event_date
    group by rolling.terminal_id, rolling.reading_date
),

final as (
    select
        labels.terminal_day_id,
        rolling.terminal_id,
        rolling.reading_date,
        labels.failed_within_7d,
        terminals.terminal_type,
        terminals.branch_id,
        rolling.reading_count,
        rolling.temperature_c_mean,
        rolling.temperature_c_max,
        rolling.temperature_c_mean_7d,
        rolling.temperature_c_std_7d,
        rolling.temperature_c_delta_vs_28d,
        rolling.vibration_mm_s_mean,
        rolling.vibration_mm_s_max,
        rolling.vibration_mm_s_mean_7d,
        rolling.vibration_mm_s_std_7d,
        rolling.vibration_ratio_vs_28d,
        rolling.transactions_count,
        rolling.card_read_failure_rate,
        rolling.card_read_failure_rate_7d,
        rolling.card_read_failure_rate_28d,
        rolling.error_count,
        rolling.error_count_7d,
        rolling.uptime_pct_mean,
        rolling.uptime_pct_mean_7d,
        rolling.cash_dispensed,
        rolling.reading_date - terminals.installed_date as terminal_age_days
    from rolling
    inner join labels
        on
            rolling.terminal_id = labels.terminal_id
            and rolling.reading_date = labels.reading_date
    left join terminals on rolling.terminal_id = terminals.terminal_id
)

select * from final
