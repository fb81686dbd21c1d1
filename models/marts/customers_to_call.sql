-- Customers worth a retention call: the model predicts churn at its tuned threshold, or the
-- churn probability reaches var churn_call_min_probability (default 0.5).
with

churn_scores as (
    select * from {{ ref('churn_scores') }}
),

customer_features as (
    select * from {{ ref('customer_features') }}
),

at_risk as (
    select *
    from churn_scores
    where
        prediction
        or probability >= {{ var('churn_call_min_probability', 0.5) }}
),

final as (
    select
        at_risk.customer_id,
        at_risk.probability as churn_probability,
        at_risk.prediction as is_predicted_churner,
        customer_features.tier,
        customer_features.region,
        customer_features.tenure_days,
        customer_features.product_count,
        customer_features.has_credit_card,
        customer_features.complaint_count,
        customer_features.complaint_event_count_90d,
        customer_features.support_chat_count_90d,
        customer_features.days_since_last_transaction,
        customer_features.days_since_last_login,
        customer_features.tx_count_trend_90d,
        customer_features.login_trend_90d,
        customer_features.is_churned as is_known_churner,
        at_risk.model_name,
        at_risk.model_version,
        at_risk.scored_at,
        -- Call order: most likely to leave first; ties broken by id so the rank is stable.
        row_number() over (
            order by at_risk.probability desc, at_risk.customer_id asc
        ) as call_rank
    from at_risk
    inner join customer_features on at_risk.customer_id = customer_features.customer_id
)

select * from final
