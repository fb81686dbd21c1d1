{#-
    Lower-cased column names of the tested relation, read at execution time: the generic
    tests check with it that the columns they read exist. With a `where` config dbt hands
    the test a subquery string instead of a relation; ask DuckDB for its schema then.
-#}
{% macro _column_names(model) %}
    {%- if model is string -%}
        {%- set columns = adapter.get_column_schema_from_query('select * from ' ~ model) -%}
    {%- else -%}
        {%- set columns = adapter.get_columns_in_relation(model) -%}
    {%- endif -%}
    {{ return(columns | map(attribute='name') | map('lower') | list) }}
{% endmacro %}


{#- A column name or a non-empty list of column names, else a compile error naming the test. -#}
{% macro _column_list(test_name, argument, value) %}
    {%- set names = [value] if value is string else value -%}
    {%- if names is not iterable or names is mapping or names | length == 0
            or names | reject('string') | list | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            "dbt_automl." ~ test_name ~ ": `" ~ argument ~ "` must be a column name or a "
            ~ "non-empty list of column names, got " ~ (value | tojson)) }}
    {%- endif -%}
    {{ return(names) }}
{% endmacro %}


{#-
    One row per column of `names` that holds nulls (column_name, failing_rows, failure),
    from one scan of `model`.
-#}
{% macro _null_failures(model, names) %}
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
    nulls_{{ loop.index }} as failing_rows,
    '`{{ name | replace("'", "''") }}` is null on ' || cast(nulls_{{ loop.index }} as varchar)
        || case when nulls_{{ loop.index }} = 1 then ' row' else ' rows' end as failure
from null_counts
where nulls_{{ loop.index }} > 0
{% if not loop.last %}
union all

{% endif %}
{%- endfor %}
{% endmacro %}
