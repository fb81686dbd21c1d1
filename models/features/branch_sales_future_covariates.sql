-- What is known about the forecast horizon before it happens: holidays and planned
-- promotions for each day after the history, for every series still selling at its end.
with

sales as (
    select * from {{ ref('stg_bank__branch_sales') }}
),

covariates as (
    select * from {{ ref('int_branch_sales_covariates') }}
),

history as (
    select max(sales.sale_date) as last_sale_date
    from sales
),

-- A series with no row in the last 28 days of history (discontinued) is not forecast.
active_series as (
    select
        sales.branch_id,
        sales.product_line
    from sales
    cross join history
    group by sales.branch_id, sales.product_line, history.last_sale_date
    having
        max(sales.sale_date)
        > history.last_sale_date - {{ var('branch_sales_active_days', 28) }}
),

final as (
    select
        covariates.branch_id,
        covariates.product_line,
        covariates.sale_date,
        covariates.is_holiday,
        covariates.promo_discount_pct,
        covariates.day_of_week
    from covariates
    cross join history
    inner join active_series
        on
            covariates.branch_id = active_series.branch_id
            and covariates.product_line = active_series.product_line
    where covariates.sale_date > history.last_sale_date
)

select * from final
