-- Every sales model has one row per series and day: (branch_id, product_line, sale_date) is
-- unique in each. Returns each key found more than once, naming the model.
with

staged as (
    select * from {{ ref('stg_bank__branch_sales') }}
),

covariates as (
    select * from {{ ref('int_branch_sales_covariates') }}
),

daily as (
    select * from {{ ref('branch_sales_daily') }}
),

future as (
    select * from {{ ref('branch_sales_future_covariates') }}
),

sales_keys as (
    select
        'stg_bank__branch_sales' as model_name,
        staged.branch_id,
        staged.product_line,
        staged.sale_date
    from staged
    union all
    select
        'int_branch_sales_covariates' as model_name,
        covariates.branch_id,
        covariates.product_line,
        covariates.sale_date
    from covariates
    union all
    select
        'branch_sales_daily' as model_name,
        daily.branch_id,
        daily.product_line,
        daily.sale_date
    from daily
    union all
    select
        'branch_sales_future_covariates' as model_name,
        future.branch_id,
        future.product_line,
        future.sale_date
    from future
),

validation_errors as (
    select
        sales_keys.model_name,
        sales_keys.branch_id,
        sales_keys.product_line,
        sales_keys.sale_date,
        count(*) as row_count
    from sales_keys
    group by
        sales_keys.model_name,
        sales_keys.branch_id,
        sales_keys.product_line,
        sales_keys.sale_date
    having count(*) > 1
)

select * from validation_errors
