with

source as (
    select * from {{ source('bank', 'terminal_readings') }}
),

-- Impossible values become nulls; plausible extremes stay (a vibration spike is what an
-- anomaly detector is for). 85.0 and -40.0 degrees are the sensor's fault codes, the ends
-- of its range, so anything at or beyond them is no reading. The key columns come first
-- (hence the noqa: ST06 reads the casts after them as simple targets out of place).
cleaned as (
    select  -- noqa: ST06
        upper(trim(terminal_id)) as terminal_id,
        cast(reading_at as timestamp) as reading_at,
        cast(reading_at as date) as reading_date,
        case
            when temperature_c > -40 and temperature_c < 85 then temperature_c
        end as temperature_c,
        case when vibration_mm_s >= 0 then vibration_mm_s end as vibration_mm_s,
        case when transactions_count >= 0 then transactions_count end as transactions_count,
        case
            when card_read_failures between 0 and transactions_count then card_read_failures
        end as card_read_failures,
        case when error_count >= 0 then error_count end as error_count,
        case when cash_dispensed >= 0 then cash_dispensed end as cash_dispensed,
        case when uptime_pct between 0 and 100 then uptime_pct end as uptime_pct,
        nullif(trim(firmware_version), '') as firmware_version
    from source
    where terminal_id is not null and reading_at is not null
),

-- ~0.5% of readings are delivered twice as identical rows. Should two copies ever differ,
-- the tie is broken on content, so every build keeps the same row.
deduplicated as (
    select *
    from cleaned
    qualify
        row_number() over (
            partition by terminal_id, reading_at
            order by
                temperature_c asc nulls last,
                vibration_mm_s asc nulls last,
                transactions_count asc nulls last,
                card_read_failures asc nulls last,
                error_count asc nulls last,
                uptime_pct asc nulls last,
                cash_dispensed asc nulls last,
                firmware_version asc nulls last
        ) = 1
)

select * from deduplicated
