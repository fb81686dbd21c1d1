with

source as (
    select * from {{ source('bank', 'app_events') }}
),

renamed as (
    select
        customer_id,
        trim(event_id) as event_id,
        lower(trim(event_type)) as event_type,
        -- ISO-8601 text. A plain cast drops an offset, so text with one goes through
        -- timestamptz and is kept in UTC; text without one is taken as UTC already.
        case
            when regexp_matches(trim(event_at), '(Z|[+-]\d\d:?\d\d)$')
                then timezone('UTC', try_cast(trim(event_at) as timestamptz))
            else try_cast(trim(event_at) as timestamp)
        end as event_at,
        nullif(lower(trim(device)), '') as device,
        -- A session of a day or more is a client that never sent its logout: unknown length.
        case
            when session_seconds >= 0 and session_seconds < 86400
                then cast(round(session_seconds) as integer)
        end as session_seconds,
        struct_extract(context, 'app_version') as app_version,
        struct_extract(context, 'os_version') as os_version
    from source
),

deduplicated as (
    select *
    from renamed
    qualify
        row_number() over (
            partition by event_id
            -- Content breaks ties, so every build keeps the same copy of an event.
            order by
                event_at asc nulls last,
                customer_id asc nulls last,
                event_type asc nulls last,
                device asc nulls last,
                session_seconds asc nulls last,
                app_version asc nulls last,
                os_version asc nulls last
        ) = 1
)

select * from deduplicated
