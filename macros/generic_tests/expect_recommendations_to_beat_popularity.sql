{#-
    On a recommendation model's trained-model table: the current version's precision@N on
    its time-ordered holdout (`test_precision_at_n`) beats recommending the most popular
    items to everyone (`test_popularity_precision_at_n`, same holdout) by at least `margin`
    (absolute) and at least `min_lift` times (ratio). Fails when no version is current or a
    precision is null.
-#}
{% test expect_recommendations_to_beat_popularity(model, margin=0, min_lift=1) %}
    {{ return(adapter.dispatch('test_expect_recommendations_to_beat_popularity', 'dbt_automl')(
        model, margin, min_lift)) }}
{% endtest %}


{% macro default__test_expect_recommendations_to_beat_popularity(model, margin, min_lift) %}
{%- set who = "dbt_automl.expect_recommendations_to_beat_popularity" -%}
{%- for name, value in [('margin', margin), ('min_lift', min_lift)] -%}
    {%- if value is not number or value is boolean or value < 0 -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": `" ~ name ~ "` must be a number >= 0, got " ~ (value | tojson)) }}
    {%- endif -%}
{%- endfor -%}
with

current_versions as (
    select
        model_name,
        version,
        test_precision_at_n as model_precision,
        test_popularity_precision_at_n as popularity_precision
    from {{ model }}
    where is_current
),

failures as (
    select
        model_name,
        version,
        model_precision,
        popularity_precision,
        'precision@N of ' || model_name || ' v' || cast(version as varchar) || ' = '
        || cast(round(model_precision, 4) as varchar) || ' does not beat popularity ('
        || cast(round(popularity_precision, 4) as varchar)
        || ') by margin {{ margin }} and lift {{ min_lift }}' as failure
    from current_versions
    where model_precision < popularity_precision + {{ margin }}
        or model_precision < popularity_precision * {{ min_lift }}

    union all

    select
        model_name,
        version,
        model_precision,
        popularity_precision,
        'precision@N of ' || model_name || ' v' || cast(version as varchar) || ' is null'
            as failure
    from current_versions
    where model_precision is null or popularity_precision is null

    union all

    select
        cast(null as varchar) as model_name,
        cast(null as integer) as version,
        cast(null as double) as model_precision,
        cast(null as double) as popularity_precision,
        'no version is current' as failure
    where not exists (select 1 from current_versions)
)

select * from failures
{% endmacro %}
