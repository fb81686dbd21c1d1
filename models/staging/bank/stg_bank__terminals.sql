with

source as (
    select * from {{ source('bank', 'terminals') }}
),

-- The source is all VARCHAR: cast here, with try_cast so one bad cell is a null, not a failure.
typed as (
    select
        upper(trim(terminal_id)) as terminal_id,
        -- Empty for an off-site ATM.
        nullif(upper(trim(branch_id)), '') as branch_id,
        lower(trim(terminal_type)) as terminal_type,
        nullif(trim(model), '') as device_model,
        try_cast(nullif(trim(installed_date), '') as date) as installed_date,
        try_cast(updated_at as timestamp) as updated_at
    from source
),

cleaned as (
    select
        terminal_id,
        branch_id,
        device_model,
        installed_date,
        updated_at,
        case when terminal_type in ('atm', 'pos') then terminal_type end as terminal_type
    from typed
    where terminal_id is not null
),

-- ~3% of terminals are exported twice; the newest catalogue row wins (a terminal that moved
-- is at its new branch). Ties are broken on content, so every build keeps the same row.
deduplicated as (
    select *
    from cleaned
    qualify
        row_number() over (
            partition by terminal_id
            order by
                updated_at desc nulls last,
                branch_id asc nulls last,
                terminal_type asc nulls last,
                device_model asc nulls last,
                installed_date asc nulls last
        ) = 1
)

select * from deduplicated
