with

source as (
    select * from {{ source('bank', 'promotions') }}
),

-- The source is all VARCHAR: cast here, with try_cast so one bad cell is a null, not a failure.
typed as (
    select
        trim(promotion_id) as promotion_id,
        lower(trim(product_line)) as product_line,
        -- Empty in the lake for a promotion at every branch.
        nullif(upper(trim(branch_id)), '') as branch_id,
        try_cast(trim(start_date) as date) as start_date,
        try_cast(trim(end_date) as date) as end_date,
        try_cast(trim(discount_pct) as integer) as discount_pct
    from source
)

select * from typed
