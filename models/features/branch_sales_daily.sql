-- The forecasting table: observed days only. A day missing from the lake stays missing here;
-- the forecaster detects gaps, fills them and says so.
with

sales as (
    select * from {{ ref('stg_bank__branch_sales') }}
),

covariates as (
    select * from {{ ref('int_branch_sales_covariates') }}
),

final as (
    select
        sales.branch_id,
        sales.product_line,
        sales.sale_date,
        sales.units,
        covariates.is_holiday,
        covariates.promo_discount_pct,
        covariates.day_of_week
    from sales
    left join covariates
        on
            sales.branch_id = covariates.branch_id
            and sales.product_line = covariates.product_line
            and sales.sale_date = covariates.sale_date
)

select * from final
