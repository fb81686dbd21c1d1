with

customers as (
    select * from {{ ref('stg_bank__customers') }}
),

app_events as (
    select * from {{ ref('stg_bank__app_events') }}
),

as_of as (
    select * from {{ ref('int_observation_as_of') }}
),

-- Whole days before as_of, as for transactions; events after as_of are ignored.
dated as (
    select
        app_events.customer_id,
        app_events.event_type,
        app_events.session_seconds,
        as_of.as_of_date - cast(app_events.event_at as date) as days_ago
    from app_events
    cross join as_of
    where app_events.event_at <= as_of.as_of_at
),

-- Starts from customers so that a customer without app events gets zero counts.
windowed as (
    select
        customers.customer_id,
        count(dated.days_ago) filter (
            where dated.event_type = 'login' and dated.days_ago < 30
        ) as login_count_30d,
        count(dated.days_ago) filter (
            where dated.event_type = 'login' and dated.days_ago between 30 and 89
        ) as login_count_30_90d,
        count(dated.days_ago) filter (
            where dated.event_type = 'login' and dated.days_ago between 90 and 364
        ) as login_count_90_365d,
        min(dated.days_ago) filter (where dated.event_type = 'login') as days_since_last_login,
        count(dated.days_ago) filter (where dated.days_ago < 30) as app_event_count_30d,
        count(dated.days_ago) filter (
            where dated.event_type = 'support_chat' and dated.days_ago < 90
        ) as support_chat_count_90d,
        count(dated.days_ago) filter (
            where dated.event_type = 'complaint' and dated.days_ago < 90
        ) as complaint_event_count_90d,
        -- Churners contact support more all year, not only once they fade.
        count(dated.days_ago) filter (
            where dated.event_type = 'support_chat' and dated.days_ago < 365
        ) as support_chat_count_365d,
        count(dated.days_ago) filter (
            where dated.event_type = 'complaint' and dated.days_ago < 365
        ) as complaint_event_count_365d,
        count(dated.days_ago) filter (
            where dated.event_type = 'card_freeze' and dated.days_ago < 90
        ) as card_freeze_count_90d,
        avg(dated.session_seconds) filter (where dated.days_ago < 90) as avg_session_seconds_90d
    from customers
    left join dated on customers.customer_id = dated.customer_id
    group by customers.customer_id
),

trended as (
    select
        windowed.*,
        -- Monthly login rates compared as for transactions, smoothed by +1.
        (windowed.login_count_30d + 1) / (windowed.login_count_30_90d / 2 + 1) as login_trend_30d,
        ((windowed.login_count_30d + windowed.login_count_30_90d) / 3 + 1)
        / (windowed.login_count_90_365d * 30 / 275 + 1) as login_trend_90d
    from windowed
)

select * from trended
