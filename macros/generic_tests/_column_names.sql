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
