{#-
    Passes when the current version of every model in a trained-model table (schema in
    docs/CONTRACTS.md) scored its held-out `test_<metric>` within [min_value, max_value].
    Fails for a model without a current version, a null metric, or a metric out of bounds.
    Any metric works whose `test_<metric>` column the table has: no list of metrics to keep
    in step with the tasks; a missing column is an error when the test runs.
-#}
{% test expect_model_metric_to_be_between(model, metric, min_value=none, max_value=none) %}
    {{ return(adapter.dispatch('test_expect_model_metric_to_be_between', 'dbt_automl')(model, metric, min_value, max_value)) }}
{% endtest %}


{#- test_name lets metric_threshold reuse this implementation under its own name in errors. -#}
{% macro default__test_expect_model_metric_to_be_between(
    model, metric, min_value, max_value, test_name='expect_model_metric_to_be_between'
) %}
{%- set metric = dbt_automl._validate_model_metric_args(
    test_name, metric, min_value, max_value) -%}
{%- if execute -%}
    {%- do dbt_automl._require_metric_column(test_name, model, metric) -%}
{%- endif -%}
{%- set bound = dbt_automl._metric_bound_text(min_value, max_value) -%}
with

trained_versions as (
    select * from {{ model }}
),

current_versions as (
    select
        model_name,
        version,
        test_{{ metric }} as metric_value
    from trained_versions
    where is_current
),

models_without_current_version as (
    select model_name
    from trained_versions
    group by model_name
    having sum(case when is_current then 1 else 0 end) = 0
),

missing_current_version as (
    select
        model_name,
        cast(null as integer) as version,
        '{{ metric }}' as metric,
        cast(null as double) as value,
        '{{ bound }}' as bound,
        'model ' || model_name || ' has no version with is_current = true' as failure
    from models_without_current_version

    union all

    select
        cast(null as varchar) as model_name,
        cast(null as integer) as version,
        '{{ metric }}' as metric,
        cast(null as double) as value,
        '{{ bound }}' as bound,
        'the trained-model table has no rows' as failure
    where not exists (select 1 from trained_versions)
),

metric_checks as (
    select
        model_name,
        version,
        '{{ metric }}' as metric,
        cast(metric_value as double) as value,
        '{{ bound }}' as bound,
        'test_{{ metric }} of ' || model_name || ' v' || cast(version as varchar)
            || case
                when metric_value is null then ' is null'
                {%- if min_value is not none %}
                when metric_value < {{ min_value }}
                    then ' = ' || cast(metric_value as varchar)
                        || ' is below min_value {{ min_value }}'
                {%- endif %}
                {%- if max_value is not none %}
                when metric_value > {{ max_value }}
                    then ' = ' || cast(metric_value as varchar)
                        || ' is above max_value {{ max_value }}'
                {%- endif %}
            end as failure
    from current_versions
),

metric_out_of_bounds as (
    select * from metric_checks
    where failure is not null
),

validation_errors as (
    select * from missing_current_version
    union all
    select * from metric_out_of_bounds
)

select * from validation_errors
{% endmacro %}


{#- Raises a compiler error naming the test; returns the metric name, lower-cased. -#}
{% macro _validate_model_metric_args(test_name, metric, min_value, max_value) %}
    {%- set who = 'dbt_automl.' ~ test_name -%}
    {%- if metric is not string
        or not modules.re.fullmatch('[A-Za-z0-9_]+', metric | trim) -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": `metric` must be a metric name of letters, digits and underscores"
            ~ " (the test reads column test_<metric> of a trained-model table), got "
            ~ (metric | tojson)) }}
    {%- endif -%}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": at least one of `min_value`, `max_value` is required, got neither") }}
    {%- endif -%}
    {%- for name, value in [('min_value', min_value), ('max_value', max_value)] -%}
        {%- if value is not none and (value is not number or value is boolean) -%}
            {{ exceptions.raise_compiler_error(
                who ~ ": `" ~ name ~ "` must be a number, got " ~ (value | tojson)) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if min_value is not none and max_value is not none and min_value > max_value -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": `min_value` must be <= `max_value`, got min_value=" ~ min_value
            ~ " and max_value=" ~ max_value) }}
    {%- endif -%}
    {{ return(metric | trim | lower) }}
{% endmacro %}


{#-
    At execution time: the tested relation must have the metric's column. Which metrics
    exist depends on the task that trained the model, so the table itself is the reference.
-#}
{% macro _require_metric_column(test_name, model, metric) %}
    {%- set column = 'test_' ~ metric -%}
    {%- set columns = dbt_automl._column_names(model) -%}
    {%- if column not in columns -%}
        {{ exceptions.raise_compiler_error(
            "dbt_automl." ~ test_name ~ ": expected a column `" ~ column ~ "` in " ~ model
            ~ " for metric " ~ (metric | tojson) ~ ", got columns " ~ columns | join(', ')) }}
    {%- endif -%}
{% endmacro %}


{% macro _metric_bound_text(min_value, max_value) %}
    {%- if min_value is not none and max_value is not none -%}
        {{ return('between ' ~ min_value ~ ' and ' ~ max_value) }}
    {%- elif min_value is not none -%}
        {{ return('>= ' ~ min_value) }}
    {%- else -%}
        {{ return('<= ' ~ max_value) }}
    {%- endif -%}
{% endmacro %}
