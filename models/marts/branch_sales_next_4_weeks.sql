-- Expected units per branch for each of the next four weeks, from sales_forecast: the sum
-- of the daily forecasts of every product line the branch still sells.
with

sales_forecast as (
    select * from {{ ref('sales_forecast') }}
),

first_day as (
    select min(sale_date) as forecast_start
    from sales_forecast
),

weekly as (
    select
        sales_forecast.branch_id,
        1 + date_diff('day', first_day.forecast_start, sales_forecast.sale_date) // 7
            as week_number,
        min(sales_forecast.sale_date) as week_start,
        max(sales_forecast.sale_date) as week_end,
        sum(sales_forecast.forecast) as expected_units,
        count(distinct sales_forecast.product_line) as product_lines,
        max(sales_forecast.model_version) as model_version
    from sales_forecast
    cross join first_day
    group by sales_forecast.branch_id, week_number
),

final as (
    select
        branch_id,
        week_number,
        week_start,
        week_end,
        product_lines,
        model_version,
        round(expected_units, 1) as expected_units
    from weekly
    where week_number <= 4
)

select * from final
