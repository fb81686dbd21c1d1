-- At most 3 offers per customer on distinct ranks, none in a category the customer
-- already uses.
with

offers_per_customer as (
    select * from {{ ref('offers_per_customer') }}
),

customer_merchant_interactions as (
    select * from {{ ref('customer_merchant_interactions') }}
),

offer_counts as (
    select
        'customer ' || cast(customer_id as varchar) || ' has '
        || cast(count(*) as varchar) || ' offers on '
        || cast(count(distinct offer_rank) as varchar) || ' ranks' as failure
    from offers_per_customer
    group by customer_id
    having count(*) > 3 or count(*) != count(distinct offer_rank)
),

offers_already_used as (
    select
        'customer ' || cast(offers_per_customer.customer_id as varchar)
        || ' is offered ' || offers_per_customer.merchant_category
        || ', a category they already use' as failure
    from offers_per_customer
    inner join customer_merchant_interactions
        on
            offers_per_customer.customer_id = customer_merchant_interactions.customer_id
            and offers_per_customer.merchant_category
            = customer_merchant_interactions.merchant_category
),

final as (
    select * from offer_counts
    union all
    select * from offers_already_used
)

select * from final
