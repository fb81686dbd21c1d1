-- Leakage guard: recompute "the customer's other transactions in the previous hour" with a
-- plain self-join that can only see earlier (or simultaneous) rows, and compare it with the
-- window in int_transaction_customer_history. A mismatch means a frame reached past the
-- current row. Also the first transaction of a customer must have no history at all.
with

transactions as (
    select * from {{ ref('stg_bank__transactions') }}
),

transaction_features as (
    select * from {{ ref('transaction_features') }}
),

recomputed as (
    select
        current_tx.transaction_id,
        count(earlier_tx.transaction_id) as tx_count_prev_1h
    from transactions as current_tx
    left join transactions as earlier_tx
        on
            current_tx.customer_id = earlier_tx.customer_id
            and current_tx.transaction_id != earlier_tx.transaction_id
            and earlier_tx.transaction_at
            between current_tx.transaction_at - interval 1 hour and current_tx.transaction_at
    group by current_tx.transaction_id
),

validation_errors as (
    select
        transaction_features.transaction_id,
        transaction_features.tx_count_prev_1h,
        recomputed.tx_count_prev_1h as expected_tx_count_prev_1h,
        transaction_features.customer_prior_tx_count,
        transaction_features.seconds_since_previous_transaction,
        'window disagrees with a backward-only self-join, or a first transaction has history'
            as failure
    from transaction_features
    inner join recomputed
        on transaction_features.transaction_id = recomputed.transaction_id
    where
        transaction_features.tx_count_prev_1h != recomputed.tx_count_prev_1h
        or (
            transaction_features.customer_prior_tx_count = 0
            and transaction_features.seconds_since_previous_transaction is not null
        )
)

select * from validation_errors
