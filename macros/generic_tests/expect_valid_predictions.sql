{#-
    Passes when a prediction table (schema in docs/CONTRACTS.md) has one row per key, a
    prediction on every row, a `probability` within [0, 1] and a `probabilities` map whose
    values lie within [0, 1] and sum to 1 (within probability_tolerance). The probability
    checks run only when the column exists (binary: both; multiclass: the map; regression:
    neither); a null probability or map is allowed, since a task may not produce one.
-#}
{% test expect_valid_predictions(model, key_columns, probability_tolerance=1e-6) %}
    {{ return(adapter.dispatch('test_expect_valid_predictions', 'dbt_automl')(model, key_columns, probability_tolerance)) }}
{% endtest %}


{% macro default__test_expect_valid_predictions(model, key_columns, probability_tolerance) %}
{%- set keys = dbt_automl._validate_prediction_args(key_columns, probability_tolerance) -%}
{%- set columns = dbt_automl._column_names(model) if execute else [] -%}
{%- if execute -%}
    {%- for required in keys + ['prediction'] if required | lower not in columns -%}
        {{ exceptions.raise_compiler_error(
            "dbt_automl.expect_valid_predictions: expected a column `" ~ required ~ "` in "
            ~ model ~ ", got columns " ~ columns | join(', ')) }}
    {%- endfor -%}
{%- endif -%}
{%- set key_list = keys | join(', ') -%}
with

predictions as (
    select * from {{ model }}
),

duplicate_keys as (
    select
        {{ key_list }},
        'duplicate key: ' || cast(count(*) as varchar) || ' rows' as failure
    from predictions
    group by {{ key_list }}
    having count(*) > 1
),

null_predictions as (
    select
        {{ key_list }},
        'prediction is null' as failure
    from predictions
    where prediction is null
),

{%- if 'probability' in columns %}

probability_out_of_range as (
    select
        {{ key_list }},
        'probability = ' || cast(probability as varchar) || ' is outside [0, 1]' as failure
    from predictions
    where probability < 0 or probability > 1
),
{%- endif %}

{%- if 'probabilities' in columns %}

probabilities_checks as (
    select
        {{ key_list }},
        case
            when cardinality(probabilities) = 0
                then 'probabilities is an empty map'
            when list_count(map_values(probabilities)) < cardinality(probabilities)
                then 'probabilities has a null value: ' || cast(probabilities as varchar)
            when list_min(map_values(probabilities)) < 0
                or list_max(map_values(probabilities)) > 1
                then 'probabilities has a value outside [0, 1]: ' || cast(probabilities as varchar)
            when abs(list_sum(map_values(probabilities)) - 1) > {{ probability_tolerance }}
                then 'probabilities sum to '
                    || cast(list_sum(map_values(probabilities)) as varchar)
                    || ', not 1 (tolerance {{ probability_tolerance }}): '
                    || cast(probabilities as varchar)
        end as failure
    from predictions
    where probabilities is not null
),

invalid_probabilities as (
    select * from probabilities_checks
    where failure is not null
),
{%- endif %}

validation_errors as (
    select * from duplicate_keys
    union all
    select * from null_predictions
    {%- if 'probability' in columns %}
    union all
    select * from probability_out_of_range
    {%- endif %}
    {%- if 'probabilities' in columns %}
    union all
    select * from invalid_probabilities
    {%- endif %}
)

select * from validation_errors
{% endmacro %}


{#- Raises a compiler error naming the test; returns key_columns as a list. -#}
{% macro _validate_prediction_args(key_columns, probability_tolerance) %}
    {%- set who = 'dbt_automl.expect_valid_predictions' -%}
    {%- set keys = dbt_automl._column_list('expect_valid_predictions', 'key_columns', key_columns) -%}
    {%- if probability_tolerance is not number or probability_tolerance is boolean
        or probability_tolerance < 0 -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": `probability_tolerance` must be a number >= 0, got "
            ~ (probability_tolerance | tojson)) }}
    {%- endif -%}
    {{ return(keys | list) }}
{% endmacro %}
