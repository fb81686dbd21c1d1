with

source as (
    select * from {{ source('bank', 'customers') }}
),

region_spellings as (
    select * from {{ ref('region_spellings') }}
),

-- The source is all VARCHAR: cast here, with try_cast so one bad cell is a null, not a failure.
typed as (
    select
        try_cast(customer_id as bigint) as customer_id,
        try_cast(nullif(trim(signup_date), '') as date) as signup_date,
        try_cast(birth_year as integer) as birth_year,
        lower(trim(region)) as region_spelling,
        lower(trim(tier)) as tier,
        try_cast(annual_income as double) as annual_income,
        try_cast(product_count as integer) as product_count,
        upper(trim(has_credit_card)) as has_credit_card_flag,
        try_cast(complaint_count as integer) as complaint_count,
        lower(trim(churned)) as churned_flag,
        try_cast(updated_at as timestamp) as updated_at
    from source
),

-- Region spellings ('n', 'north') map through seeds/region_spellings.csv; others are null.
regions_mapped as (
    select
        typed.*,
        region_spellings.region
    from typed
    left join region_spellings
        on typed.region_spelling = region_spellings.spelling
),

-- Columns keep the order the view has always had; region, now a plain column from the
-- seed join, follows the birth_year calculation (hence the noqa).
cleaned as (
    select  -- noqa: ST06
        customer_id,
        signup_date,
        updated_at,
        -- 1900 itself is a placeholder in the CRM, like 1880 or 2031: unknown.
        case
            when birth_year > 1900 and birth_year <= 2010 then birth_year
        end as birth_year,
        region,
        case
            when tier in ('basic', 'gold', 'platinum') then tier
        end as tier,
        -- Negative incomes (-1 placeholders) and x50 typos above 1M are entry errors.
        case
            when annual_income between 0 and 1000000 then annual_income
        end as annual_income,
        case when product_count >= 0 then product_count end as product_count,
        case
            when has_credit_card_flag in ('Y', 'YES', 'TRUE', '1') then true
            when has_credit_card_flag in ('N', 'NO', 'FALSE', '0') then false
        end as has_credit_card,
        case when complaint_count >= 0 then complaint_count end as complaint_count,
        churned_flag in ('yes', 'y', 'true', '1') as is_churned
    from regions_mapped
    where customer_id is not null
),

-- ~1% of customers are delivered twice; the newest CRM row wins. Rows updated at the same
-- instant are told apart by their content, so every build keeps the same one.
deduplicated as (
    select *
    from cleaned
    qualify
        row_number() over (
            partition by customer_id
            order by
                updated_at desc nulls last,
                signup_date asc nulls last,
                birth_year asc nulls last,
                region asc nulls last,
                tier asc nulls last,
                annual_income asc nulls last,
                product_count asc nulls last,
                has_credit_card asc nulls last,
                complaint_count asc nulls last,
                is_churned asc
        ) = 1
)

select * from deduplicated
