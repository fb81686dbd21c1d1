-- The covariates known in advance (holidays, promotions, weekday) for every day of every
-- series, from its first sale through the forecast horizon after the history: one definition
-- for branch_sales_daily (observed days) and branch_sales_future_covariates (the horizon).
with

sales as (
    select * from {{ ref('stg_bank__branch_sales') }}
),

promotions as (
    select * from {{ ref('stg_bank__promotions') }}
),

bank_holidays as (
    select * from {{ ref('bank_holidays') }}
),

series as (
    select
        sales.branch_id,
        sales.product_line,
        min(sales.sale_date) as first_sale_date
    from sales
    group by sales.branch_id, sales.product_line
),

calendar_bounds as (
    select
        min(sales.sale_date) as first_date,
        max(sales.sale_date) + {{ var('branch_sales_horizon_days', 56) }} as last_date
    from sales
),

calendar as (
    select
        cast(
            unnest(
                generate_series(
                    calendar_bounds.first_date, calendar_bounds.last_date, interval 1 day
                )
            ) as date
        ) as sale_date
    from calendar_bounds
),

series_days as (
    select
        series.branch_id,
        series.product_line,
        calendar.sale_date
    from series
    inner join calendar on series.first_sale_date <= calendar.sale_date
),

-- Promotions overlap now and then: the largest discount running that day counts.
promotion_days as (
    select
        series_days.branch_id,
        series_days.product_line,
        series_days.sale_date,
        max(promotions.discount_pct) as promo_discount_pct
    from series_days
    inner join promotions
        on
            series_days.product_line = promotions.product_line
            and coalesce(promotions.branch_id, series_days.branch_id) = series_days.branch_id
            and series_days.sale_date between promotions.start_date and promotions.end_date
    group by series_days.branch_id, series_days.product_line, series_days.sale_date
),

final as (
    select
        series_days.branch_id,
        series_days.product_line,
        series_days.sale_date,
        bank_holidays.holiday_date is not null as is_holiday,
        coalesce(promotion_days.promo_discount_pct, 0) as promo_discount_pct,
        isodow(series_days.sale_date) as day_of_week
    from series_days
    left join bank_holidays on series_days.sale_date = bank_holidays.holiday_date
    left join promotion_days
        on
            series_days.branch_id = promotion_days.branch_id
            and series_days.product_line = promotion_days.product_line
            and series_days.sale_date = promotion_days.sale_date
)

select * from final
