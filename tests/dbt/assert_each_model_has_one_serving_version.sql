-- Every trained model has exactly one version that scoring uses (is_current): none means
-- every version was kept out by its promotion rule, two would make scoring ambiguous.
-- One row per model that breaks this, with how many versions serve.
with

model_registry as (
    select * from {{ ref('model_registry') }}
),

serving as (
    select
        model_registry.model_name,
        count(*) filter (where model_registry.is_current) as serving_count
    from model_registry
    group by model_registry.model_name
),

validation_errors as (
    select
        serving.model_name,
        serving.serving_count
    from serving
    where serving.serving_count != 1
)

select * from validation_errors
