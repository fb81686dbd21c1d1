{#-
    On a forecast table: every series has exactly `horizon` rows on `horizon` distinct
    periods, and all series cover the same periods (so none has a gap or a duplicate).
    Each failing row names the series (its columns joined by ' | ') and what failed.
-#}
{% test expect_forecast_complete(model, series_columns, time_column, horizon) %}
    {{ return(adapter.dispatch('test_expect_forecast_complete', 'dbt_automl')(
        model, series_columns, time_column, horizon)) }}
{% endtest %}


{% macro default__test_expect_forecast_complete(model, series_columns, time_column, horizon) %}
{%- if horizon is not number or horizon is boolean or horizon < 1 -%}
    {{ exceptions.raise_compiler_error(
        "dbt_automl.expect_forecast_complete: `horizon` must be a whole number >= 1, got "
        ~ (horizon | tojson)) }}
{%- endif -%}
{%- set keys = series_columns if series_columns is not string else [series_columns] -%}
{%- set series -%}
    {%- if keys | length > 0 -%}
        concat_ws(' | ', {% for c in keys %}cast({{ adapter.quote(c) }} as varchar){{ ", " if not loop.last }}{% endfor %})
    {%- else -%}
        'all'
    {%- endif -%}
{%- endset -%}
with

forecast as (
    select
        {{ series }} as series,
        {{ adapter.quote(time_column) }} as period
    from {{ model }}
),

per_series as (
    select
        series,
        count(*) as n_rows,
        count(distinct period) as n_periods
    from forecast
    group by series
),

all_periods as (
    select count(distinct period) as n_periods from forecast
),

failures as (
    select
        series,
        'series has ' || cast(n_rows as varchar) || ' rows on '
        || cast(n_periods as varchar) || ' distinct periods; expected {{ horizon }} of each'
            as failure
    from per_series
    where n_rows != {{ horizon }} or n_periods != {{ horizon }}

    union all

    select
        cast(null as varchar) as series,
        'the series cover ' || cast(n_periods as varchar)
        || ' distinct periods between them; expected the same {{ horizon }} for all'
            as failure
    from all_periods
    where n_periods != {{ horizon }} and n_periods > 0

    union all

    select
        cast(null as varchar) as series,
        'the forecast table has no rows' as failure
    where not exists (select 1 from forecast)
)

select * from failures
{% endmacro %}
