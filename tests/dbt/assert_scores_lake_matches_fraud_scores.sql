-- The scores lake holds exactly the rows of fraud_scores, day by day: no key twice, none
-- missing, none left behind by an earlier or interrupted run, each row in the partition of
-- the day it was scored. Compared per day by row count and a sum of row hashes (one pass
-- over each side); a failing row names the day and both counts.
with

lake as (
    select * from {{ ref('fraud_scores_from_lake') }}
),

fraud_scores as (
    select * from {{ ref('fraud_scores') }}
),

lake_days as (
    select
        lake.scored_date,
        count(*) as row_count,
        sum(
            hash(lake.transaction_id, lake.model_version, lake.scored_at, lake.feature_hash)
        ) as content_hash,
        count(*) filter (
            where lake.scored_date != cast(lake.scored_at as date)
        ) as misplaced_count
    from lake
    group by lake.scored_date
),

table_days as (
    select
        cast(fraud_scores.scored_at as date) as scored_date,
        count(*) as row_count,
        sum(
            hash(
                fraud_scores.transaction_id,
                fraud_scores.model_version,
                fraud_scores.scored_at,
                fraud_scores.feature_hash
            )
        ) as content_hash
    from fraud_scores
    group by cast(fraud_scores.scored_at as date)
),

validation_errors as (
    select
        lake_days.row_count as lake_row_count,
        table_days.row_count as table_row_count,
        lake_days.misplaced_count,
        coalesce(lake_days.scored_date, table_days.scored_date) as scored_date
    from lake_days
    full outer join table_days on lake_days.scored_date = table_days.scored_date
    where
        lake_days.row_count is distinct from table_days.row_count
        or lake_days.content_hash is distinct from table_days.content_hash
        or lake_days.misplaced_count > 0
)

select * from validation_errors
