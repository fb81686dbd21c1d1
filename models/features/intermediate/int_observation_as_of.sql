-- One row: the instant every customer feature is measured at. It is the last transaction in
-- the lake rather than now(), so rebuilding the same lake gives the same features, and a lake
-- generated months ago still has "last 30 days" of data.
with

transactions as (
    select * from {{ ref('stg_bank__transactions') }}
),

final as (
    select
        cast(max(transactions.transaction_at) as date) as as_of_date,
        max(transactions.transaction_at) as as_of_at,
        count(*) as transaction_count
    from transactions
)

select * from final
