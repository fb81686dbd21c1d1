-- Every version of every trained model in the demo, with its lifecycle status and why:
-- the registry as one table (the `dbt-automl models list` of SQL). The trained-model tables
-- share these columns whatever their task.
with

churn_model as (
    select * from {{ ref('churn_model') }}
),

fraud_model as (
    select * from {{ ref('fraud_model') }}
),

sales_forecast_model as (
    select * from {{ ref('sales_forecast_model') }}
),

customer_segment_model as (
    select * from {{ ref('customer_segment_model') }}
),

terminal_anomaly_model as (
    select * from {{ ref('terminal_anomaly_model') }}
),

card_offer_model as (
    select * from {{ ref('card_offer_model') }}
),

{% set shared = 'model_name, version, is_current, status, status_reason, status_at, task,
    target, metric, score, trained_at, duration_s, data_fingerprint' %}

versions as (
    select {{ shared }} from churn_model
    union all
    select {{ shared }} from fraud_model
    union all
    select {{ shared }} from sales_forecast_model
    union all
    select {{ shared }} from customer_segment_model
    union all
    select {{ shared }} from terminal_anomaly_model
    union all
    select {{ shared }} from card_offer_model
),

final as (
    select
        versions.*,
        versions.model_name || ' v' || versions.version as model_version_key
    from versions
)

select * from final
