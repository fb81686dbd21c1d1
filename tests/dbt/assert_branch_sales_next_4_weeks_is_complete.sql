-- Every branch of the forecast has each of the four weeks once, each week 7 days long.
with

weeks as (
    select * from {{ ref('branch_sales_next_4_weeks') }}
),

per_branch as (
    select
        branch_id,
        count(*) as n_weeks,
        count(distinct week_number) as n_distinct
    from weeks
    group by branch_id
),

failures as (
    select
        branch_id,
        'branch has ' || cast(n_weeks as varchar) || ' rows for '
        || cast(n_distinct as varchar) || ' distinct weeks; expected 4 of each' as failure
    from per_branch
    where n_weeks != 4 or n_distinct != 4

    union all

    select
        branch_id,
        'week ' || cast(week_number as varchar) || ' spans '
        || cast(date_diff('day', week_start, week_end) + 1 as varchar) || ' days' as failure
    from weeks
    where date_diff('day', week_start, week_end) != 6
)

select * from failures
