-- The action lists hold only what their rule admits: a row is predicted positive or has a
-- probability at or above the cutoff var, and every probability is within [0, 1].
with

customers_to_call as (
    select * from {{ ref('customers_to_call') }}
),

transactions_to_review as (
    select * from {{ ref('transactions_to_review') }}
),

validation_errors as (
    select
        'customers_to_call' as model_name,
        cast(customers_to_call.customer_id as varchar) as row_key,
        customers_to_call.churn_probability as probability,
        'not predicted and below churn_call_min_probability, or outside [0, 1]' as failure
    from customers_to_call
    where
        customers_to_call.churn_probability not between 0 and 1
        or (
            not customers_to_call.is_predicted_churner
            and customers_to_call.churn_probability
            < {{ var('churn_call_min_probability', 0.5) }}
        )

    union all

    select
        'transactions_to_review' as model_name,
        transactions_to_review.transaction_id as row_key,
        transactions_to_review.fraud_probability as probability,
        'not predicted and below fraud_review_min_probability, or outside [0, 1]' as failure
    from transactions_to_review
    where
        transactions_to_review.fraud_probability not between 0 and 1
        or (
            not transactions_to_review.is_predicted_fraud
            and transactions_to_review.fraud_probability
            < {{ var('fraud_review_min_probability', 0.5) }}
        )
)

select * from validation_errors
