-- Every terminal model has one row per its composite key: a reading per terminal and
-- instant, a maintenance visit per terminal and day, a feature row per terminal and day.
-- Returns each key found more than once, naming the model.
with

readings as (
    select * from {{ ref('stg_bank__terminal_readings') }}
),

maintenance as (
    select * from {{ ref('stg_bank__terminal_failures') }}
),

daily as (
    select * from {{ ref('int_terminal_daily_readings') }}
),

rolling as (
    select * from {{ ref('int_terminal_rolling_readings') }}
),

features as (
    select * from {{ ref('terminal_daily_features') }}
),

terminal_keys as (
    select
        'stg_bank__terminal_readings' as model_name,
        readings.terminal_id,
        cast(readings.reading_at as varchar) as row_key
    from readings
    union all
    select
        'stg_bank__terminal_failures' as model_name,
        maintenance.terminal_id,
        cast(maintenance.event_date as varchar) as row_key
    from maintenance
    union all
    select
        'int_terminal_daily_readings' as model_name,
        daily.terminal_id,
        cast(daily.reading_date as varchar) as row_key
    from daily
    union all
    select
        'int_terminal_rolling_readings' as model_name,
        rolling.terminal_id,
        cast(rolling.reading_date as varchar) as row_key
    from rolling
    union all
    select
        'terminal_daily_features' as model_name,
        features.terminal_id,
        cast(features.reading_date as varchar) as row_key
    from features
),

validation_errors as (
    select
        terminal_keys.model_name,
        terminal_keys.terminal_id,
        terminal_keys.row_key,
        count(*) as row_count
    from terminal_keys
    group by terminal_keys.model_name, terminal_keys.terminal_id, terminal_keys.row_key
    having count(*) > 1
)

select * from validation_errors
