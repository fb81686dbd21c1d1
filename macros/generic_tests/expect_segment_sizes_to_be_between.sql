{#-
    On a segment assignment table: every segment holds at least `min_size` rows and a share
    of all rows within [min_share, max_share]. Each failing row names the segment, its size
    and share, and says what failed. Fails on an empty table.
-#}
{% test expect_segment_sizes_to_be_between(
    model, segment_column='segment', min_size=none, min_share=none, max_share=none) %}
    {{ return(adapter.dispatch('test_expect_segment_sizes_to_be_between', 'dbt_automl')(
        model, segment_column, min_size, min_share, max_share)) }}
{% endtest %}


{% macro default__test_expect_segment_sizes_to_be_between(
    model, segment_column, min_size, min_share, max_share) %}
{%- set who = "dbt_automl.expect_segment_sizes_to_be_between" -%}
{%- if min_size is none and min_share is none and max_share is none -%}
    {{ exceptions.raise_compiler_error(
        who ~ ": give at least one of min_size, min_share, max_share") }}
{%- endif -%}
{%- for name, value in [('min_size', min_size), ('min_share', min_share), ('max_share', max_share)] -%}
    {%- if value is not none and (value is not number or value is boolean or value < 0) -%}
        {{ exceptions.raise_compiler_error(
            who ~ ": `" ~ name ~ "` must be a number >= 0, got " ~ (value | tojson)) }}
    {%- endif -%}
{%- endfor -%}
with

sizes as (
    select
        cast({{ adapter.quote(segment_column) }} as varchar) as segment,
        count(*) as size
    from {{ model }}
    group by 1
),

shares as (
    select
        segment,
        size,
        size / sum(size) over () as share
    from sizes
),

failures as (
    {%- if min_size is not none %}
    select segment, size, share,
        'segment ' || segment || ' has ' || cast(size as varchar)
        || ' rows, fewer than min_size {{ min_size }}' as failure
    from shares where size < {{ min_size }}
    union all
    {%- endif %}
    {%- if min_share is not none %}
    select segment, size, share,
        'segment ' || segment || ' holds ' || cast(round(share, 4) as varchar)
        || ' of the rows, less than min_share {{ min_share }}' as failure
    from shares where share < {{ min_share }}
    union all
    {%- endif %}
    {%- if max_share is not none %}
    select segment, size, share,
        'segment ' || segment || ' holds ' || cast(round(share, 4) as varchar)
        || ' of the rows, more than max_share {{ max_share }}' as failure
    from shares where share > {{ max_share }}
    union all
    {%- endif %}
    select
        cast(null as varchar) as segment,
        cast(null as bigint) as size,
        cast(null as double) as share,
        'the segment table has no rows' as failure
    where not exists (select 1 from shares)
)

select * from failures
{% endmacro %}
