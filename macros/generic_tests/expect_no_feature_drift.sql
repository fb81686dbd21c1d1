{#-
    On a drift table (`dbt_automl.drift`): no feature moved past its warn or error level.
    PSI >= error_psi, an unseen-category share above max_unseen_share, a null rate that
    changed by more than max_null_rate_change, or no value left of a feature are errors;
    PSI >= warn_psi alone is a warning. fail_calc turns that into dbt severities: 2 when a
    row is an error, 1 when rows only warn, so the test errors at 2 and warns at 1 (a
    `config:` in YAML overrides these, as for any test). Each failing row names the model,
    the feature, the check, the value and the level.
-#}
{% test expect_no_feature_drift(
    model, warn_psi=0.1, error_psi=0.25, max_unseen_share=0.05, max_null_rate_change=0.1,
    features=none, include_prediction=true) %}
    {{ config(
        fail_calc="coalesce(max(case when level = 'error' then 2 else 1 end), 0)",
        warn_if=">=1",
        error_if=">=2") }}
    {{ return(adapter.dispatch('test_expect_no_feature_drift', 'dbt_automl')(
        model, warn_psi, error_psi, max_unseen_share, max_null_rate_change, features,
        include_prediction)) }}
{% endtest %}


{% macro default__test_expect_no_feature_drift(
    model, warn_psi, error_psi, max_unseen_share, max_null_rate_change, features,
    include_prediction) %}
{%- set features = dbt_automl._validate_drift_args(
    warn_psi, error_psi, max_unseen_share, max_null_rate_change, features,
    include_prediction) -%}
with

drift_rows as (
    select * from {{ model }}
    where true
    {%- if features %}
        and feature in ({% for f in features %}'{{ f | replace("'", "''") }}'{{ "," if not loop.last }}{% endfor %})
    {%- endif %}
    {%- if not include_prediction %}
        and kind != 'prediction'
    {%- endif %}
),

checks as (
    select
        model_name, model_version, feature, kind,
        'psi' as check_name, psi as value, {{ error_psi }} as threshold, 'error' as level,
        'psi of ' || feature || ' = ' || cast(round(psi, 4) as varchar)
            || ' >= error_psi {{ error_psi }}' as failure
    from drift_rows where psi >= {{ error_psi }}

    union all

    select
        model_name, model_version, feature, kind,
        'psi', psi, {{ warn_psi }}, 'warn',
        'psi of ' || feature || ' = ' || cast(round(psi, 4) as varchar)
            || ' >= warn_psi {{ warn_psi }}'
    from drift_rows where psi >= {{ warn_psi }} and psi < {{ error_psi }}

    union all

    select
        model_name, model_version, feature, kind,
        'no_values', null_rate_now, null, 'error',
        feature || ' has no value in the ' || cast(rows_now as varchar)
            || ' rows compared (the column is missing or all null)'
    from drift_rows
    where psi is null and coalesce(null_rate_train, 0) < 1 and (rows_now = 0 or null_rate_now = 1)
    {%- if max_unseen_share is not none %}

    union all

    select
        model_name, model_version, feature, kind,
        'unseen_share', unseen_share, {{ max_unseen_share }}, 'error',
        cast(round(unseen_share, 4) as varchar) || ' of ' || feature
            || ' values were never seen in training, above max_unseen_share {{ max_unseen_share }}'
    from drift_rows where unseen_share > {{ max_unseen_share }}
    {%- endif %}
    {%- if max_null_rate_change is not none %}

    union all

    select
        model_name, model_version, feature, kind,
        'null_rate_change', null_rate_change, {{ max_null_rate_change }}, 'error',
        'null rate of ' || feature || ' went from ' || cast(round(null_rate_train, 4) as varchar)
            || ' to ' || cast(round(null_rate_now, 4) as varchar)
            || ', a change above max_null_rate_change {{ max_null_rate_change }}'
    from drift_rows where abs(null_rate_change) > {{ max_null_rate_change }}
    {%- endif %}
    {%- for f in features or [] %}

    union all

    select
        null, null, '{{ f | replace("'", "''") }}', null,
        'missing_feature', null, null, 'error',
        'feature {{ f | replace("'", "''") }} is not in the drift table'
    where not exists (select 1 from drift_rows where feature = '{{ f | replace("'", "''") }}')
    {%- endfor %}

    union all

    select
        null, null, null, null,
        'no_rows', null, null, 'error',
        'the drift table has no rows'
    where not exists (select 1 from {{ model }})
),

validation_errors as (
    select
        model_name,
        model_version,
        feature,
        kind,
        check_name,
        value,
        threshold,
        level,
        failure
    from checks
)

select * from validation_errors
{% endmacro %}


{#- Raises a compiler error naming the test; returns `features` as a list (or none). -#}
{% macro _validate_drift_args(
    warn_psi, error_psi, max_unseen_share, max_null_rate_change, features,
    include_prediction) %}
    {%- set who = 'dbt_automl.expect_no_feature_drift' -%}
    {%- for name, value in [('warn_psi', warn_psi), ('error_psi', error_psi),
        ('max_unseen_share', max_unseen_share),
        ('max_null_rate_change', max_null_rate_change)] -%}
        {%- set optional = name.startswith('max_') -%}
        {%- if not (optional and value is none) and (value is not number or value is boolean
            or value < 0) -%}
            {{ exceptions.raise_compiler_error(
                who ~ ": `" ~ name ~ "` must be a number >= 0"
                ~ (" (or null to skip the check)" if optional else "")
                ~ ", got " ~ (value | tojson)) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if warn_psi > error_psi -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": `warn_psi` must be <= `error_psi`, got warn_psi=" ~ warn_psi
            ~ " and error_psi=" ~ error_psi) }}
    {%- endif -%}
    {%- if include_prediction is not boolean -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": `include_prediction` must be true or false, got "
            ~ (include_prediction | tojson)) }}
    {%- endif -%}
    {%- if features is string -%}
        {%- set features = [features] -%}
    {%- endif -%}
    {%- if features is not none and (features is not iterable or features is mapping
        or features | length == 0 or features | reject('string') | list | length > 0) -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": `features` must be a feature name or a non-empty list of them, got "
            ~ (features | tojson)) }}
    {%- endif -%}
    {{ return(features) }}
{% endmacro %}
