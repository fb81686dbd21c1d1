with

customers as (
    select * from {{ ref('stg_bank__customers') }}
),

transaction_windows as (
    select * from {{ ref('int_customer_transaction_windows') }}
),

app_windows as (
    select * from {{ ref('int_customer_app_windows') }}
),

as_of as (
    select * from {{ ref('int_observation_as_of') }}
),

-- Every window ends at as_of (the last transaction in the lake); see int_observation_as_of.
final as (
    select
        customers.customer_id,
        customers.is_churned,
        customers.tier,
        customers.region,
        customers.annual_income,
        customers.product_count,
        customers.has_credit_card,
        customers.complaint_count,
        transaction_windows.tx_count_30d,
        transaction_windows.tx_count_30_90d,
        transaction_windows.tx_count_90_365d,
        transaction_windows.tx_amount_30d,
        transaction_windows.tx_amount_30_90d,
        transaction_windows.tx_amount_90_365d,
        transaction_windows.tx_count_trend_30d,
        transaction_windows.tx_count_trend_90d,
        transaction_windows.tx_amount_trend_90d,
        transaction_windows.days_since_last_transaction,
        app_windows.login_count_30d,
        app_windows.login_count_30_90d,
        app_windows.login_count_90_365d,
        app_windows.login_trend_30d,
        app_windows.login_trend_90d,
        app_windows.days_since_last_login,
        app_windows.app_event_count_30d,
        app_windows.support_chat_count_90d,
        app_windows.complaint_event_count_90d,
        app_windows.support_chat_count_365d,
        app_windows.complaint_event_count_365d,
        app_windows.card_freeze_count_90d,
        app_windows.avg_session_seconds_90d,
        as_of.as_of_date - customers.signup_date as tenure_days,
        year(as_of.as_of_date) - customers.birth_year as age
    from customers
    cross join as_of
    inner join transaction_windows
        on customers.customer_id = transaction_windows.customer_id
    inner join app_windows on customers.customer_id = app_windows.customer_id
)

select * from final
