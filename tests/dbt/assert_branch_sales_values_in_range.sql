-- Range checks on the sales and promotions: counts are never negative, a promotion ends on
-- or after its start with a discount in 1..100, and the features' discounts and weekdays are
-- within range. One row per offending row, naming the rule.
with

staged as (
    select * from {{ ref('stg_bank__branch_sales') }}
),

promotions as (
    select * from {{ ref('stg_bank__promotions') }}
),

daily as (
    select * from {{ ref('branch_sales_daily') }}
),

future as (
    select * from {{ ref('branch_sales_future_covariates') }}
),

validation_errors as (
    select
        'stg_bank__branch_sales' as model_name,
        staged.branch_id || ' ' || staged.product_line || ' ' || staged.sale_date as row_key,
        'units >= 0' as failure
    from staged
    where staged.units < 0

    union all

    select
        'stg_bank__promotions' as model_name,
        promotions.promotion_id as row_key,
        'end_date >= start_date, discount_pct in 1..100' as failure
    from promotions
    where
        promotions.end_date < promotions.start_date
        or promotions.discount_pct not between 1 and 100

    union all

    select
        'branch_sales_daily' as model_name,
        daily.branch_id || ' ' || daily.product_line || ' ' || daily.sale_date as row_key,
        'promo_discount_pct in 0..100, day_of_week is the ISO weekday of sale_date' as failure
    from daily
    where
        daily.promo_discount_pct not between 0 and 100
        or daily.day_of_week != isodow(daily.sale_date)

    union all

    select
        'branch_sales_future_covariates' as model_name,
        future.branch_id || ' ' || future.product_line || ' ' || future.sale_date as row_key,
        'promo_discount_pct in 0..100, day_of_week is the ISO weekday of sale_date' as failure
    from future
    where
        future.promo_discount_pct not between 0 and 100
        or future.day_of_week != isodow(future.sale_date)
)

select * from validation_errors
