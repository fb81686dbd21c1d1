-- customer_merchant_interactions has one row per customer and merchant category. Returns
-- each pair found more than once.
with

interactions as (
    select * from {{ ref('customer_merchant_interactions') }}
),

validation_errors as (
    select
        interactions.customer_id,
        interactions.merchant_category,
        count(*) as row_count
    from interactions
    group by interactions.customer_id, interactions.merchant_category
    having count(*) > 1
)

select * from validation_errors
