-- Segmentation table: who the customer is and how they use their card, without the churn
-- label or its as-of windows (customer_features is for churn). Fraudulent transactions
-- are left out: they are not the customer's behaviour. Only customers who used the card
-- in the 365 days: without transactions a customer's mix is undefined, and a handful of
-- all-missing rows would form a segment of their own.
with

customers as (
    select * from {{ ref('stg_bank__customers') }}
),

spending as (
    select * from {{ ref('int_customer_spending_mix') }}
),

app_windows as (
    select * from {{ ref('int_customer_app_windows') }}
),

as_of as (
    select * from {{ ref('int_observation_as_of') }}
),

final as (
    select
        customers.customer_id,
        customers.tier,
        customers.region,
        customers.annual_income,
        customers.product_count,
        customers.has_credit_card,
        spending.transaction_count_365d,
        spending.spend_365d,
        spending.avg_transaction_amount,
        spending.active_month_count,
        spending.everyday_share,
        spending.dining_share,
        spending.fuel_share,
        spending.shopping_share,
        spending.travel_share,
        spending.cash_share,
        spending.online_share,
        spending.contactless_share,
        spending.foreign_share,
        as_of.as_of_date - customers.signup_date as tenure_days,
        year(as_of.as_of_date) - customers.birth_year as age,
        app_windows.login_count_30d + app_windows.login_count_30_90d as login_count_90d
    from customers
    cross join as_of
    inner join spending on customers.customer_id = spending.customer_id
    inner join app_windows on customers.customer_id = app_windows.customer_id
    where spending.transaction_count_365d > 0
)

select * from final
