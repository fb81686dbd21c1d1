-- The maintenance label is scarce but usable: some rows true, some false, most null (at
-- most a quarter labelled), and every logged failure labels the days before it. Anything
-- else means the log's staging or the label's join broke. One row per failed check.
with

features as (
    select * from {{ ref('terminal_daily_features') }}
),

maintenance as (
    select * from {{ ref('stg_bank__terminal_failures') }}
),

label_counts as (
    select
        count(*) filter (where features.failed_within_7d) as true_rows,
        count(*) filter (where not features.failed_within_7d) as false_rows,
        count(features.failed_within_7d) / count(*) as labelled_share
    from features
),

-- A logged failure of a terminal with readings in the week before must label a row true.
unlabelled_failures as (
    select maintenance.log_id
    from maintenance
    where
        maintenance.is_failure
        and exists (
            select 1
            from features
            where
                features.terminal_id = maintenance.terminal_id
                and features.reading_date between maintenance.event_date - 7
                and maintenance.event_date - 1
        )
        and not exists (
            select 1
            from features
            where
                features.terminal_id = maintenance.terminal_id
                and features.failed_within_7d
                and features.reading_date between maintenance.event_date - 7
                and maintenance.event_date - 1
        )
),

validation_errors as (
    select
        'labels present and scarce' as check_name,
        'true_rows=' || label_counts.true_rows || ', false_rows=' || label_counts.false_rows
        || ', labelled_share=' || round(label_counts.labelled_share, 4) as failure
    from label_counts
    where
        label_counts.true_rows = 0
        or label_counts.false_rows = 0
        or label_counts.labelled_share > 0.25

    union all

    select
        'logged failure labels the week before' as check_name,
        unlabelled_failures.log_id as failure
    from unlabelled_failures
)

select * from validation_errors
