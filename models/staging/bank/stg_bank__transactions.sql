with

source as (
    select * from {{ source('bank', 'transactions') }}
),

renamed as (
    select
        -- The hive partition is the month the row was ingested, not when it happened.
        month as ingested_month,
        cast(customer_id as bigint) as customer_id,
        cast(transaction_at as timestamp) as transaction_at,
        cast(ingested_at as timestamp) as ingested_at,
        cast(merchant_id as varchar) as merchant_id,
        cast(is_fraud as boolean) as is_fraud,
        trim(transaction_id) as transaction_id,
        -- A negative amount is a sign error in the feed (refunds are not in this lake).
        case when amount >= 0 and isfinite(amount) then amount end as amount,
        lower(trim(merchant_category)) as merchant_category_spelling,
        lower(trim(channel)) as channel,
        upper(trim(country)) as country_code
    from source
),

normalised as (
    select
        transaction_id,
        customer_id,
        transaction_at,
        ingested_at,
        ingested_month,
        amount,
        merchant_id,
        country_code,
        is_fraud,
        channel,
        -- Synonyms the lake uses besides case and whitespace variants.
        case merchant_category_spelling
            when 'groceries' then 'grocery'
            when 'restaurant' then 'restaurants'
            when 'gas' then 'fuel'
            when 'shopping' then 'retail'
            when 'utility' then 'utilities'
            when 'pharmacy' then 'health'
            when 'electronic' then 'electronics'
            when 'gift cards' then 'gift_cards'
            when 'giftcards' then 'gift_cards'
            when 'cryptocurrency' then 'crypto'
            when 'atm' then 'cash'
            else merchant_category_spelling
        end as merchant_category,
        country_code is not null and country_code != 'US' as is_foreign
    from renamed
),

-- Redelivered rows share a transaction_id; keep the first delivery. Late rows sit in later
-- partitions and are kept because every partition is read.
deduplicated as (
    select *
    from normalised
    qualify
        row_number() over (
            partition by transaction_id
            order by ingested_at asc, ingested_month asc
        ) = 1
)

select * from deduplicated
