-- Drift of every scored model in one table a chart reads: each feature's PSI between the
-- rows scored now and the rows the current version was trained on, worst first per model.
with

churn_drift as (
    select * from {{ ref('churn_drift') }}
),

fraud_drift as (
    select * from {{ ref('fraud_drift') }}
),

model_drift as (
    select * from churn_drift
    union all
    select * from fraud_drift
),

final as (
    select
        model_drift.model_name,
        model_drift.model_version,
        model_drift.feature,
        model_drift.kind,
        model_drift.psi,
        model_drift.unseen_share,
        model_drift.null_rate_train,
        model_drift.null_rate_now,
        model_drift.null_rate_change,
        model_drift.rows_now,
        model_drift.level,
        model_drift.computed_at,
        model_drift.model_name || ':' || model_drift.feature as model_feature,
        model_drift.level != 'ok' as is_drifted,
        row_number() over (
            partition by model_drift.model_name
            order by model_drift.psi desc nulls first, model_drift.feature asc
        ) as drift_rank
    from model_drift
)

select * from final
