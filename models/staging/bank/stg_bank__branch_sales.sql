with

source as (
    select * from {{ source('bank', 'branch_sales') }}
),

-- The source is all VARCHAR: cast here, with try_cast so one bad cell is a null, not a failure.
typed as (
    select
        upper(trim(branch_id)) as branch_id,
        lower(trim(product_line)) as product_line,
        try_cast(trim(sale_date) as date) as sale_date,
        try_cast(trim(units) as bigint) as units
    from source
),

-- ~0.3% of rows are exported twice, as identical lines. Should two copies of a day ever
-- disagree, the larger count is kept, so every build keeps the same row. Missing days stay
-- missing: filling them is the forecaster's decision, and it says so.
deduplicated as (
    select *
    from typed
    where
        branch_id is not null
        and product_line is not null
        and sale_date is not null
    qualify
        row_number() over (
            partition by branch_id, product_line, sale_date
            order by units desc nulls last
        ) = 1
)

select * from deduplicated
