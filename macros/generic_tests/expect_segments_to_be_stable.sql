{#-
    On a clustering model's trained-model table: the current version kept at least
    `min_kept_share` of the training rows in the segment with the same id as the version
    before it (`test_kept_share`, measured on the same rows). A first version, with no
    version before it, passes. Fails when no version is current.
-#}
{% test expect_segments_to_be_stable(model, min_kept_share=0.9) %}
    {{ return(adapter.dispatch('test_expect_segments_to_be_stable', 'dbt_automl')(
        model, min_kept_share)) }}
{% endtest %}


{% macro default__test_expect_segments_to_be_stable(model, min_kept_share) %}
{%- if min_kept_share is not number or min_kept_share is boolean
    or min_kept_share < 0 or min_kept_share > 1 -%}
    {{ exceptions.raise_compiler_error(
        "dbt_automl.expect_segments_to_be_stable: `min_kept_share` must be a number in "
        ~ "[0, 1], got " ~ (min_kept_share | tojson)) }}
{%- endif -%}
with

versions as (
    select model_name, version, is_current, test_kept_share as kept_share
    from {{ model }}
),

current_versions as (
    select * from versions where is_current
),

failures as (
    select
        model_name,
        version,
        kept_share,
        'segments of ' || model_name || ' v' || cast(version as varchar) || ' kept '
        || cast(round(kept_share, 4) as varchar) || ' of the rows in the same segment id as'
        || ' the version before, below min_kept_share {{ min_kept_share }}' as failure
    from current_versions
    where version > 1 and kept_share < {{ min_kept_share }}

    union all

    select
        model_name,
        version,
        kept_share,
        model_name || ' v' || cast(version as varchar)
        || ' has no kept share although a version came before it' as failure
    from current_versions
    where kept_share is null
        and exists (
            select 1 from versions as v
            where v.model_name = current_versions.model_name
                and v.version < current_versions.version
        )

    union all

    select
        cast(null as varchar) as model_name,
        cast(null as integer) as version,
        cast(null as double) as kept_share,
        'no version is current' as failure
    where not exists (select 1 from current_versions)
)

select * from failures
{% endmacro %}
