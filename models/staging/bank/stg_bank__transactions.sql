with

source as (
    select * from {{ source('bank', 'transactions') }}
),

merchant_category_spellings as (
    select * from {{ ref('merchant_category_spellings') }}
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
        renamed.transaction_id,
        renamed.customer_id,
        renamed.transaction_at,
        renamed.ingested_at,
        renamed.ingested_month,
        renamed.amount,
        renamed.merchant_id,
        renamed.country_code,
        renamed.is_fraud,
        renamed.channel,
        -- Synonyms the lake uses besides case and whitespace variants
        -- (seeds/merchant_category_spellings.csv); an unlisted spelling passes through.
        coalesce(
            merchant_category_spellings.merchant_category,
            renamed.merchant_category_spelling
        ) as merchant_category,
        renamed.country_code is not null and renamed.country_code != 'US' as is_foreign
    from renamed
    left join merchant_category_spellings
        on renamed.merchant_category_spelling = merchant_category_spellings.spelling
),

-- Redelivered rows share a transaction_id; keep the first delivery. Late rows sit in later
-- partitions and are kept because every partition is read. Copies delivered in the same
-- instant tie on that order and may differ (one lost its amount): the tie is broken on
-- content, a copy with an amount first, so every build keeps the same row.
deduplicated as (
    select *
    from normalised
    qualify
        row_number() over (
            partition by transaction_id
            order by
                ingested_at asc,
                ingested_month asc,
                amount asc nulls last,
                transaction_at asc,
                customer_id asc,
                merchant_id asc,
                merchant_category asc,
                channel asc,
                country_code asc,
                is_fraud asc
        ) = 1
)

select * from deduplicated
