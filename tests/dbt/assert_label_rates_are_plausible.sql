-- The labels the models learn must be present at believable rates: fraud between 0.1% and 5%
-- of transactions, churn between 2% and 40% of customers. A rate outside means the lake or
-- the staging of a label broke (e.g. 'Yes'/'No' no longer parsed). One row per failing label.
with

customer_features as (
    select * from {{ ref('customer_features') }}
),

transaction_features as (
    select * from {{ ref('transaction_features') }}
),

label_rates as (
    select
        'is_fraud' as label_name,
        0.001 as min_rate,
        0.05 as max_rate,
        avg(case when transaction_features.is_fraud then 1.0 else 0.0 end) as observed_rate
    from transaction_features

    union all

    select
        'is_churned' as label_name,
        0.02 as min_rate,
        0.40 as max_rate,
        avg(case when customer_features.is_churned then 1.0 else 0.0 end) as observed_rate
    from customer_features
),

validation_errors as (
    select
        label_name,
        min_rate,
        max_rate,
        observed_rate,
        'label rate outside [min_rate, max_rate]' as failure
    from label_rates
    where observed_rate is null or observed_rate not between min_rate and max_rate
)

select * from validation_errors
