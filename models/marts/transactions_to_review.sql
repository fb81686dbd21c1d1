-- Transactions for the fraud team: the model flags them at its tuned threshold, or the
-- fraud probability reaches var fraud_review_min_probability (default 0.5).
with

fraud_scores as (
    select * from {{ ref('fraud_scores') }}
),

transaction_features as (
    select * from {{ ref('transaction_features') }}
),

flagged as (
    select *
    from fraud_scores
    where
        prediction
        or probability >= {{ var('fraud_review_min_probability', 0.5) }}
),

final as (
    select
        flagged.transaction_id,
        flagged.probability as fraud_probability,
        flagged.prediction as is_predicted_fraud,
        transaction_features.customer_id,
        transaction_features.transaction_at,
        transaction_features.amount,
        transaction_features.amount_to_customer_median_ratio,
        transaction_features.merchant_id,
        transaction_features.merchant_category,
        transaction_features.channel,
        transaction_features.country_code,
        transaction_features.is_night,
        transaction_features.tx_count_prev_1h,
        transaction_features.is_fraud as is_known_fraud,
        flagged.model_name,
        flagged.model_version,
        flagged.scored_at,
        -- Review order: most likely fraud first; ties broken by id so the rank is stable.
        row_number() over (
            order by flagged.probability desc, flagged.transaction_id asc
        ) as review_rank
    from flagged
    inner join transaction_features
        on flagged.transaction_id = transaction_features.transaction_id
)

select * from final
