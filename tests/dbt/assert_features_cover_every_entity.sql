-- The feature tables must neither lose nor multiply rows on their joins: one row per staged
-- customer and one per staged transaction. Returns a row per table whose count differs.
with

customers as (
    select * from {{ ref('stg_bank__customers') }}
),

transactions as (
    select * from {{ ref('stg_bank__transactions') }}
),

customer_features as (
    select * from {{ ref('customer_features') }}
),

transaction_features as (
    select * from {{ ref('transaction_features') }}
),

row_counts as (
    select
        'customer_features' as model_name,
        (select count(*) from customers) as expected_rows,
        (select count(*) from customer_features) as actual_rows

    union all

    select
        'transaction_features' as model_name,
        (select count(*) from transactions) as expected_rows,
        (select count(*) from transaction_features) as actual_rows
),

validation_errors as (
    select
        model_name,
        expected_rows,
        actual_rows,
        'row count differs from the staged entity' as failure
    from row_counts
    where expected_rows != actual_rows
)

select * from validation_errors
