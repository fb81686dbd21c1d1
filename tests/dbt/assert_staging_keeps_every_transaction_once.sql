-- Deduplication must drop redeliveries only: every transaction_id in any partition of the lake
-- (late arrivals included) appears exactly once in staging. Returns each id that does not.
with

lake_transactions as (
    select * from {{ source('bank', 'transactions') }}
),

staged_transactions as (
    select * from {{ ref('stg_bank__transactions') }}
),

lake_ids as (
    select distinct trim(lake_transactions.transaction_id) as transaction_id
    from lake_transactions
),

staged_counts as (
    select
        staged_transactions.transaction_id,
        count(*) as row_count
    from staged_transactions
    group by staged_transactions.transaction_id
),

validation_errors as (
    select
        coalesce(lake_ids.transaction_id, staged_counts.transaction_id) as transaction_id,
        coalesce(staged_counts.row_count, 0) as staged_row_count,
        case
            when lake_ids.transaction_id is null then 'in staging but not in the lake'
            when staged_counts.row_count is null then 'in the lake but dropped by staging'
            else 'more than one row in staging'
        end as failure
    from lake_ids
    full outer join staged_counts
        on lake_ids.transaction_id = staged_counts.transaction_id
    where
        lake_ids.transaction_id is null
        or staged_counts.row_count is null
        or staged_counts.row_count > 1
)

select * from validation_errors
