-- The card offers to show each customer: the model's top merchant categories with the
-- offer the bank runs in each, best first.
with

card_offers as (
    select * from {{ ref('card_offers') }}
),

card_offer_catalogue as (
    select * from {{ ref('card_offer_catalogue') }}
),

final as (
    select
        card_offers.customer_id,
        card_offers.rank as offer_rank,
        card_offers.merchant_category,
        card_offer_catalogue.offer_name,
        card_offer_catalogue.cashback_pct,
        card_offers.score as offer_score,
        card_offers.source as offer_source,
        card_offers.model_version
    from card_offers
    inner join card_offer_catalogue
        on card_offers.merchant_category = card_offer_catalogue.merchant_category
)

select * from final
