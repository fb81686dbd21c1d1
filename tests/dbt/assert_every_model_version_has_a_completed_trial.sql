-- Every registered version of a trained model must list at least one completed search trial
-- in its leaderboard: a version without one was not chosen by a search. One row per version.
with

churn_versions as (
    select * from {{ ref('churn_model') }}
),

fraud_versions as (
    select * from {{ ref('fraud_model') }}
),

churn_trials as (
    select * from {{ ref('churn_model_leaderboard') }}
),

fraud_trials as (
    select * from {{ ref('fraud_model_leaderboard') }}
),

all_versions as (
    select
        churn_versions.model_name,
        churn_versions.version
    from churn_versions
    union all
    select
        fraud_versions.model_name,
        fraud_versions.version
    from fraud_versions
),

completed_trials as (
    select
        churn_trials.model_name,
        churn_trials.version
    from churn_trials
    where churn_trials.state = 'complete'
    union all
    select
        fraud_trials.model_name,
        fraud_trials.version
    from fraud_trials
    where fraud_trials.state = 'complete'
),

validation_errors as (
    select
        all_versions.model_name,
        all_versions.version
    from all_versions
    left join completed_trials
        on
            all_versions.model_name = completed_trials.model_name
            and all_versions.version = completed_trials.version
    where completed_trials.version is null
)

select * from validation_errors
