{#-
    Passes when `columns` form a primary key: no two rows share the key and no key column
    is null; and none of the `not_null` columns is null either. The key and not-null checks
    of a table in one test node (as dbt_constraints' primary_key test does for the key):
    dbt's per-node overhead, not the query, was most of a build that trains nothing
    (docs/decisions/0017). One failing row per failed check: the duplicated key (how many
    values repeat, and one of them) and each column holding nulls (how many rows).
-#}
{% test expect_primary_key(model, columns, not_null=[]) %}
    {{ return(adapter.dispatch('test_expect_primary_key', 'dbt_automl')(model, columns, not_null)) }}
{% endtest %}


{% macro default__test_expect_primary_key(model, columns, not_null) %}
{%- set keys = dbt_automl._column_list('expect_primary_key', 'columns', columns) -%}
{%- set others = [] if not_null in (none, []) else
    dbt_automl._column_list('expect_primary_key', 'not_null', not_null) -%}
{%- set key_sql -%}
    {%- for name in keys %}{{ adapter.quote(name) }}{{ ", " if not loop.last }}{% endfor -%}
{%- endset -%}
{%- set key_label = keys | join(', ') | replace("'", "''") -%}
with

repeated_keys as (
    select {{ key_sql }}
    from {{ model }}
    where {% for name in keys %}{{ adapter.quote(name) }} is not null{{ " and " if not loop.last }}{% endfor %}
    group by {{ key_sql }}
    having count(*) > 1
),

key_failures as (
    select
        '{{ key_label }}' as column_name,
        count(*) as failing_rows,
        'key ({{ key_label }}) is not unique: ' || cast(count(*) as varchar)
            || case when count(*) = 1 then ' value appears' else ' values appear' end
            || ' more than once' as failure
    from repeated_keys
    having count(*) > 0
),

null_failures as (
    {{ dbt_automl._null_failures(model, keys + others) }}
)

select * from key_failures
union all
select * from null_failures
{% endmacro %}
