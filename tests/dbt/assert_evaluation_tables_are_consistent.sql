-- The evaluation tables describe the current model version's test split: the confusion
-- matrix counts every test row once, ROC / PR / calibration points are rates in [0, 1],
-- each curve's points are numbered once, and every curve a classifier records is there.
with

churn_evaluation as (
    select * from {{ ref('churn_model_evaluation') }}
),

fraud_evaluation as (
    select * from {{ ref('fraud_model_evaluation') }}
),

churn_model as (
    select * from {{ ref('churn_model') }}
),

fraud_model as (
    select * from {{ ref('fraud_model') }}
),

evaluations as (
    select * from churn_evaluation
    union all by name
    select * from fraud_evaluation
),

current_versions as (
    select
        churn_model.model_name,
        churn_model.version,
        churn_model.test_rows
    from churn_model
    where churn_model.is_current
    union all
    select
        fraud_model.model_name,
        fraud_model.version,
        fraud_model.test_rows
    from fraud_model
    where fraud_model.is_current
),

expected_curves as (
    select unnest(['confusion_matrix', 'roc', 'pr', 'calibration', 'importance']) as curve
),

confusion_totals as (
    select
        evaluations.model_name,
        sum(evaluations.count) as counted_rows
    from evaluations
    where evaluations.curve = 'confusion_matrix'
    group by evaluations.model_name
),

validation_errors as (
    select
        current_versions.model_name,
        'confusion matrix counts ' || coalesce(confusion_totals.counted_rows, 0)
        || ' rows, the test split has ' || current_versions.test_rows as failure
    from current_versions
    left join confusion_totals
        on current_versions.model_name = confusion_totals.model_name
    where coalesce(confusion_totals.counted_rows, 0) != current_versions.test_rows

    union all

    select
        evaluations.model_name,
        evaluations.curve || ' point ' || evaluations.point || ' outside [0, 1]' as failure
    from evaluations
    where
        evaluations.curve in ('roc', 'pr', 'calibration')
        and not (evaluations.x between 0 and 1 and evaluations.y between 0 and 1)

    union all

    select
        evaluations.model_name,
        evaluations.curve || ' point ' || evaluations.point || ' appears twice' as failure
    from evaluations
    group by evaluations.model_name, evaluations.curve, evaluations.point
    having count(*) > 1

    union all

    select
        evaluations.model_name,
        'evaluates v' || evaluations.model_version || ', the current version is v'
        || current_versions.version as failure
    from evaluations
    inner join current_versions
        on evaluations.model_name = current_versions.model_name
    where evaluations.model_version != current_versions.version

    union all

    select
        current_versions.model_name,
        'no ' || expected_curves.curve || ' rows' as failure
    from current_versions
    cross join expected_curves
    where not exists (
        select 1 from evaluations
        where
            evaluations.model_name = current_versions.model_name
            and evaluations.curve = expected_curves.curve
    )
)

select * from validation_errors
