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
{%- set names = dbt_automl._column_list('expect_columns_not_null', 'columns', columns) -%}
select
    column_name,
    failing_rows as null_rows,
    failure
from (
    {{ dbt_automl._null_failures(model, names) }}
) as null_failures
{% endmacro %}
