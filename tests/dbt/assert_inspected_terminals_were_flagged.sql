-- Every terminal listed for inspection was flagged on at least one recent day.
with

terminals_to_inspect as (
    select * from {{ ref('terminals_to_inspect') }}
),

unflagged_terminals as (
    select 'terminal ' || terminal_id || ' is listed with no flagged day' as failure
    from terminals_to_inspect
    where flagged_day_count < 1 or last_flagged_date is null
)

select * from unflagged_terminals
