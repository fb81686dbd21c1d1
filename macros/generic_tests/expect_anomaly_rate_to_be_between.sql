{#-
    On an anomaly table: the share of rows flagged (`flag_column` true) is within
    [min_value, max_value]. A jump in the flagged share means the data or the detector
    changed. Fails on an empty table; the failing row gives the rate and the bound.
-#}
{% test expect_anomaly_rate_to_be_between(
    model, min_value=none, max_value=none, flag_column='is_anomaly') %}
    {{ return(adapter.dispatch('test_expect_anomaly_rate_to_be_between', 'dbt_automl')(
        model, min_value, max_value, flag_column)) }}
{% endtest %}


{% macro default__test_expect_anomaly_rate_to_be_between(model, min_value, max_value, flag_column) %}
{%- set who = "dbt_automl.expect_anomaly_rate_to_be_between" -%}
{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error(who ~ ": give min_value, max_value or both") }}
{%- endif -%}
{%- for name, value in [('min_value', min_value), ('max_value', max_value)] -%}
    {%- if value is not none and (value is not number or value is boolean
        or value < 0 or value > 1) -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": `" ~ name ~ "` must be a share in [0, 1], got " ~ (value | tojson)) }}
    {%- endif -%}
{%- endfor -%}
with

rate as (
    select
        count(*) as n_rows,
        count(*) filter (where {{ adapter.quote(flag_column) }}) as n_flagged,
        count(*) filter (where {{ adapter.quote(flag_column) }}) / greatest(count(*), 1)
            as flag_rate
    from {{ model }}
),

failures as (
    {%- if min_value is not none %}
    select n_rows, n_flagged, flag_rate,
        'flagged ' || cast(n_flagged as varchar) || ' of ' || cast(n_rows as varchar)
        || ' rows (' || cast(round(flag_rate, 4) as varchar)
        || '), below min_value {{ min_value }}' as failure
    from rate where n_rows > 0 and flag_rate < {{ min_value }}
    union all
    {%- endif %}
    {%- if max_value is not none %}
    select n_rows, n_flagged, flag_rate,
        'flagged ' || cast(n_flagged as varchar) || ' of ' || cast(n_rows as varchar)
        || ' rows (' || cast(round(flag_rate, 4) as varchar)
        || '), above max_value {{ max_value }}' as failure
    from rate where n_rows > 0 and flag_rate > {{ max_value }}
    union all
    {%- endif %}
    select n_rows, n_flagged, flag_rate, 'the anomaly table has no rows' as failure
    from rate where n_rows = 0
)

select * from failures
{% endmacro %}
