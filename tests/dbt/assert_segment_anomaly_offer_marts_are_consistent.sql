-- The marts over the unsupervised tasks say what they promise: one typicality rank per
-- segment position, at most 3 offers per customer with distinct ranks, no offer in a
-- category the customer already uses, and every inspected terminal flagged recently.
with

segment_campaign_list as (
    select * from {{ ref('segment_campaign_list') }}
),

offers_per_customer as (
    select * from {{ ref('offers_per_customer') }}
),

customer_merchant_interactions as (
    select * from {{ ref('customer_merchant_interactions') }}
),

terminals_to_inspect as (
    select * from {{ ref('terminals_to_inspect') }}
),

repeated_ranks as (
    select
        'segment ' || cast(segment as varchar) || ' repeats typicality_rank '
        || cast(typicality_rank as varchar) as failure
    from segment_campaign_list
    group by segment, typicality_rank
    having count(*) > 1
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

unflagged_terminals as (
    select 'terminal ' || terminal_id || ' is listed with no flagged day' as failure
    from terminals_to_inspect
    where flagged_day_count < 1 or last_flagged_date is null
),

final as (
    select * from repeated_ranks
    union all
    select * from offer_counts
    union all
    select * from offers_already_used
    union all
    select * from unflagged_terminals
)

select * from final
