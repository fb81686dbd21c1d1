{#-
    Passes when none of `columns` holds a null. One scan of the model for all the columns,
    and one dbt node: a column-level `not_null` per column costs dbt's per-node overhead
    (compile, connection, events: ~35 ms) each time, which on an unchanged lake is most of
    a second `dbt build` (docs/decisions/0017). Each failing row names a column and how many
    of its rows are null.
-#}
{% test expect_columns_not_null(model, columns) %}
    {{ return(adapter.dispatch('test_expect_columns_not_null', 'dbt_automl')(model, columns)) }}
{% endtest %}


{% macro default__test_expect_columns_not_null(model, columns) %}
{%- set names = [columns] if columns is string else columns -%}
{%- if names is not iterable or names is mapping or names | length == 0
        or names | reject('string') | list | length > 0 -%}
    {{ exceptions.raise_compiler_error(
        "dbt_automl.expect_columns_not_null: `columns` must be a column name or a non-empty "
        ~ "list of column names, got " ~ (columns | tojson)) }}
{%- endif -%}
with

null_counts as (
    select
    {%- for name in names %}
        count(*) - count({{ adapter.quote(name) }}) as nulls_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)

{% for name in names -%}
select
    '{{ name | replace("'", "''") }}' as column_name,
    nulls_{{ loop.index }} as null_rows,
    '`{{ name | replace("'", "''") }}` is null on ' || cast(nulls_{{ loop.index }} as varchar)
        || case when nulls_{{ loop.index }} = 1 then ' row' else ' rows' end as failure
from null_counts
where nulls_{{ loop.index }} > 0
{% if not loop.last %}
union all

{% endif %}
{%- endfor %}
{% endmacro %}
