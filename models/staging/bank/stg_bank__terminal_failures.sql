with

source as (
    select * from {{ source('bank', 'terminal_failures') }}
),

-- The source is all VARCHAR: cast here, with try_cast so one bad cell is a null, not a failure.
typed as (
    select
        trim(log_id) as log_id,
        upper(trim(terminal_id)) as terminal_id,
        try_cast(trim(event_date) as date) as event_date,
        lower(trim(outcome)) as outcome,
        -- 'Dispenser jam', 'DISPENSER_JAM' -> 'dispenser_jam'.
        nullif(replace(lower(trim(failure_type)), ' ', '_'), '') as failure_type
    from source
),

cleaned as (
    select
        log_id,
        terminal_id,
        event_date,
        outcome in ('failure', 'failed') as is_failure,
        case when outcome in ('failure', 'failed') then failure_type end as failure_type
    from typed
    where
        terminal_id is not null
        and event_date is not null
        and outcome in ('failure', 'failed', 'ok')
),

-- ~5% of visits are entered twice under another log_id; the first record is kept.
deduplicated as (
    select *
    from cleaned
    qualify
        row_number() over (
            partition by terminal_id, event_date, is_failure
            order by log_id asc
        ) = 1
)

select * from deduplicated
