-- Terminals to send an engineer to: flagged as unusual on any of their last 7 days of
-- readings (var terminal_inspection_days), the most unusual first.
with

terminal_anomalies as (
    select * from {{ ref('terminal_anomalies') }}
),

terminal_daily_features as (
    select * from {{ ref('terminal_daily_features') }}
),

scored as (
    select
        terminal_daily_features.terminal_id,
        terminal_daily_features.terminal_type,
        terminal_daily_features.branch_id,
        terminal_daily_features.reading_date,
        terminal_anomalies.anomaly_score,
        terminal_anomalies.is_anomaly,
        terminal_anomalies.model_version
    from terminal_anomalies
    inner join terminal_daily_features
        on terminal_anomalies.terminal_day_id = terminal_daily_features.terminal_day_id
),

recent as (
    select *
    from scored
    where
        reading_date > (select max(s.reading_date) from scored as s)
        - {{ var('terminal_inspection_days', 7) }}
),

per_terminal as (
    select
        terminal_id,
        any_value(terminal_type) as terminal_type,
        any_value(branch_id) as branch_id,
        count(*) filter (where is_anomaly) as flagged_day_count,
        max(anomaly_score) as max_anomaly_score,
        max(reading_date) filter (where is_anomaly) as last_flagged_date,
        max(model_version) as model_version
    from recent
    group by terminal_id
),

final as (
    select
        *,
        row_number() over (
            order by max_anomaly_score desc, flagged_day_count desc, terminal_id asc
        ) as inspection_rank
    from per_terminal
    where flagged_day_count > 0
)

select * from final
