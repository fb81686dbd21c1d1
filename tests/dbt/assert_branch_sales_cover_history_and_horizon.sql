-- The sales features lose and invent nothing: staging keeps each distinct line of the lake
-- once (only identical re-exports are dropped), branch_sales_daily has exactly the staged
-- rows, and every series selling in the last 28 days of history has each of the 56 days
-- after it in branch_sales_future_covariates, with the planned promotions reaching there.
with

lake_sales as (
    select * from {{ source('bank', 'branch_sales') }}
),

staged as (
    select * from {{ ref('stg_bank__branch_sales') }}
),

daily as (
    select * from {{ ref('branch_sales_daily') }}
),

future as (
    select * from {{ ref('branch_sales_future_covariates') }}
),

-- Identical lines are one row; lines that differ in any column are distinct rows.
lake_lines as (
    select distinct * from lake_sales
),

history as (
    select max(staged.sale_date) as last_sale_date
    from staged
),

row_counts as (
    select
        'stg_bank__branch_sales' as model_name,
        (select count(*) from lake_lines) as expected_rows,
        (select count(*) from staged) as actual_rows
    union all
    select
        'branch_sales_daily' as model_name,
        (select count(*) from staged) as expected_rows,
        (select count(*) from daily) as actual_rows
),

active_series as (
    select
        staged.branch_id,
        staged.product_line
    from staged
    cross join history
    group by staged.branch_id, staged.product_line, history.last_sale_date
    having
        max(staged.sale_date)
        > history.last_sale_date - {{ var('branch_sales_active_days', 28) }}
),

horizons as (
    select
        future.branch_id,
        future.product_line,
        count(*) as day_count,
        min(future.sale_date) as first_date,
        max(future.sale_date) as last_date
    from future
    group by future.branch_id, future.product_line
),

validation_errors as (
    select
        row_counts.model_name,
        'expected ' || row_counts.expected_rows || ' rows, got ' || row_counts.actual_rows
            as failure
    from row_counts
    where row_counts.expected_rows != row_counts.actual_rows

    union all

    select
        'branch_sales_future_covariates' as model_name,
        coalesce(active_series.branch_id, horizons.branch_id) || ' '
        || coalesce(active_series.product_line, horizons.product_line)
        || ': not the active series x the days after history' as failure
    from active_series
    full outer join horizons
        on
            active_series.branch_id = horizons.branch_id
            and active_series.product_line = horizons.product_line
    cross join history
    where
        active_series.branch_id is null
        or horizons.branch_id is null
        or horizons.day_count != {{ var('branch_sales_horizon_days', 56) }}
        or horizons.first_date != history.last_sale_date + 1
        or horizons.last_date
        != history.last_sale_date + {{ var('branch_sales_horizon_days', 56) }}

    union all

    select
        'branch_sales_future_covariates' as model_name,
        'no planned promotion in the horizon' as failure
    where not exists (
        select 1 from future
        where future.promo_discount_pct > 0
    )
)

select * from validation_errors
